//! Time: `sleep`, `sleep_until`, `interval` and `timeout`, on the loop's timer structure,
//! and the loop's clock: [`now`], and for tests [`pause`], [`advance`] and [`resume`].
//!
//! # Virtual time in tests
//!
//! A test of a timeout should not wait for it. [`pause`] stops the running loop's clock:
//! from then on [`now`] stands still and moves only when
//!
//! * [`advance`] moves it (timers whose deadline it passes fire, all at once), or
//! * every task waits and at least one waits on a timer: the loop jumps to the earliest
//!   deadline and fires it (*auto-advance*), so an hour's `sleep` takes no real time.
//!
//! These are tokio's `test-util` semantics. Work outside the loop holds auto-advance back:
//! while a [`spawn_blocking`](crate::spawn_blocking) job runs the loop waits for it, and
//! while a task waits on a socket the loop gives the I/O a short moment of real time (50 ms)
//! before it jumps. Deadlines are `std::time::Instant`s on the virtual axis: compute them
//! from [`now`], not `Instant::now()`. [`Builder::seed`](crate::Builder::seed) starts a loop
//! with its clock paused.
//!
//! ```
//! use std::time::Duration;
//!
//! corio::run(async {
//!     corio::time::pause();
//!     let start = corio::time::now();
//!     let slow = corio::sleep(Duration::from_secs(60));
//!     let res = corio::timeout(Duration::from_secs(5), slow).await;
//!     assert!(res.is_err()); // timed out after 5 virtual seconds, at once
//!     assert_eq!(corio::time::now() - start, Duration::from_secs(5));
//! });
//! ```

use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::executor::{self, next_id, try_with_current};
use crate::rt::timer_queue::{TimerKey, TimerState};
use crate::trace::{self, WaitingOn};

/// Waits until `duration` has passed: asyncio's `sleep`.
///
/// The timer starts when `sleep` is called. It never fires early; the loop checks timers
/// with millisecond granularity and (on Linux) sleeps for whole milliseconds, so it may fire
/// up to about two milliseconds late (one on average). A zero duration normally completes at
/// once, without yielding (use [`yield_now`](crate::yield_now) to yield).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corio::run(async {
///     let start = Instant::now();
///     corio::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// ```
///
/// # Panics
///
/// Awaiting the returned future outside a corio loop panics.
#[must_use = "futures do nothing unless awaited"]
pub fn sleep(duration: Duration) -> Sleep {
    let now = now();
    sleep_until(now.checked_add(duration).unwrap_or_else(far_future))
}

/// Waits until `deadline`.
///
/// A deadline in the past normally completes at once (after a long poll it may take one
/// more trip around the loop). Timers with equal deadlines fire in the order they were
/// created.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corio::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     corio::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
///
/// # Panics
///
/// Awaiting the returned future outside a corio loop panics.
#[must_use = "futures do nothing unless awaited"]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        key: None,
    }
}

fn far_future() -> Instant {
    // About thirty years: far enough to mean "never" and safe to add to on every platform.
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
}

/// The future of [`sleep`] and [`sleep_until`].
///
/// Dropping it cancels the timer; nothing of it stays in the loop.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let nap: corio::Sleep = corio::sleep(Duration::from_millis(1));
///     println!("waking at {:?}", nap.deadline());
///     nap.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    key: Option<TimerKey>,
}

/// A clone ends at the same deadline; it registers its own timer when first polled, so a
/// `#[corio::coroutine(clone)] async fn` suspended at a `sleep` can be cloned.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let nap = corio::sleep(Duration::from_millis(1));
///     let same = nap.clone();
///     assert_eq!(nap.deadline(), same.deadline());
///     corio::join!(nap, same).await;
/// });
/// ```
impl Clone for Sleep {
    fn clone(&self) -> Self {
        Sleep {
            deadline: self.deadline,
            key: None,
        }
    }
}

impl Sleep {
    /// When this sleep ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let t = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(corio::sleep_until(t).deadline(), t);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(traced) = trace::traced(|| WaitingOn::Sleep(self.deadline)) {
            return traced;
        }
        let poll = self.poll_timer(cx);
        trace::note(poll, WaitingOn::Sleep(self.deadline))
    }
}

impl Sleep {
    /// `poll` without recording the wait (`timeout` records its timer as a timeout).
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        executor::with_current(|l| {
            if let Some(key) = this.key {
                match l.timers.borrow_mut().poll(key, cx.waker()) {
                    TimerState::Fired => {
                        this.key = None;
                        return Poll::Ready(());
                    }
                    TimerState::Pending => return Poll::Pending,
                    TimerState::Unknown => this.key = None,
                }
            }
            // The loop's clock lags the real one, so it never ends a sleep early; only a
            // deadline within a millisecond of it is worth reading the real clock for.
            let now = l.now.get();
            if now >= this.deadline
                || (this.deadline - now < Duration::from_millis(1)
                    && l.clock.now() >= this.deadline)
            {
                return Poll::Ready(());
            }
            let key = l
                .timers
                .borrow_mut()
                .insert(this.deadline, next_id(), cx.waker().clone());
            this.key = Some(key);
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = try_with_current(|l| l.timers.try_borrow_mut().ok()?.remove(key));
            drop(waker);
        }
    }
}

/// Creates an [`Interval`] that ticks every `period`, the first tick at once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let mut every = corio::interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         every.tick().await;
///     }
/// });
/// ```
///
/// # Panics
///
/// Panics when `period` is zero.
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "corio::interval: the period must be non-zero"
    );
    Interval {
        period,
        next: now(),
    }
}

/// Ticks at a fixed period: `interval.tick().await` waits for the next tick.
///
/// Ticks are scheduled `period` apart from the first one. When a tick is awaited late (the
/// task was busy past a deadline), it completes at once and the next one is scheduled a full
/// period after that moment: missed ticks are not made up in a burst.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corio::run(async {
///     let start = Instant::now();
///     let mut every = corio::interval(Duration::from_millis(3));
///     every.tick().await; // at once
///     every.tick().await;
///     every.tick().await;
///     assert!(start.elapsed() >= Duration::from_millis(6));
/// });
/// ```
#[derive(Debug, Clone)]
pub struct Interval {
    period: Duration,
    next: Instant,
}

impl Interval {
    /// Returns a future for the next tick; it does not borrow the interval.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(async {
    ///     let mut every = corio::interval(Duration::from_millis(1));
    ///     let first = every.tick();
    ///     first.await;
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub fn tick(&mut self) -> Sleep {
        let now = now();
        let at = if self.next < now { now } else { self.next };
        self.next = at.checked_add(self.period).unwrap_or_else(far_future);
        sleep_until(at)
    }

    /// The period between ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(corio::interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

/// Runs `fut` for at most `duration`: asyncio's `wait_for`.
///
/// Gives `Ok(output)` if `fut` finishes first, else `Err(Elapsed)`; on expiry the inner future
/// is dropped at once, at its current suspension point, so its destructors run before
/// `timeout` returns.
///
/// A [`Task`](crate::Task) is a handle: dropping it leaves the task running, so
/// `timeout(d, task)` gives up waiting but does not stop the task (asyncio's
/// `wait_for(task, d)` cancels it). Port that as `timeout(d, coroutine())` without spawning,
/// or call [`Task::cancel`](crate::Task::cancel) after `Err(Elapsed)`; to wait and keep the
/// task (asyncio's `wait_for(shield(task), d)`), use [`wait`](crate::wait)`(…).timeout(d)`,
/// which hands the task back.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let slow = corio::sleep(Duration::from_secs(3600));
///     assert!(corio::timeout(Duration::from_millis(5), slow).await.is_err());
///     let quick = async { 7 };
///     assert_eq!(corio::timeout(Duration::from_secs(1), quick).await, Ok(7));
/// });
/// ```
///
/// # Errors
///
/// [`Elapsed`] when the duration passes before `fut` completes.
pub async fn timeout<F: IntoFuture>(duration: Duration, fut: F) -> Result<F::Output, Elapsed> {
    with_timer(sleep(duration), fut).await
}

/// Runs `fut` until `deadline` at the latest: asyncio's `timeout_at(when)` (3.11), for one
/// future.
///
/// The same as [`timeout`] with a deadline instead of a duration; a deadline in the past
/// still polls `fut` once, so a future that is ready at once gives `Ok`. Handy for one
/// deadline shared by several steps.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// corio::run(async {
///     let deadline = Instant::now() + Duration::from_millis(20);
///     let first = corio::timeout_at(deadline, corio::sleep(Duration::from_millis(1))).await;
///     assert!(first.is_ok());
///     let second = corio::timeout_at(deadline, corio::sleep(Duration::from_secs(3600))).await;
///     assert!(second.is_err());
///     assert!(Instant::now() >= deadline);
/// });
/// ```
///
/// # Errors
///
/// [`Elapsed`] when `deadline` passes before `fut` completes.
pub async fn timeout_at<F: IntoFuture>(deadline: Instant, fut: F) -> Result<F::Output, Elapsed> {
    with_timer(sleep_until(deadline), fut).await
}

/// `timeout` and `timeout_at`: races `fut` against `timer`.
async fn with_timer<F: IntoFuture>(timer: Sleep, fut: F) -> Result<F::Output, Elapsed> {
    let mut timer = timer;
    let mut inner = pin!(Some(fut.into_future()));
    poll_fn(|cx| {
        let mark = trace::mark();
        if let Some(fut) = inner.as_mut().as_pin_mut()
            && let Poll::Ready(output) = fut.poll(cx)
        {
            inner.set(None);
            trace::discard(mark);
            return Poll::Ready(Ok(output));
        }
        if let Some(traced) = trace::traced(|| WaitingOn::Timeout(timer.deadline)) {
            return traced;
        }
        if timer.poll_timer(cx).is_ready() {
            inner.set(None);
            trace::discard(mark);
            return Poll::Ready(Err(Elapsed(())));
        }
        trace::pending(WaitingOn::Timeout(timer.deadline))
    })
    .await
}

/// The error of [`timeout`]: the duration passed first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let err = corio::timeout(Duration::ZERO, std::future::pending::<()>()).await.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}

/// The running loop's clock: `Instant::now()`, unless the clock is [paused](pause), in which
/// case the virtual instant it stands at (tokio's `time::Instant::now`). Outside a loop,
/// `Instant::now()`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     corio::time::pause();
///     let t0 = corio::time::now();
///     corio::time::advance(Duration::from_millis(1500)).await;
///     assert_eq!(corio::time::now() - t0, Duration::from_millis(1500));
/// });
/// ```
pub fn now() -> Instant {
    try_with_current(|l| l.clock.now()).unwrap_or_else(Instant::now)
}

/// Stops the running loop's clock: [`now`] stands still from here on, timers fire only when
/// [`advance`] or auto-advance (see the [module docs](self)) moves the clock past them.
///
/// Pausing a paused clock does nothing. Use it in tests, to check timeouts, retries and
/// intervals without waiting for them.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     corio::time::pause();
///     let real = std::time::Instant::now();
///     // A day of virtual time: every task waits on a timer, so the clock jumps.
///     corio::sleep(Duration::from_secs(86_400)).await;
///     assert!(real.elapsed() < Duration::from_secs(10));
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop runs on this thread.
#[track_caller]
pub fn pause() {
    executor::with_current(|l| l.clock.pause());
}

/// Lets a [paused](pause) clock run at the pace of real time again, from the virtual
/// instant it stands at. Does nothing if the clock is not paused.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     corio::time::pause();
///     corio::time::advance(Duration::from_secs(10)).await;
///     corio::time::resume();
///     let t = corio::time::now();
///     corio::sleep(Duration::from_millis(5)).await; // real milliseconds again
///     assert!(corio::time::now() - t >= Duration::from_millis(5));
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop runs on this thread.
#[track_caller]
pub fn resume() {
    executor::with_current(|l| l.clock.resume());
}

/// Moves a [paused](pause) clock forward by `duration` in one jump, fires every timer that
/// falls due, and yields once so that the tasks those timers woke run before the caller goes
/// on (tokio's `time::advance`).
///
/// The future owns what it needs (`'static`), so it can be awaited in a
/// `#[corio::coroutine]` body. Nothing happens until it is first polled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     corio::time::pause();
///     let ticker = corio::spawn(async {
///         let mut interval = corio::interval(Duration::from_secs(1));
///         for _ in 0..3 {
///             interval.tick().await; // at 0 s, 1 s and 2 s
///         }
///     });
///     corio::yield_now().await; // the ticker takes its first tick
///     corio::time::advance(Duration::from_secs(1)).await; // the tick at 1 s
///     assert!(!ticker.is_finished());
///     corio::time::advance(Duration::from_secs(1)).await; // the tick at 2 s
///     assert!(ticker.is_finished());
/// });
/// ```
///
/// # Panics
///
/// The future panics when polled outside a corio loop or when the clock is not paused
/// (call [`pause`] first); the message names the line that called `advance`.
#[track_caller]
pub fn advance(duration: Duration) -> Advance {
    Advance {
        duration,
        state: AdvanceState::Start,
        at: std::panic::Location::caller(),
    }
}

/// The future returned by [`advance`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     corio::time::pause();
///     let step: corio::time::Advance = corio::time::advance(Duration::from_secs(1));
///     step.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Advance {
    duration: Duration,
    state: AdvanceState,
    at: &'static std::panic::Location<'static>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdvanceState {
    Start,
    Yielded,
    Done,
}

impl Future for Advance {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(traced) = trace::traced(|| WaitingOn::Static(&"time::advance (yielding)")) {
            return traced;
        }
        match self.state {
            AdvanceState::Start => {
                let at = self.at;
                let moved = try_with_current(|l| {
                    let moved = l.clock.advance(self.duration);
                    if moved {
                        l.fire_timers(&mut Vec::new());
                    }
                    moved
                });
                match moved {
                    None => panic!(
                        "corio::time::advance needs a running corio loop (advance called at {at})"
                    ),
                    Some(false) => panic!(
                        "corio::time::advance needs a paused clock: call \
                         corio::time::pause() first (advance called at {at})"
                    ),
                    Some(true) => {}
                }
                // Let the tasks the timers woke run first: they are ahead in the queue.
                self.state = AdvanceState::Yielded;
                cx.waker().wake_by_ref();
                trace::pending(WaitingOn::Static(&"time::advance (yielding)"))
            }
            AdvanceState::Yielded => {
                self.state = AdvanceState::Done;
                Poll::Ready(())
            }
            AdvanceState::Done => panic!("corio::time::Advance polled after it completed"),
        }
    }
}
