//! A stable stand-in for the unstable `Try` / `FromResidual` traits behind `?`.
//!
//! Inside a step closure a `?` cannot return from the coroutine (it would return from the
//! closure, whose type is `CoroutineState`), so the pass rewrites `expr?` into
//!
//! ```text
//! match branch(expr) {
//!     ControlFlow::Continue(v) => v,
//!     ControlFlow::Break(r) => /* finish with */ residual(move || match r? {}),
//! }
//! ```

use core::convert::Infallible;
use core::ops::ControlFlow;

/// The value-or-residual split that `?` performs.
pub trait Try {
    /// What `expr?` evaluates to.
    type Output;
    /// What `expr?` returns early with, before conversion.
    type Residual;
    /// Splits into `Continue(output)` or `Break(residual)`.
    fn branch(self) -> ControlFlow<Self::Residual, Self::Output>;
}

/// Builds a return value from a residual (with `From` conversion for errors).
pub trait FromResidual<R> {
    /// Converts the residual into the early return value.
    fn from_residual(residual: R) -> Self;
}

impl<T, E> Try for Result<T, E> {
    type Output = T;
    type Residual = Result<Infallible, E>;
    #[inline]
    fn branch(self) -> ControlFlow<Self::Residual, T> {
        match self {
            Ok(v) => ControlFlow::Continue(v),
            Err(e) => ControlFlow::Break(Err(e)),
        }
    }
}

impl<T, E, F: From<E>> FromResidual<Result<Infallible, E>> for Result<T, F> {
    #[inline]
    fn from_residual(residual: Result<Infallible, E>) -> Self {
        match residual {
            Err(e) => Err(From::from(e)),
        }
    }
}

impl<T> Try for Option<T> {
    type Output = T;
    type Residual = Option<Infallible>;
    #[inline]
    fn branch(self) -> ControlFlow<Self::Residual, T> {
        match self {
            Some(v) => ControlFlow::Continue(v),
            None => ControlFlow::Break(None),
        }
    }
}

impl<T> FromResidual<Option<Infallible>> for Option<T> {
    #[inline]
    fn from_residual(_: Option<Infallible>) -> Self {
        None
    }
}

/// `Try::branch` as a function, so the expansion needs no trait import.
#[inline]
pub fn branch<T: Try>(value: T) -> ControlFlow<T::Residual, T::Output> {
    value.branch()
}

/// Runs `convert`, a closure the pass writes as `move || match residual? {}` with the user's
/// `?` token: rustc type-checks that `?` against the coroutine's return type (the expected
/// type of this call), so a failed conversion is rustc's own "`?` couldn't convert the error"
/// at the user's `?`.
#[inline(always)]
pub fn residual<T>(convert: impl FnOnce() -> T) -> T {
    convert()
}

/// `FromResidual::from_residual` as a function.
#[inline]
pub fn from_residual<T: FromResidual<R>, R>(residual: R) -> T {
    T::from_residual(residual)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question<T, E, F: From<E>>(r: Result<T, E>) -> Result<T, F> {
        match branch(r) {
            ControlFlow::Continue(v) => Ok(v),
            ControlFlow::Break(residual) => from_residual(residual),
        }
    }

    #[test]
    fn result_converts_errors_with_from() {
        let ok: Result<u8, String> = question(Ok::<u8, &str>(1));
        assert_eq!(ok, Ok(1));
        let err: Result<u8, String> = question(Err::<u8, &str>("bad"));
        assert_eq!(err, Err("bad".to_string()));
    }

    #[test]
    fn option_breaks_on_none() {
        assert!(matches!(branch(None::<u8>), ControlFlow::Break(None)));
        assert!(matches!(branch(Some(3)), ControlFlow::Continue(3)));
        assert_eq!(from_residual::<Option<u8>, _>(None), None);
    }
}
