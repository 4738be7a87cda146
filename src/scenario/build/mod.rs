//! Raw scenario -> validated model, with the Nimbus preconditions. Problems are
//! collected, not returned at the first one, so `validate` shows them all.
//! One file per part of the scenario.

mod arrivals;
mod calendars;
mod services;
mod staffing;
mod users;
pub mod workflow;

use std::collections::HashMap;
use std::path::Path;

use super::dist::DistSpec;
use super::error::{Problem, ScenarioError};
use super::limits::{self, MAX_REPLICATIONS};
use super::raw::{RawScenario, RawThreshold};
use super::Loaded;
use crate::model::civil::{parse_civil, Clock, DAY};
use crate::model::time::MICROS_PER_SEC;
use crate::model::*;
use crate::scenario::dist::Dist;

pub use workflow::{SUPPORTED_IM, UNSUPPORTED_IM};

pub const DEFAULT_START: &str = "2026-11-23T00:00:00";

/// Validation state shared by the parts: the problems found so far.
pub(crate) struct Ctx<'a> {
    err: ScenarioError,
    warnings: Vec<Problem>,
    base: &'a Path,
}

impl Ctx<'_> {
    fn problem(&mut self, loc: impl Into<String>, msg: impl Into<String>) {
        self.err.push(loc, msg);
    }
    fn warn(&mut self, loc: impl Into<String>, msg: impl Into<String>) {
        self.warnings.push(Problem {
            location: loc.into(),
            message: msg.into(),
        });
    }
    fn dist(&mut self, loc: &str, spec: &DistSpec) -> Dist {
        match spec.compile(self.base) {
            Ok(d) => d,
            Err(m) => {
                self.problem(loc, m);
                Dist::Constant(0)
            }
        }
    }
    /// A probability in [0, 1].
    fn probability(&mut self, loc: &str, p: Option<f64>) -> f64 {
        match p {
            None => 0.0,
            Some(p) if (0.0..=1.0).contains(&p) => p,
            Some(p) => {
                self.problem(
                    loc,
                    format!("must be a probability between 0 and 1, got {p}"),
                );
                0.0
            }
        }
    }
}

/// Nimbus refuses, in a service's IM workflow, activities unsupported for IM
/// and Web Request on WhatsApp. For a workflow that only an edit afterwards
/// (a revision) brings in, these are warnings: the sessions that reach such a
/// step fail at run time.
fn check_workflow_for_service(cx: &mut Ctx, wf: &Workflow, svc: &Service, revision: bool) {
    for st in &wf.steps {
        let loc = format!("workflows.{}.steps.{}", wf.name, st.name);
        let problem = match &st.activity {
            Activity::Unsupported(a) => Some(format!(
                "activity `{a}` is not supported for Instant Messaging; service `{}` cannot use workflow `{}` (Nimbus refuses it)",
                svc.name, wf.name
            )),
            Activity::WebRequest { .. } if svc.channels.contains(&Channel::WhatsApp) => Some(format!(
                "web_request is supported on Interact only, and service `{}` serves WhatsApp",
                svc.name
            )),
            _ => None,
        };
        if let Some(m) = problem {
            if revision {
                cx.warn(
                    loc,
                    format!("{m}; brought in by a revision, so sessions that reach it will fail"),
                );
            } else {
                cx.problem(loc, m);
            }
        }
    }
    if !wf
        .steps
        .iter()
        .any(|s| matches!(s.activity, Activity::QueueTask { .. }))
    {
        cx.warn(
            format!("workflows.{}", wf.name),
            format!(
                "no queue_task step: chats of service `{}` never reach a user",
                svc.name
            ),
        );
    }
}

/// Ids are used in `--set` keys and CSV cells: keep them plain.
fn check_id(cx: &mut Ctx, loc: &str, id: &str) {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        cx.problem(
            loc,
            format!("id `{id}` must be non-empty and use only letters, digits, `_` and `-`"),
        );
    }
}

/// `simulation.name` names the folder `results/<name>/`: a plain file name,
/// so that no name writes outside `results/`.
fn check_file_name(cx: &mut Ctx, name: &str) {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !plain {
        cx.problem(
            "simulation.name",
            format!("`{name}` is not a plain folder name: use letters, digits, `_`, `-` and `.` (not first), with no `/`, e.g. name = \"support-desk\""),
        );
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = it.map(|n| format!("`{n}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

pub fn build(
    file: &Path,
    base: &Path,
    default_name: &str,
    hash: String,
    raw: RawScenario,
) -> Result<Loaded, ScenarioError> {
    let mut cx = Ctx {
        err: ScenarioError::new(file),
        warnings: Vec::new(),
        base,
    };

    // [simulation]
    let rs = &raw.simulation;
    if rs.duration.0 == 0 {
        cx.problem(
            "simulation.duration",
            "must be greater than 0s, e.g. \"8h\"",
        );
    }
    let replications = match rs.replications {
        None => 1,
        Some(n) if (1..=MAX_REPLICATIONS as i64).contains(&n) => n as u32,
        Some(n) => {
            cx.problem(
                "simulation.replications",
                format!("must be between 1 and {MAX_REPLICATIONS}, got {n}"),
            );
            1
        }
    };
    if let Some(name) = &rs.name {
        check_file_name(&mut cx, name);
    }
    let interval = rs.interval.map_or(15 * 60 * MICROS_PER_SEC, |d| d.0);
    if interval == 0 {
        cx.problem(
            "simulation.interval",
            "must be greater than 0s, e.g. \"15m\"",
        );
    }
    let start = rs
        .start
        .clone()
        .unwrap_or_else(|| DEFAULT_START.to_string());
    let start_civil = parse_civil(&start).unwrap_or_else(|m| {
        cx.problem("simulation.start", m);
        parse_civil(DEFAULT_START).expect("the default start parses")
    });
    // Offsets over the run, its drain and a year beyond (load tests may run on).
    let horizon = rs
        .duration
        .0
        .saturating_add(rs.warmup.map_or(0, |d| d.0))
        .saturating_add(crate::engine::DRAIN_LIMIT + 366 * DAY);
    let clock = match rs.timezone.as_deref() {
        None => Clock::utc(start_civil),
        Some(zone) => Clock::zoned(start_civil, zone, horizon).unwrap_or_else(|m| {
            cx.problem("simulation.timezone", m);
            Clock::utc(start_civil)
        }),
    };
    let sim = SimSettings {
        duration: rs.duration.0,
        warmup: rs.warmup.map_or(0, |d| d.0),
        seed: rs.seed.unwrap_or(1),
        replications,
        interval: interval.max(1),
        start,
    };

    // [tenant]
    for m in &raw.tenant.modalities {
        if !["im", "audio", "video"].contains(&m.as_str()) {
            cx.problem(
                "tenant.modalities",
                format!("unknown modality \"{m}\"; expected \"im\", \"audio\" or \"video\""),
            );
        }
    }
    if !raw.tenant.modalities.iter().any(|m| m == "im") {
        cx.problem(
            "tenant.modalities",
            "Instant Messaging is not enabled for the tenant: add \"im\" (modalities = [\"im\"])",
        );
    }

    // [calendars.*], [workflows.*]
    let calendars = calendars::build_calendars(&mut cx, &raw.calendars);
    let cal_index: HashMap<&str, u32> = raw
        .calendars
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as u32))
        .collect();
    let wf_index: HashMap<&str, WorkflowId> = raw
        .workflows
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as WorkflowId))
        .collect();
    for name in raw.workflows.keys() {
        check_id(&mut cx, &format!("workflows.{name}"), name);
    }
    let svc_index: HashMap<&str, ServiceId> = raw
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i as ServiceId))
        .collect();
    let mut params = workflow::Interner::default();
    let mut strings = workflow::Interner::default();
    let workflows: Vec<Workflow> = {
        let mut wcx = workflow::WorkflowCx {
            params: &mut params,
            strings: &mut strings,
            services: &svc_index,
        };
        raw.workflows
            .iter()
            .map(|(name, w)| workflow::build_workflow(&mut cx, &mut wcx, name, w))
            .collect()
    };

    // Skill ids: every skill a user holds or a policy names.
    let mut skills: Vec<String> = Vec::new();
    let mut skill_index: HashMap<String, u32> = HashMap::new();
    let mut intern = |name: &str| -> u32 {
        if let Some(&i) = skill_index.get(name) {
            return i;
        }
        skills.push(name.to_string());
        skill_index.insert(name.to_string(), skills.len() as u32 - 1);
        skills.len() as u32 - 1
    };
    for u in &raw.users {
        for k in u.skills.keys() {
            intern(k);
        }
    }
    for s in &raw.services {
        for l in &s.policy {
            for k in l.skills.keys() {
                intern(k);
            }
        }
    }

    let services = services::build_services(&mut cx, &raw, &wf_index, &cal_index, &skill_index);
    let users = users::build_users(&mut cx, &raw, &clock, &services, &svc_index, &skill_index);
    let mut preferred = Vec::new();
    let sources = arrivals::build_arrivals(
        &mut cx,
        &raw,
        &services,
        &svc_index,
        &users,
        &clock,
        &sim,
        &mut preferred,
    );

    // Workflows a service runs from the start must be valid for IM as Nimbus
    // checks them; workflows only revisions name are edits made afterwards.
    let mut revisions = Vec::new();
    for (i, r) in raw.revisions.iter().enumerate() {
        let loc = format!("revisions.{i}");
        let service = svc_index.get(r.service.as_str()).copied();
        let wf = wf_index.get(r.workflow.as_str()).copied();
        if service.is_none() {
            cx.problem(
                format!("{loc}.service"),
                format!("unknown service `{}`", r.service),
            );
        }
        if wf.is_none() {
            cx.problem(
                format!("{loc}.workflow"),
                format!("unknown workflow `{}`", r.workflow),
            );
        }
        if let (Some(service), Some(workflow)) = (service, wf) {
            revisions.push((
                i,
                Revision {
                    at: sim.warmup + r.at.0,
                    service,
                    workflow,
                },
            ));
        }
    }
    // Stable: revisions at one time take effect in file order.
    revisions.sort_by_key(|r| r.1.at);
    for (si, svc) in services.iter().enumerate() {
        check_workflow_for_service(&mut cx, &workflows[svc.workflow as usize], svc, false);
        for (_, r) in revisions.iter().filter(|r| r.1.service == si as ServiceId) {
            check_workflow_for_service(&mut cx, &workflows[r.workflow as usize], svc, true);
        }
    }
    workflow::check_transfer_cycles(&mut cx, &services, &workflows, &revisions);
    let revisions: Vec<Revision> = revisions.into_iter().map(|(_, r)| r).collect();

    let thresholds: Vec<String> = raw
        .thresholds
        .into_iter()
        .map(|t| match t {
            RawThreshold::Expr(e) | RawThreshold::Table { expr: e } => e,
        })
        .collect();
    // Gates are checked here too, so `validate` catches them before a run.
    let service_names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    for (i, t) in thresholds.iter().enumerate() {
        if let Err(m) = crate::report::thresholds::parse(t, &service_names) {
            cx.problem(format!("thresholds.{i}"), m);
        }
    }

    if !cx.err.is_empty() {
        return Err(cx.err);
    }
    let scenario = Scenario {
        name: raw
            .simulation
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string()),
        hash,
        sim,
        services,
        users,
        sources,
        workflows,
        calendars,
        parameters: params.names,
        strings: strings.names,
        revisions,
        skills,
        preferred,
        thresholds,
        clock,
    };
    // The work is judged on the complete scenario, with the file's replications.
    let (refuse, warn) = limits::estimate(&scenario).check(scenario.sim.replications, 1);
    for (loc, m) in warn {
        cx.warn(loc, m);
    }
    for (loc, m) in refuse {
        cx.problem(loc, m);
    }
    if !cx.err.is_empty() {
        return Err(cx.err);
    }
    Ok(Loaded {
        scenario,
        warnings: cx.warnings,
    })
}
