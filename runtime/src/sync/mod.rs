//! Synchronisation primitives and queues for tasks on one thread: asyncio's toolbox.
//!
//! | corio | asyncio | waits for |
//! | --- | --- | --- |
//! | [`Event`] | `asyncio.Event` | a flag to be set |
//! | [`Lock<T>`] | `asyncio.Lock` | exclusive access to a `T` |
//! | [`Semaphore`] | `asyncio.Semaphore` | one of `n` permits |
//! | [`BoundedSemaphore`] | `asyncio.BoundedSemaphore` | the same; a release past the bound is an error |
//! | [`Barrier`] | `asyncio.Barrier` | `n` tasks to arrive |
//! | [`Condition`] | `asyncio.Condition` | a notification, under a [`Lock`] |
//! | [`Queue<T>`] | `asyncio.Queue` | an item, or room for one; `task_done`/`join` |
//! | [`PriorityQueue<T>`] | `asyncio.PriorityQueue` | the same, smallest item first |
//! | [`LifoQueue<T>`] | `asyncio.LifoQueue` | the same, newest item first |
//! | [`oneshot`] | an awaited `asyncio.Future` | one value from another task |
//! | [`mpsc`] | | a stream of items from several producers |
//! | [`broadcast`] | | every value, for every receiver (the last `capacity` kept) |
//! | [`watch`] | | the latest value, and a change to it |
//! | [`threadsafe::mpsc`], [`threadsafe::oneshot`] | `loop.call_soon_threadsafe` | the same as [`mpsc`] and [`oneshot`], between loops on other threads (`Send` ends) |
//!
//! All of them follow the same rules:
//!
//! * **Handles are cheap clones, and futures borrow nothing.** Every handle is an `Rc` inside
//!   (so it is `!Send`: these are for one loop on one thread), and every future it returns owns
//!   a clone of what it needs ([`threadsafe`]'s channels are the `Send` exception, on
//!   `Arc`s). The futures are `'static` and `Unpin`, so they can be stored,
//!   and awaited on locals inside `#[corio::coroutine]` bodies.
//! * **Waiters are served first come, first served, without barging.** A future joins the back
//!   of the queue on its first pending poll. A release hands what it releases (the lock's data,
//!   a permit, an item, room for an item) straight to the first waiter, so a task that arrives
//!   later cannot take it first, even if it runs before the waiter does.
//! * **Cancellation is safe.** Dropping a waiting future removes it from the queue. Dropping
//!   one that was already handed something, but has not run since, passes it on to the next
//!   waiter (or back to the primitive), so nothing is lost and nobody waits forever.
//! * **Only `std::task::Waker`s**: the primitives work under any executor.
//! * **`Debug` never panics**; it shows state and waiter counts, or `<borrowed>`.
//!
//! They are built on one building block, a FIFO list of waiters threaded through a slab (O(1)
//! to join, to leave from anywhere, and to serve), which carries the handed-over value in the
//! waiter's node. Wakers are woken, and user values dropped, only after the primitive's
//! `RefCell` borrow has ended, so destructors and wakers may use the primitive again.
//!
//! # Examples
//!
//! ```
//! use corio::sync::{Lock, Queue};
//!
//! # futures::executor::block_on(async {
//! let results = Lock::new(Vec::new());
//! let work = Queue::new(4);
//! let worker = async {
//!     while let Ok(n) = work.get_nowait() {
//!         results.lock().await.push(n * n);
//!         work.task_done().unwrap();
//!     }
//! };
//! for n in 1..=3 {
//!     work.put(n).await.unwrap();
//! }
//! futures::join!(worker, work.join());
//! assert_eq!(*results.lock().await, [1, 4, 9]);
//! # });
//! ```

mod barrier;
mod bounded_semaphore;
pub mod broadcast;
mod buffer;
mod condition;
mod event;
mod lock;
pub mod mpsc;
pub mod oneshot;
mod order;
mod other_queues;
mod queue;
mod semaphore;
#[cfg(test)]
mod testutil;
pub mod threadsafe;
mod waiters;
pub mod watch;

pub use barrier::{Barrier, BarrierWait, BrokenBarrierError};
pub use bounded_semaphore::{BoundedSemaphore, TooManyReleases};
pub use condition::{Condition, ConditionWait, ConditionWaitFor};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockAcquire, LockGuard};
pub use other_queues::{LifoQueue, PriorityQueue};
pub use queue::{
    Queue, QueueGet, QueueJoin, QueuePut, QueueShutDown, TaskDoneError, TryGetError, TryPutError,
};
pub use semaphore::{Permit, Semaphore, SemaphoreAcquire};
