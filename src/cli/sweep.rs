use std::path::PathBuf;

use clap::Args;

use super::format::{emit, Format};
use super::run::describe;
use super::{progress, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::planner::sweep::{plan, run, Sweep, SweepError, SweepOptions};
use crate::planner::vary::{parse_vary, parse_zip};
use crate::scenario::limits::{MAX_REPLICATIONS, MAX_THREADS};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// A key and its values: `KEY=V1,V2,...` or `KEY=START..END:STEP`, e.g.
    /// `users.agent.count=10..40:5` (repeatable; several form a grid, the
    /// first varying slowest). Keys are those of `--set`; `load_scale=1,1.1`
    /// scales every arrival source (`simulation.load_scale`).
    #[arg(long = "vary", value_name = "KEY=VALUES")]
    pub vary: Vec<String>,
    /// Keys given by `--vary` that advance together instead of forming a
    /// grid, e.g. `users.agent.count,arrivals.0.rate`: their first values
    /// make one step, their second the next (repeatable; at least two keys,
    /// each in one zip, all with the same number of values). A zip is one
    /// dimension of the grid, at the place of its first key's `--vary`.
    #[arg(long = "zip", value_name = "KEY1,KEY2[,...]")]
    pub zip: Vec<String>,
    /// Output folder [default: results/<scenario name>-sweep/].
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications per point (overrides the scenario).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_REPLICATIONS as i64))]
    pub replications: Option<u32>,
    /// Overrides the scenario's seed; every point uses the same seeds.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sets a scenario key for every point, e.g. `services.support.acw=30s` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Multiplies every rate and profile arrival source (sets `simulation.load_scale`).
    #[arg(long = "load-scale", value_name = "X", value_parser = super::run::parse_load_scale)]
    pub load_scale: Option<f64>,
    /// A gate judged at every point, e.g. `p95(wait)<60s` or
    /// `every_interval:service_level>=0.8` (repeatable; after the scenario's
    /// `thresholds`). A failing point gives exit code 1 after all results
    /// are written. A grid explored on purpose often has failing points:
    /// leave out `--threshold` and pass `--no-thresholds`.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub threshold: Vec<String>,
    /// Ignore the scenario's `thresholds = [...]`, as `run` does
    /// (`--threshold` gates are still judged).
    #[arg(long)]
    pub no_thresholds: bool,
    /// Worker threads [default: all cores; at most 1024]. Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS as i64))]
    pub threads: Option<u32>,
    /// Run only shard I of N (0-based): the work items k (point by point,
    /// replication by replication) with k % N == I. `routesim merge`
    /// combines the shards into exactly the unsharded sweep.
    #[arg(long, value_name = "I/N", value_parser = crate::run::parse_shard)]
    pub shard: Option<(u32, u32)>,
    /// Print nothing but errors and failing points.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Format of the summary on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn execute(a: SweepArgs) -> i32 {
    let parsed = a
        .vary
        .iter()
        .map(|v| parse_vary(v))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            Ok((
                v,
                a.zip
                    .iter()
                    .map(|z| parse_zip(z))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        });
    let (varies, zips) = match parsed {
        Ok(v) => v,
        Err(m) => {
            eprintln!("{m}");
            return EXIT_BAD_INPUT;
        }
    };
    let opts = SweepOptions {
        sets: super::run::with_load_scale(&a.set, a.load_scale),
        seed: a.seed,
        replications: a.replications,
        threads: a.threads.map(|t| t as usize),
        shard: a.shard,
        threshold: a.threshold.clone(),
        no_thresholds: a.no_thresholds,
    };
    let plan = match plan(&a.scenario, &varies, &zips, &opts) {
        Ok(p) => p,
        Err(e) => {
            if let SweepError::Input(_) = e {
                eprintln!("{}: {e}", a.scenario.display());
            } else {
                eprintln!("{e}");
            }
            return EXIT_BAD_INPUT;
        }
    };
    let out_dir = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("{}-sweep", plan.base.name)));
    if let Err(code) = super::check_out_dir(&out_dir) {
        return code;
    }
    // All points together, each judged as the heaviest one.
    let heaviest = plan
        .points
        .iter()
        .map(|(_, s)| (crate::scenario::limits::estimate(s).events, s))
        .max_by(|x, y| x.0.total_cmp(&y.0));
    if let Some((_, scn)) = heaviest {
        if let Err(code) = super::check_work(&a.scenario, scn, plan.points.len(), a.quiet) {
            return code;
        }
    }
    let n_points = plan.points.len();
    let (n_items, n_work) = (plan.items(a.shard).len(), plan.work());
    let bar = progress(n_items as u64, "point replications", a.quiet);
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let result = run(plan, opts.threads, opts.shard, &tick)
        .and_then(|s| s.write(&out_dir).map(|_| s).map_err(SweepError::Run));
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let sweep = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    if !a.quiet {
        let shard = a.shard.map_or_else(String::new, |(i, n)| {
            format!(" (shard {i}/{n}: {n_items} of {n_work} point replications)")
        });
        let lines = [
            format!(
                "{}: {n_points} point{}, {} replication{} each{shard}, seed {}, {} events in {:.2}s",
                sweep.scenario,
                if n_points == 1 { "" } else { "s" },
                sweep.replications,
                if sweep.replications == 1 { "" } else { "s" },
                sweep.seed,
                sweep.events,
                sweep.elapsed.as_secs_f64()
            ),
            format!(
                "tenant-wide (*) means; per service in {}",
                out_dir.join("sweep.csv").display()
            ),
        ];
        emit(a.format, &lines, &sweep.table(), &sweep.to_json());
    }
    report_points(&sweep)
}

/// Prints a line per point that fails a threshold (on stderr); the exit
/// code: 1 if any point fails.
pub fn report_points(sweep: &Sweep) -> i32 {
    let mut code = EXIT_OK;
    for (i, p) in sweep.failing_points() {
        let params: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let failed: Vec<String> = p.verdicts.iter().filter(|v| !v.ok).map(describe).collect();
        eprintln!(
            "point {i} ({}): threshold FAILED: {}",
            params.join(", "),
            failed.join("; ")
        );
        code = EXIT_FAILED;
    }
    code
}
