//! The IM workflow's per-task state and the pure parts of its activities.
//! The engine runs the steps (`engine::workflow`): each activity is one small
//! match arm there, because most need the clock, the router or a random draw.

use crate::model::{CompareOp, Outcome, ParamValue, StepId, Workflow, WorkflowId};

/// Where a task is in its service's workflow.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub workflow: WorkflowId,
    /// The step to run next; `None` once the workflow ran off its end.
    pub step: Option<StepId>,
    /// The Accept activity ran ("accepted by system").
    pub accepted: bool,
    /// Queue Task ran in this service session (at most once).
    pub queued: bool,
    /// Cancel Task took the task out of the queue: Cancelled, or Abandoned
    /// when a user already held it.
    pub cancelled: Option<Outcome>,
    /// The workflow stopped: a user accepted, or the session ended.
    pub stopped: bool,
    /// Generation of the workflow's timer; a stale timer carries an older one.
    pub gen: u32,
    /// A parameter value to store when the pending timer fires (a reply).
    pub pending: Option<(u32, ParamValue)>,
}

impl Cursor {
    pub fn start(id: WorkflowId, wf: &Workflow) -> Cursor {
        Cursor {
            workflow: id,
            step: Some(wf.start),
            accepted: false,
            queued: false,
            cancelled: None,
            stopped: false,
            gen: 0,
            pending: None,
        }
    }
}

/// Check Parameter's comparison. Numbers compare numerically; text compares
/// for (in)equality only; an unset parameter matches only `!=`.
pub fn compare(have: ParamValue, op: CompareOp, want: ParamValue) -> bool {
    match (have, want) {
        (ParamValue::Number(a), ParamValue::Number(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            CompareOp::Lt => a < b,
            CompareOp::Le => a <= b,
            CompareOp::Gt => a > b,
            CompareOp::Ge => a >= b,
        },
        (a, b) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        use ParamValue::*;
        assert!(compare(Number(3.0), CompareOp::Ge, Number(3.0)));
        assert!(!compare(Number(2.0), CompareOp::Gt, Number(3.0)));
        assert!(compare(Text(1), CompareOp::Eq, Text(1)));
        assert!(compare(Text(1), CompareOp::Ne, Text(2)));
        assert!(!compare(Text(1), CompareOp::Lt, Text(2)));
        assert!(compare(Unset, CompareOp::Ne, Text(2)));
        assert!(!compare(Unset, CompareOp::Eq, Number(0.0)));
    }
}
