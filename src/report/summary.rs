//! summary.csv, summary.json and users.csv from the replications' results,
//! plus the human table printed after a run.

use std::path::Path;

use serde::Serialize;

use super::fmt::num;
use super::table::Table;
use super::thresholds::Verdict;
use crate::model::Scenario;
use crate::stats::ci::{estimate, Estimate};
use crate::stats::{metric_index, MetricRow, RepResult, METRICS, N_METRICS};

#[derive(Debug, Clone)]
pub struct SummaryRow {
    /// Service id, or `*` for the tenant.
    pub service: String,
    pub metric: &'static str,
    pub est: Estimate,
}

/// Header of summary.csv; `sweep.csv` prefixes it with its point columns.
pub const SUMMARY_HEADER: &str = "service,metric,mean,ci95,min,max,replications\n";

impl SummaryRow {
    /// `service,metric,mean,ci95,min,max,replications` (no newline).
    pub fn csv_fields(&self) -> String {
        format!(
            "{},{},{},{},{},{},{}",
            self.service,
            self.metric,
            num(self.est.mean),
            num(self.est.ci95),
            num(self.est.min),
            num(self.est.max),
            self.est.n
        )
    }
}

/// A row of summary.json's `metrics`.
#[derive(Debug, Serialize)]
pub struct JsonRow<'a> {
    pub service: &'a str,
    pub metric: &'a str,
    pub mean: Option<f64>,
    pub ci95: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub replications: u32,
}

#[derive(Debug, Clone)]
pub struct Summary {
    pub scenario: String,
    pub hash: String,
    pub seed: u64,
    /// Replications summarised here.
    pub replications: u32,
    /// Replications the scenario asks for (more than `replications` in a shard).
    pub total_replications: u32,
    /// `(i, n)` when this is shard i of n.
    pub shard: Option<(u32, u32)>,
    pub rows: Vec<SummaryRow>,
}

/// Per-replication metric rows in output order: the tenant (`*`) first, then
/// the services in scenario order. `run` builds it from results, `merge` and
/// `compare` parse it back from replications.csv; the summary is computed
/// from it alone, so every path aggregates the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricTable {
    /// `*` first, then service ids.
    pub services: Vec<String>,
    /// Ascending by replication index.
    pub reps: Vec<RepMetrics>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RepMetrics {
    pub replication: u32,
    /// One row per entry of `MetricTable::services`.
    pub rows: Vec<MetricRow>,
}

impl MetricTable {
    pub fn from_results(scn: &Scenario, results: &[RepResult]) -> MetricTable {
        let n_svc = scn.services.len();
        let order: Vec<usize> = std::iter::once(n_svc).chain(0..n_svc).collect();
        MetricTable {
            services: order
                .iter()
                .map(|&s| {
                    if s == n_svc {
                        "*".to_string()
                    } else {
                        scn.services[s].name.clone()
                    }
                })
                .collect(),
            reps: results
                .iter()
                .map(|r| RepMetrics {
                    replication: r.replication,
                    rows: order.iter().map(|&s| r.metrics[s]).collect(),
                })
                .collect(),
        }
    }

    /// The values of one metric of one service (by position), per replication.
    pub fn values(&self, service: usize, metric: usize) -> impl Iterator<Item = f64> + '_ {
        self.reps.iter().map(move |r| r.rows[service][metric])
    }

    /// replications.csv: every metric of every replication, in long format.
    /// Values are written in Rust's shortest round-trip form, so `merge` and
    /// `compare` read back exactly the numbers the summary was computed from.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(REPLICATIONS_HEADER);
        for rep in &self.reps {
            for (name, row) in self.services.iter().zip(&rep.rows) {
                for (metric, v) in METRICS.iter().zip(row) {
                    if v.is_finite() {
                        s.push_str(&format!("{},{name},{metric},{v}\n", rep.replication));
                    } else {
                        s.push_str(&format!("{},{name},{metric},\n", rep.replication));
                    }
                }
            }
        }
        s
    }

    /// Parses replications.csv as `to_csv` writes it; `path` names the file
    /// in errors. Every replication must list the same services, each with
    /// every metric once.
    pub fn parse_csv(path: &Path, text: &str) -> Result<MetricTable, String> {
        let lines = super::results::data_lines(path, text, REPLICATIONS_HEADER)?;
        MetricTable::parse_rows(path, lines)
    }

    /// Parses data rows `replication,service,metric,value` given with their
    /// 1-based line numbers in `path` (replications.csv without its header,
    /// or one sweep point's rows of sweep_replications.csv without their
    /// point columns).
    pub fn parse_rows<'a>(
        path: &Path,
        lines: impl Iterator<Item = (usize, &'a str)>,
    ) -> Result<MetricTable, String> {
        let at = |line: usize, m: String| format!("{}:{line}: {m}", path.display());
        let mut services: Vec<String> = Vec::new();
        let mut reps: Vec<RepMetrics> = Vec::new();
        let mut seen: Vec<Vec<[bool; N_METRICS]>> = Vec::new();
        for (n, line) in lines {
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 4 {
                return Err(at(n, format!("expected 4 fields, found {}", f.len())));
            }
            let rep: u32 = f[0]
                .parse()
                .map_err(|_| at(n, format!("replication `{}` is not an index", f[0])))?;
            let metric =
                metric_index(f[2]).ok_or_else(|| at(n, format!("unknown metric `{}`", f[2])))?;
            let value = if f[3].is_empty() {
                f64::NAN
            } else {
                f[3].parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        at(
                            n,
                            format!(
                                "value `{}` is not a finite number (an undefined value is written empty)",
                                f[3]
                            ),
                        )
                    })?
            };
            if reps.last().is_none_or(|r| r.replication != rep) {
                if reps.last().is_some_and(|r| r.replication > rep)
                    || reps.iter().any(|r| r.replication == rep)
                {
                    return Err(at(
                        n,
                        format!("replication {rep} is out of order or repeated"),
                    ));
                }
                reps.push(RepMetrics {
                    replication: rep,
                    rows: vec![[f64::NAN; N_METRICS]; services.len()],
                });
                seen.push(vec![[false; N_METRICS]; services.len()]);
            }
            let svc = match services.iter().position(|s| s == f[1]) {
                Some(p) => p,
                None if reps.len() == 1 => {
                    services.push(f[1].to_string());
                    reps[0].rows.push([f64::NAN; N_METRICS]);
                    seen[0].push([false; N_METRICS]);
                    services.len() - 1
                }
                None => {
                    return Err(at(
                        n,
                        format!(
                            "service `{}` is not in replication {}",
                            f[1], reps[0].replication
                        ),
                    ))
                }
            };
            let k = reps.len() - 1;
            if std::mem::replace(&mut seen[k][svc][metric], true) {
                return Err(at(
                    n,
                    format!("{}/{} repeated in replication {rep}", f[1], f[2]),
                ));
            }
            reps[k].rows[svc][metric] = value;
        }
        for (r, s) in reps.iter().zip(&seen) {
            for (name, m) in services.iter().zip(s) {
                if let Some(j) = m.iter().position(|x| !x) {
                    return Err(format!(
                        "{}: replication {} lacks {name}/{}",
                        path.display(),
                        r.replication,
                        METRICS[j]
                    ));
                }
            }
        }
        Ok(MetricTable { services, reps })
    }
}

/// What identifies a result besides its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryMeta {
    pub scenario: String,
    pub hash: String,
    pub seed: u64,
    pub total_replications: u32,
}

impl Summary {
    /// Aggregates per-replication metrics (in replication order) into means
    /// and 95 % confidence half-widths. The tenant (`*`) comes first.
    pub fn from_results(scn: &Scenario, results: &[RepResult]) -> Summary {
        let meta = SummaryMeta {
            scenario: scn.name.clone(),
            hash: scn.hash.clone(),
            seed: scn.sim.seed,
            total_replications: scn.sim.replications,
        };
        Summary::from_table(meta, &MetricTable::from_results(scn, results))
    }

    /// The one aggregation: `run` and `merge` both come here.
    pub fn from_table(meta: SummaryMeta, table: &MetricTable) -> Summary {
        let mut rows = Vec::with_capacity(table.services.len() * N_METRICS);
        for (s, service) in table.services.iter().enumerate() {
            for (m, metric) in METRICS.iter().enumerate() {
                rows.push(SummaryRow {
                    service: service.clone(),
                    metric,
                    est: estimate(table.values(s, m)),
                });
            }
        }
        Summary {
            scenario: meta.scenario,
            hash: meta.hash,
            seed: meta.seed,
            replications: table.reps.len() as u32,
            total_replications: meta.total_replications,
            shard: None,
            rows,
        }
    }

    pub fn get(&self, service: &str, metric: &str) -> Option<&Estimate> {
        self.rows
            .iter()
            .find(|r| r.service == service && r.metric == metric)
            .map(|r| &r.est)
    }

    pub fn to_csv(&self) -> String {
        let mut s = String::from(SUMMARY_HEADER);
        for r in &self.rows {
            s.push_str(&r.csv_fields());
            s.push('\n');
        }
        s
    }

    /// The rows as summary.json writes them (undefined values as null).
    pub fn json_rows(&self) -> Vec<JsonRow<'_>> {
        let f = |v: f64| v.is_finite().then_some(v);
        self.rows
            .iter()
            .map(|r| JsonRow {
                service: &r.service,
                metric: r.metric,
                mean: f(r.est.mean),
                ci95: f(r.est.ci95),
                min: f(r.est.min),
                max: f(r.est.max),
                replications: r.est.n,
            })
            .collect()
    }

    pub fn to_json(&self, verdicts: &[Verdict]) -> String {
        #[derive(Serialize)]
        struct Doc<'a> {
            tool: &'a str,
            version: &'a str,
            scenario: &'a str,
            scenario_hash: &'a str,
            seed: u64,
            replications: u32,
            total_replications: u32,
            shard: Option<String>,
            metrics: Vec<JsonRow<'a>>,
            thresholds: &'a [Verdict],
        }
        let doc = Doc {
            tool: "routesim",
            version: env!("CARGO_PKG_VERSION"),
            scenario: &self.scenario,
            scenario_hash: &self.hash,
            seed: self.seed,
            replications: self.replications,
            total_replications: self.total_replications,
            shard: self.shard.map(|(i, n)| format!("{i}/{n}")),
            metrics: self.json_rows(),
            thresholds: verdicts,
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("summary serializes");
        s.push('\n');
        s
    }

    /// A short table for the terminal: the headline metrics per service.
    pub fn table(&self, services: &[String]) -> String {
        self.headline(services).to_text()
    }

    /// The headline metrics per service (tenant first), mean ± ci95.
    pub fn headline(&self, services: &[String]) -> Table {
        const SHOWN: [(&str, &str); 9] = [
            ("offered", "offered"),
            ("handled", "handled"),
            ("abandoned", "abandoned"),
            ("service_level", "SL"),
            ("p_wait", "P(wait)"),
            ("mean_wait_s", "mean wait s"),
            ("wait_p90_s", "p90 wait s"),
            ("wait_p99_s", "p99 wait s"),
            ("occupancy", "occupancy"),
        ];
        let mut t = Table::new(std::iter::once("service").chain(SHOWN.iter().map(|(_, h)| *h)));
        for n in std::iter::once("*").chain(services.iter().map(String::as_str)) {
            let mut row = vec![n.to_string()];
            for (m, _) in SHOWN {
                row.push(match self.get(n, m) {
                    Some(e) if e.mean.is_finite() => {
                        let v = short(e.mean);
                        if e.ci95.is_finite() && !matches!(m, "offered" | "handled" | "abandoned") {
                            format!("{v}±{}", short(e.ci95))
                        } else {
                            v
                        }
                    }
                    _ => "-".into(),
                });
            }
            t.push(row);
        }
        t
    }
}

/// A value for the terminal: 3 decimals at most, `-` when undefined.
pub fn short(v: f64) -> String {
    if v.is_finite() {
        num((v * 1000.0).round() / 1000.0)
    } else {
        "-".into()
    }
}

pub const REPLICATIONS_HEADER: &str = "replication,service,metric,value\n";

/// replications.csv of a run's results.
pub fn replications_csv(scn: &Scenario, results: &[RepResult]) -> String {
    MetricTable::from_results(scn, results).to_csv()
}

pub const USERS_HEADER: &str = "replication,user,sessions,offers,declines,ronas,connected_s,busy_s,ringing_s,acw_s,rona_s,in_call_s,direct_chats,direct_s,available_s,busy_presence_s,away_s,dnd_s,offline_s,occupancy,engaged,slot_occupancy,staffed_s,overtime_s\n";

/// users.csv: one row per replication and user.
pub fn users_csv(scn: &Scenario, results: &[RepResult]) -> String {
    let mut s = String::from(USERS_HEADER);
    for res in results {
        for (u, row) in res.users.iter().enumerate() {
            s.push_str(&format!(
                "{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3},{},{:.3}",
                res.replication,
                scn.users[u].name,
                row.sessions,
                row.offers,
                row.declines,
                row.ronas,
                row.connected_s,
                row.busy_s,
                row.ringing_s,
                row.acw_s,
                row.rona_s,
                row.in_call_s,
                row.direct_chats,
                row.direct_s,
            ));
            for p in row.presence_s {
                s.push_str(&format!(",{p:.3}"));
            }
            let o = &row.occ;
            s.push_str(&format!(
                ",{e},{e},{},{:.3},{:.3}\n",
                num(o.slot_occupancy()),
                o.staffed as f64 / 1e6,
                o.overtime as f64 / 1e6,
                e = num(o.engaged()),
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MetricTable {
        let row = |k: f64| {
            let mut r = [0.0; N_METRICS];
            for (m, v) in r.iter_mut().enumerate() {
                *v = k + m as f64 / 7.0;
            }
            r[9] = f64::NAN; // asa_s undefined: written empty, read back as NaN
            r
        };
        MetricTable {
            services: vec!["*".into(), "support".into()],
            reps: [2u32, 5]
                .iter()
                .map(|&r| RepMetrics {
                    replication: r,
                    rows: vec![row(r as f64), row(r as f64 + 0.1)],
                })
                .collect(),
        }
    }

    #[test]
    fn replications_csv_round_trips_exactly() {
        let t = table();
        let text = t.to_csv();
        let back = MetricTable::parse_csv(Path::new("r.csv"), &text).unwrap();
        assert_eq!(back.to_csv(), text);
        assert_eq!(back.services, t.services);
        assert_eq!(
            back.reps[1].rows[1][3], t.reps[1].rows[1][3],
            "bit-exact f64"
        );
        assert!(back.reps[0].rows[0][9].is_nan());
    }

    #[test]
    fn replications_csv_errors_name_file_and_line() {
        let text = table().to_csv();
        let p = Path::new("r.csv");
        let err = |t: &str| MetricTable::parse_csv(p, t).unwrap_err();
        assert!(err("a,b\n").contains("r.csv:1: expected the header"));
        assert!(err(&text.replacen(",offered,", ",bogus,", 1))
            .contains("r.csv:2: unknown metric `bogus`"));
        let missing: String = text
            .lines()
            .filter(|l| !l.starts_with("5,support,ronas"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(err(&missing).contains("replication 5 lacks support/ronas"));
        let swapped = format!("{REPLICATIONS_HEADER}5,*,offered,1\n2,*,offered,1\n");
        assert!(err(&swapped).contains("out of order"));
        assert!(err(&format!("{REPLICATIONS_HEADER}0,*,offered,x\n"))
            .contains("value `x` is not a finite number"));
    }
}
