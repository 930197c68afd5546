//! Shared by the loop benchmarks: a counting allocator, knobs from the environment, CPU
//! pinning, a park-forever future and the report table.

#![allow(
    dead_code,
    reason = "each bench binary uses a different part of this module"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Counts live and peak heap bytes while `COUNTING` is on (timing runs keep it off).
pub(crate) struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; the
// counters are plain atomics and never affect what is returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        // SAFETY: forwarded as is; `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
}

/// Turns counting on from zero (frees of earlier blocks may make `LIVE` wrap; they are not
/// counted because counting only sees blocks while it is on, so measure within one window).
pub(crate) fn start_counting() {
    LIVE.store(0, Ordering::SeqCst);
    PEAK.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
}

pub(crate) fn stop_counting() {
    COUNTING.store(false, Ordering::SeqCst);
}

/// Bytes allocated (and not freed) since `start_counting`.
pub(crate) fn live_bytes() -> usize {
    LIVE.load(Ordering::SeqCst)
}

/// The most bytes live at once since `start_counting`.
pub(crate) fn peak_bytes() -> usize {
    PEAK.load(Ordering::SeqCst)
}

/// A number from the environment, or `default`.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Pins this process's main thread to one CPU with `taskset` (the last CPU unless
/// `CORIO_BENCH_CPU` says otherwise); quietly does nothing where `taskset` is missing.
pub(crate) fn pin_to_one_cpu() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = env_usize("CORIO_BENCH_CPU", cpus - 1);
    let pid = std::process::id().to_string();
    let ok = std::process::Command::new("taskset")
        .args(["-cp", &cpu.to_string(), &pid])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        println!("pinned to CPU {cpu}");
    } else {
        println!("not pinned (taskset unavailable)");
    }
}

/// The smallest of `reps` timings of `f`.
pub(crate) fn best_of(reps: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..reps.max(1)).map(|_| f()).min().unwrap()
}

/// Runs `f` with allocation counting on; returns the peak and the bytes still live when `f`
/// reported (through its return value) the moment to sample.
pub(crate) fn count<R>(f: impl FnOnce() -> R) -> (usize, R) {
    start_counting();
    let r = f();
    stop_counting();
    (peak_bytes(), r)
}

/// Times `f` from now.
pub(crate) fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// A future that parks forever: it stores its waker (as a task blocked on a channel would)
/// and never completes.
pub(crate) struct Park {
    waker: Option<Waker>,
}

impl Park {
    pub(crate) fn new() -> Self {
        Self { waker: None }
    }
}

impl Future for Park {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// One row of a report: name, value, unit, and the ratio to the first row.
pub(crate) fn print_table(title: &str, unit: &str, rows: &[(&str, f64)]) {
    println!("\n{title}");
    let base = rows.first().map_or(1.0, |r| r.1);
    for (name, value) in rows {
        let ratio = if base > 0.0 { value / base } else { f64::NAN };
        println!("  {name:<28} {value:>10.1} {unit:<8} {ratio:>6.2}x of corio");
    }
}
