//! Thread-per-core: the same entry point on several loops, one per thread.
//!
//! Each loop is an ordinary single-threaded corio loop; they share nothing but what you hand
//! between them: [`RemoteHandle`]s (every loop gets all of them, in [`Loops`]), `Send`
//! channels, and sockets (`TcpListener::bind_reuseport` lets the kernel spread connections
//! over the loops).

use std::future::IntoFuture;
use std::panic::resume_unwind;
use std::sync::{Arc, Barrier, Mutex, OnceLock, PoisonError};
use std::thread;

use crate::remote::RemoteHandle;
use crate::runtime::{Runtime, running_loop};

/// What each loop of [`Runtime::run_loops`] (or [`run_per_core`]) is told: which loop it is,
/// and a [`RemoteHandle`] to every loop of the set, itself included.
///
/// `Send + Sync + Clone`: hand it to tasks freely.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
///
/// static ANSWERED: AtomicUsize = AtomicUsize::new(0);
///
/// let rt = corio::Runtime::builder().loops(2).build();
/// let seen = rt.run_loops(|loops| async move {
///     // Ask the next loop which loop it is.
///     let next = loops.remote((loops.index() + 1) % loops.len()).clone();
///     let answer = next.spawn(async { corio::running_loop().unwrap().id() }).await.unwrap();
///     // A loop that returns stops serving: wait until the other loop has its answer too.
///     ANSWERED.fetch_add(1, Ordering::SeqCst);
///     while ANSWERED.load(Ordering::SeqCst) < loops.len() {
///         corio::sleep(Duration::from_millis(1)).await;
///     }
///     answer
/// });
/// assert_ne!(seen[0], seen[1]);
/// ```
///
/// # Channels between loops
///
/// corio's [`sync`](crate::sync) channels are for one loop (they are not `Send`). Between
/// loops, use the `async-channel` crate (`bounded` for `mpsc`, any number of receivers) and
/// `futures::channel::oneshot`: their futures work on corio loops, and they keep the
/// cancellation guarantees of the local ones, which `tests/loops_channels.rs` checks across
/// loops: a cancelled `send` never lands and passes its room on, a cancelled `recv` that was
/// woken passes the item on, dropping the receiver hands every waiting send its item back,
/// and dropping the last sender ends the receiver after the buffer.
///
/// ```
/// let (tx, rx) = async_channel::bounded::<u64>(16);
/// let rt = corio::Runtime::builder().loops(2).build();
/// let sums = rt.run_loops(move |loops| {
///     let (tx, rx) = (tx.clone(), rx.clone());
///     async move {
///         if loops.index() == 0 {
///             for i in 1..=100 {
///                 tx.send(i).await.unwrap();
///             }
///             tx.close(); // the receiver drains what is buffered, then sees the end
///             0
///         } else {
///             let mut sum = 0;
///             while let Ok(i) = rx.recv().await {
///                 sum += i;
///             }
///             sum
///         }
///     }
/// });
/// assert_eq!(sums, [0, 5050]);
/// ```
#[derive(Debug, Clone)]
pub struct Loops {
    index: usize,
    remotes: Arc<[RemoteHandle]>,
}

impl Loops {
    /// This loop's index, from 0 to [`len`](Loops::len) - 1.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().loops(1).build();
    /// assert_eq!(rt.run_loops(|loops| async move { loops.index() }), [0]);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many loops the set has.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().loops(2).build();
    /// assert_eq!(rt.run_loops(|loops| async move { loops.len() }), [2, 2]);
    /// ```
    #[allow(clippy::len_without_is_empty, reason = "a set of loops is never empty")]
    pub fn len(&self) -> usize {
        self.remotes.len()
    }

    /// The remote handle of loop `index`.
    ///
    /// # Panics
    ///
    /// Panics when `index >= self.len()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().loops(2).build();
    /// rt.run_loops(|loops| async move {
    ///     let me = corio::running_loop().unwrap().id();
    ///     assert_eq!(loops.remote(loops.index()).id(), me);
    /// });
    /// ```
    #[track_caller]
    pub fn remote(&self, index: usize) -> &RemoteHandle {
        &self.remotes[index]
    }

    /// The remote handles of all loops, by index.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = corio::Runtime::builder().loops(2).build();
    /// rt.run_loops(|loops| async move { assert_eq!(loops.remotes().len(), 2) });
    /// ```
    pub fn remotes(&self) -> &[RemoteHandle] {
        &self.remotes
    }
}

impl Runtime {
    /// Runs `entry` on [`Builder::loops`](crate::Builder::loops) loops (default: one per
    /// core), each on a thread of its own, and returns their outputs by loop index once all
    /// have finished: the thread-per-core model of seastar, glommio and actix.
    ///
    /// `entry` is called once on each loop's thread with that loop's [`Loops`]; the future it
    /// returns is that loop's main future (it need not be `Send`, only its output). Each loop
    /// is what [`Runtime::run`] builds, with this runtime's settings. Every loop is running
    /// before any `entry` is called, so the remote handles in [`Loops`] are live from the
    /// start. With [`Builder::pin_to_cores`](crate::Builder::pin_to_cores), loop `i` runs on
    /// core `i`.
    ///
    /// # Panics
    ///
    /// When a loop's main future panics, the panic is raised again here once every loop has
    /// finished. Must not be called inside a running loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let served = Arc::new(AtomicUsize::new(0));
    /// let rt = corio::Runtime::builder().loops(2).build();
    /// let per_loop = rt.run_loops(|loops| {
    ///     let served = served.clone();
    ///     async move {
    ///         for _ in 0..10 {
    ///             corio::spawn({
    ///                 let served = served.clone();
    ///                 async move { served.fetch_add(1, Ordering::SeqCst) }
    ///             })
    ///             .await
    ///             .unwrap();
    ///         }
    ///         loops.index()
    ///     }
    /// });
    /// assert_eq!(per_loop, [0, 1]);
    /// assert_eq!(served.load(Ordering::SeqCst), 20);
    /// ```
    pub fn run_loops<F, Fut>(&self, entry: F) -> Vec<Fut::Output>
    where
        F: Fn(Loops) -> Fut + Sync,
        Fut: IntoFuture,
        Fut::Output: Send,
    {
        assert!(
            running_loop().is_none(),
            "Runtime::run_loops() cannot be called inside a running corio loop"
        );
        let n = self.multi.loops.unwrap_or_else(default_loops);
        let cpus = if self.multi.pin {
            allowed_cpus()
        } else {
            Vec::new()
        };
        let slots: Mutex<Vec<Option<RemoteHandle>>> = Mutex::new(vec![None; n]);
        let all: OnceLock<Arc<[RemoteHandle]>> = OnceLock::new();
        let ready = Barrier::new(n);
        let (entry, slots, all, ready, cpus) = (&entry, &slots, &all, &ready, &cpus);
        thread::scope(|scope| {
            let threads: Vec<_> = (0..n)
                .map(|index| {
                    thread::Builder::new()
                        .name(format!("corio-loop-{index}"))
                        .spawn_scoped(scope, move || {
                            if !cpus.is_empty() {
                                pin_to(cpus[index % cpus.len()]);
                            }
                            self.run(async move {
                                let me = running_loop().map(|h| h.remote());
                                slots.lock().unwrap_or_else(PoisonError::into_inner)[index] = me;
                                // Blocks this loop's thread, before it has anything to run,
                                // until every loop has a remote handle to share.
                                ready.wait();
                                let remotes = all
                                    .get_or_init(|| {
                                        let slots =
                                            slots.lock().unwrap_or_else(PoisonError::into_inner);
                                        slots.iter().flatten().cloned().collect()
                                    })
                                    .clone();
                                entry(Loops { index, remotes }).await
                            })
                        })
                        .unwrap_or_else(|e| panic!("corio: cannot start loop thread {index}: {e}"))
                })
                .collect();
            let mut outputs = Vec::with_capacity(n);
            let mut panic = None;
            for thread in threads {
                match thread.join() {
                    Ok(output) => outputs.push(output),
                    Err(payload) => panic = panic.or(Some(payload)),
                }
            }
            if let Some(payload) = panic {
                resume_unwind(payload);
            }
            outputs
        })
    }
}

/// Runs `entry` on one loop per core, each on its own thread, and returns their outputs by
/// loop index: `Runtime::new().run_loops(entry)`. See [`Runtime::run_loops`].
///
/// # Examples
///
/// ```
/// let ids = corio::run_per_core(|loops| async move { (loops.index(), loops.len()) });
/// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
/// assert_eq!(ids.len(), cores);
/// assert!(ids.iter().enumerate().all(|(i, &(index, len))| index == i && len == cores));
/// ```
pub fn run_per_core<F, Fut>(entry: F) -> Vec<Fut::Output>
where
    F: Fn(Loops) -> Fut + Sync,
    Fut: IntoFuture,
    Fut::Output: Send,
{
    Runtime::new().run_loops(entry)
}

fn default_loops() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// The cores this process may run on, in order (empty when unknown).
#[cfg(target_os = "linux")]
fn allowed_cpus() -> Vec<usize> {
    match rustix::thread::sched_getaffinity(None) {
        Ok(set) => (0..rustix::thread::CpuSet::MAX_CPU)
            .filter(|&cpu| set.is_set(cpu))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(not(target_os = "linux"))]
fn allowed_cpus() -> Vec<usize> {
    Vec::new()
}

/// Pins the calling thread to `cpu`, best effort.
#[cfg(target_os = "linux")]
fn pin_to(cpu: usize) {
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    // Refused (a cgroup without that core, a seccomp filter): the loop runs unpinned.
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

#[cfg(not(target_os = "linux"))]
fn pin_to(_cpu: usize) {}

/// A [`dump`](crate::dump) of every corio loop running in the process, oldest loop first:
/// each loop renders its own tasks, at its next turn, and the texts are joined.
///
/// The future is `Send` and `'static`: await it on any loop (its own part is rendered in
/// place), or block on it from a plain thread (`futures::executor::block_on`). A loop that
/// finishes before it answers is reported as such. Each task's [`TaskInfo`](crate::TaskInfo)
/// says which loop it belongs to in `loop_id`; each loop's part starts with `loop N:`.
///
/// # Examples
///
/// ```
/// let rt = corio::Runtime::builder().loops(2).build();
/// let dumps = rt.run_loops(|loops| async move {
///     let _task = corio::spawn_named(format!("worker-{}", loops.index()), async {
///         corio::sleep(std::time::Duration::from_secs(3600)).await
///     });
///     corio::yield_now().await;
///     if loops.index() == 0 {
///         // Both loops are up (run_loops starts them all first) and each has its worker.
///         corio::sleep(std::time::Duration::from_millis(20)).await;
///         Some(corio::dump_all().await)
///     } else {
///         corio::sleep(std::time::Duration::from_millis(200)).await;
///         None
///     }
/// });
/// let text = dumps[0].as_deref().unwrap();
/// assert!(text.contains("\"worker-0\""));
/// assert!(text.contains("\"worker-1\""));
/// ```
pub fn dump_all() -> impl std::future::Future<Output = String> + Send + 'static {
    let loops = crate::rt::executor::all_loops();
    async move {
        let mut out = String::new();
        for (id, shared) in loops {
            let mine = running_loop().is_some_and(|h| h.id() == id);
            let part = if mine {
                crate::dump()
            } else {
                match RemoteHandle::new(shared, id)
                    .spawn(async { crate::dump() })
                    .await
                {
                    Ok(text) => text,
                    Err(e) => format!("loop {id}: finished before it answered ({e})\n"),
                }
            };
            out.push_str(&part);
        }
        out
    }
}
