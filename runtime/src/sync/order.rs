//! The order in which a queue's buffered items come out: FIFO ([`Queue`](super::Queue)),
//! LIFO ([`LifoQueue`](super::LifoQueue)) or smallest first
//! ([`PriorityQueue`](super::PriorityQueue)).
//!
//! One enum rather than a type parameter, so that the three queues share `Queue`'s code and
//! its future types; the priority order keeps `T: Ord`'s comparison as a function pointer
//! taken where `T: Ord` is known.

use std::cmp::Ordering;
use std::collections::VecDeque;

/// Buffered items, in one of three orders.
pub(crate) enum Items<T> {
    /// First in, first out.
    Fifo(VecDeque<T>),
    /// Last in, first out: a stack.
    Lifo(Vec<T>),
    /// Smallest first; equal items in the order they were put.
    Priority(Heap<T>),
}

impl<T> Items<T> {
    pub(crate) fn fifo() -> Self {
        Self::Fifo(VecDeque::new())
    }

    pub(crate) fn lifo() -> Self {
        Self::Lifo(Vec::new())
    }

    pub(crate) fn priority() -> Self
    where
        T: Ord,
    {
        Self::Priority(Heap {
            entries: Vec::new(),
            cmp: T::cmp,
            back: FIRST_BACK,
            front: FIRST_BACK,
        })
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Fifo(items) => items.len(),
            Self::Lifo(items) => items.len(),
            Self::Priority(heap) => heap.entries.len(),
        }
    }

    /// Adds a newly put item.
    pub(crate) fn push_back(&mut self, item: T) {
        match self {
            Self::Fifo(items) => items.push_back(item),
            Self::Lifo(items) => items.push(item),
            Self::Priority(heap) => {
                let seq = heap.back;
                heap.back += 1;
                heap.push(item, seq);
            }
        }
    }

    /// Takes the next item out.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        match self {
            Self::Fifo(items) => items.pop_front(),
            Self::Lifo(items) => items.pop(),
            Self::Priority(heap) => heap.pop(),
        }
    }

    /// Puts back an item handed to a getter that was cancelled before it ran, where asyncio
    /// would have kept it (there the item never leaves the queue). A getter is only handed
    /// an item put while the buffer was empty, so every buffered item was put after it: it
    /// goes first in FIFO order, at the bottom of the stack, and before its equals by
    /// priority (checked against CPython's asyncio in `runtime/tests/queue_orders.rs`).
    pub(crate) fn push_front(&mut self, item: T) {
        match self {
            Self::Fifo(items) => items.push_front(item),
            Self::Lifo(items) => items.insert(0, item),
            Self::Priority(heap) => {
                // Before every item put so far among its equals, as it was.
                heap.front -= 1;
                let seq = heap.front;
                heap.push(item, seq);
            }
        }
    }

    /// Takes every item out, in no particular order.
    pub(crate) fn take_all(&mut self) -> Vec<T> {
        match self {
            Self::Fifo(items) => std::mem::take(items).into(),
            Self::Lifo(items) => std::mem::take(items),
            Self::Priority(heap) => std::mem::take(&mut heap.entries)
                .into_iter()
                .map(|(item, _)| item)
                .collect(),
        }
    }
}

/// Sequence numbers start in the middle of `u64`: put items count up from here, put-back
/// items count down, and neither side can run out.
const FIRST_BACK: u64 = 1 << 63;

/// A binary min-heap over `(item, seq)`: by `cmp` on the items, then by `seq`, which makes
/// equal items come out in the order they went in (asyncio's `heapq` leaves that to the
/// caller, who usually adds a counter to the tuple).
pub(crate) struct Heap<T> {
    entries: Vec<(T, u64)>,
    cmp: fn(&T, &T) -> Ordering,
    back: u64,
    front: u64,
}

impl<T> Heap<T> {
    fn less(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.entries[a], &self.entries[b]);
        (self.cmp)(&x.0, &y.0).then(x.1.cmp(&y.1)) == Ordering::Less
    }

    fn push(&mut self, item: T, seq: u64) {
        self.entries.push((item, seq));
        let mut child = self.entries.len() - 1;
        while child > 0 {
            let parent = (child - 1) / 2;
            if !self.less(child, parent) {
                break;
            }
            self.entries.swap(child, parent);
            child = parent;
        }
    }

    fn pop(&mut self) -> Option<T> {
        if self.entries.is_empty() {
            return None;
        }
        let (item, _) = self.entries.swap_remove(0);
        let n = self.entries.len();
        let mut parent = 0;
        loop {
            let (left, right) = (2 * parent + 1, 2 * parent + 2);
            let mut smallest = parent;
            if left < n && self.less(left, smallest) {
                smallest = left;
            }
            if right < n && self.less(right, smallest) {
                smallest = right;
            }
            if smallest == parent {
                break;
            }
            self.entries.swap(parent, smallest);
            parent = smallest;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<T>(items: &mut Items<T>) -> Vec<T> {
        std::iter::from_fn(|| items.pop_front()).collect()
    }

    #[test]
    fn each_order_against_std() {
        let input = [5u32, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9];
        let mut fifo = Items::fifo();
        let mut lifo = Items::lifo();
        let mut prio = Items::priority();
        for x in input {
            fifo.push_back(x);
            lifo.push_back(x);
            prio.push_back(x);
        }
        assert_eq!(drain(&mut fifo), input);
        assert_eq!(
            drain(&mut lifo),
            input.iter().rev().copied().collect::<Vec<_>>()
        );
        let mut sorted = input.to_vec();
        sorted.sort_unstable();
        assert_eq!(drain(&mut prio), sorted);
    }

    #[test]
    fn equal_priorities_come_out_in_put_order_and_a_put_back_item_first() {
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
        struct Job(u8); // ordered by priority only
        let mut prio = Items::priority();
        let jobs = [(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (2, 'e')];
        // A side table keeps the labels: `Job` compares by priority alone.
        let mut labels = std::collections::HashMap::new();
        let mut tagged = Items::priority();
        for (i, &(p, label)) in jobs.iter().enumerate() {
            prio.push_back(Job(p));
            tagged.push_back((p, i));
            labels.insert(i, label);
        }
        assert_eq!(prio.len(), 5);
        let first = tagged.pop_front().unwrap();
        tagged.push_front(first);
        let order: String = drain(&mut tagged).iter().map(|(_, i)| labels[i]).collect();
        assert_eq!(order, "bdace");
        assert_eq!(drain(&mut prio), [Job(1), Job(1), Job(2), Job(2), Job(2)]);
    }

    #[test]
    fn random_programs_match_a_sorted_vec() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..100 {
            let mut heap = Items::priority();
            // The oracle: a Vec kept sorted by (value, seq), seq as the heap assigns it.
            let mut oracle: Vec<(u64, i64)> = Vec::new();
            let (mut back, mut front) = (0i64, 0i64);
            for _ in 0..200 {
                match rand(3) {
                    0 | 1 => {
                        let v = rand(10);
                        heap.push_back(v);
                        oracle.push((v, back));
                        back += 1;
                    }
                    _ => {
                        oracle.sort_unstable();
                        let want = (!oracle.is_empty()).then(|| oracle.remove(0));
                        let got = heap.pop_front();
                        assert_eq!(got, want.map(|(v, _)| v));
                        if let Some((v, _)) = want
                            && rand(4) == 0
                        {
                            heap.push_front(v);
                            front -= 1;
                            oracle.push((v, front - i64::MAX / 2));
                        }
                    }
                }
                assert_eq!(heap.len(), oracle.len());
            }
        }
    }
}
