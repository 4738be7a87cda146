//! summary.csv, summary.json and users.csv from the replications' results,
//! plus the human table printed after a run.

use serde::Serialize;

use super::fmt::num;
use super::table::Table;
use super::thresholds::Verdict;
use crate::model::Scenario;
use crate::stats::ci::{estimate, Estimate};
use crate::stats::{RepResult, METRICS, N_METRICS};

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

impl Summary {
    /// Aggregates per-replication metrics (in replication order) into means
    /// and 95 % confidence half-widths. The tenant (`*`) comes first.
    pub fn from_results(scn: &Scenario, results: &[RepResult]) -> Summary {
        let n_svc = scn.services.len();
        let mut rows = Vec::with_capacity((n_svc + 1) * N_METRICS);
        let order = std::iter::once(n_svc).chain(0..n_svc);
        for s in order {
            let service = if s == n_svc {
                "*".to_string()
            } else {
                scn.services[s].name.clone()
            };
            for (m, metric) in METRICS.iter().enumerate() {
                let est = estimate(results.iter().map(|r| r.metrics[s][m]));
                rows.push(SummaryRow {
                    service: service.clone(),
                    metric,
                    est,
                });
            }
        }
        Summary {
            scenario: scn.name.clone(),
            hash: scn.hash.clone(),
            seed: scn.sim.seed,
            replications: results.len() as u32,
            total_replications: scn.sim.replications,
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

/// replications.csv: every metric of every replication, in long format. Values
/// are written in Rust's shortest round-trip form, so `merge` and `compare`
/// read back exactly the numbers the summary was computed from.
pub fn replications_csv(scn: &Scenario, results: &[RepResult]) -> String {
    let n_svc = scn.services.len();
    let mut s = String::from(REPLICATIONS_HEADER);
    for res in results {
        for svc in std::iter::once(n_svc).chain(0..n_svc) {
            let name = if svc == n_svc {
                "*"
            } else {
                scn.services[svc].name.as_str()
            };
            for (m, metric) in METRICS.iter().enumerate() {
                let v = res.metrics[svc][m];
                if v.is_finite() {
                    s.push_str(&format!("{},{name},{metric},{v}\n", res.replication));
                } else {
                    s.push_str(&format!("{},{name},{metric},\n", res.replication));
                }
            }
        }
    }
    s
}

pub const USERS_HEADER: &str = "replication,user,sessions,offers,declines,ronas,connected_s,busy_s,ringing_s,acw_s,rona_s,in_call_s,available_s,busy_presence_s,away_s,dnd_s,offline_s,occupancy\n";

/// users.csv: one row per replication and user.
pub fn users_csv(scn: &Scenario, results: &[RepResult]) -> String {
    let mut s = String::from(USERS_HEADER);
    for res in results {
        for (u, row) in res.users.iter().enumerate() {
            s.push_str(&format!(
                "{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3},{:.3},{:.3}",
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
            ));
            for p in row.presence_s {
                s.push_str(&format!(",{p:.3}"));
            }
            s.push_str(&format!(",{}\n", num(row.occupancy)));
        }
    }
    s
}
