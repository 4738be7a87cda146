//! Statistics: per-replication tallies, the contract's metric names, and
//! aggregation over replications.

pub mod ci;
pub mod timeweighted;

use hdrhistogram::Histogram;

use crate::model::time::{to_secs_f64, Time};

/// The contract's metric names, in summary.csv order.
pub const METRICS: [&str; 28] = [
    "offered",
    "queued",
    "handled",
    "abandoned",
    "failed",
    "cancelled",
    "transferred",
    "p_wait",
    "mean_wait_s",
    "asa_s",
    "service_level",
    "acceptance_sla",
    "p_abandon",
    "reachability",
    "wait_p50_s",
    "wait_p90_s",
    "wait_p95_s",
    "wait_p99_s",
    "wait_max_s",
    "mean_queue_length",
    "max_queue_length",
    "occupancy",
    "mean_connected_s",
    "ronas",
    "direct",
    "engaged",
    "slot_occupancy",
    "overtime_s",
];
pub const N_METRICS: usize = METRICS.len();

/// Metrics that are shares, from 0 to 1 when defined (every metric is at
/// least 0).
pub const SHARES: [&str; 8] = [
    "p_wait",
    "service_level",
    "acceptance_sla",
    "p_abandon",
    "reachability",
    "occupancy",
    "engaged",
    "slot_occupancy",
];

/// Index of a metric by name.
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|m| *m == name)
}

/// Tenant-wide figures only `routesim load` measures (summary rows of service
/// `*` after the contract's metrics). In thresholds they take the indices
/// `N_METRICS..`, so `METRICS[i]` stays valid for every `run` threshold.
pub const LOAD_METRICS: [&str; 11] = [
    "decisions_per_s",
    "decision_p50_us",
    "decision_p99_us",
    "decision_max_us",
    "timer_lag_p99_ms",
    "events_per_s",
    "late_arrivals",
    "dropped_arrivals",
    "in_queue_at_stop",
    "decisions_offered",
    "decisions_idle",
];

/// Index of a contract or load metric by name (load metrics after `N_METRICS`).
pub fn any_metric_index(name: &str) -> Option<usize> {
    metric_index(name).or_else(|| {
        LOAD_METRICS
            .iter()
            .position(|m| *m == name)
            .map(|i| N_METRICS + i)
    })
}

/// The name of a metric index from `metric_index` or `any_metric_index`.
pub fn metric_name(i: usize) -> &'static str {
    if i < N_METRICS {
        METRICS[i]
    } else {
        LOAD_METRICS[i - N_METRICS]
    }
}

pub type MetricRow = [f64; N_METRICS];

/// A new HDR histogram of waits in microseconds (3 significant digits).
pub fn wait_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is a valid HDR precision")
}

/// Records a value; the histograms auto-resize, so this only saturates for
/// values beyond HDR's range (far beyond any simulated wait).
#[inline]
pub fn record(h: &mut Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

/// Task-based counts of one service (or the tenant) over the measured window.
#[derive(Debug, Clone)]
pub struct Tally {
    pub offered: u64,
    pub queued: u64,
    pub handled: u64,
    pub abandoned: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub transferred: u64,
    pub waited: u64,
    pub wait_sum: u128,
    pub wait_sum_handled: u128,
    pub handled_in_sla: u64,
    pub connected_sum: u128,
    pub ronas: u64,
    /// Direct-contact chats (no service session; counted for the tenant).
    pub direct: u64,
    pub wait_max: Time,
    pub waits: Histogram<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            offered: 0,
            queued: 0,
            handled: 0,
            abandoned: 0,
            failed: 0,
            cancelled: 0,
            transferred: 0,
            waited: 0,
            wait_sum: 0,
            wait_sum_handled: 0,
            handled_in_sla: 0,
            connected_sum: 0,
            ronas: 0,
            direct: 0,
            wait_max: 0,
            waits: wait_histogram(),
        }
    }
}

impl Tally {
    /// Records the wait of a task that left the queue.
    #[inline]
    pub fn record_wait(&mut self, wait: Time) {
        self.record_wait_as(wait, wait > 0);
    }

    /// As `record_wait`, with the driver saying whether the task waited (the
    /// live load tester: its own µs of lateness are not a wait for P(wait)).
    #[inline]
    pub fn record_wait_as(&mut self, wait: Time, waited: bool) {
        if waited {
            self.waited += 1;
        }
        self.wait_sum += wait as u128;
        self.wait_max = self.wait_max.max(wait);
        record(&mut self.waits, wait);
    }

    pub fn merge(&mut self, o: &Tally) {
        self.offered += o.offered;
        self.queued += o.queued;
        self.handled += o.handled;
        self.abandoned += o.abandoned;
        self.failed += o.failed;
        self.cancelled += o.cancelled;
        self.transferred += o.transferred;
        self.waited += o.waited;
        self.wait_sum += o.wait_sum;
        self.wait_sum_handled += o.wait_sum_handled;
        self.handled_in_sla += o.handled_in_sla;
        self.connected_sum += o.connected_sum;
        self.ronas += o.ronas;
        self.direct += o.direct;
        self.wait_max = self.wait_max.max(o.wait_max);
        self.waits
            .add(&o.waits)
            .expect("auto-resizing histograms always merge");
    }

    /// Wait at quantile `q` in seconds: HDR's value, never above the exact
    /// maximum, so p50 <= p90 <= p95 <= p99 <= max holds.
    pub fn wait_quantile_s(&self, q: f64) -> f64 {
        if self.waits.is_empty() {
            return f64::NAN;
        }
        let v = self
            .waits
            .median_equivalent(self.waits.value_at_quantile(q))
            .min(self.wait_max);
        to_secs_f64(v)
    }

    /// The contract's metrics. Time-based inputs come from the caller:
    /// queue length area (value·µs) and max over `window`, and occupancy.
    pub fn metrics(&self, q_area: u128, q_max: u32, window: Time, occ: Occupancy) -> MetricRow {
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                f64::NAN
            } else {
                a as f64 / b as f64
            }
        };
        let mean_s = |sum: u128, n: u64| {
            if n == 0 {
                f64::NAN
            } else {
                sum as f64 / n as f64 / 1e6
            }
        };
        [
            self.offered as f64,
            self.queued as f64,
            self.handled as f64,
            self.abandoned as f64,
            self.failed as f64,
            self.cancelled as f64,
            self.transferred as f64,
            ratio(self.waited, self.queued),
            mean_s(self.wait_sum, self.queued),
            mean_s(self.wait_sum_handled, self.handled),
            ratio(self.handled_in_sla, self.queued),
            ratio(self.handled_in_sla, self.handled),
            ratio(self.abandoned, self.queued),
            ratio(self.handled, self.queued),
            self.wait_quantile_s(0.50),
            self.wait_quantile_s(0.90),
            self.wait_quantile_s(0.95),
            self.wait_quantile_s(0.99),
            if self.queued == 0 {
                f64::NAN
            } else {
                to_secs_f64(self.wait_max)
            },
            if window == 0 {
                f64::NAN
            } else {
                q_area as f64 / window as f64
            },
            q_max as f64,
            // `occupancy` is kept as the name of `engaged` (existing thresholds).
            occ.engaged(),
            mean_s(self.connected_sum, self.handled),
            self.ronas as f64,
            self.direct as f64,
            occ.engaged(),
            occ.slot_occupancy(),
            occ.overtime as f64 / 1e6,
        ]
    }
}

/// Staffed time and chat holding of a set of users, in µs (chat-µs for
/// slots). Integer sums make `engaged <= staffed` and `slots <= slot
/// capacity` hold exactly, so both ratios stay in [0, 1] by construction.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Occupancy {
    /// Time not Offline.
    pub staffed: u128,
    /// Staffed time holding at least one chat.
    pub engaged: u128,
    /// Chat-µs held while staffed, by users with a limited IM capacity.
    pub slots: u128,
    /// Capacity × staffed time of those users.
    pub slot_capacity: u128,
    /// Time holding at least one chat while Offline (after a shift's end or
    /// going Offline): overtime, outside the ratios.
    pub overtime: u128,
}

impl Occupancy {
    pub fn add(&mut self, o: &Occupancy) {
        self.staffed += o.staffed;
        self.engaged += o.engaged;
        self.slots += o.slots;
        self.slot_capacity += o.slot_capacity;
        self.overtime += o.overtime;
    }

    /// Share of staffed time with at least one chat (NaN: never staffed).
    pub fn engaged(&self) -> f64 {
        ratio128(self.engaged, self.staffed)
    }

    /// Chat slots used while staffed (NaN: no staffed capacity).
    pub fn slot_occupancy(&self) -> f64 {
        ratio128(self.slots, self.slot_capacity)
    }
}

fn ratio128(a: u128, b: u128) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

/// One row of users.csv.
#[derive(Debug, Clone, Default)]
pub struct UserRow {
    pub sessions: u64,
    pub offers: u64,
    pub declines: u64,
    pub ronas: u64,
    /// Chat time (sums over concurrent chats).
    pub connected_s: f64,
    /// Time holding at least one chat, staffed or not.
    pub busy_s: f64,
    pub ringing_s: f64,
    pub acw_s: f64,
    pub rona_s: f64,
    pub in_call_s: f64,
    /// Direct-contact chats and their time (they do not block the user).
    pub direct_chats: u64,
    pub direct_s: f64,
    /// Time per Teams presence, indexed by `Presence::index`.
    pub presence_s: [f64; 5],
    /// Staffed time and chat holding (engaged, slot occupancy, overtime).
    pub occ: Occupancy,
}

/// What one replication yields for the summary; the streamed files are
/// written while it runs.
#[derive(Debug, Clone)]
pub struct RepResult {
    /// The replication's global index (its seed derives from it).
    pub replication: u32,
    /// One row per service, in scenario order, then the tenant (`*`).
    pub metrics: Vec<MetricRow>,
    pub users: Vec<UserRow>,
    pub events: u64,
    pub tasks: u64,
}
