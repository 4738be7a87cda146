//! The distribution algorithm as a deterministic state machine.
//!
//! The router never reads a clock or draws a random number: its driver (the
//! discrete-event engine, or the real-time load tester) calls it with the
//! current time and an input, and collects the resulting `Action`s from
//! `take_actions`. One algorithm, two drivers.
//!
//! Invariant kept between inputs: no selectable user matches a waiting task.
//! So a new or returned task only needs users (`dispatch_task`), and a user who
//! becomes selectable only needs tasks (`dispatch_user`, where priorities and
//! weighted round robin decide among competing tasks).

pub mod queue;
mod selectable;
mod users;
mod wrr;

use crate::model::{Presence, Priority, Scenario, ServiceId, Time, UserId};
use queue::{Entry, ServiceQueue};
use selectable::Selectable;
pub use users::UserKey;
use users::UserRoute;
use wrr::Wrr;

/// At most this many users ring at once for a broadcast task.
pub const BROADCAST_WIDTH: usize = 10;

/// What the router asks its driver to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ring `user` with task `slot`. The driver answers with `accept`,
    /// `decline` or `ring_timeout` carrying the same `round`.
    Offer { slot: u32, user: UserId, round: u32 },
    /// Stop ringing `user` (a broadcast was accepted by another user, or the
    /// task left the queue).
    Withdraw { slot: u32, user: UserId },
    /// The user is in after-call work until `until`; call `acw_end` then.
    AcwUntil { user: UserId, until: Time },
    /// The user is flagged RONA until `until`; call `rona_end` then.
    RonaUntil { user: UserId, until: Time },
    /// The task's distribution policy widens at `at`; call `policy_tick` then.
    PolicyTimer { slot: u32, at: Time },
    /// The task's redistribution pause after a refusal ends at `at`; call
    /// `redistribute` then.
    RedistributeAt { slot: u32, at: Time },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Not in any queue.
    Idle,
    Waiting,
    Ringing,
    Connected,
}

/// Distribution type of Queue Task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistributionType {
    /// Offer to one user at a time.
    Direct,
    /// Offer to up to 10 longest-idle users at once; first accept wins; no RONA.
    Broadcast,
}

#[derive(Debug, Clone, Copy)]
struct TaskRoute {
    service: ServiceId,
    priority: Priority,
    kind: DistributionType,
    enqueued_at: Time,
    seq: u64,
    state: TaskState,
    /// Distribution rounds so far (each Waiting -> Ringing starts one).
    round: u32,
    ring: [UserId; BROADCAST_WIDTH],
    n_ring: u8,
    /// The connected user.
    user: UserId,
    /// Users who declined or let the task ring out: it is not offered to
    /// them again before `refused_until` (the service's redistribution pause
    /// after the latest refusal), so a re-offer always takes time.
    refused: [UserId; BROADCAST_WIDTH],
    n_refused: u8,
    /// More users refused than `refused` holds: the task is offered to nobody
    /// until `refused_until`.
    held: bool,
    refused_until: Time,
    preferred: Option<u32>,
    /// Index of the policy level in force.
    level: u8,
}

impl Default for TaskRoute {
    fn default() -> Self {
        TaskRoute {
            service: 0,
            priority: Priority::Normal,
            kind: DistributionType::Direct,
            enqueued_at: 0,
            seq: 0,
            state: TaskState::Idle,
            round: 0,
            ring: [0; BROADCAST_WIDTH],
            n_ring: 0,
            user: 0,
            refused: [0; BROADCAST_WIDTH],
            n_refused: 0,
            held: false,
            refused_until: 0,
            preferred: None,
            level: 0,
        }
    }
}

impl TaskRoute {
    fn rings(&self, user: UserId) -> bool {
        self.ring[..self.n_ring as usize].contains(&user)
    }

    fn refused_by(&self, user: UserId) -> bool {
        self.refused[..self.n_refused as usize].contains(&user)
    }
}

struct ServiceRoute {
    queue: ServiceQueue,
    selectable: Selectable,
    wrr: Wrr,
    /// Queued tasks in state Waiting (the others ring). A freed user looks
    /// through the queue only when some wait: most of the time every queued
    /// task is ringing for someone, and the look would find nothing.
    waiting: u32,
    acw: Time,
    allow_busy_away: bool,
    persistent_rona: bool,
    rona_reset: Time,
    redistribution_pause: Time,
    /// Waiting time at which each policy level starts (empty: no policy).
    policy_from: Vec<Time>,
}

pub struct Router {
    services: Vec<ServiceRoute>,
    users: Vec<UserRoute>,
    tasks: Vec<TaskRoute>,
    preferred: Vec<Vec<UserId>>,
    next_seq: u64,
    actions: Vec<Action>,
    /// Distribution decisions taken (a waiting task or a freed user looked
    /// for its match) and offers made, for the load tester's figures.
    decisions: u64,
    offers: u64,
    /// Counts changes of queue lengths and selectable sets (`levels`).
    levels: u64,
}

impl Router {
    pub fn new(scn: &Scenario) -> Router {
        let mut r = Router {
            services: scn
                .services
                .iter()
                .map(|s| ServiceRoute {
                    queue: ServiceQueue::default(),
                    selectable: Selectable::default(),
                    wrr: Wrr::new(s.priority_weights),
                    waiting: 0,
                    acw: s.acw,
                    allow_busy_away: s.allow_busy_away,
                    persistent_rona: s.persistent_rona,
                    rona_reset: s.rona_reset,
                    redistribution_pause: s.redistribution_pause,
                    policy_from: s.policy.iter().map(|l| l.from).collect(),
                })
                .collect(),
            users: scn
                .users
                .iter()
                .map(|u| UserRoute::new(u, &scn.services))
                .collect(),
            tasks: Vec::new(),
            preferred: scn.preferred.clone(),
            next_seq: 0,
            actions: Vec::with_capacity(16),
            decisions: 0,
            offers: 0,
            levels: 0,
        };
        for u in 0..r.users.len() as UserId {
            r.refresh_user(u);
        }
        r
    }

    /// Test builds: each service's `waiting` is its count of queued tasks
    /// in state Waiting, and each user's `filed` its count of memberships
    /// filed in a selectable set (the counts that let work be skipped).
    #[cfg(test)]
    pub fn assert_counts(&self) {
        for (s, svc) in self.services.iter().enumerate() {
            let n = self
                .tasks
                .iter()
                .filter(|t| t.state == TaskState::Waiting && t.service as usize == s)
                .count();
            assert_eq!(svc.waiting as usize, n, "waiting tasks of service {s}");
        }
        for (i, u) in self.users.iter().enumerate() {
            let n = u.memberships.iter().filter(|m| m.key.is_some()).count();
            assert_eq!(u.filed as usize, n, "filed memberships of user {i}");
        }
    }

    /// Whether actions are pending (see `take_actions`).
    #[inline]
    pub fn has_actions(&self) -> bool {
        !self.actions.is_empty()
    }

    /// Moves the pending actions into `out` (cleared first), keeping both
    /// buffers' capacity.
    pub fn take_actions(&mut self, out: &mut Vec<Action>) {
        out.clear();
        std::mem::swap(out, &mut self.actions);
    }

    /// Changes so far to any service's queue length or selectable users: the
    /// same number means the levels the engine tracks are as it last saw them.
    pub fn levels(&self) -> u64 {
        self.levels
    }

    /// (decisions taken, offers made) so far: see `Router::decisions`.
    pub fn counters(&self) -> (u64, u64) {
        (self.decisions, self.offers)
    }

    pub fn task_state(&self, slot: u32) -> TaskState {
        self.tasks
            .get(slot as usize)
            .map_or(TaskState::Idle, |t| t.state)
    }

    /// Tasks queued in a service (waiting or ringing).
    pub fn queue_len(&self, service: ServiceId) -> u32 {
        self.services[service as usize].queue.len()
    }

    /// Users currently selectable for a service.
    pub fn selectable_users(&self, service: ServiceId) -> u32 {
        self.services[service as usize].selectable.len() as u32
    }

    /// The distribution round of a task (offers carry it).
    /// Distribution type of a queued task.
    pub fn kind(&self, slot: u32) -> DistributionType {
        self.tasks
            .get(slot as usize)
            .map_or(DistributionType::Direct, |t| t.kind)
    }

    pub fn round(&self, slot: u32) -> u32 {
        self.tasks.get(slot as usize).map_or(0, |t| t.round)
    }

    pub fn user_load(&self, user: UserId) -> u32 {
        self.users[user as usize].load
    }

    /// Whether the user could be offered a task of `service` right now.
    pub fn is_selectable(&self, user: UserId, service: ServiceId) -> bool {
        let u = &self.users[user as usize];
        u.membership(service)
            .is_some_and(|m| u.eligible(m, &self.services[service as usize]))
    }

    /// Members of a service that are signed in (not Offline) and active there.
    pub fn active_members(&self, service: ServiceId) -> (u32, u32) {
        let mut online = 0;
        let mut selectable = 0;
        for (i, u) in self.users.iter().enumerate() {
            if let Some(m) = u.membership(service) {
                if u.memberships[m].active && !u.off_duty && u.presence != Presence::Offline {
                    online += 1;
                }
                if self.is_selectable(i as UserId, service) {
                    selectable += 1;
                }
            }
        }
        (online, selectable)
    }

    /// Puts a task into a service's queue and distributes it. Returns its
    /// 1-based queue position at entry.
    pub fn enqueue(
        &mut self,
        slot: u32,
        service: ServiceId,
        priority: Priority,
        kind: DistributionType,
        preferred: Option<u32>,
        now: Time,
    ) -> u32 {
        if self.tasks.len() <= slot as usize {
            self.tasks.resize(slot as usize + 1, TaskRoute::default());
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        // Rounds keep counting across the tasks that reuse a slot, so an
        // offer (slot, round) never matches a later task's offer.
        let round = self.tasks[slot as usize].round;
        self.tasks[slot as usize] = TaskRoute {
            service,
            priority,
            kind,
            enqueued_at: now,
            seq,
            state: TaskState::Waiting,
            preferred,
            round,
            ..TaskRoute::default()
        };
        if self.services[service as usize].policy_from.len() >= 2 {
            self.schedule_policy(slot, now);
        }
        self.levels += 1;
        let svc = &mut self.services[service as usize];
        svc.waiting += 1;
        let pos = svc.queue.push(slot, seq, priority);
        self.dispatch_task(slot);
        pos
    }

    /// Current 1-based queue position of a queued task.
    pub fn position(&mut self, slot: u32) -> Option<u32> {
        let t = self.tasks.get(slot as usize)?;
        if !matches!(t.state, TaskState::Waiting | TaskState::Ringing) {
            return None;
        }
        let tasks = &self.tasks;
        Some(
            self.services[t.service as usize]
                .queue
                .position(t.priority, t.seq, |e| entry_live(tasks, e)),
        )
    }

    /// Changes a queued task's priority (Distribution Priority); it keeps its
    /// place in time order within the new level.
    pub fn set_priority(&mut self, slot: u32, priority: Priority) {
        let Some(t) = self.tasks.get_mut(slot as usize) else {
            return;
        };
        if !matches!(t.state, TaskState::Waiting | TaskState::Ringing) || t.priority == priority {
            if t.state == TaskState::Idle {
                t.priority = priority;
            }
            return;
        }
        let old = t.priority;
        t.priority = priority;
        let (service, seq) = (t.service, t.seq);
        let q = &mut self.services[service as usize].queue;
        q.remove(old, seq);
        q.insert_by_seq(slot, seq, priority);
    }

    /// The customer left or the workflow cancelled the task: removes it from
    /// the queue and releases ringing users. Returns the state it was in.
    pub fn remove(&mut self, slot: u32, now: Time) -> TaskState {
        let Some(t) = self.tasks.get_mut(slot as usize) else {
            return TaskState::Idle;
        };
        let prev = t.state;
        if matches!(prev, TaskState::Waiting | TaskState::Ringing) {
            t.state = TaskState::Idle;
            let (service, priority, seq) = (t.service, t.priority, t.seq);
            let svc = &mut self.services[service as usize];
            svc.queue.remove(priority, seq);
            svc.waiting -= u32::from(prev == TaskState::Waiting);
            self.levels += 1;
            if prev == TaskState::Ringing {
                self.release_ring(slot, None, now);
            }
        }
        prev
    }

    /// The offered user accepts. Returns false (and changes nothing) when the
    /// offer no longer stands.
    pub fn accept(&mut self, slot: u32, user: UserId, round: u32, now: Time) -> bool {
        if !self.offer_stands(slot, user, round) {
            return false;
        }
        let t = &mut self.tasks[slot as usize];
        t.state = TaskState::Connected;
        t.user = user;
        let (service, priority, seq, n_ring) = (t.service, t.priority, t.seq, t.n_ring);
        t.n_ring = 0;
        self.services[service as usize].queue.remove(priority, seq);
        self.levels += 1;
        if n_ring > 1 {
            // Broadcast: the others stop ringing.
            self.tasks[slot as usize].n_ring = n_ring;
            self.release_ring(slot, Some(user), now);
        }
        let u = &mut self.users[user as usize];
        u.ringing = false;
        u.load += 1;
        self.settle_user(user);
        true
    }

    /// The user declined: the task goes back to its place in the queue, and
    /// the user is flagged RONA when the service has persistent RONA (direct
    /// distribution only).
    pub fn decline(&mut self, slot: u32, user: UserId, round: u32, now: Time) -> bool {
        self.unanswered(slot, user, round, now)
    }

    /// The user let it ring until the ring timeout: the same as a decline.
    pub fn ring_timeout(&mut self, slot: u32, user: UserId, round: u32, now: Time) -> bool {
        self.unanswered(slot, user, round, now)
    }

    fn unanswered(&mut self, slot: u32, user: UserId, round: u32, now: Time) -> bool {
        if !self.offer_stands(slot, user, round) {
            return false;
        }
        let t = &mut self.tasks[slot as usize];
        let (service, kind) = (t.service, t.kind);
        let svc = &mut self.services[service as usize];
        let n = t.n_ring as usize;
        if let Some(i) = t.ring[..n].iter().position(|&x| x == user) {
            t.ring[i] = t.ring[n - 1];
            t.n_ring -= 1;
        }
        if !t.refused_by(user) {
            if (t.n_refused as usize) < BROADCAST_WIDTH {
                t.refused[t.n_refused as usize] = user;
                t.n_refused += 1;
            } else {
                t.held = true;
            }
        }
        // Redistribution: the refusal holds for the pause after the latest one.
        t.refused_until = now + svc.redistribution_pause;
        self.actions.push(Action::RedistributeAt {
            slot,
            at: t.refused_until,
        });
        let back_to_queue = t.n_ring == 0;
        if back_to_queue {
            t.state = TaskState::Waiting;
            svc.waiting += 1;
        }
        // Nimbus flags a user who declines or ignores an offer; a broadcast
        // has no RONA.
        let rona = kind == DistributionType::Direct && svc.persistent_rona;
        let until = now + svc.rona_reset;
        let u = &mut self.users[user as usize];
        u.ringing = false;
        // Ringing is Nimbus work: the user's idle time starts again.
        if u.load == 0 {
            u.idle_since = now;
        }
        if rona {
            u.rona_until = until;
            u.in_rona = true;
            self.actions.push(Action::RonaUntil { user, until });
        }
        self.refresh_user(user);
        if back_to_queue {
            self.dispatch_task(slot);
        }
        self.dispatch_user(user);
        true
    }

    /// The user's session with the task ended; after-call work follows when
    /// the task's service has it.
    pub fn finish(&mut self, slot: u32, now: Time) {
        let t = &mut self.tasks[slot as usize];
        debug_assert_eq!(t.state, TaskState::Connected);
        t.state = TaskState::Idle;
        let (user, acw) = (t.user, self.services[t.service as usize].acw);
        let u = &mut self.users[user as usize];
        u.load -= 1;
        if acw > 0 {
            u.in_acw = true;
            u.acw_until = u.acw_until.max(now + acw);
            let until = u.acw_until;
            self.actions.push(Action::AcwUntil { user, until });
        } else if u.load == 0 && !u.in_acw {
            u.idle_since = now;
        }
        self.settle_user(user);
    }

    /// The after-call work timer fired. A later session may have extended it;
    /// returns whether the ACW is over.
    pub fn acw_end(&mut self, user: UserId, now: Time) -> bool {
        let u = &mut self.users[user as usize];
        if !u.in_acw || now < u.acw_until {
            return false;
        }
        u.in_acw = false;
        if u.load == 0 {
            u.idle_since = now;
        }
        self.settle_user(user);
        true
    }

    /// The RONA flag's reset time came; returns whether it was cleared.
    pub fn rona_end(&mut self, user: UserId, now: Time) -> bool {
        let u = &mut self.users[user as usize];
        if !u.in_rona || now < u.rona_until {
            return false;
        }
        u.in_rona = false;
        self.settle_user(user);
        true
    }

    /// Teams presence changed. Going Offline clears the RONA flag; returns
    /// whether it did.
    pub fn set_presence(&mut self, user: UserId, presence: Presence, _now: Time) -> bool {
        let u = &mut self.users[user as usize];
        u.presence = presence;
        let cleared = presence == Presence::Offline && std::mem::take(&mut u.in_rona);
        self.settle_user(user);
        cleared
    }

    /// The user went Off Duty (in every service: a break) or back on duty.
    /// Going Off Duty clears the RONA flag; returns whether it did.
    pub fn set_off_duty(&mut self, user: UserId, off_duty: bool, _now: Time) -> bool {
        let u = &mut self.users[user as usize];
        u.off_duty = off_duty;
        let cleared = off_duty && std::mem::take(&mut u.in_rona);
        self.settle_user(user);
        cleared
    }

    /// A task's redistribution pause may be over: the users who refused it
    /// may get it again, and it is distributed anew if it waits.
    pub fn redistribute(&mut self, slot: u32, now: Time) {
        let Some(t) = self.tasks.get_mut(slot as usize) else {
            return;
        };
        let queued = matches!(t.state, TaskState::Waiting | TaskState::Ringing);
        if !queued || now < t.refused_until || (t.n_refused == 0 && !t.held) {
            return; // a later refusal extended the pause, or nothing to lift
        }
        t.n_refused = 0;
        t.held = false;
        self.dispatch_task(slot);
    }

    /// An audio/video call started or ended (calls block, chats do not).
    pub fn set_in_call(&mut self, user: UserId, in_call: bool, _now: Time) {
        self.users[user as usize].in_call = in_call;
        self.settle_user(user);
    }

    /// The task's policy level changed: more users may match now.
    pub fn policy_tick(&mut self, slot: u32, now: Time) {
        let Some(t) = self.tasks.get(slot as usize) else {
            return;
        };
        if !matches!(t.state, TaskState::Waiting | TaskState::Ringing) {
            return;
        }
        self.schedule_policy(slot, now);
        self.dispatch_task(slot);
    }

    fn schedule_policy(&mut self, slot: u32, now: Time) {
        let t = &mut self.tasks[slot as usize];
        let from = &self.services[t.service as usize].policy_from;
        if from.len() < 2 {
            return; // one level or none: the pool never widens
        }
        let waited = now - t.enqueued_at;
        let level = from.iter().rposition(|&f| f <= waited).unwrap_or(0);
        t.level = level as u8;
        if let Some(&next) = from.get(level + 1) {
            self.actions.push(Action::PolicyTimer {
                slot,
                at: t.enqueued_at + next,
            });
        }
    }

    fn offer_stands(&self, slot: u32, user: UserId, round: u32) -> bool {
        self.tasks
            .get(slot as usize)
            .is_some_and(|t| t.state == TaskState::Ringing && t.round == round && t.rings(user))
    }

    /// Stops every ring of a task except `keep`'s; ringing was Nimbus work,
    /// so the released users' idle time starts again.
    fn release_ring(&mut self, slot: u32, keep: Option<UserId>, now: Time) {
        let t = &mut self.tasks[slot as usize];
        let n = t.n_ring as usize;
        let ring = t.ring;
        t.n_ring = 0;
        for &u in &ring[..n] {
            if Some(u) == keep {
                continue;
            }
            self.actions.push(Action::Withdraw { slot, user: u });
            let ur = &mut self.users[u as usize];
            ur.ringing = false;
            if ur.load == 0 {
                ur.idle_since = now;
            }
            self.refresh_user(u);
        }
        for &u in &ring[..n] {
            if Some(u) != keep {
                self.dispatch_user(u);
            }
        }
    }

    /// A user's state changed: offers the user a waiting task if one
    /// matches, and re-files the user in the selectable sets. Dispatching
    /// first is the same as `refresh_user` then `dispatch_user`
    /// (`dispatch_user` reads the user's flags and the queues, never the
    /// selectable sets, and an offer re-files the user itself), but a user
    /// who gets a task at once is not inserted into a set only to be removed
    /// again: at high load that is most users freed by a finish.
    fn settle_user(&mut self, user: UserId) {
        self.dispatch_user(user);
        self.refresh_user(user);
    }

    /// Re-files a user in its services' selectable sets after a change.
    /// Inlined to its first test: a user who is not free and in no set
    /// stays out (most calls, e.g. each accept at full load).
    #[inline(always)]
    fn refresh_user(&mut self, user: UserId) {
        let u = &self.users[user as usize];
        if u.filed == 0 && !u.free() {
            return;
        }
        self.refile_user(user);
    }

    #[inline(never)]
    fn refile_user(&mut self, user: UserId) {
        let u = &mut self.users[user as usize];
        let free = u.free();
        for m in 0..u.memberships.len() {
            if !free && u.memberships[m].key.is_none() {
                continue; // stays out of the set
            }
            let svc = &mut self.services[u.memberships[m].service as usize];
            let new_key = (free && u.eligible_in(m, svc)).then(|| u.key(m, user));
            let ms = &mut u.memberships[m];
            if new_key == ms.key {
                continue;
            }
            self.levels += 1;
            if let Some(k) = ms.key {
                svc.selectable.remove(&k);
            }
            if let Some(k) = new_key {
                svc.selectable.insert(k);
            }
            // `filed` counts the Some keys: at least 1 when the old one is.
            u.filed -= u32::from(ms.key.is_some());
            u.filed += u32::from(new_key.is_some());
            ms.key = new_key;
        }
    }

    fn offer(&mut self, slot: u32, users: &[UserId]) {
        self.offers += 1;
        let t = &mut self.tasks[slot as usize];
        debug_assert_eq!(t.state, TaskState::Waiting);
        t.state = TaskState::Ringing;
        self.services[t.service as usize].waiting -= 1;
        t.round = t.round.wrapping_add(1);
        t.n_ring = users.len() as u8;
        t.ring[..users.len()].copy_from_slice(users);
        let round = t.round;
        for &user in users {
            self.users[user as usize].ringing = true;
            self.refresh_user(user);
            self.actions.push(Action::Offer { slot, user, round });
        }
    }

    /// Whether `user` matches the task's current policy level.
    #[inline]
    fn matches(&self, slot: u32, user: UserId) -> bool {
        let t = &self.tasks[slot as usize];
        if t.refused_by(user) {
            return false;
        }
        let u = &self.users[user as usize];
        u.membership(t.service)
            .is_some_and(|m| u.memberships[m].min_level <= t.level)
    }

    /// Offers a waiting task to the best matching selectable users of its
    /// service: preferred users first (by rank), then the service's order.
    fn dispatch_task(&mut self, slot: u32) {
        let t = &self.tasks[slot as usize];
        if t.state != TaskState::Waiting || t.held {
            return;
        }
        self.decisions += 1;
        let (service, preferred) = (t.service, t.preferred);
        let width = match t.kind {
            DistributionType::Direct => 1,
            DistributionType::Broadcast => BROADCAST_WIDTH,
        };
        let mut chosen = [0 as UserId; BROADCAST_WIDTH];
        let mut n = 0;
        if let Some(p) = preferred {
            for &u in &self.preferred[p as usize] {
                if n < width && self.is_selectable(u, service) && self.matches(slot, u) {
                    chosen[n] = u;
                    n += 1;
                }
            }
        }
        if n < width {
            for &(_, _, u) in self.services[service as usize].selectable.iter() {
                if chosen[..n].contains(&u) || !self.matches(slot, u) {
                    continue;
                }
                chosen[n] = u;
                n += 1;
                if n == width {
                    break;
                }
            }
        }
        if n > 0 {
            self.offer(slot, &chosen[..n]);
        }
    }

    /// Offers a newly selectable user the best waiting task among all of its
    /// services: within a service Strict first, the middle levels by weighted
    /// round robin, NothingElse only when nothing else waits; across services
    /// the highest priority, then the longest waiting.
    fn dispatch_user(&mut self, user: UserId) {
        let mut decided = false;
        let n = self.users[user as usize].memberships.len();
        let mut best: Option<(Priority, Time, u64, ServiceId, u8)> = None;
        for m in 0..n {
            let u = &self.users[user as usize];
            let ms = &u.memberships[m];
            let (s, min_level) = (ms.service, ms.min_level);
            if !u.eligible(m, &self.services[s as usize]) {
                continue;
            }
            if !decided {
                // A user free for one of its services: one decision.
                decided = true;
                self.decisions += 1;
            }
            // With one candidate service the pick is final: no need to peek.
            let commit = n == 1;
            let Some(slot) = self.pick_for_user(s, user, min_level, commit) else {
                continue;
            };
            if commit {
                self.offer(slot, &[user]);
                return;
            }
            let t = &self.tasks[slot as usize];
            let key = (t.priority, t.enqueued_at, t.seq, s, min_level);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        if let Some((_, _, _, s, min_level)) = best {
            // Commit the round-robin step of the chosen service.
            let slot = self
                .pick_for_user(s, user, min_level, true)
                .expect("the same pick as the peek");
            // A user rings for one task at a time: one offer is enough.
            self.offer(slot, &[user]);
        }
    }

    /// The task a user (qualifying from policy level `min_level` on) would
    /// get from service `s`; `commit` advances the round robin.
    fn pick_for_user(
        &mut self,
        s: ServiceId,
        user: UserId,
        min_level: u8,
        commit: bool,
    ) -> Option<u32> {
        let svc = &mut self.services[s as usize];
        if svc.waiting == 0 {
            return None;
        }
        let tasks = &self.tasks;
        let live = |e: Entry| entry_live(tasks, e);
        let wanted = |e: Entry| {
            let t = &tasks[e.slot as usize];
            t.state == TaskState::Waiting && min_level <= t.level && !t.held && !t.refused_by(user)
        };
        // Strict is always first.
        if svc.queue.has_level(0) {
            if let Some(e) = svc.queue.first_in_level(0, live, wanted) {
                return Some(e.slot);
            }
        }
        let mut heads = [None; 7];
        let mut mask = 0u8;
        // The middle levels that hold a task, as bits 0..7.
        let mut occupied = (svc.queue.occupied_levels() >> 1) & 0x7f;
        while occupied != 0 {
            let i = occupied.trailing_zeros() as usize;
            occupied &= occupied - 1;
            heads[i] = svc.queue.first_in_level(i + 1, live, wanted);
            if heads[i].is_some() {
                mask |= 1 << i;
            }
        }
        if mask.count_ones() == 1 {
            // A lone level: no round robin to turn.
            return heads[mask.trailing_zeros() as usize].map(|e| e.slot);
        }
        if mask != 0 {
            let i = if commit {
                svc.wrr.pick(mask)
            } else {
                svc.wrr.peek(mask)
            };
            return heads[i].map(|e| e.slot);
        }
        // NothingElse: only when nothing else this user could take waits.
        svc.queue.first_in_level(8, live, wanted).map(|e| e.slot)
    }
}

fn entry_live(tasks: &[TaskRoute], e: Entry) -> bool {
    let t = &tasks[e.slot as usize];
    t.seq == e.seq
        && t.priority.index() == e.level as usize
        && matches!(t.state, TaskState::Waiting | TaskState::Ringing)
}

#[cfg(test)]
mod tests;
