//! Type inference across the expansion's arms.

use core::marker::PhantomData;

/// Returns `value`, with the type of `anchor`'s parameter.
///
/// A block, `if`, `match` or `loop` used as a value that contains a suspension point becomes
/// a temporary assigned on every way out (`break 'found Some(x)`, the tail `None`), and those
/// assignments end up in different arms of the step closure, some in copies of the code after
/// the block. Each assignment goes through `typed(&anchor, value)` with one `PhantomData`
/// anchor per temporary, declared once at the top of the step closure, so that rustc infers
/// the temporary's type from all of them together, as it does for the plain block.
///
/// ```
/// let anchor = core::marker::PhantomData;
/// let a = corio::__private::typed(&anchor, None);
/// let b = corio::__private::typed(&anchor, Some(1u8));
/// assert_eq!((a, b), (None, Some(1)));
/// ```
#[inline(always)]
pub fn typed<T>(anchor: &PhantomData<T>, value: T) -> T {
    let _ = anchor;
    value
}

/// The value of a body that ends without a tail, for its declared return type `R`.
///
/// A plain fn whose body has no tail returns `()`, or its type is `!` because some statement
/// diverges (`{ abort(); }`, `loop {}`) and the end is never reached. A coroutine's body is
/// cut into arms at its suspension points, so the arm that falls off the end may not contain
/// the statement that diverged; it still needs a value of type `R`. `FallOff::<R>::new().value()`
/// is `()` when `R` is `()` (the inherent method below, which method resolution prefers), and
/// otherwise [`FallOffNever::value`], which is never called: the plain fn type-checks only
/// when its end is unreachable, and the coroutine runs the same statements in the same order.
///
/// ```
/// use corio::__private::{FallOff, FallOffNever as _};
/// let unit: () = FallOff::<()>::new().value();
/// assert_eq!(unit, ());
/// fn never() -> u32 {
///     if true {
///         return 1;
///     }
///     FallOff::<u32>::new().value()
/// }
/// assert_eq!(never(), 1);
/// ```
pub struct FallOff<R>(PhantomData<fn() -> R>);

impl<R> core::fmt::Debug for FallOff<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FallOff")
    }
}

impl<R> FallOff<R> {
    /// The fall-off of a body returning `R`.
    #[allow(
        clippy::new_without_default,
        reason = "only the expansion makes one, by this name"
    )]
    #[inline(always)]
    pub fn new() -> Self {
        FallOff(PhantomData)
    }
}

impl FallOff<()> {
    /// `()`: the body returns `()` and simply ends.
    #[inline(always)]
    pub fn value(self) {}
}

/// The fall-off of a body whose return type is not `()`: unreachable (see [`FallOff`]).
pub trait FallOffNever<R> {
    /// Never returns: the plain fn's end is unreachable when its return type is not `()`.
    fn value(self) -> R;
}

impl<R> FallOffNever<R> for FallOff<R> {
    fn value(self) -> R {
        unreachable!("a #[corio::coroutine] body whose return type is not `()` reached its end")
    }
}
