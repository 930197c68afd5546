use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waiters::WaitList;

/// A mutual-exclusion lock that owns the data it protects: Python's `asyncio.Lock`, with the
/// data inside as in Rust's `Mutex<T>`.
///
/// [`lock`](Lock::lock) waits for the lock and gives an owned [`LockGuard`] that derefs to the
/// data and unlocks when dropped. Waiters are served first come, first served: unlocking hands
/// the data straight to the task that has waited longest, so a task that calls `lock` later
/// cannot barge in ahead of it. The lock is not reentrant: locking it again while holding its
/// guard waits forever. `Lock` is a cheap handle; clones share the same data.
///
/// # Examples
///
/// ```
/// use corio::sync::Lock;
///
/// # futures::executor::block_on(async {
/// let balance = Lock::new(100);
/// {
///     let mut guard = balance.lock().await;
///     *guard -= 30;
/// } // unlocked here
/// assert_eq!(*balance.lock().await, 70);
/// # });
/// ```
pub struct Lock<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

struct Inner<T> {
    /// The data while unlocked; `None` while a guard (or a notified waiter) holds it.
    value: Option<T>,
    /// Tasks waiting for the lock, each handed the data when its turn comes.
    waiters: WaitList<T>,
}

impl<T> Lock<T> {
    /// Creates an unlocked lock protecting `value`.
    ///
    /// The value moves into a guard while the lock is held and back when it is released, so
    /// for a large `T` consider boxing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Lock;
    ///
    /// let names = Lock::new(Vec::<String>::new());
    /// assert!(!names.is_locked());
    /// ```
    pub fn new(value: T) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Inner {
                value: Some(value),
                waiters: WaitList::new(),
            })),
        }
    }

    /// Waits for the lock and returns a guard that gives access to the data.
    ///
    /// The future holds its own handle to the lock and borrows nothing. It takes the lock at
    /// once if the lock is free when first polled; otherwise it queues behind the tasks already
    /// waiting. Dropping the future gives up its place, and if the lock had already been
    /// handed to it, passes the lock on to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Lock;
    ///
    /// # futures::executor::block_on(async {
    /// let log = Lock::new(String::new());
    /// log.lock().await.push_str("hello");
    /// assert_eq!(*log.lock().await, "hello");
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn lock(&self) -> LockAcquire<T> {
        LockAcquire {
            inner: self.inner.clone(),
            key: None,
        }
    }

    /// Takes the lock if it is free, without waiting.
    ///
    /// Returns `None` while the lock is held. Since unlocking hands the lock straight to the
    /// first waiter, a free lock has no waiters, and `try_lock` never jumps the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Lock;
    ///
    /// let lock = Lock::new(1);
    /// let guard = lock.try_lock().unwrap();
    /// assert!(lock.try_lock().is_none());
    /// drop(guard);
    /// assert!(lock.try_lock().is_some());
    /// ```
    pub fn try_lock(&self) -> Option<LockGuard<T>> {
        let value = self.inner.borrow_mut().value.take()?;
        Some(LockGuard {
            lock: self.inner.clone(),
            value: Some(value),
        })
    }

    /// Returns whether the lock is held (or handed to a waiter that has not run yet).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Lock;
    ///
    /// let lock = Lock::new(());
    /// let guard = lock.try_lock();
    /// assert!(lock.is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.inner.borrow().value.is_none()
    }
}

fn release<T>(lock: &RefCell<Inner<T>>, value: T) {
    let waker = {
        let mut inner = lock.borrow_mut();
        let inner = &mut *inner;
        match inner.waiters.notify_front() {
            Some((slot, waker)) => {
                *slot = Some(value);
                waker
            }
            None => {
                inner.value = Some(value);
                None
            }
        }
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Clone for Lock<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Lock");
        match self.inner.try_borrow() {
            Ok(inner) => d
                .field("locked", &inner.value.is_none())
                .field("waiters", &inner.waiters.len()),
            Err(_) => d.field("state", &format_args!("<borrowed>")),
        };
        d.finish()
    }
}

/// The future returned by [`Lock::lock`].
///
/// It completes with a [`LockGuard`] once this task's turn comes. Dropping it before it
/// completes removes it from the queue, or passes the lock on if it was already handed over.
///
/// # Examples
///
/// ```
/// use corio::sync::{Lock, LockAcquire};
///
/// # futures::executor::block_on(async {
/// let lock = Lock::new(5);
/// let acquire: LockAcquire<i32> = lock.lock();
/// assert_eq!(*acquire.await, 5);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct LockAcquire<T> {
    inner: Rc<RefCell<Inner<T>>>,
    key: Option<usize>,
}

impl<T> Future for LockAcquire<T> {
    type Output = LockGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<T>> {
        let this = &mut *self;
        let mut inner = this.inner.borrow_mut();
        let value = match this.key {
            None => match inner.value.take() {
                Some(value) => value,
                None => {
                    this.key = Some(inner.waiters.push_back(None, cx.waker()));
                    return Poll::Pending;
                }
            },
            Some(key) => {
                if !inner.waiters.poll_notified(key, cx.waker()) {
                    return Poll::Pending;
                }
                this.key = None;
                inner
                    .waiters
                    .remove(key)
                    .value
                    .expect("a lock is handed over with its data")
            }
        };
        drop(inner);
        Poll::Ready(LockGuard {
            lock: this.inner.clone(),
            value: Some(value),
        })
    }
}

impl<T> Drop for LockAcquire<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = self.inner.borrow_mut().waiters.remove(key);
            if let Some(value) = removed.value {
                release(&self.inner, value);
            }
        }
    }
}

impl<T> fmt::Debug for LockAcquire<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.key {
            None => "idle",
            Some(_) => "waiting",
        };
        f.debug_struct("LockAcquire")
            .field("state", &state)
            .finish()
    }
}

/// Holds a [`Lock`] and gives access to its data; unlocks when dropped.
///
/// The guard is owned: it keeps its own handle to the lock, so it can be kept across
/// suspension points, stored in structs and moved between futures. Dropping it hands the
/// data to the first waiting task, or leaves the lock free if nobody waits.
///
/// # Examples
///
/// ```
/// use corio::sync::{Lock, LockGuard};
///
/// # futures::executor::block_on(async {
/// let lock = Lock::new(vec![1, 2]);
/// let mut guard: LockGuard<Vec<i32>> = lock.lock().await;
/// guard.push(3);
/// assert_eq!(*guard, [1, 2, 3]);
/// # });
/// ```
pub struct LockGuard<T> {
    lock: Rc<RefCell<Inner<T>>>,
    /// Always `Some` until the guard is dropped.
    value: Option<T>,
}

impl<T> LockGuard<T> {
    /// Unlocks and returns a handle to the lock, so that it can be locked again later.
    pub(crate) fn unlock(mut guard: Self) -> Lock<T> {
        if let Some(value) = guard.value.take() {
            release(&guard.lock, value);
        }
        Lock {
            inner: guard.lock.clone(),
        }
    }
}

// The data is never pinned: it moves back into the lock on drop.
impl<T> Unpin for LockGuard<T> {}

impl<T> Deref for LockGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("a live guard holds the data")
    }
}

impl<T> DerefMut for LockGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a live guard holds the data")
    }
}

impl<T> Drop for LockGuard<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            release(&self.lock, value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LockGuard").field(&**self).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::{Task, block_on};

    #[test]
    fn uncontended_lock_and_unlock() {
        let lock = Lock::new(1);
        block_on(async {
            *lock.lock().await += 1;
            assert_eq!(*lock.lock().await, 2);
        });
        assert_eq!(format!("{lock:?}"), "Lock { locked: false, waiters: 0 }");
    }

    #[test]
    fn waiters_get_the_lock_in_fifo_order() {
        let lock = Lock::new(Vec::new());
        let guard = lock.try_lock().unwrap();
        let mut tasks: Vec<_> = (0..3).map(|_| Task::new(lock.lock())).collect();
        for task in &mut tasks {
            task.pending();
        }
        assert_eq!(format!("{lock:?}"), "Lock { locked: true, waiters: 3 }");
        drop(guard);
        assert!(tasks[0].woken() && !tasks[1].woken() && !tasks[2].woken());
        // The later waiters are still pending even if polled first.
        tasks[2].pending();
        tasks[1].pending();
        let mut g0 = tasks[0].ready();
        g0.push(0);
        drop(g0);
        assert!(tasks[1].woken() && !tasks[2].woken());
        tasks[1].ready().push(1);
        assert!(tasks[2].woken());
        tasks[2].ready().push(2);
        assert_eq!(*lock.try_lock().unwrap(), [0, 1, 2]);
    }

    #[test]
    fn no_barging_after_unlock() {
        let lock = Lock::new(());
        let guard = lock.try_lock().unwrap();
        let mut waiter = Task::new(lock.lock());
        waiter.pending();
        drop(guard);
        assert!(lock.is_locked(), "the lock belongs to the waiter now");
        assert!(lock.try_lock().is_none());
        let mut late = Task::new(lock.lock());
        late.pending();
        drop(waiter.ready());
        late.ready();
    }

    #[test]
    fn dropping_a_queued_waiter_gives_up_its_place() {
        let lock = Lock::new(0);
        let guard = lock.try_lock().unwrap();
        let mut a = Task::new(lock.lock());
        let mut b = Task::new(lock.lock());
        a.pending();
        b.pending();
        a.cancel();
        assert_eq!(format!("{lock:?}"), "Lock { locked: true, waiters: 1 }");
        drop(guard);
        assert!(b.woken());
        b.ready();
    }

    #[test]
    fn dropping_a_handed_over_waiter_passes_the_lock_on() {
        let lock = Lock::new(0);
        let guard = lock.try_lock().unwrap();
        let mut a = Task::new(lock.lock());
        let mut b = Task::new(lock.lock());
        a.pending();
        b.pending();
        drop(guard);
        assert!(a.woken());
        a.cancel();
        assert!(b.woken());
        *b.ready() = 7;
        assert_eq!(*lock.try_lock().unwrap(), 7);
    }

    #[test]
    fn dropping_the_last_handed_over_waiter_unlocks() {
        let lock = Lock::new(0);
        let guard = lock.try_lock().unwrap();
        let mut a = Task::new(lock.lock());
        a.pending();
        drop(guard);
        a.cancel();
        assert!(!lock.is_locked());
    }

    #[test]
    fn data_outlives_the_handles_while_a_guard_lives() {
        let guard = block_on(Lock::new(String::from("kept")).lock());
        assert_eq!(*guard, "kept");
        assert_eq!(format!("{guard:?}"), r#"LockGuard("kept")"#);
    }

    #[test]
    fn debug_never_panics_while_borrowed() {
        let lock = Lock::new(());
        let _borrow = lock.inner.borrow_mut();
        assert_eq!(format!("{lock:?}"), "Lock { state: <borrowed> }");
        assert_eq!(
            format!("{:?}", lock.lock()),
            "LockAcquire { state: \"idle\" }"
        );
    }
}
