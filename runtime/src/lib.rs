//! # corio
//!
//! Python's generator-based coroutines and asyncio event loop, for Rust.
//!
//! `#[corio::coroutine]` rewrites a function into an explicit, resumable state machine that
//! you can inspect while it runs: its [`Status`] (`GEN_CREATED` … `GEN_CLOSED`), the
//! [`SuspendPoint`] it stopped at, its live [`Local`]s and the coroutine it is awaiting.
//!
//! ```
//! use corio::{Coroutine, CoroutineState, Inspect};
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
//! ## The event loop
//!
//! [`run`] is asyncio's `run`: it drives a future on a single-threaded loop built on the
//! `polling` crate, then cancels whatever tasks are left. Inside it, [`spawn`] starts tasks
//! (FIFO; a dropped [`Task`] keeps running, [`Task::cancel`] drops its future), and the
//! toolbox is asyncio's: [`sleep`], [`timeout`], [`timeout_at`], [`interval`], [`join!`],
//! [`join_all`], [`select`], [`select_all`], [`wait`], [`as_completed`], [`yield_now`],
//! [`TaskGroup`], [`call_soon`]/[`call_later`]/[`call_at`] and [`spawn_blocking`]; tests run
//! on a fresh loop with [`#[corio::test]`](test). Any `Future` runs on it, `async fn`s and
//! `#[corio::coroutine]`s alike.
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! async fn say_after(delay: Duration, what: &str) -> usize {
//!     corio::sleep(delay).await;
//!     println!("{what}");
//!     what.len()
//! }
//!
//! let started = Instant::now();
//! let lens = corio::run(async {
//!     corio::join!(
//!         say_after(Duration::from_millis(20), "Hello"),
//!         say_after(Duration::from_millis(10), "World"),
//!     )
//!     .await
//! }); // prints World, then Hello
//! assert_eq!(lens, (5, 5));
//! assert!(started.elapsed() >= Duration::from_millis(20));
//! ```
//!
//! [`net`] has TCP, UDP and Unix sockets with owned buffers and `lookup_host` (DNS off the
//! loop), and [`signal`] has `ctrl_c()` for a graceful shutdown and `signal(kind)` for any
//! Unix signal. [`io`] has asyncio's `StreamReader`/`StreamWriter` (`BufReader::read_line`,
//! `BufWriter::drain`) and `AsyncFd` for descriptors of your own, and [`process`] runs
//! subprocesses whose pipes are streams.

#![deny(unsafe_code)]
#![warn(missing_docs)]

#[doc(hidden)]
pub mod __private;
mod as_completed;
mod asyncio_names;
mod blocking;
mod callbacks;
mod combinators;
mod coroutine;
pub mod inspect;
pub mod io;
mod loops;
pub mod net;
mod observe;
#[cfg(unix)]
pub mod process;
mod remote;
mod rt;
mod runtime;
mod shared_stream;
#[cfg(unix)]
pub mod signal;
mod status;
pub mod sync;
mod task_group;
pub mod time;
mod wait;
mod wake_set;

// The loop's core lives in `rt/`; these aliases keep the `crate::NAME` paths the rest of the
// crate imports by, so moving a core module does not touch every module that uses it.
use rt::await_chain as trace;
use rt::executor;
use rt::reactor;
use rt::task;
use rt::waker;

// `corio::debug` is fixed by DESIGN.md; the module lives with the rest of observability.
pub use observe::debug;

pub use as_completed::{AsCompleted, AsCompletedNext, as_completed};
pub use asyncio_names::{gather, race, run_in_thread};
pub use blocking::{Blocking, spawn_blocking};
pub use callbacks::{CallbackHandle, call_at, call_later, call_soon};
#[doc(hidden)]
pub use combinators::JoinPart;
pub use combinators::{
    Either, JoinAll, SelectAll, YieldNow, join_all, select, select_all, yield_now,
};
pub use coroutine::{Coroutine, CoroutineState, Inspect, ResumeError};
pub use executor::LoopId;
pub use loops::{Loops, dump_all, run_per_core};
pub use observe::tasks::{Frame, TaskInfo, current_task, dump, tasks};
pub use remote::{LoopClosed, RemoteHandle, RemoteTask};
pub use runtime::{Builder, Handle, Runtime, run, running_loop, spawn, spawn_named};
pub use shared_stream::{NextItem, SharedStream};
pub use status::{Local, PointKind, Status, SuspendPoint};
pub use task::{Panic, Task, TaskError, TaskId};
pub use task_group::{ChildError, GroupError, GroupHandle, TaskGroup};
pub use time::{Elapsed, Interval, Sleep, interval, sleep, sleep_until, timeout, timeout_at};
pub use wait::{ReturnWhen, Wait, wait};

/// The async generators' trait (`futures_core::Stream`), re-exported for convenience.
pub use futures_core::Stream;

/// Rewrites a function into an explicit, inspectable, resumable state machine.
///
/// | form | returns |
/// |---|---|
/// | `#[corio::coroutine(yield = T)] fn` | `impl Coroutine<(), Yield = T, Return = R> + Iterator<Item = T> + FusedIterator + Inspect + Debug` |
/// | `#[corio::coroutine(yield = T, resume = A)] fn` | `impl Coroutine<A, Yield = T, Return = R> + Inspect + Debug` |
/// | `#[corio::coroutine] async fn` | `impl Future<Output = R> + Inspect + Unpin + Debug` |
/// | `#[corio::coroutine(yield = T)] async fn` | `impl Stream<Item = T> + Inspect + Unpin + Debug` |
///
/// Add `clone` to the arguments for `+ Clone`. Suspend with [`yield_!`] (generators) or
/// `.await` (async coroutines). Write the attribute with its path: a bare `#[coroutine]` is
/// ambiguous with rustc's own unstable attribute.
///
/// # Examples
///
/// A generator with resume arguments, like Python's `send()`:
///
/// ```
/// use corio::{Coroutine, CoroutineState, Inspect};
///
/// #[corio::coroutine(yield = i64, resume = i64)]
/// fn running_total() -> i64 {
///     let mut total = 0;
///     loop {
///         let x = yield_!(total);
///         if x == 0 {
///             return total;
///         }
///         total += x;
///     }
/// }
///
/// let mut g = running_total();
/// assert_eq!(g.resume(0), CoroutineState::Yielded(0)); // the first argument is discarded
/// assert_eq!(g.resume(5), CoroutineState::Yielded(5));
/// assert_eq!(g.locals()[0].to_string(), "total = 5");
/// assert_eq!(g.resume(0), CoroutineState::Complete(5));
/// ```
///
/// It expands to a frame enum with one variant per state (holding exactly the bindings that
/// are live there, each with its own generic parameter so rustc infers the types), a
/// non-capturing step closure that runs from one state to the next, and a describe closure
/// for [`Inspect`]:
///
/// ```text
/// enum __CorioFrame<T_total, R> { Start {}, Suspend0 { total: T_total }, Running, Done(Option<R>) }
/// generator(Start {}, |frame, arg| loop { match state { Suspend0 { mut total } => { let x = arg; … } … } }, |frame, out| …)
/// ```
///
/// # What a suspended coroutine keeps, and the borrowing rule
///
/// A binding is kept across a suspension point when it is used after it, or when its name
/// starts with `_` and it is in scope (`let _guard = …;` lives to the end of its block). Other
/// bindings are dropped at the first suspension point after their last use. A coroutine can be
/// moved, so it cannot keep a borrow of its own local across a suspension point: own the value,
/// keep an index, clone, or put the borrowing code in a nested `async move { … }` block.
///
/// ```compile_fail
/// #[corio::coroutine(yield = u8)]
/// fn bytes() {
///     let data = vec![1u8, 2, 3];
///     for b in data.iter() { // error: the loop's iterator borrows the local `data` …
///         yield_!(*b);
///     }
/// }
/// ```
///
/// # Errors
///
/// Misplaced suspension points (in a closure, a nested fn or async block, another macro's
/// arguments or a match guard), `.await` in a generator, unknown arguments and visible borrows
/// across suspension points are compile errors spanned at your code, with a remedy.
pub use corio_macros::coroutine;

/// Runs `async fn main` on corio's loop, like `#[tokio::main]`.
///
/// `#[corio::main] async fn main() -> T { body }` becomes
/// `fn main() -> T { corio::Runtime::new().run(async move { body }) }`; with
/// `#[corio::main(debug)]` the loop runs in debug mode (slow-poll warnings).
///
/// # Examples
///
/// ```
/// #[corio::main]
/// async fn main() {
///     let answer = corio::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
pub use corio_macros::main;

/// Runs an `async fn` test on a fresh corio loop, like `#[tokio::test]`: what
/// `IsolatedAsyncioTestCase` does for asyncio tests.
///
/// `#[corio::test] async fn name() -> T { body }` becomes
/// `#[test] fn name() -> T { corio::Runtime::new().run(async move { body }) }`. Each test runs
/// on its own loop, which cancels whatever tasks the test leaves behind when it returns; a
/// panic fails the test as usual, and `#[should_panic]`/`#[ignore]` work as on `#[test]`.
/// `#[corio::test(debug)]` runs the loop in debug mode (slow-poll warnings, locals in task
/// dumps); `#[corio::test(start_paused = true)]` starts on a [paused](time::pause) clock, so
/// timeouts and retries are tested without waiting (tokio's `start_paused`); `seed = N`
/// runs a [seeded](Builder::seed) schedule. A test that is not `async`, takes arguments or
/// is generic is a compile error.
///
/// # Examples
///
/// ```
/// #[corio::test]
/// async fn sleeps_at_least_as_long_as_asked() {
///     let start = std::time::Instant::now();
///     corio::sleep(std::time::Duration::from_millis(2)).await;
///     assert!(start.elapsed() >= std::time::Duration::from_millis(2));
/// }
///
/// #[corio::test(start_paused = true)]
/// async fn an_hour_long_timeout_fires_at_once() {
///     let never = std::future::pending::<()>();
///     let waited = corio::timeout(std::time::Duration::from_secs(3600), never).await;
///     assert!(waited.is_err());
/// }
///
/// #[corio::test]
/// async fn a_test_can_return_a_result() -> std::io::Result<()> {
///     let listener = corio::net::TcpListener::bind("127.0.0.1:0")?;
///     listener.local_addr()?;
///     Ok(())
/// }
/// # fn main() {}
/// ```
pub use corio_macros::test;

/// Suspends a `#[corio::coroutine]` generator with a value: Python's `yield`.
///
/// `yield_!(v)` hands `v` to the caller of `resume` and evaluates, when resumed, to that
/// resume's argument. It is only meaningful inside a `#[corio::coroutine(yield = T)]`
/// function, which rewrites it away; anywhere else it is a compile error.
///
/// Inside a coroutine body it needs no import: the attribute rewrites it before names are
/// resolved, so `use corio::yield_;` there would be reported as an unused import.
///
/// # Examples
///
/// ```
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
