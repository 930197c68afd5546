//! The other names DESIGN.md gives some combinators: `gather` (asyncio's), `race` and
//! `run_in_thread`. Each is the same function as its twin, so a program can use either.

use std::future::{Future, IntoFuture};

use crate::{Blocking, Either, JoinAll, join_all, select, spawn_blocking};

/// Runs a collection of futures concurrently and returns their outputs in input order:
/// asyncio's `gather(*aws)`, the same as [`join_all`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[corio::coroutine]
/// async fn square_later(x: u64) -> u64 {
///     corio::sleep(Duration::from_millis(5 - x)).await;
///     x * x
/// }
///
/// corio::run(async {
///     assert_eq!(corio::gather((1..=4).map(square_later)).await, [1, 4, 9, 16]);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub fn gather<I>(futures: I) -> JoinAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    join_all(futures)
}

/// Runs two futures until the first finishes and drops the other: the same as [`select`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use corio::Either;
///
/// corio::run(async {
///     let reply = async { corio::sleep(Duration::from_millis(1)).await; "reply" };
///     let deadline = corio::sleep(Duration::from_secs(3600));
///     assert_eq!(corio::race(reply, deadline).await, Either::Left("reply"));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub fn race<A, B>(a: A, b: B) -> impl Future<Output = Either<A::Output, B::Output>>
where
    A: IntoFuture,
    B: IntoFuture,
{
    select(a, b)
}

/// Runs blocking code on the thread pool and awaits its result: asyncio's `to_thread`, the
/// same as [`spawn_blocking`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let text = corio::run_in_thread(|| std::fs::read_to_string("Cargo.toml")).await;
///     assert!(text.unwrap().contains("[package]"));
/// });
/// ```
///
/// # Panics
///
/// Awaiting the result re-raises a panic of `f`.
pub fn run_in_thread<T, F>(f: F) -> Blocking<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    spawn_blocking(f)
}
