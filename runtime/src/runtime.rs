//! The public face of the loop: `run`, `Runtime` and its builder, `spawn`, `Handle`.

use std::fmt;
use std::future::IntoFuture;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

#[cfg(unix)]
use crate::debug::{DumpOnSignal, DumpSignal};
use crate::remote::RemoteHandle;
use crate::rt::config::Config;
use crate::rt::executor::{self, LoopId, LoopInner};
use crate::rt::task::Task;

/// Runs a future to completion on a new event loop and returns its output: asyncio's `run`.
///
/// `run` builds a loop on the current thread, drives `fut` until it finishes, then cancels
/// the tasks still alive (their futures are dropped at their suspension points) and drops the
/// loop. Each call builds a fresh loop; use [`Runtime`] to choose settings.
///
/// # Examples
///
/// ```
/// let value = corio::run(async { 40 + 2 });
/// assert_eq!(value, 42);
/// ```
///
/// # Panics
///
/// Panics when a loop is already running on this thread (await the future instead), and
/// re-raises a panic of `fut` after the cleanup above; `run` can be called again afterwards.
#[track_caller]
pub fn run<F: IntoFuture>(fut: F) -> F::Output {
    let config = Config {
        main_at: Location::caller(),
        ..loop_config()
    };
    executor::block_on(config, fut.into_future())
}

/// Event-loop settings; [`Runtime::run`] runs a future with them.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = corio::Runtime::builder()
///     .debug(true)
///     .slow_poll_threshold(Duration::from_secs(1))
///     .build();
/// assert_eq!(rt.run(async { 1 }), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Runtime {
    config: Config,
    /// `Builder::loops` and `Builder::pin_to_cores`, for [`Runtime::run_loops`].
    pub(crate) multi: MultiLoop,
    /// `Builder::dump_on_signal`: observability wrapped around the main future, not a setting
    /// of the loop's core.
    #[cfg(unix)]
    dump_signal: Option<DumpSignal>,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::builder().build()
    }
}

/// What concerns the process rather than one loop: how many loops `run_loops` runs, whether
/// it pins them, and the blocking pool's cap.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct MultiLoop {
    pub(crate) loops: Option<usize>,
    pub(crate) pin: bool,
    /// `Builder::max_blocking_threads`: the process-wide pool's cap, set when a loop runs.
    pub(crate) blocking_threads: Option<usize>,
}

/// The core's default settings, with the diagnostics of `corio::debug` listening to it.
fn loop_config() -> Config {
    Config {
        listener: Some(crate::observe::debug::on_core_event),
        ..Config::default()
    }
}

impl Runtime {
    /// A runtime with the default settings (what [`run`] uses).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(corio::Runtime::new().run(async { "hi" }), "hi");
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a [`Builder`] for custom settings.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().event_interval(32).build();
    /// rt.run(async {});
    /// ```
    pub fn builder() -> Builder {
        Builder {
            config: loop_config(),
            multi: MultiLoop::default(),
            #[cfg(unix)]
            dump_signal: None,
        }
    }

    /// Runs `fut` on a new loop with these settings, exactly like [`run`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::new();
    /// assert_eq!(rt.run(async { 1 }), 1);
    /// assert_eq!(rt.run(async { 2 }), 2); // each run gets a fresh loop
    /// ```
    ///
    /// # Panics
    ///
    /// As [`run`]: inside a running loop, and when `fut` panics.
    #[track_caller]
    pub fn run<F: IntoFuture>(&self, fut: F) -> F::Output {
        let config = Config {
            main_at: Location::caller(),
            ..self.config.clone()
        };
        if let Some(n) = self.multi.blocking_threads {
            crate::blocking::set_max_threads(n);
        }
        #[cfg(unix)]
        if let Some(signal) = self.dump_signal {
            return executor::block_on(config, DumpOnSignal::new(fut.into_future(), signal));
        }
        executor::block_on(config, fut.into_future())
    }
}

/// Builds a [`Runtime`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = corio::Runtime::builder()
///     .debug(true)
///     .slow_poll_threshold(Duration::from_millis(50))
///     .event_interval(61)
///     .io_interval(4)
///     .busy_poll(Duration::ZERO)
///     .build();
/// rt.run(async {});
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    config: Config,
    multi: MultiLoop,
    #[cfg(unix)]
    dump_signal: Option<DumpSignal>,
}

impl Builder {
    /// Turns debug mode on or off: asyncio's debug mode.
    ///
    /// In debug mode the loop times every poll and warns when one poll blocks the loop longer
    /// than the [slow-poll threshold](Builder::slow_poll_threshold), records the locals of
    /// every await chain for [`dump`](crate::dump), and warns about coroutines that were
    /// never awaited and task panics that were never retrieved: see [`crate::debug`].
    /// The default is on when the environment variable `CORIO_DEBUG` is `1`.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::Runtime::builder().debug(true).build().run(async {});
    /// ```
    pub fn debug(mut self, on: bool) -> Self {
        self.config.debug = on;
        self
    }

    /// How long one poll may take before debug mode warns (default 100 ms, asyncio's
    /// `slow_callback_duration`).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::Runtime::builder().slow_poll_threshold(Duration::from_millis(10)).build();
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.config.slow_poll_threshold = threshold;
        self
    }

    /// The most ready tasks one tick polls before the loop looks at timers, other threads'
    /// wake-ups and I/O again (default 61).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::Runtime::builder().event_interval(128).build();
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when `n` is zero.
    pub fn event_interval(mut self, n: u32) -> Self {
        assert!(n > 0, "event_interval must be at least 1");
        self.config.event_interval = n;
        self
    }

    /// While tasks are ready, poll I/O once every `n` ticks (default 4).
    ///
    /// An idle loop always waits for I/O. While busy, each check is a system call (on Linux
    /// one `epoll_wait`, or five with `CORIO_REACTOR=polling`), so the loop only checks every
    /// `n` ticks, and only when a socket is registered.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::Runtime::builder().io_interval(1).build();
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when `n` is zero.
    pub fn io_interval(mut self, n: u32) -> Self {
        assert!(n > 0, "io_interval must be at least 1");
        self.config.io_interval = n;
        self
    }

    /// Lets the loop spin for up to `spin` before it blocks waiting for I/O, when its last wait
    /// woke several tasks (default zero: it blocks at once, as asyncio and tokio do).
    ///
    /// Every wait for I/O is a system call, and a busy server that blocks as soon as its tasks
    /// are done wakes again for the few requests that arrived meanwhile: at 100 connections
    /// of the echo benchmark, a wait per 10 requests or so. Spinning a few microseconds first
    /// lets more requests arrive before the one wait that takes them all (a wait per 30 to 50
    /// requests with 10 µs there), at the price of up to `spin` of processor time per
    /// wake-up and up to `spin` of extra latency for what arrives during the spin: where
    /// requests do not pile up, or the processor is shared, that can cost throughput (a
    /// quarter of it at 10 connections on a loaded machine; see `runtime/benches/README.md`). The spin ends early when another thread wakes a task or a
    /// timer falls due, and it only follows a wait for I/O that woke at least two tasks, so
    /// that neither an idle loop nor one that serves one request at a time spins.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::Runtime::builder().busy_poll(Duration::from_micros(10)).build();
    /// ```
    pub fn busy_poll(mut self, spin: Duration) -> Self {
        self.config.busy_poll = spin;
        self
    }

    /// Makes the schedule a deterministic function of `seed`, for tests that explore
    /// interleavings: whenever several tasks are ready, the one to run next is chosen by a
    /// pseudo-random generator seeded with `seed` (instead of first come, first served), and
    /// the clock starts [paused](crate::time::pause), so timers fire in deadline order at
    /// virtual instants without sleeping.
    ///
    /// The same seed and the same program give the same order of polls, as long as nothing
    /// outside the loop takes part: socket readiness and other threads' wake-ups arrive when
    /// the operating system delivers them. Run a test under many seeds to try many orders;
    /// a failing seed replays the failure.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    ///
    /// fn order(seed: u64) -> Vec<u32> {
    ///     let log = Rc::new(RefCell::new(Vec::new()));
    ///     let rt = corio::Runtime::builder().seed(seed).build();
    ///     rt.run({
    ///         let log = log.clone();
    ///         async move {
    ///             let tasks: Vec<_> = (0..4)
    ///                 .map(|i| {
    ///                     let log = log.clone();
    ///                     corio::spawn(async move { log.borrow_mut().push(i) })
    ///                 })
    ///                 .collect();
    ///             corio::join_all(tasks).await;
    ///             // An hour of virtual time passes at once.
    ///             corio::sleep(Duration::from_secs(3600)).await;
    ///         }
    ///     });
    ///     log.take()
    /// }
    ///
    /// assert_eq!(order(7), order(7), "a seed replays its schedule");
    /// let mut sorted = order(7);
    /// sorted.sort();
    /// assert_eq!(sorted, [0, 1, 2, 3]);
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// Starts the loop with its clock [paused](crate::time::pause) (tokio's
    /// `start_paused`): virtual time from the first poll, for tests of timeouts and retries.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = corio::Runtime::builder().start_paused(true).build();
    /// let waited = rt.run(async {
    ///     let t0 = corio::time::now();
    ///     corio::sleep(Duration::from_secs(600)).await; // no real waiting
    ///     corio::time::now() - t0
    /// });
    /// assert_eq!(waited, Duration::from_secs(600));
    /// ```
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.config.start_paused = paused;
        self
    }

    /// How many loops [`Runtime::run_loops`] runs, one per thread; the default is the number
    /// of cores this process may use ([`std::thread::available_parallelism`]).
    ///
    /// # Panics
    ///
    /// Panics when `n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().loops(3).build();
    /// let mut indices = rt.run_loops(|loops| async move { loops.index() });
    /// indices.sort();
    /// assert_eq!(indices, [0, 1, 2]);
    /// ```
    #[track_caller]
    pub fn loops(mut self, n: usize) -> Self {
        assert!(
            n > 0,
            "Builder::loops(0): a runtime needs at least one loop"
        );
        self.multi.loops = Some(n);
        self
    }

    /// Pins the thread of loop `i` of [`Runtime::run_loops`] to the `i`-th core this process
    /// may use (wrapping around when there are more loops than cores). Off by default.
    ///
    /// Pinning is best effort: where the system refuses it (or outside Linux) the loops run
    /// unpinned.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().loops(2).pin_to_cores(true).build();
    /// assert_eq!(rt.run_loops(|_| async { 1 }), [1, 1]);
    /// ```
    pub fn pin_to_cores(mut self, on: bool) -> Self {
        self.multi.pin = on;
        self
    }

    /// Caps the threads of the [`spawn_blocking`](crate::spawn_blocking) pool (default 16).
    ///
    /// The pool is one per process, shared by every loop: the cap is set for the whole
    /// process when this runtime runs a loop, and stays until another runtime sets it. Jobs
    /// beyond the cap wait for a free thread.
    ///
    /// # Panics
    ///
    /// Panics when `n` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().max_blocking_threads(64).build();
    /// let n = rt.run(async { corio::spawn_blocking(|| 1 + 1).await });
    /// assert_eq!(n, 2);
    /// ```
    #[track_caller]
    pub fn max_blocking_threads(mut self, n: usize) -> Self {
        assert!(
            n > 0,
            "Builder::max_blocking_threads(0): the pool needs a thread"
        );
        self.multi.blocking_threads = Some(n);
        self
    }

    /// Writes a [task dump](crate::dump) to stderr (or the [hook](crate::debug::set_hook))
    /// whenever the process receives `signal` while the loop runs: a live server's answer to
    /// "what is it doing?", like the JVM's `SIGQUIT` thread dump.
    ///
    /// The handler is installed with `signal-hook` when the loop starts and removed when it
    /// ends; it only writes a byte into a socket pair that the loop watches, and the loop
    /// writes the dump between polls. Once installed, the process-wide handler stays: after
    /// the loop ends, the signal no longer has its default effect (terminating the process).
    /// Installing a handler can fail; the loop then reports that once and runs on.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::debug::DumpSignal;
    ///
    /// let rt = corio::Runtime::builder().dump_on_signal(DumpSignal::Usr1).build();
    /// rt.run(async {
    ///     // `kill -USR1 <pid>` now prints every task's await chain.
    /// });
    /// ```
    #[cfg(unix)]
    pub fn dump_on_signal(mut self, signal: DumpSignal) -> Self {
        self.dump_signal = Some(signal);
        self
    }

    /// Finishes the runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().build();
    /// rt.run(async {});
    /// ```
    pub fn build(self) -> Runtime {
        Runtime {
            config: self.config,
            multi: self.multi,
            #[cfg(unix)]
            dump_signal: self.dump_signal,
        }
    }
}

/// Spawns a task on the running loop: asyncio's `create_task`.
///
/// The task first runs after the spawner yields, behind the tasks already ready (FIFO). It
/// keeps running when its [`Task`] handle is dropped; await the handle for its output.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let task = corio::spawn(async { "done" });
///     assert_eq!(task.await.unwrap(), "done");
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop is running on this thread.
#[track_caller]
pub fn spawn<F>(fut: F) -> Task<F::Output>
where
    F: IntoFuture + 'static,
    F::Output: 'static,
{
    executor::spawn_current(None, fut)
}

/// Spawns a task with a name, shown in debug-mode warnings and task dumps.
///
/// Otherwise the same as [`spawn`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let task = corio::spawn_named("worker", async { 1 });
///     assert_eq!(task.await.unwrap(), 1);
/// });
/// ```
///
/// # Panics
///
/// Panics when no corio loop is running on this thread.
#[track_caller]
pub fn spawn_named<F>(name: impl Into<String>, fut: F) -> Task<F::Output>
where
    F: IntoFuture + 'static,
    F::Output: 'static,
{
    executor::spawn_current(Some(name.into()), fut)
}

/// Returns a handle to the loop running on this thread: asyncio's `get_running_loop`.
///
/// `None` outside `run`.
///
/// # Examples
///
/// ```
/// assert!(corio::running_loop().is_none());
/// corio::run(async {
///     let handle = corio::running_loop().expect("inside run");
///     let task = handle.spawn(async { 3 });
///     assert_eq!(task.await.unwrap(), 3);
/// });
/// ```
pub fn running_loop() -> Option<Handle> {
    executor::current().map(|inner| Handle { inner })
}

/// A cheap, cloneable handle to a running loop.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let handle = corio::running_loop().unwrap();
///     let again = handle.clone();
///     assert_eq!(handle.id(), again.id());
/// });
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: Rc<LoopInner>,
}

impl Handle {
    /// Spawns a task on this loop, like [`spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::running_loop().unwrap().spawn(async { 5 });
    ///     assert_eq!(task.await.unwrap(), 5);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when the loop has finished.
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        self.spawn_inner(None, fut)
    }

    /// Spawns a named task on this loop, like [`spawn_named`].
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let task = corio::running_loop().unwrap().spawn_named("job", async { 5 });
    ///     assert_eq!(task.await.unwrap(), 5);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when the loop has finished.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: impl Into<String>, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        self.spawn_inner(Some(name.into()), fut)
    }

    #[track_caller]
    fn spawn_inner<F>(&self, name: Option<String>, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        assert!(
            !self.inner.is_closed(),
            "Handle::spawn: the loop of this handle has finished"
        );
        crate::rt::task::spawn_on(&self.inner, name, fut, Location::caller())
    }

    /// The loop's id.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     println!("loop {}", corio::running_loop().unwrap().id());
    /// });
    /// ```
    pub fn id(&self) -> LoopId {
        self.inner.id()
    }

    /// A handle to this loop that other threads may hold: `Send + Sync + Clone`, it spawns
    /// `Send` futures onto this loop and runs closures on it (see [`RemoteHandle`]).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let remote = corio::running_loop().unwrap().remote();
    ///     let got = std::thread::spawn(move || remote.spawn(async { "hi" }))
    ///         .join()
    ///         .unwrap();
    ///     assert_eq!(got.await.unwrap(), "hi");
    /// });
    /// ```
    pub fn remote(&self) -> RemoteHandle {
        RemoteHandle::new(self.inner.shared.clone(), self.inner.id())
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Handle").field(&self.inner).finish()
    }
}
