use std::error::Error;
use std::fmt;

use super::semaphore::{Permit, Semaphore, SemaphoreAcquire};

/// A semaphore that refuses to grow past its initial count: Python's
/// `asyncio.BoundedSemaphore`.
///
/// It hands out the same owned [`Permit`]s as [`Semaphore`] (FIFO, no barging, given back
/// when dropped). The difference is the manual release, for asyncio code that pairs
/// `acquire()` and `release()` by hand: give a permit up with [`Permit::forget`], and later
/// [`release`](BoundedSemaphore::release) it; a release with no forgotten permit outstanding
/// is the bug asyncio's `ValueError` catches, and here an error, [`TooManyReleases`], instead
/// of a semaphore that silently allows one more task in. `BoundedSemaphore` is a cheap
/// handle; clones share the same permits.
///
/// # Examples
///
/// ```
/// use corio::sync::BoundedSemaphore;
///
/// corio::run(async {
///     let slots = BoundedSemaphore::new(2);
///     slots.acquire().await.forget(); // held "by hand", asyncio style
///     assert_eq!(slots.available_permits(), 1);
///     assert!(slots.release().is_ok());
///     assert_eq!(slots.available_permits(), 2);
///     assert!(slots.release().is_err()); // one release too many
///     assert_eq!(slots.available_permits(), 2);
/// });
/// ```
#[derive(Clone)]
pub struct BoundedSemaphore {
    semaphore: Semaphore,
    bound: usize,
}

impl BoundedSemaphore {
    /// Creates a semaphore with `permits` permits, which is also its bound.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(3);
    /// assert_eq!((semaphore.available_permits(), semaphore.bound()), (3, 3));
    /// ```
    pub fn new(permits: usize) -> Self {
        Self {
            semaphore: Semaphore::new(permits),
            bound: permits,
        }
    }

    /// Waits for a permit; see [`Semaphore::acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let semaphore = corio::sync::BoundedSemaphore::new(1);
    ///     let permit = semaphore.acquire().await;
    ///     assert!(semaphore.try_acquire().is_none());
    ///     drop(permit);
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn acquire(&self) -> SemaphoreAcquire {
        self.semaphore.acquire()
    }

    /// Takes a permit if one is free; see [`Semaphore::try_acquire`].
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// assert!(semaphore.try_acquire().is_some());
    /// ```
    pub fn try_acquire(&self) -> Option<Permit> {
        self.semaphore.try_acquire()
    }

    /// Gives back one permit given up with [`Permit::forget`]: asyncio's `release()`. It goes
    /// to the first waiting task, if any.
    ///
    /// # Errors
    ///
    /// [`TooManyReleases`] when no forgotten permit is outstanding: the release would make
    /// more permits than the bound. Nothing changes then.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// semaphore.release().unwrap();
    /// let err = semaphore.release().unwrap_err();
    /// assert_eq!(err.to_string(), "BoundedSemaphore released too many times");
    /// ```
    pub fn release(&self) -> Result<(), TooManyReleases> {
        {
            let mut inner = self.semaphore.inner.borrow_mut();
            inner.forgotten = inner.forgotten.checked_sub(1).ok_or(TooManyReleases(()))?;
        }
        self.semaphore.add_permits(1);
        Ok(())
    }

    /// The number of free permits.
    ///
    /// # Examples
    ///
    /// ```
    /// let semaphore = corio::sync::BoundedSemaphore::new(2);
    /// let _held = semaphore.try_acquire();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// The bound: the number of permits it was created with.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(corio::sync::BoundedSemaphore::new(5).bound(), 5);
    /// ```
    pub fn bound(&self) -> usize {
        self.bound
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("BoundedSemaphore");
        d.field("bound", &self.bound);
        match self.semaphore.inner.try_borrow() {
            Ok(inner) => d
                .field("permits", &inner.permits)
                .field("forgotten", &inner.forgotten),
            Err(_) => d.field("state", &format_args!("<borrowed>")),
        };
        d.finish()
    }
}

/// A [`BoundedSemaphore::release`] with no forgotten permit to give back: asyncio's
/// `ValueError("BoundedSemaphore released too many times")`.
///
/// # Examples
///
/// ```
/// let semaphore = corio::sync::BoundedSemaphore::new(1);
/// let err: corio::sync::TooManyReleases = semaphore.release().unwrap_err();
/// println!("{err}");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyReleases(());

impl fmt::Display for TooManyReleases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for TooManyReleases {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::testutil::Task;

    #[test]
    fn a_release_goes_to_the_first_waiter_and_the_bound_holds() {
        let semaphore = BoundedSemaphore::new(1);
        semaphore.try_acquire().unwrap().forget();
        let mut a = Task::new(semaphore.acquire());
        let mut b = Task::new(semaphore.acquire());
        a.pending();
        b.pending();
        semaphore.release().unwrap();
        assert!(a.woken() && !b.woken());
        assert!(semaphore.try_acquire().is_none(), "the permit is a's");
        // A dropped, handed-over waiter passes the permit on.
        a.cancel();
        assert!(b.woken());
        let permit = b.ready();
        assert_eq!(semaphore.release(), Err(TooManyReleases(())));
        drop(permit);
        assert_eq!(semaphore.available_permits(), 1);
        assert_eq!(
            format!("{semaphore:?}"),
            "BoundedSemaphore { bound: 1, permits: 1, forgotten: 0 }"
        );
    }

    #[test]
    fn a_live_permit_is_not_releasable_by_hand() {
        let semaphore = BoundedSemaphore::new(2);
        let held = semaphore.try_acquire().unwrap();
        // asyncio would accept this release (its count is below the bound) and end with 3
        // permits once `held` comes back; corio refuses it.
        assert!(semaphore.release().is_err());
        drop(held);
        assert_eq!(semaphore.available_permits(), 2);
    }
}
