//! `routesim staff`: the fewest agents of one user group that meet every
//! target in every staffing interval.
//!
//! Each interval is treated as a stationary period at its own arrival rate
//! (`interval_rates`). An analytic model (Erlang C / A) gives the classic
//! requirement, which seeds the search; the simulation decides: the interval
//! is simulated as a stationary scenario (the group's count and the arrival
//! rates set through `--set` overrides, so the scenario is validated as
//! usual) and the count is searched by galloping away from the seed and
//! bisecting, the targets judged on the mean over replications. Replication r
//! of every candidate uses the seed of (seed, r) (common random numbers), so
//! the judged means move smoothly with the count and the search is
//! deterministic. Erlang is wrong for chats with capacity > 1, ACW or
//! non-exponential times; there it only seeds the search.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use super::erlang::{requirement, Analytic, Queue};
use crate::model::time::{push_secs3, to_secs_f64, MICROS_PER_SEC};
use crate::model::{Scenario, Time, UNLIMITED};
use crate::report::atomic::write_atomic;
use crate::report::fmt::num;
use crate::report::outdir::OutDir;
use crate::report::summary::{short, Summary};
use crate::report::table::Table;
use crate::report::thresholds::{self, evaluate, Op, Threshold};
use crate::run::{run_replication_quiet, RunError};
use crate::scenario::{self, ScenarioError};
use crate::stats::METRICS;

#[derive(Debug, Clone)]
pub struct StaffOptions {
    /// `--set` overrides applied before the interval's own.
    pub sets: Vec<String>,
    /// The `[[users]]` id to staff; `None` = the first group.
    pub group: Option<String>,
    /// Replications per evaluated count.
    pub replications: u32,
    /// The search gives up above this count.
    pub max_agents: u32,
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
}

impl Default for StaffOptions {
    fn default() -> Self {
        StaffOptions {
            sets: Vec::new(),
            group: None,
            replications: 4,
            max_agents: 1000,
            seed: None,
            threads: None,
        }
    }
}

pub use super::PlannerError as StaffError;

/// The staffing intervals of a scenario and, per interval, the arrival rate
/// of each source (per second, in `scn.sources` order). The interval length
/// is [`staffing_interval`].
///
/// One interval per `simulation.interval` of the measured duration; each
/// source's rate is its exact mean over the interval (profiles follow the
/// scenario's local clock), so everything downstream reads only this.
pub fn interval_rates(scn: &Scenario) -> Vec<Vec<f64>> {
    let len = staffing_interval(scn);
    let n = scn.sim.duration.div_ceil(len).max(1);
    (0..n)
        .map(|k| {
            let from = scn.sim.warmup + k * len;
            let to = (from + len).min(scn.sim.measure_end());
            scn.sources
                .iter()
                .map(|s| s.pattern.mean_rate(&scn.clock, from, to))
                .collect()
        })
        .collect()
}

/// Length of a staffing interval: the reporting interval.
pub fn staffing_interval(scn: &Scenario) -> Time {
    scn.sim.interval
}

/// Parses `--target` expressions (the threshold grammar). Only ordering
/// comparisons make sense for a requirement that grows with the load.
pub fn parse_targets(exprs: &[String], services: &[&str]) -> Result<Vec<Threshold>, String> {
    if exprs.is_empty() {
        return Err(
            "staff needs at least one --target, e.g. --target 'service_level>=0.8' or --target 'support:p_abandon<=0.05'"
                .into(),
        );
    }
    exprs
        .iter()
        .map(|e| {
            let t = thresholds::parse(e, services).map_err(|m| format!("--target: {m}"))?;
            if matches!(t.op, Op::Eq | Op::Ne) {
                return Err(format!(
                    "--target `{e}`: use <, <=, > or >= (a target is a bound to meet, not a value to hit)"
                ));
            }
            Ok(t)
        })
        .collect()
}

/// Everything `staff` needs, checked: the scenario, the group and the targets.
#[derive(Debug)]
pub struct Prepared {
    path: PathBuf,
    text: String,
    opts: StaffOptions,
    scn: Scenario,
    group: String,
    capacity: u32,
    targets: Vec<Threshold>,
    /// Sources whose service the group serves.
    sources: Vec<usize>,
    /// Per source: mean handle time plus the service's ACW, and mean patience.
    hold_s: Vec<f64>,
    patience_s: Vec<Option<f64>>,
    /// Service-level threshold (s) of the group's first service, for `*` targets.
    default_sla_s: f64,
    intervals: Vec<Vec<f64>>,
}

/// Loads the scenario and checks the group and the targets.
pub fn prepare(
    path: &Path,
    targets: &[String],
    opts: StaffOptions,
) -> Result<Prepared, StaffError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        StaffError::Scenario(ScenarioError::single(
            path,
            "file",
            format!("cannot read the scenario: {e}"),
        ))
    })?;
    let mut scn = scenario::load_str(path, &text, &opts.sets)
        .map_err(StaffError::Scenario)?
        .scenario;
    if let Some(s) = opts.seed {
        scn.sim.seed = s;
    }
    let raw = scenario::parse_raw(path, &text, &opts.sets).map_err(StaffError::Scenario)?;
    let ids: Vec<&str> = raw.users.iter().map(|u| u.id.as_str()).collect();
    let g = match &opts.group {
        None => 0,
        Some(id) => ids.iter().position(|u| u == id).ok_or_else(|| {
            StaffError::Input(format!(
                "--group `{id}`: no [[users]] group with that id; expected one of {}",
                ids.join(", ")
            ))
        })?,
    };
    let group = ids[g].to_string();
    let member = scn
        .users
        .iter()
        .find(|u| u.group == g as u32)
        .expect("a validated group has at least one user");
    if member.services.is_empty() {
        return Err(StaffError::Input(format!(
            "--group `{group}` serves no IM service (it needs licenses = [\"im\"] and services = [...]); staff a group that takes chats"
        )));
    }
    let names: Vec<&str> = scn.services.iter().map(|s| s.name.as_str()).collect();
    let targets = parse_targets(targets, &names).map_err(StaffError::Input)?;
    if opts.replications == 0 || opts.max_agents == 0 {
        return Err(StaffError::Input(
            "--replications and --max-agents must be at least 1".into(),
        ));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    // Validation keeps sources and [[arrivals]] one to one, in order.
    debug_assert_eq!(raw.arrivals.len(), scn.sources.len());
    let mut hold_s = Vec::new();
    let mut patience_s = Vec::new();
    for (i, (a, src)) in raw.arrivals.iter().zip(&scn.sources).enumerate() {
        let mean = |spec: &crate::scenario::dist::DistSpec, what: &str| {
            spec.mean_secs(base).map_err(|m| {
                StaffError::Scenario(ScenarioError::single(
                    path,
                    format!("arrivals.{i}.{what}"),
                    m,
                ))
            })
        };
        hold_s.push(
            match &a.handle_time {
                Some(h) => mean(h, "handle_time")?,
                None => {
                    return Err(StaffError::Input(format!(
                        "arrivals.{i}: staff needs a `handle_time` distribution (trace replays are not staffed)"
                    )))
                }
            }
                + to_secs_f64(scn.services[src.service as usize].acw),
        );
        patience_s.push(match &a.patience {
            Some(p) => Some(mean(p, "patience")?),
            None => None,
        });
    }
    let sources: Vec<usize> = (0..scn.sources.len())
        .filter(|&i| {
            scn.sources[i].direct_user.is_none()
                && member.services.contains(&scn.sources[i].service)
        })
        .collect();
    if sources.is_empty() {
        return Err(StaffError::Input(format!(
            "--group `{group}`: no [[arrivals]] reach its services, so there is nothing to staff"
        )));
    }
    if let Some(i) = (0..scn.sources.len()).find(|&i| {
        matches!(
            scn.sources[i].pattern,
            crate::model::ArrivalPattern::Trace(_)
        )
    }) {
        return Err(StaffError::Input(format!(
            "arrivals.{i}: staff works on rates (`rate` or `profile`), not trace replays; give that source a profile"
        )));
    }
    Ok(Prepared {
        path: path.to_path_buf(),
        opts,
        capacity: member.capacity,
        default_sla_s: to_secs_f64(scn.services[member.services[0] as usize].sla),
        intervals: interval_rates(&scn),
        group,
        targets,
        sources,
        hold_s,
        patience_s,
        scn,
        text,
    })
}

/// One staffing interval's answer.
#[derive(Debug, Clone)]
pub struct IntervalStaffing {
    pub index: usize,
    /// Start, from the measured start.
    pub start: Time,
    /// Arrivals per second to the group's services.
    pub rate_per_s: f64,
    /// The analytic requirement (one chat per agent); `None` if the model
    /// judges no target or none is met within --max-agents.
    pub erlang: Option<u32>,
    /// The simulated requirement; `None` if not met within --max-agents.
    pub simulated: Option<u32>,
    /// The target metrics at `simulated` agents (at --max-agents if unmet).
    pub achieved: Vec<f64>,
    /// Counts simulated during the search, in order, and whether all targets held.
    pub tried: Vec<(u32, bool)>,
}

#[derive(Debug)]
pub struct Staffing {
    pub scenario: String,
    pub hash: String,
    pub seed: u64,
    pub replications: u32,
    pub group: String,
    /// Concurrent chats per agent of the group (`UNLIMITED` for no limit).
    pub capacity: u32,
    pub model: &'static str,
    pub targets: Vec<Threshold>,
    /// One column per distinct target metric: `metric` or `service:metric`.
    pub columns: Vec<(String, String, usize)>,
    pub interval: Time,
    pub warmup: Time,
    pub duration: Time,
    pub intervals: Vec<IntervalStaffing>,
    pub runs: u64,
    pub elapsed: Duration,
}

/// What the search learnt about one count.
struct Eval {
    ok: bool,
    summary: Summary,
}

/// The outcome of one interval load's search.
struct Search {
    /// The fewest agents meeting all targets, if within --max-agents.
    found: Option<u32>,
    memo: BTreeMap<u32, Eval>,
    /// Counts in the order simulated, and whether all targets held.
    tried: Vec<(u32, bool)>,
}

impl Prepared {
    /// Distinct interval loads: the simulations to search.
    pub fn distinct_loads(&self) -> usize {
        self.loads().1.len()
    }

    /// (interval -> load index, distinct loads).
    fn loads(&self) -> (Vec<usize>, Vec<&Vec<f64>>) {
        let mut seen: HashMap<Vec<u64>, usize> = HashMap::new();
        let mut distinct = Vec::new();
        let map = self
            .intervals
            .iter()
            .map(|r| {
                let key: Vec<u64> = r.iter().map(|x| x.to_bits()).collect();
                *seen.entry(key).or_insert_with(|| {
                    distinct.push(r);
                    distinct.len() - 1
                })
            })
            .collect();
        (map, distinct)
    }

    fn group_rate(&self, rates: &[f64]) -> f64 {
        self.sources.iter().map(|&i| rates[i]).sum()
    }

    /// The group's traffic as one Erlang queue: rate-weighted means.
    fn queue(&self, rates: &[f64]) -> Queue {
        let rate = self.group_rate(rates);
        let w = |f: &dyn Fn(usize) -> f64| {
            self.sources.iter().map(|&i| rates[i] * f(i)).sum::<f64>() / rate
        };
        let patience = self
            .sources
            .iter()
            .all(|&i| self.patience_s[i].is_some())
            .then(|| w(&|i| self.patience_s[i].unwrap_or(0.0)));
        Queue {
            rate_per_s: rate,
            mean_handle_s: w(&|i| self.hold_s[i]),
            mean_patience_s: patience,
        }
    }

    fn sla_s(&self, t: &Threshold) -> f64 {
        self.scn
            .services
            .iter()
            .find(|s| s.name == t.service)
            .map_or(self.default_sla_s, |s| to_secs_f64(s.sla))
    }

    /// Warm-up and measured duration of an interval's stationary simulation:
    /// at least 30 min (and 20 holding times) to warm up, at least 2 h and
    /// 2000 of the group's chats measured.
    fn sim_window(&self) -> (Time, Time) {
        let min_rate = self
            .intervals
            .iter()
            .map(|r| self.group_rate(r))
            .filter(|r| *r > 0.0)
            .fold(f64::INFINITY, f64::min);
        let max_hold = self.hold_s.iter().copied().fold(0.0, f64::max);
        let secs = |s: f64| (s.ceil() as Time) * MICROS_PER_SEC;
        let warmup = secs((20.0 * max_hold).max(1800.0));
        let duration = secs((2000.0 / min_rate).clamp(7200.0, 30.0 * 86_400.0));
        (warmup, duration)
    }

    /// Simulates `agents` of the group at `rates`.
    fn evaluate(
        &self,
        rates: &[f64],
        agents: u32,
        window: (Time, Time),
    ) -> Result<Eval, StaffError> {
        let mut sets = self.opts.sets.clone();
        sets.push(format!(
            "simulation.warmup=\"{}s\"",
            window.0 / MICROS_PER_SEC
        ));
        sets.push(format!(
            "simulation.duration=\"{}s\"",
            window.1 / MICROS_PER_SEC
        ));
        sets.push(format!(
            "simulation.replications={}",
            self.opts.replications
        ));
        sets.push(format!("users.{}.count={agents}", self.group));
        for (i, r) in rates.iter().enumerate() {
            // `{}` of an f64 is exact and never uses an exponent. A profile
            // becomes a flat one-day profile (it may be 0 there).
            sets.push(match self.scn.sources[i].pattern {
                crate::model::ArrivalPattern::Profile { .. } => {
                    format!("arrivals.{i}.profile={{ interval = \"1d\", rates = [\"{r}/s\"] }}")
                }
                _ => format!("arrivals.{i}.rate=\"{r}/s\""),
            });
        }
        let mut scn = scenario::load_str(&self.path, &self.text, &sets)
            .map_err(StaffError::Scenario)?
            .scenario;
        scn.sim.seed = self.scn.sim.seed;
        let results: Vec<_> = (0..scn.sim.replications)
            .into_par_iter()
            .map(|r| run_replication_quiet(&scn, r))
            .collect();
        let summary = Summary::from_results(&scn, &results);
        let ok = self.targets.iter().all(|t| {
            let observed = summary
                .get(&t.service, METRICS[t.metric])
                .map_or(f64::NAN, |e| e.mean);
            evaluate(t, observed).ok
        });
        Ok(Eval { ok, summary })
    }

    /// The fewest agents meeting all targets at `rates`, starting from `seed`:
    /// gallop down while targets hold (up while they fail) with doubling
    /// steps, then bisect between the last failing and first passing count.
    fn search(&self, rates: &[f64], seed: u32, window: (Time, Time)) -> Result<Search, StaffError> {
        let max = self.opts.max_agents;
        let mut memo: BTreeMap<u32, Eval> = BTreeMap::new();
        let mut tried = Vec::new();
        let mut eval = |n: u32| -> Result<bool, StaffError> {
            if let Some(e) = memo.get(&n) {
                return Ok(e.ok);
            }
            let e = self.evaluate(rates, n, window)?;
            tried.push((n, e.ok));
            let ok = e.ok;
            memo.insert(n, e);
            Ok(ok)
        };
        let seed = seed.clamp(1, max);
        // Invariant once bracketed: `fail` fails (0 = no agents, trivially), `ok` holds.
        let (mut fail, mut ok);
        if eval(seed)? {
            ok = seed;
            fail = 0;
            let mut step = 1;
            while ok > 1 {
                let n = ok.saturating_sub(step).max(1);
                if eval(n)? {
                    ok = n;
                    step *= 2;
                } else {
                    fail = n;
                    break;
                }
            }
        } else {
            fail = seed;
            let mut step = 1;
            loop {
                if fail >= max {
                    return Ok(Search {
                        found: None,
                        memo,
                        tried,
                    });
                }
                let n = fail.saturating_add(step).min(max);
                if eval(n)? {
                    ok = n;
                    break;
                }
                fail = n;
                step *= 2;
            }
        }
        while ok - fail > 1 {
            let mid = fail + (ok - fail) / 2;
            if eval(mid)? {
                ok = mid;
            } else {
                fail = mid;
            }
        }
        Ok(Search {
            found: Some(ok),
            memo,
            tried,
        })
    }

    /// Runs the search for every distinct interval load (in parallel), then
    /// lays the answers out per interval. `on_done` ticks per distinct load.
    pub fn run(
        &self,
        model: &dyn Analytic,
        on_done: &(dyn Fn() + Sync),
    ) -> Result<Staffing, StaffError> {
        let started = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.opts.threads.unwrap_or(0))
            .build()
            .map_err(|e| StaffError::Run(RunError::Threads(e.to_string())))?;
        let window = self.sim_window();
        let columns = self.columns();
        let (map, distinct) = self.loads();
        let k = self.capacity;
        let answers: Vec<Result<_, StaffError>> = pool.install(|| {
            distinct
                .par_iter()
                .map(|rates| {
                    let q = self.queue(rates);
                    if q.rate_per_s <= 0.0 {
                        on_done();
                        return Ok((Some(0), Some(0), vec![f64::NAN; columns.len()], Vec::new()));
                    }
                    let erlang = requirement(
                        model,
                        &q,
                        &self.targets,
                        &|t| self.sla_s(t),
                        self.opts.max_agents,
                    );
                    // Each agent takes up to k chats at once: the Erlang count of
                    // "servers" divided by k is the natural first guess.
                    let servers = erlang
                        .unwrap_or_else(|| (q.rate_per_s * q.mean_handle_s).ceil().max(1.0) as u32);
                    let seed = if k == UNLIMITED {
                        1
                    } else {
                        servers.div_ceil(k)
                    };
                    let Search { found, memo, tried } = self.search(rates, seed, window)?;
                    let at = found.unwrap_or(self.opts.max_agents);
                    let achieved = columns
                        .iter()
                        .map(|(_, service, m)| {
                            memo.get(&at)
                                .and_then(|e| e.summary.get(service, METRICS[*m]))
                                .map_or(f64::NAN, |e| e.mean)
                        })
                        .collect();
                    on_done();
                    Ok((erlang, found, achieved, tried))
                })
                .collect()
        });
        let mut per_load = Vec::with_capacity(answers.len());
        for a in answers {
            per_load.push(a?);
        }
        let intervals = map
            .iter()
            .enumerate()
            .map(|(i, &l)| {
                let (erlang, simulated, achieved, tried) = per_load[l].clone();
                IntervalStaffing {
                    index: i,
                    start: i as Time * staffing_interval(&self.scn),
                    rate_per_s: self.group_rate(distinct[l]),
                    erlang,
                    simulated,
                    achieved,
                    tried,
                }
            })
            .collect();
        let runs = per_load
            .iter()
            .map(|p| p.3.len() as u64 * self.opts.replications as u64)
            .sum();
        Ok(Staffing {
            scenario: self.scn.name.clone(),
            hash: self.scn.hash.clone(),
            seed: self.scn.sim.seed,
            replications: self.opts.replications,
            group: self.group.clone(),
            capacity: self.capacity,
            model: model.name(&self.queue(distinct[0])),
            targets: self.targets.clone(),
            columns,
            interval: staffing_interval(&self.scn),
            warmup: window.0,
            duration: window.1,
            intervals,
            runs,
            elapsed: started.elapsed(),
        })
    }

    /// (column name, service, metric) per distinct target metric.
    fn columns(&self) -> Vec<(String, String, usize)> {
        let mut cols: Vec<(String, String, usize)> = Vec::new();
        for t in &self.targets {
            let name = if t.service == "*" {
                METRICS[t.metric].to_string()
            } else {
                format!("{}:{}", t.service, METRICS[t.metric])
            };
            if !cols.iter().any(|c| c.0 == name) {
                cols.push((name, t.service.clone(), t.metric));
            }
        }
        cols
    }
}

impl Staffing {
    /// Totals over intervals: (simulated, erlang) agent-intervals, over the
    /// intervals where both are known.
    pub fn totals(&self) -> (u64, u64) {
        self.intervals
            .iter()
            .filter_map(|i| Some((i.simulated? as u64, i.erlang? as u64)))
            .fold((0, 0), |(s, e), (a, b)| (s + a, e + b))
    }

    /// Intervals whose targets were not met within --max-agents.
    pub fn unmet(&self) -> usize {
        self.intervals
            .iter()
            .filter(|i| i.simulated.is_none())
            .count()
    }

    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "interval,start,arrival_rate_per_h,erlang_agents,simulated_agents,difference",
        );
        for (name, _, _) in &self.columns {
            s.push(',');
            s.push_str(name);
        }
        s.push('\n');
        let opt = |v: Option<u32>| v.map_or(String::new(), |v| v.to_string());
        for i in &self.intervals {
            s.push_str(&format!(
                "{},{},{},{},{},{}",
                i.index,
                secs3(i.start),
                num(i.rate_per_s * 3600.0),
                opt(i.erlang),
                opt(i.simulated),
                difference(i).map_or(String::new(), |d| d.to_string())
            ));
            for v in &i.achieved {
                s.push(',');
                s.push_str(&num(*v));
            }
            s.push('\n');
        }
        s
    }

    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Row<'a> {
            interval: usize,
            start_s: f64,
            arrival_rate_per_h: f64,
            erlang_agents: Option<u32>,
            simulated_agents: Option<u32>,
            difference: Option<i64>,
            achieved: BTreeMap<&'a str, Option<f64>>,
            tried: Vec<Tried>,
        }
        #[derive(Serialize)]
        struct Tried {
            agents: u32,
            targets_met: bool,
        }
        #[derive(Serialize)]
        struct Doc<'a> {
            tool: &'a str,
            version: &'a str,
            scenario: &'a str,
            scenario_hash: &'a str,
            seed: u64,
            replications: u32,
            group: &'a str,
            im_capacity: Option<u32>,
            analytic_model: &'a str,
            targets: Vec<String>,
            interval_s: f64,
            simulated_warmup_s: f64,
            simulated_duration_s: f64,
            simulated_agent_intervals: u64,
            erlang_agent_intervals: u64,
            unmet_intervals: usize,
            intervals: Vec<Row<'a>>,
        }
        let (sim, erl) = self.totals();
        let doc = Doc {
            tool: "routesim",
            version: env!("CARGO_PKG_VERSION"),
            scenario: &self.scenario,
            scenario_hash: &self.hash,
            seed: self.seed,
            replications: self.replications,
            group: &self.group,
            im_capacity: (self.capacity != UNLIMITED).then_some(self.capacity),
            analytic_model: self.model,
            targets: self.targets.iter().map(Threshold::expr).collect(),
            interval_s: to_secs_f64(self.interval),
            simulated_warmup_s: to_secs_f64(self.warmup),
            simulated_duration_s: to_secs_f64(self.duration),
            simulated_agent_intervals: sim,
            erlang_agent_intervals: erl,
            unmet_intervals: self.unmet(),
            intervals: self
                .intervals
                .iter()
                .map(|i| Row {
                    interval: i.index,
                    start_s: to_secs_f64(i.start),
                    arrival_rate_per_h: i.rate_per_s * 3600.0,
                    erlang_agents: i.erlang,
                    simulated_agents: i.simulated,
                    difference: difference(i),
                    achieved: self
                        .columns
                        .iter()
                        .zip(&i.achieved)
                        .map(|((n, _, _), v)| (n.as_str(), v.is_finite().then_some(*v)))
                        .collect(),
                    tried: i
                        .tried
                        .iter()
                        .map(|&(agents, targets_met)| Tried {
                            agents,
                            targets_met,
                        })
                        .collect(),
                })
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("staffing serializes");
        s.push('\n');
        s
    }

    /// The table for the terminal; consecutive intervals with the same load
    /// share a row ("0-31").
    pub fn table(&self) -> Table {
        let mut headers = vec![
            "interval".to_string(),
            "start s".into(),
            "rate/h".into(),
            "erlang".into(),
            "simulated".into(),
            "diff".into(),
        ];
        headers.extend(self.columns.iter().map(|c| c.0.clone()));
        let mut t = Table::new(headers);
        let dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let mut i = 0;
        while i < self.intervals.len() {
            let first = &self.intervals[i];
            let mut j = i;
            while j + 1 < self.intervals.len() && same(&self.intervals[j + 1], first) {
                j += 1;
            }
            let mut row = vec![
                if i == j {
                    i.to_string()
                } else {
                    format!("{i}-{j}")
                },
                num(to_secs_f64(first.start)),
                short(first.rate_per_s * 3600.0),
                dash(first.erlang.map(|v| v.to_string())),
                dash(first.simulated.map(|v| v.to_string())),
                dash(difference(first).map(|d| format!("{d:+}"))),
            ];
            row.extend(first.achieved.iter().map(|v| short(*v)));
            t.push(row);
            i = j + 1;
        }
        t
    }

    /// The one-line comparison with Erlang.
    pub fn verdict_line(&self) -> String {
        let (sim, erl) = self.totals();
        let mut s = format!(
            "simulated requirement: {sim} agent-intervals; {}: {erl}",
            self.model
        );
        if erl > 0 {
            let d = sim as i64 - erl as i64;
            s.push_str(&format!(
                "; difference {d:+} ({:+.1} %)",
                100.0 * d as f64 / erl as f64
            ));
        }
        if self.unmet() > 0 {
            s.push_str(&format!(
                "; {} interval(s) not met within --max-agents",
                self.unmet()
            ));
        }
        s
    }

    /// Writes staffing.csv and staffing.json into `dir`, each atomically.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, RunError> {
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RunError::Output { path, source }
        };
        let folder = OutDir::begin(dir).map_err(err(dir))?;
        let final_dir = dir;
        let dir = folder.path();
        let mut files = Vec::new();
        for (name, body) in [
            ("staffing.csv", self.to_csv()),
            ("staffing.json", self.to_json()),
        ] {
            let p = dir.join(name);
            files.push(write_atomic(&p, body.as_bytes()).map_err(err(&p))?);
        }
        let files = files.iter().map(|p| folder.final_path(p)).collect();
        folder.commit().map_err(err(final_dir))?;
        Ok(files)
    }
}

fn difference(i: &IntervalStaffing) -> Option<i64> {
    Some(i.simulated? as i64 - i.erlang? as i64)
}

fn same(a: &IntervalStaffing, b: &IntervalStaffing) -> bool {
    a.rate_per_s == b.rate_per_s && a.erlang == b.erlang && a.simulated == b.simulated
}

/// Seconds with 3 decimals, as every time in the output files.
fn secs3(t: Time) -> String {
    let mut v = Vec::new();
    push_secs3(&mut v, t, 0);
    String::from_utf8(v).expect("digits are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_rates_give_equal_intervals_over_the_duration() {
        let text = include_str!("../../scenarios/mmc.toml");
        let sets = ["simulation.duration=\"2h10m\"".to_string()];
        let scn = scenario::load_str(Path::new("mmc.toml"), text, &sets)
            .unwrap()
            .scenario;
        let r = interval_rates(&scn);
        // 2h10m of 15-minute intervals: 9, the last one partial.
        assert_eq!(r.len(), 9);
        assert!(r.iter().all(|v| v.len() == 1 && (v[0] - 0.3).abs() < 1e-12));
    }

    #[test]
    fn targets_must_be_bounds() {
        let svc = ["support"];
        assert!(parse_targets(&["support:p_abandon<=0.05".into()], &svc).is_ok());
        for (e, want) in [
            ("failed==0", "use <, <=, > or >="),
            ("sales:p_abandon<0.1", "unknown service"),
            ("nope>1", "unknown metric"),
        ] {
            let m = parse_targets(&[e.to_string()], &svc).unwrap_err();
            assert!(m.contains(want) && m.starts_with("--target"), "{e}: {m}");
        }
        assert!(parse_targets(&[], &svc)
            .unwrap_err()
            .contains("at least one"));
    }
}
