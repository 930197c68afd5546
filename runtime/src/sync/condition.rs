use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::lock::{Lock, LockAcquire, LockGuard};
use super::waiters::{WaitList, wake_all};

/// Lets tasks wait until another task says that shared state has changed: Python's
/// `asyncio.Condition`.
///
/// A condition pairs with a [`Lock`] that protects the state it is about, in the manner of
/// `std::sync::Condvar`: [`wait`](Condition::wait) takes that lock's [`LockGuard`], unlocks,
/// waits for [`notify`](Condition::notify) or [`notify_all`](Condition::notify_all), and locks
/// again before it returns the guard. asyncio's `async with cond` is `lock.lock().await` here.
/// Notifications wake waiters in the order they started waiting, and a notification is not
/// remembered: one sent while nobody waits is lost, so check the state under the lock before
/// waiting, or use [`wait_for`](Condition::wait_for). `Condition` is a cheap handle.
///
/// # Examples
///
/// ```
/// use corio::sync::{Condition, Lock};
///
/// # futures::executor::block_on(async {
/// let ready = Lock::new(false);
/// let changed = Condition::new();
/// let consumer = async {
///     let guard = changed.wait_for(ready.lock().await, |ready| *ready).await;
///     assert!(*guard);
/// };
/// let producer = async {
///     *ready.lock().await = true;
///     changed.notify_all();
/// };
/// futures::join!(consumer, producer);
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Condition {
    waiters: Rc<RefCell<WaitList<()>>>,
}

impl Condition {
    /// Creates a condition with no waiters.
    ///
    /// It is not tied to a lock yet: each [`wait`](Condition::wait) brings the guard of the
    /// lock it releases. Use the same lock for every wait on one condition.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Condition;
    ///
    /// let condition = Condition::new();
    /// condition.notify(); // nobody waits: lost
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Unlocks `guard`'s lock, waits for a notification, then locks it again.
    ///
    /// When first polled, the future joins the back of the waiters and unlocks, in that order,
    /// so a notification sent by whoever takes the lock next cannot be missed. After it is
    /// notified it queues for the lock like any other [`Lock::lock`] and completes with the new
    /// guard. As with asyncio, wake-ups only mean "look again": re-check the state.
    ///
    /// Dropping the future before it is notified removes it from the waiters; dropping it
    /// after it was notified but before it ran passes the notification on to the next waiter.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Condition, Lock};
    ///
    /// # futures::executor::block_on(async {
    /// let items = Lock::new(Vec::new());
    /// let pushed = Condition::new();
    /// let consumer = async {
    ///     let mut guard = items.lock().await;
    ///     while guard.is_empty() {
    ///         guard = pushed.wait(guard).await;
    ///     }
    ///     guard.pop()
    /// };
    /// let producer = async {
    ///     items.lock().await.push(1);
    ///     pushed.notify();
    /// };
    /// let (item, ()) = futures::join!(consumer, producer);
    /// assert_eq!(item, Some(1));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn wait<T>(&self, guard: LockGuard<T>) -> ConditionWait<T> {
        ConditionWait {
            cond: self.clone(),
            state: WaitState::Start(guard),
        }
    }

    /// Waits until `predicate` holds for the locked state, then returns the guard.
    ///
    /// The predicate runs with the lock held: first when the future is first polled, then
    /// after each notification. This is asyncio's `wait_for` and the loop that
    /// [`wait`](Condition::wait) otherwise needs.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Condition, Lock};
    ///
    /// # futures::executor::block_on(async {
    /// let count = Lock::new(3);
    /// let changed = Condition::new();
    /// // Already true: returns at once.
    /// let guard = changed.wait_for(count.lock().await, |n| *n >= 3).await;
    /// assert_eq!(*guard, 3);
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn wait_for<T, F>(&self, guard: LockGuard<T>, predicate: F) -> ConditionWaitFor<T, F>
    where
        F: FnMut(&mut T) -> bool,
    {
        ConditionWaitFor {
            cond: self.clone(),
            predicate,
            state: ForState::Check(guard),
        }
    }

    /// Wakes the task that has waited longest, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Condition, Lock};
    ///
    /// # futures::executor::block_on(async {
    /// let flag = Lock::new(false);
    /// let condition = Condition::new();
    /// let waiter = async {
    ///     let mut guard = flag.lock().await;
    ///     while !*guard {
    ///         guard = condition.wait(guard).await;
    ///     }
    /// };
    /// let notifier = async {
    ///     *flag.lock().await = true;
    ///     condition.notify();
    /// };
    /// futures::join!(waiter, notifier);
    /// # });
    /// ```
    pub fn notify(&self) {
        let waker = self
            .waiters
            .borrow_mut()
            .notify_front()
            .and_then(|(_, waker)| waker);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every waiting task, in the order they started waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Condition, Lock};
    ///
    /// # futures::executor::block_on(async {
    /// let go = Lock::new(false);
    /// let condition = Condition::new();
    /// let runner = || async {
    ///     let guard = condition.wait_for(go.lock().await, |go| *go).await;
    ///     assert!(*guard);
    /// };
    /// let starter = async {
    ///     *go.lock().await = true;
    ///     condition.notify_all();
    /// };
    /// futures::join!(runner(), runner(), starter);
    /// # });
    /// ```
    pub fn notify_all(&self) {
        let wakers = self.waiters.borrow_mut().notify_all();
        wake_all(wakers);
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Condition");
        match self.waiters.try_borrow() {
            Ok(waiters) => d.field("waiters", &waiters.len()),
            Err(_) => d.field("state", &format_args!("<borrowed>")),
        };
        d.finish()
    }
}

/// The future returned by [`Condition::wait`].
///
/// It completes with the lock's guard after a notification. See [`Condition::wait`] for what
/// dropping it early does.
///
/// # Examples
///
/// ```
/// use corio::sync::{Condition, ConditionWait, Lock};
///
/// # futures::executor::block_on(async {
/// let lock = Lock::new(0);
/// let condition = Condition::new();
/// let wait: ConditionWait<i32> = condition.wait(lock.lock().await);
/// let notify = async { condition.notify() };
/// let (guard, ()) = futures::join!(wait, notify);
/// assert_eq!(*guard, 0);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<T> {
    cond: Condition,
    state: WaitState<T>,
}

enum WaitState<T> {
    /// Not polled yet: still holds the lock.
    Start(LockGuard<T>),
    /// Queued on the condition, lock released.
    Waiting {
        key: usize,
        lock: Lock<T>,
    },
    /// Notified, queued on the lock.
    Acquiring(LockAcquire<T>),
    Done,
}

// The guard and the data are never pinned: they only move between the lock and the future.
impl<T> Unpin for ConditionWait<T> {}

impl<T> Future for ConditionWait<T> {
    type Output = LockGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<T>> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                WaitState::Start(_) => {
                    let WaitState::Start(guard) =
                        std::mem::replace(&mut this.state, WaitState::Done)
                    else {
                        unreachable!()
                    };
                    let key = this.cond.waiters.borrow_mut().push_back(None, cx.waker());
                    let lock = LockGuard::unlock(guard);
                    this.state = WaitState::Waiting { key, lock };
                    return Poll::Pending;
                }
                WaitState::Waiting { key, lock } => {
                    let mut waiters = this.cond.waiters.borrow_mut();
                    if !waiters.poll_notified(*key, cx.waker()) {
                        return Poll::Pending;
                    }
                    waiters.remove(*key);
                    drop(waiters);
                    this.state = WaitState::Acquiring(lock.lock());
                }
                WaitState::Acquiring(acquire) => {
                    let guard = std::task::ready!(Pin::new(acquire).poll(cx));
                    this.state = WaitState::Done;
                    return Poll::Ready(guard);
                }
                WaitState::Done => panic!("`ConditionWait` polled after completion"),
            }
        }
    }
}

impl<T> Drop for ConditionWait<T> {
    fn drop(&mut self) {
        if let WaitState::Waiting { key, .. } = self.state {
            let removed = self.cond.waiters.borrow_mut().remove(key);
            if removed.notified {
                self.cond.notify();
            }
        }
    }
}

impl<T> fmt::Debug for ConditionWait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            WaitState::Start(_) => "start",
            WaitState::Waiting { .. } => "waiting",
            WaitState::Acquiring(_) => "acquiring",
            WaitState::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("state", &state)
            .finish()
    }
}

/// The future returned by [`Condition::wait_for`].
///
/// It completes with the lock's guard once the predicate holds. Dropping it early behaves as
/// dropping a [`ConditionWait`].
///
/// # Examples
///
/// ```
/// use corio::sync::{Condition, Lock};
///
/// # futures::executor::block_on(async {
/// let lock = Lock::new(1);
/// let condition = Condition::new();
/// let guard = condition.wait_for(lock.lock().await, |n| *n == 1).await;
/// assert_eq!(*guard, 1);
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWaitFor<T, F> {
    cond: Condition,
    predicate: F,
    state: ForState<T>,
}

enum ForState<T> {
    Check(LockGuard<T>),
    Waiting(ConditionWait<T>),
    Done,
}

// Nothing is pinned: the predicate is only called through `&mut`.
impl<T, F> Unpin for ConditionWaitFor<T, F> {}

impl<T, F> Future for ConditionWaitFor<T, F>
where
    F: FnMut(&mut T) -> bool,
{
    type Output = LockGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<T>> {
        let this = &mut *self;
        loop {
            match std::mem::replace(&mut this.state, ForState::Done) {
                ForState::Check(mut guard) => {
                    if (this.predicate)(&mut guard) {
                        return Poll::Ready(guard);
                    }
                    this.state = ForState::Waiting(this.cond.wait(guard));
                }
                ForState::Waiting(mut wait) => match Pin::new(&mut wait).poll(cx) {
                    Poll::Ready(guard) => this.state = ForState::Check(guard),
                    Poll::Pending => {
                        this.state = ForState::Waiting(wait);
                        return Poll::Pending;
                    }
                },
                ForState::Done => panic!("`ConditionWaitFor` polled after completion"),
            }
        }
    }
}

impl<T, F> fmt::Debug for ConditionWaitFor<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            ForState::Check(_) => "checking",
            ForState::Waiting(ConditionWait {
                state: WaitState::Acquiring(_),
                ..
            }) => "acquiring",
            ForState::Waiting(_) => "waiting",
            ForState::Done => "done",
        };
        f.debug_struct("ConditionWaitFor")
            .field("state", &state)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn wait_releases_the_lock_and_reacquires_it() {
        let lock = Lock::new(0);
        let cond = Condition::new();
        let mut waiter = Task::new(cond.wait(lock.try_lock().unwrap()));
        assert!(lock.is_locked());
        waiter.pending();
        assert!(!lock.is_locked(), "waiting releases the lock");
        assert_eq!(format!("{cond:?}"), "Condition { waiters: 1 }");

        let mut guard = lock.try_lock().unwrap();
        *guard = 5;
        cond.notify();
        assert!(waiter.woken());
        waiter.pending(); // notified, now queued on the lock we hold
        drop(guard);
        assert!(waiter.woken());
        assert_eq!(*waiter.ready(), 5);
    }

    #[test]
    fn notify_wakes_one_in_fifo_order_and_notify_all_the_rest() {
        let lock = Lock::new(());
        let cond = Condition::new();
        let wait = || {
            let mut task = Task::new(cond.wait(lock.try_lock().unwrap()));
            task.pending();
            task
        };
        let (mut a, mut b, mut c) = (wait(), wait(), wait());
        cond.notify();
        assert!(a.woken() && !b.woken() && !c.woken());
        cond.notify_all();
        assert!(b.woken() && c.woken());
        // They re-lock one by one, in notification order.
        let ga = a.ready();
        b.pending();
        c.pending();
        drop(ga);
        assert!(b.woken() && !c.woken());
        drop(b.ready());
        drop(c.ready());
    }

    #[test]
    fn dropping_a_queued_waiter_leaves_the_notification_for_the_next() {
        let lock = Lock::new(());
        let cond = Condition::new();
        let mut a = Task::new(cond.wait(lock.try_lock().unwrap()));
        a.pending();
        let mut b = Task::new(cond.wait(lock.try_lock().unwrap()));
        b.pending();
        a.cancel();
        cond.notify();
        assert!(b.woken());
        b.ready();
    }

    #[test]
    fn dropping_a_notified_waiter_passes_the_notification_on() {
        let lock = Lock::new(());
        let cond = Condition::new();
        let mut a = Task::new(cond.wait(lock.try_lock().unwrap()));
        a.pending();
        let mut b = Task::new(cond.wait(lock.try_lock().unwrap()));
        b.pending();
        cond.notify();
        assert!(!b.woken());
        a.cancel();
        assert!(b.woken());
        drop(b.ready());
        assert!(!lock.is_locked());
    }

    #[test]
    fn dropping_a_waiter_while_it_relocks_passes_the_lock_on() {
        let lock = Lock::new(());
        let cond = Condition::new();
        let mut a = Task::new(cond.wait(lock.try_lock().unwrap()));
        a.pending();
        let held = lock.try_lock().unwrap();
        cond.notify();
        a.pending();
        let mut other = Task::new(lock.lock());
        other.pending();
        drop(held); // handed to `a`, which is then dropped
        a.cancel();
        assert!(other.woken());
        other.ready();
    }

    #[test]
    fn dropping_an_unpolled_wait_unlocks() {
        let lock = Lock::new(());
        let cond = Condition::new();
        drop(cond.wait(lock.try_lock().unwrap()));
        assert!(!lock.is_locked());
        assert_eq!(format!("{cond:?}"), "Condition { waiters: 0 }");
    }

    #[test]
    fn wait_for_rechecks_after_each_notification() {
        let lock = Lock::new(0);
        let cond = Condition::new();
        let mut waiter = Task::new(cond.wait_for(lock.try_lock().unwrap(), |n| *n >= 2));
        waiter.pending();
        for n in 1..=2 {
            *lock.try_lock().unwrap() = n;
            cond.notify();
            assert!(waiter.woken());
            if n < 2 {
                waiter.pending();
            }
        }
        assert_eq!(*waiter.ready(), 2);
    }

    #[test]
    fn debug_never_panics_while_borrowed() {
        let cond = Condition::new();
        let _borrow = cond.waiters.borrow_mut();
        assert_eq!(format!("{cond:?}"), "Condition { state: <borrowed> }");
    }
}
