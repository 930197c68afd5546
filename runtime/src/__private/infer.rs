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
