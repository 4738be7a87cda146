//! The distribution algorithm as a deterministic state machine.
//!
//! The router never reads a clock or draws a random number: its driver (the
//! discrete-event engine, or the real-time load tester) calls it with the
//! current time and an input, and collects the resulting `Action`s from
//! `take_actions`. One algorithm, two drivers.

pub mod queue;

use std::collections::BTreeSet;

use crate::model::{Priority, Scenario, ServiceId, Time, UserId, UNLIMITED};
use queue::{Entry, ServiceQueue};

/// What the router asks its driver to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ring `user` with task `slot`; the driver answers with `accept` (or a
    /// customer hang-up) later.
    Offer { slot: u32, user: UserId },
    /// The user is in after-call work until `until`; the driver calls
    /// `acw_end` then.
    AcwUntil { user: UserId, until: Time },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Not in any queue.
    Idle,
    Waiting,
    Ringing,
    Connected,
}

#[derive(Debug, Clone, Copy)]
struct TaskRoute {
    service: ServiceId,
    priority: Priority,
    enqueued_at: Time,
    seq: u64,
    state: TaskState,
    user: UserId,
}

impl Default for TaskRoute {
    fn default() -> Self {
        TaskRoute {
            service: 0,
            priority: Priority::Normal,
            enqueued_at: 0,
            seq: 0,
            state: TaskState::Idle,
            user: 0,
        }
    }
}

/// Ordering key of a selectable user within a service: fewest chats first,
/// then longest idle, then the stable user index.
type UserKey = (u32, Time, UserId);

#[derive(Debug)]
struct UserRoute {
    services: Vec<ServiceId>,
    capacity: u32,
    load: u32,
    ringing: bool,
    acw_until: Time,
    in_acw: bool,
    /// When the user last became free of Nimbus work (ACW included).
    idle_since: Time,
    /// The key under which the user sits in its services' selectable sets.
    key: Option<UserKey>,
}

impl UserRoute {
    fn selectable(&self) -> bool {
        !self.ringing && !self.in_acw && (self.capacity == UNLIMITED || self.load < self.capacity)
    }
}

struct ServiceRoute {
    queue: ServiceQueue,
    selectable: BTreeSet<UserKey>,
    acw: Time,
}

pub struct Router {
    services: Vec<ServiceRoute>,
    users: Vec<UserRoute>,
    tasks: Vec<TaskRoute>,
    next_seq: u64,
    actions: Vec<Action>,
}

impl Router {
    pub fn new(scn: &Scenario) -> Router {
        let mut r = Router {
            services: scn
                .services
                .iter()
                .map(|s| ServiceRoute {
                    queue: ServiceQueue::default(),
                    selectable: BTreeSet::new(),
                    acw: s.acw,
                })
                .collect(),
            users: scn
                .users
                .iter()
                .map(|u| UserRoute {
                    services: u.services.clone(),
                    capacity: u.capacity,
                    load: 0,
                    ringing: false,
                    acw_until: 0,
                    in_acw: false,
                    idle_since: 0,
                    key: None,
                })
                .collect(),
            tasks: Vec::new(),
            next_seq: 0,
            actions: Vec::with_capacity(16),
        };
        for u in 0..r.users.len() as UserId {
            r.refresh_user(u);
        }
        r
    }

    /// Moves the pending actions into `out` (cleared first), keeping both
    /// buffers' capacity.
    pub fn take_actions(&mut self, out: &mut Vec<Action>) {
        out.clear();
        std::mem::swap(out, &mut self.actions);
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

    pub fn user_load(&self, user: UserId) -> u32 {
        self.users[user as usize].load
    }

    /// Puts a task into a service's queue and distributes. Returns the task's
    /// 1-based queue position at entry.
    pub fn enqueue(&mut self, slot: u32, service: ServiceId, priority: Priority, now: Time) -> u32 {
        if self.tasks.len() <= slot as usize {
            self.tasks.resize(slot as usize + 1, TaskRoute::default());
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.tasks[slot as usize] = TaskRoute {
            service,
            priority,
            enqueued_at: now,
            seq,
            state: TaskState::Waiting,
            user: 0,
        };
        let pos = self.services[service as usize]
            .queue
            .push(slot, seq, priority);
        self.dispatch_service(service);
        pos
    }

    /// Current 1-based queue position of a queued task.
    pub fn position(&self, slot: u32) -> Option<u32> {
        let t = self.tasks.get(slot as usize)?;
        if !matches!(t.state, TaskState::Waiting | TaskState::Ringing) {
            return None;
        }
        let tasks = &self.tasks;
        Some(
            self.services[t.service as usize]
                .queue
                .position(t.priority, t.seq, |e| Self::entry_live(tasks, e)),
        )
    }

    /// The customer left (or the workflow cancelled the task): removes it from
    /// the queue and releases a ringing user. Returns the state it was in.
    pub fn remove(&mut self, slot: u32, _now: Time) -> TaskState {
        let Some(t) = self.tasks.get_mut(slot as usize) else {
            return TaskState::Idle;
        };
        let prev = t.state;
        match prev {
            TaskState::Waiting | TaskState::Ringing => {
                t.state = TaskState::Idle;
                let (service, priority, user) = (t.service, t.priority, t.user);
                self.services[service as usize].queue.remove(priority);
                if prev == TaskState::Ringing {
                    self.users[user as usize].ringing = false;
                    self.refresh_user(user);
                    self.dispatch_user(user);
                }
            }
            TaskState::Connected | TaskState::Idle => {}
        }
        prev
    }

    /// The offered user accepts. Returns false (and changes nothing) when the
    /// offer no longer stands.
    pub fn accept(&mut self, slot: u32, user: UserId, _now: Time) -> bool {
        let Some(t) = self.tasks.get_mut(slot as usize) else {
            return false;
        };
        if t.state != TaskState::Ringing || t.user != user {
            return false;
        }
        t.state = TaskState::Connected;
        let (service, priority) = (t.service, t.priority);
        self.services[service as usize].queue.remove(priority);
        let u = &mut self.users[user as usize];
        u.ringing = false;
        u.load += 1;
        self.refresh_user(user);
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
        self.refresh_user(user);
        self.dispatch_user(user);
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
        self.refresh_user(user);
        self.dispatch_user(user);
        true
    }

    fn entry_live(tasks: &[TaskRoute], e: Entry) -> bool {
        let t = &tasks[e.slot as usize];
        t.seq == e.seq && matches!(t.state, TaskState::Waiting | TaskState::Ringing)
    }

    /// Re-files a user in its services' selectable sets after a change.
    fn refresh_user(&mut self, user: UserId) {
        let u = &mut self.users[user as usize];
        let new_key = u.selectable().then_some((u.load, u.idle_since, user));
        if new_key == u.key {
            return;
        }
        let old = std::mem::replace(&mut u.key, new_key);
        for &s in &u.services {
            let set = &mut self.services[s as usize].selectable;
            if let Some(k) = old {
                set.remove(&k);
            }
            if let Some(k) = new_key {
                set.insert(k);
            }
        }
    }

    fn offer(&mut self, slot: u32, user: UserId) {
        let t = &mut self.tasks[slot as usize];
        t.state = TaskState::Ringing;
        t.user = user;
        self.users[user as usize].ringing = true;
        self.refresh_user(user);
        self.actions.push(Action::Offer { slot, user });
    }

    /// Offers waiting tasks of a service to its selectable users, best task
    /// to best user, until one side runs out.
    fn dispatch_service(&mut self, service: ServiceId) {
        loop {
            let Some(&(_, _, user)) = self.services[service as usize].selectable.first() else {
                return;
            };
            let tasks = &self.tasks;
            let next = self.services[service as usize].queue.first_where(
                |e| Self::entry_live(tasks, e),
                |e| tasks[e.slot as usize].state == TaskState::Waiting,
            );
            let Some(e) = next else { return };
            self.offer(e.slot, user);
        }
    }

    /// Offers a newly selectable user the best waiting task among all of its
    /// services: highest priority, then longest waiting.
    fn dispatch_user(&mut self, user: UserId) {
        if !self.users[user as usize].selectable() {
            return;
        }
        let mut best: Option<(Priority, Time, u64, u32)> = None;
        for i in 0..self.users[user as usize].services.len() {
            let s = self.users[user as usize].services[i];
            let tasks = &self.tasks;
            let q = &mut self.services[s as usize].queue;
            if q.is_empty() {
                continue;
            }
            if let Some(e) = q.first_where(
                |e| Self::entry_live(tasks, e),
                |e| tasks[e.slot as usize].state == TaskState::Waiting,
            ) {
                let t = &tasks[e.slot as usize];
                let key = (t.priority, t.enqueued_at, t.seq, e.slot);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        }
        if let Some((_, _, _, slot)) = best {
            self.offer(slot, user);
        }
    }
}

#[cfg(test)]
mod tests;
