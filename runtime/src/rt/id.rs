//! Ids: of tasks and of loops, unique in the process, and the counter they come from.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The next id of this thread's block, and the end of the block.
    static IDS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// Ids are handed to threads in blocks of this many, so that they are unique process-wide
/// while taking one costs no atomic operation.
const ID_BLOCK: u64 = 1 << 12;
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

/// A fresh number, unique in the process: task ids, loop ids and timer sequence numbers.
pub(crate) fn next_id() -> NonZeroU64 {
    IDS.with(|ids| {
        let (mut next, mut end) = ids.get();
        if next == end {
            next = NEXT_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
            end = next + ID_BLOCK;
        }
        ids.set((next + 1, end));
        NonZeroU64::new(next).unwrap_or(NonZeroU64::MIN)
    })
}

/// Identifies a task; unique among all tasks of the process.
///
/// Displays as the number alone; `Debug` reads `TaskId(7)`.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let task = corio::spawn(async {});
///     println!("spawned task {}", task.id());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub(crate) NonZeroU64);

impl TaskId {
    /// The id as a number.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     assert!(task.id().as_u64() > 0);
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }

    pub(crate) fn tag(self) -> u32 {
        self.0.get() as u32
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Identifies an event loop: each call of `run` builds a new one.
///
/// # Examples
///
/// ```
/// let a = corio::run(async { corio::running_loop().unwrap().id() });
/// let b = corio::run(async { corio::running_loop().unwrap().id() });
/// assert_ne!(a, b);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoopId(pub(crate) NonZeroU64);

impl fmt::Display for LoopId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
