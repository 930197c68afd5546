//! [`SharedStream`]: a `Stream` behind a cheap handle whose `next(&self)` returns a `'static`
//! future, so that a `#[corio::coroutine]` body can pull items from a stream (an async
//! generator, say) across its awaits. `futures`' `StreamExt::next(&mut s)` borrows the
//! stream for as long as the future lives, which a coroutine cannot keep across an await.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_core::Stream;

/// A stream behind an `Rc`: [`next`](SharedStream::next) takes `&self` and returns a future
/// that owns a clone of the handle. Clones share the one stream.
///
/// # Examples
///
/// ```
/// use corio::SharedStream;
///
/// #[corio::coroutine(yield = u32)]
/// async fn numbers(n: u32) {
///     for i in 0..n {
///         corio::yield_now().await;
///         yield_!(i);
///     }
/// }
///
/// #[corio::coroutine]
/// async fn total(n: u32) -> u32 {
///     let items = SharedStream::new(numbers(n));
///     let mut sum = 0;
///     while let Some(v) = items.next().await {
///         sum += v;
///     }
///     sum
/// }
///
/// assert_eq!(corio::run(total(5)), 10);
/// ```
pub struct SharedStream<S> {
    stream: Rc<RefCell<S>>,
}

impl<S> Clone for SharedStream<S> {
    fn clone(&self) -> Self {
        Self {
            stream: self.stream.clone(),
        }
    }
}

impl<S: Stream + Unpin> SharedStream<S> {
    /// Wraps `stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = corio::SharedStream::new(futures::stream::iter([1, 2]));
    /// assert_eq!(futures::executor::block_on(s.next()), Some(1));
    /// ```
    pub fn new(stream: S) -> Self {
        Self {
            stream: Rc::new(RefCell::new(stream)),
        }
    }

    /// The next item, or `None` at the end: `StreamExt::next` without the borrow.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = corio::SharedStream::new(futures::stream::iter(["a"]));
    /// let next = s.next(); // owns a clone of the handle: `'static`
    /// assert_eq!(futures::executor::block_on(next), Some("a"));
    /// assert_eq!(futures::executor::block_on(s.next()), None);
    /// ```
    ///
    /// # Panics
    ///
    /// The future panics if polled while another poll of the same stream is running (the
    /// stream's own body awaiting its handle).
    pub fn next(&self) -> NextItem<S> {
        NextItem {
            stream: self.clone(),
        }
    }
}

impl<S: Stream + Unpin> Stream for SharedStream<S> {
    type Item = S::Item;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let mut stream = self
            .stream
            .try_borrow_mut()
            .expect("SharedStream polled from inside its own poll");
        Pin::new(&mut *stream).poll_next(cx)
    }
}

impl<S> fmt::Debug for SharedStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedStream").finish_non_exhaustive()
    }
}

/// The future of [`SharedStream::next`].
///
/// # Examples
///
/// ```
/// let s = corio::SharedStream::new(futures::stream::iter([7]));
/// let next: corio::NextItem<_> = s.next();
/// assert_eq!(futures::executor::block_on(next), Some(7));
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct NextItem<S> {
    stream: SharedStream<S>,
}

impl<S: Stream + Unpin> Future for NextItem<S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut self.stream).poll_next(cx)
    }
}

impl<S> fmt::Debug for NextItem<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NextItem").finish_non_exhaustive()
    }
}
