//! The FIFO list of parked waiters that every primitive in [`crate::sync`] is built on.
//!
//! A waiter is a future that could not complete at once. It calls [`WaitList::push_back`] on
//! its first pending poll and keeps the returned key until it completes or is dropped; the key
//! is its ticket, owned by exactly one future, and is given back with [`WaitList::remove`].
//!
//! The list is a doubly linked list threaded through a [`Slab`]: pushing, removing a cancelled
//! waiter from the middle and popping the front are all O(1), and the nodes of finished waiters
//! are reused, so a primitive in steady state does not allocate.
//!
//! A node is either *queued* (linked, waiting its turn) or *notified* (unlinked, but still in
//! the slab until its future observes it). Notifying is a handoff: the releasing side moves
//! what it releases (a lock's value, an item, a permit) into the node's value slot, or takes the
//! value a putter parked there, in the same step. Nobody can barge in between the release and
//! the waiter's next poll, and a waiter dropped after being notified finds what it was handed
//! in [`Removed`] and passes it on.
//!
//! The list never wakes anyone itself: it returns the [`Waker`]s, and callers wake them (and
//! drop any user values) after releasing their `RefCell` borrow, so that a waker or a value's
//! destructor that re-enters the primitive cannot hit a borrowed cell.

use std::fmt;
use std::task::Waker;

use slab::Slab;

const NIL: usize = usize::MAX;

/// A FIFO list of parked waiters carrying an optional value each.
pub(crate) struct WaitList<T> {
    nodes: Slab<Node<T>>,
    head: usize,
    tail: usize,
    queued: usize,
}

struct Node<T> {
    prev: usize,
    next: usize,
    notified: bool,
    waker: Option<Waker>,
    value: Option<T>,
}

/// What [`WaitList::remove`] found in a waiter's node.
pub(crate) struct Removed<T> {
    /// Whether the waiter had been notified (unlinked by the releasing side).
    pub(crate) notified: bool,
    /// The node's value slot: what was handed over, or what the waiter had parked.
    pub(crate) value: Option<T>,
}

impl<T> WaitList<T> {
    /// An empty list; does not allocate.
    pub(crate) const fn new() -> Self {
        Self {
            nodes: Slab::new(),
            head: NIL,
            tail: NIL,
            queued: 0,
        }
    }

    /// The number of queued (not yet notified) waiters.
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Whether no waiter is queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Queues a waiter at the back, parking `value` in its node; returns its key.
    pub(crate) fn push_back(&mut self, value: Option<T>, waker: &Waker) -> usize {
        let key = self.nodes.insert(Node {
            prev: self.tail,
            next: NIL,
            notified: false,
            waker: Some(waker.clone()),
            value,
        });
        match self.tail {
            NIL => self.head = key,
            tail => self.nodes[tail].next = key,
        }
        self.tail = key;
        self.queued += 1;
        key
    }

    /// Whether the waiter `key` has been notified; if not, remembers `waker` for it.
    pub(crate) fn poll_notified(&mut self, key: usize, waker: &Waker) -> bool {
        let node = &mut self.nodes[key];
        if node.notified {
            return true;
        }
        match &mut node.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        false
    }

    /// Notifies the first queued waiter: unlinks it and returns its value slot, for the caller
    /// to fill or empty, and its waker, for the caller to wake. `None` if nobody is queued.
    pub(crate) fn notify_front(&mut self) -> Option<(&mut Option<T>, Option<Waker>)> {
        let key = self.head;
        if key == NIL {
            return None;
        }
        self.unlink(key);
        let node = &mut self.nodes[key];
        node.notified = true;
        Some((&mut node.value, node.waker.take()))
    }

    /// Notifies every queued waiter, leaving their value slots as they are; returns the wakers.
    pub(crate) fn notify_all(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.queued);
        while let Some((_, waker)) = self.notify_front() {
            wakers.extend(waker);
        }
        wakers
    }

    /// Gives back the key of a completed or dropped waiter, unlinking it if it is still queued.
    pub(crate) fn remove(&mut self, key: usize) -> Removed<T> {
        if !self.nodes[key].notified {
            self.unlink(key);
        }
        let node = self.nodes.remove(key);
        Removed {
            notified: node.notified,
            value: node.value,
        }
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = (self.nodes[key].prev, self.nodes[key].next);
        match prev {
            NIL => self.head = next,
            prev => self.nodes[prev].next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.nodes[next].prev = prev,
        }
        self.queued -= 1;
    }
}

impl<T> Default for WaitList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for WaitList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("queued", &self.queued)
            .field("notified", &(self.nodes.len() - self.queued))
            .finish()
    }
}

/// Wakes every waker in `wakers`; call it after the primitive's borrow has ended.
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Counter;

    #[test]
    fn notifies_in_fifo_order_and_skips_removed_waiters() {
        let waker = Counter::new().waker();
        let mut list = WaitList::new();
        let a = list.push_back(Some('a'), &waker);
        let b = list.push_back(Some('b'), &waker);
        let c = list.push_back(Some('c'), &waker);
        assert_eq!(list.len(), 3);

        let removed = list.remove(b);
        assert!(!removed.notified);
        assert_eq!(removed.value, Some('b'));

        let (slot, w) = list.notify_front().unwrap();
        assert_eq!(slot.take(), Some('a'));
        assert!(w.is_some());
        assert!(list.poll_notified(a, &waker));
        assert!(!list.poll_notified(c, &waker));
        let (slot, _) = list.notify_front().unwrap();
        *slot = Some('C');
        assert!(list.notify_front().is_none());
        assert!(list.is_empty());

        let removed = list.remove(c);
        assert!(removed.notified);
        assert_eq!(removed.value, Some('C'));
        assert!(list.remove(a).notified);
        assert_eq!(format!("{list:?}"), "WaitList { queued: 0, notified: 0 }");
    }

    #[test]
    fn removing_head_and_tail_keeps_links_consistent() {
        let waker = Counter::new().waker();
        let mut list = WaitList::<u32>::new();
        let keys: Vec<_> = (0..4).map(|i| list.push_back(Some(i), &waker)).collect();
        list.remove(keys[0]);
        list.remove(keys[3]);
        let e = list.push_back(Some(4), &waker);
        let order: Vec<_> =
            std::iter::from_fn(|| list.notify_front().map(|(slot, _)| slot.unwrap())).collect();
        assert_eq!(order, [1, 2, 4]);
        for key in [keys[1], keys[2], e] {
            assert!(list.remove(key).notified);
        }
    }

    #[test]
    fn poll_notified_replaces_a_different_waker() {
        let first = Counter::new();
        let second = Counter::new();
        let mut list = WaitList::<()>::new();
        let key = list.push_back(None, &first.waker());
        assert!(!list.poll_notified(key, &second.waker()));
        let wakers = list.notify_all();
        wake_all(wakers);
        assert_eq!((first.count(), second.count()), (0, 1));
        list.remove(key);
    }
}
