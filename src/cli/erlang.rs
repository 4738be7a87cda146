use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::analytic::{erlang_a, erlang_c};
use crate::model::time::to_secs_f64;
use crate::out;
use crate::scenario::limits::MAX_USERS;
use crate::scenario::units::{parse_duration, parse_rate};

#[derive(Args, Debug)]
pub struct ErlangArgs {
    /// Arrival rate, e.g. "1080/h" or "0.3/s".
    #[arg(long)]
    pub rate: String,
    /// Mean handle time, e.g. "60s".
    #[arg(long = "handle-time")]
    pub handle_time: String,
    /// Number of agents (at most 1,000,000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_USERS as i64))]
    pub agents: u32,
    /// Mean patience (exponential): gives Erlang A instead of Erlang C.
    #[arg(long)]
    pub patience: Option<String>,
    /// Service-level threshold.
    #[arg(long, default_value = "20s")]
    pub sla: String,
}

fn secs(flag: &str, v: &str) -> Result<f64, String> {
    parse_duration(v)
        .map(to_secs_f64)
        .map_err(|m| format!("--{flag}: {m}"))
}

pub fn execute(a: ErlangArgs) -> i32 {
    let parsed = (|| -> Result<_, String> {
        let rate = parse_rate(&a.rate).map_err(|m| format!("--rate: {m}"))?;
        let handle = secs("handle-time", &a.handle_time)?;
        let sla = secs("sla", &a.sla)?;
        let patience = a
            .patience
            .as_deref()
            .map(|p| secs("patience", p))
            .transpose()?;
        Ok((rate, handle, sla, patience))
    })();
    let (rate, handle, sla, patience) = match parsed {
        Ok(p) => p,
        Err(m) => {
            eprintln!("erlang: {m}");
            return EXIT_BAD_INPUT;
        }
    };
    let result = match patience {
        None => erlang_c(rate, handle, a.agents, sla).map(|r| {
            vec![
                ("model", "Erlang C (M/M/c)".to_string()),
                ("offered_load_erlangs", fmt(r.offered_load)),
                ("occupancy", fmt(r.occupancy)),
                ("p_wait", fmt(r.p_wait)),
                ("mean_wait_s", fmt(r.mean_wait_s)),
                ("asa_s", fmt(r.asa_s)),
                ("mean_wait_given_wait_s", fmt(r.mean_wait_given_wait_s)),
                ("service_level", fmt(r.service_level)),
            ]
        }),
        Some(p) => erlang_a(rate, handle, a.agents, p, sla).map(|r| {
            vec![
                ("model", "Erlang A (M/M/c+M)".to_string()),
                ("offered_load_erlangs", fmt(r.offered_load)),
                ("occupancy", fmt(r.occupancy)),
                ("p_wait", fmt(r.p_wait)),
                ("mean_wait_s", fmt(r.mean_wait_s)),
                ("asa_s", fmt(r.asa_s)),
                ("p_abandon", fmt(r.p_abandon)),
                ("service_level", fmt(r.service_level)),
            ]
        }),
    };
    match result {
        Ok(rows) => {
            for (k, v) in rows {
                out!("{k:<24} {v}");
            }
            EXIT_OK
        }
        Err(e) => {
            eprintln!("erlang: {e}");
            EXIT_BAD_INPUT
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.6}")
}
