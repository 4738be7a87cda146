//! The command line (clap). The only place that prints or decides exit codes.

mod erlang;
mod load;
mod run;
mod validate;

use std::io::IsTerminal;

use clap::{Parser, Subcommand};

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
    /// Check a scenario's schema and preconditions; prints every problem found.
    Validate(validate::ValidateArgs),
    /// Analytic baseline: Erlang C, or Erlang A with --patience.
    Erlang(erlang::ErlangArgs),
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
        Command::Validate(a) => validate::execute(a),
        Command::Erlang(a) => erlang::execute(a),
        Command::Load(a) => load::execute(a),
    };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code
}

/// Whether progress bars and colour belong on stdout.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Prints to stdout, treating a closed pipe (`| head`) as success.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
