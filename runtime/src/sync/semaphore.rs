use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::waiters::{WaitList, wake_all};
use crate::trace::{self, WaitingOn};

/// A counter of permits that tasks wait on: Python's `asyncio.Semaphore`.
///
/// [`acquire`](Semaphore::acquire) takes one permit, waiting while none is free, and returns
/// an owned [`Permit`] that gives it back when dropped. Waiters are served first come, first
/// served: a permit given back goes straight to the task that has waited longest, so nobody
/// barges ahead of it. `Semaphore` is a cheap handle; clones share the same permits.
///
/// # Examples
///
/// ```
/// use corio::sync::Semaphore;
///
/// # futures::executor::block_on(async {
/// let connections = Semaphore::new(2);
/// let first = connections.acquire().await;
/// let second = connections.acquire().await;
/// assert_eq!(connections.available_permits(), 0);
/// drop(first);
/// assert_eq!(connections.available_permits(), 1);
/// # });
/// ```
#[derive(Clone)]
pub struct Semaphore {
    pub(super) inner: Rc<RefCell<Inner>>,
}

pub(super) struct Inner {
    /// Free permits; while anybody waits this is zero, since releases hand permits over.
    pub(super) permits: usize,
    /// Permits given up with `Permit::forget` (what `BoundedSemaphore::release` may return).
    pub(super) forgotten: usize,
    waiters: WaitList<()>,
}

impl Semaphore {
    /// Creates a semaphore with `permits` free permits.
    ///
    /// A semaphore with zero permits blocks every `acquire` until
    /// [`add_permits`](Semaphore::add_permits) is called.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// assert_eq!(Semaphore::new(3).available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Inner {
                permits,
                forgotten: 0,
                waiters: WaitList::new(),
            })),
        }
    }

    /// Waits for a permit.
    ///
    /// The future holds its own handle to the semaphore and borrows nothing. It takes a
    /// permit at once if one is free when first polled; otherwise it queues behind the tasks
    /// already waiting. Dropping it gives up its place, and if a permit had already been
    /// handed to it, passes that permit on.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// # futures::executor::block_on(async {
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.acquire().await;
    /// assert!(semaphore.try_acquire().is_none());
    /// drop(permit);
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn acquire(&self) -> SemaphoreAcquire {
        SemaphoreAcquire {
            inner: self.inner.clone(),
            key: None,
        }
    }

    /// Takes a permit if one is free, without waiting.
    ///
    /// Returns `None` when no permit is free. Free permits and waiters never coexist, so
    /// `try_acquire` never jumps the queue.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.try_acquire();
    /// assert!(permit.is_some());
    /// assert!(semaphore.try_acquire().is_none());
    /// ```
    pub fn try_acquire(&self) -> Option<Permit> {
        let mut inner = self.inner.borrow_mut();
        inner.permits = inner.permits.checked_sub(1)?;
        Some(Permit {
            inner: Some(self.inner.clone()),
        })
    }

    /// Adds `n` permits, handing them to waiting tasks first: asyncio's `release()`.
    ///
    /// Use it to grow the semaphore, or to give back a permit given up with
    /// [`Permit::forget`].
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        let wakers = {
            let mut inner = self.inner.borrow_mut();
            let mut wakers = Vec::new();
            let mut left = n;
            while left > 0 {
                let Some((_, waker)) = inner.waiters.notify_front() else {
                    break;
                };
                wakers.extend(waker);
                left -= 1;
            }
            inner.permits += left;
            wakers
        };
        wake_all(wakers);
    }

    /// Returns the number of free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(2);
    /// let _permit = semaphore.try_acquire();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.inner.borrow().permits
    }
}

fn release(inner: &RefCell<Inner>) {
    let waker: Option<Waker> = {
        let mut inner = inner.borrow_mut();
        match inner.waiters.notify_front() {
            Some((_, waker)) => waker,
            None => {
                inner.permits += 1;
                None
            }
        }
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Semaphore");
        match self.inner.try_borrow() {
            Ok(inner) => d
                .field("permits", &inner.permits)
                .field("waiters", &inner.waiters.len()),
            Err(_) => d.field("state", &format_args!("<borrowed>")),
        };
        d.finish()
    }
}

/// The future returned by [`Semaphore::acquire`].
///
/// It completes with a [`Permit`] once a permit reaches this task. Dropping it before then
/// removes it from the queue, or passes the permit on if it was already handed over.
///
/// # Examples
///
/// ```
/// use corio::sync::{Semaphore, SemaphoreAcquire};
///
/// # futures::executor::block_on(async {
/// let semaphore = Semaphore::new(1);
/// let acquire: SemaphoreAcquire = semaphore.acquire();
/// let _permit = acquire.await;
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquire {
    inner: Rc<RefCell<Inner>>,
    key: Option<usize>,
}

/// What a task dump says about a pending `Semaphore::acquire`.
const WAITING: WaitingOn = WaitingOn::Static(&"Semaphore::acquire (no permit free)");

impl Future for SemaphoreAcquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let this = &mut *self;
        let mut inner = this.inner.borrow_mut();
        match this.key {
            None => match inner.permits.checked_sub(1) {
                Some(left) => inner.permits = left,
                None => {
                    this.key = Some(inner.waiters.push_back(None, cx.waker()));
                    return trace::pending(WAITING);
                }
            },
            Some(key) => {
                if !inner.waiters.poll_notified(key, cx.waker()) {
                    return trace::pending(WAITING);
                }
                inner.waiters.remove(key);
                this.key = None;
            }
        }
        drop(inner);
        Poll::Ready(Permit {
            inner: Some(this.inner.clone()),
        })
    }
}

impl Drop for SemaphoreAcquire {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let removed = self.inner.borrow_mut().waiters.remove(key);
            if removed.notified {
                release(&self.inner);
            }
        }
    }
}

impl fmt::Debug for SemaphoreAcquire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.key {
            None => "idle",
            Some(_) => "waiting",
        };
        f.debug_struct("SemaphoreAcquire")
            .field("state", &state)
            .finish()
    }
}

/// One permit of a [`Semaphore`]; gives it back when dropped.
///
/// The permit is owned: it keeps its own handle to the semaphore, so it can be held across
/// suspension points or moved into another task. Dropping it hands the permit to the first
/// waiting task, or returns it to the semaphore if nobody waits.
///
/// # Examples
///
/// ```
/// use corio::sync::{Permit, Semaphore};
///
/// # futures::executor::block_on(async {
/// let semaphore = Semaphore::new(1);
/// let permit: Permit = semaphore.acquire().await;
/// assert_eq!(semaphore.available_permits(), 0);
/// drop(permit);
/// assert_eq!(semaphore.available_permits(), 1);
/// # });
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct Permit {
    /// `None` once forgotten.
    inner: Option<Rc<RefCell<Inner>>>,
}

impl Permit {
    /// Consumes the permit without giving it back, shrinking the semaphore by one.
    ///
    /// [`Semaphore::add_permits`] undoes it.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        if let Some(inner) = self.inner.take() {
            inner.borrow_mut().forgotten += 1;
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            release(&inner);
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn permits_are_counted() {
        let semaphore = Semaphore::new(2);
        let a = Task::new(semaphore.acquire()).ready();
        let b = semaphore.try_acquire().unwrap();
        assert!(semaphore.try_acquire().is_none());
        drop(a);
        drop(b);
        assert_eq!(
            format!("{semaphore:?}"),
            "Semaphore { permits: 2, waiters: 0 }"
        );
    }

    #[test]
    fn waiters_get_permits_in_fifo_order_without_barging() {
        let semaphore = Semaphore::new(1);
        let held = semaphore.try_acquire().unwrap();
        let mut a = Task::new(semaphore.acquire());
        let mut b = Task::new(semaphore.acquire());
        a.pending();
        b.pending();
        assert_eq!(
            format!("{semaphore:?}"),
            "Semaphore { permits: 0, waiters: 2 }"
        );
        drop(held);
        assert!(a.woken() && !b.woken());
        assert!(semaphore.try_acquire().is_none(), "the permit is a's");
        b.pending();
        let pa = a.ready();
        drop(pa);
        assert!(b.woken());
        drop(b.ready());
        assert_eq!(semaphore.available_permits(), 1);
    }

    #[test]
    fn add_permits_serves_waiters_first() {
        let semaphore = Semaphore::new(0);
        let mut a = Task::new(semaphore.acquire());
        let mut b = Task::new(semaphore.acquire());
        a.pending();
        b.pending();
        semaphore.add_permits(3);
        assert!(a.woken() && b.woken());
        assert_eq!(semaphore.available_permits(), 1);
        let (pa, pb) = (a.ready(), b.ready());
        pa.forget();
        drop(pb);
        assert_eq!(semaphore.available_permits(), 2);
    }

    #[test]
    fn dropping_a_queued_waiter_gives_up_its_place() {
        let semaphore = Semaphore::new(0);
        let mut a = Task::new(semaphore.acquire());
        let mut b = Task::new(semaphore.acquire());
        a.pending();
        b.pending();
        a.cancel();
        semaphore.add_permits(1);
        assert!(!a.woken() && b.woken());
        b.ready().forget();
    }

    #[test]
    fn dropping_a_handed_over_waiter_passes_the_permit_on() {
        let semaphore = Semaphore::new(0);
        let mut a = Task::new(semaphore.acquire());
        let mut b = Task::new(semaphore.acquire());
        a.pending();
        b.pending();
        semaphore.add_permits(1);
        a.cancel();
        assert!(b.woken());
        drop(b.ready());
        // And with nobody left, a cancelled handoff returns the permit.
        let mut c = Task::new(semaphore.acquire());
        let held = semaphore.try_acquire().unwrap();
        c.pending();
        drop(held);
        c.cancel();
        assert_eq!(semaphore.available_permits(), 1);
    }

    #[test]
    fn debug_never_panics_while_borrowed() {
        let semaphore = Semaphore::new(1);
        let _borrow = semaphore.inner.borrow_mut();
        assert_eq!(format!("{semaphore:?}"), "Semaphore { state: <borrowed> }");
    }
}
