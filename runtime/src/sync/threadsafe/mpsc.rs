//! A multi-producer, single-consumer channel whose ends are `Send`: between loops on
//! different threads, and plain threads.
//!
//! The `Send` twin of [`corio::sync::mpsc`](crate::sync::mpsc), with the same methods and
//! errors, plus [`unbounded_channel`] and the blocking [`Sender::blocking_send`] /
//! [`Receiver::blocking_recv`] for plain threads. [`Receiver::recv`] waits while the channel
//! is empty and returns `None` once every sender is gone and the buffer is drained; dropping
//! (or [closing](Receiver::close)) the receiver makes every send, waiting or not, give its
//! item back. See [the module above](super) for the cancellation guarantees.
//!
//! # Examples
//!
//! Two loops, each on its own thread, one sending to the other from a coroutine body:
//!
//! ```
//! use corio::sync::threadsafe::mpsc;
//!
//! #[corio::coroutine]
//! async fn produce(tx: mpsc::Sender<String>) {
//!     for word in ["one", "two"] {
//!         tx.send(word.to_string()).await.unwrap(); // the future borrows nothing
//!     }
//! }
//!
//! let (tx, rx) = mpsc::channel(1);
//! let producer = std::thread::spawn(move || corio::run(produce(tx)));
//! let words = corio::run(async move {
//!     let mut words = Vec::new();
//!     while let Some(w) = rx.recv().await {
//!         words.push(w);
//!     }
//!     words
//! });
//! producer.join().unwrap();
//! assert_eq!(words, ["one", "two"]);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use concurrent_queue::{ConcurrentQueue, PopError, PushError};
use event_listener::{Event, EventListener};

use super::block;
use crate::trace::{self, WaitingOn};

pub use crate::sync::mpsc::{TryRecvError, TrySendError};

/// Creates a channel that holds at most `cap` items and returns its two ends.
///
/// # Panics
///
/// If `cap` is zero; use [`unbounded_channel`] for a channel that is never full.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::mpsc;
///
/// let (tx, rx) = mpsc::channel(1);
/// std::thread::spawn(move || tx.blocking_send("hi").unwrap());
/// assert_eq!(rx.blocking_recv(), Some("hi"));
/// ```
pub fn channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(cap > 0, "mpsc::channel capacity must be at least 1");
    with_queue(ConcurrentQueue::bounded(cap))
}

/// Creates a channel that is never full and returns its two ends.
///
/// [`Sender::send`] completes at once (or fails, if the receiver is gone); memory is the
/// only bound, as with tokio's `unbounded_channel`.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::mpsc;
///
/// let (tx, rx) = mpsc::unbounded_channel();
/// for i in 0..1000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded_channel<T>() -> (Sender<T>, Receiver<T>) {
    with_queue(ConcurrentQueue::unbounded())
}

fn with_queue<T>(queue: ConcurrentQueue<T>) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        queue,
        send_ops: Event::new(),
        recv_ops: Event::new(),
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
    });
    (Sender { chan: chan.clone() }, Receiver { rx: RxRef(chan) })
}

struct Chan<T> {
    /// The items; closed when the receiving side or every sender is gone. A closed queue
    /// refuses pushes and still gives out what it holds.
    queue: ConcurrentQueue<T>,
    /// Sends waiting for room.
    send_ops: Event,
    /// Receives waiting for an item (or the close).
    recv_ops: Event,
    /// Live `Sender`s, including those held by pending sends.
    senders: AtomicUsize,
    /// The `Receiver` and its pending `recv` futures.
    receivers: AtomicUsize,
}

impl<T> Chan<T> {
    /// Closes the queue and wakes every waiter of both sides; whether this call closed it.
    fn close(&self) -> bool {
        let closed = self.queue.close();
        if closed {
            self.send_ops.notify(usize::MAX);
            self.recv_ops.notify(usize::MAX);
        }
        closed
    }

    fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        match self.queue.push(item) {
            Ok(()) => {
                // `additional`: one more receiver, even if another was woken and has not
                // run yet; each item wakes its own.
                self.recv_ops.notify_additional(1);
                Ok(())
            }
            Err(PushError::Full(item)) => Err(TrySendError::Full(item)),
            Err(PushError::Closed(item)) => Err(TrySendError::Closed(item)),
        }
    }

    fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.queue.pop() {
            Ok(item) => {
                self.send_ops.notify_additional(1);
                Ok(item)
            }
            Err(PopError::Empty) => Err(TryRecvError::Empty),
            Err(PopError::Closed) => Err(TryRecvError::Closed),
        }
    }
}

/// The sending end of a [`threadsafe::mpsc`](self) channel: `Send + Sync + Clone`.
///
/// The channel closes for the receiver when the last sender (counting the ones held by
/// pending [`send`](Sender::send) futures) is dropped.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::mpsc;
///
/// let (tx, rx) = mpsc::channel(8);
/// let threads: Vec<_> = (0..4)
///     .map(|i| {
///         let tx = tx.clone();
///         std::thread::spawn(move || tx.blocking_send(i).unwrap())
///     })
///     .collect();
/// drop(tx);
/// threads.into_iter().for_each(|t| t.join().unwrap());
/// let mut got = Vec::new();
/// while let Some(i) = rx.blocking_recv() {
///     got.push(i);
/// }
/// got.sort();
/// assert_eq!(got, [0, 1, 2, 3]);
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends an item, waiting while the channel is full.
    ///
    /// The future owns the item and a clone of the sender, and borrows nothing: it is
    /// `'static`, and `Send` when `T` is. Dropping it while it waits drops the item, which
    /// never lands, even after a `recv` made room for it: the room goes to the next waiting
    /// `send`.
    ///
    /// # Errors
    ///
    /// Resolves to `Err(item)` if the receiver is gone (dropped or closed) before the item
    /// is accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// # corio::run(async {
    /// let (tx, rx) = mpsc::channel(1);
    /// tx.send(4).await.unwrap();
    /// drop(rx);
    /// assert_eq!(tx.send(5).await, Err(5));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn send(&self, item: T) -> SendFuture<T> {
        SendFuture {
            sender: self.clone(),
            listener: None,
            item: Some(item),
        }
    }

    /// Sends an item, blocking this thread while the channel is full: for plain threads.
    ///
    /// # Errors
    ///
    /// `Err(item)` if the receiver is gone before the item is accepted.
    ///
    /// # Panics
    ///
    /// On a thread that runs a corio loop (it could block the task that would make room):
    /// `.await` [`send`](Self::send) there.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(1);
    /// let t = std::thread::spawn(move || {
    ///     tx.blocking_send(1).unwrap();
    ///     tx.blocking_send(2).unwrap(); // waits for the receiver to make room
    /// });
    /// let got = corio::run(async move { (rx.recv().await, rx.recv().await, rx.recv().await) });
    /// t.join().unwrap();
    /// assert_eq!(got, (Some(1), Some(2), None));
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, item: T) -> Result<(), T> {
        block::forbid_on_loop("Sender::blocking_send");
        block::block_on(self.send(item))
    }

    /// Sends an item if there is room, without waiting.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the channel is full, [`TrySendError::Closed`] if the
    /// receiver is gone; both hold the item.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc::{self, TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// ```
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.chan.try_send(item)
    }

    /// Returns whether the receiver is gone (dropped or closed), so that every send fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel::<()>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.queue.is_closed()
    }

    /// Returns whether `self` and `other` send on the same channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// let (tx, _rx) = mpsc::channel::<()>(1);
    /// let (other, _other_rx) = mpsc::channel::<()>(1);
    /// assert!(tx.same_channel(&tx.clone()));
    /// assert!(!tx.same_channel(&other));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last sender's close happens after every other sender's pushes.
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.close();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_channel(f.debug_struct("Sender"), &self.chan)
    }
}

fn debug_channel<T>(mut d: fmt::DebugStruct<'_, '_>, chan: &Chan<T>) -> fmt::Result {
    match chan.queue.capacity() {
        Some(cap) => d.field("cap", &cap),
        None => d.field("cap", &format_args!("unbounded")),
    };
    d.field("len", &chan.queue.len())
        .field("senders", &chan.senders.load(Ordering::Relaxed))
        .field("closed", &chan.queue.is_closed())
        .finish()
}

/// The receiving end of a [`threadsafe::mpsc`](self) channel: `Send + Sync`.
///
/// [`recv`](Self::recv) takes `&self`, so the receiver can be shared (in an `Arc`) by tasks
/// on several loops; each item goes to one of them. Dropping it (and any pending `recv`
/// futures) closes the channel: waiting and later sends fail with their item, and buffered
/// items are dropped.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::mpsc;
///
/// # corio::run(async {
/// let (tx, rx) = mpsc::channel(2);
/// tx.try_send('a').unwrap();
/// assert_eq!(rx.recv().await, Some('a'));
/// # });
/// ```
pub struct Receiver<T> {
    rx: RxRef<T>,
}

/// A counted reference that keeps the receiving side open.
struct RxRef<T>(Arc<Chan<T>>);

impl<T> RxRef<T> {
    fn new_ref(&self) -> Self {
        self.0.receivers.fetch_add(1, Ordering::Relaxed);
        Self(self.0.clone())
    }
}

impl<T> Drop for RxRef<T> {
    fn drop(&mut self) {
        if self.0.receivers.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.close();
            // Nobody can receive any more: drop the buffered items now rather than with the
            // last sender, as the local channel does.
            while self.0.queue.pop().is_ok() {}
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next item, waiting while the channel is empty.
    ///
    /// Resolves to `None` once every sender is gone (or the channel is
    /// [closed](Self::close)) and every item sent has been received. The future holds its
    /// own reference to the channel and borrows nothing: it is `'static`, and `Send` when
    /// `T` is. Dropping it loses nothing: an item it was woken for stays in the channel, and
    /// the wake-up goes to the next waiting `recv`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// # corio::run(async {
    /// let (tx, rx) = mpsc::channel(1);
    /// let producer = std::thread::spawn(move || tx.blocking_send(1).unwrap());
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None); // the sender is gone
    /// producer.join().unwrap();
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn recv(&self) -> RecvFuture<T> {
        RecvFuture {
            rx: self.rx.new_ref(),
            listener: None,
        }
    }

    /// Receives the next item, blocking this thread while the channel is empty: for plain
    /// threads. `None` once the channel is closed and drained.
    ///
    /// # Panics
    ///
    /// On a thread that runs a corio loop: `.await` [`recv`](Self::recv) there.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(4);
    /// let consumer = std::thread::spawn(move || {
    ///     let mut sum = 0;
    ///     while let Some(v) = rx.blocking_recv() {
    ///         sum += v;
    ///     }
    ///     sum
    /// });
    /// corio::run(async move {
    ///     for v in 1..=10 {
    ///         tx.send(v).await.unwrap();
    ///     }
    /// });
    /// assert_eq!(consumer.join().unwrap(), 55);
    /// ```
    #[track_caller]
    pub fn blocking_recv(&self) -> Option<T> {
        block::forbid_on_loop("Receiver::blocking_recv");
        block::block_on(self.recv())
    }

    /// Receives the next item if there is one, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if the channel is empty, [`TryRecvError::Closed`] if it is
    /// empty and closed (every sender gone, or [`close`](Self::close) called).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc::{self, TryRecvError};
    ///
    /// let (tx, rx) = mpsc::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        self.rx.0.try_recv()
    }

    /// Closes the channel for sending, keeping what it holds (tokio's `Receiver::close`).
    ///
    /// Waiting and later sends fail with their item; [`recv`](Self::recv) still gives the
    /// buffered items, then `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// # corio::run(async {
    /// let (tx, rx) = mpsc::channel(2);
    /// tx.send(1).await.unwrap();
    /// rx.close();
    /// assert_eq!(tx.send(2).await, Err(2));
    /// assert_eq!(rx.recv().await, Some(1));
    /// assert_eq!(rx.recv().await, None);
    /// # });
    /// ```
    pub fn close(&self) {
        self.rx.0.close();
    }

    /// Returns the number of items waiting in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// let (tx, rx) = mpsc::channel(2);
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.rx.0.queue.len()
    }

    /// Returns whether no item is waiting in the channel.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::threadsafe::mpsc;
    ///
    /// let (_tx, rx) = mpsc::channel::<()>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rx.0.queue.is_empty()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_channel(f.debug_struct("Receiver"), &self.rx.0)
    }
}

/// What a task dump says about a pending send.
const SENDING: WaitingOn = WaitingOn::Static(&"threadsafe::mpsc::Sender::send (channel full)");
/// What a task dump says about a pending receive.
const RECEIVING: WaitingOn = WaitingOn::Static(&"threadsafe::mpsc::Receiver::recv (channel empty)");

/// Polls `listener` if there is one (taking it once it fired), or starts listening on
/// `event`: the caller then retries its operation, so that an item or room that came
/// between the failed try and the listen is not missed.
fn wait_on(listener: &mut Option<EventListener>, event: &Event, cx: &mut Context<'_>) -> Poll<()> {
    match listener {
        Some(l) => {
            let poll = Pin::new(l).poll(cx);
            if poll.is_ready() {
                // Consumed: from here on, dropping the future passes nothing on, and the
                // caller's retry in this same poll is what uses the notification.
                *listener = None;
            }
            poll
        }
        None => {
            *listener = Some(event.listen());
            Poll::Ready(())
        }
    }
}

/// The future returned by [`Sender::send`]: `'static`, `Unpin`, and `Send` when `T` is.
///
/// It resolves to `Ok(())` once the item is in the channel, or to `Err(item)` if the
/// receiver is gone. Dropping it while it waits drops the item; a notification of room it
/// had not used yet goes to the next waiting send.
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::mpsc::{self, SendFuture};
///
/// # corio::run(async {
/// let (tx, rx) = mpsc::channel(1);
/// let send: SendFuture<u8> = tx.send(1);
/// std::thread::spawn(move || send).join().unwrap().await.unwrap(); // Send
/// assert_eq!(rx.try_recv(), Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<T> {
    sender: Sender<T>,
    /// Registered while the channel is full; dropping a notified listener that was not
    /// consumed passes the notification on (event-listener does that).
    listener: Option<EventListener>,
    item: Option<T>,
}

// The item is never pinned: the future only moves it into the channel.
impl<T> Unpin for SendFuture<T> {}

impl<T> Future for SendFuture<T> {
    type Output = Result<(), T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), T>> {
        if let Some(traced) = trace::traced(|| SENDING) {
            return traced;
        }
        let this = &mut *self;
        loop {
            let item = this
                .item
                .take()
                .expect("SendFuture polled after completion");
            match this.sender.chan.try_send(item) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(TrySendError::Closed(item)) => return Poll::Ready(Err(item)),
                Err(TrySendError::Full(item)) => this.item = Some(item),
            }
            if wait_on(&mut this.listener, &this.sender.chan.send_ops, cx).is_pending() {
                return trace::pending(SENDING);
            }
        }
    }
}

impl<T> fmt::Debug for SendFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (&self.listener, &self.item) {
            (Some(_), _) => "waiting",
            (None, Some(_)) => "idle",
            (None, None) => "done",
        };
        f.debug_struct("SendFuture").field("state", &state).finish()
    }
}

/// The future returned by [`Receiver::recv`]: `'static`, `Unpin`, and `Send` when `T` is.
///
/// It resolves to the next item, or to `None` once the channel is closed and drained.
/// Dropping it early loses nothing (see [`Receiver::recv`]).
///
/// # Examples
///
/// ```
/// use corio::sync::threadsafe::mpsc::{self, RecvFuture};
///
/// # corio::run(async {
/// let (tx, rx) = mpsc::channel(1);
/// tx.try_send(1).unwrap();
/// let recv: RecvFuture<i32> = rx.recv();
/// assert_eq!(recv.await, Some(1));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<T> {
    rx: RxRef<T>,
    listener: Option<EventListener>,
}

impl<T> Future for RecvFuture<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(traced) = trace::traced(|| RECEIVING) {
            return traced;
        }
        let this = &mut *self;
        loop {
            match this.rx.0.try_recv() {
                Ok(item) => return Poll::Ready(Some(item)),
                Err(TryRecvError::Closed) => return Poll::Ready(None),
                Err(TryRecvError::Empty) => {}
            }
            if wait_on(&mut this.listener, &this.rx.0.recv_ops, cx).is_pending() {
                return trace::pending(RECEIVING);
            }
        }
    }
}

impl<T> fmt::Debug for RecvFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.listener.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("RecvFuture").field("state", &state).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::{Task, block_on};

    fn assert_send_sync<T: Send + Sync>(_: &T) {}

    #[test]
    fn ends_and_futures_are_send_and_sync() {
        let (tx, rx) = channel::<String>(1);
        assert_send_sync(&tx);
        assert_send_sync(&rx);
        assert_send_sync(&tx.send(String::new()));
        assert_send_sync(&rx.recv());
    }

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
    fn senders_wait_while_full_and_are_woken_in_order() {
        let (tx, rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut a = Task::new(tx.send(1));
        let mut b = Task::new(tx.send(2));
        a.pending();
        b.pending();
        assert_eq!(
            format!("{rx:?}"),
            "Receiver { cap: 1, len: 1, senders: 3, closed: false }"
        );
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(a.woken() && !b.woken());
        assert_eq!(a.ready(), Ok(()));
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(b.woken());
        assert_eq!(b.ready(), Ok(()));
        assert_eq!(rx.try_recv(), Ok(2));
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
    fn dropping_the_receiver_fails_sends_and_drops_buffered_items() {
        let buffered = Arc::new(());
        let (tx_arc, rx_arc) = channel(1);
        tx_arc.try_send(buffered.clone()).unwrap();
        drop(rx_arc);
        assert_eq!(
            Arc::strong_count(&buffered),
            1,
            "buffered items are dropped"
        );
        assert!(tx_arc.is_closed());

        let (tx, rx) = channel(1);
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
    fn a_pending_recv_keeps_the_channel_open() {
        let (tx, rx) = channel(1);
        let mut recv = Task::new(rx.recv());
        recv.pending();
        drop(rx);
        assert!(!tx.is_closed());
        tx.try_send(5).unwrap();
        assert!(recv.woken());
        assert_eq!(recv.ready(), Some(5));
        assert!(tx.is_closed(), "the last receiving reference is gone");
    }

    #[test]
    fn a_send_given_room_then_dropped_passes_the_room_on() {
        let (tx, rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut a = Task::new(tx.send(1));
        let mut b = Task::new(tx.send(2));
        a.pending();
        b.pending();
        assert_eq!(rx.try_recv(), Ok(0));
        assert!(a.woken() && !b.woken(), "the room went to A");
        a.cancel();
        assert!(b.woken(), "A's dropped notification goes to B");
        assert_eq!(b.ready(), Ok(()));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(
            rx.try_recv(),
            Err(TryRecvError::Empty),
            "A's item never landed"
        );
    }

    #[test]
    fn a_woken_recv_dropped_before_it_runs_passes_the_item_on() {
        let (tx, rx) = channel(1);
        let mut a = Task::new(rx.recv());
        let mut b = Task::new(rx.recv());
        a.pending();
        b.pending();
        tx.try_send(1).unwrap();
        assert!(a.woken() && !b.woken());
        a.cancel();
        assert!(b.woken());
        assert_eq!(b.ready(), Some(1));

        let mut c = Task::new(rx.recv());
        c.pending();
        tx.try_send(2).unwrap();
        c.cancel(); // nobody else waits: the item stays
        assert_eq!(rx.try_recv(), Ok(2));
    }

    #[test]
    fn close_keeps_the_buffer_and_wakes_waiting_senders() {
        let (tx, rx) = channel(1);
        tx.try_send(1).unwrap();
        let mut send = Task::new(tx.send(2));
        send.pending();
        rx.close();
        assert!(send.woken());
        assert_eq!(send.ready(), Err(2));
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn unbounded_sends_never_wait() {
        let (tx, rx) = unbounded_channel();
        for i in 0..100 {
            assert_eq!(Task::new(tx.send(i)).ready(), Ok(()));
        }
        assert_eq!(
            format!("{tx:?}"),
            "Sender { cap: unbounded, len: 100, senders: 1, closed: false }"
        );
        assert_eq!((0..100).map(|_| rx.try_recv().unwrap()).sum::<i32>(), 4950);
    }

    #[test]
    #[should_panic = "capacity must be at least 1"]
    fn zero_capacity_panics() {
        let _ = channel::<()>(0);
    }

    #[test]
    fn blocking_ends_work_between_plain_threads() {
        let (tx, rx) = channel(2);
        let producer = std::thread::spawn(move || {
            for i in 0..1000 {
                tx.blocking_send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(i) = rx.blocking_recv() {
            got.push(i);
        }
        producer.join().unwrap();
        assert_eq!(got, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn blocking_on_a_loop_thread_panics_with_a_remedy() {
        let (tx, rx) = channel::<u8>(1);
        let err = crate::run(async move {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx.blocking_recv()))
                .unwrap_err()
        });
        let msg = err.downcast_ref::<String>().unwrap();
        assert!(
            msg.contains("Receiver::blocking_recv would block the corio loop")
                && msg.contains("`.await`"),
            "{msg}"
        );
        drop(tx);
    }
}
