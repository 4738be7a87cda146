//! `routesim merge`: combines results folders of one scenario (shards, or
//! runs of disjoint replications) into the result the unsharded run writes,
//! byte for byte. Row files are k-way merged by replication, copying each
//! row's bytes untouched; summaries are recomputed from replications.csv by
//! the same aggregation `run` uses.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use super::atomic::AtomicFile;
use super::interval_counts::{needs_counts, IntervalCounts, INTERVAL_COUNTS_FILE};
use super::outdir::OutDir;
use super::results::ResultDir;
use super::summary::{MetricTable, Summary};
use super::thresholds::{self, evaluate_all, Verdict};

pub struct MergeOptions {
    pub out_dir: PathBuf,
    /// Merge an incomplete set of replications instead of refusing it.
    pub partial: bool,
}

#[derive(Debug)]
pub struct MergeOutput {
    pub summary: Summary,
    pub verdicts: Vec<Verdict>,
    pub files: Vec<PathBuf>,
    /// Replications of the scenario absent from the inputs (only with `partial`).
    pub missing: Vec<u32>,
}

/// Row files merged by replication; sessions.csv is optional (`--no-sessions`).
const ROW_FILES: [&str; 3] = ["sessions.csv", "intervals.csv", "users.csv"];

/// Merges `dirs` into `opts.out_dir`. Every error names the folder or file
/// and what is wrong; nothing is written unless everything could be.
pub fn merge(dirs: &[PathBuf], opts: &MergeOptions) -> Result<MergeOutput, String> {
    if dirs.is_empty() {
        return Err("merge: no input folders given".into());
    }
    let inputs = dirs
        .iter()
        .map(|d| ResultDir::read(d))
        .collect::<Result<Vec<_>, _>>()?;
    check_same_run(&inputs)?;
    let first = &inputs[0];
    let total = first.meta.total_replications;

    // Which folder holds which replication.
    let mut owner: BTreeMap<u32, usize> = BTreeMap::new();
    for (k, d) in inputs.iter().enumerate() {
        for r in d.replications() {
            if r >= total {
                return Err(format!(
                    "{}: replication {r} is beyond the scenario's {total} replications (0..{})",
                    d.dir.join("replications.csv").display(),
                    total.saturating_sub(1)
                ));
            }
            if let Some(&other) = owner.get(&r) {
                return Err(format!(
                    "replication {r} is in both {} and {}; merge takes each replication once (shards of one run never overlap)",
                    inputs[other].dir.display(),
                    d.dir.display()
                ));
            }
            owner.insert(r, k);
        }
    }
    let missing: Vec<u32> = (0..total).filter(|r| !owner.contains_key(r)).collect();
    if !missing.is_empty() && !opts.partial {
        return Err(format!(
            "incomplete: replication{} {} of {total} missing from the inputs; add the folders that hold them, or pass --partial to merge what is there",
            if missing.len() == 1 { "" } else { "s" },
            ranges(&missing)
        ));
    }

    let mut reps: Vec<_> = inputs
        .iter()
        .flat_map(|d| d.table.reps.iter().cloned())
        .collect();
    reps.sort_by_key(|r| r.replication);
    let services = inputs
        .iter()
        .find(|d| !d.table.reps.is_empty())
        .map_or_else(Vec::new, |d| d.table.services.clone());
    let table = MetricTable { services, reps };
    let summary = Summary::from_table(first.meta.clone(), &table);
    let names: Vec<&str> = table.services.iter().skip(1).map(String::as_str).collect();
    let gates = first
        .thresholds
        .iter()
        .map(|e| {
            thresholds::parse(e, &names)
                .map_err(|m| format!("{}: {m}", first.dir.join("summary.json").display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Per-interval thresholds are judged on the shards' interval counts.
    let counts = if needs_counts(&gates) {
        Some(read_counts(&inputs)?)
    } else {
        None
    };
    let verdicts = match &counts {
        Some(c) => c.judge(&summary, &gates),
        None => evaluate_all(&summary, &gates, None),
    };

    let folder = OutDir::begin(&opts.out_dir)
        .map_err(|e| format!("{}: cannot write output: {e}", opts.out_dir.display()))?;
    let out = folder.path();
    let out_err = |p: &Path| {
        let p = p.to_path_buf();
        move |e: io::Error| format!("{}: cannot write output: {e}", p.display())
    };
    // Stage everything, then rename: a failure leaves no new file behind.
    let mut staged = Vec::new();
    if let Some(d) = inputs
        .iter()
        .find(|d| d.dir.join("sessions.csv.zst").exists())
    {
        return Err(format!(
            "{}: merge reads plain sessions.csv only; run the shards without --zstd (or with --no-sessions)",
            d.dir.join("sessions.csv.zst").display()
        ));
    }
    for name in ROW_FILES {
        let present: Vec<bool> = inputs.iter().map(|d| d.dir.join(name).exists()).collect();
        if name == "sessions.csv" && present.iter().all(|p| !p) {
            continue;
        }
        if let Some(k) = present.iter().position(|p| !p) {
            let with = present.iter().position(|p| *p).unwrap_or(0);
            return Err(format!(
                "{}: not found, but {} has it; merge folders run alike (all with or all without --no-sessions)",
                inputs[k].dir.join(name).display(),
                inputs[with].dir.join(name).display()
            ));
        }
        let dest = out.join(name);
        let mut file = AtomicFile::create(&dest).map_err(out_err(&dest))?;
        merge_rows(&inputs, &owner, name, &mut file)?;
        staged.push(file);
    }
    let files = [
        ("replications.csv", table.to_csv()),
        ("summary.csv", summary.to_csv()),
        ("summary.json", summary.to_json(&verdicts)),
    ];
    let counts_file = counts.map(|c| (INTERVAL_COUNTS_FILE, c.to_csv()));
    for (name, body) in files.into_iter().chain(counts_file) {
        let dest = out.join(name);
        let mut file = AtomicFile::create(&dest).map_err(out_err(&dest))?;
        file.write_all(body.as_bytes()).map_err(out_err(&dest))?;
        staged.push(file);
    }
    let mut files = Vec::new();
    for f in staged {
        files.push(f.commit().map_err(out_err(out))?);
    }
    let report = super::html::write_run_report(out, &summary, &verdicts, None)
        .map_err(out_err(&out.join("report.html")))?;
    files.push(report);
    let files = files.iter().map(|p| folder.final_path(p)).collect();
    folder.commit().map_err(out_err(&opts.out_dir))?;
    Ok(MergeOutput {
        summary,
        verdicts,
        files,
        missing,
    })
}

/// Every input's interval_counts.csv, joined in replication order. Each
/// must hold exactly the replications of its replications.csv.
fn read_counts(inputs: &[ResultDir]) -> Result<IntervalCounts, String> {
    let mut parts = Vec::with_capacity(inputs.len());
    let paths: Vec<PathBuf> = inputs
        .iter()
        .map(|d| d.dir.join(INTERVAL_COUNTS_FILE))
        .collect();
    for (d, path) in inputs.iter().zip(&paths) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(format!(
                    "{}: not found; the run judged every_interval: thresholds (see {}), which merge re-judges from this file of per-interval counts. It was written by an older routesim, or removed: rerun the shard with this routesim",
                    path.display(),
                    d.dir.join("summary.json").display()
                ))
            }
            Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
        };
        let counts = IntervalCounts::parse_csv(path, &text)?;
        let listed: Vec<u32> = d.replications().collect();
        if counts.replications() != listed {
            return Err(format!(
                "{}: holds replications {}, but replications.csv lists {}; the file was edited or comes from another run",
                path.display(),
                ranges(&counts.replications()),
                ranges(&listed)
            ));
        }
        parts.push((counts, path.as_path()));
    }
    IntervalCounts::combine(parts)
}

/// The inputs must be replications of one and the same run.
fn check_same_run(inputs: &[ResultDir]) -> Result<(), String> {
    let first = &inputs[0];
    for d in &inputs[1..] {
        let same = Shared {
            first: &first.dir,
            other: &d.dir,
            combines: "results of the same scenario (file and --set overrides), seed, replication count and routesim version",
        };
        let (a, b) = (&first.meta, &d.meta);
        same.value("scenario hash", &a.hash, &b.hash)?;
        same.value("scenario name", &a.scenario, &b.scenario)?;
        same.value("routesim version", &first.version, &d.version)?;
        same.value("seed", &a.seed, &b.seed)?;
        same.value(
            "total replications",
            &a.total_replications,
            &b.total_replications,
        )?;
        // A shard with no replications (more shards than replications) lists no services.
        let nonempty = |r: &ResultDir| !r.table.reps.is_empty();
        if nonempty(first) && nonempty(d) {
            same.list("services", &first.table.services, &d.table.services, ",")?;
        }
        same.list("thresholds", &first.thresholds, &d.thresholds, " ")?;
    }
    Ok(())
}

/// What two inputs of a merge must share, checked one value at a time: the
/// first that differs is the error, naming both folders and what merge
/// `combines`. (Run and sweep merges both check with it.)
pub(crate) struct Shared<'a> {
    pub first: &'a Path,
    pub other: &'a Path,
    pub combines: &'a str,
}

impl Shared<'_> {
    pub fn value<T: PartialEq + std::fmt::Display>(
        &self,
        what: &str,
        a: &T,
        b: &T,
    ) -> Result<(), String> {
        if a == b {
            Ok(())
        } else {
            Err(self.differs(what, a, b))
        }
    }

    /// A list, shown joined with `sep` ("none" when empty), compared as a
    /// list.
    pub fn list(&self, what: &str, a: &[String], b: &[String], sep: &str) -> Result<(), String> {
        if a == b {
            return Ok(());
        }
        let show = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(sep)
            }
        };
        Err(self.differs(what, &show(a), &show(b)))
    }

    /// The error for `what`, `a` in the first input and `b` in the other.
    pub fn differs(
        &self,
        what: &str,
        a: &dyn std::fmt::Display,
        b: &dyn std::fmt::Display,
    ) -> String {
        format!(
            "{} has {what} {b}, but {} has {a}; merge only combines {}",
            self.other.display(),
            self.first.display(),
            self.combines
        )
    }
}

/// "1, 3-5, 9"
pub(crate) fn ranges(xs: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < xs.len() {
        let mut j = i;
        while j + 1 < xs.len() && xs[j + 1] == xs[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            xs[i].to_string()
        } else {
            format!("{}-{}", xs[i], xs[j])
        });
        i = j + 1;
    }
    parts.join(", ")
}

/// One input row file, read record by record: the CSV parser finds where
/// each record ends (quoted newlines included) and a second handle copies
/// exactly those bytes, so rows come out unchanged.
struct RowStream {
    path: PathBuf,
    csv: csv::Reader<BufReader<File>>,
    raw: BufReader<File>,
    rec: csv::ByteRecord,
    row: Vec<u8>,
    /// The replication of the record in `row`; None at the end.
    cur: Option<u32>,
    /// Fields of the header; every row has as many.
    fields: usize,
}

impl RowStream {
    fn open(path: &Path) -> Result<RowStream, String> {
        let open = |p: &Path| {
            File::open(p)
                .map(BufReader::new)
                .map_err(|e| format!("{}: cannot read: {e}", p.display()))
        };
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(open(path)?);
        Ok(RowStream {
            path: path.to_path_buf(),
            csv,
            raw: open(path)?,
            rec: csv::ByteRecord::new(),
            row: Vec::new(),
            cur: None,
            fields: 0,
        })
    }

    /// The line of the record just read.
    fn line(&self) -> u64 {
        self.rec.position().map_or(0, |p| p.line())
    }

    /// Reads the next record's bytes into `row`; false at the end.
    fn next_raw(&mut self) -> Result<bool, String> {
        let err = |e: &dyn std::fmt::Display| format!("{}: {e}", self.path.display());
        let start = self.csv.position().byte();
        if !self
            .csv
            .read_byte_record(&mut self.rec)
            .map_err(|e| err(&e))?
        {
            return Ok(false);
        }
        let len = self.csv.position().byte() - start;
        self.row.resize(len as usize, 0);
        self.raw.read_exact(&mut self.row).map_err(|e| err(&e))?;
        if self.row.last() != Some(&b'\n') {
            return Err(format!(
                "{}:{}: truncated: the last row ends without a newline",
                self.path.display(),
                self.line()
            ));
        }
        if self.fields == 0 {
            self.fields = self.rec.len();
        } else if self.rec.len() != self.fields {
            return Err(format!(
                "{}:{}: {} fields, but the header has {}; the file was edited or damaged",
                self.path.display(),
                self.line(),
                self.rec.len(),
                self.fields
            ));
        }
        Ok(true)
    }

    /// Advances to the next data row, checking it is in replication order.
    fn advance(&mut self) -> Result<(), String> {
        let prev = self.cur;
        self.cur = None;
        if !self.next_raw()? {
            return Ok(());
        }
        let field = self.rec.get(0).unwrap_or_default();
        let r = std::str::from_utf8(field)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .ok_or_else(|| {
                format!(
                    "{}: row {}: `{}` in the first column is not a replication index",
                    self.path.display(),
                    self.line(),
                    String::from_utf8_lossy(field)
                )
            })?;
        if prev.is_some_and(|p| p > r) {
            return Err(format!(
                "{}: row {}: replication {r} after {}; rows must be ordered by replication as run writes them",
                self.path.display(),
                self.line(),
                prev.unwrap_or(0)
            ));
        }
        self.cur = Some(r);
        Ok(())
    }
}

/// Writes `name` of all inputs into `out`: one header, then the rows by
/// replication, each input's rows in their own order.
fn merge_rows(
    inputs: &[ResultDir],
    owner: &BTreeMap<u32, usize>,
    name: &str,
    out: &mut AtomicFile,
) -> Result<(), String> {
    let werr = |e: io::Error| format!("{name}: cannot write output: {e}");
    let mut streams = Vec::with_capacity(inputs.len());
    let mut header: Option<(Vec<u8>, &Path)> = None;
    for d in inputs {
        let mut s = RowStream::open(&d.dir.join(name))?;
        if !s.next_raw()? {
            return Err(format!("{}: empty, expected a header", s.path.display()));
        }
        match &header {
            None => {
                out.write_all(&s.row).map_err(werr)?;
                header = Some((s.row.clone(), &d.dir));
            }
            Some((h, from)) if *h != s.row => {
                return Err(format!(
                    "{}: header differs from the one in {}",
                    s.path.display(),
                    from.display()
                ))
            }
            Some(_) => {}
        }
        s.advance()?;
        streams.push(s);
    }
    let mut rows: BTreeMap<u32, u64> = BTreeMap::new();
    while let Some((k, r)) = streams
        .iter()
        .enumerate()
        .filter_map(|(k, s)| s.cur.map(|r| (k, r)))
        .min_by_key(|&(k, r)| (r, k))
    {
        if owner.get(&r) != Some(&k) {
            return Err(format!(
                "{}: has rows of replication {r}, which its replications.csv does not list",
                streams[k].path.display()
            ));
        }
        let s = &mut streams[k];
        let mut n = 0u64;
        while s.cur == Some(r) {
            out.write_all(&s.row).map_err(werr)?;
            s.advance()?;
            n += 1;
        }
        rows.insert(r, n);
    }
    check_row_counts(inputs, owner, name, &rows)
}

/// Rows per replication as the run wrote them: sessions.csv one per task
/// offered (replications.csv's `*` offered), users.csv and intervals.csv as
/// many in every replication. Catches a file cut at a row boundary.
fn check_row_counts(
    inputs: &[ResultDir],
    owner: &BTreeMap<u32, usize>,
    name: &str,
    rows: &BTreeMap<u32, u64>,
) -> Result<(), String> {
    let mut same: Option<(u32, u64)> = None;
    for (&r, &k) in owner {
        let d = &inputs[k];
        let n = rows.get(&r).copied().unwrap_or(0);
        let expected = if name == "sessions.csv" {
            let offered = crate::stats::metric_index("offered").expect("a metric");
            d.table
                .reps
                .iter()
                .find(|x| x.replication == r)
                .map(|x| x.rows[0][offered] as u64)
        } else {
            same.map(|(_, n)| n)
        };
        match expected {
            Some(e) if e != n => {
                return Err(format!(
                    "{}: replication {r} has {n} rows, expected {e} ({}); the file is truncated or was edited",
                    d.dir.join(name).display(),
                    match same {
                        Some((first, _)) if name != "sessions.csv" => format!("as replication {first}"),
                        _ => "one per task offered in replications.csv".to_string(),
                    }
                ))
            }
            _ => {}
        }
        same.get_or_insert((r, n));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn missing_ranges() {
        assert_eq!(ranges(&[1, 3, 4, 5, 9]), "1, 3-5, 9");
        assert_eq!(ranges(&[0]), "0");
    }
}
