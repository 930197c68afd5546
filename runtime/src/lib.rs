//! # corio
//!
//! Python's generator-based coroutines and asyncio event loop, for Rust.
//!
//! `#[corio::coroutine]` rewrites a function into an explicit, resumable state machine that
//! you can inspect while it runs: its [`Status`] (`GEN_CREATED` … `GEN_CLOSED`), the
//! [`SuspendPoint`] it stopped at, its live [`Local`]s and the coroutine it is awaiting.
//!
//! ```
//! use corio::{Coroutine, CoroutineState, Inspect, yield_};
//!
//! #[corio::coroutine(yield = u64)]
//! fn fib(limit: u64) -> &'static str {
//!     let (mut a, mut b) = (0, 1);
//!     while a < limit {
//!         yield_!(a);
//!         (a, b) = (b, a + b);
//!     }
//!     "done"
//! }
//!
//! let mut g = fib(10);
//! assert_eq!(g.resume(()), CoroutineState::Yielded(0));
//! assert_eq!(g.resume(()), CoroutineState::Yielded(1));
//! println!("{g:?}"); // fib (GEN_SUSPENDED at src/lib.rs:8:9 `yield_!(a)`, limit = 10, a = 1, b = 1)
//! assert_eq!(g.by_ref().collect::<Vec<_>>(), [1, 2, 3, 5, 8]);
//! assert_eq!(g.take_return(), Some("done"));
//! ```
//!
//! See the [`coroutine`] attribute for the full language and the borrowing rule.
//!
//! [`net`] has TCP, UDP and Unix sockets with owned buffers, and [`signal`] has `ctrl_c()`
//! for a graceful shutdown.

#![deny(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod blocking;
mod combinators;
mod coroutine;
mod executor;
pub mod inspect;
pub mod net;
mod reactor;
mod runtime;
#[cfg(unix)]
pub mod signal;
mod status;
mod task;
mod task_group;
mod time;
mod timers;
mod waker;

pub use blocking::{Blocking, spawn_blocking};
#[doc(hidden)]
pub use combinators::JoinPart;
pub use combinators::{Either, JoinAll, YieldNow, join_all, select, yield_now};
pub use coroutine::{Coroutine, CoroutineState, Inspect, ResumeError};
pub use executor::LoopId;
pub use runtime::{Builder, Handle, Runtime, run, running_loop, spawn, spawn_named};
pub use status::{Local, PointKind, Status, SuspendPoint};
pub use task::{Panic, Task, TaskError, TaskId};
pub use task_group::TaskGroup;
pub use time::{Elapsed, Interval, Sleep, interval, sleep, sleep_until, timeout};

pub use corio_macros::coroutine;

/// Suspends a `#[corio::coroutine]` generator with a value: Python's `yield`.
///
/// `yield_!(v)` hands `v` to the caller of `resume` and evaluates, when resumed, to that
/// resume's argument. It is only meaningful inside a `#[corio::coroutine(yield = T)]`
/// function, which rewrites it away; anywhere else it is a compile error.
///
/// # Examples
///
/// ```
/// use corio::yield_;
///
/// #[corio::coroutine(yield = i64, resume = i64)]
/// fn running_total() {
///     let mut total = 0;
///     loop {
///         total += yield_!(total);
///     }
/// }
/// ```
#[macro_export]
macro_rules! yield_ {
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "yield_! may only be used in the body of a #[corio::coroutine(yield = ...)] fn"
        )
    };
}

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
