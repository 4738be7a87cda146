use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::out;
use crate::report::atomic::{commit_all, stage};
use crate::report::compare::{compare, parse_tolerance, Gate, Tolerance};
use crate::report::compare_intervals::{IntervalComparison, IntervalTable, INTERVALS_FILE};
use crate::report::fmt::num;
use crate::report::outdir::FolderLock;
use crate::report::results::ResultDir;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The baseline results folder.
    pub base: PathBuf,
    /// The results folder to judge against the baseline.
    pub new: PathBuf,
    /// A tolerated worsening, `[service:]metric OP change`: `wait_p95_s<+10%`
    /// (relative to the base mean) or `p_abandon<+0.01` (absolute). With any,
    /// only these gate the exit code; without, any significant worsening does.
    /// `every_interval:service_level>-0.05` bounds the change in every
    /// interval of intervals.csv (implies --per-interval).
    #[arg(long = "threshold", value_name = "EXPR")]
    pub threshold: Vec<String>,
    /// Also compare every interval and service of intervals.csv: writes
    /// comparison_intervals.csv and lists the intervals that got worse
    /// (these verdicts alone never fail the exit code; gate them with
    /// `every_interval:` thresholds).
    #[arg(long)]
    pub per_interval: bool,
    /// Compare results of different scenarios (or --set overrides).
    #[arg(long)]
    pub allow_different: bool,
    /// How to print the significant changes.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Folder for comparison.csv (and comparison_intervals.csv) [default: NEW].
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn execute(a: CompareArgs) -> i32 {
    if let Some(out) = &a.out {
        if let Err(code) = super::check_out_dir(out) {
            return code;
        }
    }
    let read = |d: &PathBuf| ResultDir::read(d).map_err(|m| eprintln!("compare: {m}"));
    let (Ok(base), Ok(new)) = (read(&a.base), read(&a.new)) else {
        return EXIT_BAD_INPUT;
    };
    if base.meta.hash != new.meta.hash && !a.allow_different {
        eprintln!(
            "compare: {} (scenario `{}`, hash {}) and {} (scenario `{}`, hash {}) come from different scenarios or --set overrides; pass --allow-different to compare them anyway",
            a.base.display(),
            base.meta.scenario,
            base.meta.hash,
            a.new.display(),
            new.meta.scenario,
            new.meta.hash
        );
        return EXIT_BAD_INPUT;
    }
    let names: Vec<&str> = base
        .table
        .services
        .iter()
        .chain(&new.table.services)
        .map(String::as_str)
        .filter(|s| *s != "*")
        .collect();
    let mut tolerances = Vec::new();
    for t in &a.threshold {
        match parse_tolerance(t, &names) {
            Ok(t) => tolerances.push(t),
            Err(m) => {
                eprintln!("compare: --threshold: {m}");
                return EXIT_BAD_INPUT;
            }
        }
    }
    // An every_interval: tolerance needs the per-interval comparison.
    let per_interval = a.per_interval || tolerances.iter().any(|t| t.per_interval);
    let intervals = if per_interval {
        match compare_intervals(&base, &new) {
            Ok(i) => Some(i),
            Err(m) => {
                eprintln!("compare: {m}");
                return EXIT_BAD_INPUT;
            }
        }
    } else {
        None
    };
    let c = compare(&base, &new, &tolerances, intervals);
    let dir = a.out.clone().unwrap_or_else(|| a.new.clone());
    let path = dir.join("comparison.csv");
    let mut files = vec![(path.clone(), c.to_csv())];
    if let Some(i) = &c.intervals {
        files.push((dir.join(INTERVALS_FILE), i.to_csv()));
    }
    // Held until the files are in (and a stale one removed): a run into
    // this folder meanwhile is refused instead of swapping the folder under
    // them, and compare is refused while a run writes it.
    let _lock = match FolderLock::take(&dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("compare: {}: cannot write output: {e}", dir.display());
            return EXIT_BAD_INPUT;
        }
    };
    if let Err(m) = write_all(&dir, files) {
        eprintln!("compare: {m}");
        return EXIT_BAD_INPUT;
    }
    if c.intervals.is_none() {
        // A per-interval file of an earlier compare would not belong to this one.
        let stale = dir.join(INTERVALS_FILE);
        if let Err(e) = std::fs::remove_file(&stale) {
            if e.kind() != std::io::ErrorKind::NotFound {
                eprintln!(
                    "compare: {}: cannot remove the earlier file: {e}",
                    stale.display()
                );
                return EXIT_BAD_INPUT;
            }
        }
    }
    match a.format {
        Format::Json => out!("{}", c.to_json().trim_end()),
        Format::Markdown => out!("{}", c.to_markdown().trim_end()),
        Format::Text => {
            out!("{}", c.to_text().trim_end());
            out!("all metrics in {}", path.display());
            if c.intervals.is_some() {
                out!("all intervals in {}", dir.join(INTERVALS_FILE).display());
            }
        }
    }
    if !matches!(a.format, Format::Json) {
        for (g, t) in c.gates.iter().zip(&tolerances) {
            print_gate(g, t);
        }
    }
    if c.failed {
        if c.gates.is_empty() {
            eprintln!("compare: a metric got significantly worse");
        }
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

fn compare_intervals(base: &ResultDir, new: &ResultDir) -> Result<IntervalComparison, String> {
    IntervalComparison::new(&IntervalTable::read(base)?, &IntervalTable::read(new)?)
}

/// Writes each file atomically: all are staged before any is put in place.
fn write_all(dir: &std::path::Path, files: Vec<(PathBuf, String)>) -> Result<(), String> {
    let cannot = |p: &std::path::Path, e: std::io::Error| {
        format!("{}: cannot write output: {e}", p.display())
    };
    std::fs::create_dir_all(dir).map_err(|e| cannot(dir, e))?;
    let mut staged = Vec::new();
    for (p, text) in &files {
        staged.push(stage(p, text.as_bytes()).map_err(|e| cannot(p, e))?);
    }
    commit_all(staged).map_err(|(p, e)| cannot(&p, e))?;
    Ok(())
}

/// A change with its sign, or "undefined".
fn signed(v: Option<f64>) -> String {
    v.map_or("undefined".into(), |d| {
        if d > 0.0 {
            format!("+{}", num(d))
        } else {
            num(d)
        }
    })
}

/// How many failing intervals a failed per-interval gate names.
const FAILING_SHOWN: usize = 10;

fn print_gate(g: &Gate, t: &Tolerance) {
    let observed = signed(g.observed);
    let Some(i) = &g.intervals else {
        if g.ok {
            out!(
                "threshold ok: {} (change {observed}, {})",
                g.expr,
                g.verdict.name()
            );
        } else {
            eprintln!(
                "threshold FAILED: {} (change {observed}, allowed {}, {})",
                g.expr,
                num(g.allowed),
                g.verdict.name()
            );
        }
        return;
    };
    let undetermined = match i.undetermined {
        0 => String::new(),
        n => format!(", {n} undetermined"),
    };
    if g.ok {
        out!(
            "threshold ok: {} ({} intervals judged{undetermined}; worst change {observed} at {} {}, {})",
            g.expr,
            i.judged,
            i.worst_interval.as_deref().unwrap_or(""),
            i.worst_service.as_deref().unwrap_or(""),
            g.verdict.name()
        );
    } else if i.judged == 0 {
        eprintln!(
            "threshold FAILED: {}: no interval could be judged ({} undetermined: {} undefined or fewer than 2 replications)",
            g.expr,
            i.undetermined,
            t.metric_name()
        );
    } else {
        eprintln!(
            "threshold FAILED: {} in {} of {} intervals{undetermined}:",
            g.expr,
            i.failing.len(),
            i.judged
        );
        for f in i.failing.iter().take(FAILING_SHOWN) {
            eprintln!(
                "  {} {}: change {}, allowed {}, {}",
                f.interval_start,
                f.service,
                signed(Some(f.observed)),
                num(f.allowed),
                f.verdict.name()
            );
        }
        let more = i.failing.len().saturating_sub(FAILING_SHOWN);
        if more > 0 {
            eprintln!("  ... {more} more in {INTERVALS_FILE}");
        }
    }
}
