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

#![deny(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod coroutine;
pub mod inspect;
mod status;
pub mod sync;

pub use coroutine::{Coroutine, CoroutineState, Inspect, ResumeError};
pub use status::{Local, PointKind, Status, SuspendPoint};

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
