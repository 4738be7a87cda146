//! interval_counts.csv (a sweep writes the same rows per point in
//! sweep_interval_counts.csv): the per-replication counts behind
//! `every_interval:` thresholds, per replication, interval (a chat counts in
//! the interval it arrived) and service. Written whenever such a threshold
//! is judged, so that `merge` pools the shards' replications in replication
//! order and judges exactly as the unsharded run or sweep did: counts are
//! integers and the wait sums are written in Rust's round-trip float form,
//! so the pooled figures are the same to the last bit.

use std::fmt::Write as _;
use std::path::Path;

use super::per_interval::{Cell, IntervalFigures};
use super::summary::Summary;
use super::thresholds::{evaluate_all, Threshold, Verdict};
use crate::model::Scenario;

pub const INTERVAL_COUNTS_HEADER: &str =
    "replication,service,interval,interval_start,offered,queued,handled,abandoned,in_sla,wait_sum_s\n";

/// The run's file.
pub const INTERVAL_COUNTS_FILE: &str = "interval_counts.csv";

/// Whether any of `ts` is judged per interval (and so needs the counts).
pub fn needs_counts(ts: &[Threshold]) -> bool {
    ts.iter().any(|t| t.per_interval)
}

/// The per-replication interval figures of a run (or a sweep point), with
/// the clock label of each interval's start.
#[derive(Debug, Clone, Default)]
pub struct IntervalCounts {
    /// `2026-11-24T14:00` per interval.
    pub labels: Vec<String>,
    /// (replication, its figures), in replication order.
    pub reps: Vec<(u32, IntervalFigures)>,
}

impl IntervalCounts {
    /// The counts of `scn`'s replications `reps` (in replication order).
    pub fn new(scn: &Scenario, reps: Vec<(u32, IntervalFigures)>) -> Self {
        IntervalCounts {
            labels: IntervalFigures::labels(scn),
            reps,
        }
    }

    /// The replications pooled in replication order (as `run` pools them);
    /// no interval at all without replications.
    pub fn pooled(&self) -> IntervalFigures {
        let mut it = self.reps.iter();
        let Some((_, first)) = it.next() else {
            return IntervalFigures::none();
        };
        let mut all = first.clone();
        for (_, f) in it {
            all.merge(f);
        }
        all
    }

    /// Every threshold judged: whole-run ones on `summary`, per-interval ones
    /// on these counts pooled.
    pub fn judge(&self, summary: &Summary, ts: &[Threshold]) -> Vec<Verdict> {
        let pooled = self.pooled();
        let label = |i: usize| self.labels.get(i).cloned().unwrap_or_default();
        evaluate_all(summary, ts, Some((&pooled, &label)))
    }

    /// The rows, each after `prefix` (a sweep's point columns; empty for a run).
    pub fn write_rows(&self, prefix: &str, out: &mut String) {
        for (rep, f) in &self.reps {
            for (i, row) in f.cells().iter().enumerate() {
                let label = self.labels.get(i).map_or("", String::as_str);
                for (svc, c) in f.services().iter().zip(row) {
                    let _ = writeln!(
                        out,
                        "{prefix}{rep},{svc},{i},{label},{},{},{},{},{},{}",
                        c.offered, c.queued, c.handled, c.abandoned, c.in_sla, c.wait_sum_s
                    );
                }
            }
        }
    }

    /// interval_counts.csv.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(INTERVAL_COUNTS_HEADER);
        self.write_rows("", &mut s);
        s
    }

    /// Parses interval_counts.csv as `to_csv` writes it.
    pub fn parse_csv(path: &Path, text: &str) -> Result<Self, String> {
        let lines = super::results::data_lines(path, text, INTERVAL_COUNTS_HEADER)?;
        Self::parse_rows(path, lines)
    }

    /// Parses data rows (without a sweep's point columns) given with their
    /// 1-based line numbers in `path`. Rows come as `write_rows` writes them:
    /// by replication, then interval, then service; every replication has
    /// the same intervals (and labels) and services.
    pub fn parse_rows<'a>(
        path: &Path,
        lines: impl Iterator<Item = (usize, &'a str)>,
    ) -> Result<Self, String> {
        let mut p = Parser::default();
        for (n, line) in lines.filter(|(_, l)| !l.is_empty()) {
            p.row(line)
                .map_err(|m| format!("{}:{n}: {m}", path.display()))?;
        }
        p.finish().map_err(|m| {
            format!(
                "{}: {m}; the file was edited or is truncated",
                path.display()
            )
        })
    }

    /// Joins the counts of several folders (shards): the replications in
    /// order; all must have the same intervals and services. `from` names
    /// each part's file in errors.
    pub fn combine(parts: Vec<(IntervalCounts, &Path)>) -> Result<Self, String> {
        let mut all = IntervalCounts::default();
        let mut shape: Option<(&Path, Vec<String>)> = None;
        for (part, from) in parts {
            let Some((_, f)) = part.reps.first() else {
                continue; // an empty shard: nothing to join
            };
            match &shape {
                None => {
                    shape = Some((from, f.services().to_vec()));
                    all.labels = part.labels.clone();
                }
                Some((first, services)) => {
                    if part.labels != all.labels || f.services() != services.as_slice() {
                        return Err(format!(
                            "{}: other intervals or services than {}; merge joins shards of one run or sweep",
                            from.display(),
                            first.display()
                        ));
                    }
                }
            }
            all.reps.extend(part.reps);
        }
        all.reps.sort_by_key(|(r, _)| *r);
        Ok(all)
    }

    /// The replications held, in order.
    pub fn replications(&self) -> Vec<u32> {
        self.reps.iter().map(|(r, _)| *r).collect()
    }
}

/// Builds the replications row by row, checking the order `write_rows` keeps.
#[derive(Default)]
struct Parser {
    labels: Vec<String>,
    services: Vec<String>,
    reps: Vec<(u32, Vec<Vec<Cell>>)>,
}

impl Parser {
    fn row(&mut self, line: &str) -> Result<(), String> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != 10 {
            return Err(format!(
                "expected 10 fields ({}), found {}",
                INTERVAL_COUNTS_HEADER.trim_end(),
                f.len()
            ));
        }
        let int = |k: usize| {
            f[k].parse::<u64>().map_err(|_| {
                let name = INTERVAL_COUNTS_HEADER.split(',').nth(k).unwrap_or("");
                format!("{name} `{}` is not a whole number >= 0", f[k])
            })
        };
        let rep =
            u32::try_from(int(0)?).map_err(|_| format!("replication `{}` is too large", f[0]))?;
        let interval = int(2)? as usize;
        let wait_sum_s = f[9]
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("wait_sum_s `{}` is not a number >= 0", f[9]))?;
        let cell = Cell {
            offered: int(4)?,
            queued: int(5)?,
            handled: int(6)?,
            abandoned: int(7)?,
            in_sla: int(8)?,
            wait_sum_s,
        };
        if self.reps.last().is_none_or(|(r, _)| *r != rep) {
            if self.reps.last().is_some_and(|(r, _)| *r >= rep) {
                return Err(format!("replication {rep} is out of order or repeated"));
            }
            self.check_whole()?;
            self.reps.push((rep, Vec::new()));
        }
        // The first replication's first interval names the services, its
        // intervals the labels; the others must repeat them.
        let learning = self.reps.len() == 1;
        let first_rep = self.reps[0].0;
        let (_, cells) = self.reps.last_mut().expect("pushed above");
        let done = |c: &Vec<Cell>| c.len() == self.services.len();
        if interval == cells.len() && cells.last().is_none_or(done) {
            cells.push(Vec::new());
            if learning {
                self.labels.push(f[3].to_string());
            }
        } else if interval + 1 != cells.len() {
            return Err(format!(
                "interval {interval} where interval {} was expected (rows go by replication, interval, service)",
                cells.len().saturating_sub(1)
            ));
        }
        let row = cells.last_mut().expect("pushed above");
        if learning && interval == 0 && !self.services.iter().any(|s| s == f[1]) {
            self.services.push(f[1].to_string());
        } else if self.services.get(row.len()).map(String::as_str) != Some(f[1]) {
            return Err(format!(
                "service `{}` where {} was expected: every interval lists the services of the first ({}) in order",
                f[1],
                self.services
                    .get(row.len())
                    .map_or("the next interval".to_string(), |s| format!("`{s}`")),
                self.services.join(", ")
            ));
        }
        if self.labels.get(interval).map(String::as_str) != Some(f[3]) {
            return Err(format!(
                "interval {interval} starts at `{}` here but at `{}` in replication {}",
                f[3],
                self.labels.get(interval).map_or("", String::as_str),
                first_rep
            ));
        }
        row.push(cell);
        Ok(())
    }

    /// The last replication read lists every interval and service of the first.
    fn check_whole(&self) -> Result<(), String> {
        let Some((rep, cells)) = self.reps.last() else {
            return Ok(());
        };
        let whole = cells.len() == self.labels.len()
            && cells.iter().all(|c| c.len() == self.services.len());
        if whole {
            Ok(())
        } else {
            Err(format!(
                "replication {rep} lacks rows: expected {} intervals x {} services",
                self.labels.len(),
                self.services.len()
            ))
        }
    }

    fn finish(self) -> Result<IntervalCounts, String> {
        self.check_whole()?;
        let services = self.services;
        Ok(IntervalCounts {
            labels: self.labels,
            reps: self
                .reps
                .into_iter()
                .map(|(r, cells)| (r, IntervalFigures::from_cells(services.clone(), cells)))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts() -> IntervalCounts {
        let cell = |n: u64, w: f64| Cell {
            offered: n,
            queued: n,
            handled: n,
            abandoned: 0,
            in_sla: n / 2,
            wait_sum_s: w,
        };
        let svc = vec!["a".to_string(), "b".to_string()];
        let rep = |k: u64| {
            IntervalFigures::from_cells(
                svc.clone(),
                vec![
                    vec![cell(k, 0.1 + k as f64 / 3.0), cell(1, 1e-9)],
                    vec![cell(2, 7.25), cell(0, 0.0)],
                ],
            )
        };
        IntervalCounts {
            labels: vec!["2026-01-01T08:00".into(), "2026-01-01T09:00".into()],
            reps: vec![(0, rep(3)), (2, rep(5))],
        }
    }

    #[test]
    fn round_trips_exactly() {
        let c = counts();
        let text = c.to_csv();
        let back = IntervalCounts::parse_csv(Path::new("x.csv"), &text).unwrap();
        assert_eq!(back.to_csv(), text);
        assert_eq!(back.labels, c.labels);
        assert_eq!(back.replications(), vec![0, 2]);
        for ((_, a), (_, b)) in back.reps.iter().zip(&c.reps) {
            assert_eq!(a.cells(), b.cells());
        }
    }

    #[test]
    fn damaged_files_name_the_line() {
        let text = counts().to_csv();
        let lines: Vec<&str> = text.lines().collect();
        let without = |k: usize| {
            let mut l = lines.clone();
            l.remove(k);
            l.join("\n") + "\n"
        };
        let p = Path::new("x.csv");
        // The last row of a replication missing: caught when the next starts, or at the end.
        let e = IntervalCounts::parse_csv(p, &without(4)).unwrap_err();
        assert!(
            e.contains("x.csv:5:") && e.contains("replication 0 lacks rows"),
            "{e}"
        );
        let e = IntervalCounts::parse_csv(p, &without(lines.len() - 1)).unwrap_err();
        assert!(e.contains("replication 2 lacks rows"), "{e}");
        // Interval 0 without `b`: the first row of `b` is refused.
        let e = IntervalCounts::parse_csv(p, &without(2)).unwrap_err();
        assert!(e.contains("x.csv:4: service `b`"), "{e}");
        let bad = text.replacen(",7.25", ",x", 1);
        assert!(IntervalCounts::parse_csv(p, &bad)
            .unwrap_err()
            .contains("wait_sum_s `x`"));
        assert!(IntervalCounts::parse_csv(p, "nope\n")
            .unwrap_err()
            .contains("expected the header"));
    }
}
