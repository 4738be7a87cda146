use std::path::PathBuf;

use clap::Args;

use super::format::{emit, Format};
use super::{progress, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::model::time::format_duration;
use crate::planner::erlang::Erlang;
use crate::planner::staff::{prepare, StaffError, StaffOptions};
use crate::scenario::limits::MAX_THREADS;
use crate::scenario::units::{check_shrinkage, shrinkage_warning, SHRINKAGE_HINT};

#[derive(Args, Debug)]
pub struct StaffArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A target to meet in every interval, e.g. `service_level>=0.8`,
    /// `every_interval:p_abandon<=0.05` (the same: every target of staff holds
    /// per interval) or `support:wait_p90_s<=60` (repeatable; all must hold).
    #[arg(long = "target", value_name = "EXPR")]
    pub target: Vec<String>,
    /// The [[users]] group to staff [default: the first group].
    #[arg(long, value_name = "USERS_ID")]
    pub group: Option<String>,
    /// Output folder [default: results/<scenario name>-staff/].
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications every candidate plan is simulated with (the plan meets the
    /// targets on the chats of all of them, pooled per interval).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub replications: u32,
    /// No interval gets more agents than this.
    #[arg(long = "max-agents", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_agents: u32,
    /// Overrides the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Share of paid time the agents are away for reasons the scenario does
    /// not model (absence, meetings, training), in [0, 1), e.g. 0.3: the plan
    /// (agents on the floor, as simulated) is rostered as scheduled_agents =
    /// ceil(agents / (1 - X)). Replaces the group's `shrinkage` key [default:
    /// the key, else 0].
    #[arg(long, value_name = "X", value_parser = parse_shrinkage)]
    pub shrinkage: Option<f64>,
    /// Multiplies every rate and profile arrival source (sets `simulation.load_scale`).
    #[arg(long = "load-scale", value_name = "X", value_parser = super::run::parse_load_scale)]
    pub load_scale: Option<f64>,
    /// Sets a scenario key first, e.g. `services.support.acw=30s` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Worker threads [default: all cores; at most 1024]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS as i64))]
    pub threads: Option<u32>,
    /// Print nothing but errors and unmet intervals.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Format of the summary on stdout (json: the staffing.json document).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_shrinkage(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; expected {SHRINKAGE_HINT}"))?;
    check_shrinkage(x)
}

pub fn execute(a: StaffArgs) -> i32 {
    if let Some(w) = a.shrinkage.and_then(shrinkage_warning) {
        eprintln!("warning: --shrinkage: {w}");
    }
    let opts = StaffOptions {
        sets: super::run::with_load_scale(&a.set, a.load_scale),
        group: a.group.clone(),
        replications: a.replications,
        max_agents: a.max_agents,
        seed: a.seed,
        threads: a.threads.map(|t| t as usize),
        shrinkage: a.shrinkage,
    };
    let prepared = match prepare(&a.scenario, &a.target, opts) {
        Ok(p) => p,
        Err(e) => {
            match e {
                StaffError::Input(m) => eprintln!("{}: {m}", a.scenario.display()),
                e => eprintln!("{e}"),
            }
            return EXIT_BAD_INPUT;
        }
    };
    let bar = progress(0, "plans simulated", a.quiet);
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let result = prepared.run(&Erlang, &tick);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let staffing = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    let out_dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("{}-staff", staffing.scenario)));
    if let Err(e) = staffing.write(&out_dir) {
        eprintln!("{e}");
        return EXIT_BAD_INPUT;
    }
    if !a.quiet {
        let capacity = if staffing.capacity == crate::model::UNLIMITED {
            "unlimited".to_string()
        } else {
            staffing.capacity.to_string()
        };
        let lines = [
            format!(
                "{}: group `{}` (im_capacity {capacity}), {} interval(s) of {} from {}; {} plans simulated over the whole horizon x {} replications, seed {}, in {:.2}s",
                staffing.scenario,
                staffing.group,
                staffing.intervals.len(),
                format_duration(staffing.interval),
                staffing.intervals.first().map_or("-", |i| i.label.as_str()),
                staffing.plans_simulated,
                staffing.replications,
                staffing.seed,
                staffing.elapsed.as_secs_f64()
            ),
            format!(
                "targets: {}",
                staffing
                    .targets
                    .iter()
                    .map(|t| t.expr())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            staffing.verdict_line(),
            format!("results in {}", out_dir.display()),
        ];
        emit(a.format, &lines, &staffing.table(), &staffing.to_json());
    }
    if staffing.unmet() > 0 {
        eprintln!(
            "targets not met in {} interval(s) with up to {} agents (--max-agents) or off the group's shifts",
            staffing.unmet(),
            a.max_agents
        );
        return EXIT_FAILED;
    }
    EXIT_OK
}
