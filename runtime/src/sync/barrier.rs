use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waiters::{WaitList, wake_all};
use crate::rt::await_chain::{self as trace, WaitingOn};

/// A meeting point for a fixed number of tasks: Python's `asyncio.Barrier` (3.11).
///
/// Each task calls [`wait`](Barrier::wait); the first `parties - 1` wait, and the one that
/// makes `parties` releases them all at once. Each gets a different index in
/// `0..parties` (asyncio's return value), in the order they arrived, so exactly one task sees
/// `parties - 1` (the one that arrived last) and can do the once-per-round work. The barrier
/// is cyclic: a task arriving after a release starts the next round.
///
/// [`abort`](Barrier::abort) breaks it: waiting tasks and every later `wait` get
/// [`BrokenBarrierError`] until [`reset`](Barrier::reset). A task dropped while it waits
/// leaves the round (it no longer counts); nothing is handed to a waiter that would have to
/// be passed on. `Barrier` is a cheap handle; clones share the same barrier.
///
/// # Examples
///
/// ```
/// use corio::sync::Barrier;
///
/// corio::run(async {
///     let barrier = Barrier::new(3);
///     let workers: Vec<_> = (0..3)
///         .map(|_| {
///             let barrier = barrier.clone();
///             corio::spawn(async move { barrier.wait().await.unwrap() })
///         })
///         .collect();
///     let mut indices = Vec::new();
///     for worker in workers {
///         indices.push(worker.await.unwrap());
///     }
///     indices.sort_unstable();
///     assert_eq!(indices, [0, 1, 2]);
/// });
/// ```
#[derive(Clone)]
pub struct Barrier {
    inner: Rc<RefCell<Inner>>,
}

struct Inner {
    parties: usize,
    broken: bool,
    /// The tasks of the current round; each is handed its index (or the error) on release.
    waiters: WaitList<Result<usize, BrokenBarrierError>>,
}

impl Barrier {
    /// Creates a barrier for `parties` tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(corio::sync::Barrier::new(4).parties(), 4);
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when `parties` is zero (asyncio raises `ValueError`): no round could ever end.
    #[track_caller]
    pub fn new(parties: usize) -> Self {
        assert!(
            parties > 0,
            "corio::sync::Barrier::new: parties must be at least 1"
        );
        Self {
            inner: Rc::new(RefCell::new(Inner {
                parties,
                broken: false,
                waiters: WaitList::new(),
            })),
        }
    }

    /// Waits until `parties` tasks are waiting, and gives this task's arrival index.
    ///
    /// The future holds its own handle and borrows nothing.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] when the barrier is broken, or is aborted or reset while this
    /// task waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let alone = Barrier::new(1);
    ///     assert_eq!(alone.wait().await, Ok(0));
    ///     assert_eq!(alone.wait().await, Ok(0)); // a new round
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn wait(&self) -> BarrierWait {
        BarrierWait {
            inner: self.inner.clone(),
            key: None,
        }
    }

    /// Breaks the barrier: current and later waits fail until [`reset`](Barrier::reset).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Barrier::new(2);
    ///     barrier.abort();
    ///     assert!(barrier.is_broken());
    ///     assert!(barrier.wait().await.is_err());
    /// });
    /// ```
    pub fn abort(&self) {
        let wakers = {
            let mut inner = self.inner.borrow_mut();
            inner.broken = true;
            fail_all(&mut inner.waiters)
        };
        wake_all(wakers);
    }

    /// Fails the tasks waiting now with [`BrokenBarrierError`] and starts afresh, not broken.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Barrier::new(2);
    ///     let waiter = corio::spawn(barrier.wait());
    ///     corio::yield_now().await;
    ///     barrier.reset();
    ///     assert!(waiter.await.unwrap().is_err());
    ///     assert!(!barrier.is_broken());
    /// });
    /// ```
    pub fn reset(&self) {
        let wakers = {
            let mut inner = self.inner.borrow_mut();
            inner.broken = false;
            fail_all(&mut inner.waiters)
        };
        wake_all(wakers);
    }

    /// The number of tasks needed to pass.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(corio::sync::Barrier::new(2).parties(), 2);
    /// ```
    pub fn parties(&self) -> usize {
        self.inner.borrow().parties
    }

    /// The number of tasks waiting in the current round: asyncio's `n_waiting`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Barrier;
    ///
    /// corio::run(async {
    ///     let barrier = Barrier::new(3);
    ///     let _a = corio::spawn(barrier.wait());
    ///     corio::yield_now().await;
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     barrier.abort();
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.inner.borrow().waiters.len()
    }

    /// Whether the barrier is broken: asyncio's `broken`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!corio::sync::Barrier::new(1).is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.inner.borrow().broken
    }
}

fn fail_all(waiters: &mut WaitList<Result<usize, BrokenBarrierError>>) -> Vec<std::task::Waker> {
    let mut wakers = Vec::new();
    while let Some((slot, waker)) = waiters.notify_front() {
        *slot = Some(Err(BrokenBarrierError(())));
        wakers.extend(waker);
    }
    wakers
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Barrier");
        match self.inner.try_borrow() {
            Ok(inner) => d
                .field("parties", &inner.parties)
                .field("waiting", &inner.waiters.len())
                .field("broken", &inner.broken),
            Err(_) => d.field("state", &format_args!("<borrowed>")),
        };
        d.finish()
    }
}

/// The future of [`Barrier::wait`]: this task's index in its round.
///
/// # Examples
///
/// ```
/// use corio::sync::{Barrier, BarrierWait};
///
/// corio::run(async {
///     let barrier = Barrier::new(1);
///     let wait: BarrierWait = barrier.wait();
///     assert_eq!(wait.await, Ok(0));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait {
    inner: Rc<RefCell<Inner>>,
    key: Option<usize>,
}

/// What a task dump says about a pending `Barrier::wait`.
const WAITING: WaitingOn = WaitingOn::Static(&"Barrier::wait (round not full)");

impl Future for BarrierWait {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let this = &mut *self;
        let mut inner = this.inner.borrow_mut();
        if let Some(key) = this.key {
            if !inner.waiters.poll_notified(key, cx.waker()) {
                return trace::pending(WAITING);
            }
            this.key = None;
            let handed = inner.waiters.remove(key).value;
            return Poll::Ready(handed.unwrap_or(Err(BrokenBarrierError(()))));
        }
        if inner.broken {
            return Poll::Ready(Err(BrokenBarrierError(())));
        }
        let index = inner.waiters.len();
        if index + 1 < inner.parties {
            this.key = Some(inner.waiters.push_back(None, cx.waker()));
            return trace::pending(WAITING);
        }
        // This task completes the round: release everyone, in arrival order.
        let mut wakers = Vec::with_capacity(index);
        let mut next = 0;
        while let Some((slot, waker)) = inner.waiters.notify_front() {
            *slot = Some(Ok(next));
            next += 1;
            wakers.extend(waker);
        }
        drop(inner);
        wake_all(wakers);
        Poll::Ready(Ok(index))
    }
}

impl Drop for BarrierWait {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // A queued waiter leaves the round; a released one has nothing to pass on.
            self.inner.borrow_mut().waiters.remove(key);
        }
    }
}

impl fmt::Debug for BarrierWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.key.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("BarrierWait")
            .field("state", &state)
            .finish()
    }
}

/// The barrier was aborted or reset: asyncio's `BrokenBarrierError`.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let barrier = corio::sync::Barrier::new(2);
///     barrier.abort();
///     let err = barrier.wait().await.unwrap_err();
///     assert_eq!(err.to_string(), "the barrier is broken (aborted or reset)");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError(());

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken (aborted or reset)")
    }
}

impl Error for BrokenBarrierError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn a_round_releases_everyone_with_arrival_indices() {
        let barrier = Barrier::new(3);
        let mut a = Task::new(barrier.wait());
        let mut b = Task::new(barrier.wait());
        a.pending();
        b.pending();
        assert_eq!(barrier.n_waiting(), 2);
        let mut c = Task::new(barrier.wait());
        assert_eq!(c.ready(), Ok(2));
        assert!(a.woken() && b.woken());
        assert_eq!((a.ready(), b.ready()), (Ok(0), Ok(1)));
        // The next round starts empty.
        let mut d = Task::new(barrier.wait());
        d.pending();
        assert_eq!(barrier.n_waiting(), 1);
    }

    #[test]
    fn a_dropped_waiter_leaves_the_round() {
        let barrier = Barrier::new(2);
        let mut a = Task::new(barrier.wait());
        a.pending();
        a.cancel();
        assert_eq!(barrier.n_waiting(), 0);
        let mut b = Task::new(barrier.wait());
        b.pending(); // it needs a partner; the dropped one does not count
        let mut c = Task::new(barrier.wait());
        assert_eq!(c.ready(), Ok(1));
        assert_eq!(b.ready(), Ok(0));
    }

    #[test]
    fn a_released_waiter_dropped_before_it_runs_does_not_disturb_the_others() {
        let barrier = Barrier::new(2);
        let mut a = Task::new(barrier.wait());
        a.pending();
        let mut b = Task::new(barrier.wait());
        assert_eq!(b.ready(), Ok(1));
        a.cancel();
        assert_eq!(
            format!("{barrier:?}"),
            "Barrier { parties: 2, waiting: 0, broken: false }"
        );
    }

    #[test]
    fn abort_and_reset() {
        let barrier = Barrier::new(2);
        let mut a = Task::new(barrier.wait());
        a.pending();
        barrier.abort();
        assert!(a.woken());
        assert!(a.ready().is_err());
        let mut b = Task::new(barrier.wait());
        assert!(b.ready().is_err());
        barrier.reset();
        let mut c = Task::new(barrier.wait());
        c.pending();
        barrier.reset();
        assert!(c.ready().is_err());
        let mut d = Task::new(barrier.wait());
        d.pending();
        let mut e = Task::new(barrier.wait());
        assert_eq!((e.ready(), d.ready()), (Ok(1), Ok(0)));
    }
}
