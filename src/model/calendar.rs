//! Opening-hours calendars and the Check Opening Hours decision.

use super::civil::Clock;
use super::time::Time;
use super::weekly::{Period, WeeklyWindows};

/// The exits of Check Opening Hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoursExit {
    Open,
    Closed,
    Holiday,
    /// Special1 .. Special4.
    Special(u8),
    /// No calendar assigned.
    Default,
}

impl HoursExit {
    pub fn name(self) -> &'static str {
        match self {
            HoursExit::Open => "open",
            HoursExit::Closed => "closed",
            HoursExit::Holiday => "holiday",
            HoursExit::Special(1) => "special1",
            HoursExit::Special(2) => "special2",
            HoursExit::Special(3) => "special3",
            HoursExit::Special(_) => "special4",
            HoursExit::Default => "default",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    pub name: String,
    /// Weekly opening hours.
    pub open: WeeklyWindows,
    pub holidays: Vec<Period>,
    /// (1..=4, period).
    pub specials: Vec<(u8, Period)>,
}

impl Calendar {
    /// A holiday or special period defined for this moment, if any.
    /// Holidays win over special periods.
    pub fn defined_period(&self, local: i128) -> Option<HoursExit> {
        if self.holidays.iter().any(|p| p.contains(local)) {
            return Some(HoursExit::Holiday);
        }
        self.specials
            .iter()
            .find(|(_, p)| p.contains(local))
            .map(|(k, _)| HoursExit::Special(*k))
    }

    /// Open or Closed by the weekly hours.
    pub fn weekly(&self, tow: Time) -> HoursExit {
        if self.open.contains(tow) {
            HoursExit::Open
        } else {
            HoursExit::Closed
        }
    }
}

/// DOMAIN.md: a defined period of the primary calendar wins, then one of the
/// secondary, then the primary's default (its weekly hours). No calendar:
/// the Default exit.
pub fn check_opening_hours(
    primary: Option<&Calendar>,
    secondary: Option<&Calendar>,
    clock: &Clock,
    t: Time,
) -> HoursExit {
    let Some(p) = primary else {
        return HoursExit::Default;
    };
    let civil = clock.civil(t);
    let local = civil.micros();
    p.defined_period(local)
        .or_else(|| secondary.and_then(|s| s.defined_period(local)))
        .unwrap_or_else(|| p.weekly(civil.time_of_week()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::civil::{parse_civil, DAY};

    const H: Time = 3_600_000_000;

    fn period(a: &str, b: &str) -> Period {
        Period {
            from: parse_civil(a).unwrap().micros(),
            to: parse_civil(b).unwrap().micros(),
        }
    }

    #[test]
    fn precedence_primary_secondary_default() {
        let clock = Clock::utc(parse_civil("2026-11-23T00:00").unwrap()); // Monday
        let mut primary = Calendar::default();
        for d in 0..5 {
            primary.open.add(d, 8 * H, 17 * H);
        }
        primary.holidays.push(period("2026-11-25", "2026-11-26"));
        let mut secondary = Calendar::default();
        secondary
            .specials
            .push((2, period("2026-11-24T12:00", "2026-11-24T14:00")));
        secondary.holidays.push(period("2026-11-25", "2026-11-26"));
        let at = |day: Time, hour: Time| {
            check_opening_hours(
                Some(&primary),
                Some(&secondary),
                &clock,
                day * DAY + hour * H,
            )
        };
        assert_eq!(at(0, 9), HoursExit::Open);
        assert_eq!(at(0, 18), HoursExit::Closed);
        assert_eq!(
            at(1, 13),
            HoursExit::Special(2),
            "secondary's period beats primary's weekly hours"
        );
        assert_eq!(at(1, 15), HoursExit::Open);
        assert_eq!(at(2, 10), HoursExit::Holiday, "primary's holiday");
        assert_eq!(at(5, 10), HoursExit::Closed, "Saturday");
        assert_eq!(
            check_opening_hours(None, Some(&secondary), &clock, 0),
            HoursExit::Default
        );
        // The primary's defined period wins over the secondary's.
        primary
            .specials
            .push((1, period("2026-11-24T12:30", "2026-11-24T13:00")));
        assert_eq!(
            check_opening_hours(
                Some(&primary),
                Some(&secondary),
                &clock,
                DAY + 12 * H + 45 * 60_000_000
            ),
            HoursExit::Special(1)
        );
    }
}
