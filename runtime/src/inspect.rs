//! Python's `inspect` vocabulary for people who know it.
//!
//! `getgeneratorstate(g)` is `g.status()`, `getgeneratorlocals(g)` is `g.locals()`, and the
//! `GEN_*` / `CORO_*` constants are the [`Status`] values.
//!
//! # Examples
//!
//! ```
//! use corio::inspect::{GEN_CREATED, GEN_SUSPENDED, getgeneratorlocals, getgeneratorstate};
//! use corio::{Coroutine};
//!
//! #[corio::coroutine(yield = char)]
//! fn letters(word: String) {
//!     // Owned items: a generator cannot keep a borrow of its own local across a yield.
//!     let mut seen = 0;
//!     for c in word.chars().collect::<Vec<_>>() {
//!         yield_!(c);
//!         seen += 1;
//!     }
//! }
//!
//! let mut g = letters("hi".to_string());
//! assert_eq!(getgeneratorstate(&g), GEN_CREATED);
//! g.resume(());
//! assert_eq!(getgeneratorstate(&g), GEN_SUSPENDED);
//! assert!(getgeneratorlocals(&g).iter().any(|l| l.name == "seen" && l.value == "0"));
//! ```

pub use crate::status::Status;
use crate::{coroutine::Inspect, status::Local};

/// Not started yet.
pub const GEN_CREATED: Status = Status::Created;
/// Executing right now.
pub const GEN_RUNNING: Status = Status::Running;
/// Stopped at a `yield_!`.
pub const GEN_SUSPENDED: Status = Status::Suspended;
/// Finished or closed.
pub const GEN_CLOSED: Status = Status::Closed;
/// Not started yet (coroutine spelling of [`GEN_CREATED`]).
pub const CORO_CREATED: Status = Status::Created;
/// Executing right now (coroutine spelling of [`GEN_RUNNING`]).
pub const CORO_RUNNING: Status = Status::Running;
/// Stopped at an `.await` (coroutine spelling of [`GEN_SUSPENDED`]).
pub const CORO_SUSPENDED: Status = Status::Suspended;
/// Finished or closed (coroutine spelling of [`GEN_CLOSED`]).
pub const CORO_CLOSED: Status = Status::Closed;

/// The state of a generator: `inspect.getgeneratorstate`.
pub fn getgeneratorstate<G: Inspect + ?Sized>(generator: &G) -> Status {
    generator.status()
}

/// The live locals of a suspended generator: `inspect.getgeneratorlocals`.
///
/// Empty unless the generator is suspended (Python shows the arguments of a created
/// generator too; corio keeps them unrendered until the body starts).
pub fn getgeneratorlocals<G: Inspect + ?Sized>(generator: &G) -> Vec<Local> {
    generator.locals()
}

/// The state of an async coroutine: `inspect.getcoroutinestate`.
pub fn getcoroutinestate<C: Inspect + ?Sized>(coroutine: &C) -> Status {
    coroutine.status()
}

/// The live locals of a suspended async coroutine: `inspect.getcoroutinelocals`.
pub fn getcoroutinelocals<C: Inspect + ?Sized>(coroutine: &C) -> Vec<Local> {
    coroutine.locals()
}
