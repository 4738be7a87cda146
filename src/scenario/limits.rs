//! The bounds on every count and size a scenario file or a flag may give, and
//! the work estimate `validate`, `run` and `sweep` check before simulating: a
//! typing mistake must get a clear refusal, not hours of work or an aborted
//! allocation. README.md ("Limits") documents each bound.

use rand::SeedableRng;

use crate::model::time::{to_secs_f64, Time, MICROS_PER_SEC};
use crate::model::{ArrivalPattern, Scenario};
use crate::scenario::dist::Dist;

/// The longest duration any key, flag or file may give: 366 days. Longer
/// spans are typing mistakes, and they would overflow sums of times.
pub const MAX_DURATION: Time = 366 * 86_400 * MICROS_PER_SEC;
/// The highest rate any key or flag may give: 1,000,000 per second.
pub const MAX_RATE_PER_S: f64 = 1e6;
/// Replications of one run (`replications`, `--replications`).
pub const MAX_REPLICATIONS: u32 = 1_000_000;
/// Users of one scenario, all `[[users]]` groups together.
pub const MAX_USERS: u32 = 1_000_000;
/// Worker threads (`--threads`): far more than any machine's cores.
pub const MAX_THREADS: u32 = 1024;
/// Shards of a run or sweep (`--shard I/N`).
pub const MAX_SHARDS: u32 = 1_000_000;
/// Reporting intervals of one replication (`duration` / `interval`).
pub const MAX_INTERVALS: u64 = 1_000_000;
/// Estimated events of a whole run (all replications): refused above.
pub const MAX_EVENTS: f64 = 1e10;
/// Estimated events of a whole run above which a warning is printed.
pub const WARN_EVENTS: f64 = 1e8;
/// Estimated size of the output files above which a warning is printed.
pub const WARN_OUTPUT_BYTES: f64 = 1e9;

/// Engine events per chat, measured on `scenarios/mmc.toml` (arrival, offer
/// or answer, end; about 2.4): an order of magnitude is all the check needs.
const EVENTS_PER_CHAT: f64 = 3.0;
/// Bytes of a sessions.csv row and of an intervals.csv row (measured).
const SESSION_ROW_BYTES: f64 = 125.0;
const INTERVAL_ROW_BYTES: f64 = 100.0;
/// sessions.csv.zst is about this many times smaller than sessions.csv (a
/// year of benches/year.toml: 6.1 GB and 1.3 GB).
const ZSTD_RATIO: f64 = 4.7;

/// How a run writes its sessions (`run`'s flags), for the size estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionsOut {
    Csv,
    Zstd,
    Omitted,
}

/// The expected work of one replication.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    pub chats: f64,
    pub events: f64,
    pub intervals: u64,
    /// Bytes of sessions.csv, and of the other files.
    pub session_bytes: f64,
    pub other_bytes: f64,
}

/// Estimates one replication's work from the arrival rates (chats over the
/// simulated time), the users' presence changes and calls, and the reporting
/// intervals.
pub fn estimate(s: &Scenario) -> Work {
    let span = to_secs_f64(s.sim.measure_end());
    let chats: f64 = s
        .sources
        .iter()
        .map(|src| match &src.pattern {
            ArrivalPattern::Constant(r) => r * span,
            ArrivalPattern::Profile { rates, .. } => {
                rates.iter().sum::<f64>() / rates.len().max(1) as f64 * span
            }
            ArrivalPattern::Trace(rows) => rows.len() as f64,
        })
        .sum();
    // Users of a group share their settings: estimate once per group.
    let mut user_events = 0.0;
    let mut i = 0;
    while i < s.users.len() {
        let u = &s.users[i];
        let n = s.users[i..]
            .iter()
            .take_while(|v| v.group == u.group)
            .count();
        let mut per_user = 0.0;
        for c in &u.presence_changes {
            let cycle = mean_secs(&c.every) + mean_secs(&c.duration);
            per_user += 2.0 * span / cycle.max(1e-6);
        }
        if let Some(calls) = &u.calls {
            per_user += 2.0 * calls.rate_per_s * span;
        }
        user_events += per_user * n as f64;
        i += n;
    }
    let intervals = s.sim.measure_end().div_ceil(s.sim.interval.max(1));
    Work {
        chats,
        events: chats * EVENTS_PER_CHAT + user_events,
        intervals,
        session_bytes: chats * SESSION_ROW_BYTES,
        other_bytes: (intervals * s.services.len() as u64) as f64 * INTERVAL_ROW_BYTES,
    }
}

/// The mean of a sampler in seconds: exact where the parameters are at hand,
/// else the mean of a fixed-seed sample (an estimate is all that is needed).
fn mean_secs(d: &Dist) -> f64 {
    match d {
        Dist::Constant(t) => to_secs_f64(*t),
        Dist::Uniform { min, span } => to_secs_f64(*min) + to_secs_f64(*span) / 2.0,
        Dist::Empirical(v) => v.iter().map(|t| to_secs_f64(*t)).sum::<f64>() / v.len() as f64,
        _ => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
            let n = 1024;
            (0..n).map(|_| to_secs_f64(d.sample(&mut rng))).sum::<f64>() / n as f64
        }
    }
}

/// A problem of the estimate: the key it concerns and the message.
pub type Finding = (&'static str, String);

impl Work {
    /// Refusals and warnings for a run of `replications` of this work (times
    /// `points` for a sweep).
    pub fn check(&self, replications: u32, points: usize) -> (Vec<Finding>, Vec<Finding>) {
        let (mut refuse, mut warn) = (Vec::new(), Vec::new());
        if self.intervals > MAX_INTERVALS {
            refuse.push((
                "simulation.interval",
                format!(
                    "warm-up and duration span {} reporting intervals, more than the maximum of {MAX_INTERVALS}: use a longer interval or a shorter duration",
                    self.intervals
                ),
            ));
        }
        let runs = replications as f64 * points as f64;
        let events = self.events * runs;
        let what = format!(
            "about {} chats and {} events per replication, {} replication{}{}",
            sci(self.chats),
            sci(self.events),
            replications,
            if replications == 1 { "" } else { "s" },
            if points > 1 {
                format!(" at each of {points} points")
            } else {
                String::new()
            }
        );
        // An infinite or NaN estimate is refused too.
        if events.is_nan() || events > MAX_EVENTS {
            refuse.push((
                "simulation",
                format!(
                    "the run would take {what}: {} events in all, more than the limit of {}; lower the rates, shorten simulation.duration or use fewer replications",
                    sci(events),
                    sci(MAX_EVENTS)
                ),
            ));
        } else if events > WARN_EVENTS {
            warn.push((
                "simulation",
                format!("a long run: {what} ({} events in all)", sci(events)),
            ));
        }
        (refuse, warn)
    }

    /// A warning when `replications` runs would write large files, with
    /// the sessions written as `sessions` (only `run` writes them; a sweep
    /// or a staffing plan writes per-point figures).
    pub fn output_warning(&self, replications: u32, sessions: SessionsOut) -> Option<String> {
        let per_run = self.other_bytes
            + match sessions {
                SessionsOut::Csv => self.session_bytes,
                SessionsOut::Zstd => self.session_bytes / ZSTD_RATIO,
                SessionsOut::Omitted => 0.0,
            };
        let bytes = per_run * f64::from(replications);
        // (NaN: no warning; `check` refuses such an estimate.)
        if bytes.is_nan() || bytes <= WARN_OUTPUT_BYTES {
            return None;
        }
        let gb = bytes / 1e9;
        Some(match sessions {
            SessionsOut::Csv => format!(
                "the output files will take about {gb:.1} GB: --zstd writes the sessions about {ZSTD_RATIO:.0}x smaller (sessions.csv.zst), --no-sessions leaves them out"
            ),
            SessionsOut::Zstd => format!(
                "the output files will take about {gb:.1} GB with sessions.csv.zst: --no-sessions leaves the sessions out"
            ),
            SessionsOut::Omitted => format!("the output files will take about {gb:.1} GB"),
        })
    }
}

/// 2.9e10, 38880: short numbers for messages.
fn sci(v: f64) -> String {
    if v < 1e6 {
        format!("{v:.0}")
    } else {
        format!("{v:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(events: f64, intervals: u64) -> Work {
        Work {
            chats: events / EVENTS_PER_CHAT,
            events,
            intervals,
            session_bytes: 0.0,
            other_bytes: 0.0,
        }
    }

    /// The size warning follows the sessions' form: sessions.csv warns from
    /// 1 GB, the zstd form from about 4.7 GB of sessions.csv, none without
    /// sessions unless the other files alone are large.
    #[test]
    fn output_warning_follows_the_sessions_form() {
        let w = Work {
            session_bytes: 0.4e9,
            other_bytes: 1e6,
            ..work(1e6, 100)
        };
        let csv = w.output_warning(3, SessionsOut::Csv).expect("1.2 GB warns");
        assert!(
            csv.contains("about 1.2 GB") && csv.contains("--zstd"),
            "{csv}"
        );
        assert_eq!(w.output_warning(2, SessionsOut::Csv), None, "0.8 GB");
        assert_eq!(w.output_warning(3, SessionsOut::Zstd), None, "0.26 GB");
        let z = w.output_warning(20, SessionsOut::Zstd).expect("1.7 GB");
        assert!(z.contains("about 1.7 GB with sessions.csv.zst"), "{z}");
        assert_eq!(w.output_warning(900, SessionsOut::Omitted), None);
        let big = Work {
            other_bytes: 2e9,
            ..w
        };
        assert!(big.output_warning(1, SessionsOut::Omitted).is_some());
    }

    #[test]
    fn refuses_and_warns_at_the_stated_limits() {
        let (r, w) = work(1e6, 100).check(10, 1);
        assert!(r.is_empty() && w.is_empty(), "{r:?} {w:?}");
        let (r, w) = work(1e6, 100).check(1000, 1);
        assert!(r.is_empty() && w.len() == 1, "{r:?} {w:?}");
        let (r, _) = work(1e6, 100).check(100_000, 1);
        assert!(r[0].1.contains("more than the limit of 1.0e10"), "{r:?}");
        let (r, _) = work(1e6, 100).check(1000, 100);
        assert!(r[0].1.contains("at each of 100 points"), "{r:?}");
        let (r, _) = work(1.0, MAX_INTERVALS + 1).check(1, 1);
        assert_eq!(r[0].0, "simulation.interval");
        let (r, _) = work(f64::INFINITY, 1).check(1, 1);
        assert_eq!(r.len(), 1, "an infinite estimate is refused");
    }

    #[test]
    fn means_of_samplers() {
        assert_eq!(mean_secs(&Dist::Constant(2_000_000)), 2.0);
        let u = Dist::Uniform {
            min: 1_000_000,
            span: 2_000_000,
        };
        assert_eq!(mean_secs(&u), 2.0);
        let e = Dist::Exponential(rand_distr::Exp::new(1.0 / 60.0).unwrap());
        assert!((mean_secs(&e) - 60.0).abs() < 6.0, "{}", mean_secs(&e));
    }
}
