//! The actor: one tokio task that owns the `Router` and every task's state.
//!
//! Arrivals come over an mpsc channel from the producer (`super::produce`),
//! sent a little ahead of their scheduled time. Everything that happens later
//! (a customer hanging up, an agent accepting, declining or letting an offer
//! ring out, a chat finishing, after-call work or RONA ending, a distribution
//! policy widening, the per-second report) is a timer entry
//! in a binary heap keyed by (wall due time, sequence). One heap instead of a
//! tokio task per timer: no allocation or wake-up per timer, and the actor
//! sees its whole backlog, so lateness is measured rather than hidden.
//!
//! tokio's timer has 1 ms granularity, so the actor sleeps only until `spin`
//! before its next deadline and then polls (yielding to the runtime) until the
//! deadline passes: timers fire within microseconds at the cost of keeping one
//! core busy while events are closer together than `spin`.

use crate::engine::events::EventQueue;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::time::Instant;

use rand::Rng as _;
use tokio::sync::{mpsc, Notify};

use super::metrics::{LoadFigures, SecondRow, Window};
use super::plan::{Arrival, NEVER};
use super::route::{routes, Routes};
use crate::behavior::rng::{stream, Rng, StreamKind};
use crate::model::time::MICROS_PER_SEC;
use crate::model::{Priority, Scenario, ServiceId, SourceId, Time, UserId, UNLIMITED};
use crate::routing::{Action, DistributionType, Router, TaskState};
use crate::stats::timeweighted::TimeWeighted;
use crate::stats::{metric_index, MetricRow, Occupancy, Tally};

const NONE: u32 = u32::MAX;
/// Due timers fired before the actor looks at its channel and stop flag again.
const BATCH: usize = 1024;

/// State shared between the actor, the producer and the driver.
#[derive(Debug, Default)]
pub struct Shared {
    /// Set on Ctrl-C: stop at once, keep what was measured.
    pub stop: AtomicBool,
    /// Wakes a sleeping actor or producer after `stop` was set.
    pub notify: Notify,
    /// Arrivals the producer drew from the plan.
    pub generated: AtomicU64,
    /// Arrivals the producer could not hand over (channel full).
    pub dropped: AtomicU64,
}

impl Shared {
    pub fn request_stop(&self) {
        self.stop.store(true, AtomicOrdering::SeqCst);
        self.notify.notify_waiters();
        self.notify.notify_one();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(AtomicOrdering::Relaxed)
    }
}

/// The actor's fixed settings.
#[derive(Debug, Clone, Copy)]
pub struct ActorConfig {
    pub t0: Instant,
    /// Simulated seconds per wall second.
    pub scale: f64,
    /// Wall µs after which no arrival is due.
    pub duration: Time,
    /// Wall µs after `duration` to let queued tasks leave the queue.
    pub drain: Time,
    /// Poll instead of sleeping when the next deadline is this close (wall µs).
    pub spin: Time,
    /// An arrival handled more than this after its scheduled time is late (wall µs).
    pub late_after: Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Arrival {
        source: SourceId,
        handle: Time,
        patience: Time,
    },
    Patience {
        slot: u32,
        gen: u32,
    },
    Accept {
        slot: u32,
        gen: u32,
        user: UserId,
        round: u32,
    },
    Decline {
        slot: u32,
        gen: u32,
        user: UserId,
        round: u32,
    },
    RingTimeout {
        slot: u32,
        gen: u32,
        user: UserId,
        round: u32,
    },
    Finish {
        slot: u32,
        gen: u32,
    },
    PolicyTick {
        slot: u32,
        gen: u32,
    },
    Redistribute {
        slot: u32,
        gen: u32,
    },
    AcwEnd(UserId),
    RonaEnd(UserId),
    /// End of wall second `n` (1-based).
    Tick(u64),
}

/// A fired timer: its wall-clock due time, the scenario time it belongs to,
/// and what happens.
#[derive(Debug, Clone, Copy)]
struct Timer {
    /// Wall µs since t0.
    due: Time,
    /// The scenario time the event belongs to.
    at: Time,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
struct LiveTask {
    gen: u32,
    service: ServiceId,
    priority: Priority,
    preferred: Option<u32>,
    /// Scheduled arrival, scenario µs: waits count from here, so a late
    /// actor lengthens them as it would a real customer's.
    arrived: Time,
    handle: Time,
    /// Queue Task's ring timeout, or the service's.
    ring_timeout: Time,
    /// The connected user.
    user: UserId,
    accepted_at: Time,
    connected: bool,
    /// Still in the decision of its own arrival: a connection now means the
    /// task found a free user and did not wait (for P(wait)).
    arriving: bool,
    ended: bool,
}

/// Where every offered task went: `offered == handled + abandoned +
/// ended_by_workflow + in_queue_at_stop` (handled counts at acceptance).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub offered: u64,
    pub handled: u64,
    pub abandoned: u64,
    pub ended_by_workflow: u64,
    /// Waiting or ringing when the test stopped.
    pub in_queue_at_stop: u64,
    /// Accepted and still in conversation at the stop (part of `handled`).
    pub connected_at_stop: u64,
    /// Arrivals drawn / not handed over / handed over but not yet due at the stop.
    pub generated: u64,
    pub dropped: u64,
    pub unprocessed: u64,
    pub late_arrivals: u64,
    /// Offers declined, and offers that rang out (RONA: ring timeout).
    pub declines: u64,
    pub ronas: u64,
    /// Broken invariants seen: an offer of a task already connected, a
    /// second acceptance, a user above capacity, a task ended twice.
    pub violations: u64,
}

/// What a live run measured.
#[derive(Debug, Clone)]
pub struct LiveResult {
    pub seconds: Vec<SecondRow>,
    pub total: Window,
    /// One row per service in scenario order, then the tenant, as `RepResult`.
    pub metrics: Vec<MetricRow>,
    pub figures: LoadFigures,
    pub counts: Counts,
    /// Wall µs from the start to the stop.
    pub wall: Time,
    /// Scenario µs covered.
    pub scenario_time: Time,
    pub interrupted: bool,
}

pub struct Actor<'s> {
    scn: &'s Scenario,
    cfg: ActorConfig,
    router: Router,
    routes: Routes,
    tasks: Vec<LiveTask>,
    free: Vec<u32>,
    /// Keyed by wall due time; the payload is (scenario time, kind).
    timers: EventQueue<(Time, Kind)>,
    actions: Vec<Action>,
    user_rngs: Vec<Rng>,
    /// Scenario µs, never decreasing.
    now: Time,
    second: Window,
    total: Window,
    seconds: Vec<SecondRow>,
    tally: Vec<Tally>,
    finished: Vec<u64>,
    qlen: Vec<TimeWeighted>,
    busy_since: Vec<Time>,
    busy_total: Vec<Time>,
    counts: Counts,
    arrivals_in_heap: u64,
    arrivals_open: bool,
    progress: mpsc::UnboundedSender<SecondRow>,
}

impl<'s> Actor<'s> {
    /// Fails when a service's workflow needs more than the live driver runs
    /// (`route::routes`; `LoadOptions::new` checks this first).
    pub fn new(
        scn: &'s Scenario,
        cfg: ActorConfig,
        progress: mpsc::UnboundedSender<SecondRow>,
    ) -> Result<Actor<'s>, String> {
        let n_svc = scn.services.len();
        Ok(Actor {
            scn,
            cfg,
            router: Router::new(scn),
            routes: routes(scn)?,
            tasks: Vec::new(),
            free: Vec::new(),
            timers: EventQueue::with_capacity(1 << 12),
            actions: Vec::with_capacity(16),
            user_rngs: (0..scn.users.len())
                .map(|u| stream(scn.sim.seed, 0, StreamKind::User, u as u32))
                .collect(),
            now: 0,
            second: Window::default(),
            total: Window::default(),
            seconds: Vec::new(),
            tally: (0..n_svc).map(|_| Tally::default()).collect(),
            finished: vec![0; n_svc],
            qlen: vec![TimeWeighted::default(); n_svc + 1],
            busy_since: vec![0; scn.users.len()],
            busy_total: vec![0; scn.users.len()],
            counts: Counts::default(),
            arrivals_in_heap: 0,
            arrivals_open: true,
            progress,
        })
    }

    #[inline]
    fn elapsed(&self) -> Time {
        self.cfg.t0.elapsed().as_micros() as Time
    }

    /// Wall µs -> scenario µs.
    #[inline]
    fn scn_time(&self, wall: Time) -> Time {
        (wall as f64 * self.cfg.scale) as Time
    }

    /// Scenario µs -> the first wall µs at or after it.
    #[inline]
    fn wall_due(&self, at: Time) -> Time {
        (at as f64 / self.cfg.scale).ceil() as Time
    }

    fn schedule(&mut self, at: Time, kind: Kind) {
        let due = self.wall_due(at);
        self.push(due, at, kind);
    }

    fn push(&mut self, due: Time, at: Time, kind: Kind) {
        self.timers.schedule(due, (at, kind));
    }

    fn take_arrival(&mut self, a: Arrival) {
        let at = self.scn_time(a.due);
        self.arrivals_in_heap += 1;
        self.push(
            a.due,
            at,
            Kind::Arrival {
                source: a.source,
                handle: a.handle,
                patience: a.patience,
            },
        );
    }

    /// Runs until the plan is done and the queue drained (or the drain time
    /// is up), or until `shared.stop`.
    pub async fn run(mut self, mut rx: mpsc::Receiver<Arrival>, shared: &Shared) -> LiveResult {
        let hard_end = self.cfg.duration + self.cfg.drain;
        self.push(MICROS_PER_SEC, self.scn_time(MICROS_PER_SEC), Kind::Tick(1));
        let mut interrupted = false;
        let mut clock;
        loop {
            if shared.stopped() {
                interrupted = true;
                clock = self.elapsed();
                break;
            }
            while self.arrivals_open {
                match rx.try_recv() {
                    Ok(a) => self.take_arrival(a),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => self.arrivals_open = false,
                }
            }
            clock = self.elapsed();
            let mut fired = 0;
            while fired < BATCH {
                match self.timers.peek_time() {
                    Some(due) if due <= clock => {
                        let (due, (at, kind)) = self.timers.pop().expect("peeked");
                        clock = self.fire(Timer { due, at, kind }, clock);
                        fired += 1;
                    }
                    _ => break,
                }
            }
            if clock >= hard_end
                || (clock >= self.cfg.duration
                    && !self.arrivals_open
                    && self.arrivals_in_heap == 0
                    && self.queue_total() == 0)
            {
                break;
            }
            let next = self.timers.peek_time();
            match next {
                _ if fired == BATCH => tokio::task::yield_now().await,
                Some(d) if d <= clock + self.cfg.spin => tokio::task::yield_now().await,
                _ => {
                    let wake = next.map_or(hard_end, |d| d - self.cfg.spin).min(hard_end);
                    let deadline = tokio::time::Instant::from_std(
                        self.cfg.t0 + std::time::Duration::from_micros(wake),
                    );
                    tokio::select! {
                        biased;
                        _ = shared.notify.notified() => {}
                        m = rx.recv(), if self.arrivals_open => match m {
                            Some(a) => self.take_arrival(a),
                            None => self.arrivals_open = false,
                        },
                        _ = tokio::time::sleep_until(deadline) => {}
                    }
                }
            }
        }
        // Arrivals still in the channel were drawn but never handled.
        while let Ok(a) = rx.try_recv() {
            self.take_arrival(a);
        }
        self.finish(clock, shared, interrupted)
    }

    fn queue_total(&self) -> u32 {
        (0..self.scn.services.len() as ServiceId)
            .map(|s| self.router.queue_len(s))
            .sum()
    }

    /// Handles one due timer at wall time `clock`; returns the wall time after.
    fn fire(&mut self, t: Timer, clock: Time) -> Time {
        let lag = clock.saturating_sub(t.due);
        self.second.lag(lag);
        self.now = self.now.max(self.scn_time(clock)).max(t.at);
        let decision = match t.kind {
            Kind::Arrival {
                source,
                handle,
                patience,
            } => {
                self.arrivals_in_heap -= 1;
                if lag > self.cfg.late_after {
                    self.counts.late_arrivals += 1;
                }
                self.on_arrival(source, t.at, handle, patience)
            }
            Kind::Patience { slot, gen } => self.on_patience(slot, gen),
            Kind::Accept {
                slot,
                gen,
                user,
                round,
            } => self.live(slot, gen) && self.connect(slot, user, round),
            Kind::Decline {
                slot,
                gen,
                user,
                round,
            } => {
                let d = self.live(slot, gen) && self.router.decline(slot, user, round, self.now);
                self.counts.declines += u64::from(d);
                d
            }
            Kind::RingTimeout {
                slot,
                gen,
                user,
                round,
            } => {
                let broadcast = self.router.kind(slot) == DistributionType::Broadcast;
                let r =
                    self.live(slot, gen) && self.router.ring_timeout(slot, user, round, self.now);
                // Broadcast offers have no RONA (as in the engine).
                if r && !broadcast {
                    self.counts.ronas += 1;
                    self.tally[self.tasks[slot as usize].service as usize].ronas += 1;
                }
                r
            }
            Kind::Finish { slot, gen } => self.on_finish(slot, gen),
            Kind::PolicyTick { slot, gen } => {
                let queued = self.live(slot, gen)
                    && matches!(
                        self.router.task_state(slot),
                        TaskState::Waiting | TaskState::Ringing
                    );
                if queued {
                    self.router.policy_tick(slot, self.now);
                }
                queued
            }
            Kind::Redistribute { slot, gen } => {
                let queued = self.live(slot, gen)
                    && matches!(
                        self.router.task_state(slot),
                        TaskState::Waiting | TaskState::Ringing
                    );
                if queued {
                    self.router.redistribute(slot, self.now);
                }
                queued
            }
            Kind::AcwEnd(user) => self.router.acw_end(user, self.now),
            Kind::RonaEnd(user) => self.router.rona_end(user, self.now),
            Kind::Tick(n) => {
                self.on_tick(n);
                false
            }
        };
        // Offers, and the offers that acceptances and releases lead to.
        self.drain_actions();
        self.note_levels();
        let done = self.elapsed();
        if decision {
            // From the scheduled time, not the fire time: a backlog shows.
            self.second.decision(done.saturating_sub(t.due));
        }
        done
    }

    #[inline]
    fn live(&self, slot: u32, gen: u32) -> bool {
        self.tasks[slot as usize].gen == gen
    }

    fn on_arrival(&mut self, source: SourceId, at: Time, handle: Time, patience: Time) -> bool {
        let spec = &self.scn.sources[source as usize];
        let service = spec.service;
        let svc = &self.scn.services[service as usize];
        let route = self.routes[service as usize];
        let task = LiveTask {
            gen: 0,
            service,
            priority: route
                .and_then(|q| q.priority)
                .or(spec.priority)
                .unwrap_or(svc.default_priority),
            preferred: spec.preferred,
            arrived: at,
            handle,
            ring_timeout: route
                .and_then(|q| q.ring_timeout)
                .unwrap_or(svc.ring_timeout),
            user: NONE,
            accepted_at: NEVER,
            connected: false,
            arriving: true,
            ended: false,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                let gen = self.tasks[slot as usize].gen.wrapping_add(1);
                self.tasks[slot as usize] = LiveTask { gen, ..task };
                slot
            }
            None => {
                self.tasks.push(task);
                (self.tasks.len() - 1) as u32
            }
        };
        self.counts.offered += 1;
        self.second.arrivals += 1;
        self.tally[service as usize].offered += 1;
        let t = &self.tasks[slot as usize];
        match route {
            Some(q) => {
                let (priority, preferred, gen) = (t.priority, t.preferred, t.gen);
                self.router
                    .enqueue(slot, service, priority, q.kind, preferred, self.now);
                self.drain_actions();
                if let Some(p) = q.then_priority {
                    // Distribution Priority right after Queue Task.
                    if !self.tasks[slot as usize].connected {
                        self.tasks[slot as usize].priority = p;
                        self.router.set_priority(slot, p);
                        self.drain_actions();
                    }
                }
                self.tasks[slot as usize].arriving = false;
                if !self.tasks[slot as usize].connected && patience != NEVER {
                    let due = at.saturating_add(patience).max(self.now);
                    self.schedule(due, Kind::Patience { slot, gen });
                }
                true
            }
            None => {
                self.counts.ended_by_workflow += 1;
                self.end_task(slot);
                false
            }
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
                    Action::Offer { slot, user, round } => self.on_offer(slot, user, round),
                    // The withdrawn user's answer timers go stale: the router
                    // refuses an offer that no longer stands.
                    Action::Withdraw { .. } => {}
                    Action::AcwUntil { user, until } => self.schedule(until, Kind::AcwEnd(user)),
                    Action::RonaUntil { user, until } => self.schedule(until, Kind::RonaEnd(user)),
                    Action::PolicyTimer { slot, at } => {
                        let gen = self.tasks[slot as usize].gen;
                        self.schedule(at, Kind::PolicyTick { slot, gen });
                    }
                    Action::RedistributeAt { slot, at } => {
                        let gen = self.tasks[slot as usize].gen;
                        self.schedule(at, Kind::Redistribute { slot, gen });
                    }
                }
            }
        }
        self.actions = buf;
    }

    /// The user's answer, drawn as the engine's `on_offer` does from the
    /// user's stream: decline, no answer (the ring timeout decides) or accept,
    /// after the accept delay; every offer that is not answered at once also
    /// gets its ring timeout.
    fn on_offer(&mut self, slot: u32, user: UserId, round: u32) {
        self.second.offers += 1;
        let t = &self.tasks[slot as usize];
        if t.connected || t.ended {
            self.counts.violations += 1;
        }
        let (gen, timeout) = (t.gen, t.ring_timeout);
        let spec = &self.scn.users[user as usize];
        let rng = &mut self.user_rngs[user as usize];
        let delay = spec.accept_delay.sample(rng);
        let answer: f64 = if spec.decline_probability > 0.0 || spec.no_answer_probability > 0.0 {
            rng.random()
        } else {
            1.0
        };
        let accepts = answer >= spec.decline_probability + spec.no_answer_probability;
        if answer < spec.decline_probability {
            let kind = Kind::Decline {
                slot,
                gen,
                user,
                round,
            };
            self.schedule(self.now + delay, kind);
        } else if accepts && delay == 0 {
            // The agent answers within the same decision, as in the engine.
            self.connect(slot, user, round);
            return;
        } else if accepts {
            let kind = Kind::Accept {
                slot,
                gen,
                user,
                round,
            };
            self.schedule(self.now + delay, kind);
        }
        let kind = Kind::RingTimeout {
            slot,
            gen,
            user,
            round,
        };
        self.schedule(self.now.saturating_add(timeout), kind);
    }

    fn connect(&mut self, slot: u32, user: UserId, round: u32) -> bool {
        if !self.router.accept(slot, user, round, self.now) {
            return false;
        }
        let now = self.now;
        let load = self.router.user_load(user);
        let spec = &self.scn.users[user as usize];
        let cap = spec.capacity;
        // Concurrent chats may stretch the handle time (as in the engine).
        let factor = match spec.stretch.len() {
            0 => 1.0,
            n => spec.stretch[(load as usize).saturating_sub(1).min(n - 1)],
        };
        let t = &mut self.tasks[slot as usize];
        if t.connected || t.ended || (cap != UNLIMITED && load > cap) {
            self.counts.violations += 1;
        }
        t.connected = true;
        t.user = user;
        t.accepted_at = now;
        let wait = now.saturating_sub(t.arrived);
        let handle = if factor == 1.0 {
            t.handle
        } else {
            (t.handle as f64 * factor).round() as Time
        };
        let (service, gen, waited) = (t.service, t.gen, !t.arriving);
        if load == 1 {
            self.busy_since[user as usize] = now;
        }
        self.counts.handled += 1;
        self.second.accepted += 1;
        let sla = self.scn.services[service as usize].sla;
        let tl = &mut self.tally[service as usize];
        tl.queued += 1;
        tl.handled += 1;
        tl.wait_sum_handled += wait as u128;
        tl.handled_in_sla += u64::from(wait <= sla);
        tl.record_wait_as(wait, waited);
        self.schedule(now + handle, Kind::Finish { slot, gen });
        true
    }

    fn on_patience(&mut self, slot: u32, gen: u32) -> bool {
        if self.tasks[slot as usize].gen != gen {
            return false;
        }
        let prev = self.router.remove(slot, self.now);
        if !matches!(prev, TaskState::Waiting | TaskState::Ringing) {
            return false;
        }
        let t = self.tasks[slot as usize];
        let wait = self.now.saturating_sub(t.arrived);
        let tl = &mut self.tally[t.service as usize];
        tl.queued += 1;
        tl.abandoned += 1;
        tl.record_wait_as(wait, true);
        self.counts.abandoned += 1;
        self.second.abandoned += 1;
        self.end_task(slot);
        // Releasing a ringing user is a distribution decision.
        prev == TaskState::Ringing
    }

    fn on_finish(&mut self, slot: u32, gen: u32) -> bool {
        let t = self.tasks[slot as usize];
        if t.gen != gen {
            return false;
        }
        self.router.finish(slot, self.now);
        let now = self.now;
        if self.router.user_load(t.user) == 0 {
            self.busy_total[t.user as usize] += now - self.busy_since[t.user as usize];
        }
        self.tally[t.service as usize].connected_sum += (now - t.accepted_at) as u128;
        self.finished[t.service as usize] += 1;
        self.end_task(slot);
        true
    }

    fn end_task(&mut self, slot: u32) {
        let t = &mut self.tasks[slot as usize];
        if t.ended {
            self.counts.violations += 1;
            return;
        }
        t.ended = true;
        t.gen = t.gen.wrapping_add(1);
        self.free.push(slot);
    }

    fn on_tick(&mut self, n: u64) {
        let row = SecondRow::of(n, &self.second, self.queue_total());
        let _ = self.progress.send(row.clone());
        self.seconds.push(row);
        self.total.merge(&self.second);
        self.second.reset();
        let due = (n + 1) * MICROS_PER_SEC;
        if due <= self.cfg.duration + self.cfg.drain {
            self.push(due, self.scn_time(due), Kind::Tick(n + 1));
        }
    }

    fn note_levels(&mut self) {
        let mut total = 0;
        for s in 0..self.tally.len() {
            let q = self.router.queue_len(s as ServiceId);
            total += q;
            self.qlen[s].set(self.now, q);
        }
        let n = self.tally.len();
        self.qlen[n].set(self.now, total);
    }

    fn finish(mut self, clock: Time, shared: &Shared, interrupted: bool) -> LiveResult {
        // The last, partial second.
        let n = self.seconds.len() as u64 + 1;
        if self.second.events > 0 {
            let row = SecondRow::of(n, &self.second, self.queue_total());
            self.seconds.push(row);
        }
        self.total.merge(&self.second);
        let now = self.now.max(self.scn_time(clock));
        // Users still in conversation: their busy time runs to the stop.
        for u in 0..self.busy_total.len() {
            if self.router.user_load(u as UserId) > 0 {
                self.busy_total[u] += now - self.busy_since[u];
            }
        }
        let live = self.tasks.iter().filter(|t| !t.ended);
        let (connected, queued) =
            live.fold(
                (0, 0),
                |(c, q), t| {
                    if t.connected {
                        (c + 1, q)
                    } else {
                        (c, q + 1)
                    }
                },
            );
        let c = &mut self.counts;
        c.connected_at_stop = connected;
        c.in_queue_at_stop = queued;
        c.generated = shared.generated.load(AtomicOrdering::SeqCst);
        c.dropped = shared.dropped.load(AtomicOrdering::SeqCst);
        c.unprocessed = self.arrivals_in_heap;
        let metrics = self.metric_rows(now);
        let secs = clock.max(1) as f64 / MICROS_PER_SEC as f64;
        let t = &self.total;
        let figures = LoadFigures {
            decisions_per_s: t.decisions as f64 / secs,
            decision_p50_us: t.decision_us(0.5),
            decision_p99_us: t.decision_us(0.99),
            decision_max_us: t.decision_max_us(),
            timer_lag_p99_ms: t.lag_ms(0.99),
            events_per_s: t.events as f64 / secs,
            late_arrivals: self.counts.late_arrivals as f64,
            dropped_arrivals: self.counts.dropped as f64,
            in_queue_at_stop: self.counts.in_queue_at_stop as f64,
        };
        LiveResult {
            seconds: self.seconds,
            total: self.total,
            metrics,
            figures,
            counts: self.counts,
            wall: clock,
            scenario_time: now,
            interrupted,
        }
    }

    /// The contract's metrics per service and for the tenant, over the
    /// scenario time [0, now].
    fn metric_rows(&mut self, now: Time) -> Vec<MetricRow> {
        let n_svc = self.tally.len();
        let connected = metric_index("mean_connected_s").expect("contract metric");
        // Users count as staffed throughout; slots are not tracked live.
        let occupancy = |users: &mut dyn Iterator<Item = usize>, busy: &[Time]| {
            let mut o = Occupancy::default();
            for u in users {
                o.staffed += now as u128;
                o.engaged += busy[u].min(now) as u128;
            }
            o
        };
        let mut rows = Vec::with_capacity(n_svc + 1);
        let mut total = Tally::default();
        let mut finished = 0;
        for s in 0..=n_svc {
            let (area, max) = self.qlen[s].take(now);
            let tally = if s < n_svc { &self.tally[s] } else { &total };
            let occ = if s < n_svc {
                occupancy(
                    &mut (0..self.scn.users.len())
                        .filter(|&u| self.scn.users[u].services.contains(&(s as ServiceId))),
                    &self.busy_total,
                )
            } else {
                occupancy(
                    &mut (0..self.scn.users.len())
                        .filter(|&u| !self.scn.users[u].services.is_empty()),
                    &self.busy_total,
                )
            };
            let mut row = tally.metrics(area, max, now, occ);
            // Conversations still open at the stop have no length yet: average
            // over the finished ones.
            let done = if s < n_svc {
                self.finished[s]
            } else {
                finished
            };
            row[connected] = if done == 0 {
                f64::NAN
            } else {
                tally.connected_sum as f64 / done as f64 / 1e6
            };
            rows.push(row);
            if s < n_svc {
                total.merge(&self.tally[s]);
                finished += self.finished[s];
            }
        }
        rows
    }
}
