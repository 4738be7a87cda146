//! The event loop in steps, so that `run` and the load tester (`routesim
//! load`, which paces the same steps on a real-time clock) process the same
//! events in the same (time, sequence) order: `begin`, then `step` until it
//! returns None, then `end`. `run` is exactly that loop.

use super::arrivals::{rate_at, ArrivalGen};
use super::{Event, Sim, Sinks, Window, DRAIN_LIMIT};
use crate::model::{ServiceId, Time, UserId};
use crate::stats::RepResult;

/// What one processed event did, for the load tester's measurements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The event's simulated time.
    pub at: Time,
    /// A customer arrived.
    pub arrival: bool,
    /// The router took a distribution decision (a waiting task or a freed
    /// user looked for its match).
    pub decision: bool,
    /// ... and it made at least one offer.
    pub offer: bool,
}

/// Whether a run goes on to an event at `t`: not once it drained after the
/// measured window, nor past the drain limit.
#[inline]
fn runs_at(window: Window, live_tasks: u64, t: Time) -> bool {
    let drained = t > window.hi && live_tasks == 0;
    !drained && t <= window.hi.saturating_add(DRAIN_LIMIT)
}

impl<S: Sinks> Sim<'_, S> {
    /// Sets the users' initial states and schedules the first events.
    pub fn begin(&mut self) {
        for u in 0..self.scn.users.len() as UserId {
            self.init_user(u);
        }
        self.drain_actions();
        // First in line at the measured start, so arrivals at that very
        // moment count in the first interval.
        self.events.schedule(self.window.lo, Event::IntervalEnd);
        for i in 0..self.sources.len() {
            self.schedule_arrival(i as u32);
        }
        for (i, r) in self.scn.revisions.iter().enumerate() {
            self.events.schedule(r.at, Event::Revision(i as u32));
        }
    }

    /// Time of the next event, or None when the run is over (drained, or at
    /// the drain limit).
    #[inline]
    pub fn next_time(&mut self) -> Option<Time> {
        let t = self.events.peek_time()?;
        runs_at(self.window, self.live_tasks, t).then_some(t)
    }

    /// Processes the next event (see `next_time`).
    #[inline]
    pub fn step(&mut self) -> Option<Step> {
        let (window, live) = (self.window, self.live_tasks);
        let (at, ev) = self.events.pop_if(|t| runs_at(window, live, t))?;
        let arrival = matches!(ev, Event::Arrival(_));
        let (d0, o0) = self.router.counters();
        self.now = at;
        self.n_events += 1;
        self.on_event(ev);
        self.drain_actions();
        self.note_levels();
        let (d1, o1) = self.router.counters();
        Some(Step {
            at,
            arrival,
            decision: d1 != d0,
            offer: o1 != o0,
        })
    }

    /// Closes what is still open and returns the results and the sinks.
    pub fn end(mut self) -> (RepResult, S) {
        self.now = self.now.max(self.window.hi);
        self.close_leftovers();
        let result = self.finish();
        (result, self.sinks)
    }

    /// Ends the measured window now (an interrupted load test): the open
    /// reporting interval is written up to now, and `end` then closes the
    /// tasks still in the system.
    pub fn truncate(&mut self) {
        let now = self.now.max(self.window.lo);
        if now >= self.window.hi {
            return;
        }
        if now > self.interval_start && self.now >= self.window.lo {
            self.note_levels();
            self.emit_intervals(now);
            self.interval_start = now;
        }
        self.window.hi = now;
    }

    /// Multiplies every arrival rate by `x` (>= 0) from now on (before
    /// `begin`: from the start). During the run each
    /// source's next arrival is drawn again at the new rate (a Poisson
    /// stream forgets its past, so this is exact). Traces are not scaled.
    pub fn set_rate_scale(&mut self, x: f64) {
        if x == self.rate_scale {
            return;
        }
        self.rate_scale = x;
        if self.events.is_empty() {
            return; // before `begin`: the first draws use the new rate
        }
        for i in 0..self.sources.len() {
            if !matches!(self.sources[i].gen, ArrivalGen::Trace { .. }) {
                self.schedule_arrival(i as u32);
            }
        }
    }

    /// The arrival rate of all sources at simulated time `t` at the current
    /// rate scale, arrivals per simulated second (traces not counted).
    pub fn arrival_rate_at(&self, t: Time) -> f64 {
        let r: f64 = (self.scn.sources.iter())
            .map(|s| rate_at(s, &self.scn.clock, t))
            .sum();
        r * self.rate_scale
    }

    /// The simulated time of the last processed event.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Tasks waiting or ringing in all queues.
    pub fn queue_len(&self) -> u32 {
        (0..self.scn.services.len() as ServiceId)
            .map(|s| self.router.queue_len(s))
            .sum()
    }

    /// Arrivals at or after `t` stop (the end of the measured window).
    pub fn arrivals_end(&self) -> Time {
        self.window.hi
    }
}
