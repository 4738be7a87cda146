//! The analytic side of staffing: what an Erlang calculator says a queue
//! needs. It seeds the simulated search and is the baseline the staffing
//! table compares with. Behind a trait so the search does not care which
//! analytic module computes it.
//!
//! [`Erlang`] implements it with `crate::analytic`: Erlang C without
//! patience, Erlang A (M/M/c+M) with it.

use crate::report::thresholds::{evaluate, Threshold};

/// A stationary single-skill queue as an Erlang model sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    pub rate_per_s: f64,
    /// Mean time an agent is held per chat: handle time plus after-call work.
    pub mean_handle_s: f64,
    /// Mean patience; `None` when customers never hang up.
    pub mean_patience_s: Option<f64>,
}

/// Figures of an analytic model for one number of agents; `NaN` where the
/// model does not give a figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    pub p_wait: f64,
    pub mean_wait_s: f64,
    pub asa_s: f64,
    pub service_level: f64,
    pub p_abandon: f64,
    pub occupancy: f64,
    /// Wait quantiles p50, p90, p95, p99 in seconds.
    pub wait_quantiles_s: [f64; 4],
}

/// The contract metrics an Erlang model gives (see [`Figures::metric`]).
pub const ANALYTIC_METRICS: [&str; 11] = [
    "p_wait",
    "mean_wait_s",
    "asa_s",
    "service_level",
    "p_abandon",
    "reachability",
    "occupancy",
    "wait_p50_s",
    "wait_p90_s",
    "wait_p95_s",
    "wait_p99_s",
];

impl Figures {
    /// The figure under a contract metric name, if the model gives it.
    pub fn metric(&self, name: &str) -> Option<f64> {
        let v = match name {
            "p_wait" => self.p_wait,
            "mean_wait_s" => self.mean_wait_s,
            "asa_s" => self.asa_s,
            "service_level" => self.service_level,
            "p_abandon" => self.p_abandon,
            "reachability" => 1.0 - self.p_abandon,
            "occupancy" => self.occupancy,
            "wait_p50_s" => self.wait_quantiles_s[0],
            "wait_p90_s" => self.wait_quantiles_s[1],
            "wait_p95_s" => self.wait_quantiles_s[2],
            "wait_p99_s" => self.wait_quantiles_s[3],
            _ => return None,
        };
        v.is_finite().then_some(v)
    }
}

pub trait Analytic: Sync {
    /// The model's name for output ("erlang_c", "erlang_a").
    fn name(&self, q: &Queue) -> &'static str;
    /// Figures for `agents`; `None` when the model has no steady state there
    /// (e.g. Erlang C with load >= agents).
    fn figures(&self, q: &Queue, agents: u32, sla_s: f64) -> Option<Figures>;
}

/// The fewest agents for which every target the model can judge holds,
/// searching up to `max_agents`. `sla_s(target)` is the service-level
/// threshold that applies to a target. `None` when no target is judged by
/// the model or none is met within `max_agents`.
pub fn requirement(
    model: &dyn Analytic,
    q: &Queue,
    targets: &[Threshold],
    sla_s: &dyn Fn(&Threshold) -> f64,
    max_agents: u32,
) -> Option<u32> {
    let judged: Vec<&Threshold> = targets
        .iter()
        .filter(|t| analytic_metric(t).is_some())
        .collect();
    if judged.is_empty() || q.rate_per_s <= 0.0 {
        return None;
    }
    (1..=max_agents).find(|&c| {
        judged.iter().all(|t| {
            model
                .figures(q, c, sla_s(t))
                .and_then(|f| f.metric(analytic_metric(t)?))
                .is_some_and(|v| evaluate(t, v).ok)
        })
    })
}

/// The metric name of a target if an Erlang model can judge it.
fn analytic_metric(t: &Threshold) -> Option<&'static str> {
    let name = crate::stats::METRICS[t.metric];
    ANALYTIC_METRICS.contains(&name).then_some(name)
}

/// Erlang C (no patience) or Erlang A (exponential patience) from
/// `crate::analytic`.
pub struct Erlang;

impl Analytic for Erlang {
    fn name(&self, q: &Queue) -> &'static str {
        if q.mean_patience_s.is_some() {
            "erlang_a"
        } else {
            "erlang_c"
        }
    }

    fn figures(&self, q: &Queue, agents: u32, sla_s: f64) -> Option<Figures> {
        let (lambda, h) = (q.rate_per_s, q.mean_handle_s);
        match q.mean_patience_s {
            None => {
                let r = crate::analytic::erlang_c(lambda, h, agents, sla_s).ok()?;
                // Given a wait, waits are exponential at rate c*mu - lambda.
                let drain = (f64::from(agents) - r.offered_load) / h;
                let quantile = |p: f64| {
                    if r.p_wait <= 1.0 - p {
                        0.0
                    } else {
                        (r.p_wait / (1.0 - p)).ln() / drain
                    }
                };
                Some(Figures {
                    p_wait: r.p_wait,
                    mean_wait_s: r.mean_wait_s,
                    asa_s: r.asa_s,
                    service_level: r.service_level,
                    p_abandon: 0.0,
                    occupancy: r.occupancy,
                    wait_quantiles_s: [
                        quantile(0.5),
                        quantile(0.9),
                        quantile(0.95),
                        quantile(0.99),
                    ],
                })
            }
            Some(patience) => {
                let r = crate::analytic::erlang_a(lambda, h, agents, patience, sla_s).ok()?;
                Some(Figures {
                    p_wait: r.p_wait,
                    mean_wait_s: r.mean_wait_s,
                    asa_s: r.asa_s,
                    service_level: r.service_level,
                    p_abandon: r.p_abandon,
                    occupancy: r.occupancy,
                    // Erlang A gives no closed-form wait quantiles here.
                    wait_quantiles_s: [f64::NAN; 4],
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::thresholds::parse;

    #[test]
    fn erlang_matches_the_erlang_c_table() {
        let table = include_str!("../../tests/data/erlang-public.csv");
        let mut checked = 0;
        for row in table.lines().skip(1) {
            let f: Vec<&str> = row.split(',').collect();
            if f.len() != 10 || !f[4].is_empty() {
                continue; // Erlang A rows
            }
            let n = |i: usize| f[i].parse::<f64>().unwrap();
            let q = Queue {
                rate_per_s: n(1),
                mean_handle_s: n(2),
                mean_patience_s: None,
            };
            let got = Erlang.figures(&q, n(3) as u32, n(5)).unwrap();
            assert!((got.p_wait - n(6)).abs() < 1e-5, "{row}: {got:?}");
            assert!((got.mean_wait_s - n(7)).abs() < 1e-4, "{row}: {got:?}");
            assert!((got.service_level - n(8)).abs() < 1e-5, "{row}: {got:?}");
            checked += 1;
        }
        assert!(checked >= 2);
        let q = Queue {
            rate_per_s: 0.3,
            mean_handle_s: 60.0,
            mean_patience_s: None,
        };
        assert!(Erlang.figures(&q, 18, 20.0).is_none(), "unstable");
    }

    #[test]
    fn requirement_is_the_fewest_agents_meeting_all_targets() {
        let q = Queue {
            rate_per_s: 0.5,
            mean_handle_s: 60.0,
            mean_patience_s: None,
        };
        let sl = parse("service_level>=0.8", &[]).unwrap();
        let n = requirement(&Erlang, &q, std::slice::from_ref(&sl), &|_| 20.0, 1000).unwrap();
        let at = |c| Erlang.figures(&q, c, 20.0).unwrap().service_level;
        assert!(
            at(n) >= 0.8 && at(n - 1) < 0.8,
            "{n}: {} {}",
            at(n),
            at(n - 1)
        );
        // A stricter second target only raises it; an unjudgeable one is ignored.
        let wait = parse("mean_wait_s<=1", &[]).unwrap();
        let handled = parse("handled>=1", &[]).unwrap();
        let m = requirement(&Erlang, &q, &[sl, wait, handled.clone()], &|_| 20.0, 1000);
        assert!(m.unwrap() >= n);
        assert_eq!(requirement(&Erlang, &q, &[handled], &|_| 20.0, 1000), None);
    }
}
