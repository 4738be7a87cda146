//! A CSV line assembled in a stack buffer and appended to the output in one
//! copy. sessions.csv's writer formats ~10 M rows a run: written field by
//! field into a `Vec`, each number and name cost a `memcpy` call, a quarter
//! of the writer's time. Here digits are written from the right two at a
//! time, and names and labels are copied in fixed 16-byte pieces from
//! zero-padded copies made once (`Field`).

use crate::model::time::{Time, MICROS_PER_MS};

/// Bytes gathered before they go to the output (a sessions.csv row is
/// ~140; a longer one is flushed in parts).
const BUF: usize = 512;

/// "00" to "99".
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// A text field prepared for `Line::field`: its CSV form (quoted if need
/// be), zero-padded to whole 16-byte pieces.
#[derive(Debug, Clone)]
pub struct Field {
    padded: Vec<u8>,
    len: usize,
}

impl Field {
    pub fn new(text: &str) -> Field {
        let mut csv = Vec::new();
        super::fmt::push_str(&mut csv, text);
        Field::verbatim(csv)
    }

    /// Bytes written as they are (several fields joined, for one).
    pub fn verbatim(mut padded: Vec<u8>) -> Field {
        let len = padded.len();
        padded.resize(len.div_ceil(16).max(1) * 16, 0);
        Field { padded, len }
    }
}

/// One line being written; `finish` appends it to the output.
pub struct Line<'a> {
    out: &'a mut Vec<u8>,
    buf: [u8; BUF],
    n: usize,
}

impl<'a> Line<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Line<'a> {
        Line {
            out,
            buf: [0; BUF],
            n: 0,
        }
    }

    /// Makes room for `need` more bytes (flushing what is gathered).
    #[inline]
    fn room(&mut self, need: usize) {
        if self.n + need > BUF {
            self.out.extend_from_slice(&self.buf[..self.n]);
            self.n = 0;
        }
    }

    #[inline]
    pub fn byte(&mut self, b: u8) {
        self.room(1);
        self.buf[self.n] = b;
        self.n += 1;
    }

    /// The decimal digits of `v`.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.room(20);
        let len = v.checked_ilog10().unwrap_or(0) as usize + 1;
        self.digits_at(self.n + len, v);
        self.n += len;
    }

    /// Writes `v`'s digits so that the last one ends before `end`.
    #[inline]
    fn digits_at(&mut self, end: usize, mut v: u64) {
        let mut i = end;
        while v >= 100 {
            let p = (v % 100) as usize * 2;
            v /= 100;
            i -= 2;
            self.buf[i..i + 2].copy_from_slice(&PAIRS[p..p + 2]);
        }
        if v >= 10 {
            let p = v as usize * 2;
            i -= 2;
            self.buf[i..i + 2].copy_from_slice(&PAIRS[p..p + 2]);
        } else {
            i -= 1;
            self.buf[i] = b'0' + v as u8;
        }
    }

    /// `t - origin` as seconds with exactly three decimals (rounded to the
    /// millisecond); a time before `origin` with a leading minus sign.
    #[inline]
    pub fn secs3(&mut self, t: Time, origin: Time) {
        self.room(24);
        let (neg, d) = if t >= origin {
            (false, t - origin)
        } else {
            (true, origin - t)
        };
        let ms = (d + MICROS_PER_MS / 2) / MICROS_PER_MS;
        if neg && ms > 0 {
            self.buf[self.n] = b'-';
            self.n += 1;
        }
        let (secs, frac) = (ms / 1000, (ms % 1000) as usize);
        let whole = secs.checked_ilog10().unwrap_or(0) as usize + 1;
        self.digits_at(self.n + whole, secs);
        let at = self.n + whole;
        self.buf[at] = b'.';
        self.buf[at + 1] = b'0' + (frac / 100) as u8;
        let p = (frac % 100) * 2;
        self.buf[at + 2..at + 4].copy_from_slice(&PAIRS[p..p + 2]);
        self.n = at + 4;
    }

    /// A prepared text field.
    #[inline]
    pub fn field(&mut self, f: &Field) {
        if f.padded.len() > BUF {
            return self.bytes(&f.padded[..f.len]);
        }
        self.room(f.padded.len());
        for (k, piece) in f.padded.chunks_exact(16).enumerate() {
            let at = self.n + 16 * k;
            self.buf[at..at + 16].copy_from_slice(piece);
        }
        self.n += f.len;
    }

    /// Any bytes (rare fields: a failure reason).
    pub fn bytes(&mut self, b: &[u8]) {
        if b.len() > BUF {
            self.room(BUF);
            self.out.extend_from_slice(&self.buf[..self.n]);
            self.n = 0;
            self.out.extend_from_slice(b);
            return;
        }
        self.room(b.len());
        self.buf[self.n..self.n + b.len()].copy_from_slice(b);
        self.n += b.len();
    }

    /// Appends the line to the output.
    pub fn finish(self) {
        self.out.extend_from_slice(&self.buf[..self.n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::MICROS_PER_SEC;

    fn line(f: impl FnOnce(&mut Line)) -> String {
        let mut out = Vec::new();
        let mut l = Line::new(&mut out);
        f(&mut l);
        l.finish();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn three_decimals_round_to_the_millisecond() {
        let secs3 = |t: Time, o: Time| line(|l| l.secs3(t, o));
        assert_eq!(secs3(0, 0), "0.000");
        assert_eq!(secs3(1_234_567, 0), "1.235");
        assert_eq!(secs3(1_234_499, 0), "1.234");
        assert_eq!(secs3(5 * MICROS_PER_SEC, 7 * MICROS_PER_SEC), "-2.000");
        assert_eq!(secs3(3_600_000_000, 0), "3600.000");
        assert_eq!(secs3(400, 0), "0.000");
        assert_eq!(secs3(5 * MICROS_PER_SEC, 5 * MICROS_PER_SEC + 400), "0.000");
        // Against the plain formatting, over many magnitudes.
        let mut x: u64 = 1;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = x >> (4 + x % 60);
            let ms = (t + MICROS_PER_MS / 2) / MICROS_PER_MS;
            let want = format!("{}.{:03}", ms / 1000, ms % 1000);
            assert_eq!(secs3(t, 0), want, "{t}");
            assert_eq!(secs3(0, t), if ms > 0 { format!("-{want}") } else { want });
        }
    }

    #[test]
    fn integers_as_decimal_digits() {
        for v in [0, 1, 9, 10, 99, 100, 101, 999, 1000, 12345, u64::MAX] {
            assert_eq!(line(|l| l.u64(v)), v.to_string());
        }
        let mut x: u64 = 3;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = x >> (x % 64);
            assert_eq!(line(|l| l.u64(v)), v.to_string());
        }
    }

    #[test]
    fn fields_are_quoted_and_long_lines_flush() {
        let plain = Field::new("agent-7");
        let comma = Field::new("Sales, EMEA");
        let long = Field::new(&"x".repeat(700));
        let got = line(|l| {
            l.field(&plain);
            l.byte(b',');
            l.field(&comma);
            l.byte(b',');
            l.field(&long);
            l.byte(b',');
            l.bytes(&[b'y'; 600]);
            l.byte(b',');
            for _ in 0..100 {
                l.u64(u64::MAX);
            }
        });
        let want = format!(
            "agent-7,\"Sales, EMEA\",{},{},{}",
            "x".repeat(700),
            "y".repeat(600),
            u64::MAX.to_string().repeat(100)
        );
        assert_eq!(got, want);
    }
}
