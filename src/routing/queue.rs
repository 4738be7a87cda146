//! One service's task queue: nine priority levels, FIFO within a level.
//! Entries are removed lazily: an entry is live while the task still holds
//! the same enqueue sequence number and waits or rings.

use std::collections::VecDeque;

use crate::model::priority::{Priority, LEVELS};

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub slot: u32,
    pub seq: u64,
}

#[derive(Debug, Default)]
pub struct ServiceQueue {
    levels: [VecDeque<Entry>; LEVELS],
    /// Queued tasks per level (waiting or ringing, not yet connected).
    live: [u32; LEVELS],
    total: u32,
}

impl ServiceQueue {
    /// Appends a task; returns its 1-based queue position (higher priority
    /// first, then earlier enqueue time).
    pub fn push(&mut self, slot: u32, seq: u64, p: Priority) -> u32 {
        let l = p.index();
        self.levels[l].push_back(Entry { slot, seq });
        self.live[l] += 1;
        self.total += 1;
        self.live[..=l].iter().sum()
    }

    /// Notes that a queued task left (accepted, hung up, cancelled); its entry
    /// is dropped lazily.
    pub fn remove(&mut self, p: Priority) {
        self.live[p.index()] -= 1;
        self.total -= 1;
    }

    /// 1-based rank of a queued task among the live ones.
    pub fn position(&self, p: Priority, seq: u64, is_live: impl Fn(Entry) -> bool) -> u32 {
        let l = p.index();
        let ahead: u32 = self.live[..l].iter().sum();
        let same = self.levels[l]
            .iter()
            .take_while(|e| e.seq != seq)
            .filter(|e| is_live(**e))
            .count() as u32;
        ahead + same + 1
    }

    /// Number of queued tasks (waiting or ringing).
    #[inline]
    pub fn len(&self) -> u32 {
        self.total
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first task, in priority then FIFO order, for which `pick` returns
    /// true. `is_live` says whether an entry still stands; dead entries at the
    /// front of a level are dropped on the way.
    pub fn first_where(
        &mut self,
        is_live: impl Fn(Entry) -> bool,
        mut pick: impl FnMut(Entry) -> bool,
    ) -> Option<Entry> {
        for l in 0..LEVELS {
            if self.live[l] == 0 {
                self.levels[l].clear();
                continue;
            }
            let q = &mut self.levels[l];
            while let Some(&e) = q.front() {
                if is_live(e) {
                    break;
                }
                q.pop_front();
            }
            if let Some(e) = q.iter().copied().find(|&e| is_live(e) && pick(e)) {
                return Some(e);
            }
        }
        None
    }
}
