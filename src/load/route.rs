//! What the live driver does with a new task of each service, resolved from
//! the service's workflow before the test starts.
//!
//! The live driver runs the zero-time part of an IM workflow that leads to
//! the queue: Accept, Distribution Priority, Get Queue Position (no effect
//! here) and Queue Task (its priority, broadcast flag and ring timeout), plus
//! Disconnect before the queue (the task ends, "ended by workflow"). After
//! Queue Task it applies a Distribution Priority at once and ignores Accept
//! and Get Queue Position. Any other activity on the path (messages, delays,
//! customer input, web requests, parameter checks, opening hours, transfers,
//! cancels, ...) is refused before the test, as are workflow revisions: the
//! live driver measures the router, and those need the engine's workflow
//! runner (`routesim run`).

use crate::model::{Activity, Priority, Scenario, Time, Workflow};
use crate::routing::DistributionType;

/// Steps one workflow may run before the walk calls it a loop.
const STEP_BUDGET: usize = 10_000;

/// Queue Task as the live driver performs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSpec {
    /// None: the source's priority or the service's default.
    pub priority: Option<Priority>,
    pub kind: DistributionType,
    /// None: the service's ring timeout.
    pub ring_timeout: Option<Time>,
    /// A Distribution Priority after Queue Task, applied once queued.
    pub then_priority: Option<Priority>,
}

/// Per service: `Some` to queue the task, `None` when its workflow ends
/// without queueing it.
pub type Routes = Vec<Option<QueueSpec>>;

fn activity_name(a: &Activity) -> String {
    let dbg = format!("{a:?}");
    let end = dbg.find([' ', '(', '{']).unwrap_or(dbg.len());
    dbg[..end].to_string()
}

fn walk(wf: &Workflow) -> Result<Option<QueueSpec>, String> {
    let mut step = Some(wf.start);
    let mut before: Option<Priority> = None;
    let mut queue: Option<QueueSpec> = None;
    for _ in 0..STEP_BUDGET {
        let Some(id) = step else {
            return Ok(queue);
        };
        let st = &wf.steps[id as usize];
        step = st.next;
        match (&st.activity, &mut queue) {
            (Activity::Accept | Activity::GetQueuePosition { .. }, _) => {}
            (Activity::DistributionPriority { priority }, None) => before = Some(*priority),
            (Activity::DistributionPriority { priority }, Some(q)) => {
                q.then_priority = Some(*priority)
            }
            (
                Activity::QueueTask {
                    priority,
                    broadcast,
                    ring_timeout,
                },
                None,
            ) => {
                queue = Some(QueueSpec {
                    priority: priority.or(before),
                    kind: if *broadcast {
                        DistributionType::Broadcast
                    } else {
                        DistributionType::Direct
                    },
                    ring_timeout: *ring_timeout,
                    then_priority: None,
                })
            }
            // A second Queue Task in one session does nothing (as in the engine).
            (Activity::QueueTask { .. }, Some(_)) => {}
            (Activity::Disconnect, None) => return Ok(None),
            (other, _) => {
                return Err(format!(
                    "workflow `{}` step `{}`: activity `{}` is not supported by `routesim load`, which runs only Accept, Distribution Priority, Get Queue Position, Queue Task and Disconnect before the queue (see docs/load.md); use `routesim run` for this workflow",
                    wf.name,
                    st.name,
                    activity_name(other)
                ))
            }
        }
    }
    Err(format!(
        "workflow `{}` loops without reaching its end",
        wf.name
    ))
}

/// Resolves every service's workflow, or says why the live driver cannot.
pub fn routes(scn: &Scenario) -> Result<Routes, String> {
    if !scn.revisions.is_empty() {
        return Err("the scenario has [[revisions]]: `routesim load` runs each service's initial workflow only; remove the revisions or use `routesim run`".into());
    }
    scn.services
        .iter()
        .map(|s| {
            walk(&scn.workflows[s.workflow as usize])
                .map_err(|e| format!("service `{}`: {e}", s.name))
        })
        .collect()
}
