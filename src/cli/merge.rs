use std::path::PathBuf;

use clap::Args;

use super::EXIT_BAD_INPUT;
use crate::out;
use crate::planner::sweep_merge::{common_kind, merge_sweeps, FolderKind};
use crate::report::merge::{merge, MergeOptions};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Results folders to combine: shards of one run (`run --shard I/N`), or
    /// any runs of the same scenario, seed and replication count; or shards
    /// of one sweep (`sweep --shard I/N`).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output folder for the merged result.
    #[arg(short = 'o', long = "out", value_name = "DIR", required = true)]
    pub out: PathBuf,
    /// Merge even if some replications (of a sweep: point replications) are
    /// missing (they are listed).
    #[arg(long)]
    pub partial: bool,
    /// Print nothing but errors and threshold failures.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn execute(a: MergeArgs) -> i32 {
    match common_kind(&a.dirs) {
        Err(m) => {
            eprintln!("merge: {m}");
            return EXIT_BAD_INPUT;
        }
        Ok(FolderKind::Sweep) => return execute_sweep(&a),
        Ok(FolderKind::Run) => {}
    }
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

fn execute_sweep(a: &MergeArgs) -> i32 {
    let output = match merge_sweeps(&a.dirs, &a.out, a.partial) {
        Ok(o) => o,
        Err(m) => {
            eprintln!("merge: {m}");
            return EXIT_BAD_INPUT;
        }
    };
    let s = &output.sweep;
    let total: u32 = s.points.iter().map(|p| p.summary.total_replications).sum();
    if !output.missing.is_empty() {
        eprintln!(
            "warning: partial merge: {} of {total} point replications; missing: {}",
            total as usize - output.missing.len(),
            describe_missing(&output.missing)
        );
    }
    if !a.quiet {
        out!(
            "{}: merged {} sweep folder{} into {} of {total} point replications ({} points), seed {}",
            s.scenario,
            a.dirs.len(),
            if a.dirs.len() == 1 { "" } else { "s" },
            total as usize - output.missing.len(),
            s.points.len(),
            s.seed
        );
        out!("{}", s.table().to_text());
        out!("results in {}", a.out.display());
    }
    super::sweep::report_points(s)
}

/// "point 0 replications 1, 3-4; point 2 replication 0"
fn describe_missing(missing: &[(usize, u32)]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < missing.len() {
        let p = missing[i].0;
        let reps: Vec<u32> = missing[i..]
            .iter()
            .take_while(|m| m.0 == p)
            .map(|m| m.1)
            .collect();
        i += reps.len();
        parts.push(format!(
            "point {p} replication{} {}",
            if reps.len() == 1 { "" } else { "s" },
            crate::report::merge::ranges(&reps)
        ));
    }
    parts.join("; ")
}
