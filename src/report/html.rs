//! report.html: one self-contained page (inline CSS and SVG, no scripts, no
//! network) that a planner opens in a browser. Built after the CSV files are
//! written, from those files plus the summary in hand, so `run` and `merge`
//! produce the same page for the same results. Post-processing: string work
//! per row is fine here, the simulation is done.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

use super::atomic::write_atomic;
use super::fmt::num;
use super::session_stats::SessionStats;
use super::summary::Summary;
use super::svg::{bar_chart, clock_chart, esc, histogram, line_chart, Chart, Series};
use super::thresholds::Verdict;
use crate::model::civil::{parse_civil, Civil, DAY};
use crate::stats::METRICS;

const CSS: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1340px;color:#222;padding:0 16px}\
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}\
.ok{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}.zero{color:#999}\
.charts{display:flex;flex-wrap:wrap;gap:12px}.note{color:#666}\
svg.chart{background:#fff;border:1px solid #eee}svg .title{font-size:14px;font-weight:bold}\
svg .tick,svg .legend,svg .value{font-size:11px}svg .label{font-size:12px}\
svg .grid{stroke:#eee}svg .axis{stroke:#444}svg .bar{fill:#1f77b4}svg .nodata{fill:#999}";

fn bad_data(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

/// A CSV file read by header name.
struct Csv {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    cols: Vec<String>,
}

impl Csv {
    /// None when the file does not exist.
    fn open(path: &Path) -> io::Result<Option<Csv>> {
        if !path.exists() {
            return Ok(None);
        }
        let mut reader = csv::Reader::from_path(path).map_err(|e| bad_data(path, e))?;
        let cols = reader
            .headers()
            .map_err(|e| bad_data(path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        Ok(Some(Csv {
            path: path.to_path_buf(),
            reader,
            cols,
        }))
    }

    fn col(&self, name: &str) -> io::Result<usize> {
        self.cols
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| bad_data(&self.path, format!("no column `{name}`")))
    }

    /// Calls `f` with each record.
    fn each(mut self, mut f: impl FnMut(&csv::StringRecord)) -> io::Result<()> {
        let mut rec = csv::StringRecord::new();
        while self
            .reader
            .read_record(&mut rec)
            .map_err(|e| bad_data(&self.path, e))?
        {
            f(&rec);
        }
        Ok(())
    }
}

fn float(rec: &csv::StringRecord, i: usize) -> f64 {
    rec.get(i)
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(f64::NAN)
}

/// A number for tables: 3 decimals at most, "–" when undefined.
fn cell(v: f64) -> String {
    if v.is_finite() {
        num((v * 1000.0).round() / 1000.0)
    } else {
        "–".into()
    }
}

/// Index of `name` in `names`, appended when new (first-seen order keeps
/// the page deterministic).
fn slot(names: &mut Vec<String>, name: &str) -> usize {
    names.iter().position(|n| n == name).unwrap_or_else(|| {
        names.push(name.to_string());
        names.len() - 1
    })
}

pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(title)
    )
}

/// Builds and atomically writes `dir/report.html` for a run (or merge).
pub fn write_run_report(
    dir: &Path,
    summary: &Summary,
    verdicts: &[Verdict],
    sessions: Option<&SessionStats>,
) -> io::Result<PathBuf> {
    let html = run_report(dir, summary, verdicts, sessions)?;
    write_atomic(&dir.join("report.html"), html.as_bytes())
}

/// The run report's HTML, from the files in `dir`; `sessions` is what the
/// run tallied of its sessions.csv (`None`: read `dir/sessions.csv`, if any).
pub fn run_report(
    dir: &Path,
    summary: &Summary,
    verdicts: &[Verdict],
    sessions: Option<&SessionStats>,
) -> io::Result<String> {
    let mut b = String::new();
    let title = format!("routesim report: {}", summary.scenario);
    let _ = write!(
        b,
        "<h1>{}</h1>\n<p class=\"note\">scenario hash <code>{}</code>, seed {}, {} of {} replications{}; routesim {}</p>\n",
        esc(&title),
        esc(&summary.hash),
        summary.seed,
        summary.replications,
        summary.total_replications,
        summary
            .shard
            .map(|(i, n)| format!(", shard {i}/{n}"))
            .unwrap_or_default(),
        env!("CARGO_PKG_VERSION")
    );
    thresholds_section(&mut b, verdicts);
    let read = match sessions {
        Some(_) => None,
        None => read_sessions(&dir.join("sessions.csv"))?,
    };
    let sessions = sessions.or(read.as_ref());
    wait_section(&mut b, summary, sessions);
    intervals_section(&mut b, &dir.join("intervals.csv"))?;
    occupancy_section(&mut b, &dir.join("users.csv"))?;
    outcomes_section(&mut b, summary, sessions);
    summary_section(&mut b, summary);
    Ok(page(&title, &b))
}

fn thresholds_section(b: &mut String, verdicts: &[Verdict]) {
    b.push_str("<section id=\"thresholds\">\n<h2>Thresholds</h2>\n");
    if verdicts.is_empty() {
        b.push_str("<p class=\"note\">No thresholds were set.</p>\n");
    } else {
        b.push_str("<table><tr><th>threshold</th><th>observed</th><th>verdict</th></tr>\n");
        for v in verdicts {
            let _ = writeln!(
                b,
                "<tr><td><code>{}</code></td><td>{}</td><td class=\"{}\">{}</td></tr>",
                esc(&v.expr),
                v.observed.map_or("undefined".into(), cell),
                if v.ok { "ok" } else { "fail" },
                if v.ok { "pass" } else { "FAIL" }
            );
        }
        b.push_str("</table>\n");
    }
    b.push_str("</section>\n");
}

/// Reads what report.html needs from a sessions.csv (`merge`; `run` tallies
/// it while writing).
fn read_sessions(path: &Path) -> io::Result<Option<SessionStats>> {
    let Some(csv) = Csv::open(path)? else {
        return Ok(None);
    };
    let (svc, wait, outcome) = (csv.col("service")?, csv.col("wait_s")?, csv.col("outcome")?);
    let mut s = SessionStats::default();
    csv.each(|rec| {
        s.outcome(rec.get(outcome).unwrap_or(""));
        let w = float(rec, wait);
        if w.is_finite() && w >= 0.0 {
            s.wait(rec.get(svc).unwrap_or(""), (w * 1000.0).round() as u64);
        }
    })?;
    Ok(Some(s))
}

/// Fractions of `h` at or below each edge (ms), as a CDF line.
fn cdf(name: &str, h: &Histogram<u64>, edges_s: &[f64]) -> Series {
    let n = h.len() as f64;
    Series {
        name: name.to_string(),
        points: edges_s
            .iter()
            .map(|&e| {
                let ms = (e * 1000.0).round() as u64;
                let below = if n > 0.0 {
                    h.count_between(0, ms) as f64 / n
                } else {
                    f64::NAN
                };
                (e, below.min(1.0))
            })
            .collect(),
    }
}

fn wait_section(b: &mut String, summary: &Summary, sessions: Option<&SessionStats>) {
    b.push_str("<section id=\"wait\">\n<h2>Wait time distribution</h2>\n<div class=\"charts\">\n");
    match sessions.filter(|s| !s.all.is_empty()) {
        Some(s) => {
            // Bins up to the 99th percentile: the tail would squash the body.
            let p99 = s.all.value_at_quantile(0.99).max(1) as f64 / 1000.0;
            let step = nice_step(p99 / 25.0);
            let bins = (p99 / step).ceil().max(1.0) as usize;
            let edges: Vec<f64> = (0..=bins).map(|k| k as f64 * step).collect();
            let mut counts = vec![0.0; bins];
            let mut beyond = 0u64;
            for v in s.all.iter_recorded() {
                let w = s.all.median_equivalent(v.value_iterated_to()) as f64 / 1000.0;
                let k = (w / step).floor() as usize;
                match counts.get_mut(k) {
                    Some(c) => *c += v.count_at_value() as f64,
                    None => beyond += v.count_at_value(),
                }
            }
            b.push_str(&histogram(
                &Chart {
                    title: "Waits of queued tasks (all replications)",
                    x_label: "wait (s)",
                    y_label: "tasks",
                    y_range: None,
                    x_categories: None,
                },
                &edges,
                &counts,
            ));
            let mut lines = vec![cdf("*", &s.all, &edges)];
            if s.services.len() > 1 {
                lines.extend(
                    s.services
                        .iter()
                        .zip(&s.waits)
                        .map(|(n, h)| cdf(n, h, &edges)),
                );
            }
            b.push_str(&line_chart(
                &Chart {
                    title: "P(wait ≤ t)",
                    x_label: "t (s)",
                    y_label: "share of queued tasks",
                    y_range: Some((0.0, 1.0)),
                    x_categories: None,
                },
                &lines,
            ));
            let _ = writeln!(
                b,
                "</div>\n<p class=\"note\">From sessions.csv: {} queued tasks, {} of them ({:.1} %) without waiting; {} waited longer than {} s (not shown).</p>",
                s.all.len(),
                s.all.count_at(0),
                s.all.count_at(0) as f64 * 100.0 / s.all.len() as f64,
                beyond,
                num(edges[bins])
            );
        }
        None => {
            // No sessions.csv (--no-sessions): the summary's percentiles.
            let q = [
                ("wait_p50_s", 0.5),
                ("wait_p90_s", 0.9),
                ("wait_p95_s", 0.95),
                ("wait_p99_s", 0.99),
                ("wait_max_s", 1.0),
            ];
            let lines: Vec<Series> = services(summary)
                .iter()
                .map(|svc| Series {
                    name: svc.clone(),
                    points: q
                        .iter()
                        .map(|(m, p)| (summary.get(svc, m).map_or(f64::NAN, |e| e.mean), *p))
                        .collect(),
                })
                .collect();
            b.push_str(&line_chart(
                &Chart {
                    title: "Wait percentiles (mean over replications)",
                    x_label: "wait (s)",
                    y_label: "share of queued tasks",
                    y_range: Some((0.0, 1.0)),
                    x_categories: None,
                },
                &lines,
            ));
            b.push_str(
                "</div>\n<p class=\"note\">No sessions.csv: percentiles from the summary.</p>\n",
            );
        }
    }
    b.push_str("</section>\n");
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .max(0.001)
}

/// `*` and the services, in summary order.
fn services(summary: &Summary) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for r in &summary.rows {
        if !v.contains(&r.service) {
            v.push(r.service.clone());
        }
    }
    v
}

/// Sums and counts of the finite values, for means over replications.
#[derive(Default, Clone, Copy)]
struct Mean(f64, u32);

impl Mean {
    fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.0 += v;
            self.1 += 1;
        }
    }
    fn get(self) -> f64 {
        if self.1 == 0 {
            f64::NAN
        } else {
            self.0 / self.1 as f64
        }
    }
}

/// Per interval: queue length, service level, engaged and slot occupancy.
#[derive(Default)]
struct IntervalMeans {
    /// The interval's local start (µs since 1970-01-01, local), if written.
    local: Option<i128>,
    m: [Mean; 4],
}

fn intervals_section(b: &mut String, path: &Path) -> io::Result<()> {
    b.push_str("<section id=\"intervals\">\n<h2>Queue length, service level and occupancy per interval</h2>\n<div class=\"charts\">\n");
    let mut names: Vec<String> = Vec::new();
    // (service, start in ms) -> means over replications
    let mut acc: BTreeMap<(usize, i64), IntervalMeans> = BTreeMap::new();
    if let Some(csv) = Csv::open(path)? {
        let (svc, start) = (csv.col("service")?, csv.col("interval_start_s")?);
        // Results written before the clock column: hours since the start.
        let local = csv.col("interval_start").ok();
        let cols = [
            csv.col("mean_queue_length")?,
            csv.col("service_level")?,
            csv.col("engaged").or_else(|_| csv.col("occupancy"))?,
            csv.col("slot_occupancy").ok().unwrap_or(usize::MAX),
        ];
        csv.each(|rec| {
            let s = slot(&mut names, rec.get(svc).unwrap_or(""));
            let t = (float(rec, start) * 1000.0).round() as i64;
            let e = acc.entry((s, t)).or_default();
            if e.local.is_none() {
                e.local = local
                    .and_then(|i| rec.get(i))
                    .and_then(|v| parse_civil(v).ok())
                    .map(|c| c.micros());
            }
            for (m, &c) in e.m.iter_mut().zip(&cols) {
                m.add(float(rec, c));
            }
        })?;
    }
    // Clock time: hours since local midnight of the first interval's day.
    let day0 = acc
        .values()
        .filter_map(|e| e.local)
        .min()
        .map(|us| Civil::from_micros(us).days);
    let x = |t: i64, e: &IntervalMeans| match (day0, e.local) {
        (Some(d), Some(us)) => (us - d as i128 * DAY as i128) as f64 / 3.6e9,
        _ => t as f64 / 3.6e6,
    };
    let series = |k: usize| -> Vec<Series> {
        names
            .iter()
            .enumerate()
            .map(|(s, name)| Series {
                name: name.clone(),
                points: acc
                    .range((s, i64::MIN)..=(s, i64::MAX))
                    .map(|(&(_, t), e)| (x(t, e), e.m[k].get()))
                    .collect(),
            })
            .collect()
    };
    let x_label = if day0.is_some() {
        "local clock time"
    } else {
        "hours since the measured start"
    };
    let charts: [SweepMetric; 4] = [
        (
            "Mean queue length (mean over replications)",
            "tasks in queue",
            None,
        ),
        (
            "Service level (mean over replications)",
            "accepted within SLA / queued",
            Some((0.0, 1.0)),
        ),
        (
            "Engaged: staffed time with at least one chat (members)",
            "engaged",
            Some((0.0, 1.0)),
        ),
        (
            "Slot occupancy: chat slots used while staffed (members)",
            "slot occupancy",
            Some((0.0, 1.0)),
        ),
    ];
    for (k, (title, y_label, y_range)) in charts.into_iter().enumerate() {
        let c = Chart {
            title,
            x_label,
            y_label,
            y_range,
            x_categories: None,
        };
        b.push_str(&match day0 {
            Some(d) => clock_chart(&c, &series(k), d),
            None => line_chart(&c, &series(k)),
        });
    }
    b.push_str("</div>\n</section>\n");
    Ok(())
}

/// A user's group: its name without the `-N` that numbers group members.
fn group_of(user: &str) -> &str {
    match user.rsplit_once('-') {
        Some((g, n)) if !g.is_empty() && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
            g
        }
        _ => user,
    }
}

fn occupancy_section(b: &mut String, path: &Path) -> io::Result<()> {
    b.push_str(
        "<section id=\"occupancy\">\n<h2>Occupancy per user group</h2>\n<div class=\"charts\">\n",
    );
    let mut names: Vec<String> = Vec::new();
    let mut acc: Vec<[Mean; 2]> = Vec::new();
    if let Some(csv) = Csv::open(path)? {
        let user = csv.col("user")?;
        let engaged = csv.col("engaged").or_else(|_| csv.col("occupancy"))?;
        let slots = csv.col("slot_occupancy").ok().unwrap_or(usize::MAX);
        csv.each(|rec| {
            let g = slot(&mut names, group_of(rec.get(user).unwrap_or("")));
            if g == acc.len() {
                acc.push(Default::default());
            }
            acc[g][0].add(float(rec, engaged));
            acc[g][1].add(float(rec, slots));
        })?;
    }
    for (k, title, y_label) in [
        (
            0,
            "Engaged: staffed time with at least one chat (mean over users and replications)",
            "engaged",
        ),
        (
            1,
            "Slot occupancy: chat slots used while staffed (mean over users and replications)",
            "slot occupancy",
        ),
    ] {
        let bars: Vec<(String, f64)> = names
            .iter()
            .cloned()
            .zip(acc.iter().map(|m| m[k].get()))
            .collect();
        b.push_str(&bar_chart(
            &Chart {
                title,
                x_label: "user group",
                y_label,
                y_range: Some((0.0, 1.0)),
                x_categories: None,
            },
            &bars,
            &|v| format!("{:.0} %", v * 100.0),
        ));
    }
    b.push_str("</div>\n</section>\n");
    Ok(())
}

fn outcomes_section(b: &mut String, summary: &Summary, sessions: Option<&SessionStats>) {
    b.push_str("<section id=\"outcomes\">\n<h2>Outcomes</h2>\n");
    let reps = summary.replications.max(1) as f64;
    match sessions {
        Some(s) => {
            b.push_str("<table><tr><th>outcome</th><th>sessions (all replications)</th><th>per replication</th></tr>\n");
            for (name, n) in &s.outcomes {
                let _ = writeln!(
                    b,
                    "<tr{}><td>{}</td><td>{n}</td><td>{}</td></tr>",
                    if *n == 0 { " class=\"zero\"" } else { "" },
                    esc(name),
                    cell(*n as f64 / reps)
                );
            }
        }
        None => {
            b.push_str("<p class=\"note\">No sessions.csv: counts per replication from the summary.</p>\n<table><tr><th>outcome</th><th>mean per replication</th></tr>\n");
            for m in ["handled", "abandoned", "failed", "cancelled", "transferred"] {
                let v = summary.get("*", m).map_or(f64::NAN, |e| e.mean);
                let _ = writeln!(b, "<tr><td>{m}</td><td>{}</td></tr>", cell(v));
            }
        }
    }
    b.push_str("</table>\n</section>\n");
}

fn summary_section(b: &mut String, summary: &Summary) {
    let svcs = services(summary);
    b.push_str("<section id=\"summary\">\n<h2>Summary (mean ± 95 % CI half-width over replications)</h2>\n<table><tr><th>metric</th>");
    for s in &svcs {
        let _ = write!(b, "<th>{}</th>", esc(s));
    }
    b.push_str("</tr>\n");
    for m in METRICS {
        let _ = write!(b, "<tr><td>{m}</td>");
        for s in &svcs {
            let text = match summary.get(s, m) {
                Some(e) if e.ci95.is_finite() => format!("{} ± {}", cell(e.mean), cell(e.ci95)),
                Some(e) => cell(e.mean),
                None => "–".into(),
            };
            let _ = write!(b, "<td>{text}</td>");
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n</section>\n");
}

/// A charted metric: name (or title), axis label and fixed y range.
type SweepMetric = (&'static str, &'static str, Option<(f64, f64)>);

/// The metrics a sweep report charts, for service `*`.
const SWEEP_METRICS: [SweepMetric; 5] = [
    ("service_level", "service level", Some((0.0, 1.0))),
    ("mean_wait_s", "mean wait (s)", None),
    ("wait_p90_s", "90th percentile wait (s)", None),
    ("p_abandon", "P(abandon)", Some((0.0, 1.0))),
    ("occupancy", "occupancy", Some((0.0, 1.0))),
];

/// A parameter value on a numeric axis: a number or a duration in seconds.
fn axis_value(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().or_else(|| {
        crate::scenario::units::parse_duration(v.trim())
            .ok()
            .map(|t| t as f64 / 1e6)
    })
}

/// What report.html takes from sweep.json: the scenario name (and shard) for
/// the title, named after the scenario rather than the folder so a merge of
/// shards writes the same page as the unsharded sweep, the `--zip` groups,
/// and the thresholds with each point's verdicts.
#[derive(serde::Deserialize, Default)]
struct SweepMeta {
    scenario: Option<String>,
    shard: Option<String>,
    #[serde(default)]
    zip: Vec<Vec<String>>,
    #[serde(default)]
    thresholds: Vec<String>,
    #[serde(default)]
    points: Vec<PointVerdicts>,
}

#[derive(serde::Deserialize)]
struct PointVerdicts {
    point: u64,
    /// Empty for a point this shard ran no replication of.
    #[serde(default)]
    thresholds: Vec<PointVerdict>,
}

#[derive(serde::Deserialize)]
struct PointVerdict {
    expr: String,
    observed: Option<f64>,
    ok: bool,
    /// Per-interval thresholds: how many intervals fail.
    #[serde(default)]
    failing_intervals: Option<u64>,
}

impl SweepMeta {
    /// `dir/sweep.json`, or nothing known when there is none. One that does
    /// not parse is an error: the page would silently lose its title, zip
    /// groups and thresholds.
    fn read(dir: &Path) -> io::Result<SweepMeta> {
        let path = dir.join("sweep.json");
        match std::fs::read_to_string(&path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| bad_data(&path, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SweepMeta::default()),
            Err(e) => Err(bad_data(&path, e)),
        }
    }

    fn title(&self, dir: &Path) -> String {
        match (&self.scenario, &self.shard) {
            (Some(s), Some(sh)) => format!("routesim sweep report: {s} (shard {sh}, partial)"),
            (Some(s), None) => format!("routesim sweep report: {s}"),
            (None, _) => format!("routesim sweep report: {}", dir.display()),
        }
    }

    /// Splits the `varied` keys (indices into `keys`, the first being x)
    /// into those zipped with x, which move along the x axis, and the rest,
    /// whose combinations make the lines.
    fn split_keys(&self, keys: &[&str], varied: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let Some(&xk) = varied.first() else {
            return (Vec::new(), Vec::new());
        };
        let x_zip = self.zip.iter().find(|z| z.iter().any(|k| k == keys[xk]));
        varied[1..]
            .iter()
            .partition(|&&k| x_zip.is_some_and(|z| z.iter().any(|z| z == keys[k])))
    }
}

/// The lines of a sweep chart: one per distinct combination of the values
/// of `line_keys`, in point order, so no parameter is merged into a line.
struct Lines {
    /// `key=value, key=value`, or `*` when there is a single line.
    labels: Vec<String>,
    /// Per point, the index of its line.
    of_point: Vec<usize>,
}

impl Lines {
    fn new(keys: &[&str], values: &[Vec<String>], line_keys: &[usize]) -> Lines {
        let mut labels: Vec<String> = Vec::new();
        let of_point = values
            .iter()
            .map(|v| {
                let label = if line_keys.is_empty() {
                    "*".to_string()
                } else {
                    let parts: Vec<String> = line_keys
                        .iter()
                        .map(|&k| format!("{}={}", keys[k], v[k]))
                        .collect();
                    parts.join(", ")
                };
                slot(&mut labels, &label)
            })
            .collect();
        Lines { labels, of_point }
    }
}

/// Reads `dir/sweep.csv` (`point,param_<key>...,service,metric,mean,ci95,min,max,replications`)
/// and writes `dir/report.html`: the headline metrics of service `*` against
/// the first varied parameter (x), one line per combination of the values of
/// the other varied parameters, except those zipped with x in sweep.json.
pub fn write_sweep_report(dir: &Path) -> io::Result<()> {
    let path = dir.join("sweep.csv");
    let csv = Csv::open(&path)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("{}: not found", path.display()),
        )
    })?;
    let params: Vec<(usize, String)> = csv
        .cols
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.strip_prefix("param_").map(|k| (i, k.to_string())))
        .collect();
    if params.is_empty() {
        return Err(bad_data(&path, "no `param_<key>` column"));
    }
    let (pc, sc, mc, mean, ci) = (
        csv.col("point")?,
        csv.col("service")?,
        csv.col("metric")?,
        csv.col("mean")?,
        csv.col("ci95")?,
    );
    // Points in file order with their parameter values; (point, metric) -> (mean, ci95).
    let mut points: Vec<String> = Vec::new();
    let mut values: Vec<Vec<String>> = Vec::new();
    let mut figures: BTreeMap<(usize, usize), (f64, f64)> = BTreeMap::new();
    csv.each(|rec| {
        let p = slot(&mut points, rec.get(pc).unwrap_or(""));
        if p == values.len() {
            values.push(
                params
                    .iter()
                    .map(|(i, _)| rec.get(*i).unwrap_or("").to_string())
                    .collect(),
            );
        }
        if rec.get(sc) != Some("*") {
            return;
        }
        if let Some(m) = SWEEP_METRICS.iter().position(|x| Some(x.0) == rec.get(mc)) {
            figures.insert((p, m), (float(rec, mean), float(rec, ci)));
        }
    })?;
    let distinct = |k: usize| {
        let mut d: Vec<&str> = Vec::new();
        for v in &values {
            if !d.contains(&v[k].as_str()) {
                d.push(&v[k]);
            }
        }
        d
    };
    let varied: Vec<usize> = (0..params.len())
        .filter(|&k| distinct(k).len() > 1)
        .collect();
    let xk = varied.first().copied().unwrap_or(0);
    let x_vals = distinct(xk);
    let numeric = x_vals.iter().all(|v| axis_value(v).is_some());
    let x_of = |v: &str| {
        if numeric {
            axis_value(v).unwrap_or(f64::NAN)
        } else {
            x_vals
                .iter()
                .position(|x| *x == v)
                .map_or(f64::NAN, |i| i as f64)
        }
    };
    let cats: Vec<String> = x_vals.iter().map(|s| s.to_string()).collect();
    let keys: Vec<&str> = params.iter().map(|(_, k)| k.as_str()).collect();
    let x_name = keys[xk];
    let meta = SweepMeta::read(dir)?;
    let (with_x, line_keys) = meta.split_keys(&keys, &varied);
    let lines = Lines::new(&keys, &values, &line_keys);
    let title = meta.title(dir);
    let names = |ks: &[usize]| {
        ks.iter()
            .map(|&k| format!("<code>{}</code>", esc(keys[k])))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<h1>{}</h1>\n<p class=\"note\">{} points from sweep.csv; x: <code>{}</code>{}{}; service <code>*</code>.</p>",
        esc(&title),
        points.len(),
        esc(x_name),
        if with_x.is_empty() {
            String::new()
        } else {
            let verb = if with_x.len() == 1 { "moves" } else { "move" };
            format!(" (zipped: {} {verb} together with it)", names(&with_x))
        },
        if line_keys.is_empty() {
            String::new()
        } else {
            format!(
                "; one line per combination of {} ({} lines)",
                names(&line_keys),
                lines.labels.len()
            )
        }
    );
    b.push_str("<section id=\"sweep\">\n<h2>Metrics against the varied parameter</h2>\n<div class=\"charts\">\n");
    for (m, (_, label, range)) in SWEEP_METRICS.iter().enumerate() {
        let series: Vec<Series> = lines
            .labels
            .iter()
            .enumerate()
            .map(|(l, name)| {
                let mut pts: Vec<(f64, f64)> = (0..points.len())
                    .filter(|&p| lines.of_point[p] == l)
                    .map(|p| {
                        let y = figures.get(&(p, m)).map_or(f64::NAN, |f| f.0);
                        (x_of(&values[p][xk]), y)
                    })
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                Series {
                    name: name.clone(),
                    points: pts,
                }
            })
            .collect();
        b.push_str(&line_chart(
            &Chart {
                title: label,
                x_label: x_name,
                y_label: label,
                y_range: *range,
                x_categories: (!numeric).then_some(cats.as_slice()),
            },
            &series,
        ));
    }
    b.push_str("</div>\n</section>\n<section id=\"points\">\n<h2>Points (mean ± 95 % CI half-width)</h2>\n<table><tr><th>point</th>");
    for (_, k) in &params {
        let _ = write!(b, "<th>{}</th>", esc(k));
    }
    for (name, _, _) in SWEEP_METRICS {
        let _ = write!(b, "<th>{name}</th>");
    }
    b.push_str("</tr>\n");
    for (p, id) in points.iter().enumerate() {
        let _ = write!(b, "<tr><td>{}</td>", esc(id));
        for v in &values[p] {
            let _ = write!(b, "<td>{}</td>", esc(v));
        }
        for m in 0..SWEEP_METRICS.len() {
            let text = match figures.get(&(p, m)) {
                Some((mean, ci)) if ci.is_finite() => format!("{} ± {}", cell(*mean), cell(*ci)),
                Some((mean, _)) => cell(*mean),
                None => "–".into(),
            };
            let _ = write!(b, "<td>{text}</td>");
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n</section>\n");
    sweep_thresholds_section(&mut b, &meta, &points, &values, &keys);
    write_atomic(&dir.join("report.html"), page(&title, &b).as_bytes())?;
    Ok(())
}

/// Each point's verdict on each of the sweep's thresholds (sweep.json), and
/// how many points pass them all: the answer to "which settings meet the
/// target".
fn sweep_thresholds_section(
    b: &mut String,
    meta: &SweepMeta,
    points: &[String],
    values: &[Vec<String>],
    keys: &[&str],
) {
    b.push_str("<section id=\"thresholds\">\n<h2>Thresholds</h2>\n");
    if meta.thresholds.is_empty() {
        b.push_str("<p class=\"note\">No thresholds were set.</p>\n</section>\n");
        return;
    }
    // Each point's verdicts (none: not run in this shard), looked up once.
    let by_point: BTreeMap<u64, &[PointVerdict]> = (meta.points.iter())
        .filter(|v| !v.thresholds.is_empty())
        .map(|v| (v.point, v.thresholds.as_slice()))
        .collect();
    let found: Vec<Option<&[PointVerdict]>> = (points.iter())
        .map(|id| id.parse().ok().and_then(|p: u64| by_point.get(&p).copied()))
        .collect();
    let run = found.iter().flatten().count();
    let pass = (found.iter().flatten())
        .filter(|v| v.iter().all(|v| v.ok))
        .count();
    let _ = writeln!(
        b,
        "<p class=\"note\">{pass} of {run} points pass every threshold{}.</p>",
        match points.len() - run {
            0 => String::new(),
            n => format!(" ({n} not run in this shard)"),
        }
    );
    b.push_str("<table><tr><th>point</th>");
    for k in keys {
        let _ = write!(b, "<th>{}</th>", esc(k));
    }
    for t in &meta.thresholds {
        let _ = write!(b, "<th><code>{}</code></th>", esc(t));
    }
    b.push_str("</tr>\n");
    for (p, id) in points.iter().enumerate() {
        let _ = write!(b, "<tr><td>{}</td>", esc(id));
        for v in &values[p] {
            let _ = write!(b, "<td>{}</td>", esc(v));
        }
        for t in &meta.thresholds {
            match found[p].and_then(|vs| vs.iter().find(|v| &v.expr == t)) {
                Some(v) => {
                    let failing = match v.failing_intervals {
                        Some(1) => "; 1 interval fails".to_string(),
                        Some(n) if n > 1 => format!("; {n} intervals fail"),
                        _ => String::new(),
                    };
                    let _ = write!(
                        b,
                        "<td class=\"{}\">{} ({}{failing})</td>",
                        if v.ok { "ok" } else { "fail" },
                        if v.ok { "pass" } else { "FAIL" },
                        v.observed.map_or("undefined".into(), cell),
                    );
                }
                None => b.push_str("<td>–</td>"),
            }
        }
        b.push_str("</tr>\n");
    }
    b.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_groups() {
        assert_eq!(group_of("agent-12"), "agent");
        assert_eq!(group_of("tier-2-agent-3"), "tier-2-agent");
        assert_eq!(group_of("alice"), "alice");
        assert_eq!(group_of("bob-"), "bob-");
        assert_eq!(group_of("-3"), "-3");
    }

    #[test]
    fn sweep_report_charts_the_first_varied_parameter() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from(
            "point,param_users.agent.count,param_services.support.acw,service,metric,mean,ci95,min,max,replications\n",
        );
        for (p, (n, acw)) in [(18, "0s"), (18, "30s"), (20, "0s"), (20, "30s")]
            .iter()
            .enumerate()
        {
            for (m, v) in [
                ("service_level", 0.8),
                ("mean_wait_s", 12.5),
                ("occupancy", 0.9),
            ] {
                let _ = writeln!(
                    csv,
                    "{p},{n},{acw},*,{m},{},0.01,0,1,3",
                    v + p as f64 / 100.0
                );
                let _ = writeln!(csv, "{p},{n},{acw},support,{m},{v},,0,1,3");
            }
        }
        std::fs::write(dir.path().join("sweep.csv"), csv).unwrap();
        write_sweep_report(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(html.matches("<svg").count(), SWEEP_METRICS.len());
        assert!(
            html.contains("services.support.acw=30s"),
            "one line per second parameter"
        );
        assert!(html.contains("0.83 ± 0.01"), "points table");
        assert!(!html.contains("NaN") && !html.contains("inf"));
        // A metric the sweep did not write is charted as "no data".
        assert!(html.contains("no data"));
        let err = write_sweep_report(tempfile::tempdir().unwrap().path()).unwrap_err();
        assert!(err.to_string().contains("sweep.csv: not found"));
    }

    /// sweep.csv with service `*` rows only, from each point's parameter values.
    fn sweep_csv(keys: &[&str], points: &[Vec<&str>]) -> String {
        let mut csv = String::from("point");
        for k in keys {
            let _ = write!(csv, ",param_{k}");
        }
        csv.push_str(",service,metric,mean,ci95,min,max,replications\n");
        for (p, vals) in points.iter().enumerate() {
            let _ = writeln!(
                csv,
                "{p},{},*,service_level,0.{p},0.01,0,1,3",
                vals.join(",")
            );
        }
        csv
    }

    /// The legend names of the first chart, in order (each line's `<title>`).
    fn line_names(html: &str) -> Vec<String> {
        let first = html.split("</svg>").next().unwrap();
        first
            .split("<path ")
            .skip(1)
            .map(|p| {
                p.split("<title>")
                    .nth(1)
                    .unwrap()
                    .split("</title>")
                    .next()
                    .unwrap()
            })
            .map(|t| t.replace("&#39;", "'"))
            .collect()
    }

    /// The thresholds section: each point's verdicts from sweep.json, the
    /// points that pass them all, and a point a shard did not run.
    #[test]
    fn sweep_report_shows_each_points_verdicts() {
        let dir = tempfile::tempdir().unwrap();
        let points = [vec!["18"], vec!["20"], vec!["22"]];
        let csv = sweep_csv(&["users.agent.count"], &points);
        std::fs::write(dir.path().join("sweep.csv"), csv).unwrap();
        write_sweep_report(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert!(html.contains("No thresholds were set."), "no sweep.json");
        std::fs::write(dir.path().join("sweep.json"), "{\"points\": 3}").unwrap();
        let err = write_sweep_report(dir.path()).unwrap_err().to_string();
        assert!(err.contains("sweep.json: invalid type"), "{err}");
        let verdicts = |p_wait: f64, ok: bool, sl_ok: bool, failing: u32| {
            format!(
                r#"[{{"expr": "*:p_wait<0.5", "observed": {p_wait}, "ok": {ok}}},
                   {{"expr": "every_interval:*:service_level>=0.6", "observed": 0.5, "ok": {sl_ok},
                     "worst_interval": "2026-11-23T10:15", "failing_intervals": {failing}}}]"#
            )
        };
        let json = format!(
            r#"{{"scenario": "mmc", "thresholds": ["*:p_wait<0.5", "every_interval:*:service_level>=0.6"],
               "points": [{{"point": 0, "thresholds": {}}}, {{"point": 1, "thresholds": {}}},
                          {{"point": 2, "thresholds": []}}]}}"#,
            verdicts(0.7, false, false, 2),
            verdicts(0.3, true, true, 0)
        );
        std::fs::write(dir.path().join("sweep.json"), json).unwrap();
        write_sweep_report(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        let section = html
            .split("id=\"thresholds\"")
            .nth(1)
            .expect("a thresholds section");
        assert!(
            section.contains("1 of 2 points pass every threshold (1 not run in this shard)"),
            "{section}"
        );
        assert!(section.contains("<th><code>*:p_wait&lt;0.5</code></th>"));
        assert!(section.contains("<td>0</td><td>18</td><td class=\"fail\">FAIL (0.7)</td><td class=\"fail\">FAIL (0.5; 2 intervals fail)</td>"), "{section}");
        assert!(section.contains("<td>1</td><td>20</td><td class=\"ok\">pass (0.3)</td><td class=\"ok\">pass (0.5)</td>"), "{section}");
        assert!(
            section.contains("<td>2</td><td>22</td><td>–</td><td>–</td>"),
            "{section}"
        );
    }

    #[test]
    fn sweep_report_draws_one_line_per_combination_of_the_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let keys = [
            "users.agent.count",
            "services.support.acw",
            "arrivals.0.rate",
            "simulation.seed_note",
        ];
        // x: 3 values; acw x rate: 2 x 2 lines; the fourth key takes one value.
        let mut points = Vec::new();
        for n in ["18", "20", "22"] {
            for acw in ["0s", "10s"] {
                for rate in ["600/h", "900/h"] {
                    points.push(vec![n, acw, rate, "same"]);
                }
            }
        }
        std::fs::write(dir.path().join("sweep.csv"), sweep_csv(&keys, &points)).unwrap();
        write_sweep_report(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(
            line_names(&html),
            [
                "services.support.acw=0s, arrivals.0.rate=600/h",
                "services.support.acw=0s, arrivals.0.rate=900/h",
                "services.support.acw=10s, arrivals.0.rate=600/h",
                "services.support.acw=10s, arrivals.0.rate=900/h",
            ]
        );
        // Every line has one point per x value: 4 lines x 3 = 12 circles.
        let first = html.split("</svg>").next().unwrap();
        assert_eq!(first.matches("<circle").count(), 12);
        assert!(html.contains("one line per combination of <code>services.support.acw</code>, <code>arrivals.0.rate</code> (4 lines)"));
        assert!(
            !html.contains("seed_note="),
            "a key with one value is no line"
        );
        assert_eq!(
            html.matches("<tr><td>").count(),
            12,
            "every point in the table"
        );
    }

    #[test]
    fn sweep_report_moves_keys_zipped_with_x_along_the_axis() {
        let dir = tempfile::tempdir().unwrap();
        let keys = [
            "users.agent.count",
            "services.support.acw",
            "arrivals.0.rate",
        ];
        // count and rate zipped (3 steps), acw 2 values: 6 points, 2 lines.
        let mut points = Vec::new();
        for (n, rate) in [("20", "600/h"), ("25", "750/h"), ("30", "900/h")] {
            for acw in ["0s", "10s"] {
                points.push(vec![n, acw, rate]);
            }
        }
        std::fs::write(dir.path().join("sweep.csv"), sweep_csv(&keys, &points)).unwrap();
        std::fs::write(
            dir.path().join("sweep.json"),
            r#"{"scenario": "mmc", "shard": null, "zip": [["users.agent.count", "arrivals.0.rate"]]}"#,
        )
        .unwrap();
        write_sweep_report(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(
            line_names(&html),
            ["services.support.acw=0s", "services.support.acw=10s"]
        );
        let first = html.split("</svg>").next().unwrap();
        assert_eq!(first.matches("<circle").count(), 6);
        assert!(html.contains("(zipped: <code>arrivals.0.rate</code> moves together with it)"));
        assert!(html.contains("routesim sweep report: mmc"));
        // Without the zip in sweep.json, rate is a line key of its own: one
        // line per (acw, rate), 6 lines of one point each.
        std::fs::write(dir.path().join("sweep.json"), r#"{"scenario": "mmc"}"#).unwrap();
        write_sweep_report(dir.path()).unwrap();
        let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
        assert_eq!(line_names(&html).len(), 6);
    }
}
