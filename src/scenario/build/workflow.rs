//! Workflows: steps, activities and their exits, and the static checks
//! (missing steps, start, unreachable steps, zero-time cycles within a
//! workflow and through transfers across services and revisions, queue_task
//! twice on one path).

use std::collections::HashMap;

use super::Ctx;
use crate::model::time::{format_duration, Time, MICROS_PER_SEC};
use crate::model::*;
use crate::scenario::dist::{Dist, DistSpec};
use crate::scenario::raw::{RawStep, RawWorkflow};
use crate::scenario::units::parse_duration;

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

/// Interns names (parameters, string values) into dense ids.
#[derive(Default)]
pub struct Interner {
    pub names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Interner {
    pub fn id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_string());
        self.index
            .insert(name.to_string(), self.names.len() as u32 - 1);
        self.names.len() as u32 - 1
    }
}

/// What building a workflow needs beyond the problem list.
pub struct WorkflowCx<'a> {
    pub params: &'a mut Interner,
    pub strings: &'a mut Interner,
    pub services: &'a HashMap<&'a str, ServiceId>,
}

/// Reads one step's keys, remembering which were used so the rest are
/// reported as unknown.
struct StepReader<'a> {
    loc: String,
    act: &'a str,
    step: &'a RawStep,
    index: &'a HashMap<&'a str, StepId>,
    used: Vec<&'static str>,
}

impl<'a> StepReader<'a> {
    fn get(&mut self, key: &'static str) -> Option<&'a toml::Value> {
        self.used.push(key);
        self.step.params.get(key)
    }

    fn exit(&mut self, cx: &mut Ctx, key: &'static str) -> Option<StepId> {
        let v = self.get(key)?;
        self.resolve(cx, key, v)
    }

    fn resolve(&self, cx: &mut Ctx, key: &str, v: &toml::Value) -> Option<StepId> {
        match v.as_str() {
            Some(n) => match self.index.get(n) {
                Some(&s) => Some(s),
                None => {
                    cx.problem(
                        format!("{}.{key}", self.loc),
                        format!("exit names step `{n}`, which is not defined in this workflow"),
                    );
                    None
                }
            },
            None => {
                cx.problem(
                    format!("{}.{key}", self.loc),
                    "an exit must name a step, e.g. next = \"queue\"",
                );
                None
            }
        }
    }

    fn string(&mut self, cx: &mut Ctx, key: &'static str) -> Option<&'a str> {
        match self.get(key)? {
            toml::Value::String(s) => Some(s),
            _ => {
                cx.problem(
                    format!("{}.{key}", self.loc),
                    format!("`{key}` of `{}` must be a string", self.act),
                );
                None
            }
        }
    }

    fn duration(&mut self, cx: &mut Ctx, key: &'static str) -> Option<Time> {
        let s = self.string(cx, key)?;
        parse_duration(s)
            .map_err(|m| cx.problem(format!("{}.{key}", self.loc), m))
            .ok()
    }

    fn dist(&mut self, cx: &mut Ctx, key: &'static str) -> Option<Dist> {
        let v = self.get(key)?;
        let loc = format!("{}.{key}", self.loc);
        match DistSpec::from_value(v) {
            Ok(spec) => Some(cx.dist(&loc, &spec)),
            Err(m) => {
                cx.problem(loc, m);
                None
            }
        }
    }

    fn number(&mut self, cx: &mut Ctx, key: &'static str) -> Option<f64> {
        match self.get(key)? {
            toml::Value::Float(f) => Some(*f),
            toml::Value::Integer(i) => Some(*i as f64),
            _ => {
                cx.problem(
                    format!("{}.{key}", self.loc),
                    format!("`{key}` must be a number"),
                );
                None
            }
        }
    }

    fn probability(&mut self, cx: &mut Ctx, key: &'static str, default: f64) -> f64 {
        match self.number(cx, key) {
            None => default,
            Some(p) if (0.0..=1.0).contains(&p) => p,
            Some(p) => {
                cx.problem(
                    format!("{}.{key}", self.loc),
                    format!("must be a probability between 0 and 1, got {p}"),
                );
                default
            }
        }
    }

    fn parameter(&mut self, cx: &mut Ctx, w: &mut WorkflowCx, required: bool) -> Option<u32> {
        match self.string(cx, "parameter") {
            Some(p) if !p.is_empty() => Some(w.params.id(p)),
            _ if required => {
                cx.problem(
                    format!("{}.parameter", self.loc),
                    format!("`{}` needs parameter = \"NAME\"", self.act),
                );
                None
            }
            _ => None,
        }
    }

    fn priority(&mut self, cx: &mut Ctx) -> Option<Priority> {
        let p = self.string(cx, "priority")?;
        Priority::parse(p)
            .map_err(|m| cx.problem(format!("{}.priority", self.loc), m))
            .ok()
    }

    fn reply(&mut self, cx: &mut Ctx) -> CustomerReply {
        let delay = self
            .dist(cx, "reply_delay")
            .unwrap_or(Dist::Constant(10 * MICROS_PER_SEC));
        let probability = self.probability(cx, "reply_probability", 1.0);
        let timeout = self.duration(cx, "timeout").unwrap_or(300 * MICROS_PER_SEC);
        CustomerReply {
            delay,
            probability,
            timeout,
        }
    }

    /// Reports keys the activity does not take.
    fn finish(self, cx: &mut Ctx) {
        for k in self.step.params.keys() {
            if !self.used.contains(&k.as_str()) {
                let mut known: Vec<&str> = self.used.clone();
                known.sort_unstable();
                cx.problem(
                    format!("{}.{k}", self.loc),
                    format!(
                        "unknown key `{k}` for activity `{}`; expected {}",
                        self.act,
                        known.join(", ")
                    ),
                );
            }
        }
    }
}

fn value_of(v: &toml::Value, strings: &mut Interner) -> Option<ParamValue> {
    match v {
        toml::Value::Integer(i) => Some(ParamValue::Number(*i as f64)),
        toml::Value::Float(f) => Some(ParamValue::Number(*f)),
        toml::Value::String(s) => Some(ParamValue::Text(strings.id(s))),
        toml::Value::Boolean(b) => Some(ParamValue::Text(strings.id(if *b {
            "true"
        } else {
            "false"
        }))),
        _ => None,
    }
}

fn build_activity(cx: &mut Ctx, w: &mut WorkflowCx, r: &mut StepReader) -> Activity {
    let loc = r.loc.clone();
    match r.act {
        "accept" => Activity::Accept,
        "message" => {
            let delay = r.duration(cx, "delay").unwrap_or(MICROS_PER_SEC);
            if !(MICROS_PER_SEC..=600 * MICROS_PER_SEC).contains(&delay) {
                cx.problem(
                    format!("{loc}.delay"),
                    "a message takes between \"1s\" and \"10m\"",
                );
            }
            let text = r.string(cx, "text").unwrap_or_default().to_string();
            // Placeholders name parameters: `{position}`.
            for part in text.split('{').skip(1) {
                if let Some((name, _)) = part.split_once('}') {
                    w.params.id(name);
                }
            }
            Activity::Message { delay, text }
        }
        "delay" => match r.dist(cx, "duration") {
            Some(duration) => Activity::Delay { duration },
            None => {
                cx.problem(
                    format!("{loc}.duration"),
                    "delay needs duration = \"30s\" (or a distribution)",
                );
                Activity::Delay {
                    duration: Dist::Constant(MICROS_PER_SEC),
                }
            }
        },
        "collect_information" => Activity::CollectInformation {
            parameter: r.parameter(cx, w, false),
            reply: r.reply(cx),
            timed_out: r.exit(cx, "timed_out"),
        },
        "input_customer" => {
            let parameter = r.parameter(cx, w, false);
            let reply = r.reply(cx);
            let timed_out = r.exit(cx, "timed_out");
            let mut choices = Vec::new();
            match r.get("choices") {
                Some(toml::Value::Table(t)) => {
                    for (name, c) in t {
                        let cloc = format!("{loc}.choices.{name}");
                        let (p, next) = match c {
                            toml::Value::Table(ct) => {
                                for k in ct.keys() {
                                    if k != "probability" && k != "next" {
                                        cx.problem(&cloc, format!("unknown key `{k}`; a choice has `probability` and `next`"));
                                    }
                                }
                                let p = ct.get("probability").and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)));
                                let next = ct.get("next").and_then(|v| r.resolve(cx, &format!("choices.{name}.next"), v));
                                (p, next)
                            }
                            toml::Value::Float(f) => (Some(*f), None),
                            _ => (None, None),
                        };
                        match p {
                            Some(p) if (0.0..=1.0).contains(&p) => choices.push((w.strings.id(name), p, next)),
                            _ => cx.problem(&cloc, "a choice is { probability = 0.6, next = \"step\" } with a probability between 0 and 1"),
                        }
                    }
                }
                _ => cx.problem(
                    format!("{loc}.choices"),
                    "input_customer needs choices = { billing = { probability = 0.6, next = \"billing\" }, ... }",
                ),
            }
            let total: f64 = choices.iter().map(|c| c.1).sum();
            if total > 1.0 + 1e-9 {
                cx.problem(
                    format!("{loc}.choices"),
                    format!("choice probabilities add up to {total}, more than 1"),
                );
            }
            Activity::InputCustomer {
                parameter,
                reply,
                choices,
                timed_out,
            }
        }
        "save_to_parameter" => {
            let parameter = r.parameter(cx, w, true).unwrap_or(0);
            let value = match r.get("value").map(|v| value_of(v, w.strings)) {
                Some(Some(v)) => v,
                _ => {
                    cx.problem(
                        format!("{loc}.value"),
                        "save_to_parameter needs value = a string or a number",
                    );
                    ParamValue::Unset
                }
            };
            Activity::SaveToParameter { parameter, value }
        }
        "check_parameter" => {
            let parameter = r.parameter(cx, w, true).unwrap_or(0);
            let mut rules = Vec::new();
            match r.get("rules") {
                Some(toml::Value::Array(items)) => {
                    for (i, it) in items.iter().enumerate() {
                        let rloc = format!("{loc}.rules.{i}");
                        let Some(t) = it.as_table() else {
                            cx.problem(&rloc, "a rule is { op = \"==\", value = \"gold\", next = \"step\" }");
                            continue;
                        };
                        let op = match t.get("op").and_then(|v| v.as_str()).unwrap_or("==") {
                            "==" => CompareOp::Eq,
                            "!=" => CompareOp::Ne,
                            "<" => CompareOp::Lt,
                            "<=" => CompareOp::Le,
                            ">" => CompareOp::Gt,
                            ">=" => CompareOp::Ge,
                            o => {
                                cx.problem(format!("{rloc}.op"), format!("unknown comparison `{o}`; expected ==, !=, <, <=, >, >="));
                                CompareOp::Eq
                            }
                        };
                        let value = t.get("value").and_then(|v| value_of(v, w.strings));
                        let next = t.get("next").and_then(|v| r.resolve(cx, &format!("rules.{i}.next"), v));
                        match (value, next) {
                            (Some(ParamValue::Text(_)), Some(_)) if !matches!(op, CompareOp::Eq | CompareOp::Ne) => {
                                cx.problem(format!("{rloc}.op"), "text values compare with == or != only; use a number for <, <=, >, >=")
                            }
                            (Some(value), Some(next)) => rules.push(Rule { op, value, next }),
                            _ => cx.problem(&rloc, "a rule needs `value` (string or number) and `next` (a step)"),
                        }
                    }
                }
                _ => cx.problem(
                    format!("{loc}.rules"),
                    "check_parameter needs rules = [{ op = \"==\", value = \"gold\", next = \"vip\" }]",
                ),
            }
            Activity::CheckParameter {
                parameter,
                rules,
                default: r.exit(cx, "default"),
            }
        }
        "web_request" => Activity::WebRequest {
            latency: r
                .dist(cx, "latency")
                .unwrap_or(Dist::Constant(500 * crate::model::time::MICROS_PER_MS)),
            failure_probability: r.probability(cx, "failure_probability", 0.0),
            failure: r.exit(cx, "failure"),
        },
        "disconnect" => Activity::Disconnect,
        "transfer" => {
            let target = r.string(cx, "service");
            match target.and_then(|t| w.services.get(t)) {
                Some(&service) => Activity::Transfer { service },
                None => {
                    cx.problem(
                        format!("{loc}.service"),
                        match target {
                            Some(t) => format!("transfer target `{t}` is not a service (IM workflows transfer to services only)"),
                            None => "transfer needs service = \"ID\" (IM workflows transfer to services only)".into(),
                        },
                    );
                    Activity::Disconnect
                }
            }
        }
        "check_opening_hours" => {
            const EXITS: [&str; 8] = [
                "open", "closed", "holiday", "special1", "special2", "special3", "special4",
                "default",
            ];
            let mut exits = [None; 8];
            for (i, k) in EXITS.iter().enumerate() {
                exits[i] = r.exit(cx, k);
            }
            Activity::CheckOpeningHours { exits }
        }
        "availability_based_routing" => Activity::AvailabilityBasedRouting {
            exits: [
                r.exit(cx, "available"),
                r.exit(cx, "busy"),
                r.exit(cx, "offline"),
            ],
        },
        "get_available_users" => Activity::GetAvailableUsers {
            parameter: r.parameter(cx, w, true).unwrap_or(0),
        },
        "get_queue_position" => Activity::GetQueuePosition {
            parameter: r.parameter(cx, w, false),
        },
        "queue_task" => {
            let priority = r.priority(cx);
            let broadcast = match r.string(cx, "distribution") {
                None | Some("direct") => false,
                Some("broadcast") => true,
                Some(_) => {
                    cx.problem(
                        format!("{loc}.distribution"),
                        "must be \"direct\" (default) or \"broadcast\"",
                    );
                    false
                }
            };
            let ring_timeout = r.duration(cx, "ring_timeout");
            if ring_timeout == Some(0) {
                cx.problem(format!("{loc}.ring_timeout"), "must be greater than 0s");
            }
            Activity::QueueTask {
                priority,
                broadcast,
                ring_timeout,
            }
        }
        "distribution_priority" => match r.priority(cx) {
            Some(priority) => Activity::DistributionPriority { priority },
            None => {
                cx.problem(
                    format!("{loc}.priority"),
                    "distribution_priority needs priority = \"high\" (or another level)",
                );
                Activity::DistributionPriority {
                    priority: Priority::Normal,
                }
            }
        },
        "check_task" => Activity::CheckTask {
            exits: [
                r.exit(cx, "queued"),
                r.exit(cx, "offered"),
                r.exit(cx, "connected"),
                r.exit(cx, "terminated"),
            ],
        },
        "cancel_task" => Activity::CancelTask,
        a if UNSUPPORTED_IM.contains(&a) => {
            // Its own parameters are not modelled: it fails the session.
            for k in r.step.params.keys() {
                if k != "next" {
                    r.used.push(Box::leak(k.clone().into_boxed_str()));
                }
            }
            Activity::Unsupported(a.to_string())
        }
        a => {
            cx.problem(
                format!("{loc}.do"),
                format!(
                    "unknown activity `{a}`; expected one of {} (or, refused for IM, {})",
                    SUPPORTED_IM.join(", "),
                    UNSUPPORTED_IM.join(", ")
                ),
            );
            Activity::Disconnect
        }
    }
}

pub(crate) fn build_workflow(
    cx: &mut Ctx,
    w: &mut WorkflowCx,
    name: &str,
    raw: &RawWorkflow,
) -> Workflow {
    let index: HashMap<&str, StepId> = raw
        .steps
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i as StepId))
        .collect();
    let loc = format!("workflows.{name}");
    let start = index.get(raw.start.as_str()).copied().unwrap_or_else(|| {
        cx.problem(
            format!("{loc}.start"),
            format!("start names step `{}`, which is not defined", raw.start),
        );
        0
    });
    let mut steps = Vec::new();
    for (sname, step) in &raw.steps {
        let mut r = StepReader {
            loc: format!("{loc}.steps.{sname}"),
            act: step.activity.as_str(),
            step,
            index: &index,
            used: Vec::new(),
        };
        let terminal = matches!(r.act, "disconnect" | "transfer");
        let next = if terminal { None } else { r.exit(cx, "next") };
        let activity = build_activity(cx, w, &mut r);
        r.finish(cx);
        steps.push(Step {
            name: sname.clone(),
            activity,
            next,
        });
    }
    let wf = Workflow {
        name: name.to_string(),
        start,
        steps,
    };
    for (i, st) in wf.steps.iter().enumerate() {
        if matches!(st.activity, Activity::Accept) && i != start as usize {
            cx.problem(
                format!("{loc}.steps.{}", st.name),
                format!(
                    "a second `accept` step: Accept comes once, as the first step (`{}`); use another activity here",
                    raw.start
                ),
            );
        }
    }
    if let Some(first) = wf.steps.get(start as usize) {
        if !matches!(first.activity, Activity::Accept) {
            cx.problem(
                format!("{loc}.start"),
                format!(
                    "the first step must be an `accept` (Accept must follow Start), not `{}`",
                    raw.start
                ),
            );
        }
    }
    static_checks(cx, &loc, &wf);
    wf
}

/// Every step a step can lead to.
pub fn successors(step: &Step) -> Vec<StepId> {
    let mut v: Vec<StepId> = step.next.into_iter().collect();
    match &step.activity {
        Activity::CollectInformation { timed_out, .. } => v.extend(timed_out),
        Activity::InputCustomer {
            choices, timed_out, ..
        } => {
            v.extend(choices.iter().filter_map(|c| c.2));
            v.extend(timed_out);
        }
        Activity::CheckParameter { rules, default, .. } => {
            v.extend(rules.iter().map(|r| r.next));
            v.extend(default);
        }
        Activity::WebRequest { failure, .. } => v.extend(failure),
        Activity::CheckOpeningHours { exits } => v.extend(exits.iter().flatten()),
        Activity::AvailabilityBasedRouting { exits } => v.extend(exits.iter().flatten()),
        Activity::CheckTask { exits } => v.extend(exits.iter().flatten()),
        _ => {}
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn static_checks(cx: &mut Ctx, loc: &str, wf: &Workflow) {
    let n = wf.steps.len();
    if n == 0 {
        cx.problem(
            format!("{loc}.steps"),
            "a workflow needs steps, starting with an `accept`",
        );
        return;
    }
    let succ: Vec<Vec<StepId>> = wf.steps.iter().map(successors).collect();
    // Unreachable steps (warning).
    let mut seen = vec![false; n];
    let mut stack = vec![wf.start];
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut seen[s as usize], true) {
            continue;
        }
        stack.extend(&succ[s as usize]);
    }
    for (i, st) in wf.steps.iter().enumerate() {
        if !seen[i] {
            cx.warn(
                format!("{loc}.steps.{}", st.name),
                "unreachable from the start step",
            );
        }
    }
    // A cycle through steps that may all take no time would never end.
    let zero: Vec<bool> = wf
        .steps
        .iter()
        .map(|s| s.activity.may_take_no_time())
        .collect();
    if let Some(cycle) = find_cycle(n, |s| {
        if zero[s] {
            succ[s]
                .iter()
                .map(|&x| x as usize)
                .filter(|&x| zero[x])
                .collect()
        } else {
            vec![]
        }
    }) {
        let names: Vec<&str> = cycle.iter().map(|&s| wf.steps[s].name.as_str()).collect();
        cx.problem(
            format!("{loc}.steps.{}", names[0]),
            format!(
                "the steps {} form a cycle that can run without any time passing (it would never end): put a message or a delay in it",
                names.join(" -> ")
            ),
        );
    }
    // queue_task reachable from a queue_task (itself included) on one path.
    let is_queue: Vec<bool> = wf
        .steps
        .iter()
        .map(|s| matches!(s.activity, Activity::QueueTask { .. }))
        .collect();
    for q in (0..n).filter(|&q| is_queue[q] && seen[q]) {
        let mut seen2 = vec![false; n];
        let mut stack: Vec<usize> = succ[q].iter().map(|&x| x as usize).collect();
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut seen2[s], true) {
                continue;
            }
            if is_queue[s] {
                cx.problem(
                    format!("{loc}.steps.{}", wf.steps[q].name),
                    format!(
                        "queue_task `{}` can lead to queue_task `{}` on one path; a task enters the queue at most once per service session",
                        wf.steps[q].name, wf.steps[s].name
                    ),
                );
                break;
            }
            stack.extend(succ[s].iter().map(|&x| x as usize));
        }
    }
}

/// A cycle in the graph given by `next`, as its steps in order.
fn find_cycle(n: usize, next: impl Fn(usize) -> Vec<usize>) -> Option<Vec<usize>> {
    // 0 = new, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut path = Vec::new();
    fn visit(
        s: usize,
        next: &dyn Fn(usize) -> Vec<usize>,
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        state[s] = 1;
        path.push(s);
        for t in next(s) {
            if state[t] == 1 {
                let from = path.iter().position(|&x| x == t).expect("on the path");
                return Some(path[from..].to_vec());
            }
            if state[t] == 0 {
                if let Some(c) = visit(t, next, state, path) {
                    return Some(c);
                }
            }
        }
        path.pop();
        state[s] = 2;
        None
    }
    (0..n).find_map(|s| {
        if state[s] == 0 {
            visit(s, &next, &mut state, &mut path)
        } else {
            None
        }
    })
}

/// Transfer steps a task can reach from the workflow's start without any time
/// passing: (target service, transfer step).
fn zero_time_transfers(wf: &Workflow) -> Vec<(ServiceId, StepId)> {
    let mut out = Vec::new();
    let mut seen = vec![false; wf.steps.len()];
    let mut stack = vec![wf.start];
    while let Some(s) = stack.pop() {
        let Some(step) = wf.steps.get(s as usize) else {
            continue;
        };
        if std::mem::replace(&mut seen[s as usize], true) || !step.activity.may_take_no_time() {
            continue;
        }
        if let Activity::Transfer { service } = step.activity {
            out.push((service, s));
        }
        stack.extend(successors(step));
    }
    out
}

/// Services that transfer tasks to each other (or to themselves) without any
/// time passing would pass a task around forever at one instant. Checked for
/// the workflows in force at the start and after each revision (`revisions`:
/// (index in the file, revision), in time order).
pub(super) fn check_transfer_cycles(
    cx: &mut Ctx,
    services: &[Service],
    workflows: &[Workflow],
    revisions: &[(usize, Revision)],
) {
    if workflows.is_empty() {
        return;
    }
    let transfers: Vec<Vec<(ServiceId, StepId)>> =
        workflows.iter().map(zero_time_transfers).collect();
    let mut current: Vec<WorkflowId> = services.iter().map(|s| s.workflow).collect();
    let mut reported: Vec<Vec<usize>> = Vec::new();
    for epoch in 0..=revisions.len() {
        if epoch > 0 {
            let r = &revisions[epoch - 1].1;
            current[r.service as usize] = r.workflow;
        }
        let edges = |s: usize| -> Vec<usize> {
            let mut v: Vec<usize> = transfers[current[s] as usize]
                .iter()
                .map(|&(to, _)| to as usize)
                .filter(|&to| to < services.len())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let Some(cycle) = find_cycle(services.len(), edges) else {
            continue;
        };
        let mut key = cycle.clone();
        key.sort_unstable();
        if reported.contains(&key) {
            continue;
        }
        reported.push(key);
        // Each hop: service -> next service, through a transfer step.
        let via = |i: usize| {
            let (from, to) = (cycle[i], cycle[(i + 1) % cycle.len()]);
            let wf = &workflows[current[from] as usize];
            let step = transfers[current[from] as usize]
                .iter()
                .find(|&&(t, _)| t as usize == to)
                .map_or("?", |&(_, s)| wf.steps[s as usize].name.as_str());
            (from, to, wf, step)
        };
        let hops: Vec<String> = (0..cycle.len())
            .map(|i| {
                let (from, to, wf, step) = via(i);
                format!(
                    "`{}` (workflow `{}` step `{step}`) -> `{}`",
                    services[from].name, wf.name, services[to].name
                )
            })
            .collect();
        let what = format!(
            "{} transfer a task on without any time passing: it would loop forever at one instant; put a message or a delay before one of these transfers",
            hops.join(", ")
        );
        if epoch == 0 {
            let (_, _, wf, step) = via(0);
            cx.problem(format!("workflows.{}.steps.{step}", wf.name), what);
        } else {
            let (i, r) = &revisions[epoch - 1];
            cx.problem(
                format!("revisions.{i}"),
                format!(
                    "from this revision on (at {} of simulation time) {what}",
                    format_duration(r.at)
                ),
            );
        }
    }
}
