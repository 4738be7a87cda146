use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::format::{emit, Format};
use super::{progress, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::model::time::MICROS_PER_SEC;
use crate::model::SimSettings;
use crate::out;
use crate::report::thresholds::{self, Verdict};
use crate::run::{run, RunOptions};
use crate::scenario::limits::{SessionsOut, MAX_REPLICATIONS, MAX_THREADS};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Output folder [default: results/<scenario name>/].
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overrides the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Overrides the scenario's number of replications.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_REPLICATIONS as i64))]
    pub replications: Option<u32>,
    /// Sets a scenario key, e.g. `services.support.acw=30s` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Multiplies every rate and profile arrival source (sets `simulation.load_scale`).
    #[arg(long = "load-scale", value_name = "X", value_parser = parse_load_scale)]
    pub load_scale: Option<f64>,
    /// A gate such as `support:wait_p95_s<60` or `p95(wait)<60s` (repeatable);
    /// `every_interval:service_level>=0.8` must hold in each reporting interval.
    /// A failure gives exit code 1 after all results are written.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub threshold: Vec<String>,
    /// Ignore the scenario's `thresholds = [...]`.
    #[arg(long)]
    pub no_thresholds: bool,
    /// Worker threads for replications [default: all cores; at most 1024]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS as i64))]
    pub threads: Option<u32>,
    /// Do not write sessions.csv.
    #[arg(long)]
    pub no_sessions: bool,
    /// Write the sessions zstd-compressed, as sessions.csv.zst (about 5x smaller;
    /// pandas, polars and DuckDB read it directly).
    #[arg(long, conflicts_with = "no_sessions")]
    pub zstd: bool,
    /// Run only shard I of N (0-based): the replications r with r % N == I.
    /// `routesim merge` combines the shards into exactly the unsharded result.
    #[arg(long, value_name = "I/N", value_parser = crate::run::parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Print nothing but errors and threshold failures.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Format of the summary on stdout (json: the summary.json document).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn execute(a: RunArgs) -> i32 {
    let sets = with_load_scale(&a.set, a.load_scale);
    let mut scn = match super::load_scenario(&a.scenario, &sets, a.quiet) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(s) = a.seed {
        scn.sim.seed = s;
    }
    if let Some(r) = a.replications {
        scn.sim.replications = r;
        // The file's count was judged when it loaded; judge the override.
        if let Err(code) = super::check_work(&a.scenario, &scn, 1, a.quiet) {
            return code;
        }
    }
    if !a.quiet {
        let form = match (a.no_sessions, a.zstd) {
            (true, _) => SessionsOut::Omitted,
            (_, true) => SessionsOut::Zstd,
            _ => SessionsOut::Csv,
        };
        super::warn_output_size(&a.scenario, &scn, form);
    }
    let gates = match thresholds::gather(&scn, &a.threshold, a.no_thresholds) {
        Ok(g) => g,
        Err(m) => {
            eprintln!("{}: {m}", a.scenario.display());
            return EXIT_BAD_INPUT;
        }
    };
    let out_dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&scn.name));
    if let Err(code) = super::check_out_dir(&out_dir) {
        return code;
    }
    let opts = RunOptions {
        out_dir: out_dir.clone(),
        threads: a.threads.map(|t| t as usize),
        sessions: !a.no_sessions,
        sessions_zstd: a.zstd,
        thresholds: gates,
        shard: a.shard,
        progress: None,
    };
    let n_reps = crate::run::replication_indices(scn.sim.replications, a.shard).len();
    let bar = progress(n_reps as u64, "replications", a.quiet);
    let reps_done = AtomicU64::new(0);
    let tick = || {
        reps_done.fetch_add(1, Ordering::Relaxed);
    };
    let result = match &bar {
        None => run(&scn, &opts, &tick),
        Some(b) => {
            let intervals = Arc::new(AtomicU64::new(0));
            let opts = RunOptions {
                progress: Some(intervals.clone()),
                ..opts
            };
            let stop = AtomicBool::new(false);
            std::thread::scope(|sc| {
                sc.spawn(|| show_progress(b, &scn.sim, n_reps, &intervals, &reps_done, &stop));
                let r = run(&scn, &opts, &tick);
                stop.store(true, Ordering::Relaxed);
                r
            })
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let output = match result {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    if !a.quiet {
        let services: Vec<String> = scn.services.iter().map(|s| s.name.clone()).collect();
        let shard = a
            .shard
            .map(|(i, n)| format!(" (shard {i}/{n} of {})", scn.sim.replications))
            .unwrap_or_default();
        let lines = [
            format!(
                "{}: {} replication{}{shard}, seed {}, {} tasks, {} events in {:.2}s",
                scn.name,
                n_reps,
                if n_reps == 1 { "" } else { "s" },
                scn.sim.seed,
                output.tasks,
                output.events,
                output.elapsed.as_secs_f64()
            ),
            worst_interval_line(&scn, &output.intervals),
            format!("results in {}", out_dir.display()),
        ];
        let json = output.summary.to_json(&output.verdicts);
        emit(a.format, &lines, &output.summary.headline(&services), &json);
    }
    report_verdicts(&output.verdicts, a.quiet || a.format == Format::Json)
}

/// Redraws the bar a few times a second from the counters the run updates:
/// simulated time done over all replications (intervals ended), its rate
/// and the ETA, so one long replication does not sit at `0/1`.
fn show_progress(
    bar: &ProgressBar,
    sim: &SimSettings,
    n_reps: usize,
    intervals: &AtomicU64,
    reps_done: &AtomicU64,
    stop: &AtomicBool,
) {
    let step = sim.interval as f64 / MICROS_PER_SEC as f64;
    let per_rep = (sim.duration as f64 / MICROS_PER_SEC as f64).max(step);
    let total = per_rep * n_reps as f64;
    bar.set_length(total.ceil() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} simulated {msg} [{bar:30}] {elapsed} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let reps = reps_done.load(Ordering::Relaxed);
        // A finished replication counts whole (its last interval may be short).
        let done = (intervals.load(Ordering::Relaxed) as f64 * step).min(total);
        let done = done.max(reps as f64 * per_rep);
        let rate = done / started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(done as u64);
        bar.set_message(format!(
            "{} of {}, {}/s, replications {reps}/{n_reps}",
            span(done),
            span(total),
            span(rate)
        ));
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Seconds of simulated time, to three significant digits in a fitting unit.
fn span(secs: f64) -> String {
    let (v, unit) = match secs {
        s if s >= 86_400.0 * 365.0 => (s / (86_400.0 * 365.0), "y"),
        s if s >= 86_400.0 => (s / 86_400.0, "d"),
        s if s >= 3_600.0 => (s / 3_600.0, "h"),
        s if s >= 60.0 => (s / 60.0, "m"),
        s => (s, "s"),
    };
    let decimals = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$}{unit}")
}

/// Prints threshold verdicts (failures on stderr); the exit code they give.
pub fn report_verdicts(verdicts: &[Verdict], quiet: bool) -> i32 {
    for v in verdicts {
        if !v.ok {
            eprintln!("threshold FAILED: {}", describe(v));
        } else if !quiet {
            out!("threshold ok: {}", describe(v));
        }
    }
    if verdicts.iter().all(|v| v.ok) {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// "EXPR (observed X)", plus " in the worst interval, 2026-11-24T14:00; 2
/// interval(s) fail" for per-interval verdicts.
pub fn describe(v: &Verdict) -> String {
    let observed = v
        .observed
        .map_or("undefined".to_string(), crate::report::fmt::num);
    let at = match (&v.worst_interval, v.failing_intervals) {
        (Some(at), Some(n)) => format!(" in the worst interval, {at}; {n} interval(s) fail"),
        _ => String::new(),
    };
    format!("{} (observed {observed}{at})", v.expr)
}

/// `--load-scale X` as the `--set` it stands for.
pub fn with_load_scale(sets: &[String], load_scale: Option<f64>) -> Vec<String> {
    let mut sets = sets.to_vec();
    if let Some(x) = load_scale {
        sets.push(format!("simulation.load_scale={x:?}"));
    }
    sets
}

/// A `--load-scale` factor: finite and non-negative.
pub fn parse_load_scale(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "`{s}` is not a load factor; expected a non-negative number such as 1.1 (+10 %)"
        )),
    }
}

/// The worst interval of the run by service level and by abandonment (all
/// services pooled), so a day with two failing hours shows them.
fn worst_interval_line(
    scn: &crate::model::Scenario,
    f: &crate::report::per_interval::IntervalFigures,
) -> String {
    let worst = |metric: &str, low: bool| {
        (0..f.len())
            .map(|i| (i, f.value(i, "*", metric)))
            .filter(|(_, v)| v.is_finite())
            .reduce(|a, b| {
                if (b.1 < a.1) == low && b.1 != a.1 {
                    b
                } else {
                    a
                }
            })
            .map(|(i, v)| {
                format!(
                    "{metric} {} at {}",
                    crate::report::summary::short(v),
                    scn.clock.civil(f.start(i)).label()
                )
            })
    };
    let parts: Vec<String> = [worst("service_level", true), worst("p_abandon", false)]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        "worst interval: no chat queued".into()
    } else {
        format!("worst interval: {}", parts.join("; "))
    }
}
