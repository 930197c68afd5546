//! What the core tells observability, without knowing who listens.
//!
//! The core raises a [`CoreEvent`] through the [`Listener`] in its `Config` (the `Builder`
//! installs `observe::debug`'s); with no listener the event is dropped. The core never
//! formats a diagnostic itself: the listener renders it, reading anything more it wants back
//! through the running loop's read interface.

use std::cell::Cell;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::rt::await_chain::Moved;
use crate::rt::id::TaskId;

/// Something the core noticed that a diagnostics layer may report (debug mode only).
pub(crate) enum CoreEvent<'a> {
    /// One poll took at least the slow-poll threshold.
    SlowPoll {
        /// The task polled (`None` for the main future), and its name if it has one.
        task: Option<(TaskId, Option<Rc<str>>)>,
        took: Duration,
        threshold: Duration,
        /// Where the poll resumed and suspended, from the await chain it recorded.
        moved: Moved,
        /// The poll finished the task.
        done: bool,
        /// It was the task's first poll.
        first: bool,
    },
    /// A finished task left the loop with a panic nobody took from its handle.
    PanicNeverRetrieved {
        task: TaskId,
        spawned_at: &'static Location<'static>,
        message: &'a str,
    },
}

/// Receives the core's events; runs on the loop's thread, inside the loop (so it may read the
/// running loop's state, as `corio::tasks()` does).
pub(crate) type Listener = fn(CoreEvent<'_>);

thread_local! {
    /// While non-zero, dropping a created coroutine does not warn (a task that never started
    /// is being cancelled: like asyncio, that does not count as "never awaited").
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` (which drops a task's future) without "never awaited" warnings.
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> R {
    struct Loud;
    impl Drop for Loud {
        fn drop(&mut self) {
            let _ = QUIET.try_with(|q| q.set(q.get() - 1));
        }
    }
    let _ = QUIET.try_with(|q| q.set(q.get() + 1));
    let _loud = Loud;
    f()
}

/// Whether this thread is inside [`quietly`] (or tearing down its thread-locals).
pub(crate) fn is_quiet() -> bool {
    QUIET.try_with(Cell::get).unwrap_or(1) != 0
}
