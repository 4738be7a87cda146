use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK};
use crate::out;
use crate::report::atomic::write_atomic;
use crate::report::compare::{compare, parse_tolerance};
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
    #[arg(long = "threshold", value_name = "EXPR")]
    pub threshold: Vec<String>,
    /// Compare results of different scenarios (or --set overrides).
    #[arg(long)]
    pub allow_different: bool,
    /// How to print the significant changes.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Folder for comparison.csv [default: NEW].
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn execute(a: CompareArgs) -> i32 {
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
    let c = compare(&base, &new, &tolerances);
    let dir = a.out.clone().unwrap_or_else(|| a.new.clone());
    let path = dir.join("comparison.csv");
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|_| write_atomic(&path, c.to_csv().as_bytes()))
    {
        eprintln!("compare: {}: cannot write output: {e}", path.display());
        return EXIT_BAD_INPUT;
    }
    match a.format {
        Format::Json => out!("{}", c.to_json().trim_end()),
        Format::Markdown => out!("{}", c.to_markdown().trim_end()),
        Format::Text => {
            out!("{}", c.to_text().trim_end());
            out!("all metrics in {}", path.display());
        }
    }
    if !matches!(a.format, Format::Json) {
        for g in &c.gates {
            let observed = g.observed.map_or("undefined".into(), |d| {
                let v = crate::report::fmt::num(d);
                if d > 0.0 {
                    format!("+{v}")
                } else {
                    v
                }
            });
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
                    crate::report::fmt::num(g.allowed),
                    g.verdict.name()
                );
            }
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
