//! Per-interval figures, pooled over replications: what `every_interval:`
//! thresholds, `staff` and the run summary's worst interval judge. A chat
//! belongs to the interval in which its service session started (it
//! arrived), however late it is answered or given up, so the backlog a busy
//! hour hands on counts against that hour, as planners count it. A ratio
//! pools the interval's chats of all replications (e.g. service level =
//! chats answered within the SLA / chats queued, as in summary.csv), so a
//! quiet replication does not weigh as much as a busy one.

use crate::engine::sink::{IntervalRecord, SessionBrief, SessionRecord, Sinks};
use crate::model::outcome::Outcome;
use crate::model::time::{to_secs_f64, Time};
use crate::model::Scenario;

/// Metrics an `every_interval:` threshold can judge.
pub const PER_INTERVAL_METRICS: [&str; 7] = [
    "service_level",
    "p_abandon",
    "mean_wait_s",
    "offered",
    "queued",
    "handled",
    "abandoned",
];

/// One interval's counts of one service (interval_counts.csv writes them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Cell {
    pub offered: u64,
    pub queued: u64,
    pub handled: u64,
    pub abandoned: u64,
    /// Handled within the service's SLA.
    pub in_sla: u64,
    /// Sum of the waits of the queued chats, seconds.
    pub wait_sum_s: f64,
}

impl Cell {
    fn add(&mut self, o: &Cell) {
        self.offered += o.offered;
        self.queued += o.queued;
        self.handled += o.handled;
        self.abandoned += o.abandoned;
        self.in_sla += o.in_sla;
        self.wait_sum_s += o.wait_sum_s;
    }
}

/// Interval x service counts, summed over the replications collected.
#[derive(Debug, Clone)]
pub struct IntervalFigures {
    services: Vec<String>,
    /// Per service: its SLA.
    sla: Vec<Time>,
    /// [interval][service]
    cells: Vec<Vec<Cell>>,
    replications: u32,
    /// Clock start of interval 0 and the interval length, for labels.
    first: Time,
    interval: Time,
}

impl IntervalFigures {
    /// Empty figures for one replication of `scn`.
    pub fn new(scn: &Scenario) -> Self {
        let n = scn.sim.duration.div_ceil(scn.sim.interval.max(1)) as usize;
        IntervalFigures {
            services: scn.services.iter().map(|s| s.name.clone()).collect(),
            sla: scn.services.iter().map(|s| s.sla).collect(),
            cells: vec![vec![Cell::default(); scn.services.len()]; n],
            replications: 1,
            first: scn.sim.warmup,
            interval: scn.sim.interval,
        }
    }

    /// One replication's figures read back from interval_counts.csv:
    /// `cells[interval][service]`. They have no clock (`start` is the
    /// interval index); `IntervalCounts` keeps the labels.
    pub(crate) fn from_cells(services: Vec<String>, cells: Vec<Vec<Cell>>) -> Self {
        IntervalFigures {
            sla: vec![0; services.len()],
            services,
            cells,
            replications: 1,
            first: 0,
            interval: 1,
        }
    }

    /// The figures without any replication: no interval to judge.
    pub(crate) fn none() -> Self {
        IntervalFigures {
            replications: 0,
            ..Self::from_cells(Vec::new(), Vec::new())
        }
    }

    pub(crate) fn services(&self) -> &[String] {
        &self.services
    }

    /// `[interval][service]`
    pub(crate) fn cells(&self) -> &[Vec<Cell>] {
        &self.cells
    }

    /// The clock label of each interval's start, as intervals.csv writes it.
    pub fn labels(scn: &Scenario) -> Vec<String> {
        let f = IntervalFigures::new(scn);
        (0..f.len())
            .map(|i| scn.clock.civil(f.start(i)).label())
            .collect()
    }

    /// Sums `o` (another replication's figures) into these.
    pub fn merge(&mut self, o: &IntervalFigures) {
        for (a, b) in self.cells.iter_mut().zip(&o.cells) {
            for (x, y) in a.iter_mut().zip(b) {
                x.add(y);
            }
        }
        self.replications += o.replications;
    }

    /// Pools per-replication figures (in any order; sums commute exactly for
    /// the counts, and the wait sums are added in replication order).
    pub fn pool(mut reps: Vec<IntervalFigures>) -> Option<IntervalFigures> {
        let mut it = reps.drain(..);
        let mut first = it.next()?;
        for r in it {
            first.merge(&r);
        }
        Some(first)
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Simulation time at which interval `i` starts.
    pub fn start(&self, i: usize) -> Time {
        self.first + i as Time * self.interval
    }

    /// `metric` (one of [`PER_INTERVAL_METRICS`]) of `service` (`*` = all
    /// services) in interval `i`; NaN when undefined (no chat to judge).
    /// Counts are means per replication.
    pub fn value(&self, i: usize, service: &str, metric: &str) -> f64 {
        let mut c = Cell::default();
        for (s, cell) in self.services.iter().zip(&self.cells[i]) {
            if service == "*" || s == service {
                c.add(cell);
            }
        }
        let ratio = |a: f64, b: u64| if b == 0 { f64::NAN } else { a / b as f64 };
        let per_rep = |n: u64| n as f64 / self.replications as f64;
        match metric {
            "service_level" => ratio(c.in_sla as f64, c.queued),
            "p_abandon" => ratio(c.abandoned as f64, c.queued),
            "mean_wait_s" => ratio(c.wait_sum_s, c.queued),
            "offered" => per_rep(c.offered),
            "queued" => per_rep(c.queued),
            "handled" => per_rep(c.handled),
            "abandoned" => per_rep(c.abandoned),
            _ => f64::NAN,
        }
    }
}

impl Sinks for IntervalFigures {
    fn wants_sessions(&self) -> bool {
        false
    }
    fn session(&mut self, r: &SessionRecord) {
        self.brief(&r.brief());
    }
    fn wants_briefs(&self) -> bool {
        true
    }
    fn brief(&mut self, r: &SessionBrief) {
        let s = r.service as usize;
        if s >= self.services.len() {
            return;
        }
        if r.arrived < self.first {
            return;
        }
        let i = ((r.arrived - self.first) / self.interval.max(1)) as usize;
        let Some(cell) = self.cells.get_mut(i).map(|row| &mut row[s]) else {
            return;
        };
        cell.offered += 1;
        if let Some(wait) = r.wait {
            cell.queued += 1;
            cell.wait_sum_s += to_secs_f64(wait);
            if r.accepted {
                cell.handled += 1;
                cell.in_sla += u64::from(wait <= self.sla[s]);
            }
            cell.abandoned += u64::from(r.outcome == Outcome::CustomerHangupInQueue);
        }
    }
    fn interval(&mut self, _: &IntervalRecord) {}
}
