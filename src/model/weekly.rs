//! Weekly time windows (shifts, breaks, opening hours) and dated periods
//! (holidays, special periods), evaluated on the scenario's local clock.

use super::civil::{DAY, WEEK};
use super::time::Time;

/// A union of weekly windows, as sorted, disjoint [start, end) spans within
/// one week (Monday 00:00 = 0); a window that crosses midnight or the week's
/// end is split.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WeeklyWindows {
    spans: Vec<(Time, Time)>,
}

impl WeeklyWindows {
    /// Adds `from..to` (times of day) on weekday `day`; `to <= from` crosses midnight.
    pub fn add(&mut self, day: u32, from: Time, to: Time) {
        let start = day as Time * DAY + from;
        let end = if to > from {
            day as Time * DAY + to
        } else {
            (day as Time + 1) * DAY + to
        };
        if end <= WEEK {
            self.spans.push((start, end));
        } else {
            self.spans.push((start, WEEK));
            if end - WEEK > 0 {
                self.spans.push((0, end - WEEK));
            }
        }
        self.normalise();
    }

    fn normalise(&mut self) {
        self.spans.retain(|(a, b)| b > a);
        self.spans.sort_unstable();
        let mut out: Vec<(Time, Time)> = Vec::with_capacity(self.spans.len());
        for &(a, b) in &self.spans {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        self.spans = out;
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Whether time-of-week `tow` lies inside a window.
    pub fn contains(&self, tow: Time) -> bool {
        self.spans.iter().any(|&(a, b)| a <= tow && tow < b)
    }

    /// Time until the next window boundary strictly after `tow` (at most a week).
    pub fn until_next_boundary(&self, tow: Time) -> Option<Time> {
        let mut best: Option<Time> = None;
        for &(a, b) in &self.spans {
            for edge in [a, b] {
                // A window ending at WEEK continues into one starting at 0:
                // both are real boundaries only if not merged across the wrap.
                let d = if edge > tow {
                    edge - tow
                } else {
                    edge + WEEK - tow
                };
                if d > 0 && best.is_none_or(|x| d < x) {
                    best = Some(d);
                }
            }
        }
        best
    }
}

/// A dated period [from, to) in local epoch microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    pub from: i128,
    pub to: i128,
}

impl Period {
    pub fn contains(&self, t: i128) -> bool {
        self.from <= t && t < self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const H: Time = 3_600_000_000;

    #[test]
    fn windows_and_boundaries() {
        let mut w = WeeklyWindows::default();
        for d in 0..5 {
            w.add(d, 8 * H, 16 * H);
        }
        assert!(w.contains(9 * H));
        assert!(!w.contains(7 * H));
        assert!(!w.contains(5 * DAY + 9 * H), "Saturday");
        assert_eq!(w.until_next_boundary(7 * H), Some(H));
        assert_eq!(w.until_next_boundary(8 * H), Some(8 * H));
        // Friday 16:00 -> Monday 08:00.
        assert_eq!(
            w.until_next_boundary(4 * DAY + 16 * H),
            Some(2 * DAY + 16 * H)
        );
        // A night shift Sunday 22:00 - Monday 06:00 wraps the week.
        let mut n = WeeklyWindows::default();
        n.add(6, 22 * H, 6 * H);
        assert!(n.contains(6 * DAY + 23 * H));
        assert!(n.contains(H));
        assert!(!n.contains(7 * H));
    }
}
