//! `TaskGroup`: structured concurrency, as asyncio's `TaskGroup`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::executor;
use crate::task::{Panic, Task, TaskError, TaskId};
use crate::trace::{self, WaitingOn};
use crate::waker::TaskRef;

/// A set of tasks that finish together: asyncio's `TaskGroup`.
///
/// [`spawn`](TaskGroup::spawn) starts a child task; [`join`](TaskGroup::join) waits until
/// every child has finished. The first child that fails (panics) cancels all the others at
/// once, and `join` then returns that failure. Dropping the group (or the `join` future, for
/// example because the task awaiting it was cancelled) cancels the children still running, so
/// no child outlives the group.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let group = corio::TaskGroup::new();
///     let a = group.spawn(async { corio::sleep(Duration::from_millis(2)).await; 1 });
///     let b = group.spawn(async { 2 });
///     group.join().await.unwrap();
///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
/// });
/// ```
///
/// A failure cancels the siblings:
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let group = corio::TaskGroup::new();
///     let slow = group.spawn(corio::sleep(Duration::from_secs(3600)));
///     let _bad = group.spawn(async { panic!("no") });
///     assert!(group.join().await.unwrap_err().is_panic());
///     assert!(slow.await.unwrap_err().is_cancelled());
/// });
/// ```
#[must_use = "dropping a TaskGroup cancels its tasks; await `.join()`"]
pub struct TaskGroup {
    inner: Rc<GroupInner>,
}

struct GroupInner {
    children: RefCell<Vec<(TaskRef, TaskId)>>,
    running: Cell<usize>,
    failure: RefCell<Option<Panic>>,
    failed: Cell<bool>,
    joiner: RefCell<Option<Waker>>,
}

impl GroupInner {
    fn cancel_all(&self) {
        let children = std::mem::take(&mut *self.children.borrow_mut());
        executor::try_with_current(|l| {
            for &(task, id) in &children {
                l.cancel(task, id);
            }
        });
    }

    fn fail(&self, panic: Panic) {
        if !self.failed.replace(true) {
            *self.failure.borrow_mut() = Some(panic);
        }
        self.cancel_all();
    }
}

/// Counts a child out of the group when its future ends: completed, cancelled or panicked.
struct Member(Rc<GroupInner>);

impl Drop for Member {
    fn drop(&mut self) {
        self.0.running.set(self.0.running.get() - 1);
        if self.0.running.get() == 0 {
            let joiner = self.0.joiner.borrow_mut().take();
            if let Some(joiner) = joiner {
                joiner.wake();
            }
        }
    }
}

impl TaskGroup {
    /// Creates an empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     corio::TaskGroup::new().join().await.unwrap();
    /// });
    /// ```
    pub fn new() -> Self {
        Self {
            inner: Rc::new(GroupInner {
                children: RefCell::new(Vec::new()),
                running: Cell::new(0),
                failure: RefCell::new(None),
                failed: Cell::new(false),
                joiner: RefCell::new(None),
            }),
        }
    }

    /// Spawns a child task in the group.
    ///
    /// The child runs like any task (see [`spawn`](crate::spawn)) and its handle works the
    /// same way. A child spawned after the group has failed is cancelled at once.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let child = group.spawn(async { "hi" });
    ///     group.join().await.unwrap();
    ///     assert_eq!(child.await.unwrap(), "hi");
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics outside a running loop.
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        let group = self.inner.clone();
        group.running.set(group.running.get() + 1);
        let member = Member(group.clone());
        let child = async move {
            let _member = member;
            let mut fut = pin!(fut.into_future());
            poll_fn(
                |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                    Ok(poll) => poll,
                    Err(payload) => {
                        group.fail(Panic::from_payload(&*payload));
                        resume_unwind(payload)
                    }
                },
            )
            .await
        };
        let task = executor::with_current(|l| crate::task::spawn_on(l, None, child, at));
        if self.inner.failed.get() {
            task.cancel();
        } else {
            self.inner
                .children
                .borrow_mut()
                .push((task.task_ref(), task.id()));
        }
        task
    }

    /// Cancels every child still running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let child = group.spawn(corio::sleep(Duration::from_secs(3600)));
    ///     group.cancel();
    ///     group.join().await.unwrap();
    ///     assert!(child.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        self.inner.cancel_all();
    }

    /// Waits until every child has finished.
    ///
    /// # Errors
    ///
    /// [`TaskError::Panicked`] with the first child's panic when a child panicked (the
    /// others were then cancelled). Cancelled children are not failures.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     for i in 0..3 {
    ///         let _ = group.spawn(async move { i * 2 });
    ///     }
    ///     assert!(group.join().await.is_ok());
    /// });
    /// ```
    pub async fn join(self) -> Result<(), TaskError> {
        poll_fn(|cx| {
            if let Some(traced) = trace::traced(|| JOINING) {
                return traced;
            }
            if self.inner.running.get() == 0 {
                return Poll::Ready(match self.inner.failure.borrow_mut().take() {
                    Some(panic) => Err(TaskError::Panicked(panic)),
                    None => Ok(()),
                });
            }
            let old = self.inner.joiner.borrow_mut().replace(cx.waker().clone());
            drop(old);
            trace::pending(JOINING)
        })
        .await
    }
}

/// What a task dump says about a pending `TaskGroup::join`.
const JOINING: WaitingOn = WaitingOn::Static(&"TaskGroup::join");

impl Default for TaskGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        if self.inner.running.get() > 0 {
            self.inner.cancel_all();
        }
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("running", &self.inner.running.get())
            .field("failed", &self.inner.failed.get())
            .finish()
    }
}
