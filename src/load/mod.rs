//! `routesim load`: the real-time driver of the same `Router` the engine uses.
//!
//! A producer task draws the arrival schedule from the plan (`plan.rs`) and
//! hands arrivals to the actor (`actor.rs`) over a bounded mpsc channel a few
//! milliseconds before they are due; the actor owns the router and fires
//! every timer on the wall clock, `time_scale` simulated seconds per wall
//! second. The schedule never depends on how fast the router is: a slow actor
//! makes arrivals late (counted) or fills the channel (dropped, counted).
//!
//! Decision latency is measured from the *scheduled* time of the event that
//! made a task distributable or freed a user, so queueing inside the tester
//! (coordinated omission) cannot hide.

pub mod actor;
pub mod findmax;
pub mod metrics;
pub mod plan;
pub mod route;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::model::time::{MICROS_PER_MS, MICROS_PER_SEC};
use crate::model::{Scenario, Time};
use crate::report::atomic::write_atomic;
use crate::report::outdir::OutDir;
use crate::report::summary::{Summary, SummaryRow};
use crate::report::thresholds::{evaluate, Threshold, Verdict};
use crate::stats::ci::estimate;
use crate::stats::{metric_name, RepResult, LOAD_METRICS};
use actor::{Actor, ActorConfig};
pub use actor::{Counts, LiveResult, Shared};
use metrics::{load_csv, SecondRow};
use plan::{check_sources, Arrival, RatePlan, Schedule, Stage};

/// A live run's settings, validated.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Wall µs during which arrivals are due.
    pub duration: Time,
    /// Simulated seconds per wall second.
    pub time_scale: f64,
    /// Total arrivals per wall second over time.
    pub plan: RatePlan,
    /// Wall µs after `duration` for queued tasks to leave the queue.
    pub drain: Time,
    /// See `ActorConfig::spin`.
    pub spin: Time,
    /// How far ahead of its due time the producer hands an arrival over (wall µs).
    pub lead: Time,
    /// Arrivals the channel holds before the producer drops them.
    pub channel: usize,
    /// See `ActorConfig::late_after`.
    pub late_after: Time,
}

pub const DEFAULT_DURATION: Time = 30 * MICROS_PER_SEC;

impl LoadOptions {
    /// Builds the options from the command line's values. `rate_scale` and
    /// `stages` are exclusive; with stages the duration defaults to theirs.
    /// Fails on what the live driver cannot run: trace arrivals, revisions,
    /// workflow activities beyond the path to the queue (`route`).
    pub fn new(
        scn: &Scenario,
        duration: Option<Time>,
        time_scale: f64,
        rate_scale: Option<f64>,
        stages: &[Stage],
    ) -> Result<LoadOptions, String> {
        check_sources(scn)?;
        route::routes(scn)?;
        let (plan, duration) = if stages.is_empty() {
            (
                RatePlan::scenario(scn, rate_scale.unwrap_or(1.0), time_scale),
                duration.unwrap_or(DEFAULT_DURATION),
            )
        } else {
            if rate_scale.is_some() {
                return Err("--rate-scale: cannot be combined with --stage, whose rates are already arrivals per wall second; drop one of them".into());
            }
            let plan = RatePlan::stages(stages);
            let d = match duration {
                Some(d) => d,
                None if plan.stages_len() > 0 => plan.stages_len(),
                None => {
                    return Err("--stage: the stages add up to 0s; give them a length (e.g. `30s:1000`) or set --duration".into())
                }
            };
            (plan, d)
        };
        Ok(LoadOptions {
            duration,
            time_scale,
            plan,
            drain: 2 * MICROS_PER_SEC,
            spin: 2 * MICROS_PER_MS,
            lead: 5 * MICROS_PER_MS,
            channel: 1 << 16,
            late_after: MICROS_PER_MS,
        })
    }
}

#[derive(Debug)]
pub enum LoadError {
    Output { path: PathBuf, source: io::Error },
    Runtime(io::Error),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Output { path, source } => {
                write!(f, "{}: cannot write output: {source}", path.display())
            }
            LoadError::Runtime(e) => write!(f, "cannot start the tokio runtime: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

fn out_err(path: &Path) -> impl Fn(io::Error) -> LoadError + '_ {
    move |source| LoadError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// The multi-threaded runtime a load test runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, LoadError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(LoadError::Runtime)
}

/// Hands the schedule's arrivals to the actor `lead` µs before they are due.
/// It never waits for the actor: a full channel drops the arrival (counted).
async fn produce(
    mut sched: Schedule<'_>,
    tx: mpsc::Sender<Arrival>,
    t0: Instant,
    lead: Time,
    shared: &Shared,
) {
    while let Some(due) = sched.peek_due() {
        if shared.stopped() {
            return;
        }
        let now = t0.elapsed().as_micros() as Time;
        if due > now + lead {
            let wake = tokio::time::Instant::from_std(t0 + Duration::from_micros(due - lead));
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = shared.notify.notified() => {}
            }
            continue;
        }
        let a = sched.next().expect("peeked");
        shared.generated.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(a) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

/// Runs one live test on the current tokio runtime. Each finished wall
/// second goes to `progress` as it happens; `shared.request_stop()` ends the
/// test early with what was measured.
pub async fn live(
    scn: Arc<Scenario>,
    opts: &LoadOptions,
    shared: Arc<Shared>,
    progress: mpsc::UnboundedSender<SecondRow>,
) -> LiveResult {
    let (tx, rx) = mpsc::channel(opts.channel);
    let t0 = Instant::now();
    let cfg = ActorConfig {
        t0,
        scale: opts.time_scale,
        duration: opts.duration,
        drain: opts.drain,
        spin: opts.spin,
        late_after: opts.late_after,
    };
    let producer = {
        let (scn, shared, plan) = (scn.clone(), shared.clone(), opts.plan.clone());
        let (end, lead) = (opts.duration, opts.lead);
        tokio::spawn(async move {
            let sched = Schedule::new(&scn, plan, end);
            produce(sched, tx, t0, lead, &shared).await;
        })
    };
    let actor = {
        let shared = shared.clone();
        tokio::spawn(async move {
            let actor = Actor::new(&scn, cfg, progress)
                .expect("LoadOptions::new checked the scenario's workflows");
            actor.run(rx, &shared).await
        })
    };
    let result = actor.await.expect("the actor task does not panic");
    // The actor dropped its receiver: the producer ends at its next send.
    shared.request_stop();
    let _ = producer.await;
    result
}

/// Runs a live test to the end on a new runtime, stopping early on Ctrl-C.
/// `on_second` sees each wall second as it ends.
pub fn run_load(
    scn: &Scenario,
    opts: &LoadOptions,
    on_second: &mut dyn FnMut(&SecondRow),
) -> Result<LiveResult, LoadError> {
    let rt = runtime()?;
    let scn = Arc::new(scn.clone());
    Ok(rt.block_on(async {
        let shared = Arc::new(Shared::default());
        let (ptx, mut prx) = mpsc::unbounded_channel();
        let run = live(scn, opts, shared.clone(), ptx);
        tokio::pin!(run);
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut signalled = false;
        loop {
            tokio::select! {
                r = &mut run => {
                    while let Ok(row) = prx.try_recv() {
                        on_second(&row);
                    }
                    return r;
                }
                Some(row) = prx.recv() => on_second(&row),
                _ = &mut ctrl_c, if !signalled => {
                    signalled = true;
                    shared.request_stop();
                }
            }
        }
    }))
}

/// The run-format summary of a live test (one replication) with the load
/// figures appended as rows of the tenant `*`.
pub fn summary(scn: &Scenario, res: &LiveResult) -> Summary {
    let rep = RepResult {
        replication: 0,
        metrics: res.metrics.clone(),
        users: Vec::new(),
        events: res.total.events,
        tasks: res.counts.offered,
    };
    let mut s = Summary::from_results(scn, &[rep]);
    s.total_replications = 1;
    let at = s
        .rows
        .iter()
        .position(|r| r.service != "*")
        .unwrap_or(s.rows.len());
    let rows = LOAD_METRICS
        .iter()
        .zip(res.figures.values())
        .map(|(m, v)| SummaryRow {
            service: "*".into(),
            metric: m,
            est: estimate([v]),
        });
    s.rows.splice(at..at, rows);
    s
}

/// Evaluates thresholds (from `thresholds::parse_load`) on a summary.
pub fn verdicts(summary: &Summary, gates: &[Threshold]) -> Vec<Verdict> {
    gates
        .iter()
        .map(|t| {
            let observed = summary
                .get(&t.service, metric_name(t.metric))
                .map_or(f64::NAN, |e| e.mean);
            evaluate(t, observed)
        })
        .collect()
}

/// Creates the output folder before a test, so a bad `-o` fails before the
/// test rather than after it.
pub fn prepare_dir(dir: &Path) -> Result<(), LoadError> {
    // Locks, cleans and checks the folder, then lets go until the write.
    crate::report::outdir::check(dir).map_err(out_err(dir))
}

/// Writes load.csv, summary.csv and summary.json, each atomically.
pub fn write_outputs(
    dir: &Path,
    res: &LiveResult,
    summary: &Summary,
    verdicts: &[Verdict],
) -> Result<Vec<PathBuf>, LoadError> {
    let folder = OutDir::begin(dir).map_err(out_err(dir))?;
    let (final_dir, dir) = (dir, folder.path());
    let mut files = Vec::new();
    for (name, body) in [
        ("load.csv", load_csv(&res.seconds)),
        ("summary.csv", summary.to_csv().into_bytes()),
        ("summary.json", summary.to_json(verdicts).into_bytes()),
    ] {
        let p = dir.join(name);
        files.push(write_atomic(&p, &body).map_err(out_err(&p))?);
    }
    let files = files.iter().map(|p| folder.final_path(p)).collect();
    folder.commit().map_err(out_err(final_dir))?;
    Ok(files)
}
