//! Capacity planning on top of the simulator: parameter sweeps (`sweep`) and
//! the fewest agents per interval that meet service targets (`staff`).
//! Library code only; the CLI prints.

pub mod erlang;
pub mod staff;
pub mod staff_report;
pub mod sweep;
pub mod sweep_merge;
pub mod vary;

use std::fmt;

use crate::run::RunError;
use crate::scenario::ScenarioError;

/// What a planner command can fail with: a bad flag (`--vary`, `--target`,
/// `--group`, ...), a scenario that does not load, or a run that cannot
/// write its output.
#[derive(Debug)]
pub enum PlannerError {
    Input(String),
    Scenario(ScenarioError),
    Run(RunError),
}

impl fmt::Display for PlannerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlannerError::Input(m) => f.write_str(m),
            PlannerError::Scenario(e) => write!(f, "{e}"),
            PlannerError::Run(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for PlannerError {}
