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
    waits: IntervalWaits,
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
            waits: IntervalWaits::default(),
            qlen: TimeWeighted::default(),
            selectable: TimeWeighted::default(),
        }
    }

    /// A task left the queue after `wait`.
    pub fn left_queue(&mut self, wait: Time, in_sla: bool) {
        self.left_queue += 1;
        self.in_sla += u64::from(in_sla);
        self.wait_sum += wait as u128;
        self.waits.push(wait);
    }

    /// The interval's 90th percentile wait (HDR's median-equivalent value,
    /// as for the whole run), None without waits.
    pub fn wait_p90(&mut self) -> Option<Time> {
        self.waits.quantile(0.9)
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
        self.waits.clear();
    }
}

/// Most waits an interval keeps as a list before it counts them in a
/// histogram instead (memory stays bounded whatever the interval length).
const WAITS_LISTED: usize = 1 << 16;

/// The waits of one reporting interval, for its percentile.
///
/// Kept as a plain list and selected at the interval's end, rather than in
/// an HDR histogram reset at every interval: a reset clears the whole
/// counts array (sized by the largest wait of the run), which for hourly
/// intervals cost more than recording. The answer is the same: HDR's
/// quantile is the bucket of the k-th smallest value (k = ceil(q n), at
/// least 1), and the bucket depends only on the value, so selecting the
/// k-th smallest wait and taking its bucket's median equivalent from a
/// histogram of the same precision gives HDR's figure exactly.
pub struct IntervalWaits {
    listed: Vec<Time>,
    /// Used only once an interval has more than `WAITS_LISTED` waits.
    counted: Histogram<u64>,
    spilled: bool,
}

impl Default for IntervalWaits {
    fn default() -> Self {
        IntervalWaits {
            listed: Vec::new(),
            counted: wait_histogram(),
            spilled: false,
        }
    }
}

impl IntervalWaits {
    #[inline]
    pub fn push(&mut self, wait: Time) {
        if self.spilled {
            record(&mut self.counted, wait);
        } else if self.listed.len() < WAITS_LISTED {
            self.listed.push(wait);
        } else {
            for &w in &self.listed {
                record(&mut self.counted, w);
            }
            record(&mut self.counted, wait);
            self.listed.clear();
            self.spilled = true;
        }
    }

    /// HDR's `median_equivalent(value_at_quantile(q))` for 0 < q <= 1.
    pub fn quantile(&mut self, q: f64) -> Option<Time> {
        if self.spilled {
            let h = &self.counted;
            return Some(h.median_equivalent(h.value_at_quantile(q)));
        }
        let n = self.listed.len();
        if n == 0 {
            return None;
        }
        let k = ((q.min(1.0) * n as f64).ceil() as usize).clamp(1, n);
        let (_, v, _) = self.listed.select_nth_unstable(k - 1);
        Some(self.counted.median_equivalent(*v))
    }

    pub fn clear(&mut self) {
        self.listed.clear();
        if self.spilled {
            self.counted.reset();
            self.spilled = false;
        }
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

#[cfg(test)]
mod interval_waits_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The listed (and the spilled) percentile equals an HDR histogram's.
        #[test]
        fn listed_quantile_is_hdrs(
            waits in prop::collection::vec(0u64..4_000_000_000, 1..3000),
            q in 0.01f64..=1.0,
            spill in any::<bool>(),
        ) {
            let mut w = IntervalWaits::default();
            if spill {
                w.spilled = true;
            }
            let mut h = wait_histogram();
            for &x in &waits {
                w.push(x);
                record(&mut h, x);
            }
            let want = h.median_equivalent(h.value_at_quantile(q));
            prop_assert_eq!(w.quantile(q), Some(want));
            w.clear();
            prop_assert_eq!(w.quantile(q), None);
        }
    }

    #[test]
    fn a_long_interval_spills_into_the_histogram() {
        let mut w = IntervalWaits::default();
        let mut h = wait_histogram();
        for i in 0..(WAITS_LISTED as u64 + 10) {
            let x = (i * 7919) % 1_000_003;
            w.push(x);
            record(&mut h, x);
        }
        assert!(w.spilled && w.listed.is_empty());
        assert_eq!(
            w.quantile(0.9),
            Some(h.median_equivalent(h.value_at_quantile(0.9)))
        );
        w.clear();
        assert!(!w.spilled);
        w.push(5);
        assert_eq!(w.quantile(0.9), Some(h.median_equivalent(5)));
    }
}
