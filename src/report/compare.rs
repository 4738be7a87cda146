//! `routesim compare`: per service and metric, the difference between two
//! results folders with a Welch 95 % confidence interval over their
//! replications, and a verdict that knows which direction is better.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use super::compare_intervals::{IntervalComparison, IntervalGate, JsonCell, INTERVAL_METRICS};
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

/// The verdict on a change `diff` ± `half` (Welch 95 %) of a metric that
/// should move in `dir`: one rule for the whole run and for each interval.
pub fn verdict(dir: Direction, diff: f64, half: f64) -> Verdict {
    if !(diff.is_finite() && half.is_finite()) {
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
    }
}

impl Row {
    /// Compares one metric's values over the replications of base (`a`) and
    /// new (`b`); undefined values (NaN) are left out, as in summary.csv.
    pub fn judge(service: &str, metric: &'static str, a: Vec<f64>, b: Vec<f64>) -> Row {
        let (diff, half) = welch(&a, &b);
        let dir = direction(metric);
        Row {
            service: service.to_string(),
            metric,
            direction: dir,
            base: estimate(a),
            new: estimate(b),
            diff,
            diff_ci95: half,
            verdict: verdict(dir, diff, half),
        }
    }

    /// new - base relative to the base mean; NaN when the base mean is 0.
    fn rel(&self) -> f64 {
        if self.base.mean != 0.0 {
            self.diff / self.base.mean.abs()
        } else {
            f64::NAN
        }
    }

    /// comparison.csv's columns `service` to `verdict` (no newline).
    pub fn csv_fields(&self) -> String {
        let dir = match self.direction {
            Direction::LowerIsBetter => "lower",
            Direction::HigherIsBetter => "higher",
            Direction::Neutral => "neutral",
        };
        format!(
            "{},{},{dir},{},{},{},{},{},{},{},{},{},{}",
            self.service,
            self.metric,
            num(self.base.mean),
            num(self.base.ci95),
            self.base.n,
            num(self.new.mean),
            num(self.new.ci95),
            self.new.n,
            num(self.diff),
            num(self.diff_ci95),
            num(self.rel()),
            self.verdict.name()
        )
    }

    /// The printed table's cells: service, metric, base, new, diff ± ci,
    /// relative change, verdict.
    pub fn cells(&self) -> Vec<String> {
        let r3 = |v: f64| num((v * 1000.0).round() / 1000.0);
        let rel = self.rel();
        vec![
            self.service.clone(),
            self.metric.to_string(),
            r3(self.base.mean),
            r3(self.new.mean),
            format!(
                "{:+} ± {}",
                (self.diff * 1000.0).round() / 1000.0,
                r3(self.diff_ci95)
            ),
            if rel.is_finite() {
                format!("{:+.1}%", rel * 100.0)
            } else {
                String::new()
            },
            self.verdict.name().to_string(),
        ]
    }
}

/// How much worse a metric may get: `[every_interval:][service:]metric OP
/// [+|-]value[%]`, a bound on new - base (relative to the base mean with
/// `%`); with `every_interval:` in each interval of intervals.csv.
#[derive(Debug, Clone)]
pub struct Tolerance {
    pub source: String,
    /// `*`: the tenant row, or per interval each service.
    pub service: String,
    pub metric: usize,
    pub op: Op,
    pub value: f64,
    pub relative: bool,
    pub per_interval: bool,
}

pub fn parse_tolerance(src: &str, services: &[&str]) -> Result<Tolerance, String> {
    let (per_interval, expr) = match src.trim_start().strip_prefix(thresholds::EVERY_INTERVAL) {
        Some(rest) => (true, rest),
        None => (false, src),
    };
    let p = thresholds::split(expr, services)?;
    let metric = thresholds::resolve_metric(src, p.metric)?;
    if per_interval && !INTERVAL_METRICS.contains(&METRICS[metric]) {
        return Err(format!(
            "threshold `{src}`: `{}` is not a column of intervals.csv; every_interval: takes one of {}",
            METRICS[metric],
            INTERVAL_METRICS.join(", ")
        ));
    }
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
        per_interval,
    })
}

impl Tolerance {
    pub fn metric_name(&self) -> &'static str {
        METRICS[self.metric]
    }

    /// The bound on new - base for a comparison with this base mean.
    pub fn allowed(&self, base_mean: f64) -> f64 {
        if self.relative {
            self.value * base_mean.abs()
        } else {
            self.value
        }
    }

    /// Whether `r`'s change stays within the bound: a change fails only
    /// when it is significant and beyond the bound. None when `r` cannot be
    /// judged (undetermined).
    pub fn holds(&self, r: &Row) -> Option<bool> {
        match r.verdict {
            Verdict::Undetermined => None,
            v if v.significant() => Some(self.op.holds(r.diff, self.allowed(r.base.mean))),
            _ => Some(true),
        }
    }

    /// How far `r`'s change lies on the failing side of its bound (larger
    /// is worse): picks the worst interval to report.
    pub fn excess(&self, r: &Row) -> f64 {
        let allowed = self.allowed(r.base.mean);
        match self.op {
            Op::Lt | Op::Le => r.diff - allowed,
            _ => allowed - r.diff,
        }
    }
}

/// A tolerance's result.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    pub expr: String,
    /// new - base (per interval: of the worst interval)
    pub observed: Option<f64>,
    /// The bound on new - base after applying a relative tolerance.
    pub allowed: f64,
    pub verdict: Verdict,
    pub ok: bool,
    /// `every_interval:` tolerances: what each interval gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervals: Option<IntervalGate>,
}

/// A whole-run tolerance on the row of its service and metric; a missing or
/// undetermined row fails, as thresholds on undefined values do.
fn whole_run_gate(t: &Tolerance, rows: &[Row]) -> Gate {
    let row = rows
        .iter()
        .find(|r| r.service == t.service && r.metric == t.metric_name());
    let base_mean = row.map_or(f64::NAN, |r| r.base.mean);
    Gate {
        expr: t.source.clone(),
        observed: row.map(|r| r.diff).filter(|d| d.is_finite()),
        allowed: t.allowed(base_mean),
        verdict: row.map_or(Verdict::Undetermined, |r| r.verdict),
        ok: row.and_then(|r| t.holds(r)).unwrap_or(false),
        intervals: None,
    }
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
    /// With `--per-interval`: every interval, service and metric.
    pub intervals: Option<IntervalComparison>,
    pub gates: Vec<Gate>,
    /// Exit 1: a gate failed, or (without gates) a directional metric got
    /// worse over the whole run. Per-interval verdicts alone never fail: of
    /// hundreds of cells, 5 % come out significant by chance.
    pub failed: bool,
}

/// Compares every metric of every service present in both results, and
/// with `intervals` every interval too.
pub fn compare(
    base: &ResultDir,
    new: &ResultDir,
    tolerances: &[Tolerance],
    intervals: Option<IntervalComparison>,
) -> Comparison {
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
            rows.push(Row::judge(service, metric, a, b));
        }
    }
    for service in &new.table.services {
        if !base.table.services.contains(service) {
            unmatched.push(format!("{service} (only in {})", new.dir.display()));
        }
    }
    let no_intervals = IntervalComparison::default();
    let gates: Vec<Gate> = tolerances
        .iter()
        .map(|t| {
            if t.per_interval {
                intervals.as_ref().unwrap_or(&no_intervals).gate(t)
            } else {
                whole_run_gate(t, &rows)
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
        intervals,
        gates,
        failed,
    }
}

pub const COMPARISON_HEADER: &str = "service,metric,direction,base_mean,base_ci95,base_n,new_mean,new_ci95,new_n,diff,diff_ci95,rel_diff,verdict\n";

/// A plain-text table: the first `left` columns left-aligned, the rest
/// right-aligned (numbers).
pub fn text_table(head: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for c in rows {
        for (k, v) in c.iter().enumerate() {
            w[k] = w[k].max(v.chars().count());
        }
    }
    let mut s = String::new();
    let mut line = |c: &[&str]| {
        for (k, v) in c.iter().enumerate() {
            let pad = w[k] - v.chars().count();
            if k < left {
                let _ = write!(s, "{v}{} ", " ".repeat(pad));
            } else {
                let _ = write!(s, " {}{v}", " ".repeat(pad));
            }
        }
        s.push('\n');
    };
    line(head);
    for c in rows {
        line(&c.iter().map(String::as_str).collect::<Vec<_>>());
    }
    s
}

/// A markdown table, preceded by an empty line.
pub fn markdown_table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "\n| {} |\n|{}\n",
        head.join(" | "),
        "---|".repeat(head.len())
    );
    for c in rows {
        let _ = writeln!(s, "| {} |", c.join(" | "));
    }
    s
}

/// JSON for a number: null when undefined.
pub fn json_num(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// A row as `compare --format json` writes it: in `metrics`, and inside
/// each significant interval cell.
#[derive(Debug, Serialize)]
pub struct JsonRow<'a> {
    service: &'a str,
    metric: &'a str,
    direction: Direction,
    base_mean: Option<f64>,
    new_mean: Option<f64>,
    diff: Option<f64>,
    diff_ci95: Option<f64>,
    verdict: Verdict,
}

impl<'a> JsonRow<'a> {
    pub fn of(r: &'a Row) -> JsonRow<'a> {
        JsonRow {
            service: &r.service,
            metric: r.metric,
            direction: r.direction,
            base_mean: json_num(r.base.mean),
            new_mean: json_num(r.new.mean),
            diff: json_num(r.diff),
            diff_ci95: json_num(r.diff_ci95),
            verdict: r.verdict,
        }
    }
}

/// The counts of each verdict, for the headline and JSON.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub compared: usize,
    pub worse: usize,
    pub better: usize,
    pub changed: usize,
    pub no_significant_change: usize,
    pub undetermined: usize,
}

impl Counts {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Counts {
        let mut c = Counts::default();
        for r in rows {
            c.compared += 1;
            *match r.verdict {
                Verdict::Worse => &mut c.worse,
                Verdict::Better => &mut c.better,
                Verdict::Changed => &mut c.changed,
                Verdict::NoChange => &mut c.no_significant_change,
                Verdict::Undetermined => &mut c.undetermined,
            } += 1;
        }
        c
    }

    /// "N worse, N better, N changed (neutral), N without significant
    /// change, N undetermined"
    pub fn text(&self) -> String {
        format!(
            "{} worse, {} better, {} changed (neutral), {} without significant change, {} undetermined",
            self.worse, self.better, self.changed, self.no_significant_change, self.undetermined
        )
    }
}

impl Comparison {
    /// comparison.csv: every service and metric.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(COMPARISON_HEADER);
        for r in &self.rows {
            let _ = writeln!(s, "{}", r.csv_fields());
        }
        s
    }

    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            base: String,
            new: String,
            base_scenario_hash: &'a str,
            new_scenario_hash: &'a str,
            ok: bool,
            unmatched_services: &'a [String],
            thresholds: &'a [Gate],
            metrics: Vec<JsonRow<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            interval_counts: Option<Counts>,
            /// The significant per-interval cells.
            #[serde(skip_serializing_if = "Option::is_none")]
            intervals: Option<Vec<JsonCell<'a>>>,
        }
        let doc = Doc {
            base: self.base.display().to_string(),
            new: self.new.display().to_string(),
            base_scenario_hash: &self.base_hash,
            new_scenario_hash: &self.new_hash,
            ok: !self.failed,
            unmatched_services: &self.unmatched,
            thresholds: &self.gates,
            metrics: self.rows.iter().map(JsonRow::of).collect(),
            interval_counts: self.intervals.as_ref().map(|i| i.counts()),
            intervals: self.intervals.as_ref().map(|i| i.significant_json()),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("comparison serializes");
        s.push('\n');
        s
    }

    /// The significant changes as table cells.
    fn significant_cells(&self) -> Vec<Vec<String>> {
        self.rows
            .iter()
            .filter(|r| r.verdict.significant())
            .map(Row::cells)
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
            s.push_str(&text_table(&Self::HEAD, &cells, 2));
        }
        if let Some(i) = &self.intervals {
            s.push_str(&i.to_text());
        }
        s
    }

    pub fn to_markdown(&self) -> String {
        let mut s = self.headline();
        let cells = self.significant_cells();
        if !cells.is_empty() {
            s.push_str(&markdown_table(&Self::HEAD, &cells));
        }
        if let Some(i) = &self.intervals {
            s.push_str(&i.to_markdown());
        }
        s
    }

    fn headline(&self) -> String {
        let mut s = format!(
            "compare {} -> {}: {}\n",
            self.base.display(),
            self.new.display(),
            Counts::of(&self.rows).text()
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
