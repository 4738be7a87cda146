//! Time-weighted averages of a piecewise-constant quantity (queue length,
//! selectable users), clipped to the measured window.

use crate::model::Time;

#[derive(Debug, Clone, Default)]
pub struct TimeWeighted {
    value: u32,
    since: Time,
    /// Integral of value over time since the last `take`, in value·µs.
    area: u128,
    max: u32,
}

impl TimeWeighted {
    #[inline]
    pub fn set(&mut self, now: Time, v: u32) {
        if v == self.value {
            return;
        }
        self.area += self.value as u128 * (now - self.since) as u128;
        self.since = now;
        self.value = v;
        self.max = self.max.max(v);
    }

    #[inline]
    pub fn value(&self) -> u32 {
        self.value
    }

    /// Closes a period at `now`: returns (area, max) over it and starts the next.
    pub fn take(&mut self, now: Time) -> (u128, u32) {
        self.area += self.value as u128 * (now - self.since) as u128;
        self.since = now;
        let out = (self.area, self.max);
        self.area = 0;
        self.max = self.value;
        out
    }
}

/// Length of `[a, b)` that falls inside `[lo, hi)`.
#[inline]
pub fn clipped(a: Time, b: Time, lo: Time, hi: Time) -> Time {
    b.min(hi).saturating_sub(a.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_and_max() {
        let mut tw = TimeWeighted::default();
        tw.set(10, 2);
        tw.set(20, 5);
        tw.set(30, 1);
        let (area, max) = tw.take(40);
        assert_eq!(area, 2 * 10 + 5 * 10 + 10);
        assert_eq!(max, 5);
        let (area, max) = tw.take(50);
        assert_eq!((area, max), (10, 1));
        assert_eq!(clipped(5, 15, 10, 20), 5);
        assert_eq!(clipped(25, 30, 10, 20), 0);
    }
}
