//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::Path;

use rayon::prelude::*;
use routesim::model::Scenario;
use routesim::report::summary::Summary;
use routesim::run::run_replication_quiet;

/// The contract's M/M/c(+M) scenario with the given parameters.
pub fn mmc_scenario(
    rate_per_s: f64,
    handle_s: f64,
    agents: u32,
    patience_s: Option<f64>,
    sla_s: f64,
    duration_h: f64,
    replications: u32,
) -> String {
    let patience = patience_s
        .map(|p| format!("patience = {{ dist = \"exponential\", mean = \"{p}s\" }}"))
        .unwrap_or_default();
    format!(
        r#"
[simulation]
duration = "{duration_h}h"
warmup = "1h"
seed = 11
replications = {replications}
interval = "1h"

[tenant]
modalities = ["im"]

[[services]]
id = "support"
license = "contact_center"
addons = ["interact"]
channels = ["interact"]
workflow = "basic"
sla = "{sla_s}s"
acw = "0s"

[[users]]
id = "agent"
count = {agents}
services = ["support"]
licenses = ["im"]
im_capacity = 1
accept_delay = "0s"

[[arrivals]]
service = "support"
channel = "interact"
rate = "{rate_per_s}/s"
handle_time = {{ dist = "exponential", mean = "{handle_s}s" }}
{patience}

[workflows.basic]
start = "accept"
steps.accept = {{ do = "accept", next = "queue" }}
steps.queue = {{ do = "queue_task" }}
"#
    )
}

pub fn load(text: &str) -> Scenario {
    routesim::scenario::load_str(Path::new("test.toml"), text, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .scenario
}

/// Runs all replications in memory (no files) and summarises them.
pub fn summarise(scn: &Scenario) -> Summary {
    let results: Vec<_> = (0..scn.sim.replications)
        .into_par_iter()
        .map(|r| run_replication_quiet(scn, r))
        .collect();
    Summary::from_results(scn, &results)
}

/// Reads tests/data/erlang-public.csv: (case, rate, handle, agents, patience,
/// sla, p_wait, mean_wait, service_level, p_abandon).
pub struct Row {
    pub case: String,
    pub rate: f64,
    pub handle: f64,
    pub agents: u32,
    pub patience: Option<f64>,
    pub sla: f64,
    pub p_wait: f64,
    pub mean_wait: f64,
    pub service_level: Option<f64>,
    pub p_abandon: f64,
}

pub fn erlang_rows() -> Vec<Row> {
    let text = include_str!("../data/erlang-public.csv");
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().parse::<f64>().unwrap());
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row {
                case: f[0].to_string(),
                rate: f[1].parse().unwrap(),
                handle: f[2].parse().unwrap(),
                agents: f[3].parse().unwrap(),
                patience: opt(f[4]),
                sla: f[5].parse().unwrap(),
                p_wait: f[6].parse().unwrap(),
                mean_wait: f[7].parse().unwrap(),
                service_level: opt(f[8]),
                p_abandon: f[9].parse().unwrap(),
            }
        })
        .collect()
}
