//! A single-value channel that receivers watch for changes: the latest value only.
//!
//! asyncio has no watch primitive (the usual port is a value plus an `asyncio.Condition`, or
//! an `Event` that is set and cleared); this is tokio's `watch` on corio's rules.
//! [`channel`] returns a [`Sender`] and a [`Receiver`] around one value. [`Sender::send`]
//! replaces it and wakes every receiver waiting in [`Receiver::changed`]; receivers that
//! were busy see only the latest value, never a queue of old ones. Each receiver remembers
//! which version it has seen.
//!
//! [`Receiver::changed`] takes `&self` and returns a `'static` future, so it can be awaited
//! in a `#[corio::coroutine]`; read the value with [`Receiver::get`] (a clone) there, since a
//! [`borrow`](Receiver::borrow) cannot be held across an `.await` in a coroutine (and should
//! not be anywhere: the sender cannot replace the value while it is borrowed). A `changed`
//! dropped before it completes marks nothing as seen.
//!
//! # Examples
//!
//! ```
//! use corio::sync::watch;
//!
//! corio::run(async {
//!     let (tx, rx) = watch::channel("starting");
//!     let observer = corio::spawn(async move {
//!         let mut seen = vec![rx.get()];
//!         while rx.changed().await.is_ok() {
//!             seen.push(rx.get());
//!         }
//!         seen
//!     });
//!     corio::yield_now().await;
//!     tx.send("ready").unwrap();
//!     corio::yield_now().await;
//!     tx.send("draining").unwrap();
//!     tx.send("stopped").unwrap(); // the observer was not running: it sees the latest only
//!     drop(tx);
//!     assert_eq!(observer.await.unwrap(), ["starting", "ready", "stopped"]);
//! });
//! ```

use std::cell::{Cell, Ref, RefCell};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waiters::{WaitList, wake_all};
use crate::rt::await_chain::{self as trace, WaitingOn};

/// Creates a watch channel holding `init`.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::watch::channel(0);
/// tx.send(1).unwrap();
/// assert_eq!(*rx.borrow(), 1);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Shared {
        value: RefCell::new(init),
        state: RefCell::new(State {
            version: 0,
            senders: 1,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    let rx = Receiver {
        inner: Rc::new(RxInner {
            shared: shared.clone(),
            seen: Cell::new(0),
        }),
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    /// Kept apart from `state`, so that a `borrow()` of the value does not block bookkeeping.
    value: RefCell<T>,
    state: RefCell<State>,
}

struct State {
    /// Increases with every send.
    version: u64,
    senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
}

/// The sending half of a [`watch`](self) channel; clones share the channel.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::watch::channel(1);
/// tx.clone().send(2).unwrap();
/// assert_eq!(rx.get(), 2);
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Replaces the value and notifies the receivers.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, which is then not stored, when there is no receiver
    /// (use [`send_replace`](Sender::send_replace) to store it anyway).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::watch::channel('a');
    /// tx.send('b').unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send('c').unwrap_err().0, 'c');
    /// assert_eq!(*tx.borrow(), 'b');
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when the value is borrowed (a [`Ref`] from `borrow` is alive).
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.state.borrow().receivers == 0 {
            return Err(SendError(value));
        }
        drop(self.send_replace(value));
        Ok(())
    }

    /// Replaces the value whether or not anyone watches, notifies the receivers, and returns
    /// the old value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corio::sync::watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when the value is borrowed (a [`Ref`] from `borrow` is alive).
    #[track_caller]
    pub fn send_replace(&self, value: T) -> T {
        let mut value = value;
        self.send_modify(|current| std::mem::swap(current, &mut value));
        value
    }

    /// Changes the value in place and notifies the receivers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when the value is borrowed (a [`Ref`] from `borrow` is alive).
    #[track_caller]
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        {
            let Ok(mut value) = self.shared.value.try_borrow_mut() else {
                panic!(
                    "corio::sync::watch: the value was changed while a `borrow()` of it is \
                     alive; drop the `Ref` before sending"
                );
            };
            modify(&mut value);
        }
        let wakers = {
            let mut state = self.shared.state.borrow_mut();
            state.version += 1;
            state.waiters.notify_all()
        };
        wake_all(wakers);
    }

    /// Borrows the current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corio::sync::watch::channel(5);
    /// assert_eq!(*tx.borrow(), 5);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        self.shared.value.borrow()
    }

    /// A new receiver, which has seen the current value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let seen = {
            let mut state = self.shared.state.borrow_mut();
            state.receivers += 1;
            state.version
        };
        Receiver {
            inner: Rc::new(RxInner {
                shared: self.shared.clone(),
                seen: Cell::new(seen),
            }),
        }
    }

    /// The number of receivers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::watch::channel(());
    /// let _two = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.state.borrow().receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.state.borrow_mut().senders += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut state = self.shared.state.borrow_mut();
            state.senders -= 1;
            if state.senders > 0 {
                return;
            }
            state.waiters.notify_all()
        };
        wake_all(wakers);
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_shared(f.debug_struct("watch::Sender"), &self.shared)
    }
}

fn debug_shared<T: fmt::Debug>(mut d: fmt::DebugStruct<'_, '_>, shared: &Shared<T>) -> fmt::Result {
    match shared.value.try_borrow() {
        Ok(value) => d.field("value", &*value),
        Err(_) => d.field("value", &format_args!("<borrowed>")),
    };
    if let Ok(state) = shared.state.try_borrow() {
        d.field("version", &state.version)
            .field("receivers", &state.receivers);
    }
    d.finish()
}

/// The receiving half of a [`watch`](self) channel.
///
/// A clone is another receiver that has seen what this one has.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::watch::channel(0);
/// tx.send(1).unwrap();
/// let copy = rx.clone();
/// assert_eq!(copy.has_changed(), Ok(true));
/// ```
pub struct Receiver<T> {
    inner: Rc<RxInner<T>>,
}

struct RxInner<T> {
    shared: Rc<Shared<T>>,
    /// The version this receiver has seen.
    seen: Cell<u64>,
}

impl<T> Drop for RxInner<T> {
    fn drop(&mut self) {
        self.shared.state.borrow_mut().receivers -= 1;
    }
}

impl<T> Receiver<T> {
    /// Waits until the value changes after the version this receiver has seen, then marks
    /// the new version seen. Returns at once when a change is already unseen.
    ///
    /// # Errors
    ///
    /// [`RecvError`] when every sender is gone and the latest value has been seen: no change
    /// can come any more.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let (tx, rx) = corio::sync::watch::channel(0);
    ///     let waiter = corio::spawn(async move { rx.changed().await.map(|()| rx.get()) });
    ///     corio::yield_now().await;
    ///     tx.send(1).unwrap();
    ///     assert_eq!(waiter.await.unwrap(), Ok(1));
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn changed(&self) -> Changed<T> {
        Changed {
            rx: self.inner.clone(),
            key: None,
        }
    }

    /// Whether the value changed since this receiver last marked it seen.
    ///
    /// # Errors
    ///
    /// [`RecvError`] when every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.has_changed(), Ok(true));
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let state = self.inner.shared.state.borrow();
        if state.senders == 0 {
            return Err(RecvError(()));
        }
        Ok(state.version != self.inner.seen.get())
    }

    /// Borrows the current value, without marking it seen.
    ///
    /// Drop the `Ref` before the sender sends (it panics otherwise); in a coroutine, use
    /// [`get`](Receiver::get).
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = corio::sync::watch::channel(String::from("hi"));
    /// assert_eq!(rx.borrow().len(), 2);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        self.inner.shared.value.borrow()
    }

    /// Borrows the current value and marks it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn borrow_and_update(&self) -> Ref<'_, T> {
        self.inner
            .seen
            .set(self.inner.shared.state.borrow().version);
        self.inner.shared.value.borrow()
    }

    /// A clone of the current value, without marking it seen.
    ///
    /// # Examples
    ///
    /// ```
    /// let (_tx, rx) = corio::sync::watch::channel(7);
    /// assert_eq!(rx.get(), 7);
    /// ```
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.inner.shared.value.borrow().clone()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.inner.shared.state.borrow_mut().receivers += 1;
        Self {
            inner: Rc::new(RxInner {
                shared: self.inner.shared.clone(),
                seen: Cell::new(self.inner.seen.get()),
            }),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("watch::Receiver");
        d.field("seen", &self.inner.seen.get());
        debug_shared(d, &self.inner.shared)
    }
}

/// The future of [`Receiver::changed`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let (tx, rx) = corio::sync::watch::channel(0);
///     tx.send(1).unwrap();
///     let changed: corio::sync::watch::Changed<i32> = rx.changed();
///     assert!(changed.await.is_ok());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Changed<T> {
    rx: Rc<RxInner<T>>,
    key: Option<usize>,
}

/// What a task dump says about a pending `watch::Receiver::changed`.
const WAITING: WaitingOn = WaitingOn::Static(&"watch::Receiver::changed (no change yet)");

impl<T> Future for Changed<T> {
    type Output = Result<(), RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let this = &mut *self;
        let mut state = this.rx.shared.state.borrow_mut();
        if let Some(key) = this.key {
            if !state.waiters.poll_notified(key, cx.waker()) {
                return trace::pending(WAITING);
            }
            state.waiters.remove(key);
            this.key = None;
        }
        if state.version != this.rx.seen.get() {
            this.rx.seen.set(state.version);
            return Poll::Ready(Ok(()));
        }
        if state.senders == 0 {
            return Poll::Ready(Err(RecvError(())));
        }
        this.key = Some(state.waiters.push_back(None, cx.waker()));
        trace::pending(WAITING)
    }
}

impl<T> Drop for Changed<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Nothing was marked seen: the change is still there for the next `changed`.
            self.rx.shared.state.borrow_mut().waiters.remove(key);
        }
    }
}

impl<T> fmt::Debug for Changed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.key.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("watch::Changed")
            .field("state", &state)
            .finish()
    }
}

/// [`Sender::send`] found no receiver; the value is handed back.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::watch::channel(0);
/// drop(rx);
/// assert_eq!(tx.send(3).unwrap_err().to_string(), "watch channel has no receivers");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("watch channel has no receivers")
    }
}

impl<T> Error for SendError<T> {}

/// Every sender of a [`watch`](self) channel is gone, so no change can come.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let (tx, rx) = corio::sync::watch::channel(0);
///     drop(tx);
///     let err = rx.changed().await.unwrap_err();
///     assert_eq!(err.to_string(), "watch channel closed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("watch channel closed")
    }
}

impl Error for RecvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn a_send_wakes_every_watcher_and_they_see_the_latest() {
        let (tx, rx1) = channel(0);
        let rx2 = rx1.clone();
        let mut a = Task::new(rx1.changed());
        let mut b = Task::new(rx2.changed());
        a.pending();
        b.pending();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert!(a.woken() && b.woken());
        assert_eq!((a.ready(), b.ready()), (Ok(()), Ok(())));
        assert_eq!((rx1.get(), rx2.get()), (2, 2));
        assert_eq!(rx1.has_changed(), Ok(false));
    }

    #[test]
    fn a_dropped_changed_marks_nothing_seen() {
        let (tx, rx) = channel(0);
        let mut a = Task::new(rx.changed());
        a.pending();
        tx.send(1).unwrap();
        a.cancel();
        assert_eq!(rx.has_changed(), Ok(true));
        let mut b = Task::new(rx.changed());
        assert_eq!(b.ready(), Ok(()));
    }

    #[test]
    fn closing_gives_the_last_change_then_an_error() {
        let (tx, rx) = channel(0);
        tx.send(1).unwrap();
        drop(tx);
        assert_eq!(Task::new(rx.changed()).ready(), Ok(()));
        assert_eq!(Task::new(rx.changed()).ready(), Err(RecvError(())));
    }

    #[test]
    fn sending_while_borrowed_panics_with_a_clear_message() {
        let (tx, rx) = channel(0);
        let held = rx.borrow();
        let err =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.send(1))).unwrap_err();
        let msg = err
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| err.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(msg.contains("drop the `Ref` before sending"), "{msg}");
        drop(held);
        assert_eq!(rx.get(), 0);
        assert!(!format!("{tx:?}").is_empty());
    }
}
