//! A thread-safe FIFO of waiting futures: the local [`WaitList`] behind a `Mutex`, with a
//! count that notifiers read without the lock.
//!
//! Wakers are woken after the lock is released, so a woken thread that polls at once does not
//! find the lock still held by its waker (event-listener, used here first, wakes under its
//! list lock; that cost several times tokio's round trip between threads under load).
//!
//! The protocol against lost wake-ups: a waiter registers (the count goes up), then issues a
//! `SeqCst` fence and retries its operation; a notifier completes its operation, issues a
//! `SeqCst` fence and reads the count. Either the retry sees the operation or the notifier
//! sees the waiter.
//!
//! A notified waiter that is dropped before it observed the notification passes it on to the
//! next queued waiter ([`Waiters::cancel`]): that is the channels' cancellation guarantee.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering, fence};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use crate::sync::waiters::WaitList;

pub(super) struct Waiters {
    /// Queued (not yet notified) waiters; written under the lock, read without it.
    queued: AtomicUsize,
    list: Mutex<WaitList<()>>,
}

impl Waiters {
    pub(super) const fn new() -> Self {
        Self {
            queued: AtomicUsize::new(0),
            list: Mutex::new(WaitList::new()),
        }
    }

    /// The list; no code of ours panics while holding it, and a poisoned one is used as is.
    fn lock(&self) -> MutexGuard<'_, WaitList<()>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish(&self, list: &WaitList<()>) {
        self.queued.store(list.len(), Ordering::Relaxed);
    }

    /// Queues a waiter at the back; returns its key. The caller retries its operation next.
    pub(super) fn register(&self, waker: &Waker) -> usize {
        let key = {
            let mut list = self.lock();
            let key = list.push_back(None, waker);
            self.publish(&list);
            key
        };
        fence(Ordering::SeqCst);
        key
    }

    /// Whether waiter `key` was notified; if so its key is given back (the notification is
    /// consumed: the caller retries), else `waker` is remembered for it.
    pub(super) fn poll(&self, key: usize, waker: &Waker) -> bool {
        let mut list = self.lock();
        let notified = list.poll_notified(key, waker);
        if notified {
            list.remove(key);
        }
        notified
    }

    /// Gives back the key of a waiter that completed or was dropped; a notification it had
    /// not consumed goes to the next queued waiter.
    pub(super) fn cancel(&self, key: usize) {
        let waker = {
            let mut list = self.lock();
            let waker = if list.remove(key).notified {
                list.notify_front().and_then(|(_, waker)| waker)
            } else {
                None
            };
            self.publish(&list);
            waker
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Notifies the first queued waiter, if any; call after the operation it waits for.
    pub(super) fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.queued.load(Ordering::Relaxed) == 0 {
            return;
        }
        let waker = {
            let mut list = self.lock();
            let waker = list.notify_front().and_then(|(_, waker)| waker);
            self.publish(&list);
            waker
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Notifies every queued waiter (the channel closed).
    pub(super) fn notify_all(&self) {
        fence(Ordering::SeqCst);
        let wakers = {
            let mut list = self.lock();
            let wakers = list.notify_all();
            self.publish(&list);
            wakers
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

impl fmt::Debug for Waiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.queued.load(Ordering::Relaxed))
    }
}
