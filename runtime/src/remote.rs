//! Handing work to a loop from other threads: asyncio's `run_coroutine_threadsafe` and
//! `loop.call_soon_threadsafe`.
//!
//! A loop is single-threaded, and its [`Handle`](crate::Handle) and [`Task`](crate::Task)s
//! stay on its thread. A [`RemoteHandle`] is the part that travels: `Send + Sync + Clone`, it
//! spawns `Send` futures onto its loop from any thread, and the [`RemoteTask`] it returns is
//! `Send` too, awaitable on any loop (or any executor) and joinable from a plain thread.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::rt::executor::{self, LoopId};
use crate::rt::task::{Panic, TaskError};
use crate::rt::waker::{Job, Shared};

/// A handle to a loop that any thread may hold: spawn onto the loop, or run a closure on it.
///
/// Get one from [`Handle::remote`](crate::Handle::remote) (or
/// [`running_loop`](crate::running_loop)`()?.remote()`). It keeps no loop alive: once the loop
/// has finished, [`spawn`](RemoteHandle::spawn) gives tasks that end as
/// [`TaskError::Cancelled`] and [`call_soon_threadsafe`](RemoteHandle::call_soon_threadsafe)
/// gives [`LoopClosed`].
///
/// # Examples
///
/// A plain thread hands work to a loop and blocks for the answer:
///
/// ```
/// corio::run(async {
///     let remote = corio::running_loop().unwrap().remote();
///     let answer = std::thread::spawn(move || remote.spawn(async { 6 * 7 }).join());
///     // The loop has to keep running for the task to run: await something.
///     while !answer.is_finished() {
///         corio::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(answer.join().unwrap().unwrap(), 42);
/// });
/// ```
#[derive(Clone)]
pub struct RemoteHandle {
    shared: Arc<Shared>,
    id: LoopId,
}

/// [`RemoteHandle::call_soon_threadsafe`] was called after its loop finished.
///
/// # Examples
///
/// ```
/// let remote = corio::run(async { corio::running_loop().unwrap().remote() });
/// assert_eq!(remote.call_soon_threadsafe(|| {}), Err(corio::LoopClosed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the corio loop has finished")
    }
}

impl std::error::Error for LoopClosed {}

impl RemoteHandle {
    pub(crate) fn new(shared: Arc<Shared>, id: LoopId) -> Self {
        Self { shared, id }
    }

    /// Which loop this handle sends to.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let here = corio::running_loop().unwrap();
    ///     assert_eq!(here.remote().id(), here.id());
    /// });
    /// ```
    pub fn id(&self) -> LoopId {
        self.id
    }

    /// Spawns `fut` on this handle's loop, from any thread: asyncio's
    /// `run_coroutine_threadsafe`.
    ///
    /// The task starts at the loop's next turn, behind the tasks already ready. Its
    /// [`RemoteTask`] is `Send`: await it on any loop, or [`join`](RemoteTask::join) it from a
    /// plain thread. Dropping the `RemoteTask` leaves the task running, as for a
    /// [`Task`](crate::Task). `fut` is turned into its future on the loop's thread, so only
    /// `fut` itself and its output need to be `Send`.
    ///
    /// # Examples
    ///
    /// Work handed from one loop to another, awaited on the first:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let stopped = stop.clone();
    /// let other = std::thread::spawn(move || {
    ///     corio::run(async move {
    ///         tx.send(corio::running_loop().unwrap().remote()).unwrap();
    ///         while !stopped.load(Ordering::SeqCst) {
    ///             corio::sleep(std::time::Duration::from_millis(1)).await;
    ///         }
    ///     })
    /// });
    /// let remote = rx.recv().unwrap();
    /// corio::run(async move {
    ///     let task = remote.spawn(async { std::thread::current().id() });
    ///     let ran_on = task.await.unwrap();
    ///     assert_ne!(ran_on, std::thread::current().id());
    /// });
    /// stop.store(true, Ordering::SeqCst);
    /// other.join().unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> RemoteTask<F::Output>
    where
        F: IntoFuture + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(None, fut)
    }

    /// [`spawn`](RemoteHandle::spawn) with a task name, as [`spawn_named`](crate::spawn_named).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let remote = corio::running_loop().unwrap().remote();
    ///     let task = remote.spawn_named("from-afar", async {
    ///         corio::current_task().unwrap().name.unwrap()
    ///     });
    ///     assert_eq!(task.await.unwrap(), "from-afar");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_named<F>(&self, name: impl Into<String>, fut: F) -> RemoteTask<F::Output>
    where
        F: IntoFuture + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(Some(name.into()), fut)
    }

    /// Spawns the future `make` returns, calling `make` on the loop's thread: for futures
    /// that are not `Send` themselves (they hold a socket, an `Rc`, a corio `Lock` across an
    /// `.await`), built from `Send` parts. Otherwise as [`spawn`](RemoteHandle::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// corio::run(async {
    ///     let remote = corio::running_loop().unwrap().remote();
    ///     let words = vec!["a", "b"]; // `Send`
    ///     let task = remote.spawn_with(move || async move {
    ///         let shared = Rc::new(words); // not `Send`, held across the await
    ///         corio::yield_now().await;
    ///         shared.len()
    ///     });
    ///     assert_eq!(task.await.unwrap(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_with<M, F>(&self, make: M) -> RemoteTask<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: IntoFuture + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_inner(None, MakeFuture(make))
    }

    #[track_caller]
    fn spawn_inner<F>(&self, name: Option<String>, fut: F) -> RemoteTask<F::Output>
    where
        F: IntoFuture + Send + 'static,
        F::Output: Send + 'static,
    {
        let state = Arc::new(JoinState::new());
        let at = Location::caller();
        let completer = Completer(state.clone());
        let job: Job = Box::new(move || {
            let body = Remote {
                fut: Some(fut.into_future()),
                completer,
            };
            let spawned = executor::try_with_current(|l| {
                // Dropping the `Task` leaves it running; the `RemoteTask` is its handle.
                drop(crate::rt::task::spawn_on(l, name, body, at));
            });
            debug_assert!(spawned.is_some(), "jobs run inside their loop");
        });
        // A refused job is dropped here: its `Completer` reports `Cancelled`.
        let _ = self.shared.send_job(job);
        RemoteTask {
            state,
            loop_id: self.id,
        }
    }

    /// Runs `f` on this handle's loop at its next turn: asyncio's
    /// `loop.call_soon_threadsafe(callback)`.
    ///
    /// `f` runs as [`call_soon`](crate::call_soon)'s callbacks do (a panic in it is caught
    /// and the loop keeps running), after the callbacks sent before it from the same thread.
    ///
    /// # Errors
    ///
    /// [`LoopClosed`] when the loop has finished; `f` is dropped without running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// corio::run(async {
    ///     let remote = corio::running_loop().unwrap().remote();
    ///     let ran = Arc::new(AtomicBool::new(false));
    ///     let flag = ran.clone();
    ///     std::thread::spawn(move || {
    ///         remote.call_soon_threadsafe(move || flag.store(true, Ordering::SeqCst)).unwrap();
    ///     })
    ///     .join()
    ///     .unwrap();
    ///     corio::sleep(std::time::Duration::from_millis(1)).await;
    ///     assert!(ran.load(Ordering::SeqCst));
    /// });
    /// ```
    pub fn call_soon_threadsafe<F>(&self, f: F) -> Result<(), LoopClosed>
    where
        F: FnOnce() + Send + 'static,
    {
        let job: Job = Box::new(move || {
            crate::call_soon(f);
        });
        self.shared.send_job(job).map_err(|_| LoopClosed)
    }
}

impl fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHandle")
            .field("loop", &self.id)
            .finish()
    }
}

/// The join handle of a task spawned through a [`RemoteHandle`]: `Send`, awaitable on any
/// loop, joinable from a plain thread.
///
/// It resolves to the task's output, [`TaskError::Panicked`] when the task panicked, or
/// [`TaskError::Cancelled`] when it was [cancelled](RemoteTask::cancel) or its loop finished
/// before the task did. Dropping it leaves the task running.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let remote = corio::running_loop().unwrap().remote();
///     let task = remote.spawn(async { panic!("boom") });
///     let err = task.await.unwrap_err();
///     assert_eq!(err.to_string(), "task panicked: boom");
/// });
/// ```
pub struct RemoteTask<T> {
    state: Arc<JoinState<T>>,
    loop_id: LoopId,
}

impl<T> RemoteTask<T> {
    /// The loop the task runs on.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let here = corio::running_loop().unwrap();
    ///     let task = here.remote().spawn(async {});
    ///     assert_eq!(task.loop_id(), here.id());
    /// });
    /// ```
    pub fn loop_id(&self) -> LoopId {
        self.loop_id
    }

    /// Whether the task has finished (its result may already have been taken).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::running_loop().unwrap().remote().spawn(async {});
    ///     assert!(!task.is_finished()); // it starts at the loop's next turn
    ///     corio::sleep(std::time::Duration::from_millis(1)).await;
    ///     assert!(task.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        let inner = self.state.lock();
        inner.result.is_some() || inner.taken
    }

    /// Asks the task's loop to cancel the task: its future is dropped at its suspension
    /// point, at the loop's next turn, and the task ends as [`TaskError::Cancelled`] unless it
    /// finished first. Callable from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(async {
    ///     let remote = corio::running_loop().unwrap().remote();
    ///     let task = remote.spawn(corio::sleep(Duration::from_secs(3600)));
    ///     corio::sleep(Duration::from_millis(1)).await;
    ///     task.cancel();
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        let waker = {
            let mut inner = self.state.lock();
            inner.cancel = true;
            inner.task_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Blocks this thread until the task finishes and returns its result: for plain threads.
    ///
    /// # Panics
    ///
    /// Panics when called on a thread that runs a corio loop (it would block that loop,
    /// perhaps the one the task needs): `.await` the task there instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let stop = Arc::new(AtomicBool::new(false));
    /// let stopped = stop.clone();
    /// let looper = std::thread::spawn(move || {
    ///     corio::run(async move {
    ///         tx.send(corio::running_loop().unwrap().remote()).unwrap();
    ///         // Keep the loop running until the plain thread has its answer.
    ///         while !stopped.load(Ordering::SeqCst) {
    ///             corio::sleep(std::time::Duration::from_millis(1)).await;
    ///         }
    ///     })
    /// });
    /// let remote = rx.recv().unwrap();
    /// assert_eq!(remote.spawn(async { 1 + 1 }).join().unwrap(), 2);
    /// stop.store(true, Ordering::SeqCst);
    /// looper.join().unwrap();
    /// ```
    #[track_caller]
    pub fn join(self) -> Result<T, TaskError> {
        if executor::current().is_some() {
            panic!(
                "RemoteTask::join() would block the corio loop running on this thread: \
                 `.await` the task instead (at {})",
                Location::caller()
            );
        }
        let mut inner = self.state.lock();
        loop {
            if let Some(result) = inner.result.take() {
                inner.taken = true;
                return result;
            }
            inner = self
                .state
                .done
                .wait(inner)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl<T> Future for RemoteTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut inner = self.state.lock();
        if let Some(result) = inner.result.take() {
            inner.taken = true;
            return Poll::Ready(result);
        }
        assert!(!inner.taken, "RemoteTask polled after it completed");
        match &inner.joiner {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => inner.joiner = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for RemoteTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_finished() {
            "finished"
        } else {
            "pending"
        };
        f.debug_struct("RemoteTask")
            .field("loop", &self.loop_id)
            .field("state", &state)
            .finish()
    }
}

/// A closure that makes a future, as an `IntoFuture` (called on the loop's thread).
struct MakeFuture<M>(M);

impl<M, F> IntoFuture for MakeFuture<M>
where
    M: FnOnce() -> F,
    F: IntoFuture,
{
    type Output = F::Output;
    type IntoFuture = F::IntoFuture;

    fn into_future(self) -> F::IntoFuture {
        (self.0)().into_future()
    }
}

/// What a remote task and its handle share.
struct JoinState<T> {
    inner: Mutex<Inner<T>>,
    /// Signalled when `result` is set, for [`RemoteTask::join`].
    done: Condvar,
}

struct Inner<T> {
    result: Option<Result<T, TaskError>>,
    /// The result was handed out.
    taken: bool,
    /// Who awaits the `RemoteTask`.
    joiner: Option<Waker>,
    /// `RemoteTask::cancel` was called.
    cancel: bool,
    /// The remote task's own waker, for `cancel` to wake it.
    task_waker: Option<Waker>,
}

impl<T> JoinState<T> {
    fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                result: None,
                taken: false,
                joiner: None,
                cancel: false,
                task_waker: None,
            }),
            done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Delivers the task's result exactly once; dropped without a result (the job refused, the
/// task cancelled by its loop's shutdown), it delivers [`TaskError::Cancelled`].
struct Completer<T>(Arc<JoinState<T>>);

impl<T> Completer<T> {
    fn complete(&self, result: Result<T, TaskError>) {
        let joiner = {
            let mut inner = self.0.lock();
            if inner.result.is_some() || inner.taken {
                return;
            }
            inner.result = Some(result);
            inner.task_waker = None;
            inner.joiner.take()
        };
        self.0.done.notify_all();
        if let Some(joiner) = joiner {
            joiner.wake();
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        self.complete(Err(TaskError::Cancelled));
    }
}

pin_project_lite::pin_project! {
    /// The task a remote spawn runs on the loop: the user's future, watching for `cancel`.
    struct Remote<F: Future> {
        #[pin]
        fut: Option<F>,
        completer: Completer<F::Output>,
    }
}

impl<F: Future> Future for Remote<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if this.fut.is_none() {
            return Poll::Ready(());
        }
        {
            let mut inner = this.completer.0.lock();
            if inner.cancel {
                drop(inner);
                this.fut.set(None); // dropped at its suspension point, like `Task::cancel`
                this.completer.complete(Err(TaskError::Cancelled));
                return Poll::Ready(());
            }
            match &inner.task_waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => inner.task_waker = Some(cx.waker().clone()),
            }
        }
        let Some(fut) = this.fut.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        // Caught here, not by the task, so that the panic reaches the `RemoteTask`.
        let outcome = match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(TaskError::Panicked(Panic::from_payload(&*payload))),
        };
        this.fut.set(None);
        this.completer.complete(outcome);
        Poll::Ready(())
    }
}
