use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waiters::{WaitList, wake_all};

/// A flag that tasks can wait on: Python's `asyncio.Event`.
///
/// An event starts unset. [`wait`](Event::wait) completes at once while the event is set and
/// otherwise parks until [`set`](Event::set), which wakes every waiter, in the order they
/// started waiting. [`clear`](Event::clear) unsets it again; waiters that `set` already woke
/// still complete, as in asyncio. `Event` is a cheap handle: clones share the same flag.
///
/// # Examples
///
/// ```
/// use corio::sync::Event;
///
/// # futures::executor::block_on(async {
/// let ready = Event::new();
/// let waiter = ready.wait();
/// ready.set();
/// waiter.await;
/// assert!(ready.is_set());
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<RefCell<Inner>>,
}

#[derive(Default)]
struct Inner {
    set: bool,
    waiters: WaitList<()>,
}

impl Event {
    /// Creates an unset event.
    ///
    /// The event owns no resources beyond its shared state, which is freed when the last
    /// handle and the last [`EventWait`] are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// assert!(!Event::new().is_set());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the event and wakes every task waiting on it.
    ///
    /// Waiters are woken in the order they started waiting. Setting an event that is already
    /// set does nothing; later calls to [`wait`](Event::wait) complete at once until
    /// [`clear`](Event::clear).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// let event = Event::new();
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn set(&self) {
        let wakers = {
            let mut inner = self.inner.borrow_mut();
            inner.set = true;
            inner.waiters.notify_all()
        };
        wake_all(wakers);
    }

    /// Unsets the event.
    ///
    /// Tasks that call [`wait`](Event::wait) afterwards park until the next
    /// [`set`](Event::set). Waiters already woken by an earlier `set` still complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// let event = Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        self.inner.borrow_mut().set = false;
    }

    /// Returns whether the event is set.
    ///
    /// This is a snapshot: on a single-threaded loop it stays true until this task next
    /// suspends or calls [`clear`](Event::clear).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// let event = Event::new();
    /// assert!(!event.is_set());
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.inner.borrow().set
    }

    /// Waits until the event is set.
    ///
    /// The returned future holds its own handle to the event, so it borrows nothing and can
    /// be stored or awaited anywhere. It completes at once if the event is set when first
    /// polled; otherwise it joins the back of the waiters and completes after the next
    /// [`set`](Event::set), even if the event has been cleared again by then.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Event;
    ///
    /// # futures::executor::block_on(async {
    /// let done = Event::new();
    /// let worker = {
    ///     let done = done.clone();
    ///     async move { done.set() }
    /// };
    /// futures::join!(done.wait(), worker);
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn wait(&self) -> EventWait {
        EventWait {
            inner: self.inner.clone(),
            key: None,
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Event");
        match self.inner.try_borrow() {
            Ok(inner) => d
                .field("set", &inner.set)
                .field("waiters", &inner.waiters.len()),
            Err(_) => d.field("state", &format_args!("<borrowed>")),
        };
        d.finish()
    }
}

/// The future returned by [`Event::wait`].
///
/// It completes with `()` once the event is set. Dropping it before then removes it from the
/// event's waiters; the others are unaffected.
///
/// # Examples
///
/// ```
/// use corio::sync::{Event, EventWait};
///
/// # futures::executor::block_on(async {
/// let event = Event::new();
/// let wait: EventWait = event.wait();
/// event.set();
/// wait.await;
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait {
    inner: Rc<RefCell<Inner>>,
    key: Option<usize>,
}

impl Future for EventWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut inner = this.inner.borrow_mut();
        match this.key {
            None if inner.set => Poll::Ready(()),
            None => {
                this.key = Some(inner.waiters.push_back(None, cx.waker()));
                Poll::Pending
            }
            Some(key) if inner.waiters.poll_notified(key, cx.waker()) => {
                inner.waiters.remove(key);
                this.key = None;
                Poll::Ready(())
            }
            Some(_) => Poll::Pending,
        }
    }
}

impl Drop for EventWait {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // A set() wakes everyone, so a notified waiter has nothing to pass on.
            self.inner.borrow_mut().waiters.remove(key);
        }
    }
}

impl fmt::Debug for EventWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.key {
            None => "idle",
            Some(_) => "waiting",
        };
        f.debug_struct("EventWait").field("state", &state).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn set_wakes_every_waiter_in_fifo_order() {
        let event = Event::new();
        let mut a = Task::new(event.wait());
        let mut b = Task::new(event.wait());
        a.pending();
        b.pending();
        assert_eq!(format!("{event:?}"), "Event { set: false, waiters: 2 }");
        event.set();
        assert!(a.woken() && b.woken());
        b.ready();
        a.ready();
        assert_eq!(format!("{event:?}"), "Event { set: true, waiters: 0 }");
    }

    #[test]
    fn wait_on_a_set_event_is_immediate_and_clear_rearms() {
        let event = Event::new();
        event.set();
        Task::new(event.wait()).ready();
        event.clear();
        let mut late = Task::new(event.wait());
        late.pending();
        assert!(!late.woken());
    }

    #[test]
    fn waiters_woken_before_a_clear_still_complete() {
        let event = Event::new();
        let mut a = Task::new(event.wait());
        a.pending();
        event.set();
        event.clear();
        a.ready();
    }

    #[test]
    fn dropping_a_waiter_leaves_the_others_queued() {
        let event = Event::new();
        let mut a = Task::new(event.wait());
        let mut b = Task::new(event.wait());
        let mut c = Task::new(event.wait());
        a.pending();
        b.pending();
        c.pending();
        b.cancel();
        assert_eq!(format!("{event:?}"), "Event { set: false, waiters: 2 }");
        event.set();
        assert!(!b.woken());
        a.ready();
        c.ready();
    }

    #[test]
    fn dropping_a_notified_waiter_does_not_disturb_the_others() {
        let event = Event::new();
        let mut a = Task::new(event.wait());
        let mut b = Task::new(event.wait());
        a.pending();
        b.pending();
        event.set();
        a.cancel();
        b.ready();
        assert_eq!(
            format!("{:?}", event.inner.borrow().waiters),
            "WaitList { queued: 0, notified: 0 }"
        );
    }

    #[test]
    fn debug_never_panics_while_borrowed() {
        let event = Event::new();
        let _borrow = event.inner.borrow_mut();
        assert_eq!(format!("{event:?}"), "Event { state: <borrowed> }");
    }
}
