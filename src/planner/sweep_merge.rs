//! `routesim merge` of sweep folders: shards of one sweep (`sweep --shard
//! I/N`), or sweeps of disjoint replications, combined into exactly what the
//! unsharded sweep writes. The per-replication values are read back from
//! sweep_replications.csv (round-trip floats) and summarised per point by
//! `Summary::from_table`, the aggregation `run`, `sweep` and run merges use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::sweep::{header, row_prefix, vary_spec, Point, Sweep, SWEEP_INTERVAL_COUNTS_FILE};
use super::vary::{grid, Vary};
use crate::report::interval_counts::{IntervalCounts, INTERVAL_COUNTS_HEADER};
use crate::report::merge::{ranges, Shared};
use crate::report::summary::{MetricTable, SummaryMeta, REPLICATIONS_HEADER};
use crate::report::thresholds::{self, Threshold, EVERY_INTERVAL};

/// What a results folder holds, as far as merge can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    /// `routesim run` (summary.json, replications.csv).
    Run,
    /// `routesim sweep` (sweep.json, sweep_replications.csv).
    Sweep,
}

/// A folder with sweep.json is a sweep's; one with summary.json a run's.
pub fn folder_kind(dir: &Path) -> Result<FolderKind, String> {
    let (sweep, run) = (
        dir.join("sweep.json").is_file(),
        dir.join("summary.json").is_file(),
    );
    match (sweep, run) {
        (true, true) => Err(format!(
            "{}: holds both a run's summary.json and a sweep's sweep.json; merge cannot tell which to take (write runs and sweeps to separate folders)",
            dir.display()
        )),
        (true, false) if !dir.join("sweep_replications.csv").is_file() => Err(format!(
            "{}: not found; a sweep folder needs it to be merged (sweeps by this routesim version write it: rerun the sweep)",
            dir.join("sweep_replications.csv").display()
        )),
        (true, false) => Ok(FolderKind::Sweep),
        // Not a sweep: the run merge reports what is missing.
        _ => Ok(FolderKind::Run),
    }
}

/// The kind of all `dirs`, refusing a mix of runs and sweeps.
pub fn common_kind(dirs: &[PathBuf]) -> Result<FolderKind, String> {
    let kinds = dirs
        .iter()
        .map(|d| folder_kind(d))
        .collect::<Result<Vec<_>, _>>()?;
    let name = |k: FolderKind| match k {
        FolderKind::Run => "a run's results (summary.json)",
        FolderKind::Sweep => "a sweep's results (sweep.json)",
    };
    for (d, k) in dirs.iter().zip(&kinds).skip(1) {
        if *k != kinds[0] {
            return Err(format!(
                "{} holds {}, but {} holds {}; merge combines shards of one run, or of one sweep, never both",
                d.display(),
                name(*k),
                dirs[0].display(),
                name(kinds[0])
            ));
        }
    }
    Ok(kinds.first().copied().unwrap_or(FolderKind::Run))
}

#[derive(Deserialize)]
struct Doc {
    tool: String,
    version: String,
    scenario: String,
    scenario_hash: String,
    seed: u64,
    replications: u32,
    parameters: Vec<String>,
    vary: Option<Vec<String>>,
    /// Absent in sweeps written before `--zip`: no zips.
    #[serde(default)]
    zip: Vec<Vec<String>>,
    shard: Option<String>,
    /// Absent in sweeps written before sweeps took thresholds: none.
    #[serde(default)]
    thresholds: Vec<String>,
    points: Vec<DocPoint>,
}

#[derive(Deserialize)]
struct DocPoint {
    scenario_hash: String,
    total_replications: Option<u32>,
}

/// A point of a sweep folder: its params, its scenario hash, its total replications.
pub type PointMeta = (Vec<(String, String)>, String, u32);

/// A sweep folder read back: its identity from sweep.json and, per point,
/// the exact replications from sweep_replications.csv.
#[derive(Debug)]
pub struct SweepDir {
    pub dir: PathBuf,
    pub version: String,
    pub scenario: String,
    pub hash: String,
    pub seed: u64,
    pub replications: u32,
    pub varies: Vec<Vary>,
    /// The `--zip` groups, as sweep.json records them.
    pub zips: Vec<Vec<String>>,
    /// `I/N` when the folder is a shard.
    pub shard: Option<String>,
    /// Per point: (its params, its scenario hash, its total replications).
    pub points: Vec<PointMeta>,
    /// Per point: the replications this folder holds.
    pub tables: Vec<MetricTable>,
    /// The threshold expressions judged at every point (normalised).
    pub thresholds: Vec<String>,
    /// Per point: its replications' interval counts, read when a threshold
    /// is judged per interval (sweep_interval_counts.csv).
    pub counts: Option<Vec<IntervalCounts>>,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

impl SweepDir {
    pub fn read(dir: &Path) -> Result<SweepDir, String> {
        let json_path = dir.join("sweep.json");
        let csv_path = dir.join("sweep_replications.csv");
        let doc: Doc = serde_json::from_str(&read(&json_path)?)
            .map_err(|e| format!("{}: not a routesim sweep: {e}", json_path.display()))?;
        if doc.tool != "routesim" {
            return Err(format!(
                "{}: written by `{}`, expected routesim",
                json_path.display(),
                doc.tool
            ));
        }
        let old = || {
            format!(
                "{}: written by a routesim without sweep merging (no `vary` / `total_replications`); rerun the sweep",
                json_path.display()
            )
        };
        let varies: Vec<Vary> = doc
            .vary
            .ok_or_else(old)?
            .iter()
            .map(|v| {
                let (key, values) = v.split_once('=').unwrap_or((v, ""));
                Vary {
                    key: key.to_string(),
                    values: values.split(',').map(str::to_string).collect(),
                }
            })
            .collect();
        let keys: Vec<&String> = varies.iter().map(|v| &v.key).collect();
        if keys != doc.parameters.iter().collect::<Vec<_>>() {
            return Err(format!(
                "{}: `vary` does not match `parameters`",
                json_path.display()
            ));
        }
        let params =
            grid(&varies, &doc.zip).map_err(|m| format!("{}: {m}", json_path.display()))?;
        if params.len() != doc.points.len() {
            return Err(format!(
                "{}: {} points, but its `vary` makes {}",
                json_path.display(),
                doc.points.len(),
                params.len()
            ));
        }
        let points = params
            .into_iter()
            .zip(doc.points)
            .map(|(p, d)| Ok((p, d.scenario_hash, d.total_replications.ok_or_else(old)?)))
            .collect::<Result<Vec<_>, String>>()?;
        let tables = parse_replications(&csv_path, &read(&csv_path)?, &doc.parameters, &points)?;
        let per_interval = doc.thresholds.iter().any(|t| t.starts_with(EVERY_INTERVAL));
        let counts = if per_interval {
            Some(read_counts(dir, &doc.parameters, &points, &tables)?)
        } else {
            None
        };
        Ok(SweepDir {
            dir: dir.to_path_buf(),
            version: doc.version,
            scenario: doc.scenario,
            hash: doc.scenario_hash,
            seed: doc.seed,
            replications: doc.replications,
            varies,
            zips: doc.zip,
            shard: doc.shard,
            points,
            tables,
            thresholds: doc.thresholds,
            counts,
        })
    }
}

/// sweep_interval_counts.csv of `dir`: per point, the counts of exactly the
/// replications sweep_replications.csv holds.
fn read_counts(
    dir: &Path,
    keys: &[String],
    points: &[PointMeta],
    tables: &[MetricTable],
) -> Result<Vec<IntervalCounts>, String> {
    let path = dir.join(SWEEP_INTERVAL_COUNTS_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{}: not found; the sweep judged every_interval: thresholds (see {}), which merge re-judges from this file of per-interval counts. It was written by an older routesim, or removed: rerun the shard with this routesim",
                path.display(),
                dir.join("sweep.json").display()
            ))
        }
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    let rows = split_points(&path, &text, keys, INTERVAL_COUNTS_HEADER, points)?;
    let mut counts = Vec::with_capacity(points.len());
    for (p, (rows, table)) in rows.into_iter().zip(tables).enumerate() {
        let c = IntervalCounts::parse_rows(&path, rows.into_iter())?;
        let listed: Vec<u32> = table.reps.iter().map(|r| r.replication).collect();
        if c.replications() != listed {
            return Err(format!(
                "{}: point {p} holds replications {}, but sweep_replications.csv lists {}; the file was edited or comes from another sweep",
                path.display(),
                ranges(&c.replications()),
                ranges(&listed)
            ));
        }
        counts.push(c);
    }
    Ok(counts)
}

/// sweep_replications.csv into one `MetricTable` per point: the rest of
/// each row is parsed as a replications.csv row.
fn parse_replications(
    path: &Path,
    text: &str,
    keys: &[String],
    points: &[PointMeta],
) -> Result<Vec<MetricTable>, String> {
    split_points(path, text, keys, REPLICATIONS_HEADER, points)?
        .into_iter()
        .map(|r| MetricTable::parse_rows(path, r.into_iter()))
        .collect()
}

/// A per-point file (`point,param_<key>...,` then `rest_header`'s columns)
/// into each point's rows without the point columns, with their line
/// numbers: each row must start with its point's index and parameter values
/// exactly as sweep.json gives them, points in order.
fn split_points<'a>(
    path: &Path,
    text: &'a str,
    keys: &[String],
    rest_header: &str,
    points: &[PointMeta],
) -> Result<Vec<Vec<(usize, &'a str)>>, String> {
    let at = |line: usize, m: String| format!("{}:{line}: {m}", path.display());
    let head = header(keys, rest_header);
    let head = String::from_utf8_lossy(&head);
    let lines = crate::report::results::data_lines(path, text, &head)?;
    let prefixes: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (p, _, _))| String::from_utf8_lossy(&row_prefix(i, p)).into_owned())
        .collect();
    let mut rows: Vec<Vec<(usize, &str)>> = vec![Vec::new(); points.len()];
    let mut last = 0;
    for (n, line) in lines {
        if line.is_empty() {
            continue;
        }
        let first = line.split(',').next().unwrap_or_default();
        let p: usize = first
            .parse()
            .ok()
            .filter(|p| *p < points.len())
            .ok_or_else(|| {
                at(
                    n,
                    format!(
                        "`{first}` is not a point of this sweep (0..{})",
                        points.len().saturating_sub(1)
                    ),
                )
            })?;
        if p < last {
            return Err(at(
                n,
                format!("point {p} after point {last}; rows must be ordered by point"),
            ));
        }
        last = p;
        let rest = line.strip_prefix(prefixes[p].as_str()).ok_or_else(|| {
            at(
                n,
                format!(
                    "the row does not start with `{}`, point {p}'s parameters in sweep.json",
                    prefixes[p]
                ),
            )
        })?;
        rows[p].push((n, rest));
    }
    Ok(rows)
}

#[derive(Debug)]
pub struct SweepMergeOutput {
    pub sweep: Sweep,
    pub files: Vec<PathBuf>,
    /// (point, replication) absent from the inputs (only with `partial`).
    pub missing: Vec<(usize, u32)>,
}

/// Merges the sweep folders `dirs` into `out`. Every error names the folder
/// or file and what is wrong; nothing is written unless the inputs agree.
pub fn merge_sweeps(
    dirs: &[PathBuf],
    out: &Path,
    partial: bool,
) -> Result<SweepMergeOutput, String> {
    if dirs.is_empty() {
        return Err("no input folders given".into());
    }
    let inputs = dirs
        .iter()
        .map(|d| SweepDir::read(d))
        .collect::<Result<Vec<_>, _>>()?;
    check_same_sweep(&inputs)?;
    let first = &inputs[0];

    let mut owner: BTreeMap<(usize, u32), usize> = BTreeMap::new();
    for (k, d) in inputs.iter().enumerate() {
        for (p, t) in d.tables.iter().enumerate() {
            let total = d.points[p].2;
            for r in t.reps.iter().map(|r| r.replication) {
                if r >= total {
                    return Err(format!(
                        "{}: point {p} replication {r} is beyond the point's {total} replications",
                        d.dir.join("sweep_replications.csv").display()
                    ));
                }
                if let Some(&other) = owner.get(&(p, r)) {
                    return Err(format!(
                        "point {p} replication {r} is in both {} and {}; merge takes each work item once (shards of one sweep never overlap)",
                        inputs[other].dir.display(),
                        d.dir.display()
                    ));
                }
                owner.insert((p, r), k);
            }
        }
    }
    let mut missing = Vec::new();
    let mut described = Vec::new();
    for (p, (_, _, total)) in first.points.iter().enumerate() {
        let m: Vec<u32> = (0..*total)
            .filter(|r| !owner.contains_key(&(p, *r)))
            .collect();
        if !m.is_empty() {
            described.push(format!(
                "point {p} replication{} {}",
                if m.len() == 1 { "" } else { "s" },
                ranges(&m)
            ));
        }
        missing.extend(m.into_iter().map(|r| (p, r)));
    }
    if !missing.is_empty() && !partial {
        let total: u32 = first.points.iter().map(|p| p.2).sum();
        return Err(format!(
            "incomplete: {} of {total} point replications missing from the inputs ({}){}; add the folders that hold them, or pass --partial to merge what is there",
            missing.len(),
            described.join("; "),
            missing_shards(&inputs)
        ));
    }

    let gates = parse_thresholds(&inputs)?;
    let mut points = Vec::with_capacity(first.points.len());
    for (p, (params, hash, total)) in first.points.iter().enumerate() {
        let mut services: Option<(&Vec<String>, &Path)> = None;
        for d in &inputs {
            let t = &d.tables[p];
            if t.reps.is_empty() {
                continue;
            }
            match services {
                None => services = Some((&t.services, &d.dir)),
                Some((s, from)) if *s != t.services => {
                    return Err(format!(
                        "{} has services {} at point {p}, but {} has {}",
                        d.dir.display(),
                        t.services.join(","),
                        from.display(),
                        s.join(",")
                    ))
                }
                Some(_) => {}
            }
        }
        let mut reps: Vec<_> = inputs
            .iter()
            .flat_map(|d| d.tables[p].reps.iter().cloned())
            .collect();
        reps.sort_by_key(|r| r.replication);
        let table = MetricTable {
            services: services.map_or_else(Vec::new, |(s, _)| s.clone()),
            reps,
        };
        let meta = SummaryMeta {
            scenario: first.scenario.clone(),
            hash: hash.clone(),
            seed: first.seed,
            total_replications: *total,
        };
        let counts = match &first.counts {
            Some(_) => Some(IntervalCounts::combine(
                inputs
                    .iter()
                    .map(|d| {
                        let c = d.counts.as_ref().map(|c| c[p].clone()).unwrap_or_default();
                        (c, d.dir.as_path())
                    })
                    .collect(),
            )?),
            None => None,
        };
        points.push(Point::new(params.clone(), meta, table, counts, &gates));
    }
    let sweep = Sweep {
        scenario: first.scenario.clone(),
        hash: first.hash.clone(),
        seed: first.seed,
        replications: first.replications,
        keys: first.varies.iter().map(|v| v.key.clone()).collect(),
        varies: first.varies.clone(),
        zips: first.zips.clone(),
        shard: None,
        thresholds: gates,
        points,
        events: 0,
        elapsed: Duration::ZERO,
    };
    let files = sweep.write(out).map_err(|e| e.to_string())?;
    Ok(SweepMergeOutput {
        sweep,
        files,
        missing,
    })
}

/// The sweep's thresholds, parsed against the services of its points.
fn parse_thresholds(inputs: &[SweepDir]) -> Result<Vec<Threshold>, String> {
    let first = &inputs[0];
    let services: Vec<&str> = inputs
        .iter()
        .flat_map(|d| &d.tables)
        .find(|t| !t.reps.is_empty())
        .map_or_else(Vec::new, |t| {
            t.services.iter().skip(1).map(String::as_str).collect()
        });
    first
        .thresholds
        .iter()
        .map(|e| {
            thresholds::parse(e, &services)
                .map_err(|m| format!("{}: {m}", first.dir.join("sweep.json").display()))
        })
        .collect()
}

/// " (shards 2, 3 of 4 are not among the inputs)" when every input is a
/// shard of the same count; empty otherwise.
fn missing_shards(inputs: &[SweepDir]) -> String {
    let parsed: Option<Vec<(u32, u32)>> = inputs
        .iter()
        .map(|d| {
            d.shard
                .as_deref()
                .and_then(|s| crate::run::parse_shard(s).ok())
        })
        .collect();
    let Some(parsed) = parsed else {
        return String::new();
    };
    let n = parsed[0].1;
    if parsed.iter().any(|s| s.1 != n) {
        return String::new();
    }
    let absent: Vec<u32> = (0..n)
        .filter(|i| !parsed.iter().any(|s| s.0 == *i))
        .collect();
    if absent.is_empty() {
        return String::new();
    }
    format!(
        "; shard{} {} of {n} {} not among the inputs",
        if absent.len() == 1 { "" } else { "s" },
        ranges(&absent),
        if absent.len() == 1 { "is" } else { "are" }
    )
}

/// The inputs must be parts of one and the same sweep.
fn check_same_sweep(inputs: &[SweepDir]) -> Result<(), String> {
    let first = &inputs[0];
    for d in &inputs[1..] {
        let same = Shared {
            first: &first.dir,
            other: &d.dir,
            combines: "sweeps of the same scenario (file and --set overrides), --vary grid and --zip groups, seed, replication count and routesim version",
        };
        same.value("scenario hash", &first.hash, &d.hash)?;
        same.value("scenario name", &first.scenario, &d.scenario)?;
        same.value("routesim version", &first.version, &d.version)?;
        same.value("seed", &first.seed, &d.seed)?;
        same.value("replications", &first.replications, &d.replications)?;
        let spec = |s: &SweepDir| {
            let varies = s.varies.iter().map(|v| format!("--vary {}", vary_spec(v)));
            let zips = s.zips.iter().map(|z| format!("--zip {}", z.join(",")));
            varies.chain(zips).collect::<Vec<_>>().join(" ")
        };
        if first.varies != d.varies || first.zips != d.zips {
            return Err(same.differs("the grid", &spec(first), &spec(d)));
        }
        same.list("thresholds", &first.thresholds, &d.thresholds, " ")?;
        for (p, (a, b)) in first.points.iter().zip(&d.points).enumerate() {
            same.value(&format!("point {p}'s scenario hash"), &a.1, &b.1)?;
            same.value(&format!("point {p}'s replications"), &a.2, &b.2)?;
        }
    }
    Ok(())
}
