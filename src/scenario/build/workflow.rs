//! Workflows: steps, activities, exits.

use std::collections::HashMap;

use super::Ctx;
use crate::model::*;
use crate::scenario::raw::{RawStep, RawWorkflow};

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

pub(crate) fn build_workflow(cx: &mut Ctx, name: &str, w: &RawWorkflow) -> Workflow {
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
        cx.warn(loc, "no queue_task step: tasks will never reach a user");
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
        "queue_task" => &["next", "priority", "distribution"],
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
            let broadcast = match step.params.get("distribution") {
                None => false,
                Some(toml::Value::String(d)) if d == "direct" => false,
                Some(toml::Value::String(d)) if d == "broadcast" => true,
                Some(_) => {
                    cx.problem(
                        format!("{loc}.distribution"),
                        "must be \"direct\" (default) or \"broadcast\"",
                    );
                    false
                }
            };
            Activity::QueueTask {
                priority,
                broadcast,
            }
        }
        _ => Activity::Accept,
    }
}
