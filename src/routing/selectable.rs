//! A service's selectable users in distribution order (`UserKey`). A small
//! set is a sorted ring buffer: in an M/M/c-like service the longest-idle
//! user leaves from the front and a user just freed (idle since now) joins
//! at the back, so both are O(1) without a search; anything else is a
//! binary search and a short move. Past `SMALL_MAX` users the set becomes a
//! B-tree for good (a large team's users move about the order as their
//! load changes, and long moves would cost more than the tree's walk).

use std::collections::{BTreeSet, VecDeque};

use super::UserKey;

/// Users the ring buffer holds before the set turns into a B-tree.
const SMALL_MAX: usize = 64;

#[derive(Debug)]
pub enum Selectable {
    Small(VecDeque<UserKey>),
    Large(BTreeSet<UserKey>),
}

impl Default for Selectable {
    fn default() -> Self {
        Selectable::Small(VecDeque::new())
    }
}

impl Selectable {
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Selectable::Small(v) => v.len(),
            Selectable::Large(s) => s.len(),
        }
    }

    /// Adds `k` (not in the set).
    #[inline]
    pub fn insert(&mut self, k: UserKey) {
        match self {
            Selectable::Small(v) => {
                if v.back().is_none_or(|b| *b < k) {
                    v.push_back(k);
                } else if v.front().is_some_and(|f| k < *f) {
                    v.push_front(k);
                } else {
                    let at = v.partition_point(|x| *x < k);
                    debug_assert!(v.get(at) != Some(&k), "{k:?} filed twice");
                    v.insert(at, k);
                }
                if v.len() > SMALL_MAX {
                    *self = Selectable::Large(v.drain(..).collect());
                }
            }
            Selectable::Large(s) => {
                s.insert(k);
            }
        }
    }

    /// Removes `k` (in the set).
    #[inline]
    pub fn remove(&mut self, k: &UserKey) {
        match self {
            Selectable::Small(v) => {
                if v.front() == Some(k) {
                    v.pop_front();
                } else if v.back() == Some(k) {
                    v.pop_back();
                } else if let Ok(at) = v.binary_search(k) {
                    v.remove(at);
                }
            }
            Selectable::Large(s) => {
                s.remove(k);
            }
        }
    }

    /// The users in distribution order.
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Selectable::Small(v) => Iter::Small(v.iter()),
            Selectable::Large(s) => Iter::Large(s.iter()),
        }
    }
}

pub enum Iter<'a> {
    Small(std::collections::vec_deque::Iter<'a, UserKey>),
    Large(std::collections::btree_set::Iter<'a, UserKey>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a UserKey;

    #[inline]
    fn next(&mut self) -> Option<&'a UserKey> {
        match self {
            Iter::Small(i) => i.next(),
            Iter::Large(i) => i.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Inserts and removes (at either end and between) across the
        /// switch to a B-tree leave the same users in the same order as a
        /// B-tree alone.
        #[test]
        fn same_order_as_a_btree(ops in prop::collection::vec((any::<bool>(), 0u64..4, 0u64..50, 0u32..200), 1..800)) {
            let mut set = Selectable::default();
            let mut model = BTreeSet::new();
            for (add, class, idle, user) in ops {
                // One key per user, as the router files them.
                let old = model.iter().copied().find(|k: &UserKey| k.2 == user);
                if let Some(k) = old {
                    set.remove(&k);
                    model.remove(&k);
                }
                if add {
                    let k = (class, idle, user);
                    set.insert(k);
                    model.insert(k);
                }
                prop_assert_eq!(set.len(), model.len());
                prop_assert!(set.iter().eq(model.iter()));
            }
        }
    }
}
