//! What a load test measures, per wall second and in total, and how it is
//! written: `load.csv`, and the load rows appended to the run's summary.

use hdrhistogram::Histogram;

use crate::model::time::{Time, MICROS_PER_SEC};
use crate::report::fmt::{num, push_f64, push_u64};
use crate::stats::{record, wait_histogram};

/// Latency histograms (3 significant digits, auto-resizing): decisions in
/// wall ns, timer lag in wall µs.
pub fn latency_histogram() -> Histogram<u64> {
    wait_histogram()
}

fn quantile(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        f64::NAN
    } else {
        h.median_equivalent(h.value_at_quantile(q)).min(h.max()) as f64
    }
}

/// Counters and histograms of one wall second (or of the whole test).
#[derive(Debug, Clone)]
pub struct Window {
    pub arrivals: u64,
    pub decisions: u64,
    /// Decisions that made an offer / that found no match (no free
    /// eligible user for a task, or no waiting task for a freed user).
    pub offered: u64,
    pub idle: u64,
    pub late: u64,
    pub events: u64,
    /// Scheduled time of a distributing event -> router done, wall ns.
    pub decision: Histogram<u64>,
    /// Timer fire time - scheduled time, wall µs.
    pub lag: Histogram<u64>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            arrivals: 0,
            decisions: 0,
            offered: 0,
            idle: 0,
            late: 0,
            events: 0,
            decision: latency_histogram(),
            lag: latency_histogram(),
        }
    }
}

impl Window {
    #[inline]
    pub fn decision(&mut self, ns: u64, offer: bool) {
        self.decisions += 1;
        self.offered += u64::from(offer);
        self.idle += u64::from(!offer);
        record(&mut self.decision, ns);
    }

    #[inline]
    pub fn lag(&mut self, us: u64) {
        self.events += 1;
        record(&mut self.lag, us);
    }

    pub fn merge(&mut self, o: &Window) {
        self.arrivals += o.arrivals;
        self.decisions += o.decisions;
        self.offered += o.offered;
        self.idle += o.idle;
        self.late += o.late;
        self.events += o.events;
        self.decision
            .add(&o.decision)
            .expect("auto-resizing histograms always merge");
        self.lag
            .add(&o.lag)
            .expect("auto-resizing histograms always merge");
    }

    /// Zeroes the counts, keeping the histograms' allocations.
    pub fn reset(&mut self) {
        self.arrivals = 0;
        self.decisions = 0;
        self.offered = 0;
        self.idle = 0;
        self.late = 0;
        self.events = 0;
        self.decision.reset();
        self.lag.reset();
    }

    /// A decision-latency quantile in µs (to the ns).
    pub fn decision_us(&self, q: f64) -> f64 {
        quantile(&self.decision, q) / 1000.0
    }

    pub fn decision_max_us(&self) -> f64 {
        if self.decision.is_empty() {
            f64::NAN
        } else {
            self.decision.max() as f64 / 1000.0
        }
    }

    pub fn lag_ms(&self, q: f64) -> f64 {
        quantile(&self.lag, q) / 1000.0
    }
}

/// One row of load.csv: a wall second of the test.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondRow {
    /// The tenant (0-based; the replication whose seed it runs).
    pub tenant: u32,
    /// 1-based: the row covers wall time [second - 1, second).
    pub second: u64,
    pub arrivals: u64,
    pub events: u64,
    pub decisions: u64,
    pub offered: u64,
    pub idle: u64,
    /// Tasks in queue (waiting or ringing) at the end of the second.
    pub queue_len: u32,
    pub decision_p50_us: f64,
    pub decision_p99_us: f64,
    pub timer_lag_p99_ms: f64,
}

impl SecondRow {
    pub fn of(tenant: u32, second: u64, w: &Window, queue_len: u32) -> SecondRow {
        SecondRow {
            tenant,
            second,
            arrivals: w.arrivals,
            events: w.events,
            decisions: w.decisions,
            offered: w.offered,
            idle: w.idle,
            queue_len,
            decision_p50_us: w.decision_us(0.5),
            decision_p99_us: w.decision_us(0.99),
            timer_lag_p99_ms: w.lag_ms(0.99),
        }
    }
}

pub const LOAD_HEADER: &str = "tenant,second,arrivals,events,decisions,decisions_offered,decisions_idle,queue_len,decision_p50_us,decision_p99_us,timer_lag_p99_ms\n";

/// load.csv: one row per wall second; undefined percentiles (no events) are empty.
pub fn load_csv(rows: &[SecondRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(LOAD_HEADER.len() + rows.len() * 64);
    out.extend_from_slice(LOAD_HEADER.as_bytes());
    for r in rows {
        for v in [
            r.tenant as u64,
            r.second,
            r.arrivals,
            r.events,
            r.decisions,
            r.offered,
            r.idle,
            r.queue_len as u64,
        ] {
            push_u64(&mut out, v);
            out.push(b',');
        }
        push_f64(&mut out, r.decision_p50_us, 3);
        out.push(b',');
        push_f64(&mut out, r.decision_p99_us, 3);
        out.push(b',');
        push_f64(&mut out, r.timer_lag_p99_ms, 3);
        out.push(b'\n');
    }
    out
}

/// The load test's own figures for the tenant (`*`), in `stats::LOAD_METRICS`
/// order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadFigures {
    pub decisions_per_s: f64,
    pub decision_p50_us: f64,
    pub decision_p99_us: f64,
    pub decision_max_us: f64,
    pub timer_lag_p99_ms: f64,
    pub events_per_s: f64,
    pub late_arrivals: f64,
    pub dropped_arrivals: f64,
    pub in_queue_at_stop: f64,
    pub decisions_offered: f64,
    pub decisions_idle: f64,
}

impl LoadFigures {
    pub fn values(&self) -> [f64; crate::stats::LOAD_METRICS.len()] {
        [
            self.decisions_per_s,
            self.decision_p50_us,
            self.decision_p99_us,
            self.decision_max_us,
            self.timer_lag_p99_ms,
            self.events_per_s,
            self.late_arrivals,
            self.dropped_arrivals,
            self.in_queue_at_stop,
            self.decisions_offered,
            self.decisions_idle,
        ]
    }

    /// The figures of a measured window over `wall` µs.
    pub fn of(w: &Window, wall: Time, shortfall: u64, queue: u32) -> LoadFigures {
        let secs = wall.max(1) as f64 / MICROS_PER_SEC as f64;
        LoadFigures {
            decisions_per_s: w.decisions as f64 / secs,
            decision_p50_us: w.decision_us(0.5),
            decision_p99_us: w.decision_us(0.99),
            decision_max_us: w.decision_max_us(),
            timer_lag_p99_ms: w.lag_ms(0.99),
            events_per_s: w.events as f64 / secs,
            late_arrivals: w.late as f64,
            dropped_arrivals: shortfall as f64,
            in_queue_at_stop: queue as f64,
            decisions_offered: w.offered as f64,
            decisions_idle: w.idle as f64,
        }
    }

    /// A one-line human summary; an undefined figure is `-` with the reason.
    pub fn line(&self) -> String {
        let none = "- (no decisions were paced)";
        let us = |v: f64| {
            if v.is_nan() {
                none.to_string()
            } else {
                format!("{} us", num(v))
            }
        };
        let lag = if self.timer_lag_p99_ms.is_nan() {
            "- (no events were paced)".to_string()
        } else {
            format!(
                "{} ms",
                num((self.timer_lag_p99_ms * 1000.0).round() / 1000.0)
            )
        };
        format!(
            "decisions {}/s ({} with an offer, {} found no match), decision latency p50 {} p99 {} max {}, timer lag p99 {lag}, {} late arrivals, {} arrivals short of the plan",
            num(self.decisions_per_s.round()),
            self.decisions_offered,
            self.decisions_idle,
            us(self.decision_p50_us),
            us(self.decision_p99_us),
            us(self.decision_max_us),
            self.late_arrivals,
            self.dropped_arrivals
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w50(w: &Window) -> f64 {
        (w.decision_us(0.5) * 1000.0).round() / 1000.0
    }

    #[test]
    fn windows_merge_reset_and_write() {
        let mut w = Window::default();
        for us in 1..=100 {
            w.decision(us * 1000, us % 2 == 0);
        }
        w.decision(0, true); // decided within the ns it was due
        w.reset();
        for us in 1..=100 {
            w.decision(us * 1000, us % 2 == 0);
        }
        w.lag(2_000);
        w.arrivals = 7;
        // Recorded in ns to 3 significant digits: within 0.1 %.
        let near = |v: f64, want: f64| (v - want).abs() <= want * 1e-3;
        assert!(near(w.decision_us(0.5), 50.0), "{}", w.decision_us(0.5));
        assert!(near(w.decision_us(0.99), 99.0), "{}", w.decision_us(0.99));
        assert!(near(w.decision_max_us(), 100.0), "{}", w.decision_max_us());
        assert_eq!(w.lag_ms(0.99), 2.0);
        let mut total = Window::default();
        total.merge(&w);
        w.reset();
        assert_eq!(w.decisions, 0);
        assert!(w.decision_us(0.5).is_nan());
        assert_eq!(total.decisions, 100);
        assert_eq!((total.offered, total.idle), (50, 50));
        let csv = load_csv(&[
            SecondRow::of(0, 1, &total, 3),
            SecondRow::of(0, 2, &Window::default(), 0),
        ]);
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], LOAD_HEADER.trim_end());
        let f: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(f[..8], ["0", "1", "7", "1", "100", "50", "50", "3"]);
        assert_eq!(f[8].parse::<f64>().unwrap(), w50(&total));
        assert!(near(f[9].parse().unwrap(), 99.0), "{}", lines[1]);
        assert_eq!(f[10], "2.000");
        assert_eq!(lines[2], "0,2,0,0,0,0,0,0,,,");
    }
}
