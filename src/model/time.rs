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

/// Appends `t - origin` as seconds with exactly three decimals (rounded to the
/// millisecond) to `out`, without allocating. Times before `origin` are written
/// with a leading minus sign.
pub fn push_secs3(out: &mut Vec<u8>, t: Time, origin: Time) {
    let (neg, d) = if t >= origin {
        (false, t - origin)
    } else {
        (true, origin - t)
    };
    let ms = (d + MICROS_PER_MS / 2) / MICROS_PER_MS;
    // Digits from the right into a stack buffer, then one copy: sessions.csv
    // has five of these per row.
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    let mut rest = ms;
    for pos in 0.. {
        if pos == 3 {
            i -= 1;
            buf[i] = b'.';
        }
        i -= 1;
        buf[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 && pos >= 3 {
            break;
        }
    }
    if neg && ms > 0 {
        i -= 1;
        buf[i] = b'-';
    }
    out.extend_from_slice(&buf[i..]);
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

    fn secs3(t: Time, o: Time) -> String {
        let mut v = Vec::new();
        push_secs3(&mut v, t, o);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn three_decimals_round_to_the_millisecond() {
        assert_eq!(secs3(0, 0), "0.000");
        assert_eq!(secs3(1_234_567, 0), "1.235");
        assert_eq!(secs3(1_234_499, 0), "1.234");
        assert_eq!(secs3(5 * MICROS_PER_SEC, 7 * MICROS_PER_SEC), "-2.000");
        assert_eq!(secs3(3_600_000_000, 0), "3600.000");
        assert_eq!(secs3(400, 0), "0.000");
        assert_eq!(secs3(5 * MICROS_PER_SEC, 5 * MICROS_PER_SEC + 400), "0.000");
        // Against the plain formatting, over many magnitudes.
        let mut x: u64 = 1;
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = x >> (4 + x % 40);
            let ms = (t + MICROS_PER_MS / 2) / MICROS_PER_MS;
            assert_eq!(
                secs3(t, 0),
                format!("{}.{:03}", ms / 1000, ms % 1000),
                "{t}"
            );
        }
    }

    #[test]
    fn human_durations() {
        assert_eq!(format_duration(5_400 * MICROS_PER_SEC), "1h30m");
        assert_eq!(format_duration(250 * MICROS_PER_MS), "250ms");
        assert_eq!(format_duration(0), "0s");
    }
}
