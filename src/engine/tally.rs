//! Per-replication accumulators the engine keeps while it runs: reporting
//! intervals per service and time per state per user, clipped to the
//! measured window.

use hdrhistogram::Histogram;

use crate::model::time::{to_secs_f64, Time};
use crate::model::Presence;
use crate::stats::timeweighted::{clipped, TimeWeighted};
use crate::stats::{record, wait_histogram, Occupancy, UserRow};

/// Per-service figures of the current reporting interval.
pub struct IntervalTally {
    pub offered: u64,
    pub queued: u64,
    pub handled: u64,
    pub abandoned: u64,
    pub failed: u64,
    pub left_queue: u64,
    pub in_sla: u64,
    pub wait_sum: u128,
    pub waits: Histogram<u64>,
    pub qlen: TimeWeighted,
    pub selectable: TimeWeighted,
}

impl IntervalTally {
    pub fn new() -> Self {
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

    /// A task left the queue after `wait`.
    pub fn left_queue(&mut self, wait: Time, in_sla: bool) {
        self.left_queue += 1;
        self.in_sla += u64::from(in_sla);
        self.wait_sum += wait as u128;
        record(&mut self.waits, wait);
    }

    pub fn reset_counts(&mut self) {
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

/// Measured window [lo, hi).
#[derive(Clone, Copy)]
pub struct Window {
    pub lo: Time,
    pub hi: Time,
}

impl Window {
    #[inline]
    pub fn secs(&self, a: Time, b: Time) -> f64 {
        to_secs_f64(clipped(a, b, self.lo, self.hi))
    }
}

/// Time a user spends in each state, and the staffed time and chat holding
/// over the run and within the current reporting interval.
#[derive(Default, Clone)]
pub struct UserTally {
    pub row: UserRow,
    pub busy_since: Time,
    pub acw_since: Time,
    pub in_acw: bool,
    pub rona_since: Time,
    pub in_rona: bool,
    pub ring_since: Time,
    pub call_since: Time,
    pub presence: Option<Presence>,
    pub presence_since: Time,
    /// IM capacity (0: unlimited, no slot figures).
    pub capacity: u32,
    /// Chats held and whether staffed since `held_since` (see `account`).
    pub load: u32,
    pub staffed: bool,
    pub held_since: Time,
    /// Over the measured window, and within the current interval.
    pub occ: Occupancy,
    pub occ_interval: Occupancy,
}

impl UserTally {
    /// Closes the current presence period at `now` (and opens `next`).
    pub fn presence_change(&mut self, w: Window, interval_start: Time, now: Time, next: Presence) {
        self.account(w, interval_start, now);
        if let Some(p) = self.presence {
            let s = w.secs(self.presence_since, now);
            self.row.presence_s[p.index()] += s;
        }
        self.presence = Some(next);
        self.presence_since = now;
        self.staffed = next != Presence::Offline;
    }

    /// Books the time since the last call with the load and staffing then;
    /// call it before either changes (and at interval ends). Sub-spans of
    /// one span are booked into staffed, engaged and overtime alike, so
    /// engaged <= staffed exactly.
    pub fn account(&mut self, w: Window, interval_start: Time, now: Time) {
        let since = self.held_since;
        self.held_since = now;
        let all = clipped(since, now, w.lo, w.hi) as u128;
        if all == 0 {
            return;
        }
        let part = clipped(since.max(interval_start), now, w.lo, w.hi) as u128;
        for (o, d) in [(&mut self.occ, all), (&mut self.occ_interval, part)] {
            if self.staffed {
                o.staffed += d;
                if self.load > 0 {
                    o.engaged += d;
                }
                if self.capacity > 0 {
                    o.slots += d * self.load as u128;
                    o.slot_capacity += d * self.capacity as u128;
                }
            } else if self.load > 0 {
                o.overtime += d;
            }
        }
    }

    /// The chats held changed to `load` at `now`.
    #[inline]
    pub fn set_load(&mut self, w: Window, interval_start: Time, now: Time, load: u32) {
        self.account(w, interval_start, now);
        self.load = load;
    }
}
