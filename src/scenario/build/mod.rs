//! Raw scenario -> validated model, with the Nimbus preconditions. Problems are
//! collected, not returned at the first one, so `validate` shows them all.
//! One file per part of the scenario.

mod arrivals;
mod calendars;
mod services;
mod users;
pub mod workflow;

use std::collections::HashMap;
use std::path::Path;

use super::dist::DistSpec;
use super::error::{Problem, ScenarioError};
use super::raw::{RawScenario, RawThreshold};
use super::Loaded;
use crate::model::civil::{parse_civil, Clock};
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
        Some(n) if (1..=1_000_000).contains(&n) => n as u32,
        Some(n) => {
            cx.problem(
                "simulation.replications",
                format!("must be at least 1, got {n}"),
            );
            1
        }
    };
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
    let clock = Clock { start: start_civil };
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
    let workflows: Vec<Workflow> = raw
        .workflows
        .iter()
        .map(|(name, w)| workflow::build_workflow(&mut cx, name, w))
        .collect();

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

    let svc_index: HashMap<&str, ServiceId> = raw
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i as ServiceId))
        .collect();
    let services = services::build_services(&mut cx, &raw, &wf_index, &cal_index, &skill_index);
    let users = users::build_users(&mut cx, &raw, &services, &svc_index, &skill_index);
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

    let thresholds = raw
        .thresholds
        .into_iter()
        .map(|t| match t {
            RawThreshold::Expr(e) | RawThreshold::Table { expr: e } => e,
        })
        .collect();

    if !cx.err.is_empty() {
        return Err(cx.err);
    }
    Ok(Loaded {
        scenario: Scenario {
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
            skills,
            preferred,
            thresholds,
            clock,
        },
        warnings: cx.warnings,
    })
}
