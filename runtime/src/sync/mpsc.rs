//! A bounded multi-producer, single-consumer channel.
//!
//! [`channel`] returns a [`Sender`], which can be cloned, and a [`Receiver`]. Sends wait while
//! the channel holds `cap` items; [`Receiver::recv`] waits while it is empty and returns
//! `None` once every sender is gone and the buffer is drained. Dropping the receiver makes
//! every send, waiting or not, give its item back. Both sides are served first come, first
//! served with handoffs, as in [`Queue`](super::Queue), whose buffer this channel shares.
//!
//! # Examples
//!
//! ```
//! use corio::sync::mpsc;
//!
//! # futures::executor::block_on(async {
//! let (tx, rx) = mpsc::channel(8);
//! let producer = async move {
//!     for i in 0..3 {
//!         tx.send(i).await.unwrap();
//!     }
//!     // `tx` is dropped here, which ends the stream
//! };
//! let consumer = async {
//!     let mut got = Vec::new();
//!     while let Some(i) = rx.recv().await {
//!         got.push(i);
//!     }
//!     got
//! };
//! let ((), got) = futures::join!(producer, consumer);
//! assert_eq!(got, [0, 1, 2]);
//! # });
//! ```

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::buffer::{Buffer, GetError, PutError};
use crate::trace::{self, WaitingOn};

/// Creates a channel that holds at most `cap` items and returns its two ends.
///
/// # Panics
///
/// If `cap` is zero; for an unbounded buffer use a [`Queue`](super::Queue) with `maxsize` 0.
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = mpsc::channel(1);
/// tx.send("one").await.unwrap();
/// assert_eq!(rx.recv().await, Some("one"));
/// # });
/// ```
pub fn channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(cap > 0, "mpsc::channel capacity must be at least 1");
    let shared = Rc::new(Shared {
        buf: RefCell::new(Buffer::new(cap)),
        senders: Cell::new(1),
        receivers: Cell::new(1),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { rx: RxRef(shared) },
    )
}

struct Shared<T> {
    buf: RefCell<Buffer<T>>,
    /// Live `Sender`s, including those held by pending sends.
    senders: Cell<usize>,
    /// The `Receiver` and its pending `recv` futures.
    receivers: Cell<usize>,
}

/// The sending end of an [`mpsc`](self) channel; clone it for more producers.
///
/// The channel closes for the receiver when the last sender (counting the ones held by
/// pending [`send`](Sender::send) futures) is dropped.
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = mpsc::channel(4);
/// let tx2 = tx.clone();
/// tx.send(1).await.unwrap();
/// tx2.send(2).await.unwrap();
/// drop((tx, tx2));
/// assert_eq!(rx.recv().await, Some(1));
/// assert_eq!(rx.recv().await, Some(2));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends an item, waiting while the channel is full.
    ///
    /// The future owns the item and a clone of the sender, and borrows nothing. An item sent
    /// while the receiver waits goes straight to it. Dropping the future while it waits takes
    /// the item out of line again (it is dropped), even after a `recv` made room for it: the
    /// room goes to the next waiting `send`.
    ///
    /// # Errors
    ///
    /// Resolves to `Err(item)` if the receiver is dropped before the item is accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = mpsc::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(5).await, Err(5));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn send(&self, item: T) -> SendFuture<T> {
        SendFuture {
            sender: self.clone(),
            key: None,
            item: Some(item),
        }
    }

    /// Sends an item if there is room, without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the channel is full (or others are already waiting to send),
    /// [`TrySendError::Closed`] if the receiver is gone; both hold the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc::{self, TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        let put = self.shared.buf.borrow_mut().try_put(item);
        match put {
            Ok(waker) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
                Ok(())
            }
            Err(PutError::Full(item)) => Err(TrySendError::Full(item)),
            Err(PutError::Closed(item)) => Err(TrySendError::Closed(item)),
        }
    }

    /// Returns whether the receiver is gone, so that every send fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel::<()>(1);
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.buf.borrow().rx_closed()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.set(self.shared.senders.get() + 1);
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let left = self.shared.senders.get() - 1;
        self.shared.senders.set(left);
        if left == 0 {
            Buffer::close_tx(&self.shared.buf);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_channel(f.debug_struct("Sender"), &self.shared)
    }
}

fn debug_channel<T>(mut d: fmt::DebugStruct<'_, '_>, shared: &Shared<T>) -> fmt::Result {
    match shared.buf.try_borrow() {
        Ok(buf) => {
            d.field("cap", &buf.cap());
            buf.debug_fields(&mut d);
            d.field("senders", &shared.senders.get())
                .field("closed", &buf.rx_closed());
        }
        Err(_) => {
            d.field("state", &format_args!("<borrowed>"));
        }
    }
    d.finish()
}

/// The receiving end of an [`mpsc`](self) channel.
///
/// Dropping it (and any pending [`recv`](Receiver::recv) futures) closes the channel: waiting
/// and later sends fail with their item, and buffered items are dropped.
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc;
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = mpsc::channel(2);
/// tx.try_send('a').unwrap();
/// assert_eq!(rx.recv().await, Some('a'));
/// # });
/// ```
pub struct Receiver<T> {
    rx: RxRef<T>,
}

/// A counted reference that keeps the receiving side open.
struct RxRef<T>(Rc<Shared<T>>);

impl<T> RxRef<T> {
    fn new_ref(&self) -> Self {
        self.0.receivers.set(self.0.receivers.get() + 1);
        Self(self.0.clone())
    }
}

impl<T> Drop for RxRef<T> {
    fn drop(&mut self) {
        let left = self.0.receivers.get() - 1;
        self.0.receivers.set(left);
        if left == 0 {
            Buffer::close_rx(&self.0.buf);
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next item, waiting while the channel is empty.
    ///
    /// Resolves to `None` once every sender is gone and every item sent has been received.
    /// The future holds its own reference to the channel and borrows nothing. Dropping it
    /// while it waits gives up its place; if an item had already been handed to it, the item
    /// goes back to the front of the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// # futures::executor::block_on(async {
    /// let (tx, rx) = mpsc::channel(1);
    /// let producer = async move { tx.send(1).await.unwrap() };
    /// let (item, ()) = futures::join!(rx.recv(), producer);
    /// assert_eq!(item, Some(1));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn recv(&self) -> RecvFuture<T> {
        RecvFuture {
            rx: self.rx.new_ref(),
            key: None,
        }
    }

    /// Receives the next item if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if the channel is empty, [`TryRecvError::Closed`] if it is
    /// empty and every sender is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc::{self, TryRecvError};
    ///
    /// let (tx, rx) = mpsc::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let got = self.rx.0.buf.borrow_mut().try_get();
        match got {
            Ok((item, waker)) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
                Ok(item)
            }
            Err(GetError::Empty) => Err(TryRecvError::Empty),
            Err(GetError::Closed) => Err(TryRecvError::Closed),
        }
    }

    /// Returns the number of items waiting in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(2);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.0.buf.borrow().len()
    }

    /// Returns whether no item is waiting in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc;
    ///
    /// let (_tx, rx) = mpsc::channel::<()>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_channel(f.debug_struct("Receiver"), &self.rx.0)
    }
}

/// The future returned by [`Sender::send`].
///
/// It resolves to `Ok(())` once the item is accepted, or to `Err(item)` if the receiver is
/// gone. Dropping it while it waits drops the item.
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc::{self, SendFuture};
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = mpsc::channel(1);
/// let send: SendFuture<u8> = tx.send(1);
/// send.await.unwrap();
/// assert_eq!(rx.try_recv(), Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<T> {
    sender: Sender<T>,
    key: Option<usize>,
    item: Option<T>,
}

// The item is never pinned: the future only moves it into the channel.
impl<T> Unpin for SendFuture<T> {}

/// What a task dump says about a pending send.
const SENDING: WaitingOn = WaitingOn::Static(&"mpsc::Sender::send (channel full)");
/// What a task dump says about a pending receive.
const RECEIVING: WaitingOn = WaitingOn::Static(&"mpsc::Receiver::recv (channel empty)");

impl<T> Future for SendFuture<T> {
    type Output = Result<(), T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T>> {
        if let Some(traced) = trace::traced(|| SENDING) {
            return traced;
        }
        let this = &mut *self;
        let poll = Buffer::poll_put(&this.sender.shared.buf, &mut this.key, &mut this.item, cx);
        trace::note(poll, SENDING)
    }
}

impl<T> Drop for SendFuture<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            Buffer::drop_put(&self.sender.shared.buf, key);
        }
    }
}

impl<T> fmt::Debug for SendFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (self.key, &self.item) {
            (Some(_), _) => "waiting",
            (None, Some(_)) => "idle",
            (None, None) => "done",
        };
        f.debug_struct("SendFuture").field("state", &state).finish()
    }
}

/// The future returned by [`Receiver::recv`].
///
/// It resolves to the next item, or to `None` once the channel is closed and drained. See
/// [`Receiver::recv`] for what dropping it early does.
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc::{self, RecvFuture};
///
/// # futures::executor::block_on(async {
/// let (tx, rx) = mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// let recv: RecvFuture<i32> = rx.recv();
/// assert_eq!(recv.await, Some(1));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<T> {
    rx: RxRef<T>,
    key: Option<usize>,
}

impl<T> Future for RecvFuture<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(traced) = trace::traced(|| RECEIVING) {
            return traced;
        }
        let this = &mut *self;
        let poll = Buffer::poll_get(&this.rx.0.buf, &mut this.key, cx);
        trace::note(poll, RECEIVING)
    }
}

impl<T> Drop for RecvFuture<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            Buffer::drop_get(&self.rx.0.buf, key);
        }
    }
}

impl<T> fmt::Debug for RecvFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.key.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("RecvFuture").field("state", &state).finish()
    }
}

/// The error of [`Sender::try_send`]; holds the item that was not sent.
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc::{self, TrySendError};
///
/// let (tx, rx) = mpsc::channel(1);
/// drop(rx);
/// let err = tx.try_send(7).unwrap_err();
/// assert_eq!(err.to_string(), "the receiver is gone");
/// assert_eq!(err.into_inner(), 7);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The channel is full.
    Full(T),
    /// The receiver is gone.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// Returns the item that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::mpsc::TrySendError;
    ///
    /// assert_eq!(TrySendError::Full(1).into_inner(), 1);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::Closed(item) => item,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "Full(..)",
            Self::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "the channel is full",
            Self::Closed(_) => "the receiver is gone",
        })
    }
}

impl<T> Error for TrySendError<T> {}

/// The error of [`Receiver::try_recv`].
///
/// # Examples
///
/// ```
/// use corio::sync::mpsc::{self, TryRecvError};
///
/// let (tx, rx) = mpsc::channel::<()>(1);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// The channel is empty, but senders remain.
    Empty,
    /// The channel is empty and every sender is gone.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "the channel is empty",
            Self::Closed => "the channel is empty and every sender is gone",
        })
    }
}

impl Error for TryRecvError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::{Task, block_on};

    #[test]
    fn items_arrive_in_order_and_recv_ends_with_none() {
        let (tx, rx) = channel(2);
        block_on(async {
            tx.send(1).await.unwrap();
            tx.send(2).await.unwrap();
        });
        drop(tx);
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(block_on(rx.recv()), Some(2));
        assert_eq!(block_on(rx.recv()), None);
    }

    #[test]
    fn senders_wait_while_full_and_are_admitted_in_fifo_order() {
        let (tx, rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut a = Task::new(tx.send(1));
        let mut b = Task::new(tx.send(2));
        a.pending();
        b.pending();
        assert_eq!(
            format!("{rx:?}"),
            "Receiver { cap: 1, len: 1, getters: 0, putters: 2, senders: 3, closed: false }"
        );
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(a.woken() && !b.woken());
        assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
        assert_eq!(a.ready(), Ok(()));
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(b.woken());
        assert_eq!(b.ready(), Ok(()));
        assert_eq!(rx.try_recv(), Ok(2));
    }

    #[test]
    fn a_send_to_a_waiting_receiver_is_a_handoff() {
        let (tx, rx) = channel(1);
        let mut recv = Task::new(rx.recv());
        recv.pending();
        tx.try_send('x').unwrap();
        assert!(recv.woken());
        assert_eq!(rx.len(), 1, "in the channel until the receiver runs");
        // As tokio: capacity comes back when the receiver has the message.
        assert!(matches!(tx.try_send('y'), Err(TrySendError::Full('y'))));
        assert_eq!(recv.ready(), Some('x'));
        assert_eq!(rx.len(), 0);
        tx.try_send('y').unwrap();
        assert_eq!(rx.try_recv(), Ok('y'));
    }

    #[test]
    fn dropping_the_last_sender_wakes_the_receiver() {
        let (tx, rx) = channel::<()>(1);
        let tx2 = tx.clone();
        let mut recv = Task::new(rx.recv());
        recv.pending();
        drop(tx);
        assert!(!recv.woken());
        drop(tx2);
        assert!(recv.woken());
        assert_eq!(recv.ready(), None);
    }

    #[test]
    fn a_pending_send_keeps_the_channel_open() {
        let (tx, rx) = channel(1);
        tx.try_send(1).unwrap();
        let mut send = Task::new(tx.send(2));
        send.pending();
        drop(tx);
        assert_eq!(block_on(rx.recv()), Some(1));
        assert_eq!(send.ready(), Ok(()));
        assert_eq!(block_on(rx.recv()), Some(2));
        assert_eq!(block_on(rx.recv()), None);
    }

    #[test]
    fn dropping_the_receiver_fails_waiting_and_later_sends() {
        let (tx, rx) = channel(1);
        let buffered = Rc::new(());
        let tx_rc = {
            let (tx_rc, rx_rc) = channel(1);
            tx_rc.try_send(buffered.clone()).unwrap();
            drop(rx_rc);
            tx_rc
        };
        assert_eq!(Rc::strong_count(&buffered), 1, "buffered items are dropped");
        assert!(tx_rc.is_closed());

        tx.try_send(0).unwrap();
        let mut send = Task::new(tx.send(1));
        send.pending();
        drop(rx);
        assert!(send.woken());
        assert_eq!(send.ready(), Err(1));
        assert_eq!(tx.try_send(2), Err(TrySendError::Closed(2)));
        assert_eq!(block_on(tx.send(3)), Err(3));
    }

    #[test]
    fn dropping_a_queued_sender_future_drops_its_item_and_keeps_order() {
        let (tx, rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut a = Task::new(tx.send(1));
        let mut b = Task::new(tx.send(2));
        a.pending();
        b.pending();
        a.cancel();
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(b.woken());
        b.ready().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
    }

    #[test]
    fn dropping_a_handed_over_recv_puts_the_item_back() {
        let (tx, rx) = channel(1);
        let mut a = Task::new(rx.recv());
        let mut b = Task::new(rx.recv());
        a.pending();
        b.pending();
        tx.try_send(1).unwrap();
        a.cancel(); // handed 1, dropped before it ran: 1 goes to `b`
        assert!(b.woken());
        assert_eq!(b.ready(), Some(1));

        let mut c = Task::new(rx.recv());
        c.pending();
        tx.try_send(2).unwrap();
        c.cancel(); // nobody else waits: back to the front
        assert_eq!(rx.try_recv(), Ok(2));
    }

    #[test]
    fn item_destructors_may_use_the_channel() {
        struct Reenter(Sender<Reenter>);
        impl Drop for Reenter {
            fn drop(&mut self) {
                assert!(self.0.is_closed());
                let _ = format!("{:?}", self.0);
            }
        }
        let (tx, rx) = channel(1);
        tx.try_send(Reenter(tx.clone())).unwrap();
        drop(rx); // drops the buffered item, whose destructor looks at the channel
        assert!(tx.is_closed());
    }

    #[test]
    #[should_panic = "capacity must be at least 1"]
    fn zero_capacity_panics() {
        let _ = channel::<()>(0);
    }

    #[test]
    fn debug_never_panics_while_borrowed() {
        let (tx, rx) = channel::<()>(1);
        let _borrow = tx.shared.buf.borrow_mut();
        assert_eq!(format!("{tx:?}"), "Sender { state: <borrowed> }");
        assert_eq!(format!("{rx:?}"), "Receiver { state: <borrowed> }");
    }
}
