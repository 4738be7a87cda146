//! Thresholds (CI gates): `[service:]metric OP value`, e.g.
//! `support:wait_p95_s<60`, `p_abandon<=0.05`, `*:failed==0`. k6-style sugar
//! is normalised to that form: `p95(wait)<60s` -> `*:wait_p95_s<60`.
//! Each is evaluated on the mean over replications after all results are in,
//! or with a `@upper` / `@lower` suffix on the metric (`wait_p95_s@upper<60`)
//! on that end of the 95 % confidence interval: a gate that holds only when
//! the simulation is confident, not just lucky in its mean.

use serde::Serialize;

use super::per_interval::IntervalFigures;
use crate::model::Scenario;
use crate::scenario::units::parse_duration;
use crate::stats::ci::Estimate;
use crate::stats::{
    any_metric_index, metric_index, metric_name, LOAD_METRICS, METRICS, N_METRICS, SHARES,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// Which figure of a metric's estimate a threshold tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Mean,
    /// mean + ci95
    Upper,
    /// mean - ci95
    Lower,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as the user wrote it.
    pub source: String,
    /// `*` for the tenant.
    pub service: String,
    pub metric: usize,
    pub bound: Bound,
    pub op: Op,
    pub value: f64,
    /// `every_interval:`: must hold in every reporting interval (judged on
    /// the interval's chats pooled over replications), not just overall.
    pub per_interval: bool,
}

/// The prefix of a per-interval threshold.
pub const EVERY_INTERVAL: &str = "every_interval:";

impl Threshold {
    /// The normalised contract form (re-parseable: `merge` re-evaluates it).
    pub fn expr(&self) -> String {
        let bound = match self.bound {
            Bound::Mean => "",
            Bound::Upper => "@upper",
            Bound::Lower => "@lower",
        };
        format!(
            "{}{}:{}{bound}{}{}",
            if self.per_interval {
                EVERY_INTERVAL
            } else {
                ""
            },
            self.service,
            metric_name(self.metric),
            self.op.symbol(),
            super::fmt::num_exact(self.value)
        )
    }

    /// The figure this threshold tests; NaN when undefined (no data, or no
    /// confidence interval with a single replication).
    pub fn observe(&self, est: Option<&Estimate>) -> f64 {
        match (est, self.bound) {
            (None, _) => f64::NAN,
            (Some(e), Bound::Mean) => e.mean,
            (Some(e), Bound::Upper) => e.mean + e.ci95,
            (Some(e), Bound::Lower) => e.mean - e.ci95,
        }
    }
}

/// A threshold's result: `{expr, observed, ok}` in summary.json.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub expr: String,
    pub observed: Option<f64>,
    pub ok: bool,
    /// Per-interval thresholds: the clock start of the worst interval (the
    /// one `observed` comes from) and how many intervals fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst_interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_intervals: Option<usize>,
}

fn sugar(metric: &str) -> Option<&'static str> {
    let m = metric.replace(' ', "");
    Some(match m.as_str() {
        "p50(wait)" | "med(wait)" => "wait_p50_s",
        "p90(wait)" => "wait_p90_s",
        "p95(wait)" => "wait_p95_s",
        "p99(wait)" => "wait_p99_s",
        "max(wait)" => "wait_max_s",
        "avg(wait)" | "mean(wait)" => "mean_wait_s",
        _ => return None,
    })
}

/// The parts of `[service:]metric OP value`, before the value is interpreted.
pub struct Parts<'a> {
    pub service: &'a str,
    pub metric: &'a str,
    pub op: Op,
    pub rhs: &'a str,
}

/// Splits an expression at its comparison; `service` is `*` when absent and
/// is checked against `services`.
pub fn split<'a>(src: &'a str, services: &[&str]) -> Result<Parts<'a>, String> {
    let ops = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let (pos, sym, op) = ops
        .iter()
        .filter_map(|(s, o)| src.find(s).map(|p| (p, *s, *o)))
        .min_by_key(|(p, s, _)| (*p, std::cmp::Reverse(s.len())))
        .ok_or_else(|| {
            format!("threshold `{src}` has no comparison; expected `[service:]metric OP value` such as `support:wait_p95_s<60`")
        })?;
    let lhs = src[..pos].trim();
    let rhs = src[pos + sym.len()..].trim();
    let (service, metric) = match lhs.rsplit_once(':') {
        Some((s, m)) if !m.contains(')') || !s.is_empty() => (s.trim(), m.trim()),
        _ => ("*", lhs),
    };
    let service = if service.is_empty() { "*" } else { service };
    if service != "*" && !services.contains(&service) {
        return Err(format!(
            "threshold `{src}`: unknown service `{service}`; expected `*` or one of {}",
            services.join(", ")
        ));
    }
    Ok(Parts {
        service,
        metric,
        op,
        rhs,
    })
}

/// A metric name (or k6-style sugar such as `p95(wait)`) to its index.
pub fn resolve_metric(src: &str, metric: &str) -> Result<usize, String> {
    resolve_metric_in(src, metric, false)
}

/// As `resolve_metric`; with `load`, the tenant-wide `LOAD_METRICS` resolve
/// too (indices `N_METRICS..`).
fn resolve_metric_in(src: &str, metric: &str, load: bool) -> Result<usize, String> {
    let name = sugar(metric).unwrap_or(metric);
    let found = if load {
        any_metric_index(name)
    } else {
        metric_index(name)
    };
    found.ok_or_else(|| {
        let mut names = METRICS.join(", ");
        if load {
            names = format!("{names}, {}", LOAD_METRICS.join(", "));
        }
        format!("threshold `{src}`: unknown metric `{metric}`; expected one of {names}")
    })
}

/// Parses a threshold of `run`; `services` are the valid service ids.
pub fn parse(src: &str, services: &[&str]) -> Result<Threshold, String> {
    parse_in(src, services, false)
}

/// Parses a threshold of `load`: the contract's metrics plus the tenant-wide
/// `LOAD_METRICS` (e.g. `decision_p99_us<1000`).
pub fn parse_load(src: &str, services: &[&str]) -> Result<Threshold, String> {
    parse_in(src, services, true)
}

fn parse_in(src: &str, services: &[&str], load: bool) -> Result<Threshold, String> {
    let full = src;
    let (per_interval, src) = match src.trim_start().strip_prefix(EVERY_INTERVAL) {
        Some(rest) if !load => (true, rest),
        Some(_) => {
            return Err(format!(
                "threshold `{src}`: `load` judges the whole test; every_interval: is for run, staff and sweep"
            ))
        }
        None => (false, src),
    };
    let mut t = parse_plain(src, services, load)?;
    t.source = full.to_string();
    if per_interval {
        let name = metric_name(t.metric);
        if !super::per_interval::PER_INTERVAL_METRICS.contains(&name) {
            return Err(format!(
                "threshold `{full}`: `{name}` is not judged per interval; expected one of {}",
                super::per_interval::PER_INTERVAL_METRICS.join(", ")
            ));
        }
        if t.bound != Bound::Mean {
            return Err(format!(
                "threshold `{full}`: @upper/@lower are not used per interval (an interval is judged on its chats pooled over replications)"
            ));
        }
        t.per_interval = true;
    }
    Ok(t)
}

fn parse_plain(src: &str, services: &[&str], load: bool) -> Result<Threshold, String> {
    let Parts {
        service,
        metric,
        op,
        rhs,
    } = split(src, services)?;
    let (metric, bound) = match metric.split_once('@') {
        None => (metric, Bound::Mean),
        Some((m, b)) => (
            m.trim(),
            match b.trim() {
                "upper" => Bound::Upper,
                "lower" => Bound::Lower,
                other => {
                    return Err(format!(
                        "threshold `{src}`: unknown bound `@{other}`; expected `@upper` or `@lower` (the ends of the 95 % confidence interval), or none for the mean"
                    ))
                }
            },
        ),
    };
    let metric = resolve_metric_in(src, metric, load)?;
    if metric >= N_METRICS && service != "*" {
        let name = metric_name(metric);
        return Err(format!(
            "threshold `{src}`: `{name}` is measured for the whole tenant only; write `*:{name}` or `{name}`"
        ));
    }
    let value = match rhs.parse::<f64>() {
        Ok(v) => v,
        Err(_) => match rhs.strip_suffix('%') {
            Some(p) => p
                .trim()
                .parse::<f64>()
                .map(|v| v / 100.0)
                .map_err(|_| bad_value(src, rhs))?,
            None => parse_duration(rhs)
                .map(|t| t as f64 / 1e6)
                .map_err(|_| bad_value(src, rhs))?,
        },
    };
    if !value.is_finite() {
        return Err(bad_value(src, rhs));
    }
    if let Some(range) = never_holds(metric, bound, op, value) {
        return Err(format!("threshold `{src}` can never hold: {range}"));
    }
    Ok(Threshold {
        source: src.to_string(),
        service: service.to_string(),
        metric,
        bound,
        op,
        value,
        per_interval: false,
    })
}

/// What the tested figure's range is, when `figure OP value` cannot hold for
/// any figure in it (a gate that always fails is a mistake: `>= 1.5` for
/// 1.5 %, a sign dropped). Every metric is at least 0 and a share at most 1;
/// a confidence bound may pass one end (a lower bound below 0).
fn never_holds(metric: usize, bound: Bound, op: Op, v: f64) -> Option<String> {
    let name = metric_name(metric);
    let share = SHARES.contains(&name);
    let lo = if bound == Bound::Lower {
        f64::NEG_INFINITY
    } else {
        0.0
    };
    let hi = if share && bound != Bound::Upper {
        1.0
    } else {
        f64::INFINITY
    };
    let possible = match op {
        Op::Lt => v > lo,
        Op::Le => v >= lo,
        Op::Gt => v < hi,
        Op::Ge => v <= hi,
        Op::Eq => (lo..=hi).contains(&v),
        Op::Ne => true,
    };
    (!possible).then(|| match (share, hi.is_finite()) {
        (true, true) => format!("`{name}` is a share from 0 to 1 (write 80 % as 0.8 or 80%)"),
        (true, false) => format!("`{name}` is a share, never below 0"),
        _ => format!("`{name}` is never below 0"),
    })
}

fn bad_value(src: &str, rhs: &str) -> String {
    format!("threshold `{src}`: `{rhs}` is not a number, a percentage or a duration")
}

/// Evaluates on an observed mean; an undefined value (no data) fails.
pub fn evaluate(t: &Threshold, observed: f64) -> Verdict {
    let defined = observed.is_finite();
    Verdict {
        expr: t.expr(),
        observed: defined.then_some(observed),
        ok: defined && t.op.holds(observed, t.value),
        worst_interval: None,
        failing_intervals: None,
    }
}

/// Judges a per-interval threshold in every interval: ok when it holds in
/// each interval that has chats to judge (an interval without, e.g. a
/// closed night, has no figure and passes); `observed` is the worst
/// interval's figure. `label` names interval `i` by its clock start.
pub fn evaluate_intervals(
    t: &Threshold,
    figs: &IntervalFigures,
    label: &dyn Fn(usize) -> String,
) -> Verdict {
    let name = metric_name(t.metric);
    // Worst = furthest on the failing side of the bound.
    let badness = |v: f64| match t.op {
        Op::Lt | Op::Le => v,
        Op::Gt | Op::Ge => -v,
        Op::Eq | Op::Ne => (v - t.value).abs(),
    };
    let mut worst: Option<(usize, f64)> = None;
    let mut failing = 0;
    for i in 0..figs.len() {
        let v = figs.value(i, &t.service, name);
        if !v.is_finite() {
            continue;
        }
        if !t.op.holds(v, t.value) {
            failing += 1;
        }
        if worst.is_none_or(|(_, w)| badness(v) > badness(w)) {
            worst = Some((i, v));
        }
    }
    Verdict {
        expr: t.expr(),
        observed: worst.map(|w| w.1),
        ok: failing == 0,
        worst_interval: worst.map(|(i, _)| label(i)),
        failing_intervals: Some(failing),
    }
}

/// Evaluates every threshold: whole-run ones on the summary, per-interval
/// ones on `figs` (the pooled figures and a label per interval index).
/// Without `figs` a per-interval threshold fails as not judged: no caller
/// may pass it silently.
pub fn evaluate_all(
    summary: &super::summary::Summary,
    ts: &[Threshold],
    figs: Option<(&IntervalFigures, &dyn Fn(usize) -> String)>,
) -> Vec<Verdict> {
    ts.iter()
        .map(|t| match (t.per_interval, figs) {
            (false, _) => evaluate(t, t.observe(summary.get(&t.service, metric_name(t.metric)))),
            (true, Some((f, label))) => evaluate_intervals(t, f, label),
            (true, None) => evaluate(t, f64::NAN),
        })
        .collect()
}

/// The thresholds a run (or sweep) judges: the scenario's `thresholds`
/// unless `skip_scenario` (`--no-thresholds`), then `cli`'s (`--threshold`),
/// parsed against the scenario's services.
pub fn gather(
    scn: &Scenario,
    cli: &[String],
    skip_scenario: bool,
) -> Result<Vec<Threshold>, String> {
    let names: Vec<&str> = scn.services.iter().map(|s| s.name.as_str()).collect();
    let from_scenario = scn.thresholds.iter().filter(|_| !skip_scenario);
    from_scenario.chain(cli).map(|e| parse(e, &names)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_and_sugar_forms() {
        let svc = ["support"];
        let t = parse("support:wait_p95_s<60", &svc).unwrap();
        assert_eq!(t.expr(), "support:wait_p95_s<60");
        assert_eq!(
            parse("p_abandon<=0.05", &svc).unwrap().expr(),
            "*:p_abandon<=0.05"
        );
        assert_eq!(parse("*:failed==0", &svc).unwrap().expr(), "*:failed==0");
        assert_eq!(
            parse("p95(wait) < 1m", &svc).unwrap().expr(),
            "*:wait_p95_s<60"
        );
        assert_eq!(
            parse("service_level>=80%", &svc).unwrap().expr(),
            "*:service_level>=0.8"
        );
        assert!(parse("sales:failed==0", &svc)
            .unwrap_err()
            .contains("unknown service"));
        assert!(parse("bogus<1", &svc)
            .unwrap_err()
            .contains("unknown metric"));
        assert!(parse("failed", &svc).is_err());
        assert!(parse("failed<abc", &svc).is_err());
    }

    #[test]
    fn load_metrics_only_where_measured() {
        let svc = ["support"];
        let t = parse_load("decision_p99_us<1000", &svc).unwrap();
        assert_eq!(t.expr(), "*:decision_p99_us<1000");
        assert!(t.metric >= N_METRICS);
        // Contract metrics keep their indices in both parsers.
        assert_eq!(
            parse_load("support:wait_p95_s<60", &svc).unwrap(),
            parse("support:wait_p95_s<60", &svc).unwrap()
        );
        assert!(parse("decision_p99_us<1000", &svc)
            .unwrap_err()
            .contains("unknown metric"));
        assert!(parse_load("support:decisions_per_s>1", &svc)
            .unwrap_err()
            .contains("whole tenant"));
    }

    /// The normalised form keeps the bound exactly (merge judges the
    /// shards' replications against the form it reads back).
    #[test]
    fn the_normalised_form_keeps_every_digit_of_the_bound() {
        for src in [
            "p_wait<0.1234567891",
            "mean_wait_s<=0.0000004",
            "service_level>=33.3333333%",
        ] {
            let t = parse(src, &[]).unwrap();
            let again = parse(&t.expr(), &[]).unwrap();
            assert_eq!(again.value, t.value, "{src} -> {}", t.expr());
            assert_eq!(again.expr(), t.expr());
        }
        assert_eq!(
            parse("p_wait<0.1234567891", &[]).unwrap().expr(),
            "*:p_wait<0.1234567891"
        );
    }

    /// A gate no figure could pass is refused; one at the edge of the
    /// figure's range, or on a confidence bound that may pass that edge, is
    /// not.
    #[test]
    fn thresholds_that_can_never_hold() {
        for (src, says) in [
            (
                "service_level>=1.5",
                "`service_level` is a share from 0 to 1",
            ),
            (
                "every_interval:p_wait>150%",
                "`p_wait` is a share from 0 to 1",
            ),
            ("p_abandon<=-0.05", "`p_abandon` is a share from 0 to 1"),
            ("engaged==2", "`engaged` is a share from 0 to 1"),
            ("mean_wait_s<0", "`mean_wait_s` is never below 0"),
            ("*:failed<0", "`failed` is never below 0"),
            ("p_abandon@upper<0", "`p_abandon` is a share, never below 0"),
            (
                "service_level@lower>1",
                "`service_level` is a share from 0 to 1",
            ),
        ] {
            let e = parse(src, &[]).expect_err(src);
            assert!(
                e.contains("can never hold") && e.contains(says),
                "{src}: {e}"
            );
        }
        for src in [
            "service_level>=1",
            "service_level>=100%",
            "p_abandon<=0",
            "failed==0",
            "mean_wait_s<0.001",
            "p_abandon@lower<=-0.01",
            "service_level@upper>1",
            "p_wait!=2",
        ] {
            assert!(parse(src, &[]).is_ok(), "{src}");
        }
    }

    #[test]
    fn verdicts() {
        let t = parse("wait_p95_s<60", &[]).unwrap();
        assert!(evaluate(&t, 59.0).ok);
        assert!(!evaluate(&t, 60.0).ok);
        assert!(!evaluate(&t, f64::NAN).ok);
    }

    #[test]
    fn confidence_bounds() {
        let est = Estimate {
            mean: 50.0,
            ci95: 15.0,
            min: 30.0,
            max: 70.0,
            n: 4,
        };
        let upper = parse("wait_p95_s@upper<60", &[]).unwrap();
        assert_eq!(upper.expr(), "*:wait_p95_s@upper<60");
        assert_eq!(upper.observe(Some(&est)), 65.0);
        assert!(!evaluate(&upper, upper.observe(Some(&est))).ok);
        let mean = parse("wait_p95_s<60", &[]).unwrap();
        assert!(evaluate(&mean, mean.observe(Some(&est))).ok);
        let lower = parse("support:service_level@lower>=80%", &["support"]).unwrap();
        assert_eq!(lower.expr(), "support:service_level@lower>=0.8");
        let e = Estimate {
            mean: 0.85,
            ci95: 0.1,
            ..est
        };
        assert!((lower.observe(Some(&e)) - 0.75).abs() < 1e-12);
        // The normalised form parses back to the same threshold.
        assert_eq!(parse(&upper.expr(), &[]).unwrap().expr(), upper.expr());
        // One replication: no interval, the gate cannot hold.
        let one = Estimate {
            ci95: f64::NAN,
            ..est
        };
        assert!(!evaluate(&upper, upper.observe(Some(&one))).ok);
        assert!(parse("p95(wait)@upper<1m", &[]).unwrap().expr() == "*:wait_p95_s@upper<60");
        assert!(parse("wait_p95_s@top<60", &[])
            .unwrap_err()
            .contains("unknown bound `@top`"));
    }
}
