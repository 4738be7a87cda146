//! Simulation time: integer microseconds since the start of the simulated run
//! (warm-up included). Integers keep event ordering exact; seconds with three
//! decimals appear only at the edges (output files).

/// A point in simulated time or a span of it, in microseconds.
pub type Time = u64;

pub const MICROS_PER_MS: Time = 1_000;
pub const MICROS_PER_SEC: Time = 1_000_000;

/// Converts seconds (as drawn from a distribution) to integer time, rounding to
/// the nearest microsecond and clamping negatives to zero.
#[inline]
pub fn from_secs_f64(s: f64) -> Time {
    if s.is_finite() && s > 0.0 {
        (s * MICROS_PER_SEC as f64).round() as Time
    } else {
        0
    }
}

#[inline]
pub fn to_secs_f64(t: Time) -> f64 {
    t as f64 / MICROS_PER_SEC as f64
}

/// Formats a duration for humans in the scenario's own notation ("1h30m", "250ms").
pub fn format_duration(t: Time) -> String {
    if t == 0 {
        return "0s".to_string();
    }
    let mut rest = t;
    let mut s = String::new();
    for (unit, size) in [
        ("d", 86_400 * MICROS_PER_SEC),
        ("h", 3_600 * MICROS_PER_SEC),
        ("m", 60 * MICROS_PER_SEC),
        ("s", MICROS_PER_SEC),
        ("ms", MICROS_PER_MS),
        ("us", 1),
    ] {
        if rest >= size {
            s.push_str(&format!("{}{}", rest / size, unit));
            rest %= size;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(format_duration(5_400 * MICROS_PER_SEC), "1h30m");
        assert_eq!(format_duration(250 * MICROS_PER_MS), "250ms");
        assert_eq!(format_duration(0), "0s");
    }
}
