//! Staffing plans: how many agents of a group are on duty per interval. The
//! group has as many users as the plan's largest count; user k (1-based) is
//! on duty while the plan's count is at least k, so raising an interval's
//! count by one brings one more user on, the same user every time.

use super::time::Time;

/// A plan as simulation times: row i holds `counts[i]` agents from
/// `starts[i]` until the next row's start; the first row's count also holds
/// before it (the warm-up) and the last row's after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub starts: Vec<Time>,
    pub counts: Vec<u32>,
}

impl Plan {
    /// Users the group needs: the largest count (at least one user, who may
    /// never be on duty).
    pub fn group_size(&self) -> u32 {
        self.counts.iter().copied().max().unwrap_or(0).max(1)
    }

    /// The sorted, disjoint spans during which user `k` (1-based) is on duty.
    pub fn spans(&self, k: u32) -> Vec<(Time, Time)> {
        let mut out: Vec<(Time, Time)> = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c < k {
                continue;
            }
            let from = if i == 0 { 0 } else { self.starts[i] };
            let to = self.starts.get(i + 1).copied().unwrap_or(Time::MAX);
            match out.last_mut() {
                Some(last) if last.1 == from => last.1 = to,
                _ => out.push((from, to)),
            }
        }
        out
    }
}

/// Whether time `t` lies in one of `spans`.
pub fn on_duty(spans: &[(Time, Time)], t: Time) -> bool {
    let i = spans.partition_point(|s| s.1 <= t);
    spans.get(i).is_some_and(|s| s.0 <= t)
}

/// Time from `t` to the next span edge strictly after `t`.
pub fn until_next_edge(spans: &[(Time, Time)], t: Time) -> Option<Time> {
    let i = spans.partition_point(|s| s.1 <= t);
    let s = spans.get(i)?;
    let edge = if s.0 > t { s.0 } else { s.1 };
    (edge != Time::MAX).then(|| edge - t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_k_is_on_while_the_count_reaches_k() {
        let p = Plan {
            starts: vec![100, 200, 300],
            counts: vec![2, 1, 2],
        };
        assert_eq!(p.group_size(), 2);
        assert_eq!(p.spans(1), vec![(0, Time::MAX)]);
        assert_eq!(p.spans(2), vec![(0, 200), (300, Time::MAX)]);
        let s = p.spans(2);
        assert!(on_duty(&s, 0) && on_duty(&s, 199) && !on_duty(&s, 200) && on_duty(&s, 300));
        assert_eq!(until_next_edge(&s, 50), Some(150));
        assert_eq!(until_next_edge(&s, 250), Some(50));
        assert_eq!(until_next_edge(&s, 400), None);
        assert!(Plan {
            starts: vec![0],
            counts: vec![0]
        }
        .spans(1)
        .is_empty());
    }
}
