//! `compare --per-interval`: the whole-run comparison repeated for every
//! reporting interval and service of intervals.csv, over each folder's
//! replications. A day can pass on the whole while two hours got worse; this
//! finds those hours. The verdicts and tolerances are the whole run's
//! (`Row::judge`, `Tolerance::holds`), applied per cell.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::compare::{
    json_num, markdown_table, text_table, Counts, Gate, JsonRow, Row, Tolerance, Verdict,
};
use super::results::ResultDir;

/// The columns of intervals.csv compared: those with a direction and the
/// workload. Left out: `selectable_users` (staffing, an input) and
/// `occupancy` (a copy of `engaged`).
pub const INTERVAL_METRICS: [&str; 12] = [
    "offered",
    "queued",
    "handled",
    "abandoned",
    "failed",
    "service_level",
    "mean_wait_s",
    "wait_p90_s",
    "mean_queue_length",
    "max_queue_length",
    "engaged",
    "slot_occupancy",
];

const N: usize = INTERVAL_METRICS.len();

/// The file `compare --per-interval` writes beside comparison.csv.
pub const INTERVALS_FILE: &str = "comparison_intervals.csv";

/// The printed per-interval section lists at most this many cells.
const MAX_LINES: usize = 20;

/// An interval as intervals.csv names it.
#[derive(Debug, Clone, PartialEq)]
struct Interval {
    /// `interval_start_s` as written (seconds from the measured start).
    start_s: String,
    /// `interval_start`: the local clock time.
    label: String,
}

/// One replication's values of the compared metrics (NaN: empty cell).
type Values = [f64; N];

/// A results folder's intervals.csv: per interval and service, the values
/// of each replication.
#[derive(Debug, Clone)]
pub struct IntervalTable {
    path: PathBuf,
    /// In order of first appearance.
    services: Vec<String>,
    /// Keyed by `interval_start_s` in milliseconds (exact for the three
    /// decimals written), so intervals sort by time.
    intervals: BTreeMap<i64, Interval>,
    /// (interval key, service index) -> (replication, values) per row.
    values: BTreeMap<(i64, usize), Vec<(u32, Values)>>,
}

impl IntervalTable {
    /// Reads `intervals.csv` of a results folder that `ResultDir::read`
    /// checked: its replications must be those of replications.csv.
    pub fn read(rd: &ResultDir) -> Result<IntervalTable, String> {
        let path = rd.dir.join("intervals.csv");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "{}: not found; --per-interval needs the intervals.csv that `routesim run` writes beside replications.csv",
                    path.display()
                )
            } else {
                format!("{}: cannot read: {e}", path.display())
            }
        })?;
        let reps: Vec<u32> = rd.replications().collect();
        Self::parse(&path, &text, &reps)
    }

    /// Parses intervals.csv text; `reps` are the replications it must hold
    /// (each with one row per service and interval).
    pub fn parse(path: &Path, text: &str, reps: &[u32]) -> Result<IntervalTable, String> {
        let at = |line: u64, what: String| format!("{}:{line}: {what}", path.display());
        if !text.is_empty() && !text.ends_with('\n') {
            let line = text.lines().count() as u64;
            return Err(at(
                line,
                "truncated: the last line ends without a newline".into(),
            ));
        }
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| format!("{}: {e}", path.display()))?
            .clone();
        let col = |name: &str| {
            header.iter().position(|c| c == name).ok_or_else(|| {
                format!(
                    "{}: no column `{name}`; expected the header routesim writes: {}",
                    path.display(),
                    super::streams::INTERVALS_HEADER.trim_end()
                )
            })
        };
        let (rep_col, svc_col) = (col("replication")?, col("service")?);
        let (start_col, label_col) = (col("interval_start_s")?, col("interval_start")?);
        let metric_cols: Vec<usize> = INTERVAL_METRICS
            .iter()
            .map(|m| col(m))
            .collect::<Result<_, _>>()?;
        let mut t = IntervalTable {
            path: path.to_path_buf(),
            services: Vec::new(),
            intervals: BTreeMap::new(),
            values: BTreeMap::new(),
        };
        for rec in reader.records() {
            let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
            let line = rec.position().map_or(0, |p| p.line());
            let field = |i: usize| rec.get(i).unwrap_or("");
            let rep: u32 = field(rep_col).parse().map_err(|_| {
                at(
                    line,
                    format!("replication `{}` is not a whole number", field(rep_col)),
                )
            })?;
            if !reps.contains(&rep) {
                return Err(at(
                    line,
                    format!("replication {rep} is not in replications.csv; the files come from different runs (rerun to get them back)"),
                ));
            }
            let start_s = field(start_col);
            let key = start_s
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| (s * 1000.0).round() as i64)
                .ok_or_else(|| {
                    at(
                        line,
                        format!("interval_start_s `{start_s}` is not a number of seconds >= 0"),
                    )
                })?;
            let interval = Interval {
                start_s: start_s.to_string(),
                label: field(label_col).to_string(),
            };
            let known = t.intervals.entry(key).or_insert_with(|| interval.clone());
            if known.label != interval.label {
                return Err(at(
                    line,
                    format!(
                        "interval_start_s {start_s} is `{}` here but `{}` on an earlier line; the file mixes runs (rerun to get it back)",
                        interval.label, known.label
                    ),
                ));
            }
            let mut values = [f64::NAN; N];
            for (m, &c) in metric_cols.iter().enumerate() {
                values[m] = parse_value(field(c)).map_err(|v| {
                    at(
                        line,
                        format!("{} `{v}` is not a number", INTERVAL_METRICS[m]),
                    )
                })?;
            }
            let service = t.service_index(field(svc_col));
            let rows = t.values.entry((key, service)).or_default();
            if rows.iter().any(|(r, _)| *r == rep) {
                return Err(at(
                    line,
                    format!(
                        "a second row for replication {rep}, service `{}`, interval {}; the file was edited or mixes runs",
                        t.services[service], interval.label
                    ),
                ));
            }
            rows.push((rep, values));
        }
        t.check_complete(reps.len())?;
        Ok(t)
    }

    fn service_index(&mut self, name: &str) -> usize {
        match self.services.iter().position(|s| s == name) {
            Some(i) => i,
            None => {
                self.services.push(name.to_string());
                self.services.len() - 1
            }
        }
    }

    /// Every replication has a row for each service and interval: a missing
    /// one means a truncated or edited file, and would skew the means.
    fn check_complete(&self, reps: usize) -> Result<(), String> {
        if self.values.is_empty() && reps > 0 {
            return Err(format!(
                "{}: no rows, but replications.csv holds {reps} replications; the file was truncated (rerun to get it back)",
                self.path.display()
            ));
        }
        for ((key, service), rows) in &self.values {
            if rows.len() != reps {
                return Err(format!(
                    "{}: service `{}`, interval {}: rows for {} of the {reps} replications in replications.csv; the file was truncated or edited (rerun to get it back)",
                    self.path.display(),
                    self.services[*service],
                    self.intervals[key].label,
                    rows.len()
                ));
            }
        }
        Ok(())
    }

    /// The interval keys of `service`, in time order.
    fn keys(&self, service: usize) -> Vec<i64> {
        self.values
            .keys()
            .filter(|(_, s)| *s == service)
            .map(|(k, _)| *k)
            .collect()
    }

    /// "16 intervals of 900 s from 2026-11-23T08:00", for error messages.
    fn describe(&self, service: usize) -> String {
        let keys = self.keys(service);
        let Some(first) = keys.first() else {
            return "no intervals".into();
        };
        let from = &self.intervals[first].label;
        match keys.get(1) {
            Some(second) => format!(
                "{} intervals of {} s from {from}",
                keys.len(),
                super::fmt::num((second - first) as f64 / 1000.0)
            ),
            None => format!("1 interval from {from}"),
        }
    }

    /// Metric `m` of `service` in interval `key`, over the replications.
    fn column(&self, key: i64, service: usize, m: usize) -> Vec<f64> {
        self.values[&(key, service)]
            .iter()
            .map(|(_, v)| v[m])
            .collect()
    }
}

/// An empty cell is undefined (NaN); anything else must be a number.
fn parse_value(s: &str) -> Result<f64, &str> {
    if s.is_empty() {
        return Ok(f64::NAN);
    }
    s.parse::<f64>().ok().filter(|v| !v.is_nan()).ok_or(s)
}

/// One interval, service and metric compared.
#[derive(Debug, Clone)]
pub struct IntervalRow {
    pub start_s: String,
    /// The local clock start.
    pub label: String,
    pub row: Row,
}

/// Every (interval, service, metric) of the services in both folders, in
/// time order, then service, then metric.
#[derive(Debug, Clone, Default)]
pub struct IntervalComparison {
    pub rows: Vec<IntervalRow>,
}

/// A per-interval tolerance's result, beside the `Gate` fields (which give
/// the worst interval's change).
#[derive(Debug, Clone, Default, Serialize)]
pub struct IntervalGate {
    /// Cells judged (one per interval and service the tolerance covers).
    pub judged: usize,
    /// Cells left out: undefined, or fewer than two replications.
    pub undetermined: usize,
    /// Clock start and service of the interval furthest beyond the bound.
    pub worst_interval: Option<String>,
    pub worst_service: Option<String>,
    /// The intervals whose significant change is beyond the bound.
    pub failing: Vec<FailingInterval>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailingInterval {
    pub interval_start: String,
    pub service: String,
    pub observed: f64,
    pub allowed: f64,
    pub verdict: Verdict,
}

/// A significant cell in `compare --format json`.
#[derive(Debug, Serialize)]
pub struct JsonCell<'a> {
    interval_start_s: Option<f64>,
    interval_start: &'a str,
    #[serde(flatten)]
    row: JsonRow<'a>,
}

pub const COMPARISON_INTERVALS_HEADER: &str = "interval_start_s,interval_start,service,metric,direction,base_mean,base_ci95,base_n,new_mean,new_ci95,new_n,diff,diff_ci95,rel_diff,verdict\n";

impl IntervalComparison {
    /// Compares the services in both tables, interval by interval; refuses
    /// (with why) tables whose intervals differ for such a service.
    pub fn new(base: &IntervalTable, new: &IntervalTable) -> Result<IntervalComparison, String> {
        let pairs: Vec<(usize, usize)> = base
            .services
            .iter()
            .enumerate()
            .filter_map(|(bs, s)| Some((bs, new.services.iter().position(|n| n == s)?)))
            .collect();
        for &(bs, ns) in &pairs {
            same_intervals(base, bs, new, ns)?;
        }
        let mut rows = Vec::new();
        for &(key, bs) in base.values.keys() {
            let Some(&(_, ns)) = pairs.iter().find(|(b, _)| *b == bs) else {
                continue;
            };
            let at = &base.intervals[&key];
            for (m, metric) in INTERVAL_METRICS.iter().enumerate() {
                rows.push(IntervalRow {
                    start_s: at.start_s.clone(),
                    label: at.label.clone(),
                    row: Row::judge(
                        &base.services[bs],
                        metric,
                        base.column(key, bs, m),
                        new.column(key, ns, m),
                    ),
                });
            }
        }
        Ok(IntervalComparison { rows })
    }

    pub fn counts(&self) -> Counts {
        Counts::of(self.rows.iter().map(|r| &r.row))
    }

    /// comparison_intervals.csv: comparison.csv's columns per interval.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(COMPARISON_INTERVALS_HEADER);
        for r in &self.rows {
            let _ = writeln!(s, "{},{},{}", r.start_s, r.label, r.row.csv_fields());
        }
        s
    }

    /// Judges an `every_interval:` tolerance in each interval of its
    /// service (`*`: of every service). Undetermined cells are left out, as
    /// `run` passes an interval without chats; the gate fails when a
    /// significant change is beyond the bound, or when no cell could be
    /// judged at all.
    pub fn gate(&self, t: &Tolerance) -> Gate {
        let mut g = IntervalGate::default();
        // (row, fails) furthest beyond the bound, failing cells first.
        let mut worst: Option<(&IntervalRow, bool)> = None;
        let covered = self.rows.iter().filter(|r| {
            r.row.metric == t.metric_name() && (t.service == "*" || r.row.service == t.service)
        });
        for r in covered {
            let Some(ok) = t.holds(&r.row) else {
                g.undetermined += 1;
                continue;
            };
            g.judged += 1;
            if !ok {
                g.failing.push(FailingInterval {
                    interval_start: r.label.clone(),
                    service: r.row.service.clone(),
                    observed: r.row.diff,
                    allowed: t.allowed(r.row.base.mean),
                    verdict: r.row.verdict,
                });
            }
            let worse_than = |(w, w_fails): (&IntervalRow, bool)| {
                (!ok, t.excess(&r.row)) > (w_fails, t.excess(&w.row))
            };
            if worst.is_none_or(worse_than) {
                worst = Some((r, !ok));
            }
        }
        let w = worst.map(|(r, _)| r);
        g.worst_interval = w.map(|r| r.label.clone());
        g.worst_service = w.map(|r| r.row.service.clone());
        Gate {
            expr: t.source.clone(),
            observed: w.and_then(|r| json_num(r.row.diff)),
            allowed: t.allowed(w.map_or(f64::NAN, |r| r.row.base.mean)),
            verdict: w.map_or(Verdict::Undetermined, |r| r.row.verdict),
            ok: g.judged > 0 && g.failing.is_empty(),
            intervals: Some(g),
        }
    }

    fn worse(&self) -> impl Iterator<Item = &IntervalRow> {
        self.rows.iter().filter(|r| r.row.verdict == Verdict::Worse)
    }

    /// The first `MAX_LINES` worse cells as table cells (interval first).
    fn worse_cells(&self) -> Vec<Vec<String>> {
        self.worse()
            .take(MAX_LINES)
            .map(|r| {
                let mut c = vec![r.label.clone()];
                c.extend(r.row.cells());
                c
            })
            .collect()
    }

    const HEAD: [&'static str; 8] = [
        "interval",
        "service",
        "metric",
        "base",
        "new",
        "diff ± 95% CI",
        "rel",
        "verdict",
    ];

    fn headline(&self) -> String {
        let c = self.counts();
        format!(
            "per interval: {} cells (interval x service x metric) compared: {}\n",
            c.compared,
            c.text()
        )
    }

    /// "... N more in comparison_intervals.csv" when the list was cut.
    fn more(&self) -> String {
        let n = self.worse().count().saturating_sub(MAX_LINES);
        if n == 0 {
            String::new()
        } else {
            format!("... {n} more in {INTERVALS_FILE}\n")
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = format!("\n{}", self.headline());
        let cells = self.worse_cells();
        if !cells.is_empty() {
            s.push_str("significantly worse:\n");
            s.push_str(&text_table(&Self::HEAD, &cells, 3));
            s.push_str(&self.more());
        }
        s
    }

    pub fn to_markdown(&self) -> String {
        let mut s = format!("\n{}", self.headline());
        let cells = self.worse_cells();
        if !cells.is_empty() {
            s.push_str(&markdown_table(&Self::HEAD, &cells));
            // A blank line ends the table; a line right after it would be a row.
            let more = self.more();
            if !more.is_empty() {
                s.push('\n');
                s.push_str(&more);
            }
        }
        s
    }

    /// Every significant cell (better, worse or changed), for JSON.
    pub fn significant_json(&self) -> Vec<JsonCell<'_>> {
        self.rows
            .iter()
            .filter(|r| r.row.verdict.significant())
            .map(|r| JsonCell {
                interval_start_s: r.start_s.parse().ok(),
                interval_start: &r.label,
                row: JsonRow::of(&r.row),
            })
            .collect()
    }
}

/// Both folders must have the same intervals for a service they share, and
/// name them by the same clock time: otherwise "the same interval" means
/// nothing. The message says which interval is missing where.
fn same_intervals(
    base: &IntervalTable,
    bs: usize,
    new: &IntervalTable,
    ns: usize,
) -> Result<(), String> {
    let (bk, nk) = (base.keys(bs), new.keys(ns));
    let service = &base.services[bs];
    let missing = |from: &IntervalTable,
                   keys: &[i64],
                   other: &IntervalTable,
                   other_keys: &[i64]| {
        let k = keys.iter().find(|k| !other_keys.contains(k))?;
        Some(format!(
            "{}: no rows for service `{service}` in the interval starting {} (interval_start_s {}), which {} has",
            other.path.display(),
            from.intervals[k].label,
            from.intervals[k].start_s,
            from.path.display()
        ))
    };
    if let Some(m) = missing(base, &bk, new, &nk).or_else(|| missing(new, &nk, base, &bk)) {
        return Err(format!(
            "{m}; --per-interval compares the same intervals (base: {}; new: {}): rerun with the same simulation.interval, start and duration, or leave out --per-interval",
            base.describe(bs),
            new.describe(ns)
        ));
    }
    for k in &bk {
        let (b, n) = (&base.intervals[k], &new.intervals[k]);
        if b.label != n.label {
            return Err(format!(
                "{}: interval_start_s {} starts at {} there but at {} in {}; --per-interval needs both runs on the same clock (simulation.start and timezone)",
                base.path.display(),
                b.start_s,
                b.label,
                n.label,
                new.path.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::compare::{parse_tolerance, COMPARISON_HEADER};

    /// A cell writes its interval, then the row's fields in the row's
    /// order; an undefined figure is null.
    #[test]
    fn a_json_cell_is_its_interval_then_the_row() {
        let est = |mean| crate::stats::ci::Estimate {
            mean,
            ci95: 0.1,
            min: 0.0,
            max: 1.0,
            n: 2,
        };
        let row = Row {
            service: "support".into(),
            metric: "p_wait",
            direction: crate::report::compare::Direction::LowerIsBetter,
            base: est(f64::NAN),
            new: est(0.5),
            diff: f64::NAN,
            diff_ci95: f64::NAN,
            verdict: Verdict::Undetermined,
        };
        let cell = JsonCell {
            interval_start_s: Some(900.0),
            interval_start: "2026-01-05T00:15",
            row: JsonRow::of(&row),
        };
        assert_eq!(
            serde_json::to_string(&cell).unwrap(),
            concat!(
                r#"{"interval_start_s":900.0,"interval_start":"2026-01-05T00:15","#,
                r#""service":"support","metric":"p_wait","direction":"lower_is_better","#,
                r#""base_mean":null,"new_mean":0.5,"diff":null,"diff_ci95":null,"verdict":"undetermined"}"#
            )
        );
    }

    const HEADER: &str = "replication,service,interval_start_s,interval_start,offered,queued,handled,abandoned,failed,service_level,mean_wait_s,wait_p90_s,mean_queue_length,max_queue_length,selectable_users,occupancy,engaged,slot_occupancy\n";

    /// intervals.csv text: per replication and interval start (s), the
    /// service level (None: empty) and mean wait; other columns fixed.
    fn csv(rows: &[(u32, u32, Option<f64>, f64)]) -> String {
        let mut s = String::from(HEADER);
        for &(rep, start, sl, wait) in rows {
            let sl = sl.map_or(String::new(), |v| v.to_string());
            let _ = writeln!(
                s,
                "{rep},support,{start}.000,2026-11-23T{:02}:00,10,8,8,0,0,{sl},{wait},{wait},0.5,2,5,0.8,0.8,0.8",
                8 + start / 3600
            );
        }
        s
    }

    fn table(name: &str, text: &str, reps: &[u32]) -> IntervalTable {
        IntervalTable::parse(Path::new(name), text, reps).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Two hours, three replications each; in hour 09:00 the new run's
    /// service level drops from about 0.9 to about 0.6 and its wait rises.
    fn base_and_new() -> (IntervalTable, IntervalTable) {
        let base = csv(&[
            (0, 0, Some(0.90), 10.0),
            (0, 3600, Some(0.91), 11.0),
            (1, 0, Some(0.92), 12.0),
            (1, 3600, Some(0.89), 10.0),
            (2, 0, Some(0.91), 11.0),
            (2, 3600, Some(0.90), 12.0),
        ]);
        let new = csv(&[
            (0, 0, Some(0.91), 11.0),
            (0, 3600, Some(0.60), 40.0),
            (1, 0, Some(0.90), 10.0),
            (1, 3600, Some(0.62), 42.0),
            (2, 0, None, 12.0),
            (2, 3600, Some(0.58), 41.0),
        ]);
        let reps = [0, 1, 2];
        (
            table("base/intervals.csv", &base, &reps),
            table("new/intervals.csv", &new, &reps),
        )
    }

    fn cell<'a>(c: &'a IntervalComparison, label: &str, metric: &str) -> &'a IntervalRow {
        c.rows
            .iter()
            .find(|r| r.label == label && r.row.metric == metric)
            .unwrap()
    }

    #[test]
    fn columns_are_comparison_csv_s_after_the_interval() {
        assert_eq!(
            COMPARISON_INTERVALS_HEADER,
            format!("interval_start_s,interval_start,{COMPARISON_HEADER}")
        );
        let written: Vec<&str> = crate::report::streams::INTERVALS_HEADER
            .trim_end()
            .split(',')
            .collect();
        for m in INTERVAL_METRICS {
            assert!(written.contains(&m), "{m} is a column of intervals.csv");
            assert!(
                crate::stats::metric_index(m).is_some(),
                "{m} has a direction"
            );
        }
    }

    #[test]
    fn judges_each_interval_like_the_whole_run() {
        let (b, n) = base_and_new();
        let c = IntervalComparison::new(&b, &n).unwrap();
        assert_eq!(
            c.rows.len(),
            2 * N,
            "one row per interval x service x metric"
        );
        let nine = cell(&c, "2026-11-23T09:00", "service_level");
        assert_eq!(nine.row.verdict, Verdict::Worse);
        assert!((nine.row.diff - (0.60 - 0.90)).abs() < 1e-9);
        assert_eq!(
            cell(&c, "2026-11-23T09:00", "mean_wait_s").row.verdict,
            Verdict::Worse
        );
        // 08:00 barely moves; the new run's empty cell is left out (n = 2).
        let eight = cell(&c, "2026-11-23T08:00", "service_level");
        assert_eq!(eight.row.verdict, Verdict::NoChange);
        assert_eq!((eight.row.base.n, eight.row.new.n), (3, 2));
        // Identical constant columns: no change, never "worse".
        assert_eq!(
            cell(&c, "2026-11-23T08:00", "offered").row.verdict,
            Verdict::NoChange
        );
        let counts = c.counts();
        assert_eq!(counts.compared, 2 * N);
        // 09:00: service level, mean wait and p90 wait (the fixture's wait).
        assert_eq!(counts.worse, 3);
    }

    #[test]
    fn undefined_cells_are_undetermined_never_nan() {
        let base = csv(&[(0, 0, None, 0.0), (1, 0, None, 0.0)]);
        let new = csv(&[(0, 0, Some(1.0), 0.0), (1, 0, None, 0.0)]);
        let c = IntervalComparison::new(
            &table("b/intervals.csv", &base, &[0, 1]),
            &table("n/intervals.csv", &new, &[0, 1]),
        )
        .unwrap();
        let sl = cell(&c, "2026-11-23T08:00", "service_level");
        assert_eq!(sl.row.verdict, Verdict::Undetermined);
        let csv = c.to_csv();
        assert!(
            !csv.to_lowercase().contains("nan") && !csv.contains("inf"),
            "{csv}"
        );
        let line = csv.lines().find(|l| l.contains(",service_level,")).unwrap();
        assert_eq!(
            line,
            "0.000,2026-11-23T08:00,support,service_level,higher,,,0,1,,1,,,,undetermined"
        );
        assert_eq!(csv.lines().count(), 1 + N);
        assert!(serde_json::to_string(&c.significant_json()).is_ok());
    }

    #[test]
    fn every_interval_tolerance_names_the_failing_interval() {
        let (b, n) = base_and_new();
        let c = IntervalComparison::new(&b, &n).unwrap();
        let t = parse_tolerance("every_interval:service_level>-0.05", &["support"]).unwrap();
        assert!(t.per_interval);
        let g = c.gate(&t);
        assert!(!g.ok);
        let i = g.intervals.as_ref().unwrap();
        assert_eq!((i.judged, i.undetermined, i.failing.len()), (2, 0, 1));
        assert_eq!(i.failing[0].interval_start, "2026-11-23T09:00");
        assert_eq!(i.worst_interval.as_deref(), Some("2026-11-23T09:00"));
        // A loose bound, absolute or relative, holds in both hours.
        for loose in [
            "every_interval:service_level>-0.5",
            "every_interval:support:service_level>-50%",
        ] {
            let g = c.gate(&parse_tolerance(loose, &["support"]).unwrap());
            assert!(g.ok, "{loose}: {g:?}");
        }
        // Waits may grow by 10 %: 09:00 grows by about 270 %.
        let g = c.gate(&parse_tolerance("every_interval:mean_wait_s<+10%", &[]).unwrap());
        assert!(!g.ok);
        // Nothing judgeable fails, as an undetermined whole-run tolerance does.
        let empty = IntervalComparison::default();
        assert!(!empty.gate(&t).ok);
        assert!(parse_tolerance("every_interval:p_wait<+1", &[])
            .unwrap_err()
            .contains("not a column of intervals.csv"));
    }

    #[test]
    fn different_intervals_are_refused_with_the_missing_one_named() {
        let reps = [0];
        let base = table(
            "b/intervals.csv",
            &csv(&[(0, 0, Some(1.0), 0.0), (0, 3600, Some(1.0), 0.0)]),
            &reps,
        );
        let short = table("n/intervals.csv", &csv(&[(0, 0, Some(1.0), 0.0)]), &reps);
        let e = IntervalComparison::new(&base, &short).unwrap_err();
        assert!(
            e.starts_with("n/intervals.csv: no rows for service `support` in the interval starting 2026-11-23T09:00 (interval_start_s 3600.000), which b/intervals.csv has"),
            "{e}"
        );
        assert!(
            e.contains("base: 2 intervals of 3600 s from 2026-11-23T08:00; new: 1 interval from"),
            "{e}"
        );
        // Same seconds, another clock: refused too.
        let moved = table(
            "n/intervals.csv",
            &csv(&[(0, 0, Some(1.0), 0.0), (0, 3600, Some(1.0), 0.0)]).replace("T08:00", "T07:00"),
            &reps,
        );
        let e = IntervalComparison::new(&base, &moved).unwrap_err();
        assert!(
            e.contains("starts at 2026-11-23T08:00 there but at 2026-11-23T07:00"),
            "{e}"
        );
    }

    #[test]
    fn damaged_files_are_refused_with_file_and_line() {
        let p = Path::new("r/intervals.csv");
        let good = csv(&[(0, 0, Some(1.0), 0.0), (1, 0, Some(1.0), 0.0)]);
        let e = |text: &str, reps: &[u32]| IntervalTable::parse(p, text, reps).unwrap_err();
        assert!(e(good.trim_end(), &[0, 1]).contains("truncated"));
        assert!(
            e(&good, &[0]).contains("r/intervals.csv:3: replication 1 is not in replications.csv")
        );
        assert!(e(&good, &[0, 1, 2]).contains("rows for 2 of the 3 replications"));
        assert!(e(HEADER, &[0, 1]).contains("no rows"));
        assert!(e(&good.replace("10,8,8", "10,8,x"), &[0, 1])
            .contains("r/intervals.csv:2: handled `x` is not a number"));
        assert!(e(&good.replace("1,support", "0,support"), &[0, 1])
            .contains("a second row for replication 0"));
        assert!(e(&good.replace("engaged", "busy"), &[0, 1]).contains("no column `engaged`"));
    }
}
