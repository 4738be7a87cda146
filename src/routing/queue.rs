//! One service's task queue: nine priority levels, FIFO within a level.
//! Entries are removed lazily: an entry is live while the task still holds
//! the same enqueue sequence number and waits or rings.
//!
//! Queue positions (Get Queue Position, position messages every minute for
//! every waiting chat) are counted, not scanned: each level keeps a bitmap
//! and a count of its live sequence numbers per block of 64 and a count per
//! superblock of 64 blocks, so a rank costs a few dozen additions and one
//! popcount however long the queue is (a linear scan made
//! position messages quadratic in the queue length).

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

/// log2 of the sequence numbers per block, and of the blocks per superblock.
const BLOCK_BITS: u32 = 6;
const BLOCKS: usize = 1 << BLOCK_BITS;

/// `seq`'s bit in its block.
#[inline]
fn bit(seq: u64) -> u64 {
    1 << (seq & (BLOCKS as u64 - 1))
}

/// Live entries of one level: a bitmap and a count per block and a count
/// per superblock of sequence numbers. (The block counts repeat the bitmaps'
/// popcounts: summed as bytes, a rank adds up to 63 of them without a
/// popcount each, which the baseline x86-64 target lacks.)
#[derive(Debug, Default)]
struct LiveCounts {
    /// Superblock index of `supers[0]` (and block index `first * BLOCKS` of
    /// `blocks[0]`).
    first: u64,
    // Plain vectors, not ring buffers: a rank sums a contiguous run of
    // counts (vectorised), and the window moves a superblock at a time.
    supers: Vec<u32>,
    /// Bit `seq % 64` of block `seq / 64`: `seq` is live in this level.
    blocks: Vec<u64>,
    /// Live entries per block.
    counts: Vec<u8>,
}

impl LiveCounts {
    /// (superblock, block) indices of `seq`, growing the window to hold it.
    fn locate(&mut self, seq: u64) -> (usize, usize) {
        let sup = seq >> (2 * BLOCK_BITS);
        if self.supers.is_empty() {
            self.first = sup;
        }
        while sup < self.first {
            // A re-filed task older than every entry of this level.
            self.first -= 1;
            self.supers.insert(0, 0);
            self.blocks.splice(..0, std::iter::repeat_n(0, BLOCKS));
            self.counts.splice(..0, std::iter::repeat_n(0, BLOCKS));
        }
        let s = (sup - self.first) as usize;
        while self.supers.len() <= s {
            self.supers.push(0);
            self.blocks.extend(std::iter::repeat_n(0, BLOCKS));
            self.counts.extend(std::iter::repeat_n(0, BLOCKS));
        }
        let b = ((seq >> BLOCK_BITS) - self.first * BLOCKS as u64) as usize;
        (s, b)
    }

    fn add(&mut self, seq: u64) {
        let (s, b) = self.locate(seq);
        debug_assert!(self.blocks[b] & bit(seq) == 0, "seq {seq} live twice");
        self.supers[s] += 1;
        self.blocks[b] |= bit(seq);
        self.counts[b] += 1;
    }

    fn sub(&mut self, seq: u64) {
        let (s, b) = self.locate(seq);
        debug_assert!(self.blocks[b] & bit(seq) != 0, "seq {seq} not live");
        self.supers[s] -= 1;
        self.blocks[b] &= !bit(seq);
        self.counts[b] -= 1;
        // Drop empty superblocks at the front: the window follows the queue.
        while self.supers.len() > 1 && self.supers[0] == 0 {
            self.supers.remove(0);
            self.blocks.drain(..BLOCKS);
            self.counts.drain(..BLOCKS);
            self.first += 1;
        }
    }

    /// Live entries with a smaller sequence number than `seq`.
    fn before(&self, seq: u64) -> u32 {
        let sup = seq >> (2 * BLOCK_BITS);
        if self.supers.is_empty() || sup < self.first {
            return 0;
        }
        let s = ((sup - self.first) as usize).min(self.supers.len());
        let b0 = s * BLOCKS;
        let b = ((seq >> BLOCK_BITS) - self.first * BLOCKS as u64) as usize;
        let whole: u32 = self.supers[..s].iter().sum();
        let n = self.blocks.len();
        let part: u32 = self.counts[b0.min(n)..b.min(n)]
            .iter()
            .map(|&c| u32::from(c))
            .sum();
        let same = self
            .blocks
            .get(b)
            .map_or(0, |m| (m & (bit(seq) - 1)).count_ones());
        whole + part + same
    }

    fn clear(&mut self) {
        self.supers.clear();
        self.blocks.clear();
        self.counts.clear();
    }
}

#[derive(Debug, Default)]
pub struct ServiceQueue {
    levels: [VecDeque<Entry>; LEVELS],
    /// Kept from the first `position` query of the service on: most
    /// workflows never ask, and then enqueueing costs no counting.
    counts: Option<Box<[LiveCounts; LEVELS]>>,
    /// Queued tasks per level (waiting or ringing, not yet connected).
    live: [u32; LEVELS],
    /// Bit `l` set: level `l` holds a queued task (`live[l] > 0`).
    occupied: u16,
    total: u32,
}

impl ServiceQueue {
    /// Appends a task; returns its 1-based queue position (higher priority
    /// first, then earlier enqueue time). `seq` must exceed every sequence
    /// number pushed before.
    pub fn push(&mut self, slot: u32, seq: u64, p: Priority) -> u32 {
        let l = p.index();
        self.levels[l].push_back(Entry {
            slot,
            level: l as u8,
            seq,
        });
        self.counted(l, seq);
        self.live[..=l].iter().sum()
    }

    /// Re-files a task whose priority changed: it keeps its place in enqueue
    /// order (entries are sorted by `seq`) within the new level. The entry in
    /// the old level dies with the caller's state change.
    pub fn insert_by_seq(&mut self, slot: u32, seq: u64, p: Priority) {
        let l = p.index();
        let q = &mut self.levels[l];
        let at = q.partition_point(|e| e.seq < seq);
        // Back to a level it left before: its old entry there lives again
        // (a second one would count the task twice).
        if q.get(at).is_none_or(|e| e.seq != seq) {
            q.insert(
                at,
                Entry {
                    slot,
                    level: l as u8,
                    seq,
                },
            );
        }
        self.counted(l, seq);
    }

    #[inline]
    fn counted(&mut self, l: usize, seq: u64) {
        if let Some(c) = &mut self.counts {
            c[l].add(seq);
        }
        self.live[l] += 1;
        self.occupied |= 1 << l;
        self.total += 1;
    }

    /// Notes that the queued task with enqueue number `seq` left (accepted,
    /// hung up, cancelled, re-filed). Its entry goes at once when it is the
    /// last (a task taken as it came) or the first (the longest waiting
    /// taken), else lazily: a freed user's look then skips fewer dead ones.
    #[inline]
    pub fn remove(&mut self, p: Priority, seq: u64) {
        let l = p.index();
        let q = &mut self.levels[l];
        if q.back().is_some_and(|e| e.seq == seq) {
            q.pop_back();
        } else if q.front().is_some_and(|e| e.seq == seq) {
            q.pop_front();
        }
        if let Some(c) = &mut self.counts {
            c[l].sub(seq);
        }
        self.live[l] -= 1;
        if self.live[l] == 0 {
            self.occupied &= !(1 << l);
        }
        self.total -= 1;
    }

    /// 1-based rank of a queued task among the live ones.
    pub fn position(&mut self, p: Priority, seq: u64, is_live: impl Fn(Entry) -> bool) -> u32 {
        let l = p.index();
        let levels = &self.levels;
        let counts = self.counts.get_or_insert_with(|| {
            let mut c: Box<[LiveCounts; LEVELS]> = Box::default();
            for (counts, q) in c.iter_mut().zip(levels) {
                for e in q.iter().filter(|e| is_live(**e)) {
                    counts.add(e.seq);
                }
            }
            c
        });
        let ahead: u32 = self.live[..l].iter().sum();
        ahead + counts[l].before(seq) + 1
    }

    /// Whether level `l` holds any queued task.
    #[inline]
    pub fn has_level(&self, l: usize) -> bool {
        self.occupied & (1 << l) != 0
    }

    /// Bit `l` set: level `l` holds a queued task.
    #[inline]
    pub fn occupied_levels(&self) -> u16 {
        self.occupied
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
            if let Some(c) = &mut self.counts {
                c[l].clear();
            }
            return None;
        }
        let q = &mut self.levels[l];
        while let Some(&e) = q.front() {
            if is_live(e) {
                if pick(e) {
                    return Some(e); // the usual case: the first one
                }
                break;
            }
            q.pop_front();
        }
        // Dead entries behind a live head stay until they reach the front,
        // and a look past the head (its task rings) steps over them: drop
        // them all once they outnumber a quarter of the live ones, so each
        // dead entry costs a few looks at most (benches/year.toml: two in
        // three entries looked at were dead).
        if q.len() > self.live[l] as usize * 5 / 4 + 16 {
            q.retain(|&e| is_live(e));
        }
        q.iter().skip(1).copied().find(|&e| is_live(e) && pick(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A queue with a model of which sequence numbers are live, checked
    /// against a linear count of the live entries ahead.
    #[derive(Default)]
    struct Model {
        q: ServiceQueue,
        /// seq -> current level of the live tasks.
        live: std::collections::BTreeMap<u64, usize>,
        next: u64,
    }

    impl Model {
        fn rank(&self, seq: u64) -> u32 {
            let l = self.live[&seq];
            self.live
                .iter()
                .filter(|(s, ml)| **ml < l || (**ml == l && **s < seq))
                .count() as u32
                + 1
        }
    }

    proptest! {
        #[test]
        fn counted_positions_equal_a_scan(ops in prop::collection::vec((0u8..4, 0usize..9, 0usize..1000, 1u64..300), 1..600)) {
            let mut m = Model::default();
            for (op, level, pick, gap) in ops {
                let keys: Vec<u64> = m.live.keys().copied().collect();
                match op {
                    0 | 1 => {
                        // Gaps between sequence numbers: other services' tasks.
                        m.next += gap;
                        let seq = m.next;
                        m.live.insert(seq, level);
                        let pos = m.q.push(seq as u32, seq, Priority::ALL[level]);
                        prop_assert_eq!(pos, m.rank(seq));
                    }
                    2 if !keys.is_empty() => {
                        let seq = keys[pick % keys.len()];
                        let l = m.live.remove(&seq).unwrap();
                        m.q.remove(Priority::ALL[l], seq);
                    }
                    3 if !keys.is_empty() => {
                        let seq = keys[pick % keys.len()];
                        let old = m.live[&seq];
                        if old != level {
                            m.q.remove(Priority::ALL[old], seq);
                            m.live.insert(seq, level);
                            m.q.insert_by_seq(seq as u32, seq, Priority::ALL[level]);
                        }
                    }
                    _ => {}
                }
                // Distribution looks now and then for the first live entry of
                // a level that it wants (dropping dead ones on the way).
                if pick % 7 == 0 {
                    let live = |e: Entry| m.live.get(&e.seq) == Some(&(e.level as usize));
                    let r = gap % 3;
                    for l in 0..LEVELS {
                        let want = m.live.iter().find(|(s, ml)| **ml == l && **s % 3 == r);
                        let got = m.q.first_in_level(l, live, |e| e.seq % 3 == r);
                        prop_assert_eq!(got.map(|e| e.seq), want.map(|(s, _)| *s));
                    }
                }
                let live: Vec<(u64, usize)> = m.live.iter().map(|(s, l)| (*s, *l)).collect();
                for (seq, l) in live {
                    let want = m.rank(seq);
                    let is_live = |e: Entry| m.live.get(&e.seq) == Some(&(e.level as usize));
                    let got = m.q.position(Priority::ALL[l], seq, is_live);
                    prop_assert_eq!(got, want, "seq {}", seq);
                }
                prop_assert_eq!(m.q.len() as usize, m.live.len());
            }
        }
    }
}
