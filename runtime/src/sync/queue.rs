use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::buffer::{Buffer, GetError, PutError};
use super::order::Items;
use super::waiters::{WaitList, wake_all};
use crate::trace::{self, WaitingOn};

/// A FIFO queue for passing items between tasks: Python's `asyncio.Queue`.
///
/// [`put`](Queue::put) waits while the queue holds `maxsize` items and
/// [`get`](Queue::get) waits while it is empty; [`put_nowait`](Queue::put_nowait) and
/// [`get_nowait`](Queue::get_nowait) fail instead. Both sides are served first come, first
/// served, and nobody barges: an item put while tasks wait in `get` goes straight to the one
/// that has waited longest, and room made by a `get` goes straight to the longest-waiting
/// `put`. [`task_done`](Queue::task_done) and [`join`](Queue::join) let a producer wait until
/// consumers have processed every item. `Queue` is a cheap handle; clones share the queue.
///
/// # Examples
///
/// ```
/// use corio::sync::Queue;
///
/// # futures::executor::block_on(async {
/// let jobs = Queue::new(2);
/// let producer = async {
///     for job in 0..5 {
///         jobs.put(job).await.unwrap(); // waits while two jobs are queued
///     }
///     jobs.join().await; // until all five are done
/// };
/// let consumer = async {
///     let mut sum = 0;
///     for _ in 0..5 {
///         sum += jobs.get().await.unwrap();
///         jobs.task_done().unwrap();
///     }
///     sum
/// };
/// let ((), sum) = futures::join!(producer, consumer);
/// assert_eq!(sum, 10);
/// # });
/// ```
pub struct Queue<T> {
    shared: Rc<Shared<T>>,
}

struct Shared<T> {
    buf: RefCell<Buffer<T>>,
    joiners: RefCell<WaitList<()>>,
}

impl<T> Queue<T> {
    /// Creates a queue that holds at most `maxsize` items; `0` means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// let bounded = Queue::<u8>::new(16);
    /// assert_eq!(bounded.maxsize(), 16);
    /// let unbounded = Queue::<u8>::new(0);
    /// assert!(!unbounded.is_full());
    /// ```
    pub fn new(maxsize: usize) -> Self {
        Self::with_items(maxsize, Items::fifo())
    }

    /// A queue whose items come out in the order `items` keeps.
    pub(super) fn with_items(maxsize: usize, items: Items<T>) -> Self {
        let cap = if maxsize == 0 { usize::MAX } else { maxsize };
        let shared = Shared {
            buf: RefCell::new(Buffer::with_items(cap, items)),
            joiners: RefCell::default(),
        };
        Self {
            shared: Rc::new(shared),
        }
    }

    /// Puts an item at the back of the queue, waiting while it is full.
    ///
    /// The future owns the item and a handle to the queue, and borrows nothing. If tasks are
    /// waiting in [`get`](Queue::get), the item goes straight to the first of them. Dropping
    /// the future while it waits takes the item out of line again (it is dropped), even after
    /// a `get` made room for it: the room goes to the next waiting `put`. Once the future has
    /// completed with `Ok`, the item is in the queue.
    ///
    /// # Errors
    ///
    /// [`QueueShutDown`] with the item when the queue is (or, while this put waits, gets)
    /// [shut down](Queue::shutdown): asyncio's `QueueShutDown`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// # futures::executor::block_on(async {
    /// let queue = Queue::new(1);
    /// queue.put("hello").await.unwrap();
    /// assert_eq!(queue.len(), 1);
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn put(&self, item: T) -> QueuePut<T> {
        QueuePut {
            shared: self.shared.clone(),
            key: None,
            item: Some(item),
        }
    }

    /// Removes and returns the item at the front of the queue, waiting while it is empty.
    ///
    /// The future holds its own handle to the queue. Dropping it while it waits gives up its
    /// place; if an item had already been handed to it, the item goes to the next waiting
    /// `get`, or back to the front of the queue.
    ///
    /// # Errors
    ///
    /// [`QueueShutDown`] when the queue is [shut down](Queue::shutdown) and empty: after a
    /// shutdown, gets take what is left, then fail (asyncio's `QueueShutDown`). A consumer's
    /// loop is `while let Ok(item) = queue.get().await { … }`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// # futures::executor::block_on(async {
    /// let queue = Queue::new(0);
    /// queue.put_nowait(1).unwrap();
    /// queue.put_nowait(2).unwrap();
    /// assert_eq!(queue.get().await, Ok(1));
    /// assert_eq!(queue.get().await, Ok(2));
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn get(&self) -> QueueGet<T> {
        QueueGet {
            shared: self.shared.clone(),
            key: None,
        }
    }

    /// Puts an item at the back of the queue if there is room, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryPutError::Full`], holding the item, if the queue holds `maxsize` items (or tasks
    /// wait to put); [`TryPutError::ShutDown`] if it was [shut down](Queue::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Queue, TryPutError};
    ///
    /// let queue = Queue::new(1);
    /// assert_eq!(queue.put_nowait('a'), Ok(()));
    /// assert_eq!(queue.put_nowait('b'), Err(TryPutError::Full('b')));
    /// queue.shutdown(false);
    /// assert_eq!(queue.put_nowait('c'), Err(TryPutError::ShutDown('c')));
    /// ```
    pub fn put_nowait(&self, item: T) -> Result<(), TryPutError<T>> {
        let waker = self.shared.buf.borrow_mut().try_put(item);
        match waker {
            Ok(waker) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
                Ok(())
            }
            Err(PutError::Full(item)) => Err(TryPutError::Full(item)),
            Err(PutError::Closed(item)) => Err(TryPutError::ShutDown(item)),
        }
    }

    /// Removes and returns the item at the front of the queue, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryGetError::Empty`] if the queue is empty; [`TryGetError::ShutDown`] if it is empty
    /// and [shut down](Queue::shutdown).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Queue, TryGetError};
    ///
    /// let queue = Queue::new(0);
    /// queue.put_nowait(7).unwrap();
    /// assert_eq!(queue.get_nowait(), Ok(7));
    /// assert_eq!(queue.get_nowait(), Err(TryGetError::Empty));
    /// queue.shutdown(false);
    /// assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
    /// ```
    pub fn get_nowait(&self) -> Result<T, TryGetError> {
        let got = self.shared.buf.borrow_mut().try_get();
        match got {
            Ok((item, waker)) => {
                if let Some(waker) = waker {
                    waker.wake();
                }
                Ok(item)
            }
            Err(GetError::Empty) => Err(TryGetError::Empty),
            Err(GetError::Closed) => Err(TryGetError::ShutDown),
        }
    }

    /// Marks one item taken from the queue as processed.
    ///
    /// Every item put counts as unfinished until a `task_done` call; when none is left,
    /// [`join`](Queue::join) completes.
    ///
    /// # Errors
    ///
    /// [`TaskDoneError`] if it is called more times than items were put (asyncio raises
    /// `ValueError`); the count is left at zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Queue, TaskDoneError};
    ///
    /// let queue = Queue::new(0);
    /// queue.put_nowait("job").unwrap();
    /// let _job = queue.get_nowait().unwrap();
    /// assert_eq!(queue.task_done(), Ok(()));
    /// assert_eq!(queue.task_done(), Err(TaskDoneError));
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        {
            let mut buf = self.shared.buf.borrow_mut();
            buf.unfinished = buf.unfinished.checked_sub(1).ok_or(TaskDoneError)?;
            if buf.unfinished > 0 {
                return Ok(());
            }
        }
        let wakers = self.shared.joiners.borrow_mut().notify_all();
        wake_all(wakers);
        Ok(())
    }

    /// Shuts the queue down: asyncio's `Queue.shutdown(immediate)` (3.13).
    ///
    /// From now on every [`put`](Queue::put) and [`put_nowait`](Queue::put_nowait) fails,
    /// including the puts waiting for room, which get their items back in
    /// [`QueueShutDown`]. Gets take what is left in the queue and then fail with
    /// `QueueShutDown`, and the gets waiting on an empty queue fail at once; so a consumer
    /// loop `while let Ok(item) = queue.get().await` ends when the work runs out.
    ///
    /// With `immediate`, the items in the queue are dropped instead, and count as done for
    /// [`join`](Queue::join) (which returns if nothing else is unfinished); so is an item
    /// handed to a waiting `get` that has not run yet (it is still in the queue, as in
    /// asyncio): that get fails too. Shutting down twice does nothing more, except that an
    /// immediate shutdown after a plain one drops what is left.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{Queue, QueueShutDown};
    ///
    /// corio::run(async {
    ///     let jobs = Queue::new(0);
    ///     let worker = corio::spawn({
    ///         let jobs = jobs.clone();
    ///         async move {
    ///             let mut done = Vec::new();
    ///             while let Ok(job) = jobs.get().await {
    ///                 done.push(job);
    ///             }
    ///             done
    ///         }
    ///     });
    ///     for job in 1..=3 {
    ///         jobs.put(job).await.unwrap();
    ///     }
    ///     jobs.shutdown(false);
    ///     assert_eq!(jobs.put(4).await, Err(QueueShutDown(4)));
    ///     assert_eq!(worker.await.unwrap(), [1, 2, 3]); // what was queued is still served
    /// });
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        if Buffer::shutdown(&self.shared.buf, immediate) {
            let wakers = self.shared.joiners.borrow_mut().notify_all();
            wake_all(wakers);
        }
    }

    /// Whether [`shutdown`](Queue::shutdown) was called: asyncio 3.13's `is_shutdown`.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = corio::sync::Queue::<u8>::new(0);
    /// assert!(!queue.is_shutdown());
    /// queue.shutdown(true);
    /// assert!(queue.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.shared.buf.borrow().is_shut_down()
    }

    /// Waits until every item put so far has been marked done with
    /// [`task_done`](Queue::task_done).
    ///
    /// Completes at once if no item is unfinished. Joiners are all woken together when the
    /// count reaches zero, and complete even if new items arrive before they run.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// # futures::executor::block_on(async {
    /// let queue = Queue::new(0);
    /// queue.join().await; // nothing unfinished
    /// queue.put_nowait(1).unwrap();
    /// let worker = async {
    ///     queue.get().await.unwrap();
    ///     queue.task_done().unwrap();
    /// };
    /// futures::join!(queue.join(), worker);
    /// # });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn join(&self) -> QueueJoin<T> {
        QueueJoin {
            shared: self.shared.clone(),
            key: None,
        }
    }

    /// Returns the number of items in the queue: asyncio's `qsize()`.
    ///
    /// An item handed straight to a waiting `get` counts until that getter runs, as in
    /// asyncio, where it stays in the queue until the woken getter takes it. (It is reserved
    /// for that getter: [`get_nowait`](Queue::get_nowait) does not take it.)
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// let queue = Queue::new(0);
    /// queue.put_nowait(()).unwrap();
    /// assert_eq!(queue.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.shared.buf.borrow().len()
    }

    /// Returns whether the queue holds no items: asyncio's `empty()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// assert!(Queue::<()>::new(0).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns whether the queue holds `maxsize` items: asyncio's `full()`.
    ///
    /// Room that a `get` made and reserved for a waiting [`put`](Queue::put) that has not
    /// run yet counts as full (a [`put_nowait`](Queue::put_nowait) would fail). An unbounded
    /// queue is never full.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// let queue = Queue::new(1);
    /// queue.put_nowait(1).unwrap();
    /// assert!(queue.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        self.shared.buf.borrow().is_full()
    }

    /// Returns the `maxsize` the queue was created with; `0` means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::Queue;
    ///
    /// assert_eq!(Queue::<()>::new(0).maxsize(), 0);
    /// ```
    pub fn maxsize(&self) -> usize {
        match self.shared.buf.borrow().cap() {
            usize::MAX => 0,
            cap => cap,
        }
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Queue");
        match (
            self.shared.buf.try_borrow(),
            self.shared.joiners.try_borrow(),
        ) {
            (Ok(buf), Ok(joiners)) => {
                let maxsize = if buf.cap() == usize::MAX {
                    0
                } else {
                    buf.cap()
                };
                d.field("maxsize", &maxsize);
                buf.debug_fields(&mut d);
                d.field("unfinished", &buf.unfinished)
                    .field("joiners", &joiners.len());
            }
            _ => {
                d.field("state", &format_args!("<borrowed>"));
            }
        }
        d.finish()
    }
}

/// The future returned by [`Queue::put`].
///
/// It completes once the item is in the queue (or in a waiting getter's hands). Dropping it
/// before then drops the item.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, QueuePut};
///
/// # futures::executor::block_on(async {
/// let queue = Queue::new(1);
/// let put: QueuePut<u8> = queue.put(1);
/// put.await;
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct QueuePut<T> {
    shared: Rc<Shared<T>>,
    key: Option<usize>,
    item: Option<T>,
}

// The item is never pinned: the future only moves it into the queue.
impl<T> Unpin for QueuePut<T> {}

impl<T> Future for QueuePut<T> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WaitingOn::Static(&"Queue::put (full)")) {
            return traced;
        }
        let this = &mut *self;
        match Buffer::poll_put(&this.shared.buf, &mut this.key, &mut this.item, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(item)) => Poll::Ready(Err(QueueShutDown(item))),
            Poll::Pending => trace::pending(WaitingOn::Static(&"Queue::put (full)")),
        }
    }
}

impl<T> Drop for QueuePut<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            Buffer::drop_put(&self.shared.buf, key);
        }
    }
}

impl<T> fmt::Debug for QueuePut<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match (self.key, &self.item) {
            (Some(_), _) => "waiting",
            (None, Some(_)) => "idle",
            (None, None) => "done",
        };
        f.debug_struct("QueuePut").field("state", &state).finish()
    }
}

/// The future returned by [`Queue::get`].
///
/// It completes with the item at the front of the queue. See [`Queue::get`] for what dropping
/// it early does.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, QueueGet};
///
/// # futures::executor::block_on(async {
/// let queue = Queue::new(0);
/// queue.put_nowait(1).unwrap();
/// let get: QueueGet<i32> = queue.get();
/// assert_eq!(get.await, Ok(1));
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct QueueGet<T> {
    shared: Rc<Shared<T>>,
    key: Option<usize>,
}

impl<T> Future for QueueGet<T> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WaitingOn::Static(&"Queue::get (empty)")) {
            return traced;
        }
        let this = &mut *self;
        let poll = Buffer::poll_get(&this.shared.buf, &mut this.key, cx)
            .map(|item| item.ok_or(QueueShutDown(())));
        // A get that fails after an immediate shutdown may have dropped the last unfinished
        // item (handed to it before the shutdown): `join` is then due.
        if poll.is_ready() && matches!(poll, Poll::Ready(Err(_))) {
            let none_left = this.shared.buf.borrow().unfinished == 0;
            if none_left {
                let wakers = this.shared.joiners.borrow_mut().notify_all();
                wake_all(wakers);
            }
        }
        trace::note(poll, WaitingOn::Static(&"Queue::get (empty)"))
    }
}

impl<T> Drop for QueueGet<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take()
            && Buffer::drop_get(&self.shared.buf, key)
        {
            // An immediate shutdown dropped the item this get was handed: it was the last
            // unfinished one.
            let wakers = self.shared.joiners.borrow_mut().notify_all();
            wake_all(wakers);
        }
    }
}

impl<T> fmt::Debug for QueueGet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.key.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("QueueGet").field("state", &state).finish()
    }
}

/// The future returned by [`Queue::join`].
///
/// It completes once no item is unfinished. Dropping it early only removes it from the
/// joiners; a `task_done` wakes all joiners, so there is nothing to pass on.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, QueueJoin};
///
/// # futures::executor::block_on(async {
/// let queue = Queue::<()>::new(0);
/// let join: QueueJoin<()> = queue.join();
/// join.await;
/// # });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct QueueJoin<T> {
    shared: Rc<Shared<T>>,
    key: Option<usize>,
}

/// What a task dump says about a pending `Queue::join`.
const JOINING: WaitingOn = WaitingOn::Static(&"Queue::join (unfinished items)");

impl<T> Future for QueueJoin<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(traced) = trace::traced(|| JOINING) {
            return traced;
        }
        let this = &mut *self;
        let mut joiners = this.shared.joiners.borrow_mut();
        match this.key {
            None if this.shared.buf.borrow().unfinished == 0 => Poll::Ready(()),
            None => {
                this.key = Some(joiners.push_back(None, cx.waker()));
                trace::pending(JOINING)
            }
            Some(key) if joiners.poll_notified(key, cx.waker()) => {
                joiners.remove(key);
                this.key = None;
                Poll::Ready(())
            }
            Some(_) => trace::pending(JOINING),
        }
    }
}

impl<T> Drop for QueueJoin<T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.joiners.borrow_mut().remove(key);
        }
    }
}

impl<T> fmt::Debug for QueueJoin<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.key.is_some() {
            "waiting"
        } else {
            "idle"
        };
        f.debug_struct("QueueJoin").field("state", &state).finish()
    }
}

/// Why [`Queue::put_nowait`] did not put the item; both variants hold it.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, TryPutError};
///
/// let queue = Queue::new(1);
/// queue.put_nowait(1).unwrap();
/// let err = queue.put_nowait(2).unwrap_err();
/// assert_eq!(err.to_string(), "queue is full");
/// assert_eq!(err.into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (or tasks wait to put): asyncio's `QueueFull`.
    Full(T),
    /// The queue was shut down: asyncio's `QueueShutDown`.
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// Returns the item that was not put.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::TryPutError;
    ///
    /// assert_eq!(TryPutError::Full("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(item) | Self::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full (rather than shut down).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(corio::sync::TryPutError::Full(()).is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "Full(..)",
            Self::ShutDown(_) => "ShutDown(..)",
        })
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full(_) => "queue is full",
            Self::ShutDown(_) => "queue is shut down",
        })
    }
}

impl<T> Error for TryPutError<T> {}

/// Why [`Queue::get_nowait`] gave no item.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, TryGetError};
///
/// let queue = Queue::<()>::new(0);
/// assert_eq!(queue.get_nowait(), Err(TryGetError::Empty));
/// assert_eq!(TryGetError::Empty.to_string(), "queue is empty");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryGetError {
    /// The queue is empty: asyncio's `QueueEmpty`.
    Empty,
    /// The queue is empty and shut down, so it stays empty: asyncio's `QueueShutDown`.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "queue is empty",
            Self::ShutDown => "queue is shut down",
        })
    }
}

impl Error for TryGetError {}

/// A [`put`](Queue::put) or [`get`](Queue::get) on a queue that was
/// [shut down](Queue::shutdown): asyncio's `QueueShutDown`. A put's error holds its item.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, QueueShutDown};
///
/// corio::run(async {
///     let queue = Queue::new(0);
///     queue.shutdown(false);
///     assert_eq!(queue.put("job").await, Err(QueueShutDown("job")));
///     assert_eq!(queue.get().await, Err(QueueShutDown(())));
///     assert_eq!(QueueShutDown(()).to_string(), "queue is shut down");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> QueueShutDown<T> {
    /// Returns the item that was not put.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(corio::sync::QueueShutDown(5).into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> Error for QueueShutDown<T> {}

/// The error of [`Queue::task_done`] called more times than items were put.
///
/// # Examples
///
/// ```
/// use corio::sync::{Queue, TaskDoneError};
///
/// let queue = Queue::<()>::new(0);
/// assert_eq!(queue.task_done(), Err(TaskDoneError));
/// assert_eq!(TaskDoneError.to_string(), "task_done() called too many times");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl Error for TaskDoneError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::{Task, block_on};

    #[test]
    fn fifo_order_and_nowait_errors() {
        let queue = Queue::new(2);
        queue.put_nowait(1).unwrap();
        queue.put_nowait(2).unwrap();
        assert_eq!(queue.put_nowait(3), Err(TryPutError::Full(3)));
        assert!(queue.is_full());
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.get_nowait(), Ok(1));
        assert_eq!(queue.get_nowait(), Ok(2));
        assert_eq!(queue.get_nowait(), Err(TryGetError::Empty));
        assert!(queue.is_empty());
    }

    #[test]
    fn unbounded_queue_takes_many_items() {
        let queue = Queue::new(0);
        for i in 0..1000 {
            queue.put_nowait(i).unwrap();
        }
        assert!(!queue.is_full());
        assert_eq!(block_on(queue.get()), Ok(0));
        assert_eq!(queue.len(), 999);
    }

    #[test]
    fn getters_are_served_in_fifo_order_by_handoff() {
        let queue = Queue::new(1);
        let mut a = Task::new(queue.get());
        let mut b = Task::new(queue.get());
        a.pending();
        b.pending();
        queue.put_nowait('x').unwrap();
        assert!(a.woken() && !b.woken());
        assert_eq!(
            queue.len(),
            1,
            "handed to `a`, still in the queue until `a` runs"
        );
        assert_eq!(queue.get_nowait(), Err(TryGetError::Empty), "nobody barges");
        assert_eq!(
            queue.put_nowait('y'),
            Err(TryPutError::Full('y')),
            "'x' still takes the room"
        );
        let mut c = Task::new(queue.put('y'));
        c.pending();
        assert_eq!(a.ready(), Ok('x'));
        assert!(c.woken(), "room made when `a` took 'x'");
        c.ready().unwrap();
        assert!(b.woken());
        assert_eq!(b.ready(), Ok('y'));
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn putters_wait_while_full_and_are_admitted_in_fifo_order() {
        let queue = Queue::new(1);
        queue.put_nowait(0).unwrap();
        let mut a = Task::new(queue.put(1));
        let mut b = Task::new(queue.put(2));
        a.pending();
        b.pending();
        assert_eq!(
            format!("{queue:?}"),
            "Queue { maxsize: 1, len: 1, getters: 0, putters: 2, unfinished: 1, joiners: 0 }"
        );
        assert_eq!(queue.get_nowait(), Ok(0));
        assert!(a.woken() && !b.woken());
        assert!(queue.is_full(), "the room went to `a`");
        assert_eq!(queue.put_nowait(9), Err(TryPutError::Full(9)));
        a.ready().unwrap();
        b.pending();
        assert_eq!(block_on(queue.get()), Ok(1));
        assert!(b.woken());
        b.ready().unwrap();
        assert_eq!(queue.get_nowait(), Ok(2));
    }

    #[test]
    fn dropping_a_queued_getter_gives_up_its_place() {
        let queue = Queue::new(0);
        let mut a = Task::new(queue.get());
        let mut b = Task::new(queue.get());
        a.pending();
        b.pending();
        a.cancel();
        queue.put_nowait(1).unwrap();
        assert!(!a.woken() && b.woken());
        assert_eq!(b.ready(), Ok(1));
    }

    #[test]
    fn dropping_a_handed_over_getter_passes_the_item_on() {
        let queue = Queue::new(0);
        let mut a = Task::new(queue.get());
        let mut b = Task::new(queue.get());
        a.pending();
        b.pending();
        queue.put_nowait(1).unwrap();
        queue.put_nowait(2).unwrap();
        a.cancel();
        assert!(b.woken());
        // `b` was handed 2 first; 1 is passed on to nobody else, so it goes back in front.
        assert_eq!(b.ready(), Ok(2));
        assert_eq!(queue.get_nowait(), Ok(1));

        let mut c = Task::new(queue.get());
        let mut d = Task::new(queue.get());
        c.pending();
        d.pending();
        queue.put_nowait(3).unwrap();
        c.cancel();
        assert!(d.woken());
        assert_eq!(d.ready(), Ok(3));
    }

    #[test]
    fn dropping_a_handed_over_getter_puts_the_item_back_in_front() {
        let queue = Queue::new(2);
        let mut a = Task::new(queue.get());
        a.pending();
        queue.put_nowait('a').unwrap();
        queue.put_nowait('b').unwrap();
        assert_eq!(
            queue.put_nowait('c'),
            Err(TryPutError::Full('c')),
            "'a' is still in the queue"
        );
        a.cancel();
        assert_eq!(queue.len(), 2);
        assert_eq!(queue.get_nowait(), Ok('a'));
        assert_eq!(queue.get_nowait(), Ok('b'));
        assert_eq!(queue.task_done().and(queue.task_done()), Ok(()));
    }

    #[test]
    fn dropping_a_queued_putter_drops_its_item_and_keeps_order() {
        let queue = Queue::new(1);
        queue.put_nowait(0).unwrap();
        let mut a = Task::new(queue.put(1));
        let mut b = Task::new(queue.put(2));
        a.pending();
        b.pending();
        a.cancel();
        assert_eq!(queue.get_nowait(), Ok(0));
        assert!(b.woken());
        b.ready().unwrap();
        assert_eq!(queue.get_nowait(), Ok(2));
        assert_eq!(
            queue.shared.buf.borrow().unfinished,
            2,
            "the cancelled put never counted"
        );
    }

    #[test]
    fn task_done_and_join() {
        let queue = Queue::new(0);
        Task::new(queue.join()).ready();
        queue.put_nowait(1).unwrap();
        queue.put_nowait(2).unwrap();
        let mut j1 = Task::new(queue.join());
        let mut j2 = Task::new(queue.join());
        let mut j3 = Task::new(queue.join());
        j1.pending();
        j2.pending();
        j3.pending();
        j2.cancel();
        queue.get_nowait().unwrap();
        queue.task_done().unwrap();
        assert!(!j1.woken());
        queue.get_nowait().unwrap();
        queue.task_done().unwrap();
        assert!(j1.woken() && j3.woken());
        queue.put_nowait(3).unwrap(); // joiners woken by the last task_done still complete
        j1.ready();
        j3.ready();
        assert_eq!(queue.task_done(), Ok(()));
        assert_eq!(queue.task_done(), Err(TaskDoneError));
        assert_eq!(queue.shared.buf.borrow().unfinished, 0);
    }

    #[test]
    fn items_handed_to_getters_count_as_unfinished() {
        let queue = Queue::new(0);
        let mut get = Task::new(queue.get());
        get.pending();
        queue.put_nowait(1).unwrap();
        let mut join = Task::new(queue.join());
        join.pending();
        assert_eq!(get.ready(), Ok(1));
        queue.task_done().unwrap();
        join.ready();
    }

    #[test]
    fn item_destructors_may_use_the_queue() {
        struct Reenter(Queue<Reenter>);
        impl Drop for Reenter {
            fn drop(&mut self) {
                let _ = format!("{:?}", self.0);
                let _ = self.0.len();
            }
        }
        let queue = Queue::new(1);
        queue.put_nowait(Reenter(queue.clone())).unwrap();
        let mut put = Task::new(queue.put(Reenter(queue.clone())));
        put.pending();
        put.cancel(); // drops the parked item outside the queue's borrow
        drop(queue.get_nowait());
    }

    #[test]
    fn debug_never_panics_while_borrowed() {
        let queue = Queue::<()>::new(0);
        let _borrow = queue.shared.buf.borrow_mut();
        assert_eq!(format!("{queue:?}"), "Queue { state: <borrowed> }");
    }
}
