//! Allocation-free field formatting for the CSV writers.

#[inline]
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A float with `decimals` fixed decimals; NaN or infinite values leave the
/// field empty (undefined, e.g. a mean over no tasks).
pub fn push_f64(out: &mut Vec<u8>, v: f64, decimals: usize) {
    if v.is_finite() {
        use std::io::Write;
        let _ = write!(out, "{v:.decimals$}");
    }
}

/// A text field, quoted when it holds a comma, quote or newline.
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// A float for summary files and JSON-free text: up to 6 decimals, trailing
/// zeros trimmed, integers without a point; empty for NaN.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// A float as the shortest decimal that reads back as the same number (no
/// rounding to 6 decimals): for values a file records to be parsed again,
/// such as a threshold's bound.
pub fn num_exact(v: f64) -> String {
    if v == 0.0 {
        "0".into() // and not "-0"
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(0.1234567), "0.123457");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(num(-0.0000001), "0");
        assert_eq!(num_exact(0.1234567891), "0.1234567891");
        assert_eq!(num_exact(2.0), "2");
        assert_eq!(num_exact(-0.0), "0");
        assert_eq!(num_exact(1e-7), "0.0000001");
        let mut v = Vec::new();
        push_str(&mut v, "a,b");
        push_f64(&mut v, f64::NAN, 3);
        push_f64(&mut v, 1.5, 3);
        assert_eq!(String::from_utf8(v).unwrap(), "\"a,b\"1.500");
    }
}
