//! Recursion through `Box::pin(self_fn(..)).await`: the awaited box is erased to a trait
//! object, because a coroutine's state machine cannot contain its own type (rustc: E0720
//! "cannot resolve opaque type"). rustc's own `async fn` needs no erasure: its state machine
//! is a type of the compiler's, not a generic struct holding the awaited future's type.
//!
//! The macro writes `(&Recursive::new(boxed)).__corio_erase()` with both traits in scope:
//! a coroutine (an [`Inspect`] future) becomes a `dyn InspectFuture`, so a task dump still
//! sees into the call; any other future (a method of the same name on another type) a `dyn
//! Future`.

use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;

use crate::coroutine::Inspect;

/// A future that is also inspectable, as one trait object.
pub trait InspectFuture: Future + Inspect {}

impl<F: Future + Inspect + ?Sized> InspectFuture for F {}

/// The boxed future of a recursive call, until it is erased (once).
pub struct Recursive<F>(Cell<Option<Pin<Box<F>>>>);

impl<F> core::fmt::Debug for Recursive<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Recursive")
    }
}

impl<F> Recursive<F> {
    /// Holds `f` for `__corio_erase`.
    pub fn new(f: Pin<Box<F>>) -> Self {
        Recursive(Cell::new(Some(f)))
    }

    fn take(&self) -> Pin<Box<F>> {
        // The macro calls `__corio_erase` once, on a value it has just made.
        self.0.take().expect("erased once")
    }
}

/// Chosen when the call is an inspectable coroutine.
pub trait EraseInspect<'a, T> {
    /// The box as a `dyn InspectFuture`.
    fn __corio_erase(&self) -> Pin<Box<dyn InspectFuture<Output = T> + 'a>>;
}

impl<'a, F: Future + Inspect + 'a> EraseInspect<'a, F::Output> for Recursive<F> {
    fn __corio_erase(&self) -> Pin<Box<dyn InspectFuture<Output = F::Output> + 'a>> {
        self.take()
    }
}

/// Chosen otherwise.
pub trait EraseFuture<'a, T> {
    /// The box as a `dyn Future`.
    fn __corio_erase(&self) -> Pin<Box<dyn Future<Output = T> + 'a>>;
}

impl<'a, F: Future + 'a> EraseFuture<'a, F::Output> for &Recursive<F> {
    fn __corio_erase(&self) -> Pin<Box<dyn Future<Output = F::Output> + 'a>> {
        self.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opaque_future_is_erased_to_a_plain_dyn_future() {
        let f: Pin<Box<dyn Future<Output = u8>>> =
            (&Recursive::new(Box::pin(core::future::ready(3)))).__corio_erase();
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        let mut f = f;
        assert_eq!(f.as_mut().poll(&mut cx), core::task::Poll::Ready(3));
    }
}
