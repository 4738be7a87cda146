//! Smooth weighted round robin over the seven middle priority levels
//! (Highest .. Lowest). Over a long run in which several levels always have
//! tasks, they are served in proportion to their weights; with the default
//! weights 2:1 between adjacent levels (DOMAIN.md's ASSUMPTION).

#[derive(Debug, Clone)]
pub struct Wrr {
    weights: [i64; 7],
    current: [i64; 7],
}

impl Wrr {
    pub fn new(weights: [u32; 7]) -> Wrr {
        Wrr {
            weights: weights.map(|w| w as i64),
            current: [0; 7],
        }
    }

    /// The level (0..7) the next pick among `mask`'s levels (bit i = level i
    /// has a task) would choose, without advancing.
    pub fn peek(&self, mask: u8) -> usize {
        let mut best = usize::MAX;
        let mut best_v = i64::MIN;
        for l in 0..7 {
            if mask & (1 << l) != 0 {
                let v = self.current[l] + self.weights[l];
                // Ties go to the higher priority (lower index).
                if v > best_v {
                    best_v = v;
                    best = l;
                }
            }
        }
        best
    }

    /// Chooses a level among `mask`'s and advances the round robin.
    pub fn pick(&mut self, mask: u8) -> usize {
        let chosen = self.peek(mask);
        let mut total = 0;
        for l in 0..7 {
            if mask & (1 << l) != 0 {
                self.current[l] += self.weights[l];
                total += self.weights[l];
            }
        }
        self.current[chosen] -= total;
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_follow_the_weights() {
        let mut w = Wrr::new([64, 32, 16, 8, 4, 2, 1]);
        let mut counts = [0u32; 7];
        for _ in 0..127 * 100 {
            counts[w.pick(0b111_1111)] += 1;
        }
        assert_eq!(counts, [6400, 3200, 1600, 800, 400, 200, 100]);
        // Two levels: Normal (index 3) and Low (4) share 2:1.
        let mut w = Wrr::new([64, 32, 16, 8, 4, 2, 1]);
        let mut c = [0u32; 7];
        for _ in 0..300 {
            c[w.pick(0b001_1000)] += 1;
        }
        assert_eq!((c[3], c[4]), (200, 100));
        assert_eq!(w.peek(0b000_0100), 2, "a lone level is always chosen");
    }
}
