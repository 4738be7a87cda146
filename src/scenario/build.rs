//! Raw scenario -> validated model, with the Nimbus preconditions. Problems are
//! collected, not returned at the first one, so `validate` shows them all.

use std::collections::HashMap;
use std::path::Path;

use super::dist::DistSpec;
use super::error::{Problem, ScenarioError};
use super::raw::{Capacity, RawScenario, RawStep, RawThreshold, RawWorkflow};
use super::Loaded;
use crate::model::time::MICROS_PER_SEC;
use crate::model::*;
use crate::scenario::dist::Dist;

/// The IM activities Nimbus supports (DOMAIN.md).
pub const SUPPORTED_IM: [&str; 18] = [
    "accept",
    "collect_information",
    "delay",
    "disconnect",
    "input_customer",
    "message",
    "save_to_parameter",
    "transfer",
    "web_request",
    "availability_based_routing",
    "check_opening_hours",
    "check_parameter",
    "get_available_users",
    "get_queue_position",
    "cancel_task",
    "check_task",
    "distribution_priority",
    "queue_task",
];

/// Activities Nimbus refuses in IM workflows.
pub const UNSUPPORTED_IM: [&str; 12] = [
    "announcement",
    "disconnect_as_handled",
    "forward",
    "input_customer_advanced",
    "mark_as_handled",
    "play_music",
    "reply",
    "standby_duty",
    "virtual_user",
    "voice_message",
    "wait_for_parameter",
    "queue",
];

pub const DEFAULT_START: &str = "2026-11-23T00:00:00";

struct Ctx<'a> {
    err: ScenarioError,
    warnings: Vec<Problem>,
    base: &'a Path,
}

impl Ctx<'_> {
    fn problem(&mut self, loc: impl Into<String>, msg: impl Into<String>) {
        self.err.push(loc, msg);
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
    if let Err(m) = check_civil_time(&start) {
        cx.problem("simulation.start", m);
    }
    let sim = SimSettings {
        duration: rs.duration.0,
        warmup: rs.warmup.map_or(0, |d| d.0),
        seed: rs.seed.unwrap_or(1),
        replications,
        interval: interval.max(1),
        start,
    };

    // [tenant]
    let im_enabled = raw.tenant.modalities.iter().any(|m| m == "im");
    for m in &raw.tenant.modalities {
        if !["im", "audio", "video"].contains(&m.as_str()) {
            cx.problem(
                "tenant.modalities",
                format!("unknown modality \"{m}\"; expected \"im\", \"audio\" or \"video\""),
            );
        }
    }
    if !im_enabled {
        cx.problem(
            "tenant.modalities",
            "Instant Messaging is not enabled for the tenant: add \"im\" (modalities = [\"im\"])",
        );
    }

    // [workflows.*]
    let wf_index: HashMap<&str, WorkflowId> = raw
        .workflows
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as WorkflowId))
        .collect();
    let workflows: Vec<Workflow> = raw
        .workflows
        .iter()
        .map(|(name, w)| build_workflow(&mut cx, name, w))
        .collect();

    // [[services]]
    let mut svc_index: HashMap<&str, ServiceId> = HashMap::new();
    let mut services = Vec::new();
    if raw.services.is_empty() {
        cx.problem("services", "no service defined: add a [[services]] table");
    }
    for (i, s) in raw.services.iter().enumerate() {
        let loc = format!("services.{}", s.id);
        if svc_index.insert(s.id.as_str(), i as ServiceId).is_some() {
            cx.problem(&loc, format!("duplicate service id `{}`", s.id));
        }
        let license = License::parse(&s.license).unwrap_or_else(|m| {
            cx.problem(format!("{loc}.license"), m);
            License::ContactCenter
        });
        let mut channels = Vec::new();
        for c in &s.channels {
            match Channel::parse(c) {
                Ok(ch) => channels.push(ch),
                Err(m) => cx.problem(format!("{loc}.channels"), m),
            }
        }
        for a in &s.addons {
            if a != "interact" {
                cx.problem(
                    format!("{loc}.addons"),
                    format!("unknown add-on \"{a}\"; expected \"interact\""),
                );
            }
        }
        if !channels.is_empty() && license != License::ContactCenter {
            cx.problem(
                format!("{loc}.license"),
                format!(
                    "service `{}` serves IM channels but holds the `{}` license; IM needs `contact_center`",
                    s.id, s.license
                ),
            );
        }
        if channels.contains(&Channel::Interact) && !s.addons.iter().any(|a| a == "interact") {
            cx.problem(
                format!("{loc}.addons"),
                format!(
                    "service `{}` serves channel `interact` but lacks the `interact` add-on (addons = [\"interact\"])",
                    s.id
                ),
            );
        }
        if channels.contains(&Channel::WhatsApp) {
            let region = s.whatsapp_region.as_deref().unwrap_or("us");
            if region != "us" {
                cx.problem(
                    format!("{loc}.whatsapp_region"),
                    format!(
                        "WhatsApp through Twilio works only in region \"us\", not \"{region}\""
                    ),
                );
            }
        }
        let workflow = match wf_index.get(s.workflow.as_str()) {
            Some(&w) => w,
            None => {
                cx.problem(
                    format!("{loc}.workflow"),
                    format!(
                        "unknown workflow `{}`; defined: {}",
                        s.workflow,
                        names(raw.workflows.keys().map(String::as_str))
                    ),
                );
                0
            }
        };
        let default_priority = match &s.default_priority {
            None => Priority::Normal,
            Some(p) => Priority::parse(p).unwrap_or_else(|m| {
                cx.problem(format!("{loc}.default_priority"), m);
                Priority::Normal
            }),
        };
        let sla = s.sla.map_or(20 * MICROS_PER_SEC, |d| d.0);
        services.push(Service {
            name: s.id.clone(),
            license,
            channels,
            workflow,
            sla,
            acw: s.acw.map_or(0, |d| d.0),
            default_priority,
        });
    }

    // [[users]]
    let mut users = Vec::new();
    let mut im_members = vec![0u32; services.len()];
    let mut user_names: HashMap<String, usize> = HashMap::new();
    if raw.users.is_empty() {
        cx.problem("users", "no user defined: add a [[users]] table");
    }
    for (g, u) in raw.users.iter().enumerate() {
        let loc = format!("users.{}", u.id);
        let count = match u.count {
            None => 1,
            Some(n) if (1..=1_000_000).contains(&n) => n as u32,
            Some(n) => {
                cx.problem(
                    format!("{loc}.count"),
                    format!("must be at least 1, got {n}"),
                );
                continue;
            }
        };
        let mut member_of = Vec::new();
        for s in &u.services {
            match svc_index.get(s.as_str()) {
                Some(&sid) => member_of.push(sid),
                None => cx.problem(
                    format!("{loc}.services"),
                    format!(
                        "unknown service `{s}`; defined: {}",
                        names(raw.services.iter().map(|s| s.id.as_str()))
                    ),
                ),
            }
        }
        for l in &u.licenses {
            if !["im", "interact", "audio", "video"].contains(&l.as_str()) {
                cx.problem(
                    format!("{loc}.licenses"),
                    format!("unknown license \"{l}\"; expected \"im\", \"interact\", \"audio\" or \"video\""),
                );
            }
        }
        let has_im = u.licenses.iter().any(|l| l == "im");
        let capacity = match u.im_capacity {
            None => 2,
            Some(Capacity::Unlimited) => UNLIMITED,
            Some(Capacity::Limited(n)) if n >= 1 && n < UNLIMITED as i64 => n as u32,
            Some(Capacity::Limited(n)) => {
                cx.problem(
                    format!("{loc}.im_capacity"),
                    format!("must be at least 1 (or \"unlimited\"), got {n}"),
                );
                1
            }
        };
        let accept_delay = match &u.accept_delay {
            None => Dist::Constant(0),
            Some(spec) => cx.dist(&format!("{loc}.accept_delay"), spec),
        };
        if has_im {
            for &sid in &member_of {
                im_members[sid as usize] += count;
            }
        }
        for k in 1..=count {
            let name = if count == 1 && u.count.is_none() {
                u.id.clone()
            } else {
                format!("{}-{}", u.id, k)
            };
            if user_names.insert(name.clone(), users.len()).is_some() {
                cx.problem(&loc, format!("user name `{name}` is defined twice"));
            }
            // Users without the IM license are members that never get chats.
            users.push(User {
                name,
                group: g as u32,
                services: if has_im {
                    member_of.clone()
                } else {
                    Vec::new()
                },
                capacity,
                accept_delay: accept_delay.clone(),
            });
        }
    }
    for (i, s) in services.iter().enumerate() {
        if !s.channels.is_empty() && im_members[i] == 0 {
            cx.problem(
                format!("services.{}", s.name),
                format!(
                    "no member of service `{}` has the IM modality licensed: give a user licenses = [\"im\"] and services = [\"{}\"]",
                    s.name, s.name
                ),
            );
        }
    }

    // [[arrivals]]
    let mut sources = Vec::new();
    for (i, a) in raw.arrivals.iter().enumerate() {
        let loc = format!("arrivals.{i}");
        let Some(&service) = svc_index.get(a.service.as_str()) else {
            cx.problem(
                format!("{loc}.service"),
                format!(
                    "unknown service `{}`; defined: {}",
                    a.service,
                    names(raw.services.iter().map(|s| s.id.as_str()))
                ),
            );
            continue;
        };
        let channel = match Channel::parse(&a.channel) {
            Ok(c) => c,
            Err(m) => {
                cx.problem(format!("{loc}.channel"), m);
                continue;
            }
        };
        if !services[service as usize].channels.contains(&channel) {
            cx.problem(
                format!("{loc}.channel"),
                format!(
                    "service `{}` does not serve channel `{}`: add it to the service's channels",
                    a.service, a.channel
                ),
            );
        }
        let Some(rate) = a.rate else {
            cx.problem(
                format!("{loc}.rate"),
                "missing `rate`, e.g. rate = \"1080/h\"",
            );
            continue;
        };
        let handle_time = cx.dist(&format!("{loc}.handle_time"), &a.handle_time);
        let patience = a
            .patience
            .as_ref()
            .map(|p| cx.dist(&format!("{loc}.patience"), p));
        let priority = a.priority.as_ref().and_then(|p| {
            Priority::parse(p)
                .map_err(|m| cx.problem(format!("{loc}.priority"), m))
                .ok()
        });
        sources.push(ArrivalSource {
            service,
            channel,
            rate_per_s: rate.0,
            handle_time,
            patience,
            priority,
        });
    }
    if raw.arrivals.is_empty() {
        cx.problem("arrivals", "no arrivals defined: add an [[arrivals]] table");
    }

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
            thresholds,
        },
        warnings: cx.warnings,
    })
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = it.map(|n| format!("`{n}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn build_workflow(cx: &mut Ctx, name: &str, w: &RawWorkflow) -> Workflow {
    let index: HashMap<&str, StepId> = w
        .steps
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as StepId))
        .collect();
    let loc = format!("workflows.{name}");
    let start = match index.get(w.start.as_str()) {
        Some(&s) => s,
        None => {
            cx.problem(
                format!("{loc}.start"),
                format!("start names step `{}`, which is not defined", w.start),
            );
            0
        }
    };
    let mut steps = Vec::new();
    for (sname, step) in &w.steps {
        let sloc = format!("{loc}.steps.{sname}");
        let activity = build_activity(cx, &sloc, step);
        let next = match step.params.get("next") {
            None => None,
            Some(toml::Value::String(n)) => match index.get(n.as_str()) {
                Some(&s) => Some(s),
                None => {
                    cx.problem(
                        format!("{sloc}.next"),
                        format!("exit names step `{n}`, which is not defined in workflow `{name}`"),
                    );
                    None
                }
            },
            Some(_) => {
                cx.problem(
                    format!("{sloc}.next"),
                    "must name a step, e.g. next = \"queue\"",
                );
                None
            }
        };
        steps.push(Step {
            name: sname.clone(),
            activity,
            next,
        });
    }
    if let Some(first) = steps.get(start as usize) {
        if first.activity != Activity::Accept {
            cx.problem(
                format!("{loc}.start"),
                format!(
                    "the first step must be an `accept` (Accept must follow Start), not `{}`",
                    w.start
                ),
            );
        }
    }
    if !steps
        .iter()
        .any(|s| matches!(s.activity, Activity::QueueTask { .. }))
    {
        cx.warnings.push(Problem {
            location: loc,
            message: "no queue_task step: tasks will never reach a user".into(),
        });
    }
    Workflow {
        name: name.to_string(),
        start,
        steps,
    }
}

fn build_activity(cx: &mut Ctx, loc: &str, step: &RawStep) -> Activity {
    let act = step.activity.as_str();
    let allowed: &[&str] = match act {
        "accept" => &["next"],
        "queue_task" => &["next", "priority"],
        a if SUPPORTED_IM.contains(&a) => {
            cx.problem(
                format!("{loc}.do"),
                format!("activity `{a}` is supported by Nimbus for IM but not yet by this version of routesim; supported here: accept, queue_task"),
            );
            return Activity::Accept;
        }
        a if UNSUPPORTED_IM.contains(&a) => {
            cx.problem(
                format!("{loc}.do"),
                format!("activity `{a}` is not supported for Instant Messaging (Nimbus refuses such a workflow)"),
            );
            return Activity::Accept;
        }
        a => {
            cx.problem(
                format!("{loc}.do"),
                format!(
                    "unknown activity `{a}`; expected one of {}",
                    SUPPORTED_IM.join(", ")
                ),
            );
            return Activity::Accept;
        }
    };
    for k in step.params.keys() {
        if !allowed.contains(&k.as_str()) {
            cx.problem(
                format!("{loc}.{k}"),
                format!(
                    "unknown key `{k}` for activity `{act}`; expected {}",
                    allowed.join(", ")
                ),
            );
        }
    }
    match act {
        "queue_task" => {
            let priority = match step.params.get("priority") {
                None => None,
                Some(toml::Value::String(p)) => Priority::parse(p)
                    .map_err(|m| cx.problem(format!("{loc}.priority"), m))
                    .ok(),
                Some(_) => {
                    cx.problem(
                        format!("{loc}.priority"),
                        "must be a priority name such as \"high\"",
                    );
                    None
                }
            };
            Activity::QueueTask { priority }
        }
        _ => Activity::Accept,
    }
}

/// Checks "YYYY-MM-DDTHH:MM:SS" (seconds optional).
fn check_civil_time(s: &str) -> Result<(), String> {
    let hint = "expected local time as \"YYYY-MM-DDTHH:MM:SS\", e.g. \"2026-11-23T08:00:00\"";
    let (date, time) = s
        .split_once('T')
        .ok_or_else(|| format!("\"{s}\": {hint}"))?;
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    let num = |x: &str, lo: u32, hi: u32| x.parse::<u32>().ok().filter(|v| (lo..=hi).contains(v));
    let ok = d.len() == 3
        && d[0].len() == 4
        && num(d[0], 1970, 9999).is_some()
        && num(d[1], 1, 12).is_some()
        && num(d[2], 1, 31).is_some()
        && (t.len() == 2 || t.len() == 3)
        && num(t[0], 0, 23).is_some()
        && num(t[1], 0, 59).is_some()
        && (t.len() == 2 || num(t[2], 0, 59).is_some());
    if ok {
        Ok(())
    } else {
        Err(format!("\"{s}\": {hint}"))
    }
}
