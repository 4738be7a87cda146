//! Where a replication's streamed records go: the CSV writers in `report`, or
//! nowhere (`--no-sessions`, benchmarks, tests that read the summary only).

use crate::model::civil::Civil;
use crate::model::{Channel, Outcome, Priority, Scenario, ServiceId, Time, UserId};

/// One service session, as sessions.csv shows it. Times are simulation times;
/// writers subtract `origin` (the measured start). Services and users are
/// scenario indices; the `*_name` methods give their names.
#[derive(Debug, Clone, Copy)]
pub struct SessionRecord<'a> {
    pub scn: &'a Scenario,
    pub replication: u32,
    pub session_id: u64,
    pub task_id: u64,
    pub service: ServiceId,
    pub channel: Channel,
    pub priority: Priority,
    pub arrived: Time,
    pub queued: Option<Time>,
    pub queue_position: Option<u32>,
    pub user: Option<UserId>,
    pub accepted: Option<Time>,
    pub wait: Option<Time>,
    pub ended: Time,
    pub outcome: Outcome,
    pub offers: u32,
    pub ronas: u32,
    pub transferred_to: Option<ServiceId>,
    pub failure_reason: Option<&'a str>,
    /// Positions told by Get Queue Position, in order.
    pub positions_told: &'a [u16],
    pub origin: Time,
}

impl<'a> SessionRecord<'a> {
    pub fn service_name(&self) -> &'a str {
        &self.scn.services[self.service as usize].name
    }

    pub fn user_name(&self) -> Option<&'a str> {
        let scn = self.scn;
        self.user.map(|u| scn.users[u as usize].name.as_str())
    }

    pub fn transferred_name(&self) -> Option<&'a str> {
        let scn = self.scn;
        self.transferred_to
            .map(|s| scn.services[s as usize].name.as_str())
    }

    pub fn brief(&self) -> SessionBrief {
        SessionBrief {
            service: self.service,
            arrived: self.arrived,
            wait: self.queued.and(self.wait),
            accepted: self.accepted.is_some(),
            outcome: self.outcome,
        }
    }
}

/// What report.html's per-interval figures need of a session: handed to
/// sinks that want no more (`Sinks::wants_briefs`), since building a whole
/// record for every chat costs more than the figures themselves.
#[derive(Debug, Clone, Copy)]
pub struct SessionBrief {
    pub service: ServiceId,
    pub arrived: Time,
    /// The queue wait, when the session queued.
    pub wait: Option<Time>,
    pub accepted: bool,
    pub outcome: Outcome,
}

/// One service's reporting interval, as intervals.csv shows it.
#[derive(Debug, Clone, Copy)]
pub struct IntervalRecord<'a> {
    pub replication: u32,
    pub service: &'a str,
    /// Interval start, seconds from the measured start.
    pub start_s: f64,
    /// Interval start on the scenario's local clock.
    pub start_local: Civil,
    pub offered: u64,
    pub queued: u64,
    pub handled: u64,
    pub abandoned: u64,
    pub failed: u64,
    pub service_level: f64,
    pub mean_wait_s: f64,
    pub wait_p90_s: f64,
    pub mean_queue_length: f64,
    pub max_queue_length: u32,
    pub selectable_users: f64,
    /// Share of the members' staffed time with at least one chat (also
    /// written as `occupancy`).
    pub engaged: f64,
    /// Chat slots used over slots staffed.
    pub slot_occupancy: f64,
}

pub trait Sinks {
    /// Whether `session` keeps anything; when not, the engine does not build
    /// the records at all.
    fn wants_sessions(&self) -> bool {
        true
    }
    fn session(&mut self, r: &SessionRecord);
    /// Whether `brief` keeps anything (it gets every session `session`
    /// would, whether or not `session` is called too).
    fn wants_briefs(&self) -> bool {
        false
    }
    fn brief(&mut self, _: &SessionBrief) {}
    fn interval(&mut self, r: &IntervalRecord);
}

/// Discards everything.
pub struct NullSinks;

impl Sinks for NullSinks {
    fn wants_sessions(&self) -> bool {
        false
    }
    fn session(&mut self, _: &SessionRecord) {}
    fn interval(&mut self, _: &IntervalRecord) {}
}

/// Keeps everything in memory (tests).
#[derive(Default)]
pub struct MemorySinks {
    pub sessions: Vec<OwnedSession>,
    pub intervals: Vec<(String, f64, u64, u64, u64)>,
}

/// A session record with owned strings.
#[derive(Debug, Clone)]
pub struct OwnedSession {
    pub task_id: u64,
    pub service: String,
    pub user: Option<String>,
    pub arrived: Time,
    pub queued: Option<Time>,
    pub queue_position: Option<u32>,
    pub accepted: Option<Time>,
    pub wait: Option<Time>,
    pub ended: Time,
    pub outcome: Outcome,
    pub offers: u32,
    pub replication: u32,
    pub session_id: u64,
    pub channel: Channel,
    pub priority: Priority,
    pub ronas: u32,
    pub transferred_to: Option<String>,
    pub failure_reason: Option<String>,
}

impl Sinks for MemorySinks {
    fn session(&mut self, r: &SessionRecord) {
        self.sessions.push(OwnedSession {
            task_id: r.task_id,
            service: r.service_name().to_string(),
            user: r.user_name().map(str::to_string),
            arrived: r.arrived,
            queued: r.queued,
            queue_position: r.queue_position,
            accepted: r.accepted,
            wait: r.wait,
            ended: r.ended,
            outcome: r.outcome,
            offers: r.offers,
            replication: r.replication,
            session_id: r.session_id,
            channel: r.channel,
            priority: r.priority,
            ronas: r.ronas,
            transferred_to: r.transferred_name().map(str::to_string),
            failure_reason: r.failure_reason.map(str::to_string),
        });
    }
    fn interval(&mut self, r: &IntervalRecord) {
        self.intervals.push((
            r.service.to_string(),
            r.start_s,
            r.offered,
            r.queued,
            r.handled,
        ));
    }
}

/// Feeds both sinks (e.g. the CSV writers and the per-interval judge).
pub struct Tee<A, B>(pub A, pub B);

impl<A: Sinks, B: Sinks> Sinks for Tee<A, B> {
    fn wants_sessions(&self) -> bool {
        self.0.wants_sessions() || self.1.wants_sessions()
    }
    fn session(&mut self, r: &SessionRecord) {
        if self.0.wants_sessions() {
            self.0.session(r);
        }
        if self.1.wants_sessions() {
            self.1.session(r);
        }
    }
    fn wants_briefs(&self) -> bool {
        self.0.wants_briefs() || self.1.wants_briefs()
    }
    fn brief(&mut self, b: &SessionBrief) {
        if self.0.wants_briefs() {
            self.0.brief(b);
        }
        if self.1.wants_briefs() {
            self.1.brief(b);
        }
    }
    fn interval(&mut self, r: &IntervalRecord) {
        self.0.interval(r);
        self.1.interval(r);
    }
}
