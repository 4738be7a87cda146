//! Local civil time for calendars, shifts and trace timestamps. The scenario's
//! `start` fixes the local time of simulation time 0 in `simulation.timezone`
//! (UTC by default). The engine stays on integer time: the zone's UTC offsets
//! over the run are looked up once, when the scenario is built.

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

/// The proleptic Gregorian date (year, month, day) of a day number
/// (Hinnant's algorithm, the inverse of `days_from_civil`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
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
        self.to_string()
    }

    /// Microseconds since the epoch (local).
    pub fn micros(self) -> i128 {
        self.days as i128 * DAY as i128 + self.tod as i128
    }

    /// Time within the week (Monday 00:00 = 0).
    pub fn time_of_week(self) -> Time {
        weekday(self.days) as Time * DAY + self.tod
    }

    /// The local date-time of local epoch microseconds.
    pub fn from_micros(us: i128) -> Civil {
        // 64 bits hold ±292,000 years of µs: every date a scenario names
        // takes the native division; 128 bits (a library call, 1 % of a
        // year's run) only for the rest.
        if let Ok(v) = i64::try_from(us) {
            return Civil {
                days: v.div_euclid(DAY as i64),
                tod: v.rem_euclid(DAY as i64) as Time,
            };
        }
        Civil {
            days: us.div_euclid(DAY as i128) as i64,
            tod: us.rem_euclid(DAY as i128) as Time,
        }
    }
}

/// Local clock time as the output files write it: "2026-11-24T08:00", with
/// ":SS" only when the seconds are not zero (sub-seconds are dropped). The
/// one formatter for every clock-time column and label.
impl std::fmt::Display for Civil {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let (y, m, d) = civil_from_days(self.days);
        let secs = self.tod / MICROS_PER_SEC;
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}")?;
        if s != 0 {
            write!(f, ":{s:02}")?;
        }
        Ok(())
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

/// Maps simulation time to local civil time: the UTC instant of time 0 and
/// the zone's UTC offsets over the run, precomputed (no zone lookups later).
#[derive(Debug, Clone)]
pub struct Clock {
    /// UTC µs since 1970-01-01 at simulation time 0.
    origin: i128,
    /// (simulation time from which it holds, UTC offset in µs), ascending;
    /// the first holds from time 0.
    offsets: Vec<(Time, i64)>,
}

impl Clock {
    /// A clock on UTC (no daylight saving time) starting at local `start`.
    pub fn utc(start: Civil) -> Clock {
        Clock {
            origin: start.micros(),
            offsets: vec![(0, 0)],
        }
    }

    /// A clock in the IANA time zone `zone` ("Europe/Zurich") starting at
    /// local `start`, with the zone's offset changes over `horizon`. A start
    /// in a DST gap moves forward by the gap; in a fold it takes the first.
    pub fn zoned(start: Civil, zone: &str, horizon: Time) -> Result<Clock, String> {
        use jiff::{civil::DateTime, tz::TimeZone, Timestamp};
        let tz = TimeZone::get(zone).map_err(|_| {
            format!("unknown time zone \"{zone}\"; expected an IANA name such as \"Europe/Zurich\", \"America/New_York\" or \"UTC\"")
        })?;
        let (y, m, d) = civil_from_days(start.days);
        let secs = start.tod / MICROS_PER_SEC;
        let dt = DateTime::new(
            y as i16,
            m as i8,
            d as i8,
            (secs / 3600) as i8,
            (secs / 60 % 60) as i8,
            (secs % 60) as i8,
            (start.tod % MICROS_PER_SEC * 1000) as i32,
        )
        .and_then(|dt| tz.to_timestamp(dt))
        .map_err(|e| format!("{start} in {zone}: {e}"))?;
        let origin = dt.as_microsecond();
        let us = |o: jiff::tz::Offset| o.seconds() as i64 * MICROS_PER_SEC as i64;
        let mut offsets = vec![(0, us(tz.to_offset(dt)))];
        let end = origin.saturating_add(horizon.min(i64::MAX as Time) as i64);
        let from = Timestamp::from_microsecond(origin).map_err(|e| e.to_string())?;
        for tr in tz.following(from) {
            let at = tr.timestamp().as_microsecond();
            if at > end {
                break;
            }
            offsets.push(((at - origin) as Time, us(tr.offset())));
        }
        Ok(Clock {
            origin: origin as i128,
            offsets,
        })
    }

    #[inline]
    fn segment(&self, t: Time) -> usize {
        self.offsets.partition_point(|&(s, _)| s <= t) - 1
    }

    /// Local time at simulation time `t`.
    pub fn civil(&self, t: Time) -> Civil {
        let off = self.offsets[self.segment(t)].1;
        Civil::from_micros(self.origin + t as i128 + off as i128)
    }

    /// Time within the week (Monday 00:00 = 0) at simulation time `t`.
    pub fn time_of_week(&self, t: Time) -> Time {
        self.civil(t).time_of_week()
    }

    /// The simulation time `local` later on the local clock than `t`, or the
    /// next UTC offset change if that comes first (callers then look again):
    /// until a change, local and simulated time run alike.
    #[inline]
    pub fn advance(&self, t: Time, local: Time) -> Time {
        let next = self
            .offsets
            .get(self.segment(t) + 1)
            .map_or(Time::MAX, |&(s, _)| s);
        t.saturating_add(local).min(next)
    }

    /// Simulation time of a local civil time (None if before the start). A
    /// time repeated when clocks go back is the first; one skipped when they
    /// go forward is moved forward by the gap.
    pub fn sim_time(&self, c: Civil) -> Option<Time> {
        let local = c.micros();
        let at = |i: usize| local - self.offsets[i].1 as i128 - self.origin;
        let end = |i: usize| self.offsets.get(i + 1).map_or(i128::MAX, |s| s.0 as i128);
        let start = |i: usize| self.offsets[i].0 as i128;
        let n = self.offsets.len();
        let t = (0..n)
            .find(|&i| at(i) < end(i) && (i == 0 || at(i) >= start(i)))
            .map(at)
            // In a gap: the offset before the change, which lands after it.
            .or_else(|| {
                (1..n)
                    .find(|&i| at(i) < start(i) && at(i - 1) >= start(i))
                    .map(|i| at(i - 1))
            })?;
        (t >= 0).then_some(t as Time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 64-bit path of `from_micros` splits days and time of day as the
    /// 128-bit one does, before 1970 too, and round-trips through `micros`.
    #[test]
    fn from_micros_native_and_wide_agree() {
        let d = DAY as i128;
        for us in [
            0,
            1,
            -1,
            d - 1,
            -d,
            -d - 1,
            1_767_571_200_000_000 + 123,
            -62_135_596_800_000_000 - 7,
            i64::MAX as i128,
            i64::MIN as i128,
            i64::MAX as i128 + 1,
            i64::MIN as i128 - 1,
        ] {
            let c = Civil::from_micros(us);
            assert_eq!(c.days as i128, us.div_euclid(d), "days of {us}");
            assert_eq!(c.tod as i128, us.rem_euclid(d), "time of day of {us}");
            assert_eq!(c.micros(), us);
        }
    }

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
        let clock = Clock::utc(c);
        // 16 h later it is Tuesday 00:30.
        let t = clock.time_of_week(16 * 3600 * MICROS_PER_SEC);
        assert_eq!(t, DAY + 30 * 60 * MICROS_PER_SEC);
        assert_eq!(parse_weekday("Friday").unwrap(), 4);
        for s in [
            "2026-11-24T08:00",
            "2024-02-29T23:59:30",
            "1969-12-31T00:00",
        ] {
            assert_eq!(parse_civil(s).unwrap().to_string(), s);
        }
        for z in [-800_000, -1, 0, 59, 60, 20_000, 3_000_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert!(parse_weekday("fr").is_err());
    }
}
