//! `routesim run` as a library call: replications in parallel (one thread
//! each, results combined in replication order), streamed part files joined
//! into the output files, the whole folder swapped in at once (`OutDir`).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::engine::sink::{NullSinks, Tee};
use crate::engine::Sim;
use crate::model::Scenario;
use crate::report::atomic::{commit_all, stage};
use crate::report::html::write_run_report;
use crate::report::interval_counts::{needs_counts, IntervalCounts, INTERVAL_COUNTS_FILE};
use crate::report::outdir::OutDir;
use crate::report::per_interval::IntervalFigures;
use crate::report::session_stats::SessionStats;
use crate::report::streams::{assemble, FileSinks, Parts, INTERVALS_HEADER, SESSIONS_HEADER};
use crate::report::summary::{replications_csv, users_csv, Summary};
use crate::report::thresholds::{Threshold, Verdict};
use crate::scenario::limits::MAX_SHARDS;
use crate::stats::RepResult;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub out_dir: PathBuf,
    /// Worker threads for replications; `None` = all cores.
    pub threads: Option<usize>,
    pub sessions: bool,
    /// Write sessions.csv.zst (zstd-compressed) instead of sessions.csv.
    pub sessions_zstd: bool,
    pub thresholds: Vec<Threshold>,
    /// `(i, n)`: run only the replications `r` with `r % n == i`. Seeds
    /// depend on the global index only, so `merge` of all shards equals the
    /// unsharded run.
    pub shard: Option<(u32, u32)>,
    /// Counts reporting intervals simulated, over all replications, as they
    /// end (for a progress display; one atomic add per interval, none per event).
    pub progress: Option<Arc<AtomicU64>>,
}

/// Parses `--shard I/N` (0-based `I`): `0/2` and `1/2` split a run in two.
pub fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let usage = "expected I/N with 0 <= I < N, e.g. 0/4 for the first of four shards";
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}` is not I/N; {usage}"))?;
    let num = |v: &str, what: &str| match v.trim().parse::<u64>() {
        Ok(n) if n <= MAX_SHARDS as u64 => Ok(n as u32),
        Ok(n) => Err(format!(
            "`{s}`: {what} {n} is above the maximum of {MAX_SHARDS} shards; {usage}"
        )),
        Err(_) => Err(format!(
            "`{s}`: {what} `{v}` is not a whole number; {usage}"
        )),
    };
    let (i, n) = (num(i, "shard index")?, num(n, "shard count")?);
    if n == 0 {
        return Err(format!(
            "`{s}`: the shard count must be at least 1; {usage}"
        ));
    }
    if i >= n {
        return Err(format!(
            "`{s}`: shard index {i} must be less than the shard count {n} (indices start at 0); {usage}"
        ));
    }
    Ok((i, n))
}

/// The global replication indices a run (or shard) covers.
pub fn replication_indices(total: u32, shard: Option<(u32, u32)>) -> Vec<u32> {
    match shard {
        None => (0..total).collect(),
        Some((i, n)) => (0..total).filter(|r| r % n == i).collect(),
    }
}

#[derive(Debug)]
pub struct RunOutput {
    pub summary: Summary,
    /// Per-interval figures pooled over the replications run.
    pub intervals: IntervalFigures,
    pub verdicts: Vec<Verdict>,
    pub files: Vec<PathBuf>,
    pub elapsed: Duration,
    pub events: u64,
    pub tasks: u64,
}

#[derive(Debug)]
pub enum RunError {
    /// The output folder or a file in it could not be written.
    Output {
        path: PathBuf,
        source: io::Error,
    },
    Threads(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Output { path, source } => {
                write!(f, "{}: cannot write output: {source}", path.display())
            }
            RunError::Threads(m) => write!(f, "--threads: {m}"),
        }
    }
}

impl std::error::Error for RunError {}

fn out_err(path: &Path) -> impl Fn(io::Error) -> RunError + '_ {
    move |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// A replication's result, its part files (sessions, intervals), its
/// sessions' tally for report.html and its per-interval figures.
type RepOutcome = Result<
    (
        RepResult,
        Option<PathBuf>,
        PathBuf,
        Option<SessionStats>,
        IntervalFigures,
    ),
    RunError,
>;

/// Runs one replication without writing anything (benchmarks, tests).
pub fn run_replication_quiet(scn: &Scenario, rep: u32) -> RepResult {
    Sim::new(scn, rep, NullSinks).run().0
}

/// Runs all replications of `scn` and writes the output files into
/// `opts.out_dir`. `on_done` is called as each replication finishes.
pub fn run(
    scn: &Scenario,
    opts: &RunOptions,
    on_done: &(dyn Fn() + Sync),
) -> Result<RunOutput, RunError> {
    let started = Instant::now();
    let out = OutDir::begin(&opts.out_dir).map_err(out_err(&opts.out_dir))?;
    let dir = out.path();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.unwrap_or(0))
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?;
    let indices = replication_indices(scn.sim.replications, opts.shard);
    let parts = Parts::new(dir, indices.clone());
    let outcomes: Vec<RepOutcome> = pool.install(|| {
        indices
            .par_iter()
            .copied()
            .map(|r| {
                let sinks = FileSinks::create(
                    scn,
                    &parts,
                    r,
                    opts.sessions,
                    opts.sessions_zstd,
                    opts.progress.clone(),
                )
                // Named as the user gave it, not as the staging folder.
                .map_err(out_err(&opts.out_dir))?;
                let sinks = Tee(sinks, IntervalFigures::new(scn));
                let (res, Tee(sinks, figs)) = Sim::new(scn, r, sinks).run();
                let (s, i, stats) = sinks.finish().map_err(out_err(&opts.out_dir))?;
                on_done();
                Ok((res, s, i, stats, figs))
            })
            .collect()
    });
    let mut results = Vec::with_capacity(indices.len());
    let mut session_parts = Vec::new();
    let mut interval_parts = Vec::new();
    let mut session_stats: Option<SessionStats> = None;
    let mut first_err = None;
    let mut figures = Vec::with_capacity(indices.len());
    for o in outcomes {
        match o {
            Ok((res, s, i, stats, f)) => {
                if let Some(st) = stats {
                    match session_stats.as_mut() {
                        Some(all) => all.merge(&st),
                        None => session_stats = Some(st),
                    }
                }
                figures.push((res.replication, f));
                results.push(res);
                session_parts.extend(s);
                interval_parts.push(i);
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        for p in session_parts.iter().chain(&interval_parts) {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }

    let mut summary = Summary::from_results(scn, &results);
    summary.shard = opts.shard;
    let counts = IntervalCounts::new(scn, figures);
    let verdicts = counts.judge(&summary, &opts.thresholds);
    // `merge` re-judges per-interval thresholds from the counts.
    let mut extra = Vec::new();
    if needs_counts(&opts.thresholds) {
        extra.push((INTERVAL_COUNTS_FILE, counts.to_csv().into_bytes()));
    }
    let files = write_folder(
        scn,
        &Folder {
            dir,
            sessions: opts.sessions,
            sessions_zstd: opts.sessions_zstd,
            session_stats: session_stats.as_ref(),
            results: &results,
            session_parts,
            interval_parts,
            summary: &summary,
            verdicts: &verdicts,
            summary_json: summary.to_json(&verdicts),
            extra,
        },
    )?;
    let files = files.iter().map(|p| out.final_path(p)).collect();
    out.commit().map_err(out_err(&opts.out_dir))?;
    Ok(RunOutput {
        events: results.iter().map(|r| r.events).sum(),
        tasks: results.iter().map(|r| r.tasks).sum(),
        summary,
        intervals: counts.pooled(),
        verdicts,
        files,
        elapsed: started.elapsed(),
    })
}

/// What goes into a result folder (`run`, and `load`, which adds its own files).
pub struct Folder<'a> {
    pub dir: &'a Path,
    pub sessions: bool,
    /// sessions.csv.zst instead of sessions.csv.
    pub sessions_zstd: bool,
    /// What report.html needs of the sessions, tallied while writing them.
    pub session_stats: Option<&'a SessionStats>,
    pub results: &'a [RepResult],
    /// The replications' part files (`FileSinks::finish`), joined and removed.
    pub session_parts: Vec<PathBuf>,
    pub interval_parts: Vec<PathBuf>,
    pub summary: &'a Summary,
    pub verdicts: &'a [Verdict],
    pub summary_json: String,
    /// Further files (name, body).
    pub extra: Vec<(&'static str, Vec<u8>)>,
}

/// Writes a result folder from the replications' results and part files.
pub fn write_folder(scn: &Scenario, f: &Folder) -> Result<Vec<PathBuf>, RunError> {
    let (dir, results, summary, verdicts) = (f.dir, f.results, f.summary, f.verdicts);
    let (session_parts, interval_parts) = (&f.session_parts, &f.interval_parts);
    // Stage every file, then rename them all: a failure while writing
    // leaves no new file behind.
    let (sessions_name, stale_name) = if f.sessions_zstd {
        ("sessions.csv.zst", "sessions.csv")
    } else {
        ("sessions.csv", "sessions.csv.zst")
    };
    let sessions_path = dir.join(sessions_name);
    let intervals_path = dir.join("intervals.csv");
    let mut staged = Vec::new();
    let parts: Vec<PathBuf> = session_parts
        .iter()
        .chain(interval_parts)
        .cloned()
        .collect();
    let staging = (|| -> Result<(), RunError> {
        if f.sessions {
            staged.push(
                assemble(
                    &sessions_path,
                    SESSIONS_HEADER,
                    session_parts,
                    f.sessions_zstd,
                )
                .map_err(out_err(&sessions_path))?,
            );
        }
        staged.push(
            assemble(&intervals_path, INTERVALS_HEADER, interval_parts, false)
                .map_err(out_err(&intervals_path))?,
        );
        for (name, body) in [
            ("users.csv", users_csv(scn, results).into_bytes()),
            (
                "replications.csv",
                replications_csv(scn, results).into_bytes(),
            ),
            ("summary.csv", summary.to_csv().into_bytes()),
            ("summary.json", f.summary_json.clone().into_bytes()),
        ]
        .iter()
        .chain(&f.extra)
        {
            let p = dir.join(name);
            staged.push(stage(&p, body).map_err(out_err(&p))?);
        }
        Ok(())
    })();
    for p in &parts {
        let _ = std::fs::remove_file(p);
    }
    staging?;
    let mut files =
        commit_all(staged).map_err(|(path, source)| RunError::Output { path, source })?;
    // Sessions files of an earlier run would not match this one.
    let mut stale = vec![dir.join(stale_name)];
    if !f.sessions {
        stale.push(sessions_path.clone());
    }
    for p in stale.iter().filter(|p| p.exists()) {
        std::fs::remove_file(p).map_err(out_err(p))?;
    }
    for p in stale.iter().filter(|p| p.exists()) {
        std::fs::remove_file(p).map_err(out_err(p))?;
    }
    // Last: the page is built from the files just written, and the
    // sessions' tally (sessions.csv is not read back).
    let report = dir.join("report.html");
    files
        .push(write_run_report(dir, summary, verdicts, f.session_stats).map_err(out_err(&report))?);
    Ok(files)
}
