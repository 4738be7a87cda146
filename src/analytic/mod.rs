//! Analytic baselines for single-skill queues with exponential arrivals and
//! handle times: Erlang C (M/M/c) and Erlang A (M/M/c+M, Palm's model with
//! exponential patience). These are the references the simulator must agree
//! with on the contract's plain workflow, and what `routesim erlang` prints.
//!
//! Notation: arrival rate λ, mean handle time h = 1/μ, c agents, offered load
//! a = λ·h Erlangs, mean patience 1/θ, service-level threshold t.
//!
//! - Erlang C ([`erlang_c()`]): P(wait) = C(c, a) = 1 / (1 + (1 − a/c)·T) with
//!   T = Σ_{n<c} π_n/π_c = Σ_{n<c} c!/(n!·a^(c−n)) (the usual
//!   "Erlang B over 1 − ρ(1 − B)" formula rewritten so that it is a sum of
//!   positive terms); mean wait C/(cμ − λ); P(wait ≤ t) = 1 − C·e^(−(cμ−λ)t).
//!   Textbook material, e.g. Gross & Harris, *Fundamentals of Queueing
//!   Theory*, or Kleinrock, *Queueing Systems* vol. 1.
//! - Erlang A ([`erlang_a()`]): the birth–death chain with birth rate λ and
//!   death rate min(n, c)·μ + max(n − c, 0)·θ, summed until the tail is
//!   negligible. P(wait) follows from PASTA, the mean wait and P(abandon)
//!   from Little's law applied to the queue (`E[W] = E[Lq]/λ`,
//!   `P(ab) = θ·E[Lq]/λ`), as in Palm's model and its modern treatment by
//!   Garnett, Mandelbaum & Reiman, "Designing a call center with impatient
//!   customers" (2002) and Mandelbaum & Zeltyn's Erlang A notes. The waiting
//!   time distribution comes from the tagged customer who finds k customers
//!   ahead: the number ahead is a pure-death process with rates cμ + jθ, so
//!   its time to reach an agent is hypoexponential with rates
//!   cμ, cμ + θ, …, cμ + kθ. Those rates form an arithmetic progression
//!   θ(α + j) with α = cμ/θ, and such a sum is distributed like an order
//!   statistic of exponentials, giving the exact tail
//!   P(V_k > t) = P(NegBin(α, e^(−θt)) ≤ k), a finite sum of positive terms.
//!   The customer's own patience is an independent exponential, so
//!   P(served) = cμ/(cμ + (k+1)θ), and tilting by e^(−θV) turns
//!   P(served within t) into the same negative-binomial form with shape α + 1.
//!
//! Numerics: all sums are of positive terms, accumulated in log space with a
//! running shift, so hundreds of thousands of agents or huge
//! loads neither overflow nor underflow and nothing cancels. Sums are cut
//! where a geometric bound on the rest is below 1e-17 of what has been summed.

pub mod erlang_a;
pub mod erlang_c;

pub use erlang_a::{erlang_a, ErlangA};
pub use erlang_c::{erlang_c, ErlangC};

use std::fmt;

/// Why an analytic model cannot be evaluated for the given inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalyticError {
    /// An input is NaN, infinite, or outside its range.
    InvalidInput {
        /// Parameter name as in the function signature.
        name: &'static str,
        /// The value received.
        value: f64,
        /// What would be accepted.
        expected: &'static str,
    },
    /// `agents == 0`.
    NoAgents,
    /// Erlang C with offered load ≥ agents: the queue grows without bound.
    Unstable {
        /// Offered load a = λ·h in Erlangs.
        offered_load: f64,
        /// Agents given.
        agents: u32,
    },
    /// Erlang A whose queue would hold more customers than we are willing to
    /// enumerate (a long patience combined with overload).
    StateSpaceTooLarge {
        /// Rough number of queue states the distribution spreads over.
        states: f64,
        /// The enumeration limit.
        limit: u64,
    },
}

impl fmt::Display for AnalyticError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnalyticError::InvalidInput {
                name,
                value,
                expected,
            } => write!(f, "invalid {name} = {value}: expected {expected}"),
            AnalyticError::NoAgents => {
                write!(f, "invalid agents = 0: expected at least 1 agent")
            }
            AnalyticError::Unstable {
                offered_load,
                agents,
            } => {
                // Rounded so that 30.000000000000004 reads as 30.
                let a = (offered_load * 1e6).round() / 1e6;
                write!(
                    f,
                    "unstable queue: offered load {a} Erlangs needs more than {a} agents, \
                     got {agents}; use at least {} agents, or Erlang A (finite patience) \
                     for an overloaded queue",
                    offered_load.floor() + 1.0
                )
            }
            AnalyticError::StateSpaceTooLarge { states, limit } => write!(
                f,
                "Erlang A queue too long to enumerate: about {states:.3e} queue states \
                 needed, limit {limit}; the mean patience is very long for this \
                 overload: use a shorter patience or more agents"
            ),
        }
    }
}

impl std::error::Error for AnalyticError {}

/// A finite, strictly positive parameter.
fn positive(name: &'static str, value: f64, expected: &'static str) -> Result<f64, AnalyticError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(AnalyticError::InvalidInput {
            name,
            value,
            expected,
        })
    }
}

/// Checks the inputs shared by both models; returns (λ, h, c as f64, a, t).
fn common_inputs(
    rate_per_s: f64,
    mean_handle_s: f64,
    agents: u32,
    sla_s: f64,
) -> Result<(f64, f64, f64, f64, f64), AnalyticError> {
    let rate = positive(
        "rate_per_s",
        rate_per_s,
        "a finite arrival rate > 0 per second",
    )?;
    let handle = positive(
        "mean_handle_s",
        mean_handle_s,
        "a finite mean handle time > 0 seconds",
    )?;
    if agents == 0 {
        return Err(AnalyticError::NoAgents);
    }
    // Zero is meaningful: the share answered without any wait.
    if !(sla_s.is_finite() && sla_s >= 0.0) {
        return Err(AnalyticError::InvalidInput {
            name: "sla_s",
            value: sla_s,
            expected: "a finite service-level threshold >= 0 seconds",
        });
    }
    let load = positive(
        "offered load (rate_per_s * mean_handle_s)",
        rate * handle,
        "a finite load > 0 Erlangs",
    )?;
    Ok((rate, handle, f64::from(agents), load, sla_s))
}

/// Sum of positive terms given by their natural logarithms. Terms are kept
/// relative to the largest seen so far, so no term or partial sum overflows
/// or underflows however large or small the true values are.
#[derive(Debug, Clone, Copy)]
struct LogSum {
    shift: f64,
    scaled: f64,
}

impl LogSum {
    const fn new() -> Self {
        LogSum {
            shift: f64::NEG_INFINITY,
            scaled: 0.0,
        }
    }

    /// Adds e^`ln_term`; `-inf` (a zero term) is ignored.
    fn add(&mut self, ln_term: f64) {
        debug_assert!(!ln_term.is_nan());
        if ln_term == f64::NEG_INFINITY {
            return;
        }
        if ln_term <= self.shift {
            self.scaled += (ln_term - self.shift).exp();
        } else {
            self.scaled = self.scaled * (self.shift - ln_term).exp() + 1.0;
            self.shift = ln_term;
        }
    }

    /// ln of the sum; `-inf` when empty.
    fn ln(&self) -> f64 {
        if self.scaled > 0.0 {
            self.shift + self.scaled.ln()
        } else {
            f64::NEG_INFINITY
        }
    }
}

/// ln(e^x + e^y) without overflow.
fn ln_add(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x >= y { (x, y) } else { (y, x) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// ln(1 − e^y) for y ≤ 0, accurate at both ends; `-inf` for y ≥ 0.
fn ln_one_minus_exp(y: f64) -> f64 {
    if y >= 0.0 {
        f64::NEG_INFINITY
    } else if y > -std::f64::consts::LN_2 {
        (-y.exp_m1()).ln()
    } else {
        (-y.exp()).ln_1p()
    }
}

/// Relative size below which the rest of a sum is dropped.
const LN_TAIL_EPS: f64 = -39.1; // ln(1e-17)

/// ln Σ_{n=0}^{c−1} π_n/π_c for Poisson weights π_n ∝ aⁿ/n!, i.e. the
/// no-wait states relative to the first waiting state. Summed downwards from
/// n = c − 1 (ratio π_{n−1}/π_n = n/a) and cut when the remaining terms,
/// which then fall at least geometrically, are negligible. Also stops once the
/// partial sum exceeds `cap_ln`: the caller's ratios are then below the
/// smallest double anyway, and this keeps c ≫ a from costing c steps.
fn ln_sum_below_c(a: f64, c: u32, cap_ln: f64) -> f64 {
    let mut sum = LogSum::new();
    let mut ln_term = 0.0; // ln(π_c/π_c)
    for n in (0..c).rev() {
        ln_term += (f64::from(n + 1) / a).ln();
        sum.add(ln_term);
        if n == 0 || sum.ln() > cap_ln {
            break;
        }
        let q = f64::from(n) / a; // π_{n−1}/π_n, decreasing as n falls
        if q < 1.0 && ln_term + (q / (1.0 - q)).ln() < sum.ln() + LN_TAIL_EPS {
            break;
        }
    }
    sum.ln()
}

/// A probability computed from ratios, clamped against last-bit rounding.
fn prob(p: f64) -> f64 {
    p.clamp(0.0, 1.0)
}

/// Rows of tests/data/erlang-public.csv, shared by both models' tests.
#[cfg(test)]
mod test_data {
    pub struct Case {
        pub case: String,
        pub rate_per_s: f64,
        pub mean_handle_s: f64,
        pub agents: u32,
        pub mean_patience_s: Option<f64>,
        pub sla_s: f64,
        pub p_wait: f64,
        pub mean_wait_s: f64,
        pub service_level: Option<f64>,
        pub p_abandon: f64,
    }

    pub fn cases() -> Vec<Case> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/erlang-public.csv");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut lines = text.lines();
        let header = lines.next().expect("header line");
        assert_eq!(
            header.trim(),
            "case,rate_per_s,mean_handle_s,agents,mean_patience_s,sla_s,p_wait,\
             mean_wait_s,service_level,p_abandon"
        );
        let num = |s: &str| -> f64 { s.trim().parse().unwrap_or_else(|e| panic!("{s:?}: {e}")) };
        let opt = |s: &str| (!s.trim().is_empty()).then(|| num(s));
        let rows: Vec<Case> = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                assert_eq!(f.len(), 10, "row {l:?}");
                Case {
                    case: f[0].trim().to_string(),
                    rate_per_s: num(f[1]),
                    mean_handle_s: num(f[2]),
                    agents: f[3].trim().parse().expect("agents"),
                    mean_patience_s: opt(f[4]),
                    sla_s: num(f[5]),
                    p_wait: num(f[6]),
                    mean_wait_s: num(f[7]),
                    service_level: opt(f[8]),
                    p_abandon: num(f[9]),
                }
            })
            .collect();
        assert!(!rows.is_empty(), "{path} has no rows");
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_matches_plain_sum_and_survives_extremes() {
        let mut s = LogSum::new();
        assert_eq!(s.ln(), f64::NEG_INFINITY);
        for x in [1.0f64, 2.0, 0.5, 4.0] {
            s.add(x.ln());
        }
        assert!((s.ln().exp() - 7.5).abs() < 1e-14);
        let mut big = LogSum::new();
        big.add(5000.0);
        big.add(5000.0);
        big.add(f64::NEG_INFINITY);
        assert!((big.ln() - (5000.0 + 2f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn helpers() {
        assert!((ln_add(0.0, 0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(ln_add(f64::NEG_INFINITY, 3.0), 3.0);
        assert!((ln_one_minus_exp(-1e-20) - 1e-20f64.ln()).abs() < 1e-12);
        assert!((ln_one_minus_exp(-50.0) + (-50f64).exp()).abs() < 1e-30);
        assert_eq!(ln_one_minus_exp(0.0), f64::NEG_INFINITY);
        // Σ_{n<3} π_n/π_3 at a = 2: (1 + 2 + 2) / (8/6).
        let want = (5.0f64 / (8.0 / 6.0)).ln();
        assert!((ln_sum_below_c(2.0, 3, f64::INFINITY) - want).abs() < 1e-14);
    }

    #[test]
    fn errors_say_what_is_wrong_and_what_is_right() {
        let e = common_inputs(f64::NAN, 1.0, 1, 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid rate_per_s = NaN: expected a finite arrival rate > 0 per second"
        );
        let e = AnalyticError::Unstable {
            offered_load: 30.000000000000004,
            agents: 30,
        };
        assert!(e
            .to_string()
            .contains("offered load 30 Erlangs needs more than 30 agents, got 30"));
        assert!(e.to_string().contains("at least 31 agents"));
        let e: Box<dyn std::error::Error> = Box::new(AnalyticError::NoAgents);
        assert!(e.to_string().contains("at least 1 agent"));
    }
}
