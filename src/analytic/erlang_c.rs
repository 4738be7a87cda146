//! Erlang C: M/M/c with an unlimited queue and no abandonment.

use super::{common_inputs, ln_sum_below_c, prob, AnalyticError};

/// Steady-state figures of an M/M/c queue (Erlang C).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangC {
    /// a = λ·h, in Erlangs.
    pub offered_load: f64,
    /// a/c: the share of agent time spent handling.
    pub occupancy: f64,
    /// P(an arrival has to wait), the Erlang C formula C(c, a).
    pub p_wait: f64,
    /// Mean time in queue over all arrivals (those answered at once count 0).
    pub mean_wait_s: f64,
    /// Average speed of answer: equal to `mean_wait_s`, as everyone is
    /// answered; kept under the name planners and the simulator use.
    pub asa_s: f64,
    /// Mean time in queue of those who wait: 1/(cμ − λ).
    pub mean_wait_given_wait_s: f64,
    /// P(time in queue ≤ sla_s).
    pub service_level: f64,
}

/// Erlang C for arrivals at `rate_per_s` (Poisson), exponential handle times
/// of mean `mean_handle_s`, `agents` agents and the service-level threshold
/// `sla_s` (0 allowed: then the share answered without waiting).
///
/// Errors when an input is not finite or out of range, when `agents == 0`,
/// or when the offered load is not below `agents` (no steady state).
pub fn erlang_c(
    rate_per_s: f64,
    mean_handle_s: f64,
    agents: u32,
    sla_s: f64,
) -> Result<ErlangC, AnalyticError> {
    let (_, handle, c, load, sla) = common_inputs(rate_per_s, mean_handle_s, agents, sla_s)?;
    if load >= c {
        return Err(AnalyticError::Unstable {
            offered_load: load,
            agents,
        });
    }
    // P(wait) = π_{≥c} / Σπ with π_{≥c} = π_c/(1−ρ): 1 / (1 + (1−ρ)·T).
    // Once (1−ρ)·T passes e^800 the result is 0 in double precision.
    let ln_idle_share = ((c - load) / c).ln(); // ln(1 − ρ)
    let ln_t = ln_sum_below_c(load, agents, 800.0 - ln_idle_share);
    let p_wait = prob(1.0 / (1.0 + (ln_idle_share + ln_t).exp()));
    // Waiting customers are drained at the net rate cμ − λ = (c − a)/h.
    let drain_per_s = (c - load) / handle;
    let mean_wait_given_wait_s = 1.0 / drain_per_s;
    let mean_wait_s = p_wait * mean_wait_given_wait_s;
    Ok(ErlangC {
        offered_load: load,
        occupancy: load / c,
        p_wait,
        mean_wait_s,
        asa_s: mean_wait_s,
        mean_wait_given_wait_s,
        service_level: prob(1.0 - p_wait * (-drain_per_s * sla).exp()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_data;
    use super::*;

    fn rel(x: f64, want: f64) -> f64 {
        ((x - want) / want).abs()
    }

    #[test]
    fn matches_every_erlang_c_row_of_the_public_table() {
        let mut n = 0;
        for row in test_data::cases() {
            if row.mean_patience_s.is_some() {
                continue;
            }
            n += 1;
            let r = erlang_c(row.rate_per_s, row.mean_handle_s, row.agents, row.sla_s)
                .unwrap_or_else(|e| panic!("{}: {e}", row.case));
            let case = &row.case;
            assert!((r.p_wait - row.p_wait).abs() < 5e-5, "{case}: {r:?}");
            assert!(rel(r.mean_wait_s, row.mean_wait_s) < 1e-4, "{case}: {r:?}");
            assert_eq!(r.asa_s, r.mean_wait_s);
            if let Some(sl) = row.service_level {
                assert!((r.service_level - sl).abs() < 5e-5, "{case}: {r:?}");
            }
            assert_eq!(row.p_abandon, 0.0, "{case}: Erlang C has no abandonment");
        }
        assert!(n > 0, "no Erlang C rows in the table");
    }

    /// The textbook route: Erlang B by its recursion, then C = B/(1 − ρ(1 − B)).
    fn erlang_c_via_b(a: f64, c: u32) -> f64 {
        let mut b = 1.0;
        for n in 1..=c {
            b = a * b / (f64::from(n) + a * b);
        }
        let rho = a / f64::from(c);
        b / (1.0 - rho * (1.0 - b))
    }

    #[test]
    fn agrees_with_the_erlang_b_recursion() {
        for c in [1u32, 2, 3, 5, 10, 33, 80, 200] {
            for frac in [0.05, 0.3, 0.7, 0.9, 0.99] {
                let a = frac * f64::from(c);
                let r = erlang_c(a / 60.0, 60.0, c, 20.0).unwrap();
                let want = erlang_c_via_b(a, c);
                assert!(rel(r.p_wait, want) < 1e-11, "c={c} a={a}: {r:?} vs {want}");
            }
        }
    }

    #[test]
    fn single_agent_is_m_m_1() {
        // P(wait) = ρ, mean wait = ρ/(μ − λ).
        let r = erlang_c(0.5, 1.5, 1, 2.0).unwrap();
        let (rho, mu, lambda) = (0.75, 1.0 / 1.5, 0.5);
        assert!((r.p_wait - rho).abs() < 1e-14);
        assert!(rel(r.mean_wait_s, rho / (mu - lambda)) < 1e-13);
        assert!((r.service_level - (1.0 - rho * (-(mu - lambda) * 2.0f64).exp())).abs() < 1e-14);
        assert!((r.occupancy - rho).abs() < 1e-15);
    }

    #[test]
    fn zero_sla_is_the_share_not_waiting() {
        let r = erlang_c(0.25, 120.0, 33, 0.0).unwrap();
        assert!((r.service_level - (1.0 - r.p_wait)).abs() < 1e-15);
    }

    #[test]
    fn large_teams_at_high_load_stay_finite() {
        for c in [500u32, 2000, 100_000] {
            let handle = 300.0;
            let rate = 0.95 * f64::from(c) / handle;
            let r = erlang_c(rate, handle, c, 20.0).unwrap();
            for p in [r.p_wait, r.service_level, r.occupancy] {
                assert!(p.is_finite() && (0.0..=1.0).contains(&p), "c={c}: {r:?}");
            }
            assert!(r.mean_wait_s.is_finite() && r.mean_wait_s >= 0.0);
            // Pooling: a big team at 95 % rarely makes anyone wait long.
            assert!(r.p_wait < 0.5, "c={c}: {r:?}");
        }
        // Many agents, tiny load: nobody waits, and it is quick to find out.
        let r = erlang_c(1.0 / 60.0, 60.0, u32::MAX, 20.0).unwrap();
        assert_eq!(r.p_wait, 0.0);
        assert_eq!(r.service_level, 1.0);
        // Just below saturation: almost everyone waits, for a long time.
        let r = erlang_c(99.999 / 60.0, 60.0, 100, 20.0).unwrap();
        assert!(r.p_wait > 0.999 && r.mean_wait_s > 5e4, "{r:?}");
    }

    #[test]
    fn more_agents_mean_less_waiting() {
        let mut last: Option<ErlangC> = None;
        for c in 31..=60 {
            let r = erlang_c(0.25, 120.0, c, 20.0).unwrap();
            if let Some(p) = last {
                assert!(r.p_wait < p.p_wait, "c={c}");
                assert!(r.mean_wait_s < p.mean_wait_s, "c={c}");
                assert!(r.service_level > p.service_level, "c={c}");
            }
            last = Some(r);
        }
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let bad = [
            erlang_c(f64::NAN, 60.0, 10, 20.0),
            erlang_c(0.0, 60.0, 10, 20.0),
            erlang_c(-1.0, 60.0, 10, 20.0),
            erlang_c(0.1, f64::INFINITY, 10, 20.0),
            erlang_c(0.1, 0.0, 10, 20.0),
            erlang_c(0.1, 60.0, 0, 20.0),
            erlang_c(0.1, 60.0, 10, -1.0),
            erlang_c(0.1, 60.0, 10, f64::NAN),
            erlang_c(1e200, 1e200, 10, 20.0),
        ];
        for (i, r) in bad.iter().enumerate() {
            assert!(r.is_err(), "case {i}: {r:?}");
        }
        assert_eq!(
            erlang_c(0.1, 60.0, 0, 20.0).unwrap_err(),
            AnalyticError::NoAgents
        );
        let e = erlang_c(0.5, 60.0, 30, 20.0).unwrap_err();
        assert!(matches!(e, AnalyticError::Unstable { agents: 30, .. }));
        assert!(
            e.to_string()
                .contains("offered load 30 Erlangs needs more than 30 agents"),
            "{e}"
        );
        assert!(erlang_c(0.6, 60.0, 30, 20.0).is_err());
    }
}
