//! Runs tasks' IM workflows: one match arm per activity. Zero-time steps run
//! in a loop; a step that takes time schedules a workflow timer and returns.
//! The workflow goes on while the task waits in the queue and stops when a
//! user accepts.

use rand::Rng as _;

use super::{Event, Sim, Sinks, NEVER};
use crate::model::calendar::check_opening_hours;
use crate::model::time::Time;
use crate::model::{
    Activity, Channel, CustomerReply, Outcome, ParamValue, Priority, ServiceId, StepId,
};
use crate::routing::{DistributionType, TaskState};
use crate::workflow::{compare, Cursor};

/// Workflow steps one task may run at one instant (transfers and zero-delay
/// timers included) before the run calls it a loop and fails the session
/// (validation refuses the zero-time cycles it can see; this guards the rest).
pub(super) const STEP_BUDGET: u32 = 10_000;

impl<S: Sinks> Sim<'_, S> {
    /// Starts a service session's workflow at the service's current workflow.
    pub(super) fn start_workflow(&mut self, slot: u32, service: ServiceId) {
        self.begin_workflow(slot, service);
        self.run_workflow(slot);
    }

    /// Puts the task at the start of the service's current workflow.
    fn begin_workflow(&mut self, slot: u32, service: ServiceId) {
        let wf_id = self.current_wf[service as usize];
        let wf = &self.scn.workflows[wf_id as usize];
        let t = &mut self.tasks[slot as usize];
        let gen = t.cursor.gen.wrapping_add(1);
        t.cursor = Cursor {
            gen,
            ..Cursor::start(wf_id, wf)
        };
        let n = self.scn.parameters.len();
        if n > 0 {
            let base = slot as usize * n;
            if self.params.len() < base + n {
                self.params.resize(base + n, ParamValue::Unset);
            }
            self.params[base..base + n].fill(ParamValue::Unset);
        }
    }

    /// A workflow timer fired.
    pub(super) fn on_workflow_timer(&mut self, slot: u32, wgen: u32) {
        let c = &mut self.tasks[slot as usize].cursor;
        if c.stopped || c.gen != wgen {
            return;
        }
        if let Some((p, v)) = c.pending.take() {
            self.set_param(slot, p, v);
        }
        self.run_workflow(slot);
    }

    fn set_param(&mut self, slot: u32, p: u32, v: ParamValue) {
        let n = self.scn.parameters.len();
        self.params[slot as usize * n + p as usize] = v;
    }

    fn param(&self, slot: u32, p: u32) -> ParamValue {
        let n = self.scn.parameters.len();
        self.params[slot as usize * n + p as usize]
    }

    /// Continues at `step` after `after` of simulated time.
    fn wait(
        &mut self,
        slot: u32,
        after: Time,
        step: Option<StepId>,
        pending: Option<(u32, ParamValue)>,
    ) {
        let t = &mut self.tasks[slot as usize];
        t.cursor.step = step;
        t.cursor.pending = pending;
        t.cursor.gen = t.cursor.gen.wrapping_add(1);
        let (gen, wgen) = (t.gen, t.cursor.gen);
        self.events
            .schedule(self.now + after, Event::WorkflowTimer { slot, gen, wgen });
        self.ensure_patience(slot);
    }

    /// A customer's answer: Some((delay, replied)) drawn from the service's stream.
    fn customer_reply(&mut self, service: ServiceId, reply: &CustomerReply) -> (Time, bool) {
        let rng = &mut self.service_rngs[service as usize];
        let replies = reply.probability >= 1.0 || rng.random::<f64>() < reply.probability;
        let delay = reply.delay.sample(rng);
        if replies && delay <= reply.timeout {
            (delay, true)
        } else {
            (reply.timeout, false)
        }
    }

    /// Runs steps until the workflow must wait, ends, or the task leaves.
    /// Transfers continue here in the target's workflow, so the zero-time
    /// guard sees every step a task runs at one instant.
    pub(super) fn run_workflow(&mut self, slot: u32) {
        let scn = self.scn;
        loop {
            let now = self.now;
            let t = &mut self.tasks[slot as usize];
            if t.cursor.stopped || !t.alive {
                return;
            }
            if t.steps_at != now {
                t.steps_at = now;
                t.steps = 0;
            }
            t.steps += 1;
            if t.steps > STEP_BUDGET {
                break;
            }
            let Some(step_id) = t.cursor.step else {
                self.workflow_ran_out(slot);
                return;
            };
            let service = t.service;
            let step = &scn.workflows[t.cursor.workflow as usize].steps[step_id as usize];
            let next = step.next;
            let goto = |s: &mut Self, to: Option<StepId>| s.tasks[slot as usize].cursor.step = to;
            match &step.activity {
                Activity::Accept => {
                    self.tasks[slot as usize].cursor.accepted = true;
                    goto(self, next);
                }
                Activity::Message { delay, .. } => return self.wait(slot, *delay, next, None),
                Activity::Delay { duration } => {
                    let d = duration.sample(&mut self.service_rngs[service as usize]);
                    return self.wait(slot, d, next, None);
                }
                Activity::CollectInformation {
                    parameter,
                    reply,
                    timed_out,
                } => {
                    let (d, replied) = self.customer_reply(service, reply);
                    return if replied {
                        let answer = ParamValue::Text(u32::MAX);
                        self.wait(slot, d, next, parameter.map(|p| (p, answer)))
                    } else {
                        self.wait(slot, d, timed_out.or(next), None)
                    };
                }
                Activity::InputCustomer {
                    parameter,
                    reply,
                    choices,
                    timed_out,
                } => {
                    let (d, replied) = self.customer_reply(service, reply);
                    if !replied {
                        return self.wait(slot, d, timed_out.or(next), None);
                    }
                    // The choice, by the choices' probabilities; the rest of the
                    // probability mass is an answer that matches none (`next`).
                    let u: f64 = self.service_rngs[service as usize].random();
                    let mut acc = 0.0;
                    let picked = choices.iter().find(|c| {
                        acc += c.1;
                        u < acc
                    });
                    let (to, value) = match picked {
                        Some(&(name, _, exit)) => (exit.or(next), Some(ParamValue::Text(name))),
                        None => (next, None),
                    };
                    return self.wait(slot, d, to, parameter.zip(value));
                }
                Activity::SaveToParameter { parameter, value } => {
                    self.set_param(slot, *parameter, *value);
                    goto(self, next);
                }
                Activity::CheckParameter {
                    parameter,
                    rules,
                    default,
                } => {
                    let have = self.param(slot, *parameter);
                    let to = rules
                        .iter()
                        .find(|r| compare(have, r.op, r.value))
                        .map(|r| r.next)
                        .or(*default)
                        .or(next);
                    goto(self, Some(to).flatten());
                }
                Activity::WebRequest { .. } if t.channel == Channel::WhatsApp => {
                    // Interact only: a revision or a transfer brought it in.
                    return self.fail_at(slot, step_id);
                }
                Activity::WebRequest {
                    latency,
                    failure_probability,
                    failure,
                } => {
                    let rng = &mut self.service_rngs[service as usize];
                    let d = latency.sample(rng);
                    let failed =
                        *failure_probability > 0.0 && rng.random::<f64>() < *failure_probability;
                    let to = if failed { failure.or(next) } else { next };
                    return self.wait(slot, d, to, None);
                }
                Activity::Disconnect => {
                    self.leave_queue_without_user(slot);
                    let t = &self.tasks[slot as usize];
                    let outcome = t
                        .cursor
                        .cancelled
                        .unwrap_or(Outcome::DisconnectedByWorkflow);
                    return self.end_task(slot, outcome);
                }
                Activity::Transfer { service: to } => self.transfer(slot, *to),
                Activity::CheckOpeningHours { exits } => {
                    let svc = &scn.services[service as usize];
                    let cal = |c: Option<u32>| c.map(|i| &scn.calendars[i as usize]);
                    let exit = check_opening_hours(
                        cal(svc.calendar),
                        cal(svc.secondary_calendar),
                        &scn.clock,
                        self.now,
                    );
                    let i = match exit {
                        crate::model::calendar::HoursExit::Open => 0,
                        crate::model::calendar::HoursExit::Closed => 1,
                        crate::model::calendar::HoursExit::Holiday => 2,
                        crate::model::calendar::HoursExit::Special(k) => 2 + k as usize,
                        crate::model::calendar::HoursExit::Default => 7,
                    };
                    goto(self, exits[i].or(next));
                }
                Activity::AvailabilityBasedRouting { exits } => {
                    let (online, selectable) = self.router.active_members(service);
                    let i = if selectable > 0 {
                        0
                    } else if online > 0 {
                        1
                    } else {
                        2
                    };
                    goto(self, exits[i].or(next));
                }
                Activity::GetAvailableUsers { parameter } => {
                    let n = self.router.selectable_users(service);
                    self.set_param(slot, *parameter, ParamValue::Number(n as f64));
                    goto(self, next);
                }
                Activity::GetQueuePosition { parameter } => {
                    let pos = self.router.position(slot).unwrap_or(0);
                    let t = &mut self.tasks[slot as usize];
                    if pos > 0 && (t.n_told as usize) < t.told.len() {
                        t.told[t.n_told as usize] = pos.min(u16::MAX as u32) as u16;
                        t.n_told += 1;
                    }
                    if let Some(p) = parameter {
                        self.set_param(slot, *p, ParamValue::Number(pos as f64));
                    }
                    goto(self, next);
                }
                Activity::QueueTask {
                    priority,
                    broadcast,
                    ring_timeout,
                } => {
                    goto(self, next);
                    if !self.tasks[slot as usize].cursor.queued {
                        self.enqueue(slot, *priority, *broadcast, *ring_timeout);
                    }
                }
                Activity::DistributionPriority { priority } => {
                    self.tasks[slot as usize].priority = *priority;
                    self.router.set_priority(slot, *priority);
                    self.drain_actions();
                    goto(self, next);
                }
                Activity::CheckTask { exits } => {
                    let i = match self.router.task_state(slot) {
                        TaskState::Waiting => 0,
                        TaskState::Ringing => 1,
                        TaskState::Connected => 2,
                        TaskState::Idle => 3,
                    };
                    goto(self, exits[i].or(next));
                }
                Activity::CancelTask => {
                    let state = self.router.task_state(slot);
                    if matches!(state, TaskState::Waiting | TaskState::Ringing) {
                        self.leave_queue_without_user(slot);
                        self.tasks[slot as usize].cursor.cancelled =
                            Some(if state == TaskState::Ringing {
                                Outcome::Abandoned
                            } else {
                                Outcome::Cancelled
                            });
                    }
                    goto(self, next);
                }
                Activity::Unsupported(_) => return self.fail_at(slot, step_id),
            }
        }
        // Validation refuses zero-time cycles; one slipped through (e.g. a
        // delay that happened to draw 0 every time). End it as Failed.
        self.fail_at(slot, u32::MAX);
    }

    /// The session fails at `step` (u32::MAX: a zero-time loop).
    fn fail_at(&mut self, slot: u32, step: StepId) {
        self.leave_queue_without_user(slot);
        self.tasks[slot as usize].failed_step = step;
        self.end_task(slot, Outcome::Failed);
    }

    /// Queue Task: puts the task in its service's queue and distributes it.
    fn enqueue(
        &mut self,
        slot: u32,
        priority: Option<Priority>,
        broadcast: bool,
        ring_timeout: Option<Time>,
    ) {
        let t = &mut self.tasks[slot as usize];
        t.cursor.queued = true;
        if let Some(p) = priority {
            t.priority = p;
        }
        t.ring_timeout = ring_timeout.unwrap_or(NEVER);
        t.queued_at = self.now;
        let (service, priority, preferred, measured) =
            (t.service, t.priority, t.preferred, t.measured);
        if measured {
            self.interval[service as usize].queued += 1;
        }
        let kind = if broadcast {
            DistributionType::Broadcast
        } else {
            DistributionType::Direct
        };
        let pos = self
            .router
            .enqueue(slot, service, priority, kind, preferred, self.now);
        self.tasks[slot as usize].position = pos;
        self.drain_actions();
        if self.router.task_state(slot) != TaskState::Connected {
            self.ensure_patience(slot);
        }
    }

    /// The workflow ran off its last step: a queued task keeps waiting;
    /// otherwise the session ends (handled by the system).
    fn workflow_ran_out(&mut self, slot: u32) {
        self.tasks[slot as usize].cursor.stopped = true;
        if matches!(
            self.router.task_state(slot),
            TaskState::Waiting | TaskState::Ringing
        ) {
            return;
        }
        let outcome = self.tasks[slot as usize]
            .cursor
            .cancelled
            .unwrap_or(Outcome::DisconnectedByWorkflow);
        self.end_task(slot, outcome);
    }

    /// Transfer: this service session ends as TransferredByWorkflow; the task
    /// starts a new session in the target service's workflow.
    fn transfer(&mut self, slot: u32, to: ServiceId) {
        self.leave_queue_without_user(slot);
        let t = self.tasks[slot as usize];
        if t.measured {
            self.tally[t.service as usize].transferred += 1;
            self.tally[to as usize].offered += 1;
            self.interval[to as usize].offered += 1;
        }
        self.emit_session(slot, Outcome::TransferredByWorkflow, Some(to));
        let svc = &self.scn.services[to as usize];
        let t = &mut self.tasks[slot as usize];
        t.service = to;
        t.priority = svc.default_priority;
        t.session_start = self.now;
        t.queued_at = NEVER;
        t.position = 0;
        t.offers = 0;
        t.ronas = 0;
        t.n_told = 0;
        self.begin_workflow(slot, to);
    }
}
