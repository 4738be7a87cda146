//! What report.html shows of sessions.csv: waits per service (ms, as the
//! file's three decimals give them) and outcome counts. Tallied while the
//! rows are written, so `run` never reads its sessions.csv back; `merge`
//! reads the merged file into the same structure.

use hdrhistogram::Histogram;

use crate::model::time::{Time, MICROS_PER_MS};
use crate::model::Outcome;
use crate::stats::{record, wait_histogram};

#[derive(Debug, Clone)]
pub struct SessionStats {
    /// Services in order of first appearance in sessions.csv.
    pub services: Vec<String>,
    pub waits: Vec<Histogram<u64>>,
    pub all: Histogram<u64>,
    /// Every known outcome (zero counts too), then any other name read.
    pub outcomes: Vec<(String, u64)>,
}

impl Default for SessionStats {
    fn default() -> Self {
        SessionStats {
            services: Vec::new(),
            waits: Vec::new(),
            all: wait_histogram(),
            outcomes: Outcome::ALL
                .iter()
                .map(|o| (o.name().to_string(), 0))
                .collect(),
        }
    }
}

impl SessionStats {
    /// A row's outcome.
    #[inline]
    pub fn count(&mut self, outcome: Outcome) {
        self.outcomes[outcome.report_index()].1 += 1;
    }

    /// A row's wait in the service at index `k` (`service`), rounded to the
    /// millisecond as the file shows it.
    #[inline]
    pub fn wait_in(&mut self, k: usize, wait: Time) {
        let ms = (wait + MICROS_PER_MS / 2) / MICROS_PER_MS;
        record(&mut self.waits[k], ms);
        record(&mut self.all, ms);
    }

    /// Counts an outcome read by name.
    pub fn outcome(&mut self, name: &str) {
        match self.outcomes.iter_mut().find(|(n, _)| n == name) {
            Some((_, c)) => *c += 1,
            None => self.outcomes.push((name.to_string(), 1)),
        }
    }

    /// A wait of `ms` milliseconds in `service`.
    #[inline]
    pub fn wait(&mut self, service: &str, ms: u64) {
        let k = self.service(service);
        record(&mut self.waits[k], ms);
        record(&mut self.all, ms);
    }

    /// The index of `name`'s waits (services are kept in order of their
    /// first wait).
    pub fn service(&mut self, name: &str) -> usize {
        match self.services.iter().position(|s| s == name) {
            Some(k) => k,
            None => {
                self.services.push(name.to_string());
                self.waits.push(wait_histogram());
                self.services.len() - 1
            }
        }
    }

    /// Adds a later replication's stats (call in replication order, so the
    /// service order is the file's).
    pub fn merge(&mut self, other: &SessionStats) {
        for (name, n) in &other.outcomes {
            match self.outcomes.iter_mut().find(|(m, _)| m == name) {
                Some((_, c)) => *c += n,
                None => self.outcomes.push((name.clone(), *n)),
            }
        }
        for (name, h) in other.services.iter().zip(&other.waits) {
            let k = self.service(name);
            self.waits[k]
                .add(h)
                .expect("wait histograms share one precision");
        }
        self.all
            .add(&other.all)
            .expect("wait histograms share one precision");
    }
}
