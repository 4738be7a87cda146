//! `routesim compare`: per service and metric, the difference between two
//! results folders with a Welch 95 % confidence interval over their
//! replications, and a verdict that knows which direction is better.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::fmt::num;
use super::results::ResultDir;
use super::thresholds::{self, Op};
use crate::stats::ci::{estimate, welch, Estimate};
use crate::stats::METRICS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    LowerIsBetter,
    HigherIsBetter,
    /// Workload and utilisation figures: a change is neither good nor bad.
    Neutral,
}

/// Which way a metric should move.
pub fn direction(metric: &str) -> Direction {
    match metric {
        // Counts such as handled and offered follow the load: neutral.
        "service_level" | "acceptance_sla" | "reachability" => Direction::HigherIsBetter,
        "p_wait" | "mean_wait_s" | "asa_s" | "wait_p50_s" | "wait_p90_s" | "wait_p95_s"
        | "wait_p99_s" | "wait_max_s" | "abandoned" | "p_abandon" | "mean_queue_length"
        | "max_queue_length" | "failed" | "ronas" | "cancelled" => Direction::LowerIsBetter,
        _ => Direction::Neutral,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    #[serde(rename = "better")]
    Better,
    #[serde(rename = "worse")]
    Worse,
    /// A significant change of a neutral metric.
    #[serde(rename = "changed")]
    Changed,
    #[serde(rename = "no significant change")]
    NoChange,
    /// Undefined on a side, or fewer than two replications: no interval.
    #[serde(rename = "undetermined")]
    Undetermined,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::Changed => "changed",
            Verdict::NoChange => "no significant change",
            Verdict::Undetermined => "undetermined",
        }
    }
    pub fn significant(self) -> bool {
        matches!(self, Verdict::Better | Verdict::Worse | Verdict::Changed)
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub service: String,
    pub metric: &'static str,
    pub direction: Direction,
    pub base: Estimate,
    pub new: Estimate,
    /// new - base
    pub diff: f64,
    /// Welch 95 % half-width of `diff`.
    pub diff_ci95: f64,
    pub verdict: Verdict,
}

/// How much worse a metric may get: `[service:]metric OP [+|-]value[%]`, a
/// bound on new - base (relative to the base mean with `%`).
#[derive(Debug, Clone)]
pub struct Tolerance {
    pub source: String,
    pub service: String,
    pub metric: usize,
    pub op: Op,
    pub value: f64,
    pub relative: bool,
}

pub fn parse_tolerance(src: &str, services: &[&str]) -> Result<Tolerance, String> {
    let p = thresholds::split(src, services)?;
    let metric = thresholds::resolve_metric(src, p.metric)?;
    if matches!(p.op, Op::Eq | Op::Ne) {
        return Err(format!(
            "threshold `{src}`: compare bounds the change with <, <=, > or >=, e.g. `wait_p95_s<+10%` or `p_abandon<+0.01`"
        ));
    }
    let (text, relative) = match p.rhs.strip_suffix('%') {
        Some(t) => (t.trim(), true),
        None => (p.rhs, false),
    };
    let value = text
        .strip_prefix('+')
        .unwrap_or(text)
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            format!(
                "threshold `{src}`: `{}` is not a change such as `+10%` (relative to the base) or `+0.01` (absolute)",
                p.rhs
            )
        })?;
    Ok(Tolerance {
        source: src.to_string(),
        service: p.service.to_string(),
        metric,
        op: p.op,
        value: if relative { value / 100.0 } else { value },
        relative,
    })
}

/// A tolerance's result.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub expr: String,
    /// new - base
    pub observed: Option<f64>,
    /// The bound on new - base after applying a relative tolerance.
    pub allowed: f64,
    pub verdict: Verdict,
    pub ok: bool,
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub base: PathBuf,
    pub new: PathBuf,
    pub base_hash: String,
    pub new_hash: String,
    pub rows: Vec<Row>,
    /// Services in only one of the two results.
    pub unmatched: Vec<String>,
    pub gates: Vec<Gate>,
    /// Exit 1: a gate failed, or (without gates) a directional metric got worse.
    pub failed: bool,
}

/// Compares every metric of every service present in both results.
pub fn compare(base: &ResultDir, new: &ResultDir, tolerances: &[Tolerance]) -> Comparison {
    let mut rows = Vec::new();
    let mut unmatched = Vec::new();
    for (bs, service) in base.table.services.iter().enumerate() {
        let Some(ns) = new.table.services.iter().position(|s| s == service) else {
            unmatched.push(format!("{service} (only in {})", base.dir.display()));
            continue;
        };
        for (m, metric) in METRICS.iter().enumerate() {
            let a: Vec<f64> = base.table.values(bs, m).collect();
            let b: Vec<f64> = new.table.values(ns, m).collect();
            let (diff, half) = welch(&a, &b);
            let dir = direction(metric);
            let verdict = if !(diff.is_finite() && half.is_finite()) {
                Verdict::Undetermined
            } else if diff.abs() <= half || diff == 0.0 {
                Verdict::NoChange
            } else {
                match (dir, diff < 0.0) {
                    (Direction::Neutral, _) => Verdict::Changed,
                    (Direction::LowerIsBetter, true) | (Direction::HigherIsBetter, false) => {
                        Verdict::Better
                    }
                    _ => Verdict::Worse,
                }
            };
            rows.push(Row {
                service: service.clone(),
                metric,
                direction: dir,
                base: estimate(a),
                new: estimate(b),
                diff,
                diff_ci95: half,
                verdict,
            });
        }
    }
    for service in &new.table.services {
        if !base.table.services.contains(service) {
            unmatched.push(format!("{service} (only in {})", new.dir.display()));
        }
    }
    let gates: Vec<Gate> = tolerances
        .iter()
        .map(|t| {
            let row = rows
                .iter()
                .find(|r| r.service == t.service && r.metric == METRICS[t.metric]);
            let (diff, verdict, base_mean) = row
                .map_or((f64::NAN, Verdict::Undetermined, f64::NAN), |r| {
                    (r.diff, r.verdict, r.base.mean)
                });
            let allowed = if t.relative {
                t.value * base_mean.abs()
            } else {
                t.value
            };
            // Fails when the change is significant and beyond the bound; a
            // comparison that cannot be judged fails too, as thresholds do.
            let ok = match verdict {
                Verdict::Undetermined => false,
                v if v.significant() => t.op.holds(diff, allowed),
                _ => true,
            };
            Gate {
                expr: t.source.clone(),
                observed: diff.is_finite().then_some(diff),
                allowed,
                verdict,
                ok,
            }
        })
        .collect();
    let failed = if tolerances.is_empty() {
        rows.iter().any(|r| r.verdict == Verdict::Worse)
    } else {
        gates.iter().any(|g| !g.ok)
    };
    Comparison {
        base: base.dir.clone(),
        new: new.dir.clone(),
        base_hash: base.meta.hash.clone(),
        new_hash: new.meta.hash.clone(),
        rows,
        unmatched,
        gates,
        failed,
    }
}

fn rel(r: &Row) -> f64 {
    if r.base.mean != 0.0 {
        r.diff / r.base.mean.abs()
    } else {
        f64::NAN
    }
}

pub const COMPARISON_HEADER: &str = "service,metric,direction,base_mean,base_ci95,base_n,new_mean,new_ci95,new_n,diff,diff_ci95,rel_diff,verdict\n";

impl Comparison {
    /// comparison.csv: every service and metric.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(COMPARISON_HEADER);
        for r in &self.rows {
            let dir = match r.direction {
                Direction::LowerIsBetter => "lower",
                Direction::HigherIsBetter => "higher",
                Direction::Neutral => "neutral",
            };
            let _ = writeln!(
                s,
                "{},{},{dir},{},{},{},{},{},{},{},{},{},{}",
                r.service,
                r.metric,
                num(r.base.mean),
                num(r.base.ci95),
                r.base.n,
                num(r.new.mean),
                num(r.new.ci95),
                r.new.n,
                num(r.diff),
                num(r.diff_ci95),
                num(rel(r)),
                r.verdict.name()
            );
        }
        s
    }

    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct JRow<'a> {
            service: &'a str,
            metric: &'a str,
            direction: Direction,
            base_mean: Option<f64>,
            new_mean: Option<f64>,
            diff: Option<f64>,
            diff_ci95: Option<f64>,
            verdict: Verdict,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            base: String,
            new: String,
            base_scenario_hash: &'a str,
            new_scenario_hash: &'a str,
            ok: bool,
            unmatched_services: &'a [String],
            thresholds: &'a [Gate],
            metrics: Vec<JRow<'a>>,
        }
        let f = |v: f64| v.is_finite().then_some(v);
        let doc = Doc {
            base: self.base.display().to_string(),
            new: self.new.display().to_string(),
            base_scenario_hash: &self.base_hash,
            new_scenario_hash: &self.new_hash,
            ok: !self.failed,
            unmatched_services: &self.unmatched,
            thresholds: &self.gates,
            metrics: self
                .rows
                .iter()
                .map(|r| JRow {
                    service: &r.service,
                    metric: r.metric,
                    direction: r.direction,
                    base_mean: f(r.base.mean),
                    new_mean: f(r.new.mean),
                    diff: f(r.diff),
                    diff_ci95: f(r.diff_ci95),
                    verdict: r.verdict,
                })
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("comparison serializes");
        s.push('\n');
        s
    }

    /// The significant changes as table cells (service, metric, base, new,
    /// diff ± ci, relative, verdict).
    fn significant_cells(&self) -> Vec<[String; 7]> {
        let r3 = |v: f64| num((v * 1000.0).round() / 1000.0);
        self.rows
            .iter()
            .filter(|r| r.verdict.significant())
            .map(|r| {
                let rel = rel(r);
                [
                    r.service.clone(),
                    r.metric.to_string(),
                    r3(r.base.mean),
                    r3(r.new.mean),
                    format!(
                        "{:+} ± {}",
                        (r.diff * 1000.0).round() / 1000.0,
                        r3(r.diff_ci95)
                    ),
                    if rel.is_finite() {
                        format!("{:+.1}%", rel * 100.0)
                    } else {
                        String::new()
                    },
                    r.verdict.name().to_string(),
                ]
            })
            .collect()
    }

    const HEAD: [&'static str; 7] = [
        "service",
        "metric",
        "base",
        "new",
        "diff ± 95% CI",
        "rel",
        "verdict",
    ];

    pub fn to_text(&self) -> String {
        let cells = self.significant_cells();
        let mut s = self.headline();
        if !cells.is_empty() {
            let mut w = Self::HEAD.map(str::len);
            for c in &cells {
                for (k, v) in c.iter().enumerate() {
                    w[k] = w[k].max(v.chars().count());
                }
            }
            let line = |s: &mut String, c: &[&str]| {
                for (k, v) in c.iter().enumerate() {
                    let pad = w[k] - v.chars().count();
                    if k < 2 {
                        let _ = write!(s, "{v}{} ", " ".repeat(pad));
                    } else {
                        let _ = write!(s, " {}{v}", " ".repeat(pad));
                    }
                }
                s.push('\n');
            };
            line(&mut s, &Self::HEAD);
            for c in &cells {
                line(&mut s, &c.each_ref().map(String::as_str));
            }
        }
        s
    }

    pub fn to_markdown(&self) -> String {
        let mut s = self.headline();
        let cells = self.significant_cells();
        if !cells.is_empty() {
            let _ = writeln!(s, "\n| {} |", Self::HEAD.join(" | "));
            let _ = writeln!(s, "|{}", "---|".repeat(Self::HEAD.len()));
            for c in cells {
                let _ = writeln!(s, "| {} |", c.join(" | "));
            }
        }
        s
    }

    fn headline(&self) -> String {
        let count = |v: Verdict| self.rows.iter().filter(|r| r.verdict == v).count();
        let mut s = format!(
            "compare {} -> {}: {} worse, {} better, {} changed (neutral), {} without significant change, {} undetermined\n",
            self.base.display(),
            self.new.display(),
            count(Verdict::Worse),
            count(Verdict::Better),
            count(Verdict::Changed),
            count(Verdict::NoChange),
            count(Verdict::Undetermined)
        );
        for u in &self.unmatched {
            let _ = writeln!(s, "service {u}: not compared");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions() {
        assert_eq!(direction("wait_p95_s"), Direction::LowerIsBetter);
        assert_eq!(direction("service_level"), Direction::HigherIsBetter);
        assert_eq!(direction("occupancy"), Direction::Neutral);
        assert_eq!(direction("offered"), Direction::Neutral);
        // Every metric is classified on purpose: the neutral ones are listed here.
        let neutral: Vec<&str> = METRICS
            .iter()
            .copied()
            .filter(|m| direction(m) == Direction::Neutral)
            .collect();
        assert_eq!(
            neutral,
            [
                "offered",
                "queued",
                "handled",
                "transferred",
                "occupancy",
                "mean_connected_s",
                "direct",
                "engaged",
                "slot_occupancy",
                "overtime_s",
            ]
        );
    }

    #[test]
    fn tolerances() {
        let t = parse_tolerance("wait_p95_s<+10%", &[]).unwrap();
        assert!(t.relative && (t.value - 0.1).abs() < 1e-12 && t.service == "*");
        let t = parse_tolerance("support:p_abandon<+0.01", &["support"]).unwrap();
        assert!(!t.relative && t.value == 0.01 && t.service == "support");
        let t = parse_tolerance("service_level>-2%", &[]).unwrap();
        assert_eq!((t.op, t.value), (Op::Gt, -0.02));
        assert!(parse_tolerance("bogus<+1", &[])
            .unwrap_err()
            .contains("unknown metric `bogus`"));
        assert!(parse_tolerance("failed==0", &[]).is_err());
        assert!(parse_tolerance("failed<x", &[])
            .unwrap_err()
            .contains("not a change"));
    }
}
