//! The future-event list: a binary heap ordered by (time, sequence), so
//! events at the same time run in the order they were scheduled.

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

#[derive(Debug, Clone, Copy)]
struct Scheduled<E> {
    time: Time,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Scheduled<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

// Heap entries are moved on every push and pop: keep them at 32 bytes.
const _: () = assert!(std::mem::size_of::<Event>() <= 16);

/// A future-event list of any event type (the engine's `Event`, or the load
/// tester's timers, keyed by wall-clock time).
#[derive(Debug)]
pub struct EventQueue<E = Event> {
    heap: BinaryHeap<Scheduled<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            seq: 0,
        }
    }

    #[inline]
    pub fn schedule(&mut self, time: Time, event: E) {
        self.heap.push(Scheduled {
            time,
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        self.heap.pop().map(|s| (s.time, s.event))
    }

    /// Time of the next event.
    #[inline]
    pub fn peek_time(&self) -> Option<Time> {
        self.heap.peek().map(|s| s.time)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
