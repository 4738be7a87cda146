//! The discrete-event loop: one replication on one thread. It owns the clock,
//! the random streams and the tasks; it feeds the router events in virtual
//! time and turns the router's actions into future events. No I/O: records go
//! to a `Sinks` implementation.

pub mod events;
pub mod sink;

use rand_distr::{Distribution, Exp};

use crate::behavior::rng::{stream, Rng, StreamKind};
use crate::model::time::{to_secs_f64, Time};
use crate::model::{Channel, Outcome, Priority, Scenario, ServiceId, UserId};
use crate::routing::{Action, Router, TaskState};
use crate::stats::timeweighted::{clipped, TimeWeighted};
use crate::stats::{record, wait_histogram, RepResult, Tally, UserRow};
use crate::workflow::{Cursor, Next};
use events::{Event, EventQueue};
use sink::{IntervalRecord, SessionRecord, Sinks};

const NONE: u32 = u32::MAX;
const NEVER: Time = Time::MAX;

#[derive(Debug, Clone, Copy)]
struct TaskRec {
    id: u64,
    gen: u32,
    service: ServiceId,
    channel: Channel,
    priority: Priority,
    arrived: Time,
    handle: Time,
    patience: Time,
    cursor: Cursor,
    queued_at: Time,
    position: u32,
    user: UserId,
    ring_start: Time,
    accepted_at: Time,
    offers: u32,
    measured: bool,
}

struct Source {
    rng: Rng,
    gap: Exp<f64>,
}

/// Per-service figures of the current reporting interval.
struct IntervalTally {
    offered: u64,
    queued: u64,
    handled: u64,
    abandoned: u64,
    failed: u64,
    left_queue: u64,
    in_sla: u64,
    wait_sum: u128,
    waits: hdrhistogram::Histogram<u64>,
    qlen: TimeWeighted,
    selectable: TimeWeighted,
}

impl IntervalTally {
    fn new() -> Self {
        IntervalTally {
            offered: 0,
            queued: 0,
            handled: 0,
            abandoned: 0,
            failed: 0,
            left_queue: 0,
            in_sla: 0,
            wait_sum: 0,
            waits: wait_histogram(),
            qlen: TimeWeighted::default(),
            selectable: TimeWeighted::default(),
        }
    }
    fn reset_counts(&mut self) {
        self.offered = 0;
        self.queued = 0;
        self.handled = 0;
        self.abandoned = 0;
        self.failed = 0;
        self.left_queue = 0;
        self.in_sla = 0;
        self.wait_sum = 0;
        self.waits.reset();
    }
}

#[derive(Default, Clone)]
struct UserTally {
    row: UserRow,
    busy_since: Time,
    acw_since: Time,
    in_acw: bool,
    busy_interval: Time,
}

pub struct Sim<'s, S: Sinks> {
    scn: &'s Scenario,
    rep: u32,
    now: Time,
    start: Time,
    end: Time,
    events: EventQueue,
    router: Router,
    tasks: Vec<TaskRec>,
    free: Vec<u32>,
    sources: Vec<Source>,
    user_rngs: Vec<Rng>,
    next_task: u64,
    next_session: u64,
    live_tasks: u64,
    actions: Vec<crate::routing::Action>,
    tally: Vec<Tally>,
    interval: Vec<IntervalTally>,
    interval_start: Time,
    qlen_total: Vec<TimeWeighted>,
    users: Vec<UserTally>,
    /// Users that are members of each service (for per-service occupancy).
    members: Vec<Vec<UserId>>,
    busy_buf: Vec<Time>,
    n_events: u64,
    sinks: S,
}

impl<'s, S: Sinks> Sim<'s, S> {
    pub fn new(scn: &'s Scenario, rep: u32, sinks: S) -> Self {
        let seed = scn.sim.seed;
        let n_svc = scn.services.len();
        Sim {
            scn,
            rep,
            now: 0,
            start: scn.sim.measure_start(),
            end: scn.sim.measure_end(),
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
                    gap: Exp::new(s.rate_per_s).expect("rates are validated positive"),
                })
                .collect(),
            user_rngs: (0..scn.users.len())
                .map(|u| stream(seed, rep, StreamKind::User, u as u32))
                .collect(),
            next_task: 0,
            next_session: 0,
            live_tasks: 0,
            actions: Vec::with_capacity(16),
            tally: (0..=n_svc).map(|_| Tally::default()).collect(),
            interval: (0..n_svc).map(|_| IntervalTally::new()).collect(),
            interval_start: scn.sim.measure_start(),
            qlen_total: vec![TimeWeighted::default(); n_svc + 1],
            users: vec![UserTally::default(); scn.users.len()],
            members: (0..n_svc)
                .map(|s| {
                    (0..scn.users.len() as UserId)
                        .filter(|&u| scn.users[u as usize].services.contains(&(s as ServiceId)))
                        .collect()
                })
                .collect(),
            busy_buf: vec![0; scn.users.len()],
            n_events: 0,
            sinks,
        }
    }

    /// Runs the replication to the end: arrivals stop at the end of the
    /// measured window, then the tasks still in the system drain.
    pub fn run(mut self) -> (RepResult, S) {
        for i in 0..self.sources.len() {
            self.schedule_arrival(i as u32);
        }
        self.events.schedule(self.start, Event::IntervalEnd);
        while let Some((t, ev)) = self.events.pop() {
            self.now = t;
            self.n_events += 1;
            match ev {
                Event::Arrival(src) => self.on_arrival(src),
                Event::Patience { slot, gen } => self.on_patience(slot, gen),
                Event::Accept { slot, gen, user } => {
                    if self.tasks[slot as usize].gen == gen {
                        self.connect(slot, user);
                    }
                }
                Event::Finish { slot, gen } => {
                    if self.tasks[slot as usize].gen == gen {
                        self.on_finish(slot);
                    }
                }
                Event::AcwEnd(user) => {
                    if self.router.acw_end(user, t) {
                        let ut = &mut self.users[user as usize];
                        ut.in_acw = false;
                        ut.row.acw_s += to_secs_f64(clipped(ut.acw_since, t, self.start, self.end));
                    }
                }
                Event::IntervalEnd => self.on_interval_end(),
            }
            self.drain_actions();
            self.note_levels();
        }
        debug_assert_eq!(self.live_tasks, 0, "every task ends");
        let result = self.finish();
        (result, self.sinks)
    }

    fn schedule_arrival(&mut self, src: u32) {
        let s = &mut self.sources[src as usize];
        let gap = crate::model::time::from_secs_f64(s.gap.sample(&mut s.rng));
        let t = self.now + gap.max(1);
        if t < self.end {
            self.events.schedule(t, Event::Arrival(src));
        }
    }

    fn on_arrival(&mut self, src: u32) {
        self.schedule_arrival(src);
        let spec = &self.scn.sources[src as usize];
        // Handle time and patience are drawn at arrival from the source's own
        // stream, so a change to routing leaves the workload identical.
        let rng = &mut self.sources[src as usize].rng;
        let handle = spec.handle_time.sample(rng);
        let patience = spec.patience.as_ref().map_or(NEVER, |p| p.sample(rng));
        let service = spec.service;
        let svc = &self.scn.services[service as usize];
        let measured = self.now >= self.start;
        let rec = TaskRec {
            id: self.next_task,
            gen: 0,
            service,
            channel: spec.channel,
            priority: spec.priority.unwrap_or(svc.default_priority),
            arrived: self.now,
            handle,
            patience,
            cursor: Cursor::start(&self.scn.workflows[svc.workflow as usize]),
            queued_at: NEVER,
            position: 0,
            user: NONE,
            ring_start: NEVER,
            accepted_at: NEVER,
            offers: 0,
            measured,
        };
        self.next_task += 1;
        self.live_tasks += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                let gen = self.tasks[slot as usize].gen.wrapping_add(1);
                self.tasks[slot as usize] = TaskRec { gen, ..rec };
                slot
            }
            None => {
                self.tasks.push(rec);
                (self.tasks.len() - 1) as u32
            }
        };
        if measured {
            self.tally[service as usize].offered += 1;
            self.interval[service as usize].offered += 1;
        }
        self.run_workflow(slot);
    }

    fn run_workflow(&mut self, slot: u32) {
        let t = &mut self.tasks[slot as usize];
        let wf = &self.scn.workflows[self.scn.services[t.service as usize].workflow as usize];
        match t.cursor.advance(wf) {
            Next::Enqueue { priority } => {
                if let Some(p) = priority {
                    t.priority = p;
                }
                t.queued_at = self.now;
                let (service, priority, measured) = (t.service, t.priority, t.measured);
                if measured {
                    self.interval[service as usize].queued += 1;
                }
                let pos = self.router.enqueue(slot, service, priority, self.now);
                self.tasks[slot as usize].position = pos;
                self.drain_actions();
                let t = &self.tasks[slot as usize];
                if self.router.task_state(slot) != TaskState::Connected && t.patience != NEVER {
                    let at = (t.arrived.saturating_add(t.patience)).max(self.now);
                    let gen = t.gen;
                    self.events.schedule(at, Event::Patience { slot, gen });
                }
            }
            Next::End => self.end_task(slot, Outcome::DisconnectedByWorkflow),
        }
    }

    fn drain_actions(&mut self) {
        let mut buf = std::mem::take(&mut self.actions);
        loop {
            self.router.take_actions(&mut buf);
            if buf.is_empty() {
                break;
            }
            for &a in &buf {
                match a {
                    Action::Offer { slot, user } => self.on_offer(slot, user),
                    Action::AcwUntil { user, until } => {
                        let ut = &mut self.users[user as usize];
                        if !ut.in_acw {
                            ut.in_acw = true;
                            ut.acw_since = self.now;
                        }
                        self.events.schedule(until, Event::AcwEnd(user));
                    }
                }
            }
        }
        self.actions = buf;
    }

    fn on_offer(&mut self, slot: u32, user: UserId) {
        let t = &mut self.tasks[slot as usize];
        t.offers += 1;
        t.user = user;
        t.ring_start = self.now;
        let gen = t.gen;
        self.users[user as usize].row.offers += u64::from(t.measured);
        let delay = self.scn.users[user as usize]
            .accept_delay
            .sample(&mut self.user_rngs[user as usize]);
        if delay == 0 {
            self.connect(slot, user);
        } else {
            self.events
                .schedule(self.now + delay, Event::Accept { slot, gen, user });
        }
    }

    fn connect(&mut self, slot: u32, user: UserId) {
        if !self.router.accept(slot, user, self.now) {
            return;
        }
        let now = self.now;
        let (start, end) = (self.start, self.end);
        let t = &mut self.tasks[slot as usize];
        t.accepted_at = now;
        let wait = now - t.queued_at;
        let (service, measured, gen, handle, ring_start) =
            (t.service, t.measured, t.gen, t.handle, t.ring_start);
        self.events
            .schedule(now + handle, Event::Finish { slot, gen });
        let u = &mut self.users[user as usize];
        u.row.ringing_s += to_secs_f64(clipped(ring_start, now, start, end));
        if self.router.user_load(user) == 1 {
            u.busy_since = now;
        }
        if measured {
            let sla = self.scn.services[service as usize].sla;
            let tl = &mut self.tally[service as usize];
            tl.queued += 1;
            tl.handled += 1;
            tl.wait_sum_handled += wait as u128;
            tl.handled_in_sla += u64::from(wait <= sla);
            tl.record_wait(wait);
            let it = &mut self.interval[service as usize];
            it.handled += 1;
            it.left_queue += 1;
            it.in_sla += u64::from(wait <= sla);
            it.wait_sum += wait as u128;
            record(&mut it.waits, wait);
        }
    }

    fn on_finish(&mut self, slot: u32) {
        let user = self.tasks[slot as usize].user;
        self.router.finish(slot, self.now);
        let (now, start, end) = (self.now, self.start, self.end);
        let t = self.tasks[slot as usize];
        let u = &mut self.users[user as usize];
        if t.measured {
            u.row.sessions += 1;
            self.tally[t.service as usize].connected_sum += (now - t.accepted_at) as u128;
        }
        u.row.connected_s += to_secs_f64(clipped(t.accepted_at, now, start, end));
        if self.router.user_load(user) == 0 {
            u.row.busy_s += to_secs_f64(clipped(u.busy_since, now, start, end));
            u.busy_interval += clipped(u.busy_since.max(self.interval_start), now, start, end);
        }
        self.end_task(slot, Outcome::UserAccepted);
    }

    fn on_patience(&mut self, slot: u32, gen: u32) {
        if self.tasks[slot as usize].gen != gen {
            return;
        }
        let prev = self.router.remove(slot, self.now);
        if !matches!(prev, TaskState::Waiting | TaskState::Ringing) {
            return;
        }
        let now = self.now;
        let t = self.tasks[slot as usize];
        if prev == TaskState::Ringing {
            self.users[t.user as usize].row.ringing_s +=
                to_secs_f64(clipped(t.ring_start, now, self.start, self.end));
        }
        if t.measured {
            let wait = now - t.queued_at;
            let tl = &mut self.tally[t.service as usize];
            tl.queued += 1;
            tl.abandoned += 1;
            tl.record_wait(wait);
            let it = &mut self.interval[t.service as usize];
            it.abandoned += 1;
            it.left_queue += 1;
            it.wait_sum += wait as u128;
            record(&mut it.waits, wait);
        }
        self.end_task(slot, Outcome::CustomerHangupInQueue);
    }

    /// Closes the task's service session: one record, then the slot is free.
    fn end_task(&mut self, slot: u32, outcome: Outcome) {
        let t = self.tasks[slot as usize];
        self.live_tasks -= 1;
        self.free.push(slot);
        self.tasks[slot as usize].gen = t.gen.wrapping_add(1);
        if !t.measured {
            return;
        }
        let svc = &self.scn.services[t.service as usize];
        let queued = (t.queued_at != NEVER).then_some(t.queued_at);
        let accepted = (t.accepted_at != NEVER).then_some(t.accepted_at);
        let left_queue = accepted.unwrap_or(self.now);
        let rec = SessionRecord {
            replication: self.rep,
            session_id: self.next_session,
            task_id: t.id,
            service: &svc.name,
            channel: t.channel,
            priority: t.priority,
            arrived: t.arrived,
            queued,
            queue_position: queued.map(|_| t.position),
            user: accepted.map(|_| self.scn.users[t.user as usize].name.as_str()),
            accepted,
            wait: queued.map(|q| left_queue - q),
            ended: self.now,
            outcome,
            offers: t.offers,
            ronas: 0,
            transferred_to: None,
            failure_reason: None,
            origin: self.start,
        };
        self.next_session += 1;
        self.sinks.session(&rec);
    }

    /// Keeps the time-weighted queue lengths and selectable-user counts current.
    fn note_levels(&mut self) {
        if self.now < self.start {
            return;
        }
        let now = self.now.min(self.end);
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

    fn on_interval_end(&mut self) {
        let now = self.now;
        if now == self.start {
            // Warm-up over: start measuring from here.
            for s in 0..self.interval.len() {
                self.interval[s].qlen.take(now);
                self.interval[s].selectable.take(now);
                self.interval[s].reset_counts();
            }
            for tw in &mut self.qlen_total {
                tw.take(now);
            }
        } else {
            self.emit_intervals(now);
        }
        self.interval_start = now;
        if now < self.end {
            let next = (now + self.scn.sim.interval).min(self.end);
            self.events.schedule(next, Event::IntervalEnd);
        }
    }

    fn emit_intervals(&mut self, now: Time) {
        let len = now - self.interval_start;
        // Busy time of users still busy at the boundary counts up to it.
        let busy = &mut self.busy_buf;
        for (u, ut) in self.users.iter_mut().enumerate() {
            let mut b = ut.busy_interval;
            if self.router.user_load(u as UserId) > 0 {
                b += clipped(
                    ut.busy_since.max(self.interval_start),
                    now,
                    self.start,
                    self.end,
                );
            }
            busy[u] = b;
            ut.busy_interval = 0;
        }
        for s in 0..self.interval.len() {
            let it = &mut self.interval[s];
            let (qa, qmax) = it.qlen.take(now);
            let (sa, _) = it.selectable.take(now);
            let members = &self.members[s];
            let occupancy = if members.is_empty() || len == 0 {
                f64::NAN
            } else {
                members
                    .iter()
                    .map(|&u| busy[u as usize] as f64)
                    .sum::<f64>()
                    / (members.len() as f64 * len as f64)
            };
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
                start_s: to_secs_f64(self.interval_start - self.start),
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
                wait_p90_s: if it.waits.is_empty() {
                    f64::NAN
                } else {
                    to_secs_f64(it.waits.median_equivalent(it.waits.value_at_quantile(0.9)))
                },
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
                occupancy,
            };
            self.sinks.interval(&rec);
            it.reset_counts();
        }
    }

    fn finish(&mut self) -> RepResult {
        let window = self.end - self.start;
        let n_svc = self.scn.services.len();
        let mut metrics = Vec::with_capacity(n_svc + 1);
        let mut total = Tally::default();
        // Occupancy: busy time over the window, averaged over member users.
        let occ_of = |users: &[UserTally], member: &dyn Fn(usize) -> bool| {
            let (sum, n) = users
                .iter()
                .enumerate()
                .filter(|(u, _)| member(*u))
                .fold((0.0, 0usize), |(s, n), (_, ut)| (s + ut.row.busy_s, n + 1));
            if n == 0 || window == 0 {
                f64::NAN
            } else {
                sum / n as f64 / to_secs_f64(window)
            }
        };
        for s in 0..n_svc {
            let (area, max) = self.qlen_total[s].take(self.end.max(self.start));
            let members = &self.members[s];
            let occ = occ_of(&self.users, &|u| members.contains(&(u as UserId)));
            metrics.push(self.tally[s].metrics(area, max, window, occ));
            total.merge(&self.tally[s]);
        }
        let (area, max) = self.qlen_total[n_svc].take(self.end.max(self.start));
        let occ = occ_of(&self.users, &|u| !self.scn.users[u].services.is_empty());
        metrics.push(total.metrics(area, max, window, occ));
        let wsec = to_secs_f64(window);
        let users = self
            .users
            .iter()
            .map(|ut| {
                let mut r = ut.row.clone();
                r.occupancy = if wsec > 0.0 {
                    r.busy_s / wsec
                } else {
                    f64::NAN
                };
                r.idle_s = (wsec - r.busy_s - r.ringing_s - r.acw_s).max(0.0);
                r
            })
            .collect();
        RepResult {
            replication: self.rep,
            metrics,
            users,
            events: self.n_events,
            tasks: self.next_task,
        }
    }
}
