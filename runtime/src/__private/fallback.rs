//! What a `#[corio::coroutine]` with errors returns, so that callers still type-check while
//! the `compile_error!` next to it reports the real problem.

use core::fmt;
use core::marker::PhantomData;

use crate::coroutine::{Coroutine, CoroutineState, Inspect, ResumeError};
use crate::status::{Local, Status, SuspendPoint};

/// Stands in for the coroutine the macro could not build; never constructed at run time.
pub struct Unreachable<Y, R>(PhantomData<fn() -> (Y, R)>);

impl<Y, R> Unreachable<Y, R> {
    /// Only reachable in code that does not compile.
    #[allow(
        clippy::new_without_default,
        reason = "a default would suggest it can be made"
    )]
    pub fn new() -> Self {
        unreachable!("a #[corio::coroutine] with compile errors was called")
    }
}

impl<Y, R> Clone for Unreachable<Y, R> {
    fn clone(&self) -> Self {
        Unreachable(PhantomData)
    }
}

impl<Y, R> fmt::Debug for Unreachable<Y, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unreachable")
    }
}

impl<A, Y, R> Coroutine<A> for Unreachable<Y, R> {
    type Yield = Y;
    type Return = R;
    fn resume(&mut self, _: A) -> CoroutineState<Y, R> {
        unreachable!()
    }
    fn try_resume(&mut self, _: A) -> Result<CoroutineState<Y, R>, ResumeError> {
        unreachable!()
    }
    fn close(&mut self) {}
    fn take_return(&mut self) -> Option<R> {
        None
    }
}

impl<Y, R> core::future::Future for Unreachable<Y, R> {
    type Output = R;
    fn poll(
        self: core::pin::Pin<&mut Self>,
        _: &mut core::task::Context<'_>,
    ) -> core::task::Poll<R> {
        unreachable!()
    }
}

impl<Y, R> futures_core::Stream for Unreachable<Y, R> {
    type Item = Y;
    fn poll_next(
        self: core::pin::Pin<&mut Self>,
        _: &mut core::task::Context<'_>,
    ) -> core::task::Poll<Option<Y>> {
        unreachable!()
    }
}

impl<Y, R> Iterator for Unreachable<Y, R> {
    type Item = Y;
    fn next(&mut self) -> Option<Y> {
        unreachable!()
    }
}

impl<Y, R> core::iter::FusedIterator for Unreachable<Y, R> {}

impl<Y, R> Inspect for Unreachable<Y, R> {
    fn status(&self) -> Status {
        Status::Closed
    }
    fn name(&self) -> &'static str {
        "<invalid coroutine>"
    }
    fn suspended_at(&self) -> Option<&'static SuspendPoint> {
        None
    }
    fn locals(&self) -> Vec<Local> {
        Vec::new()
    }
    fn awaiting(&self) -> Option<&dyn Inspect> {
        None
    }
}
