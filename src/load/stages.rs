//! The load tester's flags that are not the engine's: `--stage` ramps of the
//! offered load over wall time, scale factors, wall durations and `--from`.

use crate::model::civil::{parse_civil, parse_clock, parse_weekday, DAY, WEEK};
use crate::model::time::MICROS_PER_SEC;
use crate::model::{Scenario, Time};
use crate::scenario::units::parse_duration;

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

/// `--from`: "mon 10:00" (the first such moment at or after the
/// simulation's start) or a local date-time "2026-11-24T10:00"; the
/// simulated time of it.
pub fn parse_from(scn: &Scenario, s: &str) -> Result<Time, String> {
    let hint = "expected a weekday and time such as `mon 10:00` or a local date-time such as `2026-11-24T10:00`";
    let at = match s.trim().split_once(' ') {
        Some((day, clock)) => {
            let wd = parse_weekday(day).map_err(|e| format!("`{s}`: {e}; {hint}"))?;
            let tod = parse_clock(clock.trim()).map_err(|e| format!("`{s}`: {e}; {hint}"))?;
            let want = wd as Time * DAY + tod;
            (want + WEEK - scn.clock.time_of_week(0)) % WEEK
        }
        None => {
            let c = parse_civil(s.trim()).map_err(|e| format!("`{s}`: {e}; {hint}"))?;
            scn.clock.sim_time(c).ok_or_else(|| {
                format!("`{s}` is before the simulation's start (`simulation.start`); {hint}")
            })?
        }
    };
    if at >= scn.sim.measure_end() {
        return Err(format!(
            "`{s}` is {} after the simulation's start, at or after the end of its measured time ({}): no arrivals are left to pace",
            crate::model::time::format_duration(at),
            crate::model::time::format_duration(scn.sim.measure_end())
        ));
    }
    Ok(at)
}

/// Stages as a piecewise-linear rate over wall time, holding the last
/// target after the last stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Ramp {
    /// (start wall s, length s, rate at start, rate at end).
    segs: Vec<(f64, f64, f64, f64)>,
    hold: f64,
}

impl Ramp {
    pub fn new(stages: &[Stage]) -> Ramp {
        let (mut t, mut r) = (0.0, 0.0);
        let mut segs = Vec::new();
        for s in stages {
            let len = s.duration as f64 / MICROS_PER_SEC as f64;
            if len > 0.0 {
                segs.push((t, len, r, s.target));
                t += len;
            }
            r = s.target;
        }
        Ramp { segs, hold: r }
    }

    /// A constant rate (`--find-max` steps).
    pub fn constant(rate: f64) -> Ramp {
        Ramp {
            segs: Vec::new(),
            hold: rate,
        }
    }

    /// Total length in wall µs.
    pub fn wall_len(&self) -> Time {
        let end = self.segs.last().map_or(0.0, |s| s.0 + s.1);
        (end * MICROS_PER_SEC as f64).round() as Time
    }

    /// Arrivals per wall second at wall second `t`.
    pub fn rate_at(&self, t: f64) -> f64 {
        match self.segs.iter().find(|s| t < s.0 + s.1) {
            Some(&(t0, len, r0, r1)) => r0 + (r1 - r0) * (t - t0).max(0.0) / len,
            None => self.hold,
        }
    }

    /// The mean rate over the stages (the hold rate when there are none).
    pub fn mean(&self) -> f64 {
        let len: f64 = self.segs.iter().map(|s| s.1).sum();
        if len == 0.0 {
            return self.hold;
        }
        self.segs
            .iter()
            .map(|s| (s.2 + s.3) * 0.5 * s.1)
            .sum::<f64>()
            / len
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
        assert!(parse_stage("30s").unwrap_err().contains("no `:`"));
        assert!(parse_stage("x:5")
            .unwrap_err()
            .contains("`x` is not a duration"));
        assert!(parse_stage("5s:-1").unwrap_err().contains("not a rate"));
        assert!(parse_scale("0").is_err() && parse_scale("nan").is_err());
        assert!(parse_positive_duration("0s").unwrap_err().contains("zero"));
    }

    #[test]
    fn ramps_interpolate_and_hold() {
        let s = |d: u64, r: f64| Stage {
            duration: d * MICROS_PER_SEC,
            target: r,
        };
        let r = Ramp::new(&[s(2, 100.0), s(0, 300.0), s(2, 300.0)]);
        assert_eq!(r.wall_len(), 4 * MICROS_PER_SEC);
        assert_eq!(r.rate_at(0.0), 0.0);
        assert_eq!(r.rate_at(1.0), 50.0);
        assert_eq!(r.rate_at(3.0), 300.0);
        assert_eq!(r.rate_at(9.0), 300.0);
        assert_eq!(r.mean(), (100.0 + 600.0) / 4.0);
    }
}
