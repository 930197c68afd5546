//! `as_completed`: the outputs of many futures, in the order they finish.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use crate::rt::await_chain::{self as trace, WaitingOn};
use crate::wake_set::WakeSet;

/// Runs futures concurrently and yields their outputs in the order they finish: asyncio's
/// `as_completed(aws)`.
///
/// The futures run inside whichever task polls the stream (nothing is spawned), each with a
/// waker of its own, so a wake-up polls only the future it belongs to. The stream ends after
/// the last output. Dropping every handle drops the futures that have not finished; pass
/// [`Task`](crate::Task)s (whose outputs are `Result<T, TaskError>`) to keep work running
/// past that.
///
/// [`AsCompleted`] is a cheap handle: it is a [`Stream`], and its
/// [`next`](AsCompleted::next) takes `&self` and returns a `'static` future, so a
/// `#[corio::coroutine]` can await it in a loop. When several futures become ready in the
/// same turn of the loop, their outputs come in the order the futures woke up.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let naps = [30u64, 10, 20].map(|ms| async move {
///         corio::sleep(Duration::from_millis(ms)).await;
///         ms
///     });
///     let finished = corio::as_completed(naps);
///     let mut order = Vec::new();
///     while let Some(ms) = finished.next().await {
///         order.push(ms);
///     }
///     assert_eq!(order, [10, 20, 30]);
/// });
/// ```
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as IntoFuture>::Output>
where
    I: IntoIterator,
    I::Item: IntoFuture + 'static,
{
    let futs: Vec<Option<Pin<Box<dyn Future<Output = _>>>>> = futures
        .into_iter()
        .map(|f| Some(Box::pin(f.into_future()) as Pin<Box<dyn Future<Output = _>>>))
        .collect();
    // Every future runs once at the first poll, in order.
    let (shared, wakers) = WakeSet::new(futs.len());
    AsCompleted {
        inner: Rc::new(RefCell::new(Inner {
            remaining: futs.len(),
            futs,
            wakers,
            shared,
            todo: VecDeque::new(),
        })),
    }
}

/// The stream of [`as_completed`]: outputs in completion order.
///
/// Clones share the same futures: each output goes to one of them.
///
/// # Examples
///
/// ```
/// use corio::AsCompleted;
///
/// corio::run(async {
///     let outputs: AsCompleted<u8> = corio::as_completed([1, 2].map(std::future::ready));
///     assert_eq!(outputs.len(), 2);
///     assert_eq!(outputs.next().await, Some(1));
///     assert_eq!(outputs.next().await, Some(2));
///     assert_eq!(outputs.next().await, None);
/// });
/// ```
pub struct AsCompleted<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Clone for AsCompleted<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<T> {
    futs: Vec<Option<Pin<Box<dyn Future<Output = T>>>>>,
    wakers: Vec<Waker>,
    shared: Arc<WakeSet>,
    /// Woken futures taken from `shared`, not polled yet.
    todo: VecDeque<u32>,
    remaining: usize,
}

/// What a task dump says about a pending `as_completed`.
const WAITING: WaitingOn = WaitingOn::Static(&"as_completed (no future finished yet)");

impl<T> Inner<T> {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        // Take the wake-ups once per poll: a future that wakes itself at every poll then runs
        // once per turn of the loop, not forever inside this one.
        self.shared.take(cx.waker(), &mut self.todo);
        while let Some(index) = self.todo.pop_front() {
            let index = index as usize;
            let Some(fut) = &mut self.futs[index] else {
                continue; // a stale wake-up of a finished future
            };
            let mark = trace::mark();
            let poll = fut
                .as_mut()
                .poll(&mut Context::from_waker(&self.wakers[index]));
            // The futures' own chains would be stale or partial: one line says more.
            trace::discard(mark);
            if let Poll::Ready(out) = poll {
                self.futs[index] = None;
                self.remaining -= 1;
                return Poll::Ready(Some(out));
            }
        }
        trace::pending(WAITING)
    }
}

impl<T> AsCompleted<T> {
    /// The next output to finish, or `None` once all have been handed out; the future owns
    /// a handle, so it borrows nothing.
    ///
    /// Dropping the future before it completes loses nothing: the outputs stay for the next
    /// call.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let outputs = corio::as_completed([async { "only" }]);
    ///     assert_eq!(outputs.next().await, Some("only"));
    ///     assert_eq!(outputs.next().await, None);
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn next(&self) -> AsCompletedNext<T> {
        AsCompletedNext {
            stream: self.clone(),
        }
    }

    /// The number of futures that have not been handed out yet.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let outputs = corio::as_completed([1, 2].map(std::future::ready));
    ///     outputs.next().await;
    ///     assert_eq!(outputs.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.inner.try_borrow().map_or(0, |i| i.remaining)
    }

    /// Whether every output has been handed out.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let none = corio::as_completed(Vec::<std::future::Ready<()>>::new());
    ///     assert!(none.is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        self.inner.borrow_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.len();
        (n, Some(n))
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.len())
            .finish()
    }
}

/// The future of [`AsCompleted::next`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let outputs = corio::as_completed([async { 7 }]);
///     let next: corio::AsCompletedNext<i32> = outputs.next();
///     assert_eq!(next.await, Some(7));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct AsCompletedNext<T> {
    stream: AsCompleted<T>,
}

impl<T> Future for AsCompletedNext<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.get_mut().stream).poll_next(cx)
    }
}

impl<T> fmt::Debug for AsCompletedNext<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompletedNext")
            .field("remaining", &self.stream.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn a_dropped_next_loses_no_output() {
        crate::run(async {
            let outputs = crate::as_completed((1..=3u64).map(|i| async move {
                crate::sleep(Duration::from_millis(i)).await;
                i
            }));
            // A `next` that times out before anything finished gives up nothing.
            assert!(
                crate::timeout(Duration::ZERO, outputs.next())
                    .await
                    .is_err()
            );
            let mut all = Vec::new();
            while let Some(i) = outputs.next().await {
                all.push(i);
            }
            assert_eq!(all, [1, 2, 3]);
        });
    }
}
