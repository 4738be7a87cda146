//! The IM workflow interpreter: runs a task's service workflow step by step
//! until it must wait for something (the queue, for now) or ends. One activity
//! is one small match arm; activities that take time will return a timer.

use crate::model::{Activity, Priority, StepId, Workflow};

/// Per-task workflow state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
    /// The step to run next; `None` once the workflow ended.
    pub step: Option<StepId>,
    /// The Accept activity ran ("accepted by system").
    pub accepted: bool,
    /// Queue Task ran (a task enters the queue at most once per session).
    pub queued: bool,
}

/// What the driver must do after `advance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Put the task in the service queue with this priority (None: the
    /// service's default) and keep the workflow cursor where it is.
    Enqueue {
        priority: Option<Priority>,
        broadcast: bool,
    },
    /// The workflow ran off its last step.
    End,
}

impl Cursor {
    pub fn start(wf: &Workflow) -> Cursor {
        Cursor {
            step: Some(wf.start),
            accepted: false,
            queued: false,
        }
    }

    /// Runs zero-time steps until the workflow needs the driver.
    pub fn advance(&mut self, wf: &Workflow) -> Next {
        while let Some(id) = self.step {
            let step = &wf.steps[id as usize];
            self.step = step.next;
            match step.activity {
                Activity::Accept => self.accepted = true,
                Activity::QueueTask {
                    priority,
                    broadcast,
                } => {
                    if !self.queued {
                        self.queued = true;
                        return Next::Enqueue {
                            priority,
                            broadcast,
                        };
                    }
                }
            }
        }
        Next::End
    }
}
