//! `wait`: asyncio's `wait(tasks, return_when=...)`, over [`Task`] handles.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::rt::await_chain::{self as trace, WaitingOn};
use crate::rt::task::Task;
use crate::time::{Sleep, sleep};
use crate::wake_set::WakeSet;

/// When [`wait`] returns: asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION` and `ALL_COMPLETED`.
///
/// # Examples
///
/// ```
/// use corio::ReturnWhen;
///
/// assert_ne!(ReturnWhen::FirstCompleted, ReturnWhen::AllCompleted);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any task has finished (completed, panicked or been cancelled).
    FirstCompleted,
    /// As soon as any task has failed (panicked, or, spawned with
    /// [`TaskGroup::spawn_try`](crate::TaskGroup::spawn_try), returned `Err`), or when every
    /// task has finished if none failed. A cancelled task is not a failure, as in asyncio.
    FirstException,
    /// When every task has finished.
    AllCompleted,
}

/// Waits for tasks until `when` says so, and hands them all back as `(done, pending)`:
/// asyncio's `wait(tasks, return_when=...)`.
///
/// `wait` takes the [`Task`] handles and returns them, split into the tasks that have
/// finished and those still running, each in the order they were given. Awaiting a task of
/// `done` gives its output at once. Nothing is cancelled: the pending tasks keep running,
/// whether you keep their handles or drop them, and so does every task when the `wait` future
/// itself is dropped (its handles are dropped, which does not stop a task). With no tasks at
/// all it returns `(vec![], vec![])` at once (asyncio raises `ValueError`).
///
/// [`Wait::timeout`] bounds the wait, like asyncio's `timeout=` argument: when it passes,
/// `wait` returns what is done so far, without an error.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use corio::ReturnWhen;
///
/// corio::run(async {
///     let fast = corio::spawn(async { corio::sleep(Duration::from_millis(1)).await; "fast" });
///     let slow = corio::spawn(async { corio::sleep(Duration::from_secs(3600)).await; "slow" });
///     let (done, pending) = corio::wait([fast, slow], ReturnWhen::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     for task in done {
///         assert_eq!(task.await.unwrap(), "fast");
///     }
///     for task in pending {
///         task.cancel();
///     }
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub fn wait<T, I>(tasks: I, when: ReturnWhen) -> Wait<T>
where
    I: IntoIterator<Item = Task<T>>,
{
    let tasks: Vec<Task<T>> = tasks.into_iter().collect();
    Wait {
        finished: vec![false; tasks.len()],
        tasks,
        when,
        timer: None,
        set: None,
        woken: Vec::new(),
        done: 0,
        failed: 0,
    }
}

/// The future of [`wait`]: completes with `(done, pending)`.
///
/// # Examples
///
/// ```
/// use corio::{ReturnWhen, Wait};
///
/// corio::run(async {
///     let w: Wait<u8> = corio::wait([corio::spawn(async { 1 })], ReturnWhen::AllCompleted);
///     let (done, pending) = w.await;
///     assert_eq!((done.len(), pending.len()), (1, 0));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    tasks: Vec<Task<T>>,
    /// Which tasks have finished (`done` of them, `failed` of those failed).
    finished: Vec<bool>,
    when: ReturnWhen,
    timer: Option<Sleep>,
    /// A waker per task, made at the first poll: a wake-up checks only the task that woke.
    set: Option<(Arc<WakeSet>, Vec<Waker>)>,
    woken: Vec<u32>,
    done: usize,
    failed: usize,
}

impl<T> Wait<T> {
    /// Returns after at most `duration` even if `when` is not met yet: asyncio's `timeout=`.
    ///
    /// A timeout is not an error: the tasks that have finished by then are in `done`, the
    /// others in `pending`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio::ReturnWhen;
    ///
    /// corio::run(async {
    ///     let slow = corio::spawn(corio::sleep(Duration::from_secs(3600)));
    ///     let (done, pending) = corio::wait([slow], ReturnWhen::AllCompleted)
    ///         .timeout(Duration::from_millis(5))
    ///         .await;
    ///     assert_eq!((done.len(), pending.len()), (0, 1));
    /// });
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.timer = Some(sleep(duration));
        self
    }
}

/// What a task dump says about a pending `wait`.
const WAITING: WaitingOn = WaitingOn::Static(&"wait (tasks still running)");

impl<T> Unpin for Wait<T> {}

impl<T> Future for Wait<T> {
    type Output = (Vec<Task<T>>, Vec<Task<T>>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(traced) = trace::traced(|| WAITING) {
            return traced;
        }
        let this = &mut *self;
        let (set, wakers) = this
            .set
            .get_or_insert_with(|| WakeSet::new(this.tasks.len()));
        set.take(cx.waker(), &mut this.woken);
        for index in this.woken.drain(..) {
            let index = index as usize;
            if this.finished[index] {
                continue;
            }
            let mut member = Context::from_waker(&wakers[index]);
            if let Poll::Ready(failure) = this.tasks[index].poll_finished(&mut member) {
                this.finished[index] = true;
                this.done += 1;
                this.failed += usize::from(failure);
            }
        }
        let all = this.done == this.tasks.len();
        let ready = match this.when {
            ReturnWhen::FirstCompleted => this.done > 0 || all,
            ReturnWhen::FirstException => this.failed > 0 || all,
            ReturnWhen::AllCompleted => all,
        };
        let timed_out = !ready
            && this
                .timer
                .as_mut()
                .is_some_and(|t| Pin::new(t).poll(cx).is_ready());
        if !ready && !timed_out {
            return trace::pending(WAITING);
        }
        let (mut finished_tasks, mut pending_tasks) = (Vec::new(), Vec::new());
        let finished = std::mem::take(&mut this.finished);
        for (task, finished) in std::mem::take(&mut this.tasks).into_iter().zip(finished) {
            if finished {
                finished_tasks.push(task);
            } else {
                pending_tasks.push(task);
            }
        }
        this.timer = None;
        this.set = None;
        Poll::Ready((finished_tasks, pending_tasks))
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("tasks", &self.tasks.len())
            .field("when", &self.when)
            .field("timeout", &self.timer.as_ref().map(Sleep::deadline))
            .finish()
    }
}
