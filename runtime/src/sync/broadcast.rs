//! A multi-producer, multi-consumer broadcast channel: every receiver sees every value.
//!
//! asyncio has no broadcast primitive (the usual port is one `asyncio.Queue` per
//! subscriber); this is tokio's `broadcast` on corio's rules. [`channel`] returns a
//! [`Sender`] and a first [`Receiver`]; more receivers come from [`Sender::subscribe`] (from
//! now on) or from cloning a receiver (from where it is). [`Sender::send`] never waits: the
//! channel keeps the last `capacity` values, and a receiver that falls further behind gets
//! [`RecvError::Lagged`] with the number it missed, then continues with the oldest value
//! kept. Once every sender is gone, receivers get what is left and then
//! [`RecvError::Closed`].
//!
//! Values are cloned for each receiver (`T: Clone`; wrap big values in an `Rc`).
//! [`Receiver::recv`] takes `&self` and returns a `'static` future, so it can be awaited in a
//! `#[corio::coroutine]`. A `recv` dropped before it completes takes nothing: the value stays
//! for the next `recv` of that receiver.
//!
//! # Examples
//!
//! ```
//! use corio::sync::broadcast;
//!
//! corio::run(async {
//!     let (tx, rx1) = broadcast::channel(16);
//!     let rx2 = tx.subscribe();
//!     let listeners: Vec<_> = [rx1, rx2]
//!         .into_iter()
//!         .map(|rx| corio::spawn(async move {
//!             let mut got = Vec::new();
//!             while let Ok(v) = rx.recv().await {
//!                 got.push(v);
//!             }
//!             got
//!         }))
//!         .collect();
//!     for v in 1..=3 {
//!         tx.send(v).unwrap();
//!     }
//!     drop(tx);
//!     for listener in listeners {
//!         assert_eq!(listener.await.unwrap(), [1, 2, 3]);
//!     }
//! });
//! ```

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waiters::{WaitList, wake_all};
use crate::rt::await_chain::{self as trace, WaitingOn};

/// Creates a broadcast channel that keeps the last `capacity` values.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::broadcast::channel::<u8>(4);
/// assert_eq!(tx.receiver_count(), 1);
/// drop(rx);
/// assert!(tx.send(1).is_err()); // nobody to send to
/// ```
///
/// # Panics
///
/// Panics when `capacity` is zero: no value could be kept for a receiver to read.
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "corio::sync::broadcast::channel: capacity must be at least 1"
    );
    let shared = Rc::new(RefCell::new(Shared {
        buf: VecDeque::with_capacity(capacity.min(1024)),
        head: 0,
        capacity,
        senders: 1,
        receivers: 1,
        waiters: WaitList::new(),
    }));
    let rx = Receiver {
        inner: Rc::new(RxInner {
            shared: shared.clone(),
            next: Cell::new(0),
        }),
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    buf: VecDeque<T>,
    /// The sequence number of `buf[0]`; `head + buf.len()` is the next value's.
    head: u64,
    capacity: usize,
    senders: usize,
    receivers: usize,
    /// Receivers waiting for a value; woken (all) on each send and when the last sender goes.
    waiters: WaitList<()>,
}

impl<T> Shared<T> {
    fn tail(&self) -> u64 {
        self.head + self.buf.len() as u64
    }
}

/// The sending half of a [`broadcast`](self) channel; clones share the channel.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::broadcast::channel(2);
/// let tx2 = tx.clone();
/// tx2.send("hi").unwrap();
/// assert_eq!(rx.try_recv(), Ok("hi"));
/// ```
pub struct Sender<T> {
    shared: Rc<RefCell<Shared<T>>>,
}

impl<T: Clone> Sender<T> {
    /// Sends `value` to every receiver, without waiting; returns how many receivers there are.
    ///
    /// When the channel already keeps `capacity` values, the oldest is dropped, and a
    /// receiver that had not read it will get [`RecvError::Lagged`].
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value when there is no receiver.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::broadcast::channel(8);
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.send(5), Ok(2));
    /// assert_eq!((rx.try_recv(), rx2.try_recv()), (Ok(5), Ok(5)));
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let (wakers, evicted, receivers) = {
            let mut shared = self.shared.borrow_mut();
            if shared.receivers == 0 {
                return Err(SendError(value));
            }
            let evicted = if shared.buf.len() == shared.capacity {
                shared.head += 1;
                shared.buf.pop_front()
            } else {
                None
            };
            shared.buf.push_back(value);
            (shared.waiters.notify_all(), evicted, shared.receivers)
        };
        // User values are dropped and wakers woken outside the borrow.
        drop(evicted);
        wake_all(wakers);
        Ok(receivers)
    }

    /// A new receiver that sees the values sent from now on.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corio::sync::broadcast::channel(8);
    /// tx.send(1).unwrap();
    /// let late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        subscribe(&self.shared)
    }
}

impl<T> Sender<T> {
    /// The number of receivers.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::broadcast::channel::<()>(1);
    /// let _more = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.borrow().receivers
    }

    /// The number of values the channel keeps now (at most `capacity`).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corio::sync::broadcast::channel(2);
    /// for v in 0..5 {
    ///     tx.send(v).unwrap();
    /// }
    /// assert_eq!(tx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.borrow().buf.len()
    }

    /// Whether the channel keeps no value.
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, _rx) = corio::sync::broadcast::channel::<u8>(2);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.borrow_mut().senders += 1;
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let wakers = {
            let mut shared = self.shared.borrow_mut();
            shared.senders -= 1;
            if shared.senders > 0 {
                return;
            }
            shared.waiters.notify_all()
        };
        wake_all(wakers);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_shared(f.debug_struct("broadcast::Sender"), &self.shared)
    }
}

fn debug_shared<T>(mut d: fmt::DebugStruct<'_, '_>, shared: &RefCell<Shared<T>>) -> fmt::Result {
    match shared.try_borrow() {
        Ok(s) => d
            .field("len", &s.buf.len())
            .field("capacity", &s.capacity)
            .field("senders", &s.senders)
            .field("receivers", &s.receivers),
        Err(_) => d.field("state", &format_args!("<borrowed>")),
    };
    d.finish()
}

/// The receiving half of a [`broadcast`](self) channel.
///
/// A clone is another receiver that starts where this one is (both then see every later
/// value).
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::broadcast::channel(4);
/// tx.send('a').unwrap();
/// let copy = rx.clone();
/// assert_eq!((rx.try_recv(), copy.try_recv()), (Ok('a'), Ok('a')));
/// ```
pub struct Receiver<T> {
    inner: Rc<RxInner<T>>,
}

struct RxInner<T> {
    shared: Rc<RefCell<Shared<T>>>,
    /// The sequence number of the next value for this receiver.
    next: Cell<u64>,
}

impl<T> Drop for RxInner<T> {
    fn drop(&mut self) {
        self.shared.borrow_mut().receivers -= 1;
    }
}

impl<T: Clone> RxInner<T> {
    fn try_recv(&self) -> Result<T, TryRecvError> {
        let shared = self.shared.borrow();
        let next = self.next.get();
        if next < shared.head {
            self.next.set(shared.head);
            return Err(TryRecvError::Lagged(shared.head - next));
        }
        match shared.buf.get((next - shared.head) as usize) {
            Some(value) => {
                self.next.set(next + 1);
                Ok(value.clone())
            }
            None if shared.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value: `Ok(value)`, or an error when this receiver lagged or the
    /// channel is closed and drained.
    ///
    /// # Errors
    ///
    /// [`RecvError::Lagged(n)`](RecvError::Lagged) when `n` values were dropped before this
    /// receiver read them (the next `recv` gives the oldest value kept);
    /// [`RecvError::Closed`] when every sender is gone and this receiver has read everything.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::broadcast::{self, RecvError};
    ///
    /// corio::run(async {
    ///     let (tx, rx) = broadcast::channel(2);
    ///     for v in 0..5 {
    ///         tx.send(v).unwrap();
    ///     }
    ///     assert_eq!(rx.recv().await, Err(RecvError::Lagged(3)));
    ///     assert_eq!(rx.recv().await, Ok(3));
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Ok(4));
    ///     assert_eq!(rx.recv().await, Err(RecvError::Closed));
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn recv(&self) -> Recv<T> {
        Recv {
            rx: self.inner.clone(),
            key: None,
        }
    }

    /// Takes the next value if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when nothing new has been sent, and `Lagged`/`Closed` as for
    /// [`recv`](Receiver::recv).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::broadcast::{self, TryRecvError};
    ///
    /// let (tx, rx) = broadcast::channel::<u8>(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.inner.try_recv()
    }

    /// A new receiver that sees the values sent from now on (not those this one has not
    /// read yet).
    ///
    /// # Examples
    ///
    /// ```
    /// let (tx, rx) = corio::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let fresh = rx.resubscribe();
    /// assert!(fresh.try_recv().is_err());
    /// ```
    pub fn resubscribe(&self) -> Self {
        subscribe(&self.inner.shared)
    }
}

/// A receiver of `shared` that starts at its next value.
fn subscribe<T>(shared: &Rc<RefCell<Shared<T>>>) -> Receiver<T> {
    let next = {
        let mut s = shared.borrow_mut();
        s.receivers += 1;
        s.tail()
    };
    Receiver {
        inner: Rc::new(RxInner {
            shared: shared.clone(),
            next: Cell::new(next),
        }),
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.inner.shared.borrow_mut().receivers += 1;
        Self {
            inner: Rc::new(RxInner {
                shared: self.inner.shared.clone(),
                next: Cell::new(self.inner.next.get()),
            }),
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("broadcast::Receiver");
        d.field("next", &self.inner.next.get());
        debug_shared(d, &self.inner.shared)
    }
}

/// The future of [`Receiver::recv`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let (tx, rx) = corio::sync::broadcast::channel(1);
///     let next: corio::sync::broadcast::Recv<u8> = rx.recv();
///     tx.send(9).unwrap();
///     assert_eq!(next.await, Ok(9));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<T> {
    rx: Rc<RxInner<T>>,
    key: Option<usize>,
}

/// What a task dump says about a pending `broadcast::Receiver::recv`.
const WAITING: WaitingOn = WaitingOn::Static(&"broadcast::Receiver::recv (nothing new)");

impl<T: Clone> Future for Recv<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let this = &mut *self;
        if let Some(key) = this.key {
            let mut shared = this.rx.shared.borrow_mut();
            if !shared.waiters.poll_notified(key, cx.waker()) {
                return trace::pending(WAITING);
            }
            shared.waiters.remove(key);
            this.key = None;
        }
        match this.rx.try_recv() {
            Ok(value) => Poll::Ready(Ok(value)),
            Err(TryRecvError::Lagged(n)) => Poll::Ready(Err(RecvError::Lagged(n))),
            Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError::Closed)),
            Err(TryRecvError::Empty) => {
                let key = this
                    .rx
                    .shared
                    .borrow_mut()
                    .waiters
                    .push_back(None, cx.waker());
                this.key = Some(key);
                trace::pending(WAITING)
            }
        }
    }
}

impl<T> Drop for Recv<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Nothing was handed over: the value stays in the channel for the next `recv`.
            self.rx.shared.borrow_mut().waiters.remove(key);
        }
    }
}

impl<T> fmt::Debug for Recv<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.key.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("broadcast::Recv")
            .field("state", &state)
            .finish()
    }
}

/// [`Sender::send`] found no receiver; the value is handed back.
///
/// # Examples
///
/// ```
/// let (tx, rx) = corio::sync::broadcast::channel(1);
/// drop(rx);
/// assert_eq!(tx.send(3).unwrap_err().0, 3);
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
        f.write_str("broadcast channel has no receivers")
    }
}

impl<T> Error for SendError<T> {}

/// Why [`Receiver::recv`] gave no value.
///
/// # Examples
///
/// ```
/// use corio::sync::broadcast::RecvError;
///
/// assert_eq!(RecvError::Lagged(2).to_string(), "receiver lagged behind by 2 values");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and this receiver has read every value.
    Closed,
    /// This many values were dropped before this receiver read them.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("broadcast channel closed"),
            Self::Lagged(n) => write!(f, "receiver lagged behind by {n} values"),
        }
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`] gave no value.
///
/// # Examples
///
/// ```
/// use corio::sync::broadcast::TryRecvError;
///
/// assert_eq!(TryRecvError::Empty.to_string(), "no new value in the broadcast channel");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new has been sent.
    Empty,
    /// Every sender is gone and this receiver has read every value.
    Closed,
    /// This many values were dropped before this receiver read them.
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("no new value in the broadcast channel"),
            Self::Closed => f.write_str("broadcast channel closed"),
            Self::Lagged(n) => write!(f, "receiver lagged behind by {n} values"),
        }
    }
}

impl Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn a_send_wakes_every_waiting_receiver() {
        let (tx, rx1) = channel(4);
        let rx2 = tx.subscribe();
        let mut a = Task::new(rx1.recv());
        let mut b = Task::new(rx2.recv());
        a.pending();
        b.pending();
        assert_eq!(tx.send(7), Ok(2));
        assert!(a.woken() && b.woken());
        assert_eq!((a.ready(), b.ready()), (Ok(7), Ok(7)));
    }

    #[test]
    fn a_dropped_recv_takes_nothing() {
        let (tx, rx) = channel(4);
        let mut a = Task::new(rx.recv());
        a.pending();
        tx.send(1).unwrap();
        a.cancel();
        assert_eq!(rx.try_recv(), Ok(1));
    }

    #[test]
    fn receivers_are_counted_through_clones_and_drops() {
        let (tx, rx) = channel::<u8>(1);
        let copy = rx.clone();
        let fresh = rx.resubscribe();
        assert_eq!(tx.receiver_count(), 3);
        drop((rx, copy, fresh));
        assert_eq!(tx.receiver_count(), 0);
        assert_eq!(tx.send(1), Err(SendError(1)));
        assert_eq!(
            format!("{tx:?}"),
            "broadcast::Sender { len: 0, capacity: 1, senders: 1, receivers: 0 }"
        );
    }
}
