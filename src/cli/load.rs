use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{stdout_is_terminal, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::load::findmax::{find_max, find_max_csv, FindMaxOptions};
use crate::load::metrics::SecondRow;
use crate::load::plan::{parse_positive_duration, parse_scale, parse_stage, Stage};
use crate::load::{prepare_dir, run_load, summary, verdicts, write_outputs, LoadOptions};
use crate::model::time::{format_duration, Time, MICROS_PER_SEC};
use crate::out;
use crate::report::atomic::write_atomic;
use crate::report::fmt::num;
use crate::report::thresholds;
use crate::scenario::units::parse_duration;

pub const LOAD_LONG_ABOUT: &str = "\
Load-test the router in real time: the same Router as `run`, driven by tokio \
timers instead of a virtual clock.

Arrivals follow a plan fixed before the test: the scenario's rates x --rate-scale \
x --time-scale, or k6-style --stage ramps in arrivals per wall second. A slow \
router cannot slow the offered load: late arrivals and dropped arrivals are counted.

The live driver runs each workflow's zero-time path to Queue Task only and keeps every \
user Available (no shifts, breaks, presence changes or calls); trace arrivals, \
revisions and other workflow activities are refused (exit 2). See docs/load.md.

Decision latency is measured from the SCHEDULED time of the event that made a task \
distributable (an arrival) or freed a user (a finish, the end of after-call work, an \
acceptance, a hang-up while ringing) to the moment the router emitted its offers or \
found no user. Measuring from the scheduled rather than the actual time means a \
backlog in the tester (coordinated omission) shows up in the latency instead of \
hiding it.

Output (in DIR, default results/<scenario>-load/): load.csv (one row per wall second), \
summary.csv and summary.json in the format of `run` (one replication) with the load \
figures decisions_per_s, decision_p50_us, decision_p99_us, decision_max_us, \
timer_lag_p99_ms, events_per_s, late_arrivals, dropped_arrivals, in_queue_at_stop, \
which --threshold can gate. With --find-max: find_max.csv.

Ctrl-C stops the test and still writes what was measured. Exit codes: 0 success; \
1 a threshold failed (all files are written first); 2 bad input.";

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Wall-clock length of the test [default: 30s, or the stages' total].
    #[arg(long, value_name = "D", value_parser = parse_positive_duration)]
    pub duration: Option<Time>,
    /// Simulated seconds per wall second: handle times, patience, accept
    /// delays and ACW run this much faster.
    #[arg(long, value_name = "X", default_value = "1", value_parser = parse_scale, allow_negative_numbers = true)]
    pub time_scale: f64,
    /// Multiplies the scenario's arrival rates [default: 1].
    #[arg(long, value_name = "X", value_parser = parse_scale, allow_negative_numbers = true)]
    pub rate_scale: Option<f64>,
    /// A ramp `DURATION:RATE` to RATE arrivals per wall second, from the
    /// previous stage's rate (0 first); repeatable, replaces the scenario's rates.
    #[arg(long = "stage", value_name = "D:X", value_parser = parse_stage)]
    pub stages: Vec<Stage>,
    /// After the last arrival, wait up to this long (wall) for queued tasks to
    /// leave the queue.
    #[arg(long, value_name = "D", default_value = "2s", value_parser = parse_duration)]
    pub drain: Time,
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
    /// Search the highest arrival rate the router sustains (steps of --step,
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

pub fn execute(a: LoadArgs) -> i32 {
    let mut scn = match super::load_scenario(&a.scenario, &a.set, a.quiet) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(s) = a.seed {
        scn.sim.seed = s;
    }
    let opts = match LoadOptions::new(&scn, a.duration, a.time_scale, a.rate_scale, &a.stages) {
        Ok(o) => LoadOptions {
            drain: a.drain,
            ..o
        },
        Err(m) => return bad(m),
    };
    let names: Vec<&str> = scn.services.iter().map(|s| s.name.as_str()).collect();
    let mut exprs: Vec<&str> = Vec::new();
    if !a.no_thresholds {
        exprs.extend(scn.thresholds.iter().map(String::as_str));
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
    if let Err(e) = prepare_dir(&dir) {
        return bad(e);
    }
    let show = !a.quiet && stdout_is_terminal();
    if a.find_max {
        return execute_find_max(&a, &scn, &opts, &dir, show);
    }

    let bar = show.then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
        b
    });
    let total_s = opts.duration.div_ceil(MICROS_PER_SEC);
    let mut on_second = |r: &SecondRow| {
        if let Some(b) = &bar {
            b.set_message(format!(
                "{}/{}s  arrivals {}/s  decisions {}/s  p99 decision {} us  queue {}",
                r.second,
                total_s,
                r.arrivals,
                r.decisions,
                num(r.decision_p99_us),
                r.queue_len
            ));
            b.tick();
        }
    };
    let result = run_load(&scn, &opts, &mut on_second);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let res = match result {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    let summary = summary(&scn, &res);
    let verdicts = verdicts(&summary, &gates);
    if let Err(e) = write_outputs(&dir, &res, &summary, &verdicts) {
        return bad(e);
    }
    if res.interrupted {
        eprintln!(
            "interrupted after {:.1}s: results cover what was measured",
            res.wall as f64 / 1e6
        );
    }
    if !a.quiet {
        let c = &res.counts;
        let services: Vec<String> = scn.services.iter().map(|s| s.name.clone()).collect();
        out!(
            "{}: {:.1}s wall, {} simulated, {} arrivals ({} handled, {} abandoned, {} still queued)",
            scn.name,
            res.wall as f64 / 1e6,
            format_duration(res.scenario_time / MICROS_PER_SEC * MICROS_PER_SEC),
            c.offered,
            c.handled,
            c.abandoned,
            c.in_queue_at_stop
        );
        out!("{}", res.figures.line());
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
        start_rate: opts.plan.rate_at(0.0).max(1.0),
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
                "step {:>2}: {:>9} arrivals/s -> {:>9} decisions/s, p99 {:>6} us, lag p99 {} ms: {}",
                r.step,
                num(r.rate.round()),
                num(r.decisions_per_s.round()),
                num(r.decision_p99_us),
                num(r.timer_lag_p99_ms),
                if r.ok { "ok".to_string() } else { format!("FAIL ({})", r.reason) }
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
