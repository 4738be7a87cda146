use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{stdout_is_terminal, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::load::findmax::{find_max, find_max_csv, FindMaxOptions};
use crate::load::metrics::{load_csv, SecondRow};
use crate::load::stages::{parse_from, parse_positive_duration, parse_scale, parse_stage, Stage};
use crate::load::{
    prepare_dir, run_tenants, runtime, summary, summary_json, tenant_figures, tenants_csv,
    total_figures, verdicts, LoadOptions,
};
use crate::model::time::{format_duration, Time, MICROS_PER_SEC};
use crate::out;
use crate::report::atomic::write_atomic;
use crate::report::fmt::num;
use crate::report::session_stats::SessionStats;
use crate::report::streams::{FileSinks, Parts};
use crate::report::thresholds;
use crate::run::{write_folder, Folder};

pub const LOAD_LONG_ABOUT: &str = "\
Load-test the router in real time: the simulator's own model (the same events \
in the same order as `run`), paced by the wall clock at --time-scale simulated \
seconds per wall second.

Every scenario `run` accepts runs here: workflows, revisions, transfers, traces, \
direct contact, shifts, breaks, presence changes and calls. The warm-up (or, \
with --from, everything before that moment) is simulated at full speed; pacing \
starts there. Without --duration the test covers the scenario's measured time and \
drain, and sessions.csv, users.csv and intervals.csv equal those of `run \
--replications 1` with the same seed, whatever the machine's speed. With \
--duration D the measured time is D x the time scale from the paced start.

Without --time-scale, one giving about 1000 arrivals per wall second is chosen \
and printed. --rate-scale multiplies the arrival rates; --stage ramps them in \
arrivals per wall second over wall time (k6-style).

Decision latency is measured from the SCHEDULED time of each event after which \
the router took a decision (a task looked for a user, or a freed user for a \
task) to the end of the event, so a backlog in the driver (coordinated \
omission) shows up instead of hiding. Timer lag: processing start minus \
scheduled time, for every event. A driver that falls behind ends at --duration \
with its results up to the simulated time reached and reports the arrivals \
short of the plan (dropped_arrivals).

Output (in DIR, default results/<scenario>-load/): the files of `run` (one \
replication per tenant) plus load.csv (one row per tenant and wall second) and, \
with --tenants above 1, tenants.csv. summary.csv/json hold the load figures as \
rows of `*`: decisions_per_s, decision_p50_us, decision_p99_us, \
decision_max_us, timer_lag_p99_ms, events_per_s, late_arrivals, \
dropped_arrivals, in_queue_at_stop, decisions_offered, decisions_idle, which \
--threshold can gate; summary.json also says whether the test was interrupted. \
With --find-max: find_max.csv. See docs/load.md.

Ctrl-C stops the test and still writes what was measured. Exit codes: 0 success; \
1 a threshold failed (all files are written first); 2 bad input.";

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Wall-clock length of the paced part [default: the scenario's whole
    /// span, or the stages' total].
    #[arg(long, value_name = "D", value_parser = parse_positive_duration)]
    pub duration: Option<Time>,
    /// Simulated seconds per wall second [default: about 1000 arrivals per
    /// wall second, printed].
    #[arg(long, value_name = "X", value_parser = parse_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
    /// Multiplies the scenario's arrival rates [default: 1].
    #[arg(long, value_name = "X", value_parser = parse_scale, allow_negative_numbers = true)]
    pub rate_scale: Option<f64>,
    /// A ramp `DURATION:RATE` to RATE arrivals per wall second, from the
    /// previous stage's rate (0 first); repeatable; scales the scenario's rates.
    #[arg(long = "stage", value_name = "D:X", value_parser = parse_stage)]
    pub stages: Vec<Stage>,
    /// Start pacing at this moment (`mon 10:00`, or `2026-11-24T10:00`),
    /// simulating the time before at full speed [default: the end of the warm-up].
    #[arg(long, value_name = "WHEN")]
    pub from: Option<String>,
    /// Independent copies of the scenario run at once (seeds as for
    /// replications), one tokio task each.
    #[arg(long, value_name = "N", default_value = "1", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub tenants: u32,
    /// Output folder [default: results/<scenario name>-load/].
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Overrides the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sets a scenario key, e.g. `services.support.acw=30s` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A gate such as `decision_p99_us<1000` or `p_abandon<=0.05` (repeatable);
    /// a failure gives exit code 1 after all files are written.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub threshold: Vec<String>,
    /// Ignore the scenario's `thresholds = [...]`.
    #[arg(long)]
    pub no_thresholds: bool,
    /// Do not write sessions.csv.
    #[arg(long)]
    pub no_sessions: bool,
    /// Search the highest arrival rate the driver sustains (steps of --step,
    /// doubling then bisecting); writes find_max.csv.
    #[arg(long)]
    pub find_max: bool,
    /// --find-max: the p99 decision latency a step may have.
    #[arg(long, value_name = "D", default_value = "1ms", value_parser = parse_positive_duration)]
    pub max_p99: Time,
    /// --find-max: the p99 timer lateness a step may have.
    #[arg(long, value_name = "D", default_value = "2ms", value_parser = parse_positive_duration)]
    pub max_lag: Time,
    /// --find-max: wall time of each step.
    #[arg(long, value_name = "D", default_value = "3s", value_parser = parse_positive_duration)]
    pub step: Time,
    /// Print nothing but errors and threshold failures.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

fn bad(msg: impl std::fmt::Display) -> i32 {
    eprintln!("{msg}");
    EXIT_BAD_INPUT
}

/// A figure for the terminal: `-` with the reason when undefined.
fn fig(v: f64, unit: &str, why: &str) -> String {
    if v.is_finite() {
        format!("{}{unit}", num(v))
    } else {
        format!("- ({why})")
    }
}

pub fn execute(a: LoadArgs) -> i32 {
    let mut scn = match super::load_scenario(&a.scenario, &a.set, a.quiet) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(s) = a.seed {
        scn.sim.seed = s;
    }
    let from = match a.from.as_deref().map(|f| parse_from(&scn, f)).transpose() {
        Ok(f) => f,
        Err(m) => return bad(format!("--from: {m}")),
    };
    let opts = LoadOptions::new(
        &scn,
        a.duration,
        a.time_scale,
        a.rate_scale,
        &a.stages,
        from,
    );
    let opts = match opts {
        Ok(o) => LoadOptions {
            tenants: a.tenants,
            ..o
        },
        Err(m) => return bad(format!("{}: {m}", a.scenario.display())),
    };
    let run_scn = match opts.scenario(&scn) {
        Ok(s) => s,
        Err(m) => return bad(m),
    };
    let names: Vec<&str> = scn.services.iter().map(|s| s.name.as_str()).collect();
    let mut exprs: Vec<&str> = Vec::new();
    if !a.no_thresholds {
        for e in &scn.thresholds {
            // The scenario's per-interval targets are for run/staff/sweep: a
            // load test judges the whole test, so they are skipped, not fatal.
            if e.trim_start().starts_with("every_interval:") {
                eprintln!("warning: threshold `{e}` is per interval: not judged by `load`");
            } else {
                exprs.push(e.as_str());
            }
        }
    }
    exprs.extend(a.threshold.iter().map(String::as_str));
    let mut gates = Vec::new();
    for e in exprs {
        match thresholds::parse_load(e, &names) {
            Ok(t) => gates.push(t),
            Err(m) => return bad(format!("{}: {m}", a.scenario.display())),
        }
    }
    if a.find_max && !a.threshold.is_empty() {
        return bad("--threshold: not used with --find-max, which judges steps by --max-p99 and --max-lag; drop one of them");
    }
    let dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("{}-load", scn.name)));
    let out_dir = match prepare_dir(&dir) {
        Ok(o) => o,
        Err(e) => return bad(e),
    };
    if !a.quiet {
        out!(
            "time scale: {} simulated s per wall s{}",
            num(opts.time_scale),
            if opts.scale_chosen {
                " (chosen for about 1000 arrivals per wall second; set --time-scale to change it)"
            } else {
                ""
            }
        );
    }
    let show = !a.quiet && stdout_is_terminal();
    if a.find_max {
        // find-max writes its own folder (and takes the lock itself).
        drop(out_dir);
        return execute_find_max(&a, &scn, &opts, &dir, show);
    }

    let bar = show.then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
        b
    });
    let total_s = opts
        .duration
        .map_or("?".to_string(), |d| d.div_ceil(MICROS_PER_SEC).to_string());
    let mut on_second = |r: &SecondRow| {
        if let Some(b) = &bar {
            b.set_message(format!(
                "{}/{}s  arrivals {}/s  decisions {}/s  p99 decision {}  queue {}",
                r.second,
                total_s,
                r.arrivals,
                r.decisions,
                fig(r.decision_p99_us, " us", "no decisions"),
                r.queue_len
            ));
            b.tick();
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return bad(e),
    };
    let sessions = !a.no_sessions;
    let mut sinks = Vec::new();
    let stage = out_dir.path().to_path_buf();
    let parts = Parts::new(&stage, (0..opts.tenants).collect());
    for t in 0..opts.tenants {
        match FileSinks::create(&run_scn, &parts, t, sessions, false, None) {
            Ok(s) => sinks.push(Some(s)),
            Err(e) => return bad(format!("{}: cannot write output: {e}", dir.display())),
        }
    }
    let sinks = std::sync::Mutex::new(sinks);
    let make = |t: u32| {
        sinks.lock().expect("not poisoned")[t as usize]
            .take()
            .expect("one each")
    };
    let ts = run_tenants(&rt, &run_scn, &opts, make, true, true, &mut on_second);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut results = Vec::new();
    let (mut session_parts, mut interval_parts) = (Vec::new(), Vec::new());
    let mut ms = Vec::new();
    let mut session_stats: Option<SessionStats> = None;
    for t in ts {
        match t.sinks.finish() {
            Ok((s, i, stats)) => {
                if let Some(st) = stats {
                    match session_stats.as_mut() {
                        Some(all) => all.merge(&st),
                        None => session_stats = Some(st),
                    }
                }
                session_parts.extend(s);
                interval_parts.push(i);
            }
            Err(e) => return bad(format!("{}: cannot write output: {e}", dir.display())),
        }
        results.push(t.result);
        ms.push(t.measured);
    }
    let ms: Vec<_> = ms.iter().collect();
    let figures = total_figures(&ms);
    let summary = summary(&run_scn, &results, &figures);
    let verdicts = verdicts(&summary, &gates);
    let mut rows = Vec::new();
    for m in &ms {
        rows.extend(m.seconds.iter().cloned());
    }
    let mut extra = vec![("load.csv", load_csv(&rows))];
    if opts.tenants > 1 {
        extra.push(("tenants.csv", tenants_csv(&ms)));
    }
    let folder = Folder {
        dir: &stage,
        sessions,
        sessions_zstd: false,
        session_stats: session_stats.as_ref(),
        results: &results,
        session_parts,
        interval_parts,
        summary: &summary,
        verdicts: &verdicts,
        summary_json: summary_json(&summary, &verdicts, &opts, &ms),
        extra,
    };
    if let Err(e) = write_folder(&run_scn, &folder) {
        return bad(e);
    }
    if let Err(e) = out_dir.commit() {
        return bad(format!("{}: cannot write output: {e}", dir.display()));
    }
    let wall = ms.iter().map(|m| m.wall).max().unwrap_or(0);
    if ms.iter().any(|m| m.interrupted) {
        eprintln!(
            "interrupted after {:.1}s: results cover the simulated time reached",
            wall as f64 / 1e6
        );
    }
    if ms.iter().any(|m| m.behind) {
        eprintln!(
            "the driver fell behind the clock: results cover the simulated time reached; {} arrivals short of the plan",
            figures.dropped_arrivals
        );
    }
    if !a.quiet {
        let services: Vec<String> = scn.services.iter().map(|s| s.name.clone()).collect();
        let paced_to = ms.iter().map(|m| m.wall).max().unwrap_or(0) as f64 * opts.time_scale;
        out!(
            "{}: {:.1}s wall paced ({} simulated), {} tenant(s), {} arrivals paced",
            scn.name,
            wall as f64 / 1e6,
            format_duration((paced_to as Time) / MICROS_PER_SEC * MICROS_PER_SEC),
            opts.tenants,
            ms.iter().map(|m| m.total.arrivals).sum::<u64>()
        );
        out!("{}", figures.line());
        if ms.len() > 1 {
            for m in &ms {
                out!("  tenant {}: {}", m.tenant, tenant_figures(m).line());
            }
        }
        out!("{}", summary.table(&services));
        out!("results in {}", dir.display());
    }
    let mut failed = false;
    for v in &verdicts {
        let observed = v.observed.map_or("undefined".to_string(), num);
        if !v.ok {
            failed = true;
            eprintln!("threshold FAILED: {} (observed {observed})", v.expr);
        } else if !a.quiet {
            out!("threshold ok: {} (observed {observed})", v.expr);
        }
    }
    if failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn execute_find_max(
    a: &LoadArgs,
    scn: &crate::model::Scenario,
    opts: &LoadOptions,
    dir: &std::path::Path,
    show: bool,
) -> i32 {
    let fm = FindMaxOptions {
        start_rate: (crate::load::scenario_rate(scn)
            * opts.rate_scale
            * opts.time_scale
            * opts.tenants as f64)
            .max(1.0),
        step: a.step,
        max_p99_us: a.max_p99 as f64,
        max_lag_ms: a.max_lag as f64 / 1000.0,
        max_late_share: 0.01,
        max_steps: 24,
        retries: 1,
        precision: 0.05,
    };
    let mut on_step = |r: &crate::load::findmax::StepResult| {
        if show || !a.quiet {
            out!(
                "step {:>2}: {:>9} arrivals/s -> {:>9} decisions/s, p99 {}, lag p99 {}: {}",
                r.step,
                num(r.rate.round()),
                num(r.decisions_per_s.round()),
                fig(r.decision_p99_us, " us", "no decisions"),
                fig(r.timer_lag_p99_ms, " ms", "no events"),
                if r.ok {
                    "ok".to_string()
                } else {
                    format!("FAIL ({})", r.reason)
                }
            );
        }
    };
    let res = match find_max(scn, opts, &fm, &mut on_step) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let p = dir.join("find_max.csv");
    let written = crate::report::outdir::OutDir::begin(dir).and_then(|folder| {
        write_atomic(
            &folder.path().join("find_max.csv"),
            find_max_csv(&res).as_bytes(),
        )?;
        folder.commit()
    });
    if let Err(e) = written {
        return bad(format!("{}: cannot write output: {e}", p.display()));
    }
    if res.interrupted {
        eprintln!("interrupted: find_max.csv holds the steps done");
    }
    match res.best() {
        Some(b) => out!(
            "highest sustained rate: {} arrivals/s = {} decisions/s (p99 decision {} us, timer lag p99 {} ms); results in {}",
            num(b.rate.round()),
            num(b.decisions_per_s.round()),
            num(b.decision_p99_us),
            num(b.timer_lag_p99_ms),
            p.display()
        ),
        None => out!(
            "no step passed (p99 decision <= {} us, lag p99 <= {} ms); results in {}",
            num(fm.max_p99_us),
            num(fm.max_lag_ms),
            p.display()
        ),
    }
    EXIT_OK
}
