//! The real-time driver: the engine's own `Sim`, its events processed in
//! their (time, sequence) order exactly as `run` does, each one no earlier
//! than its simulated time maps to on the wall clock (`time_scale` simulated
//! seconds per wall second). The clock decides only *when* an event is
//! processed, never what happens, so the result files equal `run`'s.
//!
//! Measured per event: the timer lag (processing start minus the scheduled
//! wall time) and, for events after which the router took a decision, the
//! decision latency from the *scheduled* time to the end of the event. A
//! driver that falls behind shows it in both (no coordinated omission).
//!
//! tokio's timer has 1 ms granularity, so the driver sleeps on it only until
//! `spin` before the next event; closer than that, it busy-waits on the
//! clock (when each tenant has a core of its own) or polls, yielding to the
//! runtime. Busy-waiting, not a short sleep: a sleeping thread lets the
//! (virtual) CPU idle, and waking it again costs up to a millisecond, which
//! made the latency tail worse at low rates than at high ones (and so broke
//! `--find-max`, whose search assumes failures grow with the rate).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify};

use super::metrics::{SecondRow, Window};
use super::stages::Ramp;
use crate::engine::sink::Sinks;
use crate::engine::Sim;
use crate::model::time::{MICROS_PER_MS, MICROS_PER_SEC};
use crate::model::Time;

/// Events processed before the driver yields to the runtime (other tenants).
const BATCH: u32 = 256;
/// How often (wall µs) a stage's rate is applied and the plan integrated.
const RATE_EVERY: Time = 10 * MICROS_PER_MS;
/// Clock reads between checks for a stop request while busy-waiting.
const SPIN_CHECK: u32 = 1024;
/// A backlog (wall µs) at the end of the paced part beyond which the driver
/// fell behind: the rest is not caught up (it might never be) and the
/// results cover the simulated time reached.
const BEHIND: Time = 100 * MICROS_PER_MS;

/// Stop requests shared by the tenants and the command (Ctrl-C).
#[derive(Debug, Default)]
pub struct Shared {
    pub stop: AtomicBool,
    /// Wakes sleeping drivers after `stop` was set.
    pub notify: Notify,
}

impl Shared {
    pub fn request_stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// How a tenant is paced.
#[derive(Debug, Clone)]
pub struct Pace {
    pub tenant: u32,
    /// Simulated time at which pacing starts (before: full speed).
    pub from: Time,
    /// Simulated time after which pacing ends (Time::MAX: the run's end).
    pub until: Time,
    /// Simulated seconds per wall second.
    pub scale: f64,
    /// `--stage` ramps in arrivals per wall second, with the scenario's
    /// arrivals per wall second at rate scale 1 (their ratio is the scale).
    pub ramp: Option<(Ramp, f64)>,
    /// Poll instead of sleeping when the next event is this close (wall µs).
    pub spin: Time,
    /// An arrival processed more than this after its time is late (wall µs).
    pub late_after: Time,
    /// Gaps shorter than `spin` are busy-waited in the worker thread: true
    /// when every tenant has a core of its own.
    pub own_core: bool,
}

/// What one tenant's paced part measured.
#[derive(Debug, Clone)]
pub struct Measured {
    pub tenant: u32,
    pub seconds: Vec<SecondRow>,
    pub total: Window,
    /// Wall µs of the paced part.
    pub wall: Time,
    /// Arrivals the plan called for by the stop (expected count).
    pub planned: f64,
    /// Events were due `BEHIND` or longer but not processed when the paced
    /// part stopped.
    pub behind: bool,
    /// Tasks waiting or ringing at the end of the paced part.
    pub queue_at_stop: u32,
    pub interrupted: bool,
}

impl Measured {
    /// Arrivals short of the plan: counted only when the driver fell behind
    /// (an expectation minus a count; 0 when it kept up).
    pub fn shortfall(&self) -> u64 {
        if self.behind {
            (self.planned - self.total.arrivals as f64).max(0.0).round() as u64
        } else {
            0
        }
    }
}

/// Runs `sim` (begun) at full speed to `p.from`, then paced until `p.until`,
/// the end of the run or a stop request. The caller ends the run.
pub async fn pace<S: Sinks>(
    sim: &mut Sim<'_, S>,
    p: &Pace,
    shared: &Shared,
    progress: Option<&mpsc::UnboundedSender<SecondRow>>,
) -> Measured {
    while sim.next_time().is_some_and(|t| t < p.from) {
        sim.step();
    }
    let t0 = Instant::now();
    let elapsed = || t0.elapsed().as_micros() as Time;
    let wall_of = |t: Time| ((t - p.from) as f64 / p.scale).ceil() as Time;
    // Decision latency in wall ns: a busy-waiting driver decides within a µs.
    let due_ns = |t: Time| ((t - p.from) as f64 * 1000.0 / p.scale).ceil() as u64;
    let wall_end = match p.until {
        Time::MAX => Time::MAX,
        u => wall_of(u),
    };
    let mut m = Measured {
        tenant: p.tenant,
        seconds: Vec::new(),
        total: Window::default(),
        wall: 0,
        planned: 0.0,
        behind: false,
        queue_at_stop: 0,
        interrupted: false,
    };
    let mut second = Window::default();
    let (mut next_tick, mut next_rate) = (MICROS_PER_SEC, 0);
    let mut planned_to = p.from;
    let mut batch = 0;
    let mut now = 0;
    loop {
        if now >= next_rate {
            // The plan so far, then the stage's rate from here on.
            plan_to(sim, p, now, &mut planned_to, &mut m.planned);
            if let Some((ramp, base)) = &p.ramp {
                sim.set_rate_scale(ramp.rate_at(now as f64 / 1e6) / base);
            }
            next_rate = now + RATE_EVERY;
        }
        while now >= next_tick {
            let row = SecondRow::of(
                p.tenant,
                next_tick / MICROS_PER_SEC,
                &second,
                sim.queue_len(),
            );
            if let Some(tx) = progress {
                let _ = tx.send(row.clone());
            }
            m.seconds.push(row);
            m.total.merge(&second);
            second.reset();
            next_tick += MICROS_PER_SEC;
        }
        if shared.stopped() {
            m.interrupted = true;
            break;
        }
        if now >= wall_end {
            break;
        }
        let Some(t) = sim.next_time().filter(|&t| t <= p.until) else {
            if wall_end == Time::MAX {
                break; // the run is over
            }
            // Nothing more to pace: wait out the wall duration.
            wait(t0, wall_end.min(next_tick), shared).await;
            now = elapsed();
            continue;
        };
        let due = wall_of(t);
        if due > now {
            let gap = due - now;
            if gap > p.spin {
                let wake = (due - p.spin).min(next_tick).min(next_rate);
                wait(t0, wake, shared).await;
            } else if p.own_core {
                spin_until(&elapsed, due, shared);
            } else {
                tokio::task::yield_now().await;
            }
            batch = 0;
            now = elapsed();
            continue;
        }
        let step = sim.step().expect("next_time saw an event");
        let done_ns = t0.elapsed().as_nanos() as u64;
        let done = done_ns / 1000;
        let lag = now - due;
        second.lag(lag);
        if step.arrival {
            second.arrivals += 1;
            second.late += u64::from(lag > p.late_after);
        }
        if step.decision {
            // From the scheduled time, not the processing time: a backlog shows.
            second.decision(done_ns.saturating_sub(due_ns(t)), step.offer);
        }
        now = done;
        batch += 1;
        if batch == BATCH {
            batch = 0;
            tokio::task::yield_now().await;
            now = elapsed();
        }
    }
    // The last, partial second.
    if second.events > 0 || m.seconds.is_empty() {
        let n = m.seconds.len() as u64 + 1;
        m.seconds
            .push(SecondRow::of(p.tenant, n, &second, sim.queue_len()));
    }
    m.total.merge(&second);
    plan_to(sim, p, now, &mut planned_to, &mut m.planned);
    m.wall = now.min(wall_end);
    m.behind = sim
        .next_time()
        .is_some_and(|t| t <= p.until && wall_of(t) + BEHIND < now);
    m.queue_at_stop = sim.queue_len();
    m
}

/// Adds the arrivals the plan expects up to wall µs `now` (at the rate of
/// the interval's start) to `planned`.
fn plan_to<S: Sinks>(sim: &Sim<'_, S>, p: &Pace, now: Time, to: &mut Time, planned: &mut f64) {
    let target = (p.from + (now as f64 * p.scale) as Time)
        .min(p.until)
        .min(sim.arrivals_end());
    let span = target.saturating_sub(*to) as f64 / MICROS_PER_SEC as f64;
    *planned += sim.arrival_rate_at(*to) * span;
    *to = (*to).max(target);
}

/// Busy-waits until wall µs `due` (as `elapsed` reads it), or a stop request.
fn spin_until(elapsed: &impl Fn() -> Time, due: Time, shared: &Shared) {
    let mut n = 0u32;
    while elapsed() < due {
        std::hint::spin_loop();
        n += 1;
        if n.is_multiple_of(SPIN_CHECK) && shared.stopped() {
            return;
        }
    }
}

/// Sleeps until wall µs `at` after `t0`, or until a stop request.
async fn wait(t0: Instant, at: Time, shared: &Shared) {
    let deadline = tokio::time::Instant::from_std(t0 + Duration::from_micros(at));
    tokio::select! {
        _ = shared.notify.notified() => {}
        _ = tokio::time::sleep_until(deadline) => {}
    }
}
