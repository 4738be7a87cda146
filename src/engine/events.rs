//! The future-event list, ordered by (time, sequence), so events at the
//! same time run in the order they were scheduled.

use std::cmp::Ordering;
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

/// Pending events beyond which the list turns from a binary heap into a
/// radix heap (it never turns back).
const RADIX_FROM: usize = 4096;

/// A future-event list of any event type (the engine's `Event`, or a
/// driver's timers), popped in (time, sequence) order: events at the same
/// time run in the order they were scheduled.
///
/// Small lists (an M/M/c queue holds a few dozen events) are a binary heap.
/// A list that grows past `RADIX_FROM` events (the patience timers and
/// position messages of a busy tenant's backlog) becomes a radix heap, whose
/// pop touches a few buckets instead of sifting through a heap larger than
/// the cache: measured, the binary heap is ~10 % faster on M/M/20 and the
/// radix heap ~10 % faster on `benches/year.toml`. Both give the same order,
/// so the switch never changes a result.
#[derive(Debug)]
pub struct EventQueue<E = Event> {
    store: Store<E>,
    /// At most every pending key: the last popped one, or lower after an
    /// event was scheduled before it.
    last: u128,
    seq: u64,
    /// Events kept beside the heap, at most one per lane (the engine's lane
    /// `i` is arrival source `i`'s next customer): each arrival saves a heap
    /// push and pop, and a redrawn arrival replaces its lane's event instead
    /// of leaving a stale one behind. Keys come from the same sequence, so
    /// the order is the same as if they were in the heap.
    lanes: Vec<Option<(u128, E)>>,
    /// The smallest lane key (`u128::MAX`: no lane holds an event) and its lane.
    lane_min: (u128, usize),
    n_lanes: usize,
}

#[derive(Debug)]
enum Store<E> {
    Binary(BinaryHeap<Keyed<E>>),
    Radix(Radix<E>),
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

#[inline]
fn key(time: Time, seq: u64) -> u128 {
    (u128::from(time) << 64) | u128::from(seq)
}

#[inline]
fn time_of(key: u128) -> Time {
    (key >> 64) as Time
}

impl<E> EventQueue<E> {
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            store: Store::Binary(BinaryHeap::with_capacity(n.min(RADIX_FROM))),
            last: 0,
            seq: 0,
            lanes: Vec::new(),
            lane_min: (u128::MAX, 0),
            n_lanes: 0,
        }
    }

    /// Sets lane `lane`'s event to `event` at `time`, replacing the one it
    /// held. It takes its place in (time, sequence) order as `schedule` would.
    #[inline]
    pub fn set_lane(&mut self, lane: usize, time: Time, event: E) {
        let k = key(time, self.seq);
        self.last = self.last.min(k);
        self.seq += 1;
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

    /// Drops lane `lane`'s event, if any.
    pub fn clear_lane(&mut self, lane: usize) {
        if let Some(l) = self.lanes.get_mut(lane) {
            if l.take().is_some() {
                self.n_lanes -= 1;
                if self.lane_min.1 == lane {
                    self.find_lane_min();
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

    /// The smallest key in the heap.
    #[inline]
    fn heap_min(&mut self) -> Option<u128> {
        match &mut self.store {
            Store::Binary(h) => h.peek().map(|e| e.0),
            Store::Radix(r) => r.peek(),
        }
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn schedule(&mut self, time: Time, event: E) {
        let k = key(time, self.seq);
        // Before the last popped or peeked event only when a driver peeked,
        // then scheduled before it (the load tester waiting on its own
        // timers): keep the bound below it.
        self.last = self.last.min(k);
        self.seq += 1;
        match &mut self.store {
            Store::Binary(h) => {
                h.push(Keyed(k, event));
                if h.len() > RADIX_FROM {
                    let mut r = Radix::new(self.last);
                    for Keyed(k, e) in std::mem::take(h).into_vec() {
                        r.push(k, e);
                    }
                    self.store = Store::Radix(r);
                }
            }
            Store::Radix(r) => r.push(k, event),
        }
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let lane_first =
            self.lane_min.0 != u128::MAX && self.heap_min().is_none_or(|h| self.lane_min.0 < h);
        let (k, e) = if lane_first {
            let lane = self.lane_min.1;
            self.n_lanes -= 1;
            let ke = self.lanes[lane].take();
            self.find_lane_min();
            ke?
        } else {
            match &mut self.store {
                Store::Binary(h) => h.pop().map(|Keyed(k, e)| (k, e)),
                Store::Radix(r) => r.pop(),
            }?
        };
        self.last = k;
        Some((time_of(k), e))
    }

    /// Time of the next event.
    #[inline]
    pub fn peek_time(&mut self) -> Option<Time> {
        let lane = self.lane_min.0;
        match self.heap_min() {
            Some(h) if h < lane => Some(time_of(h)),
            _ if lane != u128::MAX => Some(time_of(lane)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.n_lanes
            + match &self.store {
                Store::Binary(h) => h.len(),
                Store::Radix(r) => r.len,
            }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A binary-heap entry ordered by its key alone, earliest first.
#[derive(Debug)]
struct Keyed<E>(u128, E);

impl<E> PartialEq for Keyed<E> {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl<E> Eq for Keyed<E> {}
impl<E> PartialOrd for Keyed<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Keyed<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.cmp(&self.0)
    }
}

/// Bits of the (time, sequence) key; bucket 0 holds keys equal to the last
/// popped one, bucket `i` keys whose highest bit differing from it is `i - 1`.
const BUCKETS: usize = 129;

/// A radix heap of unique, monotone keys: every key pushed is at least the
/// last popped one (simulated time never goes back). Keys sit in buckets by
/// their highest bit that differs from the last popped key; a pop empties
/// the lowest non-empty bucket into lower ones around its minimum, so an
/// event moves down a few times, each move a plain append.
#[derive(Debug)]
struct Radix<E> {
    buckets: Vec<Vec<(u128, E)>>,
    /// The last popped key (bucket 0's key when it is not empty).
    last: u128,
    /// Bit `i - 1` set: bucket `i` (1..=128) is not empty.
    full: u128,
    len: usize,
}

#[inline]
fn bucket(key: u128, last: u128) -> usize {
    (128 - (key ^ last).leading_zeros()) as usize
}

impl<E> Radix<E> {
    fn new(last: u128) -> Self {
        Radix {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            last,
            full: 0,
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, k: u128, event: E) {
        if k < self.last {
            // Earlier than the settled minimum (a driver peeked, then
            // scheduled before it) or than the last pop: rare, re-file all.
            self.rebase(k);
        }
        self.put(k, event);
        self.len += 1;
    }

    #[inline]
    fn put(&mut self, k: u128, event: E) {
        let b = bucket(k, self.last);
        self.buckets[b].push((k, event));
        if b > 0 {
            self.full |= 1 << (b - 1);
        }
    }

    /// Brings the smallest key into bucket 0 (where it is alone: keys are
    /// unique) and returns it.
    #[inline]
    fn peek(&mut self) -> Option<u128> {
        if self.buckets[0].is_empty() {
            if self.full == 0 {
                return None;
            }
            let i = self.full.trailing_zeros() as usize + 1;
            self.full &= !(1 << (i - 1));
            let mut moving = std::mem::take(&mut self.buckets[i]);
            let min = moving.iter().map(|e| e.0).min().expect("bucket not empty");
            self.last = min;
            for (k, e) in moving.drain(..) {
                self.put(k, e);
            }
            // Keep the emptied bucket's allocation.
            self.buckets[i] = moving;
        }
        self.buckets[0].last().map(|e| e.0)
    }

    /// Lowers the bound to `last` (below every key held): every key is filed
    /// again relative to it.
    fn rebase(&mut self, last: u128) {
        let mut all: Vec<(u128, E)> = Vec::with_capacity(self.len);
        for b in &mut self.buckets {
            all.append(b);
        }
        self.last = last;
        self.full = 0;
        for (k, e) in all {
            self.put(k, e);
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(u128, E)> {
        self.peek()?;
        self.len -= 1;
        self.buckets[0].pop()
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

    proptest! {
        /// Pops come in (time, scheduling order) order, before and after the
        /// list turns into a radix heap, with pushes between pops mostly at
        /// or after the last popped time and sometimes before it, and lane
        /// events set, replaced and dropped among them.
        #[test]
        fn pops_in_time_then_fifo_order(
            prefill in 0usize..6_000,
            ops in prop::collection::vec((0u8..6, 0u64..50_000), 1..3_000),
        ) {
            let mut q: EventQueue<u32> = EventQueue::default();
            let mut model: std::collections::BTreeSet<(Time, u64)> = Default::default();
            // What each of four lanes holds, as in the model.
            let mut lanes: [Option<(Time, u64)>; 4] = [None; 4];
            let (mut now, mut n) = (0 as Time, 0u64);
            // A backlog first: with more than RADIX_FROM events the list
            // turns into a radix heap here or during the operations.
            let fill = (0..prefill).map(|i| (0u8, (i as u64 * 7919) % 50_000));
            for (op, dt) in fill.chain(ops) {
                if op < 2 {
                    // Same-time events often: dt 0 about one time in 25;
                    // now and then before the last pop (a driver that peeked).
                    let t = if dt % 23 == 0 {
                        now.saturating_sub(dt % 5_000)
                    } else {
                        now + dt % 25_000 / 1000 * 1000
                    };
                    q.schedule(t, n as u32);
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
                        q.set_lane(lane, t, n as u32);
                        model.insert((t, n));
                        lanes[lane] = Some((t, n));
                        n += 1;
                    } else {
                        q.clear_lane(lane);
                    }
                } else if op == 3 {
                    // A driver peeks, then may schedule before that event.
                    prop_assert_eq!(q.peek_time(), model.first().map(|w| w.0));
                } else {
                    let want = model.pop_first();
                    prop_assert_eq!(q.peek_time(), want.map(|w| w.0));
                    let got = q.pop();
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
                prop_assert_eq!(q.pop(), Some((w.0, w.1 as u32)));
            }
            prop_assert!(q.pop().is_none() && q.is_empty());
        }
    }
}
