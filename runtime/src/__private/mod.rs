//! Items the `#[corio::coroutine]` expansion names as `::corio::__private::…`.
//!
//! Nothing here is a public promise: it changes with the macro that emits calls to it.
//! The expansion of one coroutine is
//!
//! * a generic frame enum (`Start { args }`, one variant per state with exactly its live
//!   bindings, `Running`, `Done(Option<Return>)`) implementing [`Frame`];
//! * a non-capturing *step* closure `|frame, arg| -> CoroutineState<Y, R>` that runs the body
//!   from the state in `frame` to the next suspension point;
//! * a non-capturing *describe* closure that reports the suspension point, the live locals
//!   and the awaited coroutine of a frame;
//!
//! all handed to `generator` (or `future` / `stream`), whose `Gen` implements the public traits.

mod fallback;
mod generator;
mod infer;
mod probe;
mod recursion;
mod try_trait;

#[cfg(test)]
mod tests;

pub use fallback::Unreachable;
pub use generator::{
    Described, Frame, Gen, Sink, Step, cold, future, generator, method_name, stream,
};
pub use infer::{FallOff, FallOffNever, typed};
pub use probe::{
    AwaitBoxed, AwaitInPlace, BoxedKind, InPlaceKind, NoInspect, Probe, RenderDebug, RenderName,
    ViaInspect,
};
pub use recursion::{EraseFuture, EraseInspect, InspectFuture, Recursive};
pub use try_trait::{FromResidual, Try, branch, from_residual, residual};

pub use crate::coroutine::{Coroutine, CoroutineState, Inspect};
pub use crate::status::{Local, PointKind, Status, SuspendPoint};
pub use core::ops::ControlFlow;
pub use core::task::{Context, Poll};
pub use futures_core::Stream;
