//! Users' presence over time: weekly shifts and breaks, random Teams presence
//! changes and audio/video calls. Each change is fed to the router and timed
//! in users.csv. Draws come from the user's presence stream, so presence
//! trajectories do not depend on routing.

use rand_distr::{Distribution, Exp};

use super::{Event, Sim, Sinks};
use crate::model::duty::{on_duty, until_next_edge};
use crate::model::time::from_secs_f64;
use crate::model::{Presence, UserId};

#[derive(Debug, Clone, Copy, Default)]
pub struct PresenceState {
    pub on_shift: bool,
    pub on_break: bool,
    /// Off Duty in every service (a break without a `break_presence`).
    pub off_duty: bool,
    /// An active random presence change: (presence, change index).
    pub random: Option<(Presence, u32)>,
    pub in_call: bool,
}

impl<S: Sinks> Sim<'_, S> {
    /// Sets the user's state at time 0 and schedules their first changes.
    pub(super) fn init_user(&mut self, u: UserId) {
        self.on_schedule(u);
        let spec = &self.scn.users[u as usize];
        for (i, c) in spec.presence_changes.iter().enumerate() {
            let at = self.now + c.every.sample(&mut self.presence_rngs[u as usize]);
            self.events.schedule(
                at,
                Event::PresenceStart {
                    user: u,
                    change: i as u32,
                },
            );
        }
        self.schedule_call(u);
    }

    fn effective(&self, u: UserId) -> Presence {
        let ps = &self.presence[u as usize];
        if !ps.on_shift {
            Presence::Offline
        } else if let Some(p) = self.scn.users[u as usize]
            .break_presence
            .filter(|_| ps.on_break)
        {
            p
        } else if let Some((p, _)) = ps.random {
            p
        } else {
            Presence::Available
        }
    }

    /// Recomputes the user's presence and tells the router when it changed.
    fn apply_presence(&mut self, u: UserId) {
        let p = self.effective(u);
        let ut = &mut self.users[u as usize];
        if ut.presence == Some(p) {
            return;
        }
        ut.presence_change(self.window, self.interval_start, self.now, p);
        if self.router.set_presence(u, p, self.now) {
            self.rona_cleared(u);
        }
    }

    /// A shift or break boundary: re-reads the weekly windows at this moment.
    pub(super) fn on_schedule(&mut self, u: UserId) {
        let spec = &self.scn.users[u as usize];
        let tow = self.scn.clock.time_of_week(self.now);
        let ps = &mut self.presence[u as usize];
        let on_duty = spec.duty.as_ref().is_none_or(|d| on_duty(d, self.now));
        ps.on_shift = on_duty && (spec.shifts.is_empty() || spec.shifts.contains(tow));
        ps.on_break = spec.breaks.contains(tow);
        let off_duty = ps.on_break && spec.break_presence.is_none();
        let duty_changed = std::mem::replace(&mut ps.off_duty, off_duty) != off_duty;
        // A call in progress runs to its end even past the shift's end.
        self.apply_presence(u);
        if duty_changed && self.router.set_off_duty(u, off_duty, self.now) {
            self.rona_cleared(u);
        }
        let next = [
            spec.shifts.until_next_boundary(tow),
            spec.breaks.until_next_boundary(tow),
            spec.duty
                .as_ref()
                .and_then(|d| until_next_edge(d, self.now)),
        ]
        .into_iter()
        .flatten()
        .min();
        if let Some(d) = next {
            let at = self.scn.clock.advance(self.now, d);
            self.events.schedule(at, Event::Schedule(u));
        }
    }

    pub(super) fn on_presence_start(&mut self, u: UserId, change: u32) {
        let c = &self.scn.users[u as usize].presence_changes[change as usize];
        let rng = &mut self.presence_rngs[u as usize];
        let ps = &mut self.presence[u as usize];
        if ps.random.is_none() {
            ps.random = Some((c.presence, change));
            let d = c.duration.sample(rng);
            self.events
                .schedule(self.now + d, Event::PresenceEnd { user: u, change });
            self.apply_presence(u);
        } else {
            // Another change is on: try again later.
            let at = self.now + c.every.sample(rng).max(1);
            self.events
                .schedule(at, Event::PresenceStart { user: u, change });
        }
    }

    pub(super) fn on_presence_end(&mut self, u: UserId, change: u32) {
        let c = &self.scn.users[u as usize].presence_changes[change as usize];
        let at = self.now + c.every.sample(&mut self.presence_rngs[u as usize]).max(1);
        self.presence[u as usize].random = None;
        self.apply_presence(u);
        self.events
            .schedule(at, Event::PresenceStart { user: u, change });
    }

    fn schedule_call(&mut self, u: UserId) {
        if let Some(calls) = &self.scn.users[u as usize].calls {
            let exp = Exp::new(calls.rate_per_s).expect("call rates are validated positive");
            let gap = from_secs_f64(exp.sample(&mut self.presence_rngs[u as usize])).max(1);
            self.events.schedule(self.now + gap, Event::CallStart(u));
        }
    }

    /// Calls arrive while the user is on shift; one at a time.
    pub(super) fn on_call_start(&mut self, u: UserId) {
        self.schedule_call(u);
        let ps = &mut self.presence[u as usize];
        if !ps.on_shift || ps.in_call {
            return;
        }
        ps.in_call = true;
        let calls = self.scn.users[u as usize]
            .calls
            .as_ref()
            .expect("calls configured");
        let d = calls.duration.sample(&mut self.presence_rngs[u as usize]);
        self.users[u as usize].call_since = self.now;
        self.events.schedule(self.now + d, Event::CallEnd(u));
        self.router.set_in_call(u, true, self.now);
    }

    pub(super) fn on_call_end(&mut self, u: UserId) {
        let ps = &mut self.presence[u as usize];
        if !ps.in_call {
            return;
        }
        ps.in_call = false;
        let ut = &mut self.users[u as usize];
        ut.row.in_call_s += self.window.secs(ut.call_since, self.now);
        self.router.set_in_call(u, false, self.now);
    }
}
