//! The discrete-event loop: one replication on one thread. It owns the clock,
//! the random streams and the tasks; it feeds the router events in virtual
//! time and turns the router's actions into future events. No I/O: records go
//! to a `Sinks` implementation.

mod arrivals;
mod drive;
pub mod events;
mod presence;
pub mod sink;
mod tally;
mod workflow;

use rand::Rng as _;

use crate::behavior::rng::{stream, Rng, StreamKind};
use crate::model::civil::DAY;
use crate::model::time::{to_secs_f64, Time};
use crate::model::{
    Channel, Outcome, ParamValue, Priority, Scenario, ServiceId, StepId, UserId, WorkflowId,
    UNLIMITED,
};
use crate::routing::{Action, Router, TaskState};
use crate::stats::timeweighted::TimeWeighted;
use crate::stats::{Occupancy, RepResult, Tally, UserRow};
use crate::workflow::Cursor;
use arrivals::ArrivalGen;
pub use arrivals::{mean_rate, rate_at};
pub use drive::Step;
use events::{Event, EventQueue};
use presence::PresenceState;
use sink::{IntervalRecord, SessionBrief, SessionRecord, Sinks};
use tally::{IntervalTally, UserTally, Window};

const NONE: u32 = u32::MAX;
const NEVER: Time = Time::MAX;

/// How long after the measured window tasks may still drain before the run
/// stops and closes them as Cancelled (e.g. a queue nobody ever serves).
pub const DRAIN_LIMIT: Time = 7 * DAY;

#[derive(Debug, Clone, Copy)]
struct TaskRec {
    id: u64,
    gen: u32,
    service: ServiceId,
    channel: Channel,
    priority: Priority,
    preferred: Option<u32>,
    /// When the customer wrote (patience counts from here).
    arrived: Time,
    /// When this service session started (arrival, or a transfer).
    session_start: Time,
    handle: Time,
    patience: Time,
    cursor: Cursor,
    queued_at: Time,
    position: u32,
    user: UserId,
    accepted_at: Time,
    offers: u32,
    ronas: u32,
    measured: bool,
    alive: bool,
    patience_scheduled: bool,
    /// Queue Task's ring timeout (NEVER: the service's).
    ring_timeout: Time,
    /// Positions told by Get Queue Position.
    told: [u16; 8],
    n_told: u8,
    /// The step a Failed session stopped at (u32::MAX: a zero-time loop).
    failed_step: StepId,
    /// When the task left the queue without a user (NEVER: it did not).
    left_queue_at: Time,
    /// Workflow steps run at the instant `steps_at` (the zero-time guard).
    steps_at: Time,
    steps: u32,
    /// Closed at the drain limit, and why it was still there.
    leftover: Leftover,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leftover {
    No,
    /// In a workflow step or a conversation.
    Busy,
    /// Queued, never offered to anyone.
    NeverOffered,
    /// Queued; every offer was declined or rang out.
    Refused,
}

const LEFTOVER: &str = "still in the system when the simulation stopped (drain limit)";

struct Source {
    rng: Rng,
    gen: ArrivalGen,
    /// Trace row of the pending arrival.
    row: usize,
}

pub struct Sim<'s, S: Sinks> {
    scn: &'s Scenario,
    rep: u32,
    now: Time,
    window: Window,
    events: EventQueue,
    router: Router,
    tasks: Vec<TaskRec>,
    free: Vec<u32>,
    sources: Vec<Source>,
    user_rngs: Vec<Rng>,
    presence_rngs: Vec<Rng>,
    presence: Vec<PresenceState>,
    service_rngs: Vec<Rng>,
    /// Each service's workflow now (revisions change it).
    current_wf: Vec<WorkflowId>,
    /// Task parameters: `scn.parameters.len()` values per task slot.
    params: Vec<ParamValue>,
    next_task: u64,
    next_session: u64,
    live_tasks: u64,
    actions: Vec<Action>,
    tally: Vec<Tally>,
    interval: Vec<IntervalTally>,
    interval_start: Time,
    qlen_total: Vec<TimeWeighted>,
    users: Vec<UserTally>,
    /// Users that are members of each service (for per-service occupancy).
    members: Vec<Vec<UserId>>,
    n_events: u64,
    /// `Router::levels` when `note_levels` last looked (u64::MAX: never).
    noted_levels: u64,
    /// Multiplies every arrival rate (1 in `run`; the load tester's stages).
    rate_scale: f64,
    sinks: S,
}

impl<'s, S: Sinks> Sim<'s, S> {
    pub fn new(scn: &'s Scenario, rep: u32, sinks: S) -> Self {
        let seed = scn.sim.seed;
        let n_svc = scn.services.len();
        let n_users = scn.users.len();
        Sim {
            scn,
            rep,
            now: 0,
            window: Window {
                lo: scn.sim.measure_start(),
                hi: scn.sim.measure_end(),
            },
            events: EventQueue::default(),
            router: Router::new(scn),
            tasks: Vec::new(),
            free: Vec::new(),
            sources: scn
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| Source {
                    rng: stream(seed, rep, StreamKind::Arrivals, i as u32),
                    gen: ArrivalGen::new(s),
                    row: 0,
                })
                .collect(),
            user_rngs: (0..n_users)
                .map(|u| stream(seed, rep, StreamKind::User, u as u32))
                .collect(),
            presence_rngs: (0..n_users)
                .map(|u| stream(seed, rep, StreamKind::Presence, u as u32))
                .collect(),
            presence: vec![PresenceState::default(); n_users],
            service_rngs: (0..n_svc)
                .map(|s| stream(seed, rep, StreamKind::Service, s as u32))
                .collect(),
            current_wf: scn.services.iter().map(|s| s.workflow).collect(),
            params: Vec::new(),
            next_task: 0,
            next_session: 0,
            live_tasks: 0,
            actions: Vec::with_capacity(16),
            tally: (0..=n_svc).map(|_| Tally::default()).collect(),
            interval: (0..n_svc).map(|_| IntervalTally::new()).collect(),
            interval_start: scn.sim.measure_start(),
            qlen_total: vec![TimeWeighted::default(); n_svc + 1],
            users: scn
                .users
                .iter()
                .map(|u| UserTally {
                    capacity: if u.capacity == UNLIMITED {
                        0
                    } else {
                        u.capacity
                    },
                    ..UserTally::default()
                })
                .collect(),
            members: (0..n_svc)
                .map(|s| {
                    (0..n_users as UserId)
                        .filter(|&u| scn.users[u as usize].services.contains(&(s as ServiceId)))
                        .collect()
                })
                .collect(),
            n_events: 0,
            noted_levels: u64::MAX,
            rate_scale: 1.0,
            sinks,
        }
    }

    /// Runs the replication to the end: arrivals stop at the end of the
    /// measured window, then the tasks still in the system drain.
    /// (The load tester drives the same steps on a real-time clock: drive.rs.)
    pub fn run(mut self) -> (RepResult, S) {
        self.begin();
        while self.step().is_some() {}
        self.end()
    }

    fn on_event(&mut self, ev: Event) {
        let t = self.now;
        let live = |s: &Self, slot: u32, gen: u32| s.tasks[slot as usize].gen == gen;
        match ev {
            Event::Arrival(src) => self.on_arrival(src),
            Event::Patience { slot, gen } => {
                if live(self, slot, gen) {
                    self.on_patience(slot);
                }
            }
            Event::Accept { slot, user, round } => {
                // The router checks the offer (slot, round) still stands.
                self.connect(slot, user, round);
            }
            Event::Decline { slot, user, round } => {
                if self.router.decline(slot, user, round, t) {
                    self.end_ring(user);
                    self.users[user as usize].row.declines +=
                        u64::from(self.tasks[slot as usize].measured);
                }
            }
            Event::RingTimeout { slot, user, round } => {
                let broadcast =
                    self.router.kind(slot) == crate::routing::DistributionType::Broadcast;
                if self.router.ring_timeout(slot, user, round, t) {
                    self.end_ring(user);
                    // Broadcast offers have no RONA (DOMAIN.md).
                    if broadcast {
                        return;
                    }
                    let task = &mut self.tasks[slot as usize];
                    task.ronas += 1;
                    if task.measured {
                        self.users[user as usize].row.ronas += 1;
                        self.tally[task.service as usize].ronas += 1;
                    }
                }
            }
            Event::Finish { slot, gen } => {
                if live(self, slot, gen) {
                    self.on_finish(slot);
                }
            }
            Event::PolicyTick { slot, gen } => {
                if live(self, slot, gen) {
                    self.router.policy_tick(slot, t);
                }
            }
            Event::Redistribute { slot, gen } => {
                if live(self, slot, gen) {
                    self.router.redistribute(slot, t);
                }
            }
            Event::AcwEnd(user) => {
                if self.router.acw_end(user, t) {
                    let ut = &mut self.users[user as usize];
                    ut.in_acw = false;
                    ut.row.acw_s += self.window.secs(ut.acw_since, t);
                }
            }
            Event::RonaEnd(user) => {
                if self.router.rona_end(user, t) {
                    self.rona_cleared(user);
                }
            }
            Event::Schedule(user) => self.on_schedule(user),
            Event::PresenceStart { user, change } => self.on_presence_start(user, change),
            Event::PresenceEnd { user, change } => self.on_presence_end(user, change),
            Event::CallStart(user) => self.on_call_start(user),
            Event::CallEnd(user) => self.on_call_end(user),
            Event::WorkflowTimer { slot, gen, wgen } => {
                if live(self, slot, gen) {
                    self.on_workflow_timer(slot, wgen);
                }
            }
            Event::Revision(i) => {
                let r = &self.scn.revisions[i as usize];
                self.current_wf[r.service as usize] = r.workflow;
            }
            Event::IntervalEnd => self.on_interval_end(),
        }
    }

    /// Draws source `src`'s next arrival into its lane of the event list
    /// (replacing the one there: `set_rate_scale` redraws).
    fn schedule_arrival(&mut self, src: u32) {
        let s = &mut self.sources[src as usize];
        let spec = &self.scn.sources[src as usize];
        let scale = self.rate_scale;
        let next = if scale <= 0.0 && !matches!(s.gen, ArrivalGen::Trace { .. }) {
            None // a stage at rate 0: `set_rate_scale` restarts it
        } else {
            s.gen
                .next(spec, &self.scn.clock, self.now, &mut s.rng, scale)
                .filter(|&(t, _)| t < self.window.hi)
        };
        match next {
            Some((t, row)) => {
                s.row = row;
                self.events.set_lane(t, Event::Arrival(src));
            }
            None => self.events.clear_lane(src as usize),
        }
    }

    fn on_arrival(&mut self, src: u32) {
        let row = self.sources[src as usize].row;
        self.schedule_arrival(src);
        let spec = &self.scn.sources[src as usize];
        if let Some(user) = spec.direct_user {
            return self.on_direct_chat(src, user);
        }
        let trace = match &spec.pattern {
            crate::model::ArrivalPattern::Trace(rows) => Some(&rows[row]),
            _ => None,
        };
        // Handle time and patience are drawn at arrival from the source's own
        // stream, so a change to routing leaves the workload identical.
        let rng = &mut self.sources[src as usize].rng;
        let handle = match trace.and_then(|r| r.handle_time) {
            Some(h) => h,
            None => spec.handle_time.as_ref().map_or(0, |d| d.sample(rng)),
        };
        let patience = match trace.and_then(|r| r.patience) {
            Some(p) => p,
            None => spec.patience.as_ref().map_or(NEVER, |p| p.sample(rng)),
        };
        let service = spec.service;
        let svc = &self.scn.services[service as usize];
        let measured = self.now >= self.window.lo;
        // A reused slot keeps counting generations (end_task already moved it on).
        let (slot, gen) = match self.free.pop() {
            Some(slot) => (slot, self.tasks[slot as usize].gen),
            None => (self.tasks.len() as u32, 0),
        };
        let rec = TaskRec {
            id: self.next_task,
            gen,
            service,
            channel: trace.and_then(|r| r.channel).unwrap_or(spec.channel),
            priority: trace
                .and_then(|r| r.priority)
                .or(spec.priority)
                .unwrap_or(svc.default_priority),
            preferred: trace.and_then(|r| r.preferred).or(spec.preferred),
            arrived: self.now,
            session_start: self.now,
            handle,
            patience,
            cursor: Cursor::start(svc.workflow, &self.scn.workflows[svc.workflow as usize]),
            queued_at: NEVER,
            position: 0,
            user: NONE,
            accepted_at: NEVER,
            offers: 0,
            ronas: 0,
            measured,
            alive: true,
            patience_scheduled: false,
            ring_timeout: NEVER,
            told: [0; 8],
            n_told: 0,
            failed_step: 0,
            left_queue_at: NEVER,
            steps_at: NEVER,
            steps: 0,
            leftover: Leftover::No,
        };
        self.next_task += 1;
        self.live_tasks += 1;
        if slot as usize == self.tasks.len() {
            self.tasks.push(rec);
        } else {
            self.tasks[slot as usize] = rec;
        }
        if measured {
            self.tally[service as usize].offered += 1;
            self.interval[service as usize].offered += 1;
        }
        self.start_workflow(slot, service);
    }

    /// Direct contact through Interact: the chat goes straight to the user,
    /// who stays available (a chat does not block); like Nimbus, no service
    /// or user session is reported, only the tenant's `direct` count and the
    /// user's direct chats.
    fn on_direct_chat(&mut self, src: u32, user: UserId) {
        let spec = &self.scn.sources[src as usize];
        let rng = &mut self.sources[src as usize].rng;
        let handle = spec.handle_time.as_ref().map_or(0, |d| d.sample(rng));
        if self.now >= self.window.lo {
            let n = self.scn.services.len();
            self.tally[n].direct += 1;
            let row = &mut self.users[user as usize].row;
            row.direct_chats += 1;
            row.direct_s += self.window.secs(self.now, self.now + handle);
        }
    }

    /// Schedules the customer's hang-up once the task first has to wait.
    fn ensure_patience(&mut self, slot: u32) {
        let t = &mut self.tasks[slot as usize];
        if t.patience_scheduled || t.patience == NEVER {
            return;
        }
        t.patience_scheduled = true;
        let at = t.arrived.saturating_add(t.patience).max(self.now);
        let gen = t.gen;
        self.events.schedule(at, Event::Patience { slot, gen });
    }

    /// Books the queue wait of a task leaving the queue: handled, or not
    /// (hang-up, cancel, transfer, disconnect, failure).
    fn book_queue_wait(&mut self, slot: u32, handled: bool, abandoned: bool) {
        let t = &self.tasks[slot as usize];
        if !t.measured {
            self.tasks[slot as usize].left_queue_at = self.now;
            return;
        }
        let wait = self.now - t.queued_at;
        let service = t.service;
        self.tasks[slot as usize].left_queue_at = self.now;
        let in_sla = handled && wait <= self.scn.services[service as usize].sla;
        let tl = &mut self.tally[service as usize];
        tl.queued += 1;
        tl.record_wait(wait);
        if handled {
            tl.handled += 1;
            tl.wait_sum_handled += wait as u128;
            tl.handled_in_sla += u64::from(in_sla);
        }
        tl.abandoned += u64::from(abandoned);
        let it = &mut self.interval[service as usize];
        it.handled += u64::from(handled);
        it.abandoned += u64::from(abandoned);
        it.left_queue(wait, in_sla);
    }

    /// Takes a task out of the queue for a reason other than a user or the
    /// customer (cancel, transfer, disconnect, failure).
    fn leave_queue_without_user(&mut self, slot: u32) {
        if matches!(
            self.router.remove(slot, self.now),
            TaskState::Waiting | TaskState::Ringing
        ) {
            self.book_queue_wait(slot, false, false);
            self.drain_actions();
        }
    }

    fn drain_actions(&mut self) {
        if !self.router.has_actions() {
            return;
        }
        let mut buf = std::mem::take(&mut self.actions);
        loop {
            self.router.take_actions(&mut buf);
            if buf.is_empty() {
                break;
            }
            for &a in &buf {
                match a {
                    Action::Offer { slot, user, round } => self.on_offer(slot, user, round),
                    Action::Withdraw { user, .. } => self.end_ring(user),
                    Action::AcwUntil { user, until } => {
                        let ut = &mut self.users[user as usize];
                        if !ut.in_acw {
                            ut.in_acw = true;
                            ut.acw_since = self.now;
                        }
                        self.events.schedule(until, Event::AcwEnd(user));
                    }
                    Action::RonaUntil { user, until } => {
                        let ut = &mut self.users[user as usize];
                        if !ut.in_rona {
                            ut.in_rona = true;
                            ut.rona_since = self.now;
                        }
                        self.events.schedule(until, Event::RonaEnd(user));
                    }
                    Action::PolicyTimer { slot, at } => {
                        let gen = self.tasks[slot as usize].gen;
                        self.events.schedule(at, Event::PolicyTick { slot, gen });
                    }
                    Action::RedistributeAt { slot, at } => {
                        let gen = self.tasks[slot as usize].gen;
                        self.events.schedule(at, Event::Redistribute { slot, gen });
                    }
                }
            }
        }
        self.actions = buf;
    }

    /// The user's answer to an offer is drawn now from the user's stream:
    /// decline, no answer (the ring timeout decides) or accept, after the
    /// accept delay.
    fn on_offer(&mut self, slot: u32, user: UserId, round: u32) {
        let t = &mut self.tasks[slot as usize];
        t.offers += 1;
        let service = t.service;
        self.users[user as usize].row.offers += u64::from(t.measured);
        self.users[user as usize].ring_since = self.now;
        let spec = &self.scn.users[user as usize];
        let rng = &mut self.user_rngs[user as usize];
        let delay = spec.accept_delay.sample(rng);
        let answer: f64 = if spec.decline_probability > 0.0 || spec.no_answer_probability > 0.0 {
            rng.random()
        } else {
            1.0
        };
        let declines = answer < spec.decline_probability;
        let accepts = answer >= spec.decline_probability + spec.no_answer_probability;
        if accepts && delay == 0 {
            return self.connect(slot, user, round);
        }
        let timeout = match self.tasks[slot as usize].ring_timeout {
            NEVER => self.scn.services[service as usize].ring_timeout,
            own => own,
        };
        // Whichever of the answer and the ring timeout comes first ends the
        // offer (the answer wins a tie); the other would find the offer gone
        // and do nothing, so only the first is scheduled. (A year of a large
        // tenant had a no-op ring timeout for nearly every accepted chat.)
        if (declines || accepts) && delay <= timeout {
            let at = self.now + delay;
            let answer = if accepts {
                Event::Accept { slot, user, round }
            } else {
                Event::Decline { slot, user, round }
            };
            self.events.schedule(at, answer);
        } else {
            self.events
                .schedule(self.now + timeout, Event::RingTimeout { slot, user, round });
        }
    }

    /// The router cleared a user's RONA flag (reset, Offline or Off Duty).
    fn rona_cleared(&mut self, user: UserId) {
        let ut = &mut self.users[user as usize];
        if ut.in_rona {
            ut.in_rona = false;
            ut.row.rona_s += self.window.secs(ut.rona_since, self.now);
        }
    }

    fn end_ring(&mut self, user: UserId) {
        let ut = &mut self.users[user as usize];
        // An offer accepted at once rang for no time: skip the division.
        if ut.ring_since != self.now {
            ut.row.ringing_s += self.window.secs(ut.ring_since, self.now);
        }
    }

    fn connect(&mut self, slot: u32, user: UserId, round: u32) {
        let now = self.now;
        if !self.router.accept(slot, user, round, now) {
            return;
        }
        self.end_ring(user);
        let load = self.router.user_load(user);
        let spec = &self.scn.users[user as usize];
        let t = &mut self.tasks[slot as usize];
        t.accepted_at = now;
        t.user = user;
        // Concurrent chats may stretch the handle time.
        let factor = match spec.stretch.len() {
            0 => 1.0,
            n => spec.stretch[(load as usize).saturating_sub(1).min(n - 1)],
        };
        let handle = if factor == 1.0 {
            t.handle
        } else {
            (t.handle as f64 * factor).round() as Time
        };
        // The conversation belongs to the user now: the workflow stops.
        t.cursor.stopped = true;
        t.cursor.gen = t.cursor.gen.wrapping_add(1);
        let gen = t.gen;
        self.events
            .schedule(now + handle, Event::Finish { slot, gen });
        let (w, is) = (self.window, self.interval_start);
        let ut = &mut self.users[user as usize];
        ut.set_load(w, is, now, load);
        if load == 1 {
            ut.busy_since = now;
        }
        self.book_queue_wait(slot, true, false);
    }

    fn on_finish(&mut self, slot: u32) {
        let user = self.tasks[slot as usize].user;
        self.router.finish(slot, self.now);
        let (now, w) = (self.now, self.window);
        let t = &self.tasks[slot as usize];
        let (measured, service, accepted_at) = (t.measured, t.service, t.accepted_at);
        let u = &mut self.users[user as usize];
        if measured {
            u.row.sessions += 1;
            self.tally[service as usize].connected_sum += (now - accepted_at) as u128;
        }
        u.row.connected_s += w.secs(accepted_at, now);
        let load = self.router.user_load(user);
        u.set_load(w, self.interval_start, now, load);
        if load == 0 {
            u.row.busy_s += w.secs(u.busy_since, now);
        }
        self.end_task(slot, Outcome::UserAccepted);
    }

    /// The customer's patience ran out: where the task is decides the outcome.
    fn on_patience(&mut self, slot: u32) {
        let state = self.router.task_state(slot);
        let c = self.tasks[slot as usize].cursor;
        let outcome = match state {
            TaskState::Connected => return,
            TaskState::Waiting | TaskState::Ringing => {
                self.router.remove(slot, self.now);
                self.book_queue_wait(slot, false, true);
                Outcome::CustomerHangupInQueue
            }
            TaskState::Idle if !c.accepted => Outcome::CustomerHangupBeforeAccept,
            TaskState::Idle if !c.queued => Outcome::CustomerHangupInWorkflow,
            TaskState::Idle => Outcome::CustomerHangupInWorkflowAfterQueue,
        };
        self.end_task(slot, outcome);
    }

    /// Closes tasks still in the system when the run stopped at the drain
    /// limit: nobody could ever serve them.
    fn close_leftovers(&mut self) {
        for slot in 0..self.tasks.len() as u32 {
            if !self.tasks[slot as usize].alive {
                continue;
            }
            let state = self.router.task_state(slot);
            let t = &mut self.tasks[slot as usize];
            t.leftover = match state {
                TaskState::Waiting | TaskState::Ringing if t.offers == 0 => Leftover::NeverOffered,
                TaskState::Waiting | TaskState::Ringing => Leftover::Refused,
                _ => Leftover::Busy,
            };
            if state == TaskState::Connected {
                self.router.finish(slot, self.now);
                let u = self.tasks[slot as usize].user;
                let load = self.router.user_load(u);
                let (w, is, now) = (self.window, self.interval_start, self.now);
                self.users[u as usize].set_load(w, is, now, load);
            } else {
                self.leave_queue_without_user(slot);
            }
            self.end_task(slot, Outcome::Cancelled);
        }
    }

    /// Ends the task's service session and the task: one record, then the
    /// slot is free.
    fn end_task(&mut self, slot: u32, outcome: Outcome) {
        let t = &mut self.tasks[slot as usize];
        t.cursor.stopped = true;
        if t.measured {
            let tl = &mut self.tally[t.service as usize];
            match outcome {
                Outcome::Failed => {
                    tl.failed += 1;
                    self.interval[t.service as usize].failed += 1;
                }
                Outcome::Cancelled => tl.cancelled += 1,
                _ => {}
            }
        }
        self.emit_session(slot, outcome, None);
        let t = &mut self.tasks[slot as usize];
        self.live_tasks -= 1;
        self.free.push(slot);
        t.gen = t.gen.wrapping_add(1);
        t.alive = false;
    }

    /// Writes the service session record of a task (if measured), or its
    /// brief to sinks that want only that.
    fn emit_session(&mut self, slot: u32, outcome: Outcome, transferred_to: Option<ServiceId>) {
        let t = &self.tasks[slot as usize];
        let (sessions, briefs) = (self.sinks.wants_sessions(), self.sinks.wants_briefs());
        if !t.measured || !(sessions || briefs) {
            return;
        }
        let queued = (t.queued_at != NEVER).then_some(t.queued_at);
        let accepted = (t.accepted_at != NEVER).then_some(t.accepted_at);
        // The wait ends when the task left the queue: accepted, or this moment.
        let left_queue = accepted.unwrap_or(t.left_queue_at.min(self.now));
        let wait = queued.map(|q| left_queue - q);
        if briefs {
            self.sinks.brief(&SessionBrief {
                service: t.service,
                arrived: t.session_start,
                wait,
                accepted: accepted.is_some(),
                outcome,
            });
        }
        if !sessions {
            return;
        }
        let scn = self.scn;
        let svc = &scn.services[t.service as usize];
        let failure = (outcome == Outcome::Failed).then(|| {
            let wf = &scn.workflows[t.cursor.workflow as usize];
            match wf.steps.get(t.failed_step as usize) {
                Some(step) => match &step.activity {
                    crate::model::Activity::Unsupported(a) => format!(
                        "workflow `{}` step `{}`: activity `{a}` is not supported for IM",
                        wf.name, step.name
                    ),
                    crate::model::Activity::WebRequest { .. } => format!(
                        "workflow `{}` step `{}`: web_request is supported on Interact only, not for {} sessions",
                        wf.name, step.name, t.channel.name()
                    ),
                    _ => format!("workflow `{}` step `{}`", wf.name, step.name),
                },
                None => format!(
                    "looped without time passing: {} workflow steps at one instant (transfers included), the last in workflow `{}`",
                    workflow::STEP_BUDGET, wf.name
                ),
            }
        });
        let failure = failure.or_else(|| match t.leftover {
            Leftover::No => None,
            Leftover::Busy => Some(LEFTOVER.to_string()),
            Leftover::NeverOffered => Some(format!(
                "{LEFTOVER}: queued and never offered, no user of service `{}` was ever selectable for it",
                svc.name
            )),
            Leftover::Refused => Some(format!(
                "{LEFTOVER}: queued, and each of its {} offers was declined or rang out",
                t.offers
            )),
        });
        let rec = SessionRecord {
            scn,
            replication: self.rep,
            session_id: self.next_session,
            task_id: t.id,
            service: t.service,
            channel: t.channel,
            priority: t.priority,
            arrived: t.session_start,
            queued,
            queue_position: queued.map(|_| t.position),
            user: accepted.map(|_| t.user),
            accepted,
            wait,
            ended: self.now,
            outcome,
            offers: t.offers,
            ronas: t.ronas,
            transferred_to,
            failure_reason: failure.as_deref(),
            positions_told: &t.told[..t.n_told as usize],
            origin: self.window.lo,
        };
        self.next_session += 1;
        self.sinks.session(&rec);
    }

    /// Keeps the time-weighted queue lengths and selectable-user counts current.
    fn note_levels(&mut self) {
        #[cfg(test)]
        self.router.assert_counts();
        if self.now < self.window.lo {
            return;
        }
        // Most events (workflow timers, position messages) change no level.
        let levels = self.router.levels();
        if levels == self.noted_levels {
            #[cfg(test)]
            self.assert_levels_noted();
            return;
        }
        self.noted_levels = levels;
        let now = self.now.min(self.window.hi);
        let mut total = 0;
        for s in 0..self.interval.len() {
            let q = self.router.queue_len(s as ServiceId);
            total += q;
            self.interval[s].qlen.set(now, q);
            self.qlen_total[s].set(now, q);
            self.interval[s]
                .selectable
                .set(now, self.router.selectable_users(s as ServiceId));
        }
        let n = self.interval.len();
        self.qlen_total[n].set(now, total);
    }

    /// Test builds: `Router::levels` unchanged means every level is as noted.
    #[cfg(test)]
    fn assert_levels_noted(&self) {
        for s in 0..self.interval.len() {
            let it = &self.interval[s];
            let svc = s as ServiceId;
            assert_eq!(
                it.qlen.value(),
                self.router.queue_len(svc),
                "queue length at {}",
                self.now
            );
            assert_eq!(
                it.selectable.value(),
                self.router.selectable_users(svc),
                "selectable users at {}",
                self.now
            );
        }
    }

    fn on_interval_end(&mut self) {
        let now = self.now;
        if now == self.window.lo {
            // Warm-up over: start measuring from here.
            for it in &mut self.interval {
                it.qlen.take(now);
                it.selectable.take(now);
                it.reset_counts();
            }
            for tw in &mut self.qlen_total {
                tw.take(now);
            }
        } else {
            self.emit_intervals(now);
        }
        self.interval_start = now;
        if now < self.window.hi {
            let next = (now + self.scn.sim.interval).min(self.window.hi);
            self.events.schedule(next, Event::IntervalEnd);
        }
    }

    fn emit_intervals(&mut self, now: Time) {
        let len = now - self.interval_start;
        let w = self.window;
        // Staffed time and chat holding of the interval, open spans up to now.
        for ut in &mut self.users {
            ut.account(w, self.interval_start, now);
        }
        for s in 0..self.interval.len() {
            let it = &mut self.interval[s];
            let (qa, qmax) = it.qlen.take(now);
            let (sa, _) = it.selectable.take(now);
            let mut occ = Occupancy::default();
            for &u in &self.members[s] {
                occ.add(&self.users[u as usize].occ_interval);
            }
            let ratio = |a: u64, b: u64| {
                if b == 0 {
                    f64::NAN
                } else {
                    a as f64 / b as f64
                }
            };
            let rec = IntervalRecord {
                replication: self.rep,
                service: &self.scn.services[s].name,
                start_s: to_secs_f64(self.interval_start - w.lo),
                start_local: self.scn.clock.civil(self.interval_start),
                offered: it.offered,
                queued: it.queued,
                handled: it.handled,
                abandoned: it.abandoned,
                failed: it.failed,
                service_level: ratio(it.in_sla, it.left_queue),
                mean_wait_s: if it.left_queue == 0 {
                    f64::NAN
                } else {
                    it.wait_sum as f64 / it.left_queue as f64 / 1e6
                },
                wait_p90_s: it.wait_p90().map_or(f64::NAN, to_secs_f64),
                mean_queue_length: if len == 0 {
                    f64::NAN
                } else {
                    qa as f64 / len as f64
                },
                max_queue_length: qmax,
                selectable_users: if len == 0 {
                    f64::NAN
                } else {
                    sa as f64 / len as f64
                },
                engaged: occ.engaged(),
                slot_occupancy: occ.slot_occupancy(),
            };
            self.sinks.interval(&rec);
            it.reset_counts();
        }
        for ut in &mut self.users {
            ut.occ_interval = Occupancy::default();
        }
    }

    fn finish(&mut self) -> RepResult {
        let w = self.window;
        let end = self.now.max(w.hi);
        // Close the open presence periods at the end of the window.
        for ut in &mut self.users {
            if let Some(p) = ut.presence {
                ut.presence_change(w, self.interval_start, end, p);
            }
            if ut.in_acw {
                ut.row.acw_s += w.secs(ut.acw_since, end);
            }
            if ut.in_rona {
                ut.row.rona_s += w.secs(ut.rona_since, end);
            }
        }
        for (u, ps) in self.presence.iter().enumerate() {
            if ps.in_call {
                let ut = &mut self.users[u];
                ut.row.in_call_s += w.secs(ut.call_since, end);
            }
        }
        let window = w.hi - w.lo;
        let n_svc = self.scn.services.len();
        let mut metrics = Vec::with_capacity(n_svc + 1);
        let mut total = Tally::default();
        // (Closing the presence periods booked the open chat-holding spans.)
        let users = &self.users;
        let occupancy = |members: &mut dyn Iterator<Item = usize>| {
            let mut o = Occupancy::default();
            members.for_each(|u| o.add(&users[u].occ));
            o
        };
        for s in 0..n_svc {
            let (area, max) = self.qlen_total[s].take(w.hi);
            let occ = occupancy(&mut self.members[s].iter().map(|&u| u as usize));
            metrics.push(self.tally[s].metrics(area, max, window, occ));
            total.merge(&self.tally[s]);
        }
        let (area, max) = self.qlen_total[n_svc].take(w.hi);
        let occ =
            occupancy(&mut (0..users.len()).filter(|&u| !self.scn.users[u].services.is_empty()));
        total.direct = self.tally[n_svc].direct;
        metrics.push(total.metrics(area, max, window, occ));
        let rows = users
            .iter()
            .map(|ut| UserRow {
                occ: ut.occ,
                ..ut.row.clone()
            })
            .collect();
        RepResult {
            replication: self.rep,
            metrics,
            users: rows,
            events: self.n_events,
            tasks: self.next_task,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::sink::NullSinks;

    /// `note_levels` skips events after which `Router::levels` has not
    /// moved; `assert_levels_noted` checks on every skip that no queue
    /// length or selectable count changed unseen, here over the examples'
    /// workflows, transfers, priorities, declines, breaks and presence.
    #[test]
    fn skipped_level_notes_miss_no_change() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut runs = 0;
        for entry in std::fs::read_dir(&dir).expect("scenarios/") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "toml") {
                continue;
            }
            let sets = ["simulation.duration=\"1d\"".to_string()];
            let scn = crate::scenario::load(&path, &sets)
                .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
                .scenario;
            let (res, _) = Sim::new(&scn, 0, NullSinks).run();
            assert!(res.events > 0, "{}", path.display());
            runs += 1;
        }
        assert!(runs >= 5, "only {runs} example scenarios");
    }
}
