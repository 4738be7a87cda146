//! The arrival schedule of a load test, fixed before the test starts.
//!
//! The offered load is a piecewise-linear rate in arrivals per wall second
//! (`--rate-scale`, or k6-style `--stage D:X` ramps). Arrival times come from
//! inverting the cumulative rate Λ(t): the k-th arrival of a source is at
//! Λ⁻¹(E₁ + … + E_k) with unit exponentials E, which is exact for a
//! time-varying rate (never "draw the next gap from the current rate", which
//! Ciw documents as wrong). For a constant rate this is the same draw as the
//! engine's exponential gaps, from the same stream in the same order (gap,
//! then handle time and patience), so a live run replays `run`'s replication 0
//! workload up to rounding.
//!
//! A source with a `profile` rate follows its profile in scenario time when
//! the plan is the scenario's own (`RatePlan::scenario`, i.e. `--rate-scale`):
//! its intensity is inverted interval by interval as the engine does. Under
//! `--stage` ramps and `--find-max` steps it carries its share of the total by
//! its mean rate over the profile's period. Trace sources are refused
//! (`check_sources`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand_distr::{Distribution, Exp1};

use crate::behavior::rng::{stream, Rng, StreamKind};
use crate::model::civil::{Clock, DAY};
use crate::model::time::from_secs_f64;
use crate::model::time::MICROS_PER_SEC;
use crate::model::{ArrivalPattern, ArrivalSource, Scenario, SourceId, Time};
use crate::scenario::units::parse_duration;

/// Patience of a customer who never hangs up.
pub const NEVER: Time = Time::MAX;

/// One `--stage D:X`: ramp linearly to `target` arrivals per wall second over
/// `duration` (wall µs), starting from the previous stage's target (0 first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    pub duration: Time,
    pub target: f64,
}

const STAGE_HINT: &str =
    "expected DURATION:RATE such as `30s:1000` (ramp to 1000 arrivals per wall second over 30 s)";

/// Parses `--stage` (clap value parser; clap names the flag).
pub fn parse_stage(s: &str) -> Result<Stage, String> {
    let (d, r) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}` has no `:`; {STAGE_HINT}"))?;
    let duration =
        parse_duration(d).map_err(|e| format!("`{d}` is not a duration ({e}); {STAGE_HINT}"))?;
    let target = r
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| {
            format!("`{r}` is not a rate: expected a number >= 0 of arrivals per wall second; {STAGE_HINT}")
        })?;
    Ok(Stage { duration, target })
}

/// Parses a scale factor (`--time-scale`, `--rate-scale`): finite and > 0.
pub fn parse_scale(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(_) => Err(format!(
            "`{s}` must be a positive number such as 1, 0.5 or 60"
        )),
        Err(_) => Err(format!(
            "`{s}` is not a number; expected a positive number such as 1, 0.5 or 60"
        )),
    }
}

/// Parses a wall-clock duration that must be > 0 (`--duration`, `--step`).
pub fn parse_positive_duration(s: &str) -> Result<Time, String> {
    match parse_duration(s)? {
        0 => Err(format!(
            "`{s}` is zero; expected a positive duration such as 30s or 2m"
        )),
        d => Ok(d),
    }
}

#[derive(Debug, Clone, Copy)]
struct Seg {
    t0: f64,
    len: f64,
    r0: f64,
    r1: f64,
    /// Λ at t0.
    area0: f64,
}

impl Seg {
    fn area(&self) -> f64 {
        (self.r0 + self.r1) * 0.5 * self.len
    }
}

/// A piecewise-linear rate λ(t), t in wall seconds, holding the last rate
/// after the last segment.
#[derive(Debug, Clone)]
pub struct RatePlan {
    segs: Vec<Seg>,
    hold: f64,
    end_t: f64,
    end_area: f64,
    /// Set for the scenario's own rates (`scenario`): profile sources follow
    /// their profile in scenario time at (rate scale, time scale).
    follow: Option<(f64, f64)>,
}

/// The long-run mean rate of a source, arrivals per scenario second (a
/// profile's mean over its period; 0 for a trace).
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
        ArrivalPattern::Trace(_) => 0.0,
    }
}

/// Refuses what the live driver cannot generate: trace sources, and a
/// scenario without any arrivals.
pub fn check_sources(scn: &Scenario) -> Result<(), String> {
    if scn.sources.is_empty() {
        return Err(
            "the scenario has no [[arrivals]]: a load test needs at least one arrival source"
                .into(),
        );
    }
    if let Some(i) = scn
        .sources
        .iter()
        .position(|s| matches!(s.pattern, ArrivalPattern::Trace(_)))
    {
        return Err(format!(
            "[[arrivals]] #{} replays a trace: `routesim load` generates Poisson arrivals only (a `rate` or a `profile`); use `routesim run` for traces",
            i + 1
        ));
    }
    if let Some(i) = scn.sources.iter().position(|s| s.direct_user.is_some()) {
        return Err(format!(
            "[[arrivals]] #{} contacts a user directly through Interact: those chats never reach the router, so `routesim load` does not generate them; remove the source or use `routesim run`",
            i + 1
        ));
    }
    if scn.sources.iter().map(mean_rate).sum::<f64>() <= 0.0 {
        return Err("every [[arrivals]] rate is 0: nothing to load-test with".into());
    }
    Ok(())
}

impl RatePlan {
    pub fn constant(rate: f64) -> RatePlan {
        RatePlan {
            segs: Vec::new(),
            hold: rate,
            end_t: 0.0,
            end_area: 0.0,
            follow: None,
        }
    }

    /// The scenario's own rates x `rate_scale`, `time_scale` scenario seconds
    /// per wall second: constant sources at their rate, profile sources
    /// following their profile. `rate_at` reports the mean total.
    pub fn scenario(scn: &Scenario, rate_scale: f64, time_scale: f64) -> RatePlan {
        let total: f64 = scn.sources.iter().map(mean_rate).sum();
        RatePlan {
            follow: Some((rate_scale, time_scale)),
            ..RatePlan::constant(total * rate_scale * time_scale)
        }
    }

    /// Stages ramp from 0; zero-length stages jump.
    pub fn stages(stages: &[Stage]) -> RatePlan {
        let mut segs = Vec::with_capacity(stages.len());
        let (mut t, mut r, mut area) = (0.0, 0.0, 0.0);
        for s in stages {
            let len = s.duration as f64 / MICROS_PER_SEC as f64;
            if len > 0.0 {
                let seg = Seg {
                    t0: t,
                    len,
                    r0: r,
                    r1: s.target,
                    area0: area,
                };
                area += seg.area();
                t += len;
                segs.push(seg);
            }
            r = s.target;
        }
        RatePlan {
            segs,
            hold: r,
            end_t: t,
            end_area: area,
            follow: None,
        }
    }

    /// Total length of the stages in wall µs (0 for a constant plan).
    pub fn stages_len(&self) -> Time {
        (self.end_t * MICROS_PER_SEC as f64).round() as Time
    }

    /// λ(t) in arrivals per wall second.
    pub fn rate_at(&self, t: f64) -> f64 {
        match self.segs.iter().find(|s| t < s.t0 + s.len) {
            Some(s) if t >= s.t0 => s.r0 + (s.r1 - s.r0) * (t - s.t0) / s.len,
            Some(_) => 0.0,
            None => self.hold,
        }
    }

    /// Λ(t): expected arrivals in [0, t).
    pub fn cumulative(&self, t: f64) -> f64 {
        if t >= self.end_t {
            return self.end_area + self.hold * (t - self.end_t);
        }
        let s = self.segs[self.segs.partition_point(|s| s.t0 + s.len <= t)];
        let x = t - s.t0;
        s.area0 + s.r0 * x + (s.r1 - s.r0) / (2.0 * s.len) * x * x
    }

    /// The t with Λ(t) = `target`; None when the rate stays 0 before it.
    pub fn inverse(&self, target: f64) -> Option<f64> {
        if target >= self.end_area {
            if self.hold <= 0.0 {
                return None;
            }
            return Some(self.end_t + (target - self.end_area) / self.hold);
        }
        let i = self.segs.partition_point(|s| s.area0 + s.area() <= target);
        let s = self.segs[i];
        let d = target - s.area0;
        // Solve r0·x + a·x² = d with a = (r1 - r0) / 2L; this form of the
        // root stays accurate when a is near 0.
        let a = (s.r1 - s.r0) / (2.0 * s.len);
        let disc = (s.r0 * s.r0 + 4.0 * a * d).max(0.0);
        let den = s.r0 + disc.sqrt();
        let x = if den > 0.0 { 2.0 * d / den } else { 0.0 };
        Some(s.t0 + x.clamp(0.0, s.len))
    }
}

/// One customer of the plan: when (wall µs from the start), from which
/// source, and the workload drawn for it (scenario µs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    pub due: Time,
    pub source: SourceId,
    pub handle: Time,
    pub patience: Time,
}

struct SourceGen {
    rng: Rng,
    /// Share of the plan's rate this source carries.
    weight: f64,
    /// Λ units consumed so far by this source.
    cum: f64,
    /// A profile followed in scenario time: the scenario µs of the last arrival.
    profile_at: Option<Time>,
    next_due: Option<Time>,
}

/// The next arrival of a profile source after scenario time `now`, with
/// `mass` a unit exponential over `rate_scale` (the engine's inversion, on
/// scaled rates). None when the profile has no positive rate.
fn next_profile(src: &ArrivalSource, clock: &Clock, now: Time, mut mass: f64) -> Option<Time> {
    let ArrivalPattern::Profile {
        interval,
        rates,
        period,
    } = &src.pattern
    else {
        return None;
    };
    if !rates.iter().any(|r| *r > 0.0) {
        return None;
    }
    let mut t = now;
    loop {
        let tow = clock.time_of_week(t);
        let pos = if *period == DAY {
            tow % DAY
        } else {
            tow % period
        };
        let k = (pos / interval) as usize % rates.len();
        let seg_end = clock.advance(t, interval - pos % interval);
        let r = rates[k];
        let span_s = (seg_end - t) as f64 / MICROS_PER_SEC as f64;
        if r * span_s >= mass {
            return Some((t + from_secs_f64(mass / r)).max(now + 1));
        }
        mass -= r * span_s;
        t = seg_end;
    }
}

/// The merged arrival stream of all sources, up to `end` (wall µs).
pub struct Schedule<'s> {
    scn: &'s Scenario,
    plan: RatePlan,
    sources: Vec<SourceGen>,
    heap: BinaryHeap<Reverse<(Time, SourceId)>>,
    end: Time,
}

impl<'s> Schedule<'s> {
    /// `plan` is the tenant's total rate; each source carries its share of
    /// the scenario's rates. Streams are replication 0's.
    pub fn new(scn: &'s Scenario, plan: RatePlan, end: Time) -> Schedule<'s> {
        let total: f64 = scn.sources.iter().map(mean_rate).sum();
        let follow = plan.follow.is_some();
        let mut sched = Schedule {
            scn,
            plan,
            sources: scn
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| SourceGen {
                    rng: stream(scn.sim.seed, 0, StreamKind::Arrivals, i as u32),
                    weight: mean_rate(s) / total,
                    cum: 0.0,
                    profile_at: (follow && matches!(s.pattern, ArrivalPattern::Profile { .. }))
                        .then_some(0),
                    next_due: None,
                })
                .collect(),
            heap: BinaryHeap::new(),
            end,
        };
        for i in 0..sched.sources.len() {
            sched.advance(i as SourceId);
        }
        sched
    }

    /// Draws the source's next arrival time.
    fn advance(&mut self, src: SourceId) {
        let g = &mut self.sources[src as usize];
        let e: f64 = Exp1.sample(&mut g.rng);
        g.next_due =
            if let (Some(at), Some((rate_scale, time_scale))) = (g.profile_at, self.plan.follow) {
                let spec = &self.scn.sources[src as usize];
                let next = next_profile(spec, &self.scn.clock, at, e / rate_scale);
                g.profile_at = next;
                next.map(|t| (t as f64 / time_scale).round() as Time)
            } else if g.weight > 0.0 {
                g.cum += e / g.weight;
                self.plan
                    .inverse(g.cum)
                    .map(|t| (t * MICROS_PER_SEC as f64).round() as Time)
            } else {
                None
            };
        g.next_due = g.next_due.filter(|&d| d < self.end);
        if let Some(d) = g.next_due {
            self.heap.push(Reverse((d, src)));
        }
    }

    /// When the next arrival is due, without taking it.
    pub fn peek_due(&self) -> Option<Time> {
        self.heap.peek().map(|Reverse((d, _))| *d)
    }
}

impl Iterator for Schedule<'_> {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        let Reverse((due, source)) = self.heap.pop()?;
        // The engine's order: the next gap first, then this customer's handle
        // time and patience.
        self.advance(source);
        let spec = &self.scn.sources[source as usize];
        let rng = &mut self.sources[source as usize].rng;
        let handle = spec.handle_time.as_ref().map_or(0, |d| d.sample(rng));
        let patience = spec.patience.as_ref().map_or(NEVER, |p| p.sample(rng));
        Some(Arrival {
            due,
            source,
            handle,
            patience,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_parsing_names_what_is_wrong() {
        assert_eq!(
            parse_stage("30s:1000").unwrap(),
            Stage {
                duration: 30 * MICROS_PER_SEC,
                target: 1000.0
            }
        );
        assert!(parse_stage("30s").unwrap_err().contains("has no `:`"));
        assert!(parse_stage("x:5")
            .unwrap_err()
            .contains("`x` is not a duration"));
        assert!(parse_stage("30s:-5").unwrap_err().contains("not a rate"));
        assert!(parse_stage("30s:abc").unwrap_err().contains("not a rate"));
        assert!(parse_scale("-1").unwrap_err().contains("positive"));
        assert!(parse_scale("0").is_err());
        assert!(parse_scale("NaN").is_err());
        assert_eq!(parse_scale("2.5").unwrap(), 2.5);
        assert!(parse_positive_duration("0s").unwrap_err().contains("zero"));
        assert!(parse_positive_duration("abc").is_err());
    }

    #[test]
    fn ramps_integrate_and_invert() {
        // 0 -> 100/s over 10 s, then 100 -> 50 over 10 s, then hold 50.
        let p = RatePlan::stages(&[
            Stage {
                duration: 10 * MICROS_PER_SEC,
                target: 100.0,
            },
            Stage {
                duration: 10 * MICROS_PER_SEC,
                target: 50.0,
            },
        ]);
        assert!((p.rate_at(5.0) - 50.0).abs() < 1e-9);
        assert!((p.rate_at(15.0) - 75.0).abs() < 1e-9);
        assert_eq!(p.rate_at(30.0), 50.0);
        assert!((p.cumulative(10.0) - 500.0).abs() < 1e-9);
        assert!((p.cumulative(20.0) - 1250.0).abs() < 1e-9);
        assert!((p.cumulative(22.0) - 1350.0).abs() < 1e-9);
        for t in [0.0, 0.3, 4.0, 9.99, 10.0, 13.7, 19.5, 25.0] {
            let back = p.inverse(p.cumulative(t)).unwrap();
            assert!((back - t).abs() < 1e-6, "t={t} back={back}");
        }
        assert_eq!(p.stages_len(), 20 * MICROS_PER_SEC);
        // A plan that ends at rate 0 never reaches more than its area.
        let z = RatePlan::stages(&[Stage {
            duration: MICROS_PER_SEC,
            target: 0.0,
        }]);
        assert_eq!(z.inverse(1.0), None);
    }

    fn scenario(rate: &str) -> Scenario {
        crate::scenario::load_str(std::path::Path::new("t.toml"), &scenario_text(rate), &[])
            .unwrap()
            .scenario
    }

    fn scenario_text(rate: &str) -> String {
        format!(
            r#"
[simulation]
duration = "1h"
seed = 3
[tenant]
modalities = ["im"]
[[services]]
id = "s"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "w"
[[users]]
id = "a"
services = ["s"]
licenses = ["im"]
[[arrivals]]
service = "s"
channel = "interact"
rate = "{rate}"
handle_time = "10s"
[[arrivals]]
service = "s"
channel = "interact"
rate = "{rate}"
handle_time = "20s"
[workflows.w]
start = "a"
steps.a = {{ do = "accept", next = "q" }}
steps.q = {{ do = "queue_task" }}
"#
        )
    }

    #[test]
    fn schedule_follows_a_ramp_and_is_sorted() {
        let scn = scenario("1/s");
        // 0 -> 2000/s over 4 s: expect 1000 arrivals in [0,2) and 3000 in [2,4).
        let plan = RatePlan::stages(&[Stage {
            duration: 4 * MICROS_PER_SEC,
            target: 2000.0,
        }]);
        let arr: Vec<Arrival> = Schedule::new(&scn, plan, 4 * MICROS_PER_SEC).collect();
        assert!(arr.windows(2).all(|w| w[0].due <= w[1].due), "sorted");
        let first = arr.iter().filter(|a| a.due < 2 * MICROS_PER_SEC).count() as f64;
        let second = arr.len() as f64 - first;
        // Poisson counts: 5 standard deviations.
        assert!((first - 1000.0).abs() < 5.0 * 1000f64.sqrt(), "{first}");
        assert!((second - 3000.0).abs() < 5.0 * 3000f64.sqrt(), "{second}");
        // Both sources carry half, each with its own handle time.
        let a = arr.iter().filter(|a| a.source == 0).count() as f64;
        assert!((a / arr.len() as f64 - 0.5).abs() < 0.05);
        assert!(arr
            .iter()
            .all(|a| a.handle == (a.source as u64 + 1) * 10 * MICROS_PER_SEC));
        assert!(arr.iter().all(|a| a.patience == NEVER));
        // Deterministic from the seed.
        let again: Vec<Arrival> = Schedule::new(
            &scn,
            RatePlan::stages(&[Stage {
                duration: 4 * MICROS_PER_SEC,
                target: 2000.0,
            }]),
            4 * MICROS_PER_SEC,
        )
        .collect();
        assert_eq!(arr, again);
    }

    #[test]
    fn profile_sources_follow_their_profile_in_scenario_time() {
        // Even hours at 3600/h, odd hours quiet; 1 wall s = 1 scenario hour.
        let rates = (0..24)
            .map(|h| if h % 2 == 0 { "\"3600/h\"" } else { "\"0/h\"" })
            .collect::<Vec<_>>()
            .join(", ");
        let text = scenario_text("1/s").replacen(
            "rate = \"1/s\"",
            &format!("profile = {{ interval = \"1h\", rates = [{rates}] }}"),
            1,
        );
        let scn = crate::scenario::load_str(std::path::Path::new("t.toml"), &text, &[])
            .unwrap()
            .scenario;
        check_sources(&scn).unwrap();
        // Mean total: 1800/h + 1/s = 1.5/s.
        assert!((RatePlan::scenario(&scn, 1.0, 1.0).rate_at(0.0) - 1.5).abs() < 1e-9);
        let plan = RatePlan::scenario(&scn, 1.0, 3600.0);
        let per_s = |src: SourceId| {
            let mut n = [0f64; 4];
            Schedule::new(&scn, plan.clone(), 4 * MICROS_PER_SEC)
                .filter(|a| a.source == src)
                .for_each(|a| n[(a.due / MICROS_PER_SEC) as usize] += 1.0);
            n
        };
        let p = per_s(0);
        let (quiet, busy) = if p[0] == 0.0 { (0, 1) } else { (1, 0) };
        assert_eq!(p[quiet], 0.0, "{p:?}");
        assert_eq!(p[quiet + 2], 0.0, "{p:?}");
        for n in [p[busy], p[busy + 2]] {
            assert!((n - 3600.0).abs() < 5.0 * 60.0, "{p:?}");
        }
        // The constant source keeps its rate: 3600 per wall second.
        let c: f64 = per_s(1).iter().sum();
        assert!((c - 14_400.0).abs() < 5.0 * 120.0, "{c}");
    }

    #[test]
    fn constant_rate_count() {
        let scn = scenario("1/s");
        let n = Schedule::new(&scn, RatePlan::constant(5000.0), 2 * MICROS_PER_SEC).count() as f64;
        assert!((n - 10_000.0).abs() < 5.0 * 100.0, "{n}");
    }
}
