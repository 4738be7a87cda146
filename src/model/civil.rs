//! Local civil time for calendars, shifts and trace timestamps. The scenario's
//! `start` fixes the civil time of simulation time 0; no time zones or DST
//! (ASSUMPTION: all times are the contact center's local wall-clock time).

use super::time::{Time, MICROS_PER_SEC};

pub const DAY: Time = 86_400 * MICROS_PER_SEC;
pub const WEEK: Time = 7 * DAY;

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (y, m, d) of a day number (Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Weekday of a day number: 0 = Monday .. 6 = Sunday.
pub fn weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (3).
    ((days + 3).rem_euclid(7)) as u32
}

/// A parsed local date-time: whole days since the epoch and time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub days: i64,
    pub tod: Time,
}

impl Civil {
    /// "YYYY-MM-DDTHH:MM" (seconds only when not zero), as `parse_civil` reads it.
    pub fn label(self) -> String {
        let (y, m, d) = civil_from_days(self.days);
        let s = self.tod / MICROS_PER_SEC;
        let mut out = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}", s / 3600, s / 60 % 60);
        if !s.is_multiple_of(60) {
            out.push_str(&format!(":{:02}", s % 60));
        }
        out
    }

    /// Microseconds since the epoch (local).
    pub fn micros(self) -> i128 {
        self.days as i128 * DAY as i128 + self.tod as i128
    }
}

const HINT: &str = "expected local time as \"YYYY-MM-DDTHH:MM[:SS]\" (e.g. \"2026-11-23T08:00:00\") or a date \"YYYY-MM-DD\"";

/// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" or "YYYY-MM-DDTHH:MM:SS".
pub fn parse_civil(s: &str) -> Result<Civil, String> {
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let d: Vec<&str> = date.split('-').collect();
    let bad = || format!("\"{s}\": {HINT}");
    if d.len() != 3 || d[0].len() != 4 {
        return Err(bad());
    }
    let y: i64 = d[0].parse().map_err(|_| bad())?;
    let m: u32 = d[1].parse().map_err(|_| bad())?;
    let day: u32 = d[2].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || day == 0 || day > days_in_month(y, m) {
        return Err(bad());
    }
    let tod = match time {
        None => 0,
        Some(t) => parse_clock(t).map_err(|_| bad())?,
    };
    Ok(Civil {
        days: days_from_civil(y, m, day),
        tod,
    })
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Parses a time of day "HH:MM" or "HH:MM:SS" ("24:00" allowed as the end of a day).
pub fn parse_clock(t: &str) -> Result<Time, String> {
    let p: Vec<&str> = t.split(':').collect();
    let bad = || format!("\"{t}\": expected a time of day \"HH:MM\" or \"HH:MM:SS\"");
    if p.len() < 2 || p.len() > 3 {
        return Err(bad());
    }
    let h: u64 = p[0].parse().map_err(|_| bad())?;
    let m: u64 = p[1].parse().map_err(|_| bad())?;
    let s: u64 = if p.len() == 3 {
        p[2].parse().map_err(|_| bad())?
    } else {
        0
    };
    if m > 59 || s > 59 || h > 24 || (h == 24 && (m > 0 || s > 0)) {
        return Err(bad());
    }
    Ok((h * 3600 + m * 60 + s) * MICROS_PER_SEC)
}

/// Parses a weekday name ("mon", "monday", case-insensitive): 0 = Monday.
pub fn parse_weekday(s: &str) -> Result<u32, String> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let l = s.to_ascii_lowercase();
    NAMES
        .iter()
        .position(|n| l.starts_with(n) && (l.len() == 3 || full_name(n) == l))
        .map(|i| i as u32)
        .ok_or_else(|| {
            format!("unknown weekday \"{s}\"; expected mon, tue, wed, thu, fri, sat or sun")
        })
}

fn full_name(short: &str) -> &'static str {
    match short {
        "mon" => "monday",
        "tue" => "tuesday",
        "wed" => "wednesday",
        "thu" => "thursday",
        "fri" => "friday",
        "sat" => "saturday",
        _ => "sunday",
    }
}

/// Maps simulation time to local civil time.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub start: Civil,
}

impl Clock {
    /// Local time at simulation time `t`.
    pub fn civil(&self, t: Time) -> Civil {
        let tod = self.start.tod + t;
        Civil {
            days: self.start.days + (tod / DAY) as i64,
            tod: tod % DAY,
        }
    }

    /// Time within the week (Monday 00:00 = 0) at simulation time `t`.
    pub fn time_of_week(&self, t: Time) -> Time {
        let c = self.civil(t);
        weekday(c.days) as Time * DAY + c.tod
    }

    /// Simulation time of a local civil time (None if before the start).
    pub fn sim_time(&self, c: Civil) -> Option<Time> {
        let d = c.micros() - self.start.micros();
        (d >= 0).then_some(d as Time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for t in [
            "2026-11-24T08:00",
            "2024-02-29T23:59:30",
            "1999-12-31T00:00",
        ] {
            assert_eq!(parse_civil(t).unwrap().label(), t);
        }
    }

    #[test]
    fn calendar_arithmetic() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(weekday(days_from_civil(2026, 11, 23)), 0, "a Monday");
        assert_eq!(weekday(days_from_civil(2026, 11, 29)), 6, "a Sunday");
        assert_eq!(
            days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28),
            2
        );
        assert!(parse_civil("2026-02-29").is_err());
        assert!(parse_civil("2026-11-23T25:00").is_err());
        let c = parse_civil("2026-11-23T08:30").unwrap();
        assert_eq!(c.tod, 8 * 3600 * MICROS_PER_SEC + 30 * 60 * MICROS_PER_SEC);
        let clock = Clock { start: c };
        // 16 h later it is Tuesday 00:30.
        let t = clock.time_of_week(16 * 3600 * MICROS_PER_SEC);
        assert_eq!(t, DAY + 30 * 60 * MICROS_PER_SEC);
        assert_eq!(parse_weekday("Friday").unwrap(), 4);
        assert!(parse_weekday("fr").is_err());
    }
}
