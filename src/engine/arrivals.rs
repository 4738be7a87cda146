//! Arrival generation per source. A time-varying rate is sampled exactly by
//! inverting the cumulative intensity across intervals (never from the rate
//! at the last arrival: that trap biases profiles, see ARCHITECTURE.md).

use rand_distr::{Distribution, Exp, Exp1};

use crate::behavior::rng::Rng;
use crate::model::civil::{Clock, DAY};
use crate::model::time::{from_secs_f64, Time, MICROS_PER_SEC};
use crate::model::{ArrivalPattern, ArrivalSource};

pub enum ArrivalGen {
    Constant(Exp<f64>),
    Profile(Segment),
    Trace { next: usize },
    Never,
}

/// The profile interval a draw last looked at: from `from` until `to` (the
/// interval's end, or an earlier UTC offset change) the rate is `rates[k]`.
/// Consecutive arrivals mostly fall in the same interval, so the next draw
/// reuses it instead of converting its time to the local clock again
/// (benches/year.toml: 1 % of the instructions). Exact: the interval divides the
/// profile's period (a day or a week) and local time runs alike with
/// simulated time until `to`, so a look from any time in [from, to) finds
/// the same `k` and `to`.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    from: Time,
    to: Time,
    k: usize,
}

impl Segment {
    const NONE: Segment = Segment {
        from: 1,
        to: 0,
        k: 0,
    };
}

impl ArrivalGen {
    pub fn new(src: &ArrivalSource) -> ArrivalGen {
        match &src.pattern {
            ArrivalPattern::Constant(r) if *r > 0.0 => {
                ArrivalGen::Constant(Exp::new(*r).expect("rate is positive"))
            }
            ArrivalPattern::Constant(_) => ArrivalGen::Never,
            ArrivalPattern::Profile { rates, .. } if rates.iter().any(|r| *r > 0.0) => {
                ArrivalGen::Profile(Segment::NONE)
            }
            ArrivalPattern::Profile { .. } => ArrivalGen::Never,
            ArrivalPattern::Trace(_) => ArrivalGen::Trace { next: 0 },
        }
    }

    /// Time of the next arrival after `now`, or None when there is none.
    /// For traces, also the row index of that arrival. `scale` (> 0)
    /// multiplies the source's rate (the load tester's stages); a trace
    /// ignores it.
    pub fn next(
        &mut self,
        src: &ArrivalSource,
        clock: &Clock,
        now: Time,
        rng: &mut Rng,
        scale: f64,
    ) -> Option<(Time, usize)> {
        match self {
            ArrivalGen::Never => None,
            ArrivalGen::Constant(exp) => {
                let gap = exp.sample(rng);
                // (A run's scale is 1: no division on every arrival.)
                let gap = if scale == 1.0 { gap } else { gap / scale };
                // At least 1 µs apart, so the clock always advances.
                Some((now + from_secs_f64(gap).max(1), 0))
            }
            ArrivalGen::Profile(seg) => {
                let ArrivalPattern::Profile {
                    interval,
                    rates,
                    period,
                } = &src.pattern
                else {
                    unreachable!("generator matches its pattern")
                };
                let draw: f64 = Exp1.sample(rng);
                let mut mass = draw / scale;
                let mut t = now;
                // Each pass consumes one interval of the profile; a full period
                // holds positive rate, so this ends.
                loop {
                    if !(seg.from..seg.to).contains(&t) {
                        let pos = position(clock, t, *period);
                        *seg = Segment {
                            from: t,
                            to: clock.advance(t, interval - pos % interval),
                            k: (pos / interval) as usize % rates.len(),
                        };
                    }
                    let (seg_end, r) = (seg.to, rates[seg.k]);
                    let span_s = (seg_end - t) as f64 / MICROS_PER_SEC as f64;
                    if r * span_s >= mass {
                        return Some(((t + from_secs_f64(mass / r)).max(now + 1), 0));
                    }
                    mass -= r * span_s;
                    t = seg_end;
                }
            }
            ArrivalGen::Trace { next } => {
                let ArrivalPattern::Trace(rows) = &src.pattern else {
                    unreachable!("generator matches its pattern")
                };
                let i = *next;
                *next += 1;
                rows.get(i).map(|r| (r.at.max(now), i))
            }
        }
    }
}

/// The rate of a (non-trace) source at time `t`, arrivals per simulated
/// second (0 for a trace).
pub fn rate_at(src: &ArrivalSource, clock: &Clock, t: Time) -> f64 {
    match &src.pattern {
        ArrivalPattern::Constant(r) => *r,
        ArrivalPattern::Profile {
            interval,
            rates,
            period,
        } => rates[(position(clock, t, *period) / interval) as usize % rates.len()],
        ArrivalPattern::Trace(_) => 0.0,
    }
}

/// The long-run mean rate of a source, arrivals per simulated second (a
/// profile's mean over its period; a trace's rows over its span).
pub fn mean_rate(src: &ArrivalSource) -> f64 {
    match &src.pattern {
        ArrivalPattern::Constant(r) => *r,
        ArrivalPattern::Profile {
            interval,
            rates,
            period,
        } => {
            let n = (period / interval).max(1) as usize;
            (0..n).map(|k| rates[k % rates.len()]).sum::<f64>() / n as f64
        }
        ArrivalPattern::Trace(rows) => match (rows.first(), rows.last()) {
            (Some(a), Some(b)) if b.at > a.at => {
                rows.len() as f64 / ((b.at - a.at) as f64 / MICROS_PER_SEC as f64)
            }
            _ => 0.0,
        },
    }
}

/// Position of `t` within the profile's period (a day or a week), local time.
fn position(clock: &Clock, t: Time, period: Time) -> Time {
    let tow = clock.time_of_week(t);
    if period == DAY {
        tow % DAY
    } else {
        tow % period
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behavior::rng::{stream, StreamKind};
    use crate::model::civil::parse_civil;
    use crate::model::Channel;

    #[test]
    fn profile_counts_follow_the_rates() {
        // Two hours per day at 3600/h then 0, 22 h at 360/h: per day 7200 + 7920 arrivals.
        let h = 3_600 * MICROS_PER_SEC;
        let mut rates = vec![1.0, 0.0];
        rates.extend(std::iter::repeat_n(0.1, 22));
        let src = ArrivalSource {
            service: 0,
            channel: Channel::Interact,
            pattern: ArrivalPattern::Profile {
                interval: h,
                rates,
                period: DAY,
            },
            handle_time: None,
            patience: None,
            priority: None,
            preferred: None,
            direct_user: None,
        };
        let clock = Clock::utc(parse_civil("2026-11-23T00:00").unwrap());
        let mut gen = ArrivalGen::new(&src);
        let mut rng = stream(3, 0, StreamKind::Arrivals, 0);
        let mut per_hour = [0u32; 24];
        let mut t = 0;
        let days = 20;
        while let Some((next, _)) = gen.next(&src, &clock, t, &mut rng, 1.0) {
            if next >= days * DAY {
                break;
            }
            per_hour[((next % DAY) / h) as usize] += 1;
            t = next;
        }
        assert_eq!(per_hour[1], 0, "no arrival in a zero-rate hour");
        let first = per_hour[0] as f64 / days as f64;
        assert!(
            (first - 3600.0).abs() < 3.0 * (3600.0f64 / days as f64).sqrt() * 2.0,
            "{first}"
        );
        let rest: f64 = per_hour[2..].iter().map(|&c| c as f64).sum::<f64>() / days as f64;
        assert!((rest - 7920.0).abs() < 100.0, "{rest}");
    }

    /// A draw that reuses the interval of the draw before comes out as one
    /// that looks the interval up afresh: daily hourly profiles and weekly
    /// 7-hour ones, across both of Zurich's 2026 clock changes, at two
    /// scales, from the last arrival and from later times (a redraw).
    #[test]
    fn a_reused_interval_draws_as_a_fresh_look() {
        let h = 3_600 * MICROS_PER_SEC;
        for (interval, n) in [(h, 24usize), (7 * h, 24)] {
            let rates = (0..n).map(|i| [0.01, 0.0, 0.05, 0.002][i % 4]).collect();
            let src = ArrivalSource {
                service: 0,
                channel: Channel::Interact,
                pattern: ArrivalPattern::Profile {
                    interval,
                    rates,
                    period: interval * n as Time,
                },
                handle_time: None,
                patience: None,
                priority: None,
                preferred: None,
                direct_user: None,
            };
            for start in ["2026-03-27T00:00", "2026-10-23T00:00"] {
                let clock =
                    Clock::zoned(parse_civil(start).unwrap(), "Europe/Zurich", 30 * DAY).unwrap();
                let mut reused = ArrivalGen::new(&src);
                let mut r1 = stream(5, 0, StreamKind::Arrivals, 0);
                let mut r2 = stream(5, 0, StreamKind::Arrivals, 0);
                let mut t = 0;
                for i in 0..20_000u64 {
                    let scale = if i % 7 == 0 { 0.5 } else { 1.0 };
                    let a = reused.next(&src, &clock, t, &mut r1, scale);
                    let b = ArrivalGen::new(&src).next(&src, &clock, t, &mut r2, scale);
                    assert_eq!(a, b, "draw {i} from {t} ({start})");
                    let next = a.expect("a positive rate").0;
                    // Now and then the next draw starts between arrivals.
                    t = if i % 5 == 0 { t + (next - t) / 2 } else { next };
                }
                assert!(t > 3 * DAY, "the draws cross the clock change ({start})");
            }
        }
    }
}
