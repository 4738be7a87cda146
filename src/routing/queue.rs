//! One service's task queue: nine priority levels, FIFO within a level.
//! Entries are removed lazily: an entry is live while the task still holds
//! the same enqueue sequence number and waits or rings.

use std::collections::VecDeque;

use crate::model::priority::{Priority, LEVELS};

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub slot: u32,
    /// Priority level the entry was filed under: a task whose priority
    /// changed leaves a dead entry in its old level.
    pub level: u8,
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
        self.levels[l].push_back(Entry {
            slot,
            level: l as u8,
            seq,
        });
        self.live[l] += 1;
        self.total += 1;
        self.live[..=l].iter().sum()
    }

    /// Re-files a task whose priority changed: it keeps its place in enqueue
    /// order (entries are sorted by `seq`) within the new level. The entry in
    /// the old level dies with the caller's state change.
    pub fn insert_by_seq(&mut self, slot: u32, seq: u64, p: Priority) {
        let l = p.index();
        let q = &mut self.levels[l];
        let at = q.partition_point(|e| e.seq < seq);
        q.insert(
            at,
            Entry {
                slot,
                level: l as u8,
                seq,
            },
        );
        self.live[l] += 1;
        self.total += 1;
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

    /// The first live entry of level `l` for which `pick` returns true; dead
    /// entries at the front are dropped on the way.
    pub fn first_in_level(
        &mut self,
        l: usize,
        is_live: impl Fn(Entry) -> bool,
        pick: impl Fn(Entry) -> bool,
    ) -> Option<Entry> {
        if self.live[l] == 0 {
            self.levels[l].clear();
            return None;
        }
        let q = &mut self.levels[l];
        while let Some(&e) = q.front() {
            if is_live(e) {
                break;
            }
            q.pop_front();
        }
        q.iter().copied().find(|&e| is_live(e) && pick(e))
    }
}
