//! The coroutine protocol: [`Coroutine`] drives a machine, [`Inspect`] looks inside one.

use core::fmt;

use crate::status::{Local, Status, SuspendPoint};

/// What one `resume` produced: a yielded value, or the coroutine's return value.
///
/// The same shape as the unstable `core::ops::CoroutineState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoroutineState<Y, R> {
    /// The coroutine stopped at a `yield_!` with this value.
    Yielded(Y),
    /// The coroutine returned this value and is now closed.
    Complete(R),
}

/// A resumable computation: what `#[corio::coroutine(yield = Y, resume = R)]` functions return.
///
/// `resume(arg)` runs the body until the next `yield_!` or the end. The argument of a resume
/// is what the `yield_!` it continues from evaluates to; the first resume's argument is
/// discarded, as Python requires `send(None)` before anything else.
///
/// # Examples
///
/// ```
/// use corio::{Coroutine, CoroutineState};
///
/// #[corio::coroutine(yield = u32, resume = u32)]
/// fn doubler() -> &'static str {
///     let mut x = yield_!(0);
///     while x != 0 {
///         x = yield_!(x * 2);
///     }
///     "done"
/// }
///
/// let mut g = doubler();
/// assert_eq!(g.resume(99), CoroutineState::Yielded(0)); // 99 is discarded
/// assert_eq!(g.resume(21), CoroutineState::Yielded(42));
/// assert_eq!(g.resume(0), CoroutineState::Complete("done"));
/// ```
pub trait Coroutine<R = ()> {
    /// The type of the values passed to `yield_!`.
    type Yield;
    /// The type the body returns.
    type Return;

    /// Runs the coroutine to its next suspension point or to its end.
    ///
    /// # Panics
    ///
    /// Panics with "coroutine resumed after completion" when the coroutine is closed, and
    /// re-raises a panic of the body (which leaves the coroutine closed).
    fn resume(&mut self, arg: R) -> CoroutineState<Self::Yield, Self::Return>;

    /// Like [`resume`](Coroutine::resume), but returns [`ResumeError::Closed`] instead of
    /// panicking when the coroutine is closed.
    ///
    /// # Errors
    ///
    /// [`ResumeError::Closed`] when the coroutine already returned, panicked or was closed.
    fn try_resume(
        &mut self,
        arg: R,
    ) -> Result<CoroutineState<Self::Yield, Self::Return>, ResumeError>;

    /// Drops the live locals at the current suspension point and marks the coroutine closed,
    /// like Python's `generator.close()`. Closing a closed coroutine does nothing.
    fn close(&mut self);

    /// Takes the return value that iteration kept.
    ///
    /// When a generator is driven as an [`Iterator`], `next` returns `None` at the end and
    /// keeps the body's return value here. `resume` hands the value out directly instead, so
    /// then this gives `None`.
    fn take_return(&mut self) -> Option<Self::Return>;
}

/// The error of [`Coroutine::try_resume`] on a coroutine that cannot run any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResumeError {
    /// The coroutine already returned, panicked, or was closed.
    Closed,
}

impl fmt::Display for ResumeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResumeError::Closed => f.write_str("coroutine resumed after completion"),
        }
    }
}

impl std::error::Error for ResumeError {}

/// Run-time introspection of a coroutine, like Python's `inspect` module and `cr_await`.
///
/// Every `#[corio::coroutine]` implements it. Nothing here mutates or runs the coroutine.
///
/// # Examples
///
/// ```
/// use corio::{Coroutine, Inspect, Status};
///
/// #[corio::coroutine(yield = u64)]
/// fn count(n: u64) {
///     let mut i = 0;
///     while i < n {
///         yield_!(i);
///         i += 1;
///     }
/// }
///
/// let mut g = count(3);
/// assert_eq!(g.status(), Status::Created);
/// g.resume(());
/// assert_eq!(g.status(), Status::Suspended);
/// assert_eq!(g.suspended_at().unwrap().source, "yield_!(i)");
/// let locals: Vec<String> = g.locals().iter().map(|l| l.to_string()).collect();
/// assert_eq!(locals, ["n = 3", "i = 0"]);
/// ```
pub trait Inspect {
    /// Where the coroutine is in its life cycle.
    fn status(&self) -> Status;
    /// The function's path, e.g. `echo::handle`; for a method (a fn with a receiver), its
    /// type's path and the method, `app::Client::handle` (generic arguments left out, like
    /// Python's `__qualname__`).
    fn name(&self) -> &'static str;
    /// The suspension point it is stopped at, when `Suspended`.
    fn suspended_at(&self) -> Option<&'static SuspendPoint>;
    /// The locals it keeps at the current suspension point, in declaration order.
    fn locals(&self) -> Vec<Local>;
    /// The inner coroutine it is awaiting, if that one is inspectable (Python's `cr_await`).
    fn awaiting(&self) -> Option<&dyn Inspect>;
}

macro_rules! forward_inspect {
    ($($ty:ty),*) => {$(
        impl<T: Inspect + ?Sized> Inspect for $ty {
            fn status(&self) -> Status { (**self).status() }
            fn name(&self) -> &'static str { (**self).name() }
            fn suspended_at(&self) -> Option<&'static SuspendPoint> { (**self).suspended_at() }
            fn locals(&self) -> Vec<Local> { (**self).locals() }
            fn awaiting(&self) -> Option<&dyn Inspect> { (**self).awaiting() }
        }
    )*};
}

forward_inspect!(&T, &mut T, Box<T>, core::pin::Pin<Box<T>>);
