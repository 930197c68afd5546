//! Task handles and the type-erased task cell the executor stores.
//!
//! A spawned task is a pinned [`TaskCell`]: the task's waker (allocated at its first poll and
//! kept), the spawn location, and a stage that holds the future while it runs and its output
//! (or [`TaskError`]) once it is done. The executor keeps cells in a slab; a [`Task`] handle
//! names its cell by slot index and [`TaskId`]. The waker of whoever awaits a task lives in a
//! side table of the loop, since most tasks are never awaited while they run.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::rt::await_chain::{self, WaitingOn};
use crate::rt::executor::{self, LoopInner};
pub use crate::rt::id::TaskId;
use crate::rt::waker::{MAIN_INDEX, Shared, TaskRef, TaskWaker};

/// A handle to a spawned task: await it for the task's output.
///
/// Dropping a `Task` does **not** cancel the task: like an asyncio `Task`, it keeps running
/// to completion and its output is dropped. Call [`cancel`](Task::cancel) to stop it. Awaiting
/// the handle gives `Ok(output)`, or [`TaskError::Cancelled`] / [`TaskError::Panicked`].
///
/// A `Task` belongs to the loop that spawned it; awaiting it after that loop has finished
/// gives [`TaskError::Cancelled`], since `run` cancels every task still alive when it returns.
///
/// # Examples
///
/// ```
/// let answer = corio::run(async {
///     let task = corio::spawn(async { 6 * 7 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
#[must_use = "dropping a Task does not cancel it; call `.cancel()` to stop the task"]
pub struct Task<T> {
    /// `index == MAIN_INDEX` once the output was handed out.
    task: TaskRef,
    id: TaskId,
    _marker: PhantomData<(Rc<()>, fn() -> T)>,
}

impl<T> Task<T> {
    pub(crate) fn new(task: TaskRef, id: TaskId) -> Self {
        Self {
            task,
            id,
            _marker: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped at its current suspension point.
    ///
    /// The destructors of the future's live values run before `cancel` returns, and whoever
    /// awaits the task sees [`TaskError::Cancelled`]. Cancelling a task that has already
    /// finished does nothing and keeps its result. A task that cancels itself is dropped as
    /// soon as its current poll returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(async {
    ///     let task = corio::spawn(corio::sleep(Duration::from_secs(3600)));
    ///     task.cancel();
    ///     assert!(task.is_finished());
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        executor::with_current(|l| l.cancel(self.task, self.id));
    }

    /// Returns `true` when the task has finished: completed, panicked or been cancelled.
    ///
    /// A task whose loop has finished counts as finished.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::spawn(async {});
    ///     assert!(!task.is_finished()); // it first runs when the spawner yields
    ///     corio::yield_now().await;
    ///     assert!(task.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.consumed()
            || executor::try_with_current(|l| l.is_finished(self.task, self.id)).unwrap_or(true)
    }

    /// Returns the task's id, unique among the tasks of the process.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::spawn(async {});
    ///     let b = corio::spawn(async {});
    ///     assert_ne!(a.id(), b.id());
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    fn consumed(&self) -> bool {
        self.task.index == MAIN_INDEX
    }

    /// Whether the task has finished, without taking its output: `Ready(true)` when it
    /// failed (panicked). Registers the waker to be woken when it finishes.
    pub(crate) fn poll_finished(&self, cx: &mut Context<'_>) -> Poll<bool> {
        if self.consumed() {
            return Poll::Ready(false);
        }
        executor::try_with_current(|l| l.poll_finished(self.task, self.id, cx))
            .unwrap_or(Poll::Ready(false))
    }

    pub(crate) fn task_ref(&self) -> TaskRef {
        self.task
    }
}

impl<T: 'static> Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.consumed(), "`Task` polled after it completed");
        if let Some(traced) = await_chain::traced(|| WaitingOn::Task(self.id)) {
            return traced;
        }
        let mut out: Option<Result<T, TaskError>> = None;
        let poll = executor::try_with_current(|l| l.poll_join(self.task, self.id, cx, &mut out))
            .unwrap_or(Poll::Ready(()));
        match poll {
            Poll::Pending => await_chain::pending(WaitingOn::Task(self.id)),
            Poll::Ready(()) => {
                self.task.index = MAIN_INDEX;
                Poll::Ready(out.unwrap_or(Err(TaskError::Cancelled)))
            }
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if !self.consumed() {
            let _ = executor::try_with_current(|l| l.detach(self.task, self.id));
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_finished() {
            "finished"
        } else {
            "pending"
        };
        f.debug_struct("Task")
            .field("id", &self.id)
            .field("state", &state)
            .finish()
    }
}

/// Why awaiting a [`Task`] gave no output.
///
/// # Examples
///
/// ```
/// use corio::TaskError;
///
/// corio::run(async {
///     let task = corio::spawn(async { panic!("boom") });
///     match task.await {
///         Err(TaskError::Panicked(panic)) => assert_eq!(panic.message(), "boom"),
///         other => unreachable!("{other:?}"),
///     }
/// });
/// ```
#[derive(Debug)]
pub enum TaskError {
    /// The task was cancelled, by [`Task::cancel`], a [`TaskGroup`](crate::TaskGroup), or
    /// the end of `run`.
    Cancelled,
    /// The task panicked; the loop caught the panic and kept running.
    Panicked(Panic),
    /// The task returned `Err`, and the error went to its [`TaskGroup`](crate::TaskGroup)
    /// (see [`TaskGroup::spawn_try`](crate::TaskGroup::spawn_try)), which reports it from
    /// [`join`](crate::TaskGroup::join).
    Failed,
}

impl TaskError {
    /// Returns `true` for [`TaskError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(corio::TaskError::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// Returns `true` for [`TaskError::Panicked`].
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!corio::TaskError::Cancelled.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, Self::Panicked(_))
    }

    /// Returns `true` for [`TaskError::Failed`]: the task's `Err` went to its `TaskGroup`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(corio::TaskError::Failed.is_failed());
    /// ```
    pub fn is_failed(&self) -> bool {
        matches!(self, Self::Failed)
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cancelled => f.write_str("task was cancelled"),
            Self::Panicked(panic) => write!(f, "task panicked: {}", panic.message()),
            Self::Failed => f.write_str("task failed: its error went to its TaskGroup"),
        }
    }
}

impl Error for TaskError {}

/// The panic of a task: its message, kept as text.
///
/// The message is the panic payload when that is a `&str` or a `String` (what `panic!`
/// produces), and `"Box<dyn Any>"` otherwise.
///
/// # Examples
///
/// ```
/// use corio::TaskError;
///
/// corio::run(async {
///     let err = corio::spawn(async { panic!("bad {}", 42) }).await.unwrap_err();
///     let TaskError::Panicked(panic) = err else { unreachable!() };
///     assert_eq!(panic.to_string(), "bad 42");
/// });
/// ```
pub struct Panic {
    #[allow(
        clippy::box_collection,
        reason = "a thin pointer keeps `TaskError` one word, and so every task cell small"
    )]
    message: Box<String>,
}

impl Panic {
    pub(crate) fn from_payload(payload: &(dyn Any + Send)) -> Self {
        let message = if let Some(s) = payload.downcast_ref::<&'static str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_owned()
        };
        Self {
            message: Box::new(message),
        }
    }

    /// The panic's message.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let err = corio::spawn(async { panic!("oops") }).await.unwrap_err();
    ///     if let corio::TaskError::Panicked(panic) = err {
    ///         assert_eq!(panic.message(), "oops");
    ///     }
    /// });
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Panic").field(&self.message).finish()
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What the executor needs from a task, with its future and output types erased.
pub(crate) trait RawTask {
    /// Polls the future once; `true` when the task is now done (completed or panicked).
    fn poll(self: Pin<&mut Self>, task: TaskRef, shared: &Arc<Shared>) -> bool;
    /// Drops the future if it is still running and records `Cancelled` (`Failed` when
    /// `failed`).
    fn cancel(self: Pin<&mut Self>, failed: bool);
    /// Moves the output into `out`, an `&mut Option<Result<T, TaskError>>`.
    fn take_output(self: Pin<&mut Self>, out: &mut dyn Any);
    /// Where the task was spawned.
    fn spawned_at(&self) -> &'static Location<'static>;
    /// Whether the task has been polled.
    fn started(&self) -> bool;
    /// The task's panic, when it panicked and nobody has taken its output.
    fn panic(&self) -> Option<&Panic>;
    /// Whether the task ended in failure: it panicked, or it is `Failed`.
    fn failed(&self) -> bool;
}

pin_project! {
    /// The allocation of a task (its waker is a second one, made at its first poll).
    pub(crate) struct TaskCell<F: Future> {
        waker: Option<Arc<TaskWaker>>,
        spawned_at: &'static Location<'static>,
        #[pin]
        stage: Stage<F>,
    }
}

pin_project! {
    #[project = StageProj]
    #[project_replace = StageReplace]
    enum Stage<F: Future> {
        Running { #[pin] fut: F },
        Done { result: Result<F::Output, TaskError> },
        Taken,
    }
}

impl<F: Future> TaskCell<F> {
    pub(crate) fn new(fut: F, spawned_at: &'static Location<'static>) -> Self {
        Self {
            waker: None,
            spawned_at,
            stage: Stage::Running { fut },
        }
    }
}

/// Replaces a running stage, dropping the future in place; a panic in its destructor is
/// swallowed (the default hook has already printed it) and the replacement still happens.
fn finish<F: Future>(stage: Pin<&mut Stage<F>>, result: Result<F::Output, TaskError>) {
    let mut stage = stage;
    let _ = catch_unwind(AssertUnwindSafe(|| stage.set(Stage::Done { result })));
}

impl<F> RawTask for TaskCell<F>
where
    F: Future,
    F::Output: 'static,
{
    fn poll(self: Pin<&mut Self>, task: TaskRef, shared: &Arc<Shared>) -> bool {
        let this = self.project();
        // Keeping the `Arc` rather than a `Waker` saves a word per task, for one reference
        // count increment and decrement per poll.
        let waker = this
            .waker
            .get_or_insert_with(|| Arc::new(TaskWaker::new(task, shared.clone())));
        let waker = Waker::from(waker.clone());
        let mut cx = Context::from_waker(&waker);
        let mut stage = this.stage;
        let StageProj::Running { fut } = stage.as_mut().project() else {
            return true;
        };
        match catch_unwind(AssertUnwindSafe(|| fut.poll(&mut cx))) {
            Ok(Poll::Pending) => false,
            Ok(Poll::Ready(output)) => {
                finish(stage, Ok(output));
                true
            }
            Err(payload) => {
                let panic = Panic::from_payload(&*payload);
                drop(payload);
                finish(stage, Err(TaskError::Panicked(panic)));
                true
            }
        }
    }

    fn cancel(self: Pin<&mut Self>, failed: bool) {
        let this = self.project();
        let mut stage = this.stage;
        let error = || {
            if failed {
                TaskError::Failed
            } else {
                TaskError::Cancelled
            }
        };
        if matches!(*stage, Stage::Running { .. }) {
            if this.waker.is_some() {
                finish(stage.as_mut(), Err(error()));
            } else {
                // A task cancelled before it ran: its coroutines were never awaited, and
                // that is not the user's mistake (asyncio does not warn either).
                crate::rt::hooks::quietly(|| finish(stage.as_mut(), Err(error())));
            }
        }
    }

    fn take_output(self: Pin<&mut Self>, out: &mut dyn Any) {
        let stage = self.project().stage;
        if let StageReplace::Done { result } = stage.project_replace(Stage::Taken)
            && let Some(out) = out.downcast_mut::<Option<Result<F::Output, TaskError>>>()
        {
            *out = Some(result);
        }
    }

    fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    fn started(&self) -> bool {
        self.waker.is_some()
    }

    fn panic(&self) -> Option<&Panic> {
        match &self.stage {
            Stage::Done {
                result: Err(TaskError::Panicked(panic)),
            } => Some(panic),
            _ => None,
        }
    }

    fn failed(&self) -> bool {
        matches!(
            &self.stage,
            Stage::Done {
                result: Err(TaskError::Panicked(_) | TaskError::Failed),
            }
        )
    }
}

/// Spawns `fut` on the running loop; see [`crate::spawn`].
pub(crate) fn spawn_on<F>(
    l: &LoopInner,
    name: Option<String>,
    fut: F,
    at: &'static Location<'static>,
) -> Task<F::Output>
where
    F: IntoFuture + 'static,
    F::Output: 'static,
{
    let cell: Pin<Box<dyn RawTask>> = Box::pin(TaskCell::new(fut.into_future(), at));
    let (task, id) = l.insert(cell, name);
    Task::new(task, id)
}
