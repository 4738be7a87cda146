//! `routesim load`: the engine's own simulation, paced by a real-time clock
//! (`pace.rs`), one tokio task per tenant on the multi-thread runtime.
//!
//! The model is the engine's, unchanged: the same events in the same order
//! as `run`, so the result files (sessions, users, intervals) equal `run`'s
//! over the same simulated span. What the load tester adds is when each
//! event is processed (simulated time / `--time-scale`) and what that costs:
//! decision latency, timer lag, late arrivals, the shortfall against the
//! plan (`metrics.rs`).

pub mod findmax;
pub mod metrics;
pub mod pace;
pub mod stages;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::engine::sink::Sinks;
use crate::engine::{mean_rate, Sim};
use crate::model::time::{MICROS_PER_MS, MICROS_PER_SEC};
use crate::model::{Scenario, Time};
use crate::report::fmt::num;
use crate::report::outdir::OutDir;
use crate::report::summary::{Summary, SummaryRow};
use crate::report::thresholds::{evaluate, Threshold, Verdict};
use crate::stats::ci::estimate;
use crate::stats::{metric_name, RepResult, LOAD_METRICS};
use metrics::{LoadFigures, SecondRow, Window};
pub use pace::{Measured, Pace, Shared};
use stages::{Ramp, Stage};

/// Arrivals per wall second the default `--time-scale` aims at.
pub const DEFAULT_ARRIVALS_PER_S: f64 = 1000.0;

/// A live run's settings, validated.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Wall µs of the paced part (None: the scenario's whole span).
    pub duration: Option<Time>,
    /// Simulated seconds per wall second.
    pub time_scale: f64,
    /// The time scale was chosen (no `--time-scale`).
    pub scale_chosen: bool,
    /// Multiplies the scenario's arrival rates.
    pub rate_scale: f64,
    /// `--stage` ramps (arrivals per wall second, all sources together).
    pub ramp: Option<Ramp>,
    /// Simulated time at which pacing starts.
    pub from: Time,
    pub tenants: u32,
    /// See `Pace::spin` and `Pace::late_after`.
    pub spin: Time,
    pub late_after: Time,
}

/// The scenario's arrivals per simulated second (all sources, long-run mean).
pub fn scenario_rate(scn: &Scenario) -> f64 {
    scn.sources.iter().map(mean_rate).sum()
}

impl LoadOptions {
    /// Builds the options from the command line's values. `rate_scale` and
    /// `stages` are exclusive; with stages the duration defaults to theirs.
    /// Without `time_scale`, one giving ~`DEFAULT_ARRIVALS_PER_S` arrivals
    /// per wall second is chosen.
    pub fn new(
        scn: &Scenario,
        duration: Option<Time>,
        time_scale: Option<f64>,
        rate_scale: Option<f64>,
        stages: &[Stage],
        from: Option<Time>,
    ) -> Result<LoadOptions, String> {
        let rate = scenario_rate(scn);
        let ramp = (!stages.is_empty()).then(|| Ramp::new(stages));
        if rate <= 0.0 && ramp.is_some() {
            return Err("--stage: every [[arrivals]] rate is 0, so there is no rate to scale; give the scenario a rate or drop --stage".into());
        }
        let duration = match &ramp {
            None => duration,
            Some(_) if rate_scale.is_some() => {
                return Err("--rate-scale: cannot be combined with --stage, whose rates are already arrivals per wall second; drop one of them".into());
            }
            Some(r) => match duration.or((r.wall_len() > 0).then(|| r.wall_len())) {
                Some(d) => Some(d),
                None => return Err("--stage: the stages add up to 0s; give them a length (e.g. `30s:1000`) or set --duration".into()),
            },
        };
        let rate_scale = rate_scale.unwrap_or(1.0);
        let wanted = ramp.as_ref().map_or(DEFAULT_ARRIVALS_PER_S, |r| r.mean());
        let chosen = if rate > 0.0 {
            (wanted / (rate * rate_scale)).max(1e-3)
        } else {
            1.0 // no rate to aim with (a one-row trace, say): real time
        };
        let from = from.unwrap_or(scn.sim.measure_start());
        let o = LoadOptions {
            duration,
            time_scale: time_scale.unwrap_or(chosen),
            scale_chosen: time_scale.is_none(),
            rate_scale,
            ramp,
            from,
            tenants: 1,
            spin: 2 * MICROS_PER_MS,
            late_after: MICROS_PER_MS,
        };
        o.until().map(|_| o)
    }

    /// Simulated time at which pacing ends (Time::MAX: the scenario's end).
    fn until(&self) -> Result<Time, String> {
        let Some(d) = self.duration else {
            return Ok(Time::MAX);
        };
        let span = d as f64 * self.time_scale;
        if span >= (Time::MAX / 4) as f64 {
            return Err(format!(
                "--duration {} s x --time-scale {} is beyond the simulator's clock; shorten one of them",
                d / MICROS_PER_SEC,
                num(self.time_scale)
            ));
        }
        Ok(self.from + (span as Time).max(1))
    }

    /// The scenario as the tenants run it: with `--duration`, its measured
    /// time ends where pacing does (so the files equal `run` of that span),
    /// and one replication per tenant.
    pub fn scenario(&self, scn: &Scenario) -> Result<Scenario, String> {
        let mut s = scn.clone();
        s.sim.replications = self.tenants;
        let until = self.until()?;
        if until != Time::MAX {
            if until <= s.sim.measure_start() {
                return Err("--duration: the paced part ends before the warm-up does; start later (--from) or run longer".into());
            }
            s.sim.duration = until - s.sim.measure_start();
        }
        Ok(s)
    }

    /// How tenant `tenant` is paced.
    pub fn pace(&self, scn: &Scenario, tenant: u32) -> Pace {
        Pace {
            tenant,
            from: self.from,
            until: self.until().expect("checked by LoadOptions::new"),
            scale: self.time_scale,
            ramp: self
                .ramp
                .clone()
                .map(|r| (r, scenario_rate(scn) * self.time_scale)),
            spin: self.spin,
            late_after: self.late_after,
            own_core: self.tenants as usize
                <= std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
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

/// The multi-threaded runtime a load test runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, LoadError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(LoadError::Runtime)
}

/// One tenant's outcome: the run's result, its sinks and the measurements.
pub struct Tenant<S> {
    pub result: RepResult,
    pub sinks: S,
    pub measured: Measured,
}

/// Runs one tenant (replication `tenant` of `scn`, a scenario from
/// `LoadOptions::scenario`): paced, then (unless stopped, behind or
/// `drain` is false) drained at full speed.
pub async fn tenant<S: Sinks>(
    scn: &Scenario,
    opts: &LoadOptions,
    tenant: u32,
    sinks: S,
    drain: bool,
    shared: &Shared,
    progress: Option<mpsc::UnboundedSender<SecondRow>>,
) -> Tenant<S> {
    let mut sim = Sim::new(scn, tenant, sinks);
    sim.set_rate_scale(opts.rate_scale);
    sim.begin();
    let measured = pace::pace(&mut sim, &opts.pace(scn, tenant), shared, progress.as_ref()).await;
    if measured.interrupted || measured.behind || !drain {
        // Results cover the simulated time reached.
        sim.truncate();
    } else {
        while sim.step().is_some() {}
    }
    let (result, sinks) = sim.end();
    Tenant {
        result,
        sinks,
        measured,
    }
}

/// Runs `opts.tenants` tenants at once on `rt`, each with the sinks
/// `make_sinks(tenant)` gives; Ctrl-C (when `ctrl_c`) stops them all.
pub fn run_tenants<S, F>(
    rt: &tokio::runtime::Runtime,
    scn: &Scenario,
    opts: &LoadOptions,
    make_sinks: F,
    drain: bool,
    ctrl_c: bool,
    on_second: &mut dyn FnMut(&SecondRow),
) -> Vec<Tenant<S>>
where
    S: Sinks + Send + 'static,
    F: Fn(u32) -> S,
{
    let scn = Arc::new(scn.clone());
    let shared = Arc::new(Shared::default());
    let (ptx, mut prx) = mpsc::unbounded_channel();
    rt.block_on(async {
        let tasks: Vec<_> = (0..opts.tenants)
            .map(|i| {
                let (scn, opts, shared) = (scn.clone(), opts.clone(), shared.clone());
                let sinks = make_sinks(i);
                let progress = (i == 0).then(|| ptx.clone());
                tokio::spawn(async move {
                    tenant(&scn, &opts, i, sinks, drain, &shared, progress).await
                })
            })
            .collect();
        drop(ptx);
        let all = futures_join(tasks);
        tokio::pin!(all);
        let signal = tokio::signal::ctrl_c();
        tokio::pin!(signal);
        let mut signalled = !ctrl_c;
        loop {
            tokio::select! {
                r = &mut all => {
                    while let Ok(row) = prx.try_recv() {
                        on_second(&row);
                    }
                    return r;
                }
                Some(row) = prx.recv() => on_second(&row),
                _ = &mut signal, if !signalled => {
                    signalled = true;
                    shared.request_stop();
                }
            }
        }
    })
}

/// Awaits every task in order.
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("a tenant task does not panic"));
    }
    out
}

/// All tenants' measurements together: the figures of the summary.
pub fn total_figures(ms: &[&Measured]) -> LoadFigures {
    let mut w = Window::default();
    for m in ms {
        w.merge(&m.total);
    }
    let wall = ms.iter().map(|m| m.wall).max().unwrap_or(0);
    let short = ms.iter().map(|m| m.shortfall()).sum();
    let queue = ms.iter().map(|m| m.queue_at_stop).sum();
    LoadFigures::of(&w, wall, short, queue)
}

/// The run's summary of the tenants' results with the load figures
/// appended as rows of the tenant `*`.
pub fn summary(scn: &Scenario, results: &[RepResult], fig: &LoadFigures) -> Summary {
    let mut s = Summary::from_results(scn, results);
    let at = s
        .rows
        .iter()
        .position(|r| r.service != "*")
        .unwrap_or(s.rows.len());
    let rows = LOAD_METRICS
        .iter()
        .zip(fig.values())
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

/// summary.json of `run` plus the load test's own facts: whether it was
/// interrupted, its time scale and wall time, and each tenant's figures.
pub fn summary_json(
    summary: &Summary,
    verdicts: &[Verdict],
    opts: &LoadOptions,
    ms: &[&Measured],
) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(&summary.to_json(verdicts)).expect("summary.json parses");
    let fig = |f: LoadFigures| -> serde_json::Value {
        LOAD_METRICS
            .iter()
            .zip(f.values())
            .map(|(k, v)| ((*k).to_string(), serde_json::json!(finite(v))))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let tenants: Vec<serde_json::Value> = ms
        .iter()
        .map(|m| {
            let mut v = fig(tenant_figures(m));
            v["tenant"] = m.tenant.into();
            v
        })
        .collect();
    let o = doc.as_object_mut().expect("an object");
    o.insert(
        "interrupted".into(),
        ms.iter().any(|m| m.interrupted).into(),
    );
    o.insert(
        "load".into(),
        serde_json::json!({
            "time_scale": opts.time_scale,
            "time_scale_chosen": opts.scale_chosen,
            "paced_from_s": opts.from as f64 / 1e6,
            "wall_s": ms.iter().map(|m| m.wall).max().unwrap_or(0) as f64 / 1e6,
            "tenants": tenants,
        }),
    );
    let mut s = serde_json::to_string_pretty(&doc).expect("serializes");
    s.push('\n');
    s
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// One tenant's own figures.
pub fn tenant_figures(m: &Measured) -> LoadFigures {
    LoadFigures::of(&m.total, m.wall, m.shortfall(), m.queue_at_stop)
}

/// tenants.csv: one row of figures per tenant.
pub fn tenants_csv(ms: &[&Measured]) -> Vec<u8> {
    let mut s = format!("tenant,{}\n", LOAD_METRICS.join(","));
    for m in ms {
        let v: Vec<String> = tenant_figures(m).values().iter().map(|v| num(*v)).collect();
        s.push_str(&format!("{},{}\n", m.tenant, v.join(",")));
    }
    s.into_bytes()
}

/// Locks and prepares the output folder before a test, so a bad `-o` or a
/// second writer fails before the test rather than after it. Files are
/// written into `OutDir::path()` and swapped in at once by `commit`.
pub fn prepare_dir(dir: &Path) -> Result<OutDir, LoadError> {
    // load stops gracefully on Ctrl-C and then commits or drops the folder.
    crate::report::outdir::leave_sigint_to_caller();
    OutDir::begin(dir).map_err(|source| LoadError::Output {
        path: dir.to_path_buf(),
        source,
    })
}
