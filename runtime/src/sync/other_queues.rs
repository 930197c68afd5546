//! `PriorityQueue` and `LifoQueue`: [`Queue`] with another order.

use std::fmt;
use std::ops::Deref;

use super::order::Items;
use super::queue::Queue;

/// A queue that hands out the smallest item first: Python's `asyncio.PriorityQueue`.
///
/// It has [`Queue`]'s whole API (it dereferences to a `Queue<T>`: `put`, `get`,
/// `put_nowait`, `get_nowait`, `task_done`, `join`, `len`, …), with the same rules: a
/// bounded size, FIFO service of waiting tasks, and handoffs that nobody barges. Only the
/// order of the buffered items differs: smallest by `Ord` first, and equal items in the
/// order they were put (asyncio's `heapq` leaves ties to the caller, who usually adds a
/// counter to the tuple). Wrap items in [`std::cmp::Reverse`] for largest first. An item put
/// while a task waits in `get` goes straight to that task, as in every queue: there is
/// nothing else to compare it with.
///
/// # Examples
///
/// ```
/// use corio::sync::PriorityQueue;
///
/// corio::run(async {
///     let jobs = PriorityQueue::new(0);
///     for (priority, job) in [(2, "backup"), (0, "page the on-call"), (1, "deploy")] {
///         jobs.put((priority, job)).await.unwrap();
///     }
///     assert_eq!(jobs.get().await, Ok((0, "page the on-call")));
///     assert_eq!(jobs.get().await, Ok((1, "deploy")));
///     assert_eq!(jobs.get().await, Ok((2, "backup")));
/// });
/// ```
pub struct PriorityQueue<T> {
    queue: Queue<T>,
}

impl<T: Ord> PriorityQueue<T> {
    /// Creates a priority queue that holds at most `maxsize` items; `0` means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let queue = corio::sync::PriorityQueue::<u32>::new(8);
    /// assert_eq!(queue.maxsize(), 8);
    /// ```
    pub fn new(maxsize: usize) -> Self {
        Self {
            queue: Queue::with_items(maxsize, Items::priority()),
        }
    }
}

impl<T> PriorityQueue<T> {
    /// The queue itself, for code written against `Queue<T>`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::sync::{PriorityQueue, Queue};
    ///
    /// fn drain(queue: &Queue<u8>) -> Vec<u8> {
    ///     std::iter::from_fn(|| queue.get_nowait().ok()).collect()
    /// }
    ///
    /// let queue = PriorityQueue::new(0);
    /// for x in [3, 1, 2] {
    ///     queue.put_nowait(x).unwrap();
    /// }
    /// assert_eq!(drain(queue.as_queue()), [1, 2, 3]);
    /// ```
    pub fn as_queue(&self) -> &Queue<T> {
        &self.queue
    }
}

/// A queue that hands out the newest item first: Python's `asyncio.LifoQueue`, a stack.
///
/// It has [`Queue`]'s whole API (it dereferences to a `Queue<T>`) with the same rules; only
/// the order of the buffered items differs. An item put while a task waits in `get` goes
/// straight to that task.
///
/// # Examples
///
/// ```
/// use corio::sync::LifoQueue;
///
/// corio::run(async {
///     let stack = LifoQueue::new(0);
///     for page in ["home", "search", "result"] {
///         stack.put(page).await.unwrap();
///     }
///     assert_eq!(stack.get().await, Ok("result"));
///     assert_eq!(stack.get().await, Ok("search"));
/// });
/// ```
pub struct LifoQueue<T> {
    queue: Queue<T>,
}

impl<T> LifoQueue<T> {
    /// Creates a LIFO queue that holds at most `maxsize` items; `0` means unbounded.
    ///
    /// # Examples
    ///
    /// ```
    /// let stack = corio::sync::LifoQueue::<char>::new(0);
    /// assert!(stack.is_empty());
    /// ```
    pub fn new(maxsize: usize) -> Self {
        Self {
            queue: Queue::with_items(maxsize, Items::lifo()),
        }
    }

    /// The queue itself, for code written against `Queue<T>`.
    ///
    /// # Examples
    ///
    /// ```
    /// let stack = corio::sync::LifoQueue::new(0);
    /// stack.put_nowait(1).unwrap();
    /// let queue: &corio::sync::Queue<i32> = stack.as_queue();
    /// assert_eq!(queue.len(), 1);
    /// ```
    pub fn as_queue(&self) -> &Queue<T> {
        &self.queue
    }
}

macro_rules! queue_wrapper {
    ($name:ident) => {
        impl<T> Deref for $name<T> {
            type Target = Queue<T>;

            fn deref(&self) -> &Queue<T> {
                &self.queue
            }
        }

        impl<T> Clone for $name<T> {
            fn clone(&self) -> Self {
                Self {
                    queue: self.queue.clone(),
                }
            }
        }

        impl<T> From<$name<T>> for Queue<T> {
            fn from(queue: $name<T>) -> Queue<T> {
                queue.queue
            }
        }

        impl<T> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `Queue`'s fields under this type's name.
                let inner = format!("{:?}", self.queue);
                f.write_str(stringify!($name))?;
                f.write_str(inner.strip_prefix("Queue").unwrap_or(&inner))
            }
        }
    };
}

queue_wrapper!(PriorityQueue);
queue_wrapper!(LifoQueue);
