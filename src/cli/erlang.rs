use clap::Args;

use super::{EXIT_BAD_INPUT, EXIT_OK};
use crate::out;

#[derive(Args, Debug)]
pub struct ErlangArgs {
    /// Arrival rate, e.g. "1080/h" or "0.3/s".
    #[arg(long)]
    pub rate: String,
    /// Mean handle time, e.g. "60s".
    #[arg(long = "handle-time")]
    pub handle_time: String,
    /// Number of agents.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub agents: u32,
    /// Mean patience (exponential): gives Erlang A instead of Erlang C.
    #[arg(long)]
    pub patience: Option<String>,
    /// Service-level threshold [default: 20s].
    #[arg(long, default_value = "20s")]
    pub sla: String,
}

pub fn execute(_a: ErlangArgs) -> i32 {
    eprintln!("erlang: not built yet");
    let _ = (EXIT_OK, EXIT_BAD_INPUT);
    out!("");
    EXIT_BAD_INPUT
}
