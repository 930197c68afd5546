//! A channel for one value whose ends are `Send`: a reply from another loop or thread.
//!
//! The `Send` twin of [`corio::sync::oneshot`](crate::sync::oneshot), with the same methods
//! and errors: [`Sender::send`] consumes the sender and never waits; the [`Receiver`] is
//! itself the future (`'static`, `Send`), so `rx.await` works in `#[corio::coroutine]`
//! bodies; [`Receiver::blocking_recv`] waits on a plain thread. Either side learns when the
//! other is dropped: `send` gives the value back, and the receiver resolves to
//! [`RecvError`].
//!
//! One waiter, one value: the state is a small `Mutex`, held only to move the value and the
//! waker in or out (never while a waker runs or a value is dropped).
//!
//! # Examples
//!
//! ```
//! use corio::sync::threadsafe::oneshot;
//!
//! #[corio::coroutine]
//! async fn ask(question: u32) -> u32 {
//!     let (tx, rx) = oneshot::channel();
//!     std::thread::spawn(move || tx.send(question * 2).unwrap());
//!     rx.await.unwrap()
//! }
//!
//! assert_eq!(corio::run(ask(21)), 42);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::block;
use crate::trace::{self, WaitingOn};

pub use crate::sync::oneshot::{RecvError, TryRecvError};

/// Creates a one-value channel and returns its two ends; both are `Send`.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::oneshot;
///
/// let (tx, rx) = oneshot::channel::<&str>();
/// std::thread::spawn(move || tx.send("done").unwrap());
/// assert_eq!(rx.blocking_recv(), Ok("done"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared(Mutex::new(State {
        value: None,
        waker: None,
        tx_alive: true,
        rx_alive: true,
    })));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

struct Shared<T>(Mutex<State<T>>);

impl<T> Shared<T> {
    /// The state; a panic elsewhere cannot leave it half-changed (every change is a few
    /// field writes), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// False once the sender sent or was dropped.
    tx_alive: bool,
    /// False once the receiver was dropped or closed.
    rx_alive: bool,
}

/// The sending end of a [`threadsafe::oneshot`](self) channel: `Send + Sync`.
///
/// Dropping it without sending makes the receiver resolve to [`RecvError`].
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::oneshot::{self, RecvError};
///
/// let (tx, rx) = oneshot::channel::<u8>();
/// std::thread::spawn(move || drop(tx)).join().unwrap();
/// assert_eq!(rx.blocking_recv(), Err(RecvError));
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends the value, consuming the sender; never waits, from any thread.
    ///
    /// The receiver's task is woken, on whichever loop or thread it waits.
    ///
    /// # Errors
    ///
    /// Gives the value back if the receiver has been dropped or closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(1), Err(1));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = self.shared.lock();
            if !state.rx_alive {
                return Err(value);
            }
            state.value = Some(value);
            state.tx_alive = false;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Returns whether the receiver has been dropped or closed, so that a send would fail.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        !self.shared.lock().rx_alive
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.shared.lock();
            if !std::mem::replace(&mut state.tx_alive, false) {
                return; // sent
            }
            state.waker.take()
        };
        if let Some(waker) = waker {
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

/// The receiving end of a [`threadsafe::oneshot`](self) channel; await it for the value.
///
/// It resolves to `Ok(value)` once the value is sent, or to [`RecvError`] if the sender is
/// dropped without sending. It is `'static` and `Send`: await it on any loop, move it to
/// another thread, or [block](Self::blocking_recv) on it. Dropping it makes a later
/// [`Sender::send`] fail and drops a value sent but not received.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::oneshot;
///
/// # corio::run(async {
/// let (tx, rx) = oneshot::channel();
/// std::thread::spawn(move || tx.send(String::from("reply")).unwrap());
/// assert_eq!(rx.await.unwrap(), "reply");
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
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
    /// use corio::sync::threadsafe::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(3).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = self.shared.lock();
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.tx_alive => Err(TryRecvError::Empty),
            None => Err(TryRecvError::Closed),
        }
    }

    /// Waits for the value, blocking this thread: for plain threads.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if the sender was dropped without sending.
    ///
    /// # Panics
    ///
    /// On a thread that runs a corio loop: `.await` the receiver there.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::oneshot;
    ///
    /// let (tx, rx) = oneshot::channel();
    /// let waiter = std::thread::spawn(move || rx.blocking_recv());
    /// corio::run(async move { tx.send(7).unwrap() });
    /// assert_eq!(waiter.join().unwrap(), Ok(7));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        block::forbid_on_loop("oneshot::Receiver::blocking_recv");
        block::block_on(self)
    }

    /// Refuses the value from now on (tokio's `Receiver::close`): a later
    /// [`Sender::send`] fails with its value. A value already sent can still be taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// rx.close();
    /// assert!(tx.is_closed());
    /// assert_eq!(tx.send(1), Err(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn close(&mut self) {
        self.shared.lock().rx_alive = false;
    }
}

/// What a task dump says about a pending receive.
const WAITING: WaitingOn = WaitingOn::Static(&"threadsafe::oneshot::Receiver (no value yet)");

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let old = {
            let mut state = self.shared.lock();
            if let Some(value) = state.value.take() {
                return Poll::Ready(Ok(value));
            }
            if !state.tx_alive {
                return Poll::Ready(Err(RecvError));
            }
            match &state.waker {
                Some(w) if w.will_wake(cx.waker()) => None,
                _ => state.waker.replace(cx.waker().clone()),
            }
        };
        // A replaced waker is dropped outside the lock: its drop may run user code.
        drop(old);
        trace::pending(WAITING)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (waker, value) = {
            let mut state = self.shared.lock();
            state.rx_alive = false;
            (state.waker.take(), state.value.take())
        };
        drop((waker, value));
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.shared.0.try_lock() {
            Ok(s) => match (&s.value, s.tx_alive) {
                (Some(_), _) => "ready",
                (None, true) => "waiting",
                (None, false) => "closed",
            },
            Err(_) => "<locked>",
        };
        f.debug_struct("Receiver").field("state", &state).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    fn assert_send_sync<T: Send + Sync>(_: &T) {}

    #[test]
    fn ends_are_send_and_sync() {
        let (tx, rx) = channel::<String>();
        assert_send_sync(&tx);
        assert_send_sync(&rx);
    }

    #[test]
    fn send_from_another_thread_wakes_the_waiting_receiver() {
        let (tx, rx) = channel();
        let mut rx = Task::new(rx);
        rx.pending();
        std::thread::spawn(move || tx.send(5).unwrap())
            .join()
            .unwrap();
        assert!(rx.woken());
        assert_eq!(rx.ready(), Ok(5));
    }

    crate::sync::testutil::oneshot_shared_tests!(Arc);
}
