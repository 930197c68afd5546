//! [`Gen`]: the wrapper that turns a frame and its step and describe closures into a
//! [`Coroutine`] + [`Iterator`] (generators), a [`Future`] (`async fn`) or a [`Stream`]
//! (async generators), and always an [`Inspect`].

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

use crate::coroutine::{Coroutine, CoroutineState, Inspect, ResumeError};
use crate::status::{Local, Status, SuspendPoint};
use crate::trace;

/// What every generated frame enum can say about itself without knowing its concrete types.
pub trait Frame: Sized {
    /// The coroutine's path, e.g. `my_crate::fib`.
    const NAME: &'static str;
    /// An `async fn` or async generator (its `Debug` uses the `CORO_*` names).
    const ASYNC: bool = false;
    /// A method (a fn with a receiver): its describe closure names it with its `Self` type
    /// ([`Described::name`]), which the frame, an item nested in the method, cannot see.
    const METHOD: bool = false;
    /// The body's return type (the payload of the `Done` variant).
    type Return;
    /// `Created` for `Start`, `Running`, `Closed` for `Done`, `Suspended` otherwise.
    fn status(&self) -> Status;
    /// The `Done` variant, optionally keeping a return value for [`Coroutine::take_return`].
    fn done(ret: Option<Self::Return>) -> Self;
    /// Moves the kept return value out of a `Done` frame.
    fn take_return(&mut self) -> Option<Self::Return>;
}

/// The callback a describe closure reports each live local to: its name and a `Debug` view.
pub type Sink<'s> = dyn FnMut(&'static str, &dyn fmt::Debug) + 's;

/// What a describe closure says about a frame besides its locals.
#[derive(Clone, Copy)]
#[allow(
    missing_debug_implementations,
    reason = "transient value inside the expansion"
)]
pub struct Described<'a> {
    /// The point the frame is suspended at.
    pub point: Option<&'static SuspendPoint>,
    /// The awaited inner coroutine, when it implements [`Inspect`].
    pub awaiting: Option<&'a dyn Inspect>,
    /// A method's path with its type, `app::Tokens::words` (see [`method_name`]); `None`
    /// for a free fn, whose [`Frame::NAME`] is its path.
    pub name: Option<&'static &'static str>,
}

impl<'a> Described<'a> {
    /// Not suspended.
    pub const NONE: Described<'static> = Described {
        point: None,
        awaiting: None,
        name: None,
    };

    /// Suspended at `point`, awaiting nothing inspectable.
    pub const fn at(point: &'static SuspendPoint) -> Self {
        Described {
            point: Some(point),
            awaiting: None,
            name: None,
        }
    }

    /// Suspended at `point`, awaiting `inner` (if it is inspectable).
    pub const fn awaiting(point: &'static SuspendPoint, inner: Option<&'a dyn Inspect>) -> Self {
        Described {
            point: Some(point),
            awaiting: inner,
            name: None,
        }
    }
}

/// What a step closure returns: `Step(None)` when the frame is closed.
///
/// A type of its own rather than a bare `Option`: a `return` or `?` hidden inside a
/// `macro_rules!` macro that a coroutine's body calls is invisible to the pass and returns from
/// the step closure; with this type it is a compile error (`expected Step<…>`, or "the `?`
/// operator can only be used in a closure that returns `Result` or `Option`"), where an
/// `Option` would have made a `?` on an `Option` silently close the coroutine.
#[repr(transparent)]
#[allow(
    missing_debug_implementations,
    reason = "transient value inside the expansion"
)]
pub struct Step<T>(pub Option<T>);

impl<T> Step<T> {
    /// A step that produced `value`.
    #[inline(always)]
    pub const fn some(value: T) -> Self {
        Step(Some(value))
    }
}

/// Runs `f` as a cold call: the expansion wraps a generator's first-resume code in it when
/// that code only computes the bindings of the loop every resume enters, so that the
/// optimiser keeps one copy of the loop and does not fold the first resume into it with
/// selects (docs/decisions.md, "One copy of the loop a generator resumes into").
///
/// ```
/// assert_eq!(corio::__private::cold(|| 1 + 1), 2);
/// ```
#[cold]
#[inline]
pub fn cold<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// A generator: a frame plus its (zero-sized, non-capturing) step and describe closures.
///
/// As a `Future` or `Stream` it records itself in the await chain of the task polling it
/// when it returns `Pending` (see `crate::trace`); in debug mode of a debug build, dropping an
/// async one that was never polled warns, like Python's "coroutine … was never awaited".
#[derive(Clone)]
pub struct Gen<S: Frame, F, D> {
    frame: S,
    step: F,
    describe: D,
}

/// Builds a [`Gen`]. Taking the closures here lets rustc deduce their signatures.
///
/// The step resumes the frame; on a closed frame it leaves the frame as it was and returns
/// `None`. Checking that in the step's own `match` on the frame (rather than in the wrapper
/// before it) leaves one dispatch per resume, and a step without a panicking arm lets the
/// optimiser drop its unwind path and the store of `Running` it begins with.
pub fn generator<S, F, D, A, Y>(frame: S, step: F, describe: D) -> Gen<S, F, D>
where
    S: Frame,
    F: FnMut(&mut S, A) -> Step<CoroutineState<Y, S::Return>>,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    Gen {
        frame,
        step,
        describe,
    }
}

/// Builds the [`Gen`] of an `async fn`: a [`Future`].
pub fn future<S, F, D>(frame: S, step: F, describe: D) -> Gen<S, F, D>
where
    S: Frame,
    F: for<'c> FnMut(&mut S, &mut Context<'c>) -> Step<Poll<S::Return>>,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    Gen {
        frame,
        step,
        describe,
    }
}

/// Builds the [`Gen`] of an async generator: a [`Stream`].
pub fn stream<S, F, D, Y>(frame: S, step: F, describe: D) -> Gen<S, F, D>
where
    S: Frame<Return = ()>,
    F: for<'c> FnMut(&mut S, &mut Context<'c>) -> Step<Poll<Option<Y>>>,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    Gen {
        frame,
        step,
        describe,
    }
}

/// Leaves the frame `Done` if the step unwinds: a generator whose body panicked is closed.
/// Forgotten after a normal return, so only the unwind path runs it. (Checking for
/// `Running` would not do: an await polls its future in place, in a suspended frame.)
struct CloseOnUnwind<'a, S: Frame>(&'a mut S);

impl<S: Frame> Drop for CloseOnUnwind<'_, S> {
    fn drop(&mut self) {
        *self.0 = S::done(None);
    }
}

// A `Gen` is `Unpin` whatever its frame holds: nothing ever pins a field of it. `poll` takes
// `&mut Self` out of the `Pin` and steps the frame by `&mut`; an awaited future is polled
// through `Pin::new`, which needs it to be `Unpin` itself, so the expansion boxes the ones that
// are not (`BoxedKind`). A local of a type that is not `Unpin` (a generic `T`, a
// `PhantomPinned`) is only ever moved, never pinned, so moving the `Gen` cannot break a pin
// guarantee. `Unpin` is a safe trait: this promise needs no `unsafe`, and rustc's own
// `async fn` futures are the only ones that need to be `!Unpin` (they hold self-references).
impl<S: Frame, F, D> Unpin for Gen<S, F, D> {}

impl<S: Frame, F, D> Gen<S, F, D> {
    #[inline(always)]
    fn run<A, O>(&mut self, arg: A) -> O
    where
        F: FnMut(&mut S, A) -> O,
    {
        let guard = CloseOnUnwind(&mut self.frame);
        let out = (self.step)(&mut *guard.0, arg);
        core::mem::forget(guard);
        out
    }
}

impl<S, F, D> Gen<S, F, D>
where
    S: Frame,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    /// The coroutine's path: [`Frame::NAME`], or for a method the name its describe closure
    /// computes from `Self` (a no-op walk of its locals, decided at compile time).
    #[inline]
    fn name_ref(&self) -> &'static &'static str {
        if S::METHOD
            && let Some(name) = (self.describe)(&self.frame, &mut |_, _| {}).name
        {
            return name;
        }
        const { &S::NAME }
    }

    /// A poll that records: a pending coroutine goes into the await chain above what it
    /// awaits; a finished one forgets what its inner futures recorded.
    #[cold]
    #[inline(never)]
    fn record(&self, mark: u32, pending: bool) {
        if pending {
            let locals = trace::wants_locals().then(|| self.locals());
            trace::coroutine(mark, self.name_ref(), self.suspended_at(), locals);
        } else {
            trace::discard(mark);
        }
    }
}

impl<S, F, D> Future for Gen<S, F, D>
where
    S: Frame,
    F: for<'c> FnMut(&mut S, &mut Context<'c>) -> Step<Poll<S::Return>>,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    type Output = S::Return;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<S::Return> {
        let this = self.get_mut();
        let mark = trace::mark();
        let Some(poll) = this.run(cx).0 else {
            panic!("`async fn` resumed after completion");
        };
        if mark != trace::INACTIVE {
            this.record(mark, poll.is_pending());
        }
        poll
    }
}

impl<S, F, D, Y> Stream for Gen<S, F, D>
where
    S: Frame<Return = ()>,
    F: for<'c> FnMut(&mut S, &mut Context<'c>) -> Step<Poll<Option<Y>>>,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    type Item = Y;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Y>> {
        let this = self.get_mut();
        let mark = trace::mark();
        // Fused: an async generator that ended keeps saying so.
        let Some(poll) = this.run(cx).0 else {
            return Poll::Ready(None);
        };
        if mark != trace::INACTIVE {
            this.record(mark, poll.is_pending());
        }
        poll
    }
}

/// Debug builds only: a `Drop` on every coroutine changes how rustc inlines the step closures
/// that embed it, which cost about 4 % of the three-level spawn benchmark in release builds.
#[cfg(debug_assertions)]
impl<S: Frame, F, D> Drop for Gen<S, F, D> {
    #[inline]
    fn drop(&mut self) {
        if S::ASYNC && self.frame.status() == Status::Created {
            crate::debug::never_awaited(S::NAME);
        }
    }
}

impl<S, F, D, A, Y> Coroutine<A> for Gen<S, F, D>
where
    S: Frame,
    F: FnMut(&mut S, A) -> Step<CoroutineState<Y, S::Return>>,
{
    type Yield = Y;
    type Return = S::Return;

    #[inline]
    fn resume(&mut self, arg: A) -> CoroutineState<Y, S::Return> {
        self.run(arg)
            .0
            .unwrap_or_else(|| panic!("coroutine resumed after completion"))
    }

    #[inline]
    fn try_resume(&mut self, arg: A) -> Result<CoroutineState<Y, S::Return>, ResumeError> {
        self.run(arg).0.ok_or(ResumeError::Closed)
    }

    fn close(&mut self) {
        if self.frame.status() != Status::Closed {
            self.frame = S::done(None);
        }
    }

    fn take_return(&mut self) -> Option<S::Return> {
        self.frame.take_return()
    }
}

impl<S, F, D, Y> Iterator for Gen<S, F, D>
where
    S: Frame,
    F: FnMut(&mut S, ()) -> Step<CoroutineState<Y, S::Return>>,
{
    type Item = Y;

    #[inline]
    fn next(&mut self) -> Option<Y> {
        match self.run(()).0? {
            CoroutineState::Yielded(y) => Some(y),
            CoroutineState::Complete(r) => {
                self.frame = S::done(Some(r));
                None
            }
        }
    }
}

impl<S, F, D, Y> core::iter::FusedIterator for Gen<S, F, D>
where
    S: Frame,
    F: FnMut(&mut S, ()) -> Step<CoroutineState<Y, S::Return>>,
{
}

impl<S, F, D> Inspect for Gen<S, F, D>
where
    S: Frame,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    fn status(&self) -> Status {
        self.frame.status()
    }

    fn name(&self) -> &'static str {
        self.name_ref()
    }

    fn suspended_at(&self) -> Option<&'static SuspendPoint> {
        (self.describe)(&self.frame, &mut |_, _| {}).point
    }

    fn locals(&self) -> Vec<Local> {
        let mut locals = Vec::new();
        (self.describe)(&self.frame, &mut |name, value| {
            locals.push(Local {
                name,
                value: format!("{value:?}"),
            });
        });
        locals
    }

    fn awaiting(&self) -> Option<&dyn Inspect> {
        (self.describe)(&self.frame, &mut |_, _| {}).awaiting
    }
}

/// Reads like `fib (GEN_SUSPENDED at src/fib.rs:4:9 `yield_!(a)`, a = 1, b = 2)`; an async
/// coroutine suspended at an `.await` of another coroutine ends with `, awaiting ` and that
/// one's text (Python's `cr_await`), down the chain.
impl<S, F, D> fmt::Debug for Gen<S, F, D>
where
    S: Frame,
    D: for<'a> Fn(&'a S, &mut Sink<'_>) -> Described<'a>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug_coroutine(self, S::ASYNC, f)
    }
}

/// The `Debug` text shared by every coroutine wrapper.
pub(crate) fn debug_coroutine(
    c: &dyn Inspect,
    is_async: bool,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    let status = if is_async {
        c.status().coro_name()
    } else {
        c.status().gen_name()
    };
    write!(f, "{} ({status}", c.name())?;
    if let Some(point) = c.suspended_at() {
        write!(f, " at {point}")?;
    }
    for local in c.locals() {
        write!(f, ", {local}")?;
    }
    if let Some(inner) = c.awaiting() {
        // Only async coroutines await, so the inner one uses the `CORO_*` names.
        f.write_str(", awaiting ")?;
        debug_coroutine(inner, true, f)?;
    }
    f.write_str(")")
}

/// `app::Tokens::words` for method `words` of `Self = app::Tokens`: the type's path (without
/// generic arguments, so every instance of a generic impl has one name, like Python's
/// `__qualname__`) and the method, joined once per (type, method) and kept for the program's
/// life, since [`Inspect::name`] returns `&'static str`. Keyed by `type_name` rather than
/// cached per call site, because one method body serves many `Self` types (a blanket impl,
/// a trait's default method).
pub fn method_name<T: ?Sized>(method: &'static str) -> &'static &'static str {
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};
    type Names = HashMap<(&'static str, &'static str), &'static &'static str>;
    static NAMES: Mutex<Option<Names>> = Mutex::new(None);
    let ty = core::any::type_name::<T>();
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    names
        .get_or_insert_with(HashMap::new)
        .entry((ty, method))
        .or_insert_with(|| {
            // `app::Wrapper<alloc::string::String>` → `app::Wrapper`; `[u8]`, `(A, B)` and
            // `&T` are kept as they are.
            let path = match ty.find('<') {
                Some(i) if ty.starts_with(|c: char| c.is_alphanumeric() || c == '_') => &ty[..i],
                _ => ty,
            };
            let joined: &'static str = Box::leak(format!("{path}::{method}").into_boxed_str());
            Box::leak(Box::new(joined))
        })
}
