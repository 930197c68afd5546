//! Waiting on several futures at once: `join!`, `join_all`, `select`, and `yield_now`.

use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use crate::trace::{self, WaitingOn};
use pin_project_lite::pin_project;

/// Yields to the loop once: the task goes to the back of the ready queue.
///
/// Every other ready task runs before this one continues, as with asyncio's `sleep(0)`.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// corio::run(async {
///     let ran = Rc::new(Cell::new(false));
///     let flag = ran.clone();
///     let _task = corio::spawn(async move { flag.set(true) });
///     assert!(!ran.get());
///     corio::yield_now().await;
///     assert!(ran.get());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// A clone of a `YieldNow` that has already yielded completes when polled, as the original
/// would.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let y: corio::YieldNow = corio::yield_now();
///     y.await;
/// });
/// ```
#[derive(Debug, Clone)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(traced) = trace::traced(|| WaitingOn::Static(&"yield_now")) {
            return traced;
        }
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// One of two values: what [`select`] returns.
///
/// # Examples
///
/// ```
/// use corio::Either;
///
/// let e: Either<i32, &str> = Either::Left(1);
/// assert!(matches!(e, Either::Left(1)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Either<A, B> {
    /// The first future finished first.
    Left(A),
    /// The second future finished first.
    Right(B),
}

/// Runs two futures until the first finishes, and drops the other: asyncio's
/// `wait(..., return_when=FIRST_COMPLETED)` for two.
///
/// Each time it is polled it polls `a` before `b`, so when both are ready `a` wins. The loser
/// is dropped at its current suspension point before `select` returns.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use corio::Either;
///
/// corio::run(async {
///     let fast = async { corio::sleep(Duration::from_millis(1)).await; "fast" };
///     let slow = corio::sleep(Duration::from_secs(3600));
///     assert_eq!(corio::select(fast, slow).await, Either::Left("fast"));
/// });
/// ```
pub async fn select<A, B>(a: A, b: B) -> Either<A::Output, B::Output>
where
    A: IntoFuture,
    B: IntoFuture,
{
    let mut a = pin!(a.into_future());
    let mut b = pin!(b.into_future());
    poll_fn(|cx| {
        // On `Ready`, what the futures recorded is stale: the loser is dropped.
        let mark = trace::mark();
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            trace::discard(mark);
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            trace::discard(mark);
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
}

/// Runs any number of futures until the first finishes: `select` for a collection, asyncio's
/// `wait(aws, return_when=FIRST_COMPLETED)` on futures.
///
/// Completes with the winner's output, its index in the input, and the futures that have not
/// finished, in input order and still suspended where they were: await them again, pass
/// them to another `select_all`, or drop them to cancel them. Each time it is polled it polls
/// the futures in input order, so when several are ready the first wins. Each future is
/// boxed (pinned), which is what lets the rest be handed back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let naps = [3600u64, 0, 7200].map(|secs| async move {
///         corio::sleep(Duration::from_secs(secs)).await;
///         secs
///     });
///     let (first, index, rest) = corio::select_all(naps).await;
///     assert_eq!((first, index, rest.len()), (0, 1, 2));
///     drop(rest); // cancels the hour-long naps
/// });
/// ```
///
/// # Panics
///
/// Panics, when called, if `futures` is empty: there would be no winner to wait for.
#[track_caller]
#[must_use = "futures do nothing unless awaited"]
pub fn select_all<I>(futures: I) -> SelectAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let futures: Vec<_> = futures
        .into_iter()
        .map(|f| Box::pin(f.into_future()))
        .collect();
    assert!(
        !futures.is_empty(),
        "corio::select_all: no futures given, so none can finish first; check for an empty collection before selecting"
    );
    SelectAll { futures }
}

/// The future of [`select_all`]: `(output, index, rest)`.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let race: corio::SelectAll<_> = corio::select_all(['a', 'b'].map(std::future::ready));
///     let (winner, index, rest) = race.await;
///     assert_eq!((winner, index, rest.len()), ('a', 0, 1));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SelectAll<F> {
    futures: Vec<Pin<Box<F>>>,
}

impl<F> fmt::Debug for SelectAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelectAll")
            .field("len", &self.futures.len())
            .finish()
    }
}

impl<F: Future> Future for SelectAll<F> {
    type Output = (F::Output, usize, Vec<Pin<Box<F>>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mark = trace::mark();
        let found =
            self.futures
                .iter_mut()
                .enumerate()
                .find_map(|(i, f)| match f.as_mut().poll(cx) {
                    Poll::Ready(out) => Some((i, out)),
                    Poll::Pending => None,
                });
        match found {
            Some((index, out)) => {
                // What the losers recorded is stale: they are handed back, not awaited here.
                trace::discard(mark);
                let mut rest = std::mem::take(&mut self.futures);
                drop(rest.remove(index));
                Poll::Ready((out, index, rest))
            }
            None => Poll::Pending,
        }
    }
}

/// Runs a collection of futures concurrently and returns their outputs in order: asyncio's
/// `gather(*aws)`.
///
/// The futures run inside the task that awaits `join_all` (no task is spawned). A wake-up
/// polls only the future it belongs to, so joining many futures costs per wake-up, not per
/// future. Each future is boxed; use [`join!`](crate::join!) for a fixed handful.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let sleeps = (1..=3).map(|i| async move {
///         corio::sleep(Duration::from_millis(4 - i)).await;
///         i
///     });
///     assert_eq!(corio::join_all(sleeps).await, [1, 2, 3]);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub fn join_all<I>(futures: I) -> JoinAll<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let parts: Vec<Part<_>> = futures
        .into_iter()
        .map(|f| Part::Pending(Box::pin(f.into_future())))
        .collect();
    let wakers = Vec::with_capacity(if parts.len() > FEW { parts.len() } else { 0 });
    JoinAll {
        parts,
        wakers,
        shared: None,
        remaining: usize::MAX,
        queue: Vec::new(),
    }
}

/// Up to this many futures, `join_all` polls them all on every wake-up instead of giving
/// each its own waker.
const FEW: usize = 16;

enum Part<F: Future> {
    Pending(Pin<Box<F>>),
    Done(F::Output),
}

/// The future of [`join_all`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let all: corio::JoinAll<_> = corio::join_all((1..=2).map(|i| async move { i }));
///     assert_eq!(all.await, [1, 2]);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct JoinAll<F: Future> {
    parts: Vec<Part<F>>,
    wakers: Vec<Waker>,
    shared: Option<Arc<JoinShared>>,
    remaining: usize,
    queue: Vec<u32>,
}

impl<F: Future> fmt::Debug for JoinAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("len", &self.parts.len())
            .field("remaining", &self.remaining.min(self.parts.len()))
            .finish()
    }
}

/// The wake-ups of a large `join_all`, shared with the per-future wakers.
#[derive(Debug)]
struct JoinShared {
    state: Mutex<JoinState>,
}

#[derive(Debug)]
struct JoinState {
    ready: Vec<u32>,
    parent: Option<Waker>,
}

#[derive(Debug)]
struct PartWaker {
    index: u32,
    shared: Arc<JoinShared>,
}

impl Wake for PartWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let parent = {
            let mut state = self
                .shared
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let first = state.ready.is_empty();
            state.ready.push(self.index);
            if first { state.parent.clone() } else { None }
        };
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> JoinAll<F> {
    fn poll_part(&mut self, index: usize, cx: &mut Context<'_>) {
        let Part::Pending(fut) = &mut self.parts[index] else {
            return;
        };
        let poll = match self.wakers.get(index) {
            Some(waker) => fut.as_mut().poll(&mut Context::from_waker(waker)),
            None => fut.as_mut().poll(cx),
        };
        if let Poll::Ready(out) = poll {
            self.parts[index] = Part::Done(out);
            self.remaining -= 1;
        }
    }

    fn outputs(&mut self) -> Vec<F::Output> {
        self.wakers.clear();
        std::mem::take(&mut self.parts)
            .into_iter()
            .map(|part| match part {
                Part::Done(out) => out,
                _ => unreachable!("join_all finished with a pending part"),
            })
            .collect()
    }
}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let n = this.parts.len();
        if this.remaining == usize::MAX {
            // First poll: every part runs once, in order.
            this.remaining = n;
            if n > FEW {
                let shared = Arc::new(JoinShared {
                    state: Mutex::new(JoinState {
                        ready: Vec::new(),
                        parent: Some(cx.waker().clone()),
                    }),
                });
                this.wakers.extend((0..n as u32).map(|index| {
                    Waker::from(Arc::new(PartWaker {
                        index,
                        shared: shared.clone(),
                    }))
                }));
                this.shared = Some(shared);
            }
            for index in 0..n {
                this.poll_part(index, cx);
            }
        } else if let Some(shared) = &this.shared {
            if let Some(traced) = trace::traced(|| WaitingOn::JoinAll {
                pending: u32::try_from(this.remaining).unwrap_or(u32::MAX),
                total: u32::try_from(n).unwrap_or(u32::MAX),
            }) {
                // Tracing must not take the queue of woken parts.
                return traced;
            }
            let mark = trace::mark();
            {
                let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
                if !state
                    .parent
                    .as_ref()
                    .is_some_and(|w| w.will_wake(cx.waker()))
                {
                    state.parent = Some(cx.waker().clone());
                }
                std::mem::swap(&mut state.ready, &mut this.queue);
            }
            let mut queue = std::mem::take(&mut this.queue);
            for &index in &queue {
                this.poll_part(index as usize, cx);
            }
            queue.clear();
            this.queue = queue;
            // Only the woken parts ran: a count says more than their chains would.
            trace::discard(mark);
            if this.remaining > 0 {
                trace::waiting_on(WaitingOn::JoinAll {
                    pending: u32::try_from(this.remaining).unwrap_or(u32::MAX),
                    total: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
        } else {
            for index in 0..n {
                this.poll_part(index, cx);
            }
        }
        if this.remaining == 0 {
            Poll::Ready(this.outputs())
        } else {
            Poll::Pending
        }
    }
}

pin_project! {
    /// One future of a `join!`: pending, then its output. Not public API.
    #[doc(hidden)]
    #[project = JoinPartProj]
    #[project_replace = JoinPartReplace]
    pub enum JoinPart<F: Future> {
        /// Still running.
        Pending { #[pin] fut: F },
        /// Finished with this output.
        Done { out: F::Output },
        /// The output was taken.
        Taken,
    }
}

impl<F: Future> fmt::Debug for JoinPart<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pending { .. } => "Pending",
            Self::Done { .. } => "Done",
            Self::Taken => "Taken",
        })
    }
}

impl<F: Future> JoinPart<F> {
    /// Wraps a future.
    pub fn new(fut: impl IntoFuture<IntoFuture = F>) -> Self {
        Self::Pending {
            fut: fut.into_future(),
        }
    }

    /// Polls the future if it is still pending; `true` once it has an output.
    pub fn poll_part(self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        let mut this = self;
        match this.as_mut().project() {
            JoinPartProj::Pending { fut } => match fut.poll(cx) {
                Poll::Ready(out) => {
                    this.set(Self::Done { out });
                    true
                }
                Poll::Pending => false,
            },
            _ => true,
        }
    }

    /// Takes the output.
    ///
    /// # Panics
    ///
    /// Panics when there is no output (yet).
    pub fn take(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(Self::Taken) {
            JoinPartReplace::Done { out } => out,
            _ => panic!("join!: output taken before it was ready"),
        }
    }
}

/// Runs several futures concurrently and gives a tuple of their outputs: asyncio's
/// `gather(a, b, ...)`.
///
/// Unlike `tokio::join!`, this evaluates to a future, so you `.await` it: `join!(a, b).await`.
/// That also makes it usable in `#[corio::coroutine]` bodies, where the await has to be
/// visible. The argument expressions are evaluated at once, in order; the futures they give
/// are polled in argument order inside the awaiting task, and nothing is boxed or spawned.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let a = async { corio::sleep(Duration::from_millis(2)).await; "a" };
///     let b = async { 2 };
///     assert_eq!(corio::join!(a, b).await, ("a", 2));
/// });
/// ```
#[macro_export]
macro_rules! join {
    ($($fut:expr),+ $(,)?) => {
        $crate::__join_impl!(@step [] [] $($fut,)+)
    };
}

/// The recursion of [`join!`]: each level binds one future under a hygienic name of its own,
/// in argument order; the last level moves them all into one `async` block.
///
/// The names travel in two lists, in argument order (for polling and the output) and reversed
/// (for the `let`s in the block): locals drop in reverse order of declaration, so a dropped
/// `join!` drops its futures in argument order, as asyncio's `gather` cancels its children.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    (@step [$($part:ident)*] [$($rev:ident)*] $head:expr, $($rest:expr,)*) => {{
        let part = $crate::JoinPart::new($head);
        $crate::__join_impl!(@step [$($part)* part] [part $($rev)*] $($rest,)*)
    }};
    (@step [$($part:ident)*] [$($rev:ident)*]) => {
        async move {
            $( let mut $rev = ::core::pin::pin!($rev); )*
            ::core::future::poll_fn(|cx| {
                let mut done = true;
                $( done &= $part.as_mut().poll_part(cx); )*
                if done {
                    ::core::task::Poll::Ready(($( $part.as_mut().take(), )*))
                } else {
                    ::core::task::Poll::Pending
                }
            })
            .await
        }
    };
}
