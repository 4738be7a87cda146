use std::path::PathBuf;

use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::out;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Overrides applied before validation, as in `run`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

pub fn execute(a: ValidateArgs) -> i32 {
    match crate::scenario::load(&a.scenario, &a.set) {
        Ok(loaded) => {
            super::print_warnings(&a.scenario, &loaded.warnings);
            let s = &loaded.scenario;
            let csv = crate::scenario::limits::SessionsOut::Csv;
            super::warn_output_size(&a.scenario, s, csv);
            out!(
                "{}: ok ({} services, {} users, {} arrival sources, {} workflows)",
                a.scenario.display(),
                s.services.len(),
                s.users.len(),
                s.sources.len(),
                s.workflows.len()
            );
            EXIT_OK
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!(
                "{}: {} problem{} found",
                a.scenario.display(),
                e.problems.len(),
                if e.problems.len() == 1 { "" } else { "s" }
            );
            EXIT_BAD_INPUT
        }
    }
}
