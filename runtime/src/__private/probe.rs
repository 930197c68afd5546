//! Autoref specialisation: method calls that pick an impl by what the *concrete* type at
//! the expansion site implements. Method lookup tries the receiver as written before adding
//! a `&`, so an impl for `T` (with a bound) wins over an impl for `&T` (without one) exactly
//! when the bound holds. The expansion calls these inside the function body, where every
//! type is known, so the choice is made per local and per awaited value.

use core::any::type_name;
use core::fmt;
use core::future::Future;
use core::marker::PhantomData;
use core::pin::Pin;

use crate::coroutine::Inspect;

/// A borrowed local of a frame, seen through `(&&Probe(x))`.
///
/// Its own `Debug` prints `<type name>`: the fallback for types without `Debug`.
pub struct Probe<'a, T>(pub &'a T);

impl<T> fmt::Debug for Probe<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", type_name::<T>())
    }
}

/// Chosen when the local's type implements `Debug`: the value itself.
pub trait RenderDebug<'a> {
    /// The `Debug` view of the local.
    fn __corio_debug(&self) -> &'a dyn fmt::Debug;
}

impl<'a, T: fmt::Debug> RenderDebug<'a> for &Probe<'a, T> {
    fn __corio_debug(&self) -> &'a dyn fmt::Debug {
        self.0
    }
}

/// Chosen otherwise: the probe, which prints the type name.
pub trait RenderName {
    /// The `Debug` view of the local.
    fn __corio_debug(&self) -> &dyn fmt::Debug;
}

impl<T> RenderName for Probe<'_, T> {
    fn __corio_debug(&self) -> &dyn fmt::Debug {
        self
    }
}

/// Chosen when an awaited value implements [`Inspect`]: `cr_await` can see into it.
pub trait ViaInspect<'a> {
    /// The awaited value as an inspectable coroutine.
    fn __corio_inspect(&self) -> Option<&'a dyn Inspect>;
}

impl<'a, T: Inspect> ViaInspect<'a> for &Probe<'a, T> {
    fn __corio_inspect(&self) -> Option<&'a dyn Inspect> {
        Some(self.0)
    }
}

/// Chosen otherwise: the awaited value is opaque.
pub trait NoInspect {
    /// Nothing to inspect.
    fn __corio_inspect(&self) -> Option<&'static dyn Inspect> {
        None
    }
}

impl<T> NoInspect for Probe<'_, T> {}

/// Marker returned for `Unpin` futures: they are polled where they are stored.
#[derive(Debug, Clone, Copy)]
pub struct AwaitInPlace<T>(PhantomData<T>);

/// Marker returned for `!Unpin` futures: they are boxed once, then polled through the box.
#[derive(Debug, Clone, Copy)]
pub struct AwaitBoxed<T>(PhantomData<T>);

/// Called as `(&fut).__corio_await_kind()`; this impl (for `T` itself) wins when `T: Unpin`.
pub trait InPlaceKind<T> {
    /// Which way to store the future.
    fn __corio_await_kind(&self) -> AwaitInPlace<T> {
        AwaitInPlace(PhantomData)
    }
}

// `Future` keeps this impl from matching the `&T` receiver (a reference is `Unpin`).
impl<T: Future + Unpin> InPlaceKind<T> for T {}

/// The fallback (an impl for `&T`): the future is not `Unpin`.
pub trait BoxedKind<T> {
    /// Which way to store the future.
    fn __corio_await_kind(&self) -> AwaitBoxed<T> {
        AwaitBoxed(PhantomData)
    }
}

// Unbounded: a value that is not a future lands here, and fails only where `IntoFuture` and
// `Future::poll` ask for a future ("`u32` is not a future"), without an error naming these
// traits (F-probe-6).
impl<T> BoxedKind<T> for &T {}

impl<T: Future + Unpin> AwaitInPlace<T> {
    /// Keeps the future as it is.
    #[inline(always)]
    pub fn store(self, fut: T) -> T {
        fut
    }
}

impl<T> AwaitBoxed<T> {
    /// Pins the future in a box, once, so the frame stays movable.
    #[inline]
    pub fn store(self, fut: T) -> Pin<Box<T>> {
        Box::pin(fut)
    }
}

#[cfg(test)]
#[allow(
    clippy::needless_borrow,
    reason = "autoref specialisation needs the explicit references"
)]
mod tests {
    use super::*;

    struct Opaque;

    #[test]
    fn renders_debug_or_type_name() {
        let n = 42_u8;
        let o = Opaque;
        assert_eq!(format!("{:?}", (&&Probe(&n)).__corio_debug()), "42");
        assert_eq!(
            format!("{:?}", (&&Probe(&o)).__corio_debug()),
            "<corio::__private::probe::tests::Opaque>"
        );
    }

    #[test]
    fn unpin_futures_stay_in_place_others_are_boxed() {
        let ready = core::future::ready(1);
        let stored: core::future::Ready<i32> = (&ready).__corio_await_kind().store(ready);
        drop(stored);
        let pinned = async { 1 };
        let stored: Pin<Box<_>> = (&pinned).__corio_await_kind().store(pinned);
        drop(stored);
    }

    #[test]
    fn inspect_found_only_on_inspectable_values() {
        let n = 1_u8;
        assert!((&&Probe(&n)).__corio_inspect().is_none());
    }
}
