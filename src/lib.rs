//! routesim: a discrete-event simulator and load tester for Nimbus-style
//! contact-center chat (IM) routing. See README.md for the command line and
//! the scenario format; `docs/` and `../shared/design` for the model.

pub mod analytic;
pub mod behavior;
pub mod cli;
pub mod engine;
pub mod load;
pub mod model;
pub mod planner;
pub mod report;
pub mod routing;
pub mod run;
pub mod scenario;
pub mod stats;
pub mod workflow;
