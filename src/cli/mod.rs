//! The command line (clap). The only place that prints or decides exit codes.

mod compare;
mod erlang;
pub mod format;
mod load;
mod merge;
mod run;
mod schema;
mod staff;
mod sweep;
mod validate;

use std::io::IsTerminal;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "routesim",
    version,
    about = "Simulate and load-test Nimbus-style contact-center chat routing",
    long_about = "Simulate and load-test Nimbus-style contact-center chat routing.\n\n\
Exit codes: 0 success; 1 a threshold or comparison failed (results are still written); \
2 bad input (scenario, flags, files)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario: replications in parallel, CSV/JSON results in DIR.
    Run(run::RunArgs),
    /// Run a scenario over a grid of parameter values (`--vary`; `--zip` keys advance together); sweep.csv in DIR.
    Sweep(sweep::SweepArgs),
    /// The fewest agents of a group meeting every --target in every interval (on the floor; scheduled after shrinkage).
    Staff(staff::StaffArgs),
    /// Check a scenario's schema and preconditions; prints every problem found.
    Validate(validate::ValidateArgs),
    /// Combine shards (`run --shard I/N`) or runs of disjoint replications into
    /// exactly the result of the unsharded run.
    Merge(merge::MergeArgs),
    /// Regression verdict between two results folders (Welch 95 % CI per metric).
    Compare(compare::CompareArgs),
    /// Analytic baseline: Erlang C, or Erlang A with --patience.
    Erlang(erlang::ErlangArgs),
    /// Print the JSON Schema of scenario files (for editors: Taplo / Even Better TOML).
    Schema(schema::SchemaArgs),
    /// Load-test the router in real time (tokio): decision latency, throughput, --find-max.
    #[command(long_about = load::LOAD_LONG_ABOUT)]
    Load(load::LoadArgs),
}

/// Parses arguments and runs the command; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            };
            let _ = e.print();
            return code;
        }
    };
    let code = match cli.command {
        Command::Run(a) => run::execute(a),
        Command::Sweep(a) => sweep::execute(a),
        Command::Staff(a) => staff::execute(a),
        Command::Validate(a) => validate::execute(a),
        Command::Erlang(a) => erlang::execute(a),
        Command::Schema(a) => schema::execute(a),
        Command::Merge(a) => merge::execute(a),
        Command::Compare(a) => compare::execute(a),
        Command::Load(a) => load::execute(a),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code
}

/// Loads a scenario for a command: warnings go to stderr (unless `quiet`),
/// and a bad scenario is printed and turned into exit code 2.
pub fn load_scenario(
    path: &std::path::Path,
    sets: &[String],
    quiet: bool,
) -> Result<crate::model::Scenario, i32> {
    match crate::scenario::load(path, sets) {
        Ok(loaded) => {
            if !quiet {
                print_warnings(path, &loaded.warnings);
            }
            Ok(loaded.scenario)
        }
        Err(e) => {
            eprintln!("{e}");
            Err(EXIT_BAD_INPUT)
        }
    }
}

/// Refuses, before any work, an output folder that is an existing file.
pub fn check_out_dir(dir: &std::path::Path) -> Result<(), i32> {
    if dir.exists() && !dir.is_dir() {
        eprintln!(
            "{}: the output folder (-o) is an existing file, not a folder: give another -o DIR or remove the file",
            dir.display()
        );
        return Err(EXIT_BAD_INPUT);
    }
    Ok(())
}

/// Judges the work of `scn` run `replications` times at each of `points`
/// (after the command line's overrides): warnings on stderr unless `quiet`,
/// a refusal is exit code 2.
pub fn check_work(
    path: &std::path::Path,
    scn: &crate::model::Scenario,
    points: usize,
    quiet: bool,
) -> Result<(), i32> {
    let work = crate::scenario::limits::estimate(scn);
    let (refuse, warn) = work.check(scn.sim.replications, points);
    if !quiet {
        for (loc, m) in &warn {
            eprintln!("warning: {}: {loc}: {m}", path.display());
        }
    }
    for (loc, m) in &refuse {
        eprintln!("{}: {loc}: {m}", path.display());
    }
    if refuse.is_empty() {
        Ok(())
    } else {
        Err(EXIT_BAD_INPUT)
    }
}

/// Warns on stderr when a run of `scn` would write large files, its
/// sessions written as `sessions`.
pub fn warn_output_size(
    path: &std::path::Path,
    scn: &crate::model::Scenario,
    sessions: crate::scenario::limits::SessionsOut,
) {
    let work = crate::scenario::limits::estimate(scn);
    if let Some(m) = work.output_warning(scn.sim.replications, sessions) {
        eprintln!("warning: {}: simulation: {m}", path.display());
    }
}

pub fn print_warnings(path: &std::path::Path, warnings: &[crate::scenario::Problem]) {
    for w in warnings {
        eprintln!("warning: {}: {}: {}", path.display(), w.location, w.message);
    }
}

/// Whether progress bars and colour belong on stdout.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// A progress bar with ETA over `len` units of work, on a terminal only and
/// not with `--quiet`. Plain characters, no colour.
pub fn progress(len: u64, what: &str, quiet: bool) -> Option<ProgressBar> {
    (!quiet && stdout_is_terminal()).then(|| {
        let b = ProgressBar::new(len);
        b.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {what} {{pos}}/{{len}} [{{bar:30}}] {{elapsed}} eta {{eta}}"
            ))
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    })
}

/// Prints to stdout, treating a closed pipe (`| head`) as success.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
