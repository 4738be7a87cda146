//! Checks of a results folder before `merge` or `compare` trust it: every
//! number in range, the files agreeing with each other, nothing truncated.
//! A tampered, truncated or mixed folder is refused with the file, line and
//! what is wrong, never merged or compared.

use std::path::Path;

use super::summary::{MetricTable, Summary, SummaryMeta};
use crate::stats::{metric_index, METRICS, SHARES};

/// The most replications a scenario may ask for (as `simulation.replications`).
pub const MAX_REPLICATIONS: u32 = 1_000_000;

/// Whole numbers >= 0 that every replication defines.
const COUNTS: [&str; 10] = [
    "offered",
    "queued",
    "handled",
    "abandoned",
    "failed",
    "cancelled",
    "transferred",
    "ronas",
    "direct",
    "max_queue_length",
];
/// Counts of tasks that cannot exceed the tasks offered.
const AT_MOST_OFFERED: [&str; 5] = ["queued", "handled", "abandoned", "failed", "cancelled"];

/// Every value of replications.csv in range; `path` names it in errors.
pub fn check_table(path: &Path, t: &MetricTable) -> Result<(), String> {
    let idx = |m: &str| metric_index(m).expect("a contract metric");
    let offered = idx("offered");
    for rep in &t.reps {
        for (service, row) in t.services.iter().zip(&rep.rows) {
            let bad = |m: usize, what: &str| {
                format!(
                    "{}: replication {}, {service}/{}: {} {what}; the file was edited or damaged (rerun to get it back)",
                    path.display(),
                    rep.replication,
                    METRICS[m],
                    row[m]
                )
            };
            for (m, &v) in row.iter().enumerate() {
                if v.is_nan() {
                    if COUNTS.contains(&METRICS[m]) {
                        return Err(bad(m, "(empty) where a count must be"));
                    }
                    continue;
                }
                if v < 0.0 {
                    return Err(bad(m, "is negative; every metric is >= 0"));
                }
                if COUNTS.contains(&METRICS[m]) && v.fract() != 0.0 {
                    return Err(bad(m, "is not a whole number"));
                }
                if SHARES.contains(&METRICS[m]) && v > 1.0 {
                    return Err(bad(m, "is above 1; a share is in [0, 1]"));
                }
            }
            for m in AT_MOST_OFFERED.map(idx) {
                if row[m] > row[offered] {
                    return Err(bad(
                        m,
                        &format!("is more than the {} tasks offered", row[offered]),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// summary.json's identity against replications.csv: the replication count,
/// the bound on `total_replications`, indices inside it and in the shard.
pub fn check_counts(
    json: &Path,
    meta: &SummaryMeta,
    replications: u32,
    shard: Option<(u32, u32)>,
    t: &MetricTable,
) -> Result<(), String> {
    let total = meta.total_replications;
    if !(1..=MAX_REPLICATIONS).contains(&total) {
        return Err(format!(
            "{}: total_replications {total} is outside 1..={MAX_REPLICATIONS}; the file was edited or damaged",
            json.display()
        ));
    }
    let rows = t.reps.len();
    if replications as usize != rows {
        return Err(format!(
            "{}: says {replications} replications, but replications.csv holds {rows}; one of them is truncated or from another run",
            json.display()
        ));
    }
    if let Some((i, n)) = shard {
        if n == 0 || i >= n {
            return Err(format!(
                "{}: shard `{i}/{n}` is not I/N with I < N",
                json.display()
            ));
        }
    }
    for r in t.reps.iter().map(|r| r.replication) {
        if r >= total {
            return Err(format!(
                "{}: replication {r} is beyond total_replications {total} in {}",
                json.with_file_name("replications.csv").display(),
                json.display()
            ));
        }
        if let Some((i, n)) = shard.filter(|&(i, n)| r % n != i) {
            return Err(format!(
                "{}: replication {r} does not belong to shard {i}/{n} named in {}",
                json.with_file_name("replications.csv").display(),
                json.display()
            ));
        }
    }
    Ok(())
}

/// summary.csv must be what replications.csv aggregates to, byte for byte.
pub fn check_summary_csv(dir: &Path, meta: &SummaryMeta, t: &MetricTable) -> Result<(), String> {
    let path = dir.join("summary.csv");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let want = Summary::from_table(meta.clone(), t).to_csv();
    if text == want {
        return Ok(());
    }
    // An empty shard (more shards than replications) names its services
    // only in summary.csv: every row there must be undefined, over 0
    // replications.
    let empty_shard_ok = t.reps.is_empty()
        && text.lines().next() == want.lines().next()
        && text.ends_with('\n')
        && text.lines().skip(1).all(|l| l.ends_with(",,,,,0"));
    if empty_shard_ok {
        return Ok(());
    }
    let line = text
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| text.lines().count().min(want.lines().count()))
        + 1;
    Err(format!(
        "{}:{line}: does not match replications.csv (expected `{}`); a file was edited, truncated or comes from another run",
        path.display(),
        want.lines().nth(line - 1).unwrap_or("end of file")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::summary::RepMetrics;
    use crate::stats::N_METRICS;

    fn table(f: impl Fn(&mut [f64; N_METRICS])) -> MetricTable {
        let mut row = [0.0; N_METRICS];
        row[metric_index("offered").unwrap()] = 10.0;
        row[metric_index("handled").unwrap()] = 8.0;
        f(&mut row);
        MetricTable {
            services: vec!["*".into()],
            reps: vec![RepMetrics {
                replication: 0,
                rows: vec![row],
            }],
        }
    }

    #[test]
    fn ranges() {
        let p = Path::new("r/replications.csv");
        assert!(check_table(p, &table(|_| {})).is_ok());
        let set = |m: &'static str, v: f64| {
            move |r: &mut [f64; N_METRICS]| r[metric_index(m).unwrap()] = v
        };
        for (m, v, needle) in [
            ("handled", 11.0, "more than the 10 tasks offered"),
            ("p_abandon", 1.5, "above 1"),
            ("occupancy", -0.1, "negative"),
            ("offered", f64::NAN, "count"),
            ("ronas", 2.5, "whole number"),
        ] {
            let e = check_table(p, &table(set(m, v))).unwrap_err();
            assert!(e.contains(needle) && e.contains(m), "{m}: {e}");
        }
    }
}
