//! `--find-max`: the highest arrival rate the paced simulation sustains.
//!
//! Each step is a fresh live test (every tenant from the scenario's start,
//! nothing written) at a constant rate per tenant for a short fixed wall
//! time. The rate doubles while steps pass, halves while they fail, then
//! bisects between the best pass and the lowest failure until they are within
//! `precision`. A step passes when the p99 decision latency and the p99 timer
//! lateness are within their limits and arrivals kept up: no shortfall
//! against the plan, at most 1 % later than `late_after`. A failed
//! step is run once more and fails only if the repeat fails too: saturation
//! is reproducible, while a burst of another process's load on a shared
//! machine is not (both runs are rows of find_max.csv).

use super::stages::Ramp;
use super::{run_tenants, runtime, total_figures, LoadError, LoadOptions};
use crate::engine::sink::NullSinks;
use crate::model::time::MICROS_PER_SEC;
use crate::model::{Scenario, Time};
use crate::report::fmt::num;

#[derive(Debug, Clone)]
pub struct FindMaxOptions {
    /// First rate tried, arrivals per wall second.
    pub start_rate: f64,
    /// Wall µs per step.
    pub step: Time,
    pub max_p99_us: f64,
    pub max_lag_ms: f64,
    /// Largest share of arrivals later than `LoadOptions::late_after`.
    pub max_late_share: f64,
    pub max_steps: u32,
    /// Repeats of a failed step before it counts as failed.
    pub retries: u32,
    /// Stop bisecting when (fail - pass) / pass is at most this.
    pub precision: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepResult {
    pub step: u32,
    /// Planned arrivals per wall second (all tenants).
    pub rate: f64,
    /// Arrivals handled per wall second.
    pub arrivals_per_s: f64,
    pub decisions_per_s: f64,
    pub decision_p50_us: f64,
    pub decision_p99_us: f64,
    pub timer_lag_p99_ms: f64,
    pub late: u64,
    /// Arrivals short of the plan.
    pub dropped: u64,
    pub ok: bool,
    /// Why the step failed; empty when it passed.
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct FindMax {
    pub steps: Vec<StepResult>,
    /// Index in `steps` of the highest passing rate.
    pub best: Option<usize>,
    pub interrupted: bool,
}

impl FindMax {
    pub fn best(&self) -> Option<&StepResult> {
        self.best.map(|i| &self.steps[i])
    }
}

pub const FIND_MAX_HEADER: &str = "step,rate_per_s,arrivals_per_s,decisions_per_s,decision_p50_us,decision_p99_us,timer_lag_p99_ms,late,dropped,ok,reason\n";

/// find_max.csv: one row per step.
pub fn find_max_csv(fm: &FindMax) -> String {
    let mut s = String::from(FIND_MAX_HEADER);
    for r in &fm.steps {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            r.step,
            num(r.rate.round()),
            num(r.arrivals_per_s.round()),
            num(r.decisions_per_s.round()),
            num(r.decision_p50_us),
            num(r.decision_p99_us),
            num(r.timer_lag_p99_ms),
            r.late,
            r.dropped,
            r.ok,
            r.reason
        ));
    }
    s
}

fn judge(fm: &FindMaxOptions, r: &mut StepResult, handled: u64) {
    let mut why = Vec::new();
    // NaN (no data) is not within a limit.
    let within = |v: f64, limit: f64| v <= limit;
    if !within(r.decision_p99_us, fm.max_p99_us) {
        why.push(format!(
            "decision p99 {}us > {}us",
            num(r.decision_p99_us),
            num(fm.max_p99_us)
        ));
    }
    if !within(r.timer_lag_p99_ms, fm.max_lag_ms) {
        why.push(format!(
            "timer lag p99 {}ms > {}ms",
            num(r.timer_lag_p99_ms),
            num(fm.max_lag_ms)
        ));
    }
    if r.dropped > 0 {
        why.push(format!("{} arrivals short of the plan", r.dropped));
    }
    if r.late as f64 > fm.max_late_share * handled.max(1) as f64 {
        why.push(format!("{} late arrivals", r.late));
    }
    r.ok = why.is_empty();
    r.reason = why.join("; ");
}

/// Runs the search; `on_step` sees each step as it ends. Ctrl-C ends the
/// search with the steps done so far (the interrupted step does not count).
pub fn find_max(
    scn: &Scenario,
    base: &LoadOptions,
    fm: &FindMaxOptions,
    on_step: &mut dyn FnMut(&StepResult),
) -> Result<FindMax, LoadError> {
    let rt = runtime()?;
    let mut out = FindMax {
        steps: Vec::new(),
        best: None,
        interrupted: false,
    };
    let (mut pass, mut fail): (Option<f64>, Option<f64>) = (None, None);
    let mut rate = fm.start_rate;
    for step in 1..=fm.max_steps {
        let mut r = None;
        for _ in 0..=fm.retries {
            let Some(attempt) = run_step(&rt, scn, base, fm, step, rate) else {
                out.interrupted = true;
                break;
            };
            on_step(&attempt);
            let ok = attempt.ok;
            out.steps.push(attempt);
            r = Some(out.steps.len() - 1);
            if ok {
                break;
            }
        }
        if out.interrupted {
            break;
        }
        let i = r.expect("at least one attempt");
        if out.steps[i].ok {
            if pass.is_none_or(|p| rate > p) {
                pass = Some(rate);
                out.best = Some(i);
            }
        } else if fail.is_none_or(|f| rate < f) {
            fail = Some(rate);
        }
        rate = match (pass, fail) {
            (Some(p), None) => p * 2.0,
            (None, Some(f)) => f / 2.0,
            (Some(p), Some(f)) if (f - p) / p > fm.precision => (p + f) / 2.0,
            _ => break,
        };
    }
    Ok(out)
}

/// One live test at `rate` arrivals per wall second (shared by the
/// tenants); None when Ctrl-C interrupted it.
fn run_step(
    rt: &tokio::runtime::Runtime,
    scn: &Scenario,
    base: &LoadOptions,
    fm: &FindMaxOptions,
    step: u32,
    rate: f64,
) -> Option<StepResult> {
    let opts = LoadOptions {
        duration: Some(fm.step),
        ramp: Some(Ramp::constant(rate / base.tenants as f64)),
        ..base.clone()
    };
    let scn = opts.scenario(scn).expect("the base options were checked");
    let ts = run_tenants(rt, &scn, &opts, |_| NullSinks, false, true, &mut |_| {});
    let ms: Vec<_> = ts.iter().map(|t| &t.measured).collect();
    if ms.iter().any(|m| m.interrupted) {
        return None;
    }
    let f = total_figures(&ms);
    let wall = ms.iter().map(|m| m.wall).max().unwrap_or(0).max(1);
    let arrivals: u64 = ms.iter().map(|m| m.total.arrivals).sum();
    let mut r = StepResult {
        step,
        rate,
        arrivals_per_s: arrivals as f64 / (wall as f64 / MICROS_PER_SEC as f64),
        decisions_per_s: f.decisions_per_s,
        decision_p50_us: f.decision_p50_us,
        decision_p99_us: f.decision_p99_us,
        timer_lag_p99_ms: f.timer_lag_p99_ms,
        late: f.late_arrivals as u64,
        dropped: f.dropped_arrivals as u64,
        ok: false,
        reason: String::new(),
    };
    judge(fm, &mut r, arrivals);
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(p99: f64) -> StepResult {
        StepResult {
            step: 1,
            rate: 1000.0,
            arrivals_per_s: 1000.0,
            decisions_per_s: 2000.0,
            decision_p50_us: 5.0,
            decision_p99_us: p99,
            timer_lag_p99_ms: 0.01,
            late: 0,
            dropped: 0,
            ok: false,
            reason: String::new(),
        }
    }

    #[test]
    fn judging_names_each_failure() {
        let fm = FindMaxOptions {
            start_rate: 1000.0,
            step: MICROS_PER_SEC,
            max_p99_us: 1000.0,
            max_lag_ms: 2.0,
            max_late_share: 0.01,
            max_steps: 10,
            retries: 1,
            precision: 0.05,
        };
        let mut ok = step(900.0);
        judge(&fm, &mut ok, 1000);
        assert!(ok.ok && ok.reason.is_empty());
        let mut slow = step(1500.0);
        slow.dropped = 3;
        slow.late = 11;
        judge(&fm, &mut slow, 1000);
        assert!(!slow.ok);
        assert!(slow.reason.contains("decision p99 1500us > 1000us"));
        assert!(slow.reason.contains("3 arrivals short of the plan"));
        assert!(slow.reason.contains("11 late arrivals"));
        // Undefined latency (no decisions at all) is not a pass.
        let mut none = step(f64::NAN);
        judge(&fm, &mut none, 0);
        assert!(!none.ok);
        let csv = find_max_csv(&FindMax {
            steps: vec![ok, slow],
            best: Some(0),
            interrupted: false,
        });
        assert_eq!(csv.lines().count(), 3);
        assert!(csv
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("1,1000,1000,2000,5,900,0.01,0,0,true,"));
    }
}
