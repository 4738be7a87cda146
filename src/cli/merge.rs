use std::path::PathBuf;

use clap::Args;

use super::EXIT_BAD_INPUT;
use crate::out;
use crate::report::merge::{merge, MergeOptions};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Results folders to combine: shards of one run (`run --shard I/N`), or
    /// any runs of the same scenario, seed and replication count.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output folder for the merged result.
    #[arg(short = 'o', long = "out", value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Merge even if some replications are missing (they are listed).
    #[arg(long)]
    pub partial: bool,
    /// Print nothing but errors and threshold failures.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn execute(a: MergeArgs) -> i32 {
    let opts = MergeOptions {
        out_dir: a.out.clone(),
        partial: a.partial,
    };
    let output = match merge(&a.dirs, &opts) {
        Ok(o) => o,
        Err(m) => {
            eprintln!("merge: {m}");
            return EXIT_BAD_INPUT;
        }
    };
    let s = &output.summary;
    if !output.missing.is_empty() {
        eprintln!(
            "warning: partial merge: {} of {} replications; missing: {}",
            s.replications,
            s.total_replications,
            output
                .missing
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !a.quiet {
        let services: Vec<String> = s
            .rows
            .iter()
            .map(|r| r.service.clone())
            .filter(|n| n != "*")
            .fold(Vec::new(), |mut v, n| {
                if !v.contains(&n) {
                    v.push(n);
                }
                v
            });
        out!(
            "{}: merged {} folder{} into {} of {} replications, seed {}",
            s.scenario,
            a.dirs.len(),
            if a.dirs.len() == 1 { "" } else { "s" },
            s.replications,
            s.total_replications,
            s.seed
        );
        out!("{}", s.table(&services));
        out!("results in {}", a.out.display());
    }
    super::run::report_verdicts(&output.verdicts, a.quiet)
}
