//! Reading back a results folder written by `run` (or `merge`): the identity
//! in summary.json and the exact per-replication numbers in replications.csv.
//! `merge` and `compare` start here; `verify` checks every number and that
//! the files agree before either trusts them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::summary::{MetricTable, SummaryMeta};
use super::verify;

/// The data lines of a CSV file routesim wrote, numbered from 1 as in an
/// editor, after checking that its first line is `header` (with or without
/// its newline); `path` names the file in the error.
pub fn data_lines<'a>(
    path: &Path,
    text: &'a str,
    header: &str,
) -> Result<impl Iterator<Item = (usize, &'a str)> + 'a, String> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    match lines.next() {
        Some((_, h)) if h == header.trim_end() => Ok(lines),
        _ => Err(format!(
            "{}:1: expected the header `{}`",
            path.display(),
            header.trim_end()
        )),
    }
}

/// A results folder, as far as merge and compare need it.
#[derive(Debug, Clone)]
pub struct ResultDir {
    pub dir: PathBuf,
    pub meta: SummaryMeta,
    pub version: String,
    /// The normalised threshold expressions evaluated by the run.
    pub thresholds: Vec<String>,
    pub table: MetricTable,
}

#[derive(Deserialize)]
struct Doc {
    tool: String,
    version: String,
    scenario: String,
    scenario_hash: String,
    seed: u64,
    replications: u32,
    total_replications: u32,
    #[serde(default)]
    shard: Option<String>,
    #[serde(default)]
    thresholds: Vec<DocVerdict>,
}

#[derive(Deserialize)]
struct DocVerdict {
    expr: String,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "{}: not found; a results folder written by `routesim run` holds summary.json and replications.csv",
                path.display()
            )
        } else {
            format!("{}: cannot read: {e}", path.display())
        }
    })
}

impl ResultDir {
    pub fn read(dir: &Path) -> Result<ResultDir, String> {
        if !dir.is_dir() {
            return Err(format!("{}: not a folder of results", dir.display()));
        }
        let json_path = dir.join("summary.json");
        let csv_path = dir.join("replications.csv");
        let json = read(&json_path)?;
        let csv = read(&csv_path)?;
        let doc: Doc = serde_json::from_str(&json)
            .map_err(|e| format!("{}: not a routesim summary: {e}", json_path.display()))?;
        if doc.tool != "routesim" {
            return Err(format!(
                "{}: written by `{}`, expected routesim",
                json_path.display(),
                doc.tool
            ));
        }
        if !csv.ends_with('\n') {
            return Err(format!(
                "{}:{}: truncated: the last line ends without a newline",
                csv_path.display(),
                csv.lines().count()
            ));
        }
        let table = MetricTable::parse_csv(&csv_path, &csv)?;
        let meta = SummaryMeta {
            scenario: doc.scenario,
            hash: doc.scenario_hash,
            seed: doc.seed,
            total_replications: doc.total_replications,
        };
        let shard = doc
            .shard
            .map(|s| crate::run::parse_shard(&s))
            .transpose()
            .map_err(|m| format!("{}: shard {m}", json_path.display()))?;
        verify::check_counts(&json_path, &meta, doc.replications, shard, &table)?;
        verify::check_table(&csv_path, &table)?;
        verify::check_summary_csv(dir, &meta, &table)?;
        Ok(ResultDir {
            dir: dir.to_path_buf(),
            meta,
            version: doc.version,
            thresholds: doc.thresholds.into_iter().map(|v| v.expr).collect(),
            table,
        })
    }

    pub fn replications(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.reps.iter().map(|r| r.replication)
    }
}
