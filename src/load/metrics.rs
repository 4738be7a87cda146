//! What a load test measures, per wall second and in total, and how it is
//! written: `load.csv`, and the load rows appended to the run-format summary.

use hdrhistogram::Histogram;

use crate::report::fmt::{num, push_f64, push_u64};
use crate::stats::{record, wait_histogram};

/// Latency histograms in wall µs (3 significant digits, auto-resizing).
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
    pub offers: u64,
    pub accepted: u64,
    pub abandoned: u64,
    pub events: u64,
    /// Scheduled time of a distributing event -> router done, wall µs.
    pub decision: Histogram<u64>,
    /// Timer fire time - scheduled time, wall µs.
    pub lag: Histogram<u64>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            arrivals: 0,
            decisions: 0,
            offers: 0,
            accepted: 0,
            abandoned: 0,
            events: 0,
            decision: latency_histogram(),
            lag: latency_histogram(),
        }
    }
}

impl Window {
    #[inline]
    pub fn decision(&mut self, us: u64) {
        self.decisions += 1;
        record(&mut self.decision, us);
    }

    #[inline]
    pub fn lag(&mut self, us: u64) {
        self.events += 1;
        record(&mut self.lag, us);
    }

    pub fn merge(&mut self, o: &Window) {
        self.arrivals += o.arrivals;
        self.decisions += o.decisions;
        self.offers += o.offers;
        self.accepted += o.accepted;
        self.abandoned += o.abandoned;
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
        self.offers = 0;
        self.accepted = 0;
        self.abandoned = 0;
        self.events = 0;
        self.decision.reset();
        self.lag.reset();
    }

    pub fn decision_us(&self, q: f64) -> f64 {
        quantile(&self.decision, q)
    }

    pub fn decision_max_us(&self) -> f64 {
        if self.decision.is_empty() {
            f64::NAN
        } else {
            self.decision.max() as f64
        }
    }

    pub fn lag_ms(&self, q: f64) -> f64 {
        quantile(&self.lag, q) / 1000.0
    }
}

/// One row of load.csv: a wall second of the test.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondRow {
    /// 1-based: the row covers wall time [second - 1, second).
    pub second: u64,
    pub arrivals: u64,
    pub decisions: u64,
    pub offers: u64,
    pub accepted: u64,
    pub abandoned: u64,
    /// Tasks in queue (waiting or ringing) at the end of the second.
    pub queue_len: u32,
    pub decision_p50_us: f64,
    pub decision_p99_us: f64,
    pub timer_lag_p99_ms: f64,
}

impl SecondRow {
    pub fn of(second: u64, w: &Window, queue_len: u32) -> SecondRow {
        SecondRow {
            second,
            arrivals: w.arrivals,
            decisions: w.decisions,
            offers: w.offers,
            accepted: w.accepted,
            abandoned: w.abandoned,
            queue_len,
            decision_p50_us: w.decision_us(0.5),
            decision_p99_us: w.decision_us(0.99),
            timer_lag_p99_ms: w.lag_ms(0.99),
        }
    }
}

pub const LOAD_HEADER: &str = "second,arrivals,decisions,offers,accepted,abandoned,queue_len,decision_p50_us,decision_p99_us,timer_lag_p99_ms\n";

/// load.csv: one row per wall second; undefined percentiles (no events) are empty.
pub fn load_csv(rows: &[SecondRow]) -> Vec<u8> {
    let mut out = Vec::with_capacity(LOAD_HEADER.len() + rows.len() * 64);
    out.extend_from_slice(LOAD_HEADER.as_bytes());
    for r in rows {
        for v in [
            r.second,
            r.arrivals,
            r.decisions,
            r.offers,
            r.accepted,
            r.abandoned,
            r.queue_len as u64,
        ] {
            push_u64(&mut out, v);
            out.push(b',');
        }
        push_f64(&mut out, r.decision_p50_us, 0);
        out.push(b',');
        push_f64(&mut out, r.decision_p99_us, 0);
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
        ]
    }

    /// A one-line human summary.
    pub fn line(&self) -> String {
        format!(
            "decisions {}/s, decision latency p50 {} us p99 {} us max {} us, timer lag p99 {} ms, {} late and {} dropped arrivals",
            num(self.decisions_per_s.round()),
            num(self.decision_p50_us),
            num(self.decision_p99_us),
            num(self.decision_max_us),
            num((self.timer_lag_p99_ms * 1000.0).round() / 1000.0),
            self.late_arrivals,
            self.dropped_arrivals
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_merge_reset_and_write() {
        let mut w = Window::default();
        for us in 1..=100 {
            w.decision(us);
        }
        w.lag(2_000);
        w.arrivals = 7;
        assert_eq!(w.decision_us(0.5), 50.0);
        assert_eq!(w.decision_us(0.99), 99.0);
        assert_eq!(w.decision_max_us(), 100.0);
        assert_eq!(w.lag_ms(0.99), 2.0);
        let mut total = Window::default();
        total.merge(&w);
        w.reset();
        assert_eq!(w.decisions, 0);
        assert!(w.decision_us(0.5).is_nan());
        assert_eq!(total.decisions, 100);
        let csv = load_csv(&[
            SecondRow::of(1, &total, 3),
            SecondRow::of(2, &Window::default(), 0),
        ]);
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], LOAD_HEADER.trim_end());
        assert_eq!(lines[1], "1,7,100,0,0,0,3,50,99,2.000");
        assert_eq!(lines[2], "2,0,0,0,0,0,0,,,");
    }
}
