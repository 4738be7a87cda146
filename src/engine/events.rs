//! The future-event list, ordered by (time, sequence), so events at the
//! same time run in the order they were scheduled.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::model::{SourceId, Time, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The next customer of an arrival source.
    Arrival(SourceId),
    /// A customer's patience ran out. `gen` guards against a reused slot.
    Patience {
        slot: u32,
        gen: u32,
    },
    /// The offered user accepts after the accept delay. (slot, round) names
    /// the offer uniquely: the router ignores answers to offers that ended.
    Accept {
        slot: u32,
        user: UserId,
        round: u32,
    },
    /// The offered user declines.
    Decline {
        slot: u32,
        user: UserId,
        round: u32,
    },
    /// Nobody answered within the ring timeout.
    RingTimeout {
        slot: u32,
        user: UserId,
        round: u32,
    },
    /// The conversation ends.
    Finish {
        slot: u32,
        gen: u32,
    },
    /// The task's distribution policy widens.
    PolicyTick {
        slot: u32,
        gen: u32,
    },
    /// The redistribution pause after a refusal of the task may be over.
    Redistribute {
        slot: u32,
        gen: u32,
    },
    /// After-call work may be over.
    AcwEnd(UserId),
    /// The RONA flag may be reset.
    RonaEnd(UserId),
    /// A shift or break boundary of a user.
    Schedule(UserId),
    /// A random Teams presence change starts / ends.
    PresenceStart {
        user: UserId,
        change: u32,
    },
    PresenceEnd {
        user: UserId,
        change: u32,
    },
    /// An audio/video call starts / ends.
    CallStart(UserId),
    CallEnd(UserId),
    /// A workflow step that takes time is over (`wgen`: the workflow's timer
    /// generation, so a timer of a stopped workflow is ignored).
    WorkflowTimer {
        slot: u32,
        gen: u32,
        wgen: u32,
    },
    /// A workflow revision takes effect.
    Revision(u32),
    /// A reporting interval boundary.
    IntervalEnd,
}

// Heap entries are moved on every push and pop: keep them at 32 bytes.
const _: () = assert!(std::mem::size_of::<Event>() <= 16);

/// Pending events beyond which the list turns from its binary store into a
/// timing wheel (it never turns back).
const WHEEL_FROM: usize = 4096;

/// Events that may be kept in a lane of the list (`EventQueue::set_lane`):
/// an event names its lane.
pub trait Laned {
    fn lane(&self) -> Option<usize>;
}

impl Laned for Event {
    #[inline]
    fn lane(&self) -> Option<usize> {
        match self {
            Event::Arrival(src) => Some(*src as usize),
            _ => None,
        }
    }
}

/// A future-event list, popped in (time, sequence) order: events at the
/// same time run in the order they were scheduled.
///
/// A list starts as keys in a slab-backed binary store (`Keys`): a few
/// dozen sorted keys (an M/M/20 holds about 21 events), then a binary heap.
/// A list that grows past `WHEEL_FROM` events (the patience timers and
/// position messages of a busy tenant's backlog) becomes a timing wheel,
/// whose pop touches a few slots instead of sifting through a heap larger
/// than the cache: measured, the binary store is ~12 % faster on M/M/20 and
/// the wheel ~15 % faster on `benches/year.toml`. All give the same order,
/// so a switch never changes a result.
///
/// Lanes hold at most one event each (the engine's lane `i` is arrival
/// source `i`'s next customer), replaced when set again, so a redrawn
/// arrival leaves no stale event to the driver. Beside the binary store
/// they are kept apart: an arrival then costs no heap push and pop (M/M/20: -8 %
/// time). In a wheel they go in with the other events (its `last` must
/// not run ahead of them), and an entry whose lane was set again since
/// is skipped when it comes up.
#[derive(Debug)]
pub struct EventQueue<E = Event> {
    store: Store<E>,
    /// At most every pending key: the last popped one, or lower after an
    /// event was scheduled before it.
    last: u128,
    seq: u64,
    /// Binary store: each lane's event.
    lanes: Vec<Option<(u128, E)>>,
    /// Binary store: the smallest lane key (`u128::MAX`: none) and its lane.
    lane_min: (u128, usize),
    /// Wheel: the key of each lane's event (`u128::MAX`: none); a lane
    /// event in the heap with another key is stale.
    lane_keys: Vec<u128>,
    /// Wheel: stale lane events still in it.
    stale: usize,
    /// Lane events pending.
    n_lanes: usize,
}

#[derive(Debug)]
enum Store<E> {
    /// Keys only (16 bytes to move, not 32), each with its event's place
    /// in the slab in its lowest `SLAB_BITS`.
    Binary(Keys, Slab<E>),
    Wheel(Wheel<E>),
}

/// Pending events up to which the binary store keeps its keys sorted.
const SORTED_MAX: usize = 32;

/// The binary store's keys. A few (M/M/20: its 20 conversations' ends) sit
/// in a vector sorted latest first: the earliest pops off its end, and an
/// insert counts the keys before it without a branch to mispredict and
/// moves them up; a heap's pop sifts through its levels, comparing at
/// each. Past `SORTED_MAX` keys, a binary heap.
#[derive(Debug)]
enum Keys {
    Sorted(Vec<u128>),
    Heap(BinaryHeap<Reverse<u128>>),
}

impl Keys {
    #[inline]
    fn push(&mut self, k: u128) {
        match self {
            Keys::Sorted(v) => {
                // `k` has the highest sequence number yet, so a key is
                // earlier exactly when its time is not later: one 64-bit
                // compare each.
                let t = time_of(k);
                let earlier = v
                    .iter()
                    .map(|&x| usize::from(time_of(x) <= t))
                    .sum::<usize>();
                v.insert(v.len() - earlier, k);
                if v.len() > SORTED_MAX {
                    *self = Keys::Heap(v.drain(..).map(Reverse).collect());
                }
            }
            Keys::Heap(h) => h.push(Reverse(k)),
        }
    }

    #[inline]
    fn peek(&self) -> Option<u128> {
        match self {
            Keys::Sorted(v) => v.last().copied(),
            Keys::Heap(h) => h.peek().map(|r| r.0),
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<u128> {
        match self {
            Keys::Sorted(v) => v.pop(),
            Keys::Heap(h) => h.pop().map(|r| r.0),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        match self {
            Keys::Sorted(v) => v.len(),
            Keys::Heap(h) => h.len(),
        }
    }

    fn take_all(&mut self) -> Vec<u128> {
        match std::mem::replace(self, Keys::Sorted(Vec::new())) {
            Keys::Sorted(v) => v,
            Keys::Heap(h) => h.into_iter().map(|r| r.0).collect(),
        }
    }
}

/// Events of the binary store, by the index its keys carry.
#[derive(Debug)]
struct Slab<E> {
    events: Vec<E>,
    free: Vec<u32>,
}

/// Low bits of a key (below the sequence number) that a binary-heap key
/// spends on its event's slab index: the heap holds at most `WHEEL_FROM`
/// (+ 1) events.
const SLAB_BITS: u32 = 16;
const SLAB_MASK: u128 = (1 << SLAB_BITS) - 1;
const _: () = assert!(WHEEL_FROM < 1 << SLAB_BITS);

impl<E: Copy> Slab<E> {
    #[inline]
    fn put(&mut self, e: E) -> u128 {
        match self.free.pop() {
            Some(i) => {
                self.events[i as usize] = e;
                i as u128
            }
            None => {
                self.events.push(e);
                (self.events.len() - 1) as u128
            }
        }
    }

    #[inline]
    fn take(&mut self, keyed: u128) -> E {
        let i = (keyed & SLAB_MASK) as u32;
        self.free.push(i);
        self.events[i as usize]
    }
}

impl<E: Laned + Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

/// (time, sequence) as one number; the lowest `SLAB_BITS` are left for the
/// binary store's slab index.
#[inline]
fn key(time: Time, seq: u64) -> u128 {
    debug_assert!(seq < 1 << (64 - SLAB_BITS));
    (u128::from(time) << 64) | (u128::from(seq) << SLAB_BITS)
}

#[inline]
fn time_of(key: u128) -> Time {
    (key >> 64) as Time
}

impl<E: Laned + Copy> EventQueue<E> {
    pub fn with_capacity(n: usize) -> Self {
        let n = n.min(WHEEL_FROM);
        let slab = Slab {
            events: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
        };
        EventQueue {
            store: Store::Binary(Keys::Sorted(Vec::with_capacity(SORTED_MAX + 1)), slab),
            last: 0,
            seq: 0,
            lanes: Vec::new(),
            lane_min: (u128::MAX, 0),
            lane_keys: Vec::new(),
            stale: 0,
            n_lanes: 0,
        }
    }

    #[inline]
    fn next_key(&mut self, time: Time) -> u128 {
        let k = key(time, self.seq);
        // Before the last popped event only when a driver scheduled in its
        // past: keep the bound below it.
        self.last = self.last.min(k);
        self.seq += 1;
        k
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn schedule(&mut self, time: Time, event: E) {
        let k = self.next_key(time);
        match &mut self.store {
            Store::Binary(h, slab) => {
                h.push(k | slab.put(event));
                if h.len() > WHEEL_FROM {
                    self.switch_to_wheel();
                }
            }
            Store::Wheel(r) => r.push(k, event),
        }
    }

    /// Turns the binary store and the lanes beside it into a timing wheel.
    fn switch_to_wheel(&mut self) {
        let Store::Binary(h, slab) = &mut self.store else {
            return;
        };
        let mut r = Wheel::new(self.last);
        for k in h.take_all() {
            r.push(k & !SLAB_MASK, slab.take(k));
        }
        self.lane_keys = vec![u128::MAX; self.lanes.len()];
        for (i, l) in self.lanes.iter_mut().enumerate() {
            if let Some((k, e)) = l.take() {
                self.lane_keys[i] = k;
                r.push(k, e);
            }
        }
        self.lane_min = (u128::MAX, 0);
        self.store = Store::Wheel(r);
    }

    /// Puts `event` (which names a lane) in its lane at `time`, replacing
    /// the one the lane held. It takes its place in (time, sequence) order
    /// as `schedule` would.
    #[inline]
    pub fn set_lane(&mut self, time: Time, event: E) {
        let lane = event.lane().expect("set_lane takes lane events");
        let k = self.next_key(time);
        match &mut self.store {
            Store::Binary(..) => {
                if lane >= self.lanes.len() {
                    self.lanes.resize_with(lane + 1, || None);
                }
                let old = self.lanes[lane].replace((k, event));
                self.n_lanes += usize::from(old.is_none());
                if k < self.lane_min.0 {
                    self.lane_min = (k, lane);
                } else if self.lane_min.1 == lane {
                    self.find_lane_min();
                }
            }
            Store::Wheel(r) => {
                if lane >= self.lane_keys.len() {
                    self.lane_keys.resize(lane + 1, u128::MAX);
                }
                if self.lane_keys[lane] == u128::MAX {
                    self.n_lanes += 1;
                } else {
                    self.stale += 1;
                }
                self.lane_keys[lane] = k;
                r.push(k, event);
            }
        }
    }

    /// Drops lane `lane`'s event, if any.
    pub fn clear_lane(&mut self, lane: usize) {
        match &mut self.store {
            Store::Binary(..) => {
                if let Some(l) = self.lanes.get_mut(lane) {
                    if l.take().is_some() {
                        self.n_lanes -= 1;
                        if self.lane_min.1 == lane {
                            self.find_lane_min();
                        }
                    }
                }
            }
            Store::Wheel(_) => {
                if let Some(k) = self.lane_keys.get_mut(lane) {
                    if *k != u128::MAX {
                        *k = u128::MAX;
                        self.n_lanes -= 1;
                        self.stale += 1;
                    }
                }
            }
        }
    }

    fn find_lane_min(&mut self) {
        self.lane_min = (u128::MAX, 0);
        for (i, l) in self.lanes.iter().enumerate() {
            if let Some((k, _)) = l {
                if *k < self.lane_min.0 {
                    self.lane_min = (*k, i);
                }
            }
        }
    }

    /// Whether a wheel entry is a lane event set again or dropped since.
    #[inline]
    fn is_stale(lane_keys: &[u128], k: u128, e: &E) -> bool {
        e.lane().is_some_and(|l| lane_keys[l] != k)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        self.pop_if(|_| true)
    }

    /// Pops the next event if `ok` accepts its time (one look at the list
    /// where `peek_time` then `pop` take two).
    #[inline]
    pub fn pop_if(&mut self, ok: impl FnOnce(Time) -> bool) -> Option<(Time, E)> {
        let (k, in_lane) = self.head()?;
        if !ok(time_of(k)) {
            return None;
        }
        let e = match &mut self.store {
            Store::Binary(h, slab) => {
                if in_lane {
                    self.n_lanes -= 1;
                    let (_, e) = self.lanes[self.lane_min.1].take().expect("lane min");
                    self.find_lane_min();
                    e
                } else {
                    slab.take(h.pop().expect("head"))
                }
            }
            Store::Wheel(r) => {
                let (_, e) = r.pop().expect("head");
                if let Some(l) = e.lane() {
                    self.lane_keys[l] = u128::MAX;
                    self.n_lanes -= 1;
                }
                e
            }
        };
        self.last = k;
        Some((time_of(k), e))
    }

    /// Time of the next event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Time> {
        self.head().map(|(k, _)| time_of(k))
    }

    /// The next event's key (without a slab index), and whether it sits in
    /// a lane beside the binary store. A wheel first drops the lane events
    /// set again or dropped since that come up.
    #[inline(always)]
    fn head(&mut self) -> Option<(u128, bool)> {
        match &mut self.store {
            Store::Binary(h, _) => {
                let lane = self.lane_min.0;
                match h.peek() {
                    Some(top) if top < lane => Some((top & !SLAB_MASK, false)),
                    _ if lane != u128::MAX => Some((lane, true)),
                    _ => None,
                }
            }
            Store::Wheel(r) => loop {
                let (k, e) = r.peek_entry()?;
                if !Self::is_stale(&self.lane_keys, *k, e) {
                    break Some((*k, false));
                }
                r.pop();
                self.stale -= 1;
            },
        }
    }

    pub fn len(&self) -> usize {
        match &self.store {
            Store::Binary(h, _) => h.len() + self.n_lanes,
            Store::Wheel(r) => r.len - self.stale,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Low bits of a time (µs) that the wheel ignores: a level-0 slot holds the
/// times of one 32.8 ms bucket (a pop scans it for the least key; it seldom
/// holds more than a few entries, and a dense one is sorted once). This
/// spares each event the two or three moves down through finer levels: a
/// 30-day run of benches/year.toml 15 % faster than with 1 µs slots (4 ms
/// buckets: 10 %).
const LOW: u32 = 15;
/// Bits of a time per level of the wheel, and slots per level.
const DIGIT: u32 = 6;
const SLOTS: usize = 1 << DIGIT;
// A level's slots are bits of a u64.
const _: () = assert!(SLOTS <= 64);
/// Entries an emptied slot keeps room for.
const KEEP: usize = 256;
/// Levels for 64-bit times.
const LEVELS: usize = (64 - LOW as usize).div_ceil(DIGIT as usize);

/// A hierarchical timing wheel of (time, sequence) keys over monotone
/// times: every key pushed is at least the last popped one (simulated time
/// never goes back). A key's level is the highest base-64 digit in which its
/// time (above `LOW`) differs from the last popped time, its slot that
/// digit; level 0 holds one bucket per slot. A pop empties the lowest
/// non-empty slot of the lowest non-empty level into lower levels around
/// its earliest time, so an event moves down at most once per level: 2
/// moves for a timer minutes ahead, where a binary radix heap moved it up
/// to 29 times (the year's profile had a quarter of its time in those
/// moves).
#[derive(Debug)]
struct Wheel<E> {
    /// `LEVELS * SLOTS` slots, level-major.
    slots: Vec<Vec<(u128, E)>>,
    /// Per level, bit `s` set: slot `s` is not empty.
    full: [u64; LEVELS],
    /// Bit `l` set: level `l` is not empty.
    levels: u16,
    /// Bit `s` set: level-0 slot `s` is sorted latest first. A bucket that
    /// holds many events (a dense load: thousands per 32.8 ms) is sorted
    /// once and popped off its end, where scanning it per pop would be
    /// quadratic; later events of its bucket are inserted in order.
    sorted: u64,
    /// The last popped time, or lower: every held time is at least this.
    last: Time,
    len: usize,
}

/// Entries of a level-0 slot up to which a pop scans for the least key.
const SCAN_MAX: usize = 32;

#[inline]
fn level(t: Time, last: Time) -> usize {
    match (t >> LOW) ^ (last >> LOW) {
        0 => 0,
        x => (63 - x.leading_zeros()) as usize / DIGIT as usize,
    }
}

#[inline]
fn slot_of(t: Time, level: usize) -> usize {
    ((t >> (LOW as usize + DIGIT as usize * level)) as usize) & (SLOTS - 1)
}

impl<E> Wheel<E> {
    fn new(last: u128) -> Self {
        Wheel {
            slots: (0..LEVELS * SLOTS).map(|_| Vec::new()).collect(),
            full: [0; LEVELS],
            levels: 0,
            sorted: 0,
            last: time_of(last),
            len: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, k: u128, event: E) {
        if time_of(k) < self.last {
            // Earlier than the settled minimum (a driver peeked, then
            // scheduled before it) or than the last pop: rare, re-file all.
            self.rebase(time_of(k));
        }
        self.put(k, event);
        self.len += 1;
    }

    #[inline(always)]
    fn put(&mut self, k: u128, event: E) {
        let t = time_of(k);
        let l = level(t, self.last);
        let s = slot_of(t, l);
        if l == 0 && self.sorted & (1 << s) != 0 {
            self.put_sorted(s, k, event);
        } else {
            self.slots[l * SLOTS + s].push((k, event));
        }
        self.full[l] |= 1 << s;
        self.levels |= 1 << l;
    }

    /// Files an entry in sorted level-0 slot `s` (dense loads only: out of
    /// line, so `put` stays small enough to inline).
    #[cold]
    #[inline(never)]
    fn put_sorted(&mut self, s: usize, k: u128, event: E) {
        let slot = &mut self.slots[s];
        let at = slot.partition_point(|e| e.0 > k);
        slot.insert(at, (k, event));
    }

    /// Brings the earliest time to level 0 and returns its slot there (the
    /// slot holds that time's bucket only), or None when the wheel is empty.
    #[inline(always)]
    fn settle(&mut self) -> Option<usize> {
        if self.levels & 1 == 0 {
            if self.levels == 0 {
                return None;
            }
            self.cascade();
        }
        Some(self.full[0].trailing_zeros() as usize)
    }

    /// Empties the lowest non-empty slot of the lowest non-empty level
    /// (above 0) into lower levels around its earliest time. Out of line:
    /// `settle` runs twice per pop (peek, then pop), and inlined it only
    /// tests a bit.
    #[inline(never)]
    fn cascade(&mut self) {
        let l = self.levels.trailing_zeros() as usize;
        let s = self.full[l].trailing_zeros() as usize;
        self.full[l] &= !(1 << s);
        if self.full[l] == 0 {
            self.levels &= !(1 << l);
        }
        let mut moving = std::mem::take(&mut self.slots[l * SLOTS + s]);
        let min = moving.iter().map(|e| time_of(e.0)).min();
        self.last = min.expect("slot not empty");
        for (k, e) in moving.drain(..) {
            self.put(k, e);
        }
        // Keep the emptied slot's allocation, unless a backlog made it
        // large (the wheel would hold every slot's peak at once).
        if moving.capacity() <= KEEP {
            self.slots[l * SLOTS + s] = moving;
        }
    }

    /// Index of the earliest scheduled entry of level-0 slot `s` (its
    /// entries share one bucket; one entry, nearly always). A slot of more
    /// than `SCAN_MAX` is sorted latest first here, for good.
    #[inline]
    fn first_in(&mut self, s: usize) -> usize {
        let slot = &mut self.slots[s];
        if slot.len() == 1 || self.sorted & (1 << s) != 0 {
            return slot.len() - 1;
        }
        if slot.len() > SCAN_MAX {
            slot.sort_unstable_by_key(|e| Reverse(e.0));
            self.sorted |= 1 << s;
            return slot.len() - 1;
        }
        (0..slot.len())
            .min_by_key(|&i| slot[i].0)
            .expect("slot not empty")
    }

    /// The entry with the smallest key.
    #[inline]
    fn peek_entry(&mut self) -> Option<&(u128, E)> {
        let s = self.settle()?;
        let i = self.first_in(s);
        Some(&self.slots[s][i])
    }

    #[inline]
    fn pop(&mut self) -> Option<(u128, E)> {
        let s = self.settle()?;
        let i = self.first_in(s);
        let slot = &mut self.slots[s];
        // The last entry of a sorted slot: a plain pop, order kept.
        let (k, e) = slot.swap_remove(i);
        if slot.is_empty() {
            self.sorted &= !(1 << s);
            self.full[0] &= !(1 << s);
            if self.full[0] == 0 {
                self.levels &= !1;
            }
        }
        self.last = time_of(k);
        self.len -= 1;
        Some((k, e))
    }

    /// Lowers the bound to `last` (below every time held): every key is
    /// filed again relative to it.
    fn rebase(&mut self, last: Time) {
        let mut all: Vec<(u128, E)> = Vec::with_capacity(self.len);
        for s in &mut self.slots {
            all.append(s);
        }
        self.last = last;
        self.full = [0; LEVELS];
        self.levels = 0;
        self.sorted = 0;
        for (k, e) in all {
            self.put(k, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_then_fifo() {
        let mut q = EventQueue::default();
        q.schedule(5, Event::AcwEnd(1));
        q.schedule(3, Event::AcwEnd(2));
        q.schedule(5, Event::AcwEnd(3));
        q.schedule(3, Event::AcwEnd(4));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (3, Event::AcwEnd(2)),
                (3, Event::AcwEnd(4)),
                (5, Event::AcwEnd(1)),
                (5, Event::AcwEnd(3)),
            ]
        );
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;
    use proptest::prelude::*;

    /// A test event: an id, and the lane it was set in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Ev(u32, Option<usize>);

    impl Laned for Ev {
        fn lane(&self) -> Option<usize> {
            self.1
        }
    }

    proptest! {
        /// Pops come in (time, scheduling order) order, before and after the
        /// list turns into a timing wheel, with pushes between pops mostly at
        /// or after the last popped time and sometimes before it, and lane
        /// events set, replaced and dropped among them.
        #[test]
        fn pops_in_time_then_fifo_order(
            prefill in 0usize..6_000,
            ops in prop::collection::vec((0u8..6, 0u64..50_000), 1..3_000),
        ) {
            let mut q: EventQueue<Ev> = EventQueue::default();
            let mut model: std::collections::BTreeSet<(Time, u64)> = Default::default();
            // What each of four lanes holds, as in the model.
            let mut lanes: [Option<(Time, u64)>; 4] = [None; 4];
            let (mut now, mut n) = (0 as Time, 0u64);
            // A backlog first: with more than WHEEL_FROM events the list
            // turns into a timing wheel here or during the operations.
            let fill = (0..prefill).map(|i| (0u8, (i as u64 * 7919) % 50_000));
            for (op, dt) in fill.chain(ops) {
                if op < 2 {
                    // Same-time events often: dt 0 about one time in 25;
                    // now and then before the last pop (a driver that peeked).
                    let t = if dt % 23 == 0 {
                        now.saturating_sub(dt % 5_000)
                    } else if op == 1 && dt % 3 == 0 {
                        // Hours to years ahead: the wheel's upper levels.
                        now + (((dt % 1_000 + 1) * 977_231) << (dt % 16))
                    } else {
                        now + dt % 25_000 / 1000 * 1000
                    };
                    q.schedule(t, Ev(n as u32, None));
                    model.insert((t, n));
                    n += 1;
                } else if op >= 4 {
                    // A lane's event set (replacing its last one) or dropped.
                    let lane = (dt % 4) as usize;
                    if let Some(old) = lanes[lane].take() {
                        model.remove(&old);
                    }
                    if op == 4 {
                        let t = now + dt % 3_000;
                        q.set_lane(t, Ev(n as u32, Some(lane)));
                        model.insert((t, n));
                        lanes[lane] = Some((t, n));
                        n += 1;
                    } else {
                        q.clear_lane(lane);
                    }
                } else if op == 3 {
                    // A driver peeks, then may schedule before that event;
                    // a pop the driver refuses leaves the event in place.
                    prop_assert_eq!(q.peek_time(), model.first().map(|w| w.0));
                    let mut seen = None;
                    let refused = q.pop_if(|t| {
                        seen = Some(t);
                        false
                    });
                    prop_assert!(refused.is_none());
                    prop_assert_eq!(seen, model.first().map(|w| w.0));
                } else {
                    let want = model.pop_first();
                    prop_assert_eq!(q.peek_time(), want.map(|w| w.0));
                    let got = q.pop().map(|(t, e)| (t, e.0));
                    prop_assert_eq!(got, want.map(|(t, s)| (t, s as u32)));
                    for l in lanes.iter_mut() {
                        if *l == want {
                            *l = None;
                        }
                    }
                    if let Some((t, _)) = got {
                        now = t;
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some(w) = model.pop_first() {
                prop_assert_eq!(q.pop().map(|(t, e)| (t, e.0)), Some((w.0, w.1 as u32)));
            }
            prop_assert!(q.pop().is_none() && q.is_empty());
        }
    }
}
