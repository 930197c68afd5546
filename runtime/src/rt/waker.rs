//! Wakers for tasks, built safely on [`std::task::Wake`].
//!
//! A waker is an `Arc<TaskWaker>` holding the task's slot index, a tag that tells the task
//! apart from later tasks in the same slot, and the loop's [`Shared`] state. Waking on the
//! loop's own thread pushes the task onto the ready queue through the thread-local current
//! loop; waking from any other thread goes through the remote-wake queue and
//! [`polling::Poller::notify`], which interrupts a loop blocked in `Poller::wait`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Wake;

use polling::Poller;

use crate::rt::executor;

/// The slot index that stands for the future passed to `run` (it lives on `run`'s stack).
pub(crate) const MAIN_INDEX: u32 = u32::MAX;

/// Names one task of one loop: its slot index and the low bits of its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskRef {
    pub(crate) index: u32,
    pub(crate) tag: u32,
}

impl TaskRef {
    pub(crate) const MAIN: Self = Self {
        index: MAIN_INDEX,
        tag: 0,
    };
}

/// Work another thread hands to a loop: run on the loop's thread, inside the loop, at its next
/// turn (what `RemoteHandle::spawn` and `call_soon_threadsafe` send). It must not panic: the
/// public API wraps user code in a task, which catches panics.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The part of a loop that other threads may touch: the poller, the remote-wake queue and
/// the queue of jobs from other threads.
pub(crate) struct Shared {
    pub(crate) poller: Poller,
    remote: Mutex<Vec<TaskRef>>,
    /// `None` once the loop has shut down: a job sent later is handed back, not stranded.
    jobs: Mutex<Option<Vec<Job>>>,
    pending: AtomicBool,
    /// `spawn_blocking` jobs started from this loop and not finished: a paused clock does
    /// not jump while one runs.
    blocking: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(poller: Poller) -> Self {
        Self {
            poller,
            remote: Mutex::new(Vec::new()),
            jobs: Mutex::new(Some(Vec::new())),
            pending: AtomicBool::new(false),
            blocking: AtomicUsize::new(0),
        }
    }

    /// A `spawn_blocking` job started (`true`) or finished (`false`). A finished job also
    /// interrupts the loop's wait: a paused clock may jump now, even if nobody awaits the job.
    pub(crate) fn blocking_job(&self, started: bool) {
        if started {
            self.blocking.fetch_add(1, Ordering::SeqCst);
        } else if self.blocking.fetch_sub(1, Ordering::SeqCst) == 1 {
            let _ = self.poller.notify();
        }
    }

    /// Whether a `spawn_blocking` job of this loop is running.
    pub(crate) fn blocking_in_flight(&self) -> bool {
        self.blocking.load(Ordering::SeqCst) > 0
    }

    /// Queues a wake-up from another thread and interrupts the loop's `wait`.
    pub(crate) fn wake_remote(&self, task: TaskRef) {
        self.remote
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task);
        // SeqCst here and in `take_remote`: with polling's own `notified` flag (SeqCst too)
        // this is a store-buffering pattern, and only a single order of all four operations
        // rules out a wake that neither notifies nor is seen (see `Reactor::wait`).
        if !self.pending.swap(true, Ordering::SeqCst) {
            // An error here means the poller is gone with its loop: nobody is left to wake.
            let _ = self.poller.notify();
        }
    }

    /// Queues `job` for the loop's next turn and interrupts its wait; hands it back when the
    /// loop has shut down.
    pub(crate) fn send_job(&self, job: Job) -> Result<(), Job> {
        match &mut *self.jobs.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(jobs) => jobs.push(job),
            None => return Err(job),
        }
        // As in `wake_remote`: the flag and the notification, after the queue.
        if !self.pending.swap(true, Ordering::SeqCst) {
            let _ = self.poller.notify();
        }
        Ok(())
    }

    /// Refuses jobs from now on and returns those still queued (the loop is shutting down).
    pub(crate) fn close_jobs(&self) -> Vec<Job> {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    }

    /// Whether another thread has queued a wake-up that the loop has not taken yet.
    pub(crate) fn has_remote(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }

    /// Moves the queued remote wake-ups into `out` and the queued jobs into `jobs` (cheap
    /// when there are none).
    pub(crate) fn take_remote(&self, out: &mut Vec<TaskRef>, jobs: &mut Vec<Job>) {
        if self.pending.load(Ordering::SeqCst) {
            // Clear the flag before draining: a wake that lands after the swap sets it again
            // and notifies the poller, so nothing is lost.
            self.pending.store(false, Ordering::SeqCst);
            let mut queue = self.remote.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut *queue, out);
            drop(queue);
            if let Some(queued) = &mut *self.jobs.lock().unwrap_or_else(PoisonError::into_inner) {
                std::mem::swap(queued, jobs);
            }
        }
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("poller", &self.poller)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

/// The payload of every task waker.
#[derive(Debug)]
pub(crate) struct TaskWaker {
    task: TaskRef,
    shared: Arc<Shared>,
}

impl TaskWaker {
    pub(crate) fn new(task: TaskRef, shared: Arc<Shared>) -> Self {
        Self { task, shared }
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !executor::wake_local(&self.shared, self.task) {
            self.shared.wake_remote(self.task);
        }
    }
}
