//! `routesim sweep` as a library call: one scenario per grid point (the
//! point's values applied as `--set` overrides), all (point, replication)
//! pairs run on one rayon pool, results combined in index order so the output
//! bytes never depend on the thread count. Replication r of every point draws
//! from the seed derived from (seed, r), as in `run`: common random numbers,
//! so differences between points are the parameters', not the noise's.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use super::vary::{grid, groups, zip_keys, Vary};
use crate::engine::Sim;
use crate::model::Scenario;
use crate::report::atomic::write_atomic;
use crate::report::fmt::push_str;
use crate::report::interval_counts::{needs_counts, IntervalCounts, INTERVAL_COUNTS_HEADER};
use crate::report::outdir::OutDir;
use crate::report::per_interval::IntervalFigures;
use crate::report::summary::{
    short, JsonRow, MetricTable, Summary, SummaryMeta, REPLICATIONS_HEADER, SUMMARY_HEADER,
};
use crate::report::table::Table;
use crate::report::thresholds::{self, evaluate_all, Threshold, Verdict};
use crate::run::{run_replication_quiet, RunError};
use crate::scenario::{self, ScenarioError};
use crate::stats::RepResult;

#[derive(Debug, Clone, Default)]
pub struct SweepOptions {
    /// `--set` overrides applied to every point before the point's own values.
    pub sets: Vec<String>,
    pub seed: Option<u64>,
    pub replications: Option<u32>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
    /// `(i, n)`: run only the work items k (in flattened (point, replication)
    /// order) with `k % n == i`. `routesim merge` combines all shards into
    /// exactly the unsharded sweep.
    pub shard: Option<(u32, u32)>,
    /// `--threshold` expressions, judged at every point after the scenario's own.
    pub threshold: Vec<String>,
    /// `--no-thresholds`: ignore the scenario's `thresholds = [...]`.
    pub no_thresholds: bool,
}

/// One grid point: its exact per-replication metrics and their summary.
#[derive(Debug)]
pub struct Point {
    /// (key, value as given on the command line), in --vary order.
    pub params: Vec<(String, String)>,
    /// The replications run (all, or a shard's), as replications.csv holds them.
    pub table: MetricTable,
    /// `Summary::from_table` of `table`; its hash is the point's scenario's.
    pub summary: Summary,
    /// Per-replication interval counts, kept when an `every_interval:`
    /// threshold is judged (sweep_interval_counts.csv).
    pub counts: Option<IntervalCounts>,
    /// The sweep's thresholds judged on this point; none when the point has
    /// no replication here (a shard that ran none of it).
    pub verdicts: Vec<Verdict>,
}

#[derive(Debug)]
pub struct Sweep {
    pub scenario: String,
    /// Hash of the base scenario (text and --set overrides, without --vary).
    pub hash: String,
    pub seed: u64,
    pub replications: u32,
    pub keys: Vec<String>,
    /// The grid: each key with its values in order.
    pub varies: Vec<Vary>,
    /// The `--zip` groups (keys advancing together), in grid order.
    pub zips: Vec<Vec<String>>,
    /// `(i, n)` when this is shard i of n.
    pub shard: Option<(u32, u32)>,
    /// Judged at every point.
    pub thresholds: Vec<Threshold>,
    pub points: Vec<Point>,
    pub events: u64,
    pub elapsed: Duration,
}

pub use super::PlannerError as SweepError;

/// The per-interval counts of a sweep's points (see `Sweep::to_interval_counts_csv`).
pub const SWEEP_INTERVAL_COUNTS_FILE: &str = "sweep_interval_counts.csv";

/// A loaded, validated sweep, ready to run.
#[derive(Debug)]
pub struct Plan {
    pub base: Scenario,
    pub keys: Vec<String>,
    pub varies: Vec<Vary>,
    /// The `--zip` groups, in grid order (as sweep.json records them).
    pub zips: Vec<Vec<String>>,
    pub points: Vec<(Vec<(String, String)>, Scenario)>,
    /// The scenario's thresholds (unless `--no-thresholds`) and `--threshold`'s.
    pub thresholds: Vec<Threshold>,
}

/// The work items `(point, replication)` of a sweep whose points have
/// `replications[p]` replications, flattened point by point, then kept if
/// their index k satisfies `k % n == i` for `shard = (i, n)`.
pub fn work_items(replications: &[u32], shard: Option<(u32, u32)>) -> Vec<(usize, u32)> {
    replications
        .iter()
        .enumerate()
        .flat_map(|(p, &n)| (0..n).map(move |r| (p, r)))
        .enumerate()
        .filter(|(k, _)| shard.is_none_or(|(i, n)| *k as u64 % n as u64 == i as u64))
        .map(|(_, item)| item)
        .collect()
}

impl Plan {
    fn replications(&self) -> Vec<u32> {
        self.points
            .iter()
            .map(|(_, s)| s.sim.replications)
            .collect()
    }

    /// The work items this sweep (or shard) runs.
    pub fn items(&self, shard: Option<(u32, u32)>) -> Vec<(usize, u32)> {
        work_items(&self.replications(), shard)
    }

    /// Replications over all points: the work items.
    pub fn work(&self) -> u64 {
        self.points
            .iter()
            .map(|(_, s)| s.sim.replications as u64)
            .sum()
    }
}

/// Loads the base scenario and every point's. Each point is validated as a
/// whole scenario, so a `--vary` key the scenario lacks, or a value it
/// refuses, is reported with the point that holds it before anything runs.
pub fn plan(
    path: &Path,
    varies: &[Vary],
    zips: &[Vec<String>],
    opts: &SweepOptions,
) -> Result<Plan, SweepError> {
    let points = grid(varies, zips).map_err(SweepError::Input)?;
    let zips = zip_keys(varies, &groups(varies, zips).map_err(SweepError::Input)?);
    let text = std::fs::read_to_string(path).map_err(|e| {
        SweepError::Scenario(ScenarioError::single(
            path,
            "file",
            format!("cannot read the scenario: {e}"),
        ))
    })?;
    let overridden = |mut s: Scenario| {
        if let Some(seed) = opts.seed {
            s.sim.seed = seed;
        }
        if let Some(r) = opts.replications {
            s.sim.replications = r;
        }
        s
    };
    let base = scenario::load_str(path, &text, &opts.sets)
        .map_err(SweepError::Scenario)?
        .scenario;
    let thresholds = thresholds::gather(&base, &opts.threshold, opts.no_thresholds)
        .map_err(SweepError::Input)?;
    let mut loaded = Vec::with_capacity(points.len());
    for (i, params) in points.into_iter().enumerate() {
        let mut sets = opts.sets.clone();
        sets.extend(params.iter().map(|(k, v)| format!("{k}={v}")));
        let scn = scenario::load_str(path, &text, &sets).map_err(|mut e| {
            let at: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            for p in &mut e.problems {
                p.location = format!("--vary point {i} ({}): {}", at.join(", "), p.location);
            }
            SweepError::Scenario(e)
        })?;
        loaded.push((params, overridden(scn.scenario)));
    }
    Ok(Plan {
        base: overridden(base),
        keys: varies.iter().map(|v| v.key.clone()).collect(),
        varies: varies.to_vec(),
        zips,
        points: loaded,
        thresholds,
    })
}

/// Runs every (point, replication) pair; `on_done` is called as each finishes.
pub fn run(
    plan: Plan,
    threads: Option<usize>,
    shard: Option<(u32, u32)>,
    on_done: &(dyn Fn() + Sync),
) -> Result<Sweep, SweepError> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .map_err(|e| SweepError::Run(RunError::Threads(e.to_string())))?;
    // Flattened so that a few points with many replications, or many points
    // with one, keep every core busy alike.
    let items = plan.items(shard);
    let counts = needs_counts(&plan.thresholds);
    let results: Vec<_> = pool.install(|| {
        items
            .par_iter()
            .map(|&(p, r)| {
                let res = run_item(&plan.points[p].1, r, counts);
                on_done();
                res
            })
            .collect()
    });
    let mut per_point: Vec<PointRuns> = plan.points.iter().map(|_| Default::default()).collect();
    for (&(p, r), (res, figs)) in items.iter().zip(results) {
        per_point[p].0.push(res);
        per_point[p].1.extend(figs.map(|f| (r, f)));
    }
    let events = per_point.iter().flat_map(|p| &p.0).map(|r| r.events).sum();
    let points = plan
        .points
        .iter()
        .zip(per_point)
        .map(|((params, scn), (reps, figs))| {
            Point::new(
                params.clone(),
                meta(scn),
                MetricTable::from_results(scn, &reps),
                counts.then(|| IntervalCounts::new(scn, figs)),
                &plan.thresholds,
            )
        })
        .collect();
    Ok(Sweep {
        scenario: plan.base.name.clone(),
        hash: plan.base.hash.clone(),
        seed: plan.base.sim.seed,
        replications: plan.base.sim.replications,
        keys: plan.keys,
        varies: plan.varies,
        zips: plan.zips,
        shard,
        thresholds: plan.thresholds,
        points,
        events,
        elapsed: started.elapsed(),
    })
}

/// A point's replications run: their results and (when collected) their
/// per-interval figures.
type PointRuns = (Vec<RepResult>, Vec<(u32, IntervalFigures)>);

/// One replication of a point; with `counts`, also its per-interval figures
/// (collecting them costs a session record per chat, so only when judged).
fn run_item(scn: &Scenario, r: u32, counts: bool) -> (RepResult, Option<IntervalFigures>) {
    if counts {
        let (res, figs) = Sim::new(scn, r, IntervalFigures::new(scn)).run();
        (res, Some(figs))
    } else {
        (run_replication_quiet(scn, r), None)
    }
}

fn meta(scn: &Scenario) -> SummaryMeta {
    SummaryMeta {
        scenario: scn.name.clone(),
        hash: scn.hash.clone(),
        seed: scn.sim.seed,
        total_replications: scn.sim.replications,
    }
}

impl Point {
    /// A point of the replications in `table`, summarised by the one
    /// aggregation and judged on `thresholds` (per-interval ones on
    /// `counts`), as `sweep` and `merge` both build it.
    pub fn new(
        params: Vec<(String, String)>,
        meta: SummaryMeta,
        table: MetricTable,
        counts: Option<IntervalCounts>,
        thresholds: &[Threshold],
    ) -> Point {
        let summary = Summary::from_table(meta, &table);
        let verdicts = match &counts {
            _ if table.reps.is_empty() => Vec::new(),
            Some(c) => c.judge(&summary, thresholds),
            None => evaluate_all(&summary, thresholds, None),
        };
        Point {
            params,
            summary,
            table,
            counts,
            verdicts,
        }
    }

    /// Whether every threshold holds here; `None` when not judged (no
    /// replication of the point in this shard).
    pub fn thresholds_ok(&self) -> Option<bool> {
        (!self.table.reps.is_empty()).then(|| self.verdicts.iter().all(|v| v.ok))
    }
}

/// `point,param_<key>...,` then `rest`: the header of sweep.csv and sweep_replications.csv.
pub(crate) fn header(keys: &[String], rest: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"point");
    for k in keys {
        out.push(b',');
        push_str(&mut out, &format!("param_{k}"));
    }
    out.push(b',');
    out.extend_from_slice(rest.as_bytes());
    out
}

/// `point,value...,`: the columns that start each of a point's rows.
pub(crate) fn row_prefix(point: usize, params: &[(String, String)]) -> Vec<u8> {
    let mut prefix = point.to_string().into_bytes();
    for (_, v) in params {
        prefix.push(b',');
        push_str(&mut prefix, v);
    }
    prefix.push(b',');
    prefix
}

/// `KEY=V1,V2,...`: one --vary as recorded in sweep.json (ranges expanded).
pub(crate) fn vary_spec(v: &Vary) -> String {
    format!("{}={}", v.key, v.values.join(","))
}

impl Sweep {
    /// sweep.csv: `point,param_<key>...,service,metric,mean,ci95,min,max,replications`.
    pub fn to_csv(&self) -> String {
        let mut out = header(&self.keys, SUMMARY_HEADER);
        for (i, p) in self.points.iter().enumerate() {
            let prefix = row_prefix(i, &p.params);
            for r in &p.summary.rows {
                out.extend_from_slice(&prefix);
                out.extend_from_slice(r.csv_fields().as_bytes());
                out.push(b'\n');
            }
        }
        String::from_utf8(out).expect("CSV of UTF-8 fields is UTF-8")
    }

    /// sweep_replications.csv: `point,param_<key>...,replication,service,metric,value`,
    /// the exact per-replication values (round-trip form, undefined empty) that
    /// sweep.csv summarises; `merge` recomputes the summaries from them.
    pub fn to_replications_csv(&self) -> String {
        let mut out = header(&self.keys, REPLICATIONS_HEADER);
        for (i, p) in self.points.iter().enumerate() {
            let prefix = row_prefix(i, &p.params);
            for line in p.table.to_csv().lines().skip(1) {
                out.extend_from_slice(&prefix);
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
        }
        String::from_utf8(out).expect("CSV of UTF-8 fields is UTF-8")
    }

    /// sweep_interval_counts.csv: `point,param_<key>...,` then the rows of a
    /// run's interval_counts.csv, per point; `merge` re-judges the
    /// per-interval thresholds from them.
    pub fn to_interval_counts_csv(&self) -> String {
        let mut out = String::from_utf8(header(&self.keys, INTERVAL_COUNTS_HEADER))
            .expect("CSV of UTF-8 fields is UTF-8");
        for (i, p) in self.points.iter().enumerate() {
            let prefix = String::from_utf8(row_prefix(i, &p.params)).expect("UTF-8 fields");
            if let Some(c) = &p.counts {
                c.write_rows(&prefix, &mut out);
            }
        }
        out
    }

    /// The points (with their numbers) where a threshold fails.
    pub fn failing_points(&self) -> impl Iterator<Item = (usize, &Point)> {
        self.points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.thresholds_ok() == Some(false))
    }

    /// sweep.json: the same figures, per point, plus the provenance.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct P<'a> {
            point: usize,
            params: serde_json::Map<String, serde_json::Value>,
            scenario_hash: &'a str,
            replications: u32,
            total_replications: u32,
            metrics: Vec<JsonRow<'a>>,
            thresholds_ok: Option<bool>,
            thresholds: &'a [Verdict],
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            tool: &'a str,
            version: &'a str,
            scenario: &'a str,
            scenario_hash: &'a str,
            seed: u64,
            replications: u32,
            parameters: &'a [String],
            vary: Vec<String>,
            zip: &'a [Vec<String>],
            shard: Option<String>,
            thresholds: Vec<String>,
            points: Vec<P<'a>>,
        }
        let doc = Doc {
            tool: "routesim",
            version: env!("CARGO_PKG_VERSION"),
            scenario: &self.scenario,
            scenario_hash: &self.hash,
            seed: self.seed,
            replications: self.replications,
            parameters: &self.keys,
            vary: self.varies.iter().map(vary_spec).collect(),
            zip: &self.zips,
            shard: self.shard.map(|(i, n)| format!("{i}/{n}")),
            thresholds: self.thresholds.iter().map(Threshold::expr).collect(),
            points: self
                .points
                .iter()
                .enumerate()
                .map(|(i, p)| P {
                    point: i,
                    params: p
                        .params
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                        .collect(),
                    scenario_hash: &p.summary.hash,
                    replications: p.summary.replications,
                    total_replications: p.summary.total_replications,
                    metrics: p.summary.json_rows(),
                    thresholds_ok: p.thresholds_ok(),
                    thresholds: &p.verdicts,
                })
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("sweep serializes");
        s.push('\n');
        s
    }

    /// The compact table: point, parameters, tenant-wide headline metrics
    /// and, when thresholds are judged, `ok` / `FAIL` (`-`: not run here).
    pub fn table(&self) -> Table {
        const SHOWN: [(&str, &str); 5] = [
            ("service_level", "SL"),
            ("mean_wait_s", "mean wait s"),
            ("wait_p90_s", "p90 wait s"),
            ("p_abandon", "P(abandon)"),
            ("occupancy", "occupancy"),
        ];
        let headers = std::iter::once("point".to_string())
            .chain(self.keys.iter().cloned())
            .chain(SHOWN.iter().map(|(_, h)| h.to_string()))
            .chain((!self.thresholds.is_empty()).then(|| "thresholds".to_string()));
        let mut t = Table::new(headers);
        for (i, p) in self.points.iter().enumerate() {
            let mut row = vec![i.to_string()];
            row.extend(p.params.iter().map(|(_, v)| v.clone()));
            row.extend(
                SHOWN
                    .iter()
                    .map(|(m, _)| short(p.summary.get("*", m).map_or(f64::NAN, |e| e.mean))),
            );
            if !self.thresholds.is_empty() {
                let verdict = match p.thresholds_ok() {
                    Some(true) => "ok",
                    Some(false) => "FAIL",
                    None => "-",
                };
                row.push(verdict.to_string());
            }
            t.push(row);
        }
        t
    }

    /// Writes sweep.csv, sweep.json and sweep_replications.csv (and
    /// sweep_interval_counts.csv when a per-interval threshold is judged)
    /// into `dir`, each atomically, then report.html from sweep.csv.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, RunError> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RunError::Output { path, source }
        };
        let folder = OutDir::begin(dir).map_err(err(dir))?;
        let final_dir = dir;
        let dir = folder.path();
        let mut files = Vec::new();
        let bodies = [
            ("sweep.csv", self.to_csv()),
            ("sweep.json", self.to_json()),
            ("sweep_replications.csv", self.to_replications_csv()),
        ];
        let counts = needs_counts(&self.thresholds)
            .then(|| (SWEEP_INTERVAL_COUNTS_FILE, self.to_interval_counts_csv()));
        for (name, body) in bodies.into_iter().chain(counts) {
            let p = dir.join(name);
            files.push(write_atomic(&p, body.as_bytes()).map_err(err(&p))?);
        }
        let report = dir.join("report.html");
        crate::report::html::write_sweep_report(dir).map_err(err(&report))?;
        files.push(report);
        let files = files.iter().map(|p| folder.final_path(p)).collect();
        folder.commit().map_err(err(final_dir))?;
        Ok(files)
    }
}
