//! `spawn_blocking`: blocking work on a small pool of threads, awaited from the loop.
//!
//! The pool starts threads on demand, up to [`MAX_THREADS`] (or what
//! `Builder::max_blocking_threads` set), and lets a thread go after it has
//! been idle for [`KEEP_ALIVE`]. A finished job stores its result and wakes the awaiting task
//! through its waker, which from a pool thread takes the loop's remote-wake path (a queue plus
//! `Poller::notify`).

use crate::trace::{self, WaitingOn};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

/// The most threads the pool runs at once, unless `Builder::max_blocking_threads` says
/// otherwise.
const MAX_THREADS: usize = 16;
/// The pool's current cap: one pool serves every loop of the process.
static MAX: AtomicUsize = AtomicUsize::new(MAX_THREADS);

/// Sets the pool's cap (`Builder::max_blocking_threads`). Threads already running above a
/// lowered cap finish their jobs and exit when idle.
pub(crate) fn set_max_threads(n: usize) {
    MAX.store(n.max(1), Ordering::Relaxed);
}
/// How long an idle pool thread waits for work before it exits.
const KEEP_ALIVE: Duration = Duration::from_secs(10);

type Job = Box<dyn FnOnce() + Send>;

struct Pool {
    state: Mutex<PoolState>,
    work: Condvar,
}

struct PoolState {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState {
            jobs: VecDeque::new(),
            threads: 0,
            idle: 0,
        }),
        work: Condvar::new(),
    })
}

impl Pool {
    fn submit(&'static self, job: Job) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.jobs.push_back(job);
        if state.idle > 0 {
            self.work.notify_one();
        } else if state.threads < MAX.load(Ordering::Relaxed) {
            state.threads += 1;
            let spawned = thread::Builder::new()
                .name("corio-blocking".into())
                .spawn(move || self.worker());
            if spawned.is_err() {
                state.threads -= 1;
                assert!(
                    state.threads > 0,
                    "corio: cannot start a blocking-pool thread"
                );
            }
        }
    }

    fn worker(&'static self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                job();
                state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.idle += 1;
            let (next, timeout) = self
                .work
                .wait_timeout(state, KEEP_ALIVE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if timeout.timed_out() && state.jobs.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

struct Slot<T> {
    result: Option<thread::Result<T>>,
    waker: Option<Waker>,
}

/// Runs blocking code on a thread pool and awaits its result: asyncio's `to_thread`.
///
/// `f` starts at once on one of up to 16 pool threads (see
/// [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads)), whether or not the returned future is
/// awaited; dropping the future does not stop `f`, it only discards the result. Use it for
/// blocking system calls and CPU-heavy work that would otherwise stall every task of the loop.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let sum = corio::spawn_blocking(|| (1..=100u64).sum::<u64>()).await;
///     assert_eq!(sum, 5050);
/// });
/// ```
///
/// # Panics
///
/// Awaiting the result re-raises a panic of `f`.
pub fn spawn_blocking<T, F>(f: F) -> Blocking<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot {
        result: None,
        waker: None,
    }));
    let done = slot.clone();
    // A paused clock waits for the job rather than jumping ahead of it.
    let shared = crate::executor::try_with_current(|l| l.shared.clone());
    if let Some(shared) = &shared {
        shared.blocking_job(true);
    }
    pool().submit(Box::new(move || {
        let result = catch_unwind(AssertUnwindSafe(f));
        let waker = {
            let mut slot = done.lock().unwrap_or_else(PoisonError::into_inner);
            slot.result = Some(result);
            slot.waker.take()
        };
        // Before the wake-up, so that the loop sees the job finished when it takes it.
        if let Some(shared) = shared {
            shared.blocking_job(false);
        }
        if let Some(waker) = waker {
            waker.wake();
        }
    }));
    Blocking { slot }
}

/// What a task dump says about a pending `spawn_blocking`.
const BLOCKING: WaitingOn = WaitingOn::Static(&"spawn_blocking (running on the pool)");

/// The future of [`spawn_blocking`]: the result of the blocking function.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let job: corio::Blocking<u8> = corio::spawn_blocking(|| 1);
///     assert_eq!(job.await, 1);
/// });
/// ```
#[must_use = "the function runs anyway; await the future to get its result"]
pub struct Blocking<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> fmt::Debug for Blocking<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let done = match self.slot.try_lock() {
            Ok(slot) => {
                if slot.result.is_some() {
                    "done"
                } else {
                    "running"
                }
            }
            Err(_) => "<locked>",
        };
        f.debug_struct("Blocking").field("state", &done).finish()
    }
}

impl<T> Future for Blocking<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if let Some(traced) = trace::traced(|| BLOCKING) {
            return traced;
        }
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match slot.result.take() {
            Some(Ok(value)) => Poll::Ready(value),
            Some(Err(payload)) => {
                drop(slot);
                resume_unwind(payload)
            }
            None => {
                if !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    slot.waker = Some(cx.waker().clone());
                }
                trace::pending(BLOCKING)
            }
        }
    }
}
