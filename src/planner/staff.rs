//! `routesim staff`: a staffing plan for the whole horizon — the agents of
//! one user group per interval such that every interval meets every target.
//!
//! Erlang per interval (each interval alone and stationary) only gives the
//! first guess. The decision is simulation of the whole horizon with the
//! plan as the group's agents (`duty::Plan`: backlog carries from one
//! interval into the next; other groups, shifts and breaks as the scenario
//! says): intervals that fail a target are raised, with steps that double
//! while they keep failing, until every interval passes; then the plan is
//! trimmed, every interval with room lowered at once, and where that breaks
//! an interval (or the next one, through its backlog) the step halves until
//! that interval is frozen. Every simulated plan uses the same replication
//! seeds (common random numbers), so the search is deterministic and the
//! plan returned is one that was simulated and met every target in every
//! interval on the figures pooled over the replications.
//!
//! The plan is agents on the floor. Shrinkage (time away the scenario does
//! not model) never enters the search: it only converts the plan into the
//! headcount to roster, [`scheduled_agents`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use super::erlang::{requirement, Analytic, Queue};
use crate::engine::Sim;
use crate::model::duty::Plan;
use crate::model::time::to_secs_f64;
use crate::model::weekly::WeeklyWindows;
use crate::model::{Scenario, Time, UNLIMITED};
use crate::report::atomic::write_atomic;
use crate::report::fmt::num;
use crate::report::outdir::OutDir;
use crate::report::per_interval::{IntervalFigures, PER_INTERVAL_METRICS};
use crate::report::summary::short;
use crate::report::table::Table;
use crate::report::thresholds::{self, Op, Threshold};
use crate::run::RunError;
use crate::scenario::units::check_shrinkage;
use crate::scenario::{self, ScenarioError};
use crate::stats::METRICS;

#[derive(Debug, Clone)]
pub struct StaffOptions {
    /// `--set` overrides (and `--load-scale`) applied to the scenario.
    pub sets: Vec<String>,
    /// The `[[users]]` id to staff; `None` = the first group.
    pub group: Option<String>,
    /// Replications every plan is simulated with.
    pub replications: u32,
    /// No interval gets more agents than this.
    pub max_agents: u32,
    pub seed: Option<u64>,
    /// Worker threads; `None` = all cores.
    pub threads: Option<usize>,
    /// `--shrinkage`: replaces the group's `shrinkage` key; `None` = the key.
    pub shrinkage: Option<f64>,
}

impl Default for StaffOptions {
    fn default() -> Self {
        StaffOptions {
            sets: Vec::new(),
            group: None,
            replications: 10,
            max_agents: 1000,
            seed: None,
            threads: None,
            shrinkage: None,
        }
    }
}

pub use super::PlannerError as StaffError;

/// The headcount to roster so that `on_floor` agents are there when a share
/// `shrinkage` of paid time is lost to what the scenario does not model:
/// ceil(on_floor / (1 - shrinkage)). A quotient within 1e-9 of a whole
/// number is that number: 7 / (1 - 0.3) is 10.000000000000002 in floating
/// point, and a planner expects 10.
pub fn scheduled_agents(on_floor: u32, shrinkage: f64) -> u64 {
    let x = f64::from(on_floor) / (1.0 - shrinkage);
    let whole = x.round();
    if (x - whole).abs() <= 1e-9 * whole.max(1.0) {
        whole as u64
    } else {
        x.ceil() as u64
    }
}

/// The staffing intervals of a scenario and, per interval, the arrival rate
/// of each source (per second, in `scn.sources` order). The interval length
/// is [`staffing_interval`].
///
/// One interval per `simulation.interval` of the measured duration; each
/// source's rate is its exact mean over the interval (profiles follow the
/// scenario's local clock), read from the built arrival patterns, which
/// already hold every `scale` and `load_scale`: `run`, `load` and `staff`
/// see the same offered load.
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

/// Parses `--target` expressions (the threshold grammar; every target of
/// `staff` holds per interval, with or without the `every_interval:`
/// prefix). Only ordering comparisons make sense for a requirement that
/// grows with the load.
pub fn parse_targets(exprs: &[String], services: &[&str]) -> Result<Vec<Threshold>, String> {
    if exprs.is_empty() {
        return Err(
            "staff needs at least one --target, e.g. --target 'service_level>=0.8' or --target 'support:p_abandon<=0.05' (or every_interval: thresholds in the scenario)"
                .into(),
        );
    }
    exprs
        .iter()
        .map(|e| {
            let mut t = thresholds::parse(e, services).map_err(|m| format!("--target: {m}"))?;
            if matches!(t.op, Op::Eq | Op::Ne) {
                return Err(format!(
                    "--target `{e}`: use <, <=, > or >= (a target is a bound to meet, not a value to hit)"
                ));
            }
            let name = METRICS[t.metric];
            if !PER_INTERVAL_METRICS[..3].contains(&name) {
                return Err(format!(
                    "--target `{e}`: `{name}` is not a per-interval target; expected one of {}",
                    PER_INTERVAL_METRICS[..3].join(", ")
                ));
            }
            t.per_interval = true;
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
    /// Index of the group among the `[[users]]`.
    group_index: u32,
    capacity: u32,
    /// Handle-time factor of an agent holding `capacity` chats.
    full_stretch: f64,
    shifts: WeeklyWindows,
    /// `--shrinkage`, else the group's key: on-floor -> scheduled agents.
    shrinkage: f64,
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
    // The key was checked when the scenario was built; the flag is checked here.
    let shrinkage = match opts.shrinkage {
        Some(x) => {
            check_shrinkage(x).map_err(|m| StaffError::Input(format!("--shrinkage: {m}")))?
        }
        None => raw.users[g].shrinkage(),
    };
    if raw.users[g].staffing.is_some() {
        return Err(StaffError::Input(format!(
            "--group `{group}` takes its agents from `staffing`; staff writes a new plan: give the group a `count` instead"
        )));
    }
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
    // Without --target: the scenario's per-interval thresholds.
    let from_file: Vec<String>;
    let targets = if targets.is_empty() {
        from_file = scn
            .thresholds
            .iter()
            .filter(|t| t.trim_start().starts_with(thresholds::EVERY_INTERVAL))
            .cloned()
            .collect();
        &from_file[..]
    } else {
        targets
    };
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
    let full_stretch = if member.capacity == UNLIMITED || member.stretch.is_empty() {
        1.0
    } else {
        let k = (member.capacity as usize).min(member.stretch.len());
        member.stretch[k - 1]
    };
    Ok(Prepared {
        path: path.to_path_buf(),
        opts,
        group_index: g as u32,
        full_stretch,
        shifts: member.shifts.clone(),
        shrinkage,
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
    /// Simulation time at which the interval starts.
    pub start: Time,
    /// Its local clock start, e.g. `2026-11-24T08:00`.
    pub label: String,
    /// Arrivals per second to the group's services.
    pub rate_per_s: f64,
    /// Erlang's requirement with one chat per agent (each agent a server).
    pub erlang: Option<u32>,
    /// Chat-aware approximation: agents x im_capacity servers with the
    /// handle time stretched as at full capacity, in agents.
    pub chat_aware: Option<u32>,
    /// Agents in the plan: on the floor, as simulated.
    pub agents: u32,
    /// The headcount to roster for `agents` on the floor, after shrinkage.
    pub scheduled_agents: u64,
    /// Whether the interval met every target with `agents`.
    pub met: bool,
    /// The group is off shift for the whole interval: it cannot be staffed.
    pub off_shift: bool,
    /// The target metrics with the plan (NaN: no chat to judge).
    pub achieved: Vec<f64>,
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
    /// Share of paid time off the floor, unmodelled (see `scheduled_agents`).
    pub shrinkage: f64,
    pub model: &'static str,
    pub targets: Vec<Threshold>,
    /// One column per distinct target metric: `metric` or `service:metric`.
    pub columns: Vec<(String, String, usize)>,
    pub interval: Time,
    pub intervals: Vec<IntervalStaffing>,
    /// Plans simulated during the search.
    pub plans_simulated: u32,
    pub runs: u64,
    pub elapsed: Duration,
}

impl Prepared {
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

    /// (one chat per agent, chat-aware) Erlang requirements, in agents.
    fn analytic(&self, model: &dyn Analytic, rates: &[f64]) -> (Option<u32>, Option<u32>) {
        let q = self.queue(rates);
        if q.rate_per_s <= 0.0 {
            return (Some(0), Some(0));
        }
        let need =
            |q: &Queue, max: u32| requirement(model, q, &self.targets, &|t| self.sla_s(t), max);
        let one = need(&q, self.opts.max_agents);
        let chat = if self.capacity == UNLIMITED {
            None
        } else {
            let stretched = Queue {
                mean_handle_s: q.mean_handle_s * self.full_stretch,
                ..q
            };
            need(
                &stretched,
                self.opts.max_agents.saturating_mul(self.capacity),
            )
            .map(|servers| servers.div_ceil(self.capacity))
        };
        (one, chat)
    }

    /// Start of interval `i` in simulation time.
    fn start(&self, i: usize) -> Time {
        self.scn.sim.warmup + i as Time * staffing_interval(&self.scn)
    }

    /// Whether the group's shifts leave it off for all of interval `i`.
    fn off_shift(&self, i: usize) -> bool {
        if self.shifts.is_empty() {
            return false;
        }
        let (from, to) = (self.start(i), self.start(i + 1));
        let mut t = from;
        while t < to {
            let tow = self.scn.clock.time_of_week(t);
            if self.shifts.contains(tow) {
                return false;
            }
            match self.shifts.until_next_boundary(tow) {
                Some(d) => t += d,
                None => return true,
            }
        }
        true
    }

    /// The scenario with `plan` as the group's agents.
    fn scenario_with(&self, plan: &[u32]) -> Result<Scenario, StaffError> {
        let plan = Plan {
            starts: (0..plan.len()).map(|i| self.start(i)).collect(),
            counts: plan.to_vec(),
        };
        let mut sets = self.opts.sets.clone();
        sets.push(format!("users.{}.count={}", self.group, plan.group_size()));
        let mut scn = scenario::load_str(&self.path, &self.text, &sets)
            .map_err(StaffError::Scenario)?
            .scenario;
        scn.sim.seed = self.scn.sim.seed;
        scn.sim.replications = self.opts.replications;
        let mut k = 0;
        for u in scn.users.iter_mut().filter(|u| u.group == self.group_index) {
            k += 1;
            u.duty = Some(plan.spans(k));
        }
        Ok(scn)
    }

    /// Simulates `plan` over the whole horizon; the figures pooled over the
    /// replications and, per interval, whether every target holds.
    fn simulate(&self, plan: &[u32]) -> Result<(IntervalFigures, Vec<bool>), StaffError> {
        let scn = self.scenario_with(plan)?;
        let reps: Vec<IntervalFigures> = (0..scn.sim.replications)
            .into_par_iter()
            .map(|r| Sim::new(&scn, r, IntervalFigures::new(&scn)).run().1)
            .collect();
        let figs = IntervalFigures::pool(reps).expect("at least one replication");
        let ok = (0..plan.len())
            .map(|i| {
                self.targets.iter().all(|t| {
                    let v = figs.value(i, &t.service, METRICS[t.metric]);
                    !v.is_finite() || t.op.holds(v, t.value)
                })
            })
            .collect();
        Ok((figs, ok))
    }

    /// Finds the plan. `on_plan` ticks per simulated plan.
    pub fn run(
        &self,
        model: &dyn Analytic,
        on_plan: &(dyn Fn() + Sync),
    ) -> Result<Staffing, StaffError> {
        let started = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.opts.threads.unwrap_or(0))
            .build()
            .map_err(|e| StaffError::Run(RunError::Threads(e.to_string())))?;
        pool.install(|| self.search(model, on_plan, started))
    }

    fn search(
        &self,
        model: &dyn Analytic,
        on_plan: &(dyn Fn() + Sync),
        started: Instant,
    ) -> Result<Staffing, StaffError> {
        let n = self.intervals.len();
        let max = self.opts.max_agents;
        let analytic: Vec<(Option<u32>, Option<u32>)> = self
            .intervals
            .iter()
            .map(|r| self.analytic(model, r))
            .collect();
        let off: Vec<bool> = (0..n).map(|i| self.off_shift(i)).collect();
        let mut plan: Vec<u32> = (0..n)
            .map(|i| {
                if off[i] {
                    return 0;
                }
                let (one, chat) = analytic[i];
                chat.or(one.map(|s| match self.capacity {
                    UNLIMITED => 1,
                    k => s.div_ceil(k),
                }))
                .unwrap_or(1)
                .min(max)
            })
            .collect();
        let mut simulated = 0u32;
        let mut sim = |p: &[u32]| {
            simulated += 1;
            let r = self.simulate(p);
            on_plan();
            r
        };
        // Raise: every failing interval that can still grow, by a step that
        // doubles while it keeps failing.
        let mut up: Vec<u32> = plan.iter().map(|&a| (a / 20).max(1)).collect();
        let (mut figs, mut ok) = sim(&plan)?;
        loop {
            let mut raised = false;
            for i in 0..n {
                if !ok[i] && !off[i] && plan[i] < max {
                    plan[i] = (plan[i] + up[i]).min(max);
                    up[i] = up[i].saturating_mul(2);
                    raised = true;
                } else if ok[i] {
                    up[i] = (plan[i] / 20).max(1);
                }
            }
            if !raised {
                break;
            }
            (figs, ok) = sim(&plan)?;
        }
        // Trim (only a plan that meets everything it can): lower all
        // intervals with room at once; where that breaks an interval, its own
        // step and its predecessor's (the backlog it hands on) halve, and an
        // interval whose step of one breaks something is frozen.
        if ok.iter().zip(&off).all(|(&o, &f)| o || f) {
            let mut down: Vec<u32> = plan.iter().map(|&a| (a / 8).max(1)).collect();
            let mut frozen: Vec<bool> = (0..n).map(|i| off[i] || plan[i] == 0).collect();
            loop {
                let cand: Vec<usize> = (0..n).filter(|&i| !frozen[i]).collect();
                if cand.is_empty() {
                    break;
                }
                let mut trial = plan.clone();
                for &i in &cand {
                    trial[i] = trial[i].saturating_sub(down[i]);
                }
                let (f, o) = sim(&trial)?;
                let failing: Vec<usize> = (0..n).filter(|&i| !o[i] && !off[i]).collect();
                if failing.is_empty() {
                    plan = trial;
                    (figs, ok) = (f, o);
                    for &i in &cand {
                        frozen[i] = plan[i] == 0;
                        down[i] = down[i].min(plan[i]).max(1);
                    }
                    continue;
                }
                // The lowered intervals at or just before a failing one.
                let mut blamed: Vec<usize> = cand
                    .iter()
                    .copied()
                    .filter(|&i| failing.iter().any(|&j| j == i || j == i + 1))
                    .collect();
                if blamed.is_empty() {
                    // Backlog from further back: the last lowered interval
                    // before the first failing one.
                    let first = failing[0];
                    blamed.extend(cand.iter().copied().rfind(|&i| i < first));
                    if blamed.is_empty() {
                        blamed.push(cand[0]);
                    }
                }
                for i in blamed {
                    if down[i] > 1 {
                        down[i] /= 2;
                    } else {
                        frozen[i] = true;
                    }
                }
            }
        }
        let columns = self.columns();
        let intervals = (0..n)
            .map(|i| IntervalStaffing {
                index: i,
                start: self.start(i),
                label: self.scn.clock.civil(self.start(i)).label(),
                rate_per_s: self.group_rate(&self.intervals[i]),
                erlang: analytic[i].0,
                chat_aware: analytic[i].1,
                agents: plan[i],
                scheduled_agents: scheduled_agents(plan[i], self.shrinkage),
                met: ok[i],
                off_shift: off[i],
                achieved: columns
                    .iter()
                    .map(|(_, service, m)| figs.value(i, service, METRICS[*m]))
                    .collect(),
            })
            .collect();
        let busiest = self
            .intervals
            .iter()
            .max_by(|a, b| self.group_rate(a).total_cmp(&self.group_rate(b)))
            .expect("at least one interval");
        Ok(Staffing {
            scenario: self.scn.name.clone(),
            hash: self.scn.hash.clone(),
            seed: self.scn.sim.seed,
            replications: self.opts.replications,
            group: self.group.clone(),
            capacity: self.capacity,
            shrinkage: self.shrinkage,
            model: model.name(&self.queue(busiest)),
            targets: self.targets.clone(),
            columns,
            interval: staffing_interval(&self.scn),
            intervals,
            plans_simulated: simulated,
            runs: simulated as u64 * self.opts.replications as u64,
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

/// The plan's agent-intervals; the analytic ones are `None` if unknown in
/// any interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// On the floor: what was simulated.
    pub on_floor: u64,
    /// To roster, after shrinkage.
    pub scheduled: u64,
    /// Erlang with one chat per agent.
    pub erlang: Option<u64>,
    pub chat_aware: Option<u64>,
}

/// Fixed leading columns of staffing.csv (the target metrics follow).
pub const STAFFING_COLUMNS: &str = "interval,start,agents,scheduled_agents,met,erlang_one_chat_agents,chat_aware_agents,arrival_rate_per_h";

impl Staffing {
    pub fn totals(&self) -> Totals {
        let sum = |f: &dyn Fn(&IntervalStaffing) -> Option<u32>| {
            self.intervals
                .iter()
                .map(f)
                .try_fold(0u64, |acc, v| v.map(|v| acc + v as u64))
        };
        Totals {
            on_floor: self.intervals.iter().map(|i| i.agents as u64).sum(),
            scheduled: self.intervals.iter().map(|i| i.scheduled_agents).sum(),
            erlang: sum(&|i| i.erlang),
            chat_aware: sum(&|i| i.chat_aware),
        }
    }

    /// Intervals whose targets are not met by the plan (within --max-agents,
    /// or off shift).
    pub fn unmet(&self) -> usize {
        self.intervals.iter().filter(|i| !i.met).count()
    }

    /// staffing.csv: one row per interval; `start` and `agents` are what a
    /// scenario's `[[users]] staffing = "staffing.csv"` reads back (by
    /// name: `scheduled_agents` is for the roster, not the simulation).
    pub fn to_csv(&self) -> String {
        let mut s = String::from(STAFFING_COLUMNS);
        for (name, _, _) in &self.columns {
            s.push(',');
            s.push_str(name);
        }
        s.push('\n');
        let opt = |v: Option<u32>| v.map_or(String::new(), |v| v.to_string());
        for i in &self.intervals {
            s.push_str(&format!(
                "{},{},{},{},{},{},{},{}",
                i.index,
                i.label,
                i.agents,
                i.scheduled_agents,
                i.met,
                opt(i.erlang),
                opt(i.chat_aware),
                num(i.rate_per_s * 3600.0),
            ));
            for v in &i.achieved {
                s.push(',');
                if v.is_finite() {
                    s.push_str(&num(*v));
                }
            }
            s.push('\n');
        }
        s
    }

    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Row<'a> {
            interval: usize,
            start: &'a str,
            arrival_rate_per_h: f64,
            agents: u32,
            scheduled_agents: u64,
            met: bool,
            off_shift: bool,
            erlang_one_chat_agents: Option<u32>,
            chat_aware_agents: Option<u32>,
            achieved: BTreeMap<&'a str, Option<f64>>,
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
            shrinkage: f64,
            plans_simulated: u32,
            agent_intervals: u64,
            scheduled_agent_intervals: u64,
            erlang_one_chat_agent_intervals: Option<u64>,
            chat_aware_agent_intervals: Option<u64>,
            unmet_intervals: usize,
            intervals: Vec<Row<'a>>,
        }
        let totals = self.totals();
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
            shrinkage: self.shrinkage,
            plans_simulated: self.plans_simulated,
            agent_intervals: totals.on_floor,
            scheduled_agent_intervals: totals.scheduled,
            erlang_one_chat_agent_intervals: totals.erlang,
            chat_aware_agent_intervals: totals.chat_aware,
            unmet_intervals: self.unmet(),
            intervals: self
                .intervals
                .iter()
                .map(|i| Row {
                    interval: i.index,
                    start: &i.label,
                    arrival_rate_per_h: i.rate_per_s * 3600.0,
                    agents: i.agents,
                    scheduled_agents: i.scheduled_agents,
                    met: i.met,
                    off_shift: i.off_shift,
                    erlang_one_chat_agents: i.erlang,
                    chat_aware_agents: i.chat_aware,
                    achieved: self
                        .columns
                        .iter()
                        .zip(&i.achieved)
                        .map(|((n, _, _), v)| (n.as_str(), v.is_finite().then_some(*v)))
                        .collect(),
                })
                .collect(),
        };
        let mut s = serde_json::to_string_pretty(&doc).expect("staffing serializes");
        s.push('\n');
        s
    }

    /// The table for the terminal; consecutive intervals with the same
    /// figures (e.g. a closed night) share a row ("2026-11-24T00:00 +5").
    pub fn table(&self) -> Table {
        let mut headers = vec![
            "start".to_string(),
            "rate/h".into(),
            "agents".into(),
            "scheduled".into(),
            format!("{} 1 chat/agent", self.model),
            "chat-aware".into(),
        ];
        headers.extend(self.columns.iter().map(|c| c.0.clone()));
        let mut t = Table::new(headers);
        let dash = |v: Option<u32>| v.map_or_else(|| "-".into(), |v| v.to_string());
        let mut i = 0;
        while i < self.intervals.len() {
            let first = &self.intervals[i];
            let mut j = i;
            while j + 1 < self.intervals.len() && same(&self.intervals[j + 1], first) {
                j += 1;
            }
            let mut agents = first.agents.to_string();
            if first.off_shift {
                agents.push_str(" (off shift)");
            } else if !first.met {
                agents.push_str(" (not met)");
            }
            let mut row = vec![
                if i == j {
                    first.label.clone()
                } else {
                    format!("{} +{}", first.label, j - i)
                },
                short(first.rate_per_s * 3600.0),
                agents,
                first.scheduled_agents.to_string(),
                dash(first.erlang),
                dash(first.chat_aware),
            ];
            row.extend(first.achieved.iter().map(|v| short(*v)));
            t.push(row);
            i = j + 1;
        }
        t
    }

    /// The one-line comparison with the analytic figures.
    pub fn verdict_line(&self) -> String {
        let t = self.totals();
        let known = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        let mut s = format!(
            "plan: {} agent-intervals on the floor (simulated over the whole horizon), {} scheduled at {} shrinkage; {} with one chat per agent: {}; chat-aware ({} x im_capacity servers, stretched handle time): {}",
            t.on_floor,
            t.scheduled,
            percent(self.shrinkage),
            self.model,
            known(t.erlang),
            self.model,
            known(t.chat_aware)
        );
        if self.unmet() > 0 {
            s.push_str(&format!(
                "; {} interval(s) not met (within --max-agents, or off shift)",
                self.unmet()
            ));
        }
        s
    }

    /// Writes staffing.csv, staffing.json and report.html into `dir`, each
    /// atomically.
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
            ("report.html", super::staff_report::html(self)),
        ] {
            let p = dir.join(name);
            files.push(write_atomic(&p, body.as_bytes()).map_err(err(&p))?);
        }
        let files = files.iter().map(|p| folder.final_path(p)).collect();
        folder.commit().map_err(err(final_dir))?;
        Ok(files)
    }
}

/// A share as a percentage for people: 0.3 -> "30 %", 0.125 -> "12.5 %".
pub(super) fn percent(share: f64) -> String {
    format!("{} %", num(share * 100.0))
}

fn same(a: &IntervalStaffing, b: &IntervalStaffing) -> bool {
    a.rate_per_s == b.rate_per_s
        && a.agents == b.agents
        && a.erlang == b.erlang
        && a.chat_aware == b.chat_aware
        && a.met == b.met
        && a.off_shift == b.off_shift
        && a.achieved
            .iter()
            .map(|v| v.to_bits())
            .eq(b.achieved.iter().map(|v| v.to_bits()))
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
    fn scheduled_agents_round_up_but_not_on_floating_point_noise() {
        for a in 0..50 {
            assert_eq!(scheduled_agents(a, 0.0), u64::from(a));
            // ceil(a / 0.75) = ceil(4a / 3) in integers.
            assert_eq!(scheduled_agents(a, 0.25), u64::from(4 * a).div_ceil(3));
        }
        // 7 / 0.7 is 10.000000000000002 in floating point.
        assert_eq!(scheduled_agents(7, 0.3), 10);
        assert_eq!(scheduled_agents(25, 0.3), 36);
        assert_eq!(percent(0.3), "30 %");
        assert_eq!(percent(0.125), "12.5 %");
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
