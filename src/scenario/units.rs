//! The scenario's textual units: durations ("250ms", "1h30m", "2d") and rates
//! ("1080/h", "0.3/s", "20000/d"); and the range of a shrinkage, which the
//! scenario key and `staff --shrinkage` share.

use super::limits::{MAX_DURATION, MAX_RATE_PER_S};
use crate::model::time::{from_secs_f64, to_secs_f64, Time, MICROS_PER_SEC};

const DURATION_HINT: &str =
    "expected a duration such as \"250ms\", \"30s\", \"5m\", \"1h30m\" or \"2d\"";
const RATE_HINT: &str = "expected a rate such as \"1080/h\", \"0.3/s\", \"50/m\" or \"20000/d\"";

/// What a valid `shrinkage` (key or `--shrinkage`) looks like.
pub const SHRINKAGE_HINT: &str =
    "a share of paid time away from the floor, from 0 up to (not including) 1, e.g. 0.3 for 30 %";

/// Checks a shrinkage: a fraction in [0, 1) (1 would leave no time on the
/// floor, and scheduled = on-floor / (1 - shrinkage) would divide by zero).
pub fn check_shrinkage(x: f64) -> Result<f64, String> {
    if (0.0..1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!("got {x}, expected {SHRINKAGE_HINT}"))
    }
}

/// Shrinkage above which a valid value is more likely a slip (the share of
/// time *on* the floor, say) than a plan: contact centres plan about 0.2-0.4.
const PLAUSIBLE_SHRINKAGE: f64 = 0.6;

/// A warning for a valid shrinkage above `PLAUSIBLE_SHRINKAGE`, saying what
/// it does to the headcount.
pub fn shrinkage_warning(x: f64) -> Option<String> {
    (x > PLAUSIBLE_SHRINKAGE).then(|| {
        format!(
            "shrinkage {x} means {:.0} % of paid time away from the floor: staff schedules {:.1}x the agents on the floor (contact centres plan about 0.2-0.4; is {x} the share of time on the floor?)",
            x * 100.0,
            1.0 / (1.0 - x)
        )
    })
}

fn unit_micros(unit: &str) -> Option<f64> {
    Some(match unit {
        "us" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" | "min" => 60e6,
        "h" => 3_600e6,
        "d" => 86_400e6,
        _ => return None,
    })
}

/// Parses a duration into microseconds. Several number+unit parts add up
/// ("1h30m"); decimals are allowed ("1.5h"). Zero is allowed here; callers
/// that need a positive duration check it themselves.
pub fn parse_duration(text: &str) -> Result<Time, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("empty duration: {DURATION_HINT}"));
    }
    if s.starts_with('-') {
        return Err(format!("negative duration \"{text}\": {DURATION_HINT}"));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total = 0.0f64;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let num = &s[start..i];
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        let value: f64 = num
            .parse()
            .map_err(|_| format!("invalid duration \"{text}\": {DURATION_HINT}"))?;
        let size = if unit.is_empty() {
            return Err(format!("duration \"{text}\" has no unit: {DURATION_HINT}"));
        } else {
            unit_micros(unit).ok_or_else(|| {
                format!("unknown unit \"{unit}\" in duration \"{text}\": {DURATION_HINT}")
            })?
        };
        total += value * size;
    }
    if !total.is_finite() || total > MAX_DURATION as f64 {
        return Err(format!(
            "duration \"{text}\" is longer than the maximum of 366 days (\"366d\")"
        ));
    }
    Ok(total.round() as Time)
}

/// A duration read from a data file as a number of seconds: finite, not
/// negative and at most [`MAX_DURATION`]. The error quotes `text` and says
/// what is wrong with it.
pub fn secs_to_duration(text: &str) -> Result<Time, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds"))?;
    if !v.is_finite() {
        Err(format!("\"{text}\" is not a finite number of seconds"))
    } else if v < 0.0 {
        Err(format!("\"{text}\" must not be negative"))
    } else if v > to_secs_f64(MAX_DURATION) {
        Err(format!(
            "\"{text}\" s is longer than the maximum of 366 days (31622400 s)"
        ))
    } else {
        Ok(from_secs_f64(v))
    }
}

/// Parses a rate into events per second; it must be positive.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let r = parse_rate_nonneg(text)?;
    if r == 0.0 {
        return Err(format!("rate \"{text}\" must be positive: {RATE_HINT}"));
    }
    Ok(r)
}

/// Parses a rate that may be zero (a quiet interval of a profile).
pub fn parse_rate_nonneg(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let (num, unit) = s
        .split_once('/')
        .ok_or_else(|| format!("invalid rate \"{text}\": {RATE_HINT}"))?;
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("invalid rate \"{text}\": {RATE_HINT}"))?;
    let unit = unit.trim();
    // "1/30s" style: a unit with its own count.
    let per = if unit.as_bytes().first().is_some_and(|b| b.is_ascii_digit()) {
        parse_duration(unit).map_err(|m| format!("invalid rate \"{text}\": {m}"))? as f64
    } else {
        unit_micros(unit)
            .ok_or_else(|| format!("unknown unit \"{unit}\" in rate \"{text}\": {RATE_HINT}"))?
    };
    if !value.is_finite() {
        return Err(format!(
            "rate \"{text}\" is not a finite number: {RATE_HINT}"
        ));
    }
    if value < 0.0 {
        return Err(format!("rate \"{text}\" must not be negative: {RATE_HINT}"));
    }
    if per <= 0.0 {
        return Err(format!(
            "rate \"{text}\" is per zero time: the duration after `/` must be greater than 0, as in \"1/30s\""
        ));
    }
    let r = value * MICROS_PER_SEC as f64 / per;
    if r > MAX_RATE_PER_S {
        return Err(format!(
            "rate \"{text}\" is above the maximum of 1000000/s (3600000000/h)"
        ));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), 250_000);
        assert_eq!(parse_duration("30s").unwrap(), 30_000_000);
        assert_eq!(parse_duration("5m").unwrap(), 300_000_000);
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000);
        assert_eq!(parse_duration("2d").unwrap(), 172_800_000_000);
        assert_eq!(parse_duration("1.5s").unwrap(), 1_500_000);
        assert_eq!(parse_duration("0s").unwrap(), 0);
        for bad in ["", "30", "abc", "-5s", "5x", "s", "1..2s"] {
            assert!(parse_duration(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(parse_duration("366d").unwrap(), MAX_DURATION);
        for long in ["367d", "300000d", "99999999999999999999999s", "8784h1us"] {
            let e = parse_duration(long).unwrap_err();
            assert!(e.contains("maximum of 366 days"), "{long}: {e}");
        }
        assert_eq!(secs_to_duration("1.5").unwrap(), 1_500_000);
        assert!(secs_to_duration("1e300").unwrap_err().contains("366 days"));
        assert!(secs_to_duration("NaN").unwrap_err().contains("finite"));
        assert!(secs_to_duration("-1").unwrap_err().contains("negative"));
        assert!(secs_to_duration("x").unwrap_err().contains("not a number"));
    }

    #[test]
    fn shrinkage_is_a_fraction_below_one() {
        assert_eq!(check_shrinkage(0.0), Ok(0.0));
        assert_eq!(check_shrinkage(0.3), Ok(0.3));
        for bad in [-0.1, 1.0, 30.0, f64::NAN, f64::INFINITY] {
            let e = check_shrinkage(bad).unwrap_err();
            assert!(e.contains("0.3 for 30 %"), "{bad}: {e}");
        }
    }

    #[test]
    fn rates() {
        assert!((parse_rate("1080/h").unwrap() - 0.3).abs() < 1e-12);
        assert!((parse_rate("0.3/s").unwrap() - 0.3).abs() < 1e-12);
        assert!((parse_rate("86400/d").unwrap() - 1.0).abs() < 1e-12);
        assert!((parse_rate("1/30s").unwrap() - 1.0 / 30.0).abs() < 1e-12);
        for bad in ["0/h", "-1/h", "10", "10/x", "x/h"] {
            assert!(parse_rate(bad).is_err(), "{bad} accepted");
        }
        for (bad, says) in [
            ("NaN/h", "not a finite number"),
            ("inf/h", "not a finite number"),
            ("1/0s", "per zero time"),
            ("-1/h", "must not be negative"),
            ("1e308/h", "maximum of 1000000/s"),
        ] {
            let e = parse_rate(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
