//! Callbacks scheduled on the loop: asyncio's `call_soon`, `call_later` and `call_at`.
//!
//! Each callback runs as a small task of its own (named after the function that scheduled
//! it, so a task dump shows pending callbacks and when they fire), which gives callbacks the
//! loop's FIFO order and timers, and a cancellation that drops the closure, for free.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::rt::executor;
use crate::rt::task::Task;

/// Schedules `f` to run on the loop's next turn: asyncio's `loop.call_soon(callback)`.
///
/// Callbacks run in the order they were scheduled, after the tasks already ready, like a
/// newly spawned task. A panic in `f` is caught (and printed by the panic hook), as a task's
/// panic is; the loop keeps running. Dropping the returned handle does not cancel the call.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// corio::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     for word in ["soon", "sooner?"] {
///         let log = log.clone();
///         corio::call_soon(move || log.borrow_mut().push(word));
///     }
///     assert!(log.borrow().is_empty()); // not before this task yields
///     corio::yield_now().await;
///     assert_eq!(*log.borrow(), ["soon", "sooner?"]);
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop is running on this thread.
#[track_caller]
pub fn call_soon<F: FnOnce() + 'static>(f: F) -> CallbackHandle {
    let task = spawn_callback("call_soon", async move { f() });
    CallbackHandle {
        task,
        when: None,
        cancelled: Cell::new(false),
    }
}

/// Schedules `f` to run once `delay` has passed: asyncio's `loop.call_later(delay, callback)`.
///
/// The delay is a timer of the loop, as [`sleep`](crate::sleep)'s: never early, and callbacks
/// due at the same instant run in the order they were scheduled.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// corio::run(async {
///     let fired = Rc::new(Cell::new(false));
///     let flag = fired.clone();
///     let handle = corio::call_later(Duration::from_millis(5), move || flag.set(true));
///     assert!(handle.when().is_some());
///     corio::sleep(Duration::from_millis(10)).await;
///     assert!(fired.get());
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop is running on this thread.
#[track_caller]
pub fn call_later<F: FnOnce() + 'static>(delay: Duration, f: F) -> CallbackHandle {
    let timer = crate::sleep(delay);
    let when = timer.deadline();
    let task = spawn_callback("call_later", async move {
        timer.await;
        f();
    });
    CallbackHandle {
        task,
        when: Some(when),
        cancelled: Cell::new(false),
    }
}

/// Schedules `f` to run at `when`: asyncio's `loop.call_at(when, callback)`.
///
/// A time in the past runs `f` on the loop's next turn.
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::{Duration, Instant};
///
/// corio::run(async {
///     let at = Rc::new(Cell::new(None));
///     let slot = at.clone();
///     let when = Instant::now() + Duration::from_millis(3);
///     corio::call_at(when, move || slot.set(Some(Instant::now())));
///     corio::sleep(Duration::from_millis(10)).await;
///     assert!(at.get().unwrap() >= when);
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop is running on this thread.
#[track_caller]
pub fn call_at<F: FnOnce() + 'static>(when: Instant, f: F) -> CallbackHandle {
    let timer = crate::sleep_until(when);
    let task = spawn_callback("call_at", async move {
        timer.await;
        f();
    });
    CallbackHandle {
        task,
        when: Some(when),
        cancelled: Cell::new(false),
    }
}

/// Spawns the task of a callback, named `kind`; a clear panic outside a loop.
#[track_caller]
fn spawn_callback(kind: &'static str, fut: impl Future<Output = ()> + 'static) -> Task<()> {
    if executor::current().is_none() {
        panic!(
            "corio::{kind} needs a running loop: call it inside `corio::run(...)` (at {})",
            Location::caller()
        );
    }
    executor::spawn_current(Some(kind.to_owned()), fut)
}

/// A scheduled callback: asyncio's `Handle` / `TimerHandle`.
///
/// [`cancel`](CallbackHandle::cancel) stops a callback that has not run yet (its closure is
/// dropped). Dropping the handle leaves the callback scheduled.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let handle = corio::call_later(Duration::from_secs(3600), || unreachable!());
///     handle.cancel();
///     assert!(handle.cancelled());
/// });
/// ```
pub struct CallbackHandle {
    task: Task<()>,
    when: Option<Instant>,
    cancelled: Cell<bool>,
}

impl CallbackHandle {
    /// Cancels the callback if it has not run yet; does nothing once it has.
    ///
    /// The closure, and everything it captured, is dropped before `cancel` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let handle = corio::call_soon(|| unreachable!("cancelled before the loop ran it"));
    ///     handle.cancel();
    ///     corio::yield_now().await;
    /// });
    /// ```
    pub fn cancel(&self) {
        // A callback that already ran keeps its result: `cancel` on a finished task is a no-op.
        if !self.task.is_finished() {
            self.task.cancel();
            self.cancelled.set(true);
        }
    }

    /// Whether [`cancel`](CallbackHandle::cancel) stopped the callback before it ran:
    /// asyncio's `Handle.cancelled()`.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let ran = corio::call_soon(|| {});
    ///     corio::yield_now().await;
    ///     ran.cancel(); // too late: it ran
    ///     assert!(!ran.cancelled());
    /// });
    /// ```
    pub fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    /// When the callback is due, for `call_later` and `call_at`: asyncio's
    /// `TimerHandle.when()`. `None` for `call_soon`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// corio::run(async {
    ///     let at = Instant::now() + Duration::from_secs(1);
    ///     assert_eq!(corio::call_at(at, || {}).when(), Some(at));
    ///     assert_eq!(corio::call_soon(|| {}).when(), None);
    /// });
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.when
    }

    /// Whether the callback has run, or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let handle = corio::call_soon(|| {});
    ///     assert!(!handle.is_finished());
    ///     corio::yield_now().await;
    ///     assert!(handle.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("task", &self.task.id())
            .field("when", &self.when)
            .field("finished", &self.is_finished())
            .finish()
    }
}
