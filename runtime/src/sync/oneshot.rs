//! A channel for sending one value from one task to another.
//!
//! [`channel`] returns a [`Sender`] and a [`Receiver`]. [`Sender::send`] consumes the sender
//! and never waits; the receiver is itself the future that waits for the value, like an
//! asyncio `Future` whose result one task sets and another awaits. Either side learns when
//! the other is dropped: `send` gives the value back, and the receiver resolves to
//! [`RecvError`].
//!
//! There is only one waiter, so this module needs no waiter list: the shared state is a few
//! `Cell`s, and no user code runs while any of them is taken apart.
//!
//! # Examples
//!
//! ```
//! use corio::sync::oneshot;
//!
//! # futures::executor::block_on(async {
//! let (tx, rx) = oneshot::channel();
//! let worker = async move {
//!     tx.send(6 * 7).unwrap();
//! };
//! let (answer, ()) = futures::join!(rx, worker);
//! assert_eq!(answer, Ok(42));
//! # });
//! ```

use crate::trace::{self, WaitingOn};
use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Creates a one-value channel and returns its two ends.
///
/// Neither end can be cloned; both are cheap to move into other tasks.
///
/// # Examples
///
/// ```
/// use corio::sync::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel::<&str>();
/// tx.send("done").unwrap();
/// assert_eq!(rx.await, Ok("done"));
/// # });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Shared {
        value: Cell::new(None),
        waker: Cell::new(None),
        tx_alive: Cell::new(true),
        rx_alive: Cell::new(true),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    value: Cell<Option<T>>,
    waker: Cell<Option<Waker>>,
    /// False once the sender sent or was dropped.
    tx_alive: Cell<bool>,
    rx_alive: Cell<bool>,
}

/// The sending end of a [`oneshot`](self) channel.
///
/// Dropping it without sending makes the receiver resolve to [`RecvError`].
///
/// # Examples
///
/// ```
/// use corio::sync::oneshot::{self, RecvError};
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel::<u8>();
/// drop(tx);
/// assert_eq!(rx.await, Err(RecvError));
/// # });
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends the value, consuming the sender; never waits.
    ///
    /// The value is delivered when the receiver is next polled, and the receiver's task is
    /// woken.
    ///
    /// # Errors
    ///
    /// Gives the value back if the receiver has been dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        if !self.shared.rx_alive.get() {
            return Err(value);
        }
        self.shared.value.set(Some(value));
        self.shared.tx_alive.set(false);
        if let Some(waker) = self.shared.waker.take() {
            waker.wake();
        }
        Ok(())
    }

    /// Returns whether the receiver has been dropped, so that a send would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        !self.shared.rx_alive.get()
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.shared.tx_alive.replace(false)
            && let Some(waker) = self.shared.waker.take()
        {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The receiving end of a [`oneshot`](self) channel; await it for the value.
///
/// It resolves to `Ok(value)` once the value is sent, or to [`RecvError`] if the sender is
/// dropped without sending. Dropping the receiver makes a later [`Sender::send`] fail and
/// drops a value sent but not received (there is no other receiver to pass it to).
///
/// # Examples
///
/// ```
/// use corio::sync::oneshot;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = oneshot::channel();
/// tx.send(String::from("reply")).unwrap();
/// assert_eq!(rx.await.unwrap(), "reply");
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing has been sent yet (or the value was already
    /// taken), [`TryRecvError::Closed`] if the sender was dropped without sending.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.shared.value.take() {
            Some(value) => Ok(value),
            None if self.shared.tx_alive.get() => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Closed),
        }
    }
}

/// What a task dump says about a pending receive.
const WAITING: WaitingOn = WaitingOn::Static(&"oneshot::Receiver (no value yet)");

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let shared = &self.shared;
        if let Some(value) = shared.value.take() {
            return Poll::Ready(Ok(value));
        }
        if !shared.tx_alive.get() {
            return Poll::Ready(Err(RecvError));
        }
        let waker = match shared.waker.take() {
            Some(old) if old.will_wake(cx.waker()) => old,
            _ => cx.waker().clone(),
        };
        shared.waker.set(Some(waker));
        trace::pending(WAITING)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.rx_alive.set(false);
        drop(self.shared.waker.take());
        drop(self.shared.value.take());
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.shared.value.take();
        let state = match (&value, self.shared.tx_alive.get()) {
            (Some(_), _) => "ready",
            (None, true) => "waiting",
            (None, false) => "closed",
        };
        self.shared.value.set(value);
        f.debug_struct("Receiver").field("state", &state).finish()
    }
}

/// The error a [`Receiver`] resolves to when its sender was dropped without sending.
///
/// # Examples
///
/// ```
/// use corio::sync::oneshot::RecvError;
///
/// assert_eq!(RecvError.to_string(), "the sender was dropped without sending");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the sender was dropped without sending")
    }
}

impl Error for RecvError {}

/// The error of [`Receiver::try_recv`].
///
/// # Examples
///
/// ```
/// use corio::sync::oneshot::{self, TryRecvError};
///
/// let (tx, mut rx) = oneshot::channel::<()>();
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing has been sent yet.
    Empty,
    /// The sender was dropped without sending.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "no value has been sent yet",
            Self::Closed => "the sender was dropped without sending",
        })
    }
}

impl Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn send_wakes_the_waiting_receiver() {
        let (tx, rx) = channel();
        let mut rx = Task::new(rx);
        rx.pending();
        assert!(!rx.woken());
        tx.send(5).unwrap();
        assert!(rx.woken());
        assert_eq!(rx.ready(), Ok(5));
    }

    crate::sync::testutil::oneshot_shared_tests!(Rc);
}
