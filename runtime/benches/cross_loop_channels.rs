//! Cross-thread channel round trip: a value sent to a task on another thread, which sends it
//! back, one at a time (latency, not throughput). Each side is one single-threaded loop on its
//! own thread (thread-per-core), or a plain thread that blocks.
//!
//! corio: `sync::threadsafe::mpsc::channel(1)` both ways between two corio loops;
//! async-channel `bounded(1)` on the same two corio loops (the design corio's channel reuses);
//! tokio: `sync::mpsc::channel(1)` between two current-thread runtimes. Plain threads:
//! `blocking_send` / `blocking_recv` of corio's and tokio's channels.
//!
//! Run: `cargo bench -p corio --bench cross_loop_channels`. Knobs: `CORIO_BENCH_N` (round
//! trips, default 20,000), `CORIO_BENCH_REPS` (default 3). Not pinned: it needs both cores.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{best_of, env_usize, print_table};
use corio::sync::threadsafe::mpsc;

fn per_trip(elapsed: Duration, n: usize) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

/// Two corio loops: this thread's pings, the other's echo.
fn corio_loops(n: usize) -> Duration {
    let (ping_tx, ping_rx) = mpsc::channel::<usize>(1);
    let (pong_tx, pong_rx) = mpsc::channel::<usize>(1);
    let echo = thread::spawn(move || {
        corio::run(async move {
            while let Some(v) = ping_rx.recv().await {
                pong_tx.send(v).await.unwrap();
            }
        })
    });
    let elapsed = corio::run(async move {
        let start = Instant::now();
        for i in 0..n {
            ping_tx.send(i).await.unwrap();
            assert_eq!(pong_rx.recv().await, Some(i));
        }
        start.elapsed()
    });
    echo.join().unwrap();
    elapsed
}

/// The same with async-channel on the corio loops.
fn async_channel_loops(n: usize) -> Duration {
    let (ping_tx, ping_rx) = async_channel::bounded::<usize>(1);
    let (pong_tx, pong_rx) = async_channel::bounded::<usize>(1);
    let echo = thread::spawn(move || {
        corio::run(async move {
            while let Ok(v) = ping_rx.recv().await {
                pong_tx.send(v).await.unwrap();
            }
        })
    });
    let elapsed = corio::run(async move {
        let start = Instant::now();
        for i in 0..n {
            ping_tx.send(i).await.unwrap();
            assert_eq!(pong_rx.recv().await, Ok(i));
        }
        start.elapsed()
    });
    echo.join().unwrap();
    elapsed
}

fn tokio_current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// Two tokio current-thread runtimes on two threads.
fn tokio_loops(n: usize) -> Duration {
    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<usize>(1);
    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<usize>(1);
    let echo = thread::spawn(move || {
        tokio_current_thread().block_on(async move {
            while let Some(v) = ping_rx.recv().await {
                pong_tx.send(v).await.unwrap();
            }
        })
    });
    let elapsed = tokio_current_thread().block_on(async move {
        let start = Instant::now();
        for i in 0..n {
            ping_tx.send(i).await.unwrap();
            assert_eq!(pong_rx.recv().await, Some(i));
        }
        start.elapsed()
    });
    echo.join().unwrap();
    elapsed
}

/// Two plain threads blocking on corio's channels.
fn corio_threads(n: usize) -> Duration {
    let (ping_tx, ping_rx) = mpsc::channel::<usize>(1);
    let (pong_tx, pong_rx) = mpsc::channel::<usize>(1);
    let echo = thread::spawn(move || {
        while let Some(v) = ping_rx.blocking_recv() {
            pong_tx.blocking_send(v).unwrap();
        }
    });
    let start = Instant::now();
    for i in 0..n {
        ping_tx.blocking_send(i).unwrap();
        assert_eq!(pong_rx.blocking_recv(), Some(i));
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    echo.join().unwrap();
    elapsed
}

/// Two plain threads blocking on async-channel's channels.
fn async_channel_threads(n: usize) -> Duration {
    let (ping_tx, ping_rx) = async_channel::bounded::<usize>(1);
    let (pong_tx, pong_rx) = async_channel::bounded::<usize>(1);
    let echo = thread::spawn(move || {
        while let Ok(v) = ping_rx.recv_blocking() {
            pong_tx.send_blocking(v).unwrap();
        }
    });
    let start = Instant::now();
    for i in 0..n {
        ping_tx.send_blocking(i).unwrap();
        assert_eq!(pong_rx.recv_blocking(), Ok(i));
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    echo.join().unwrap();
    elapsed
}

/// Two plain threads blocking on tokio's channels.
fn tokio_threads(n: usize) -> Duration {
    let (ping_tx, mut ping_rx) = tokio::sync::mpsc::channel::<usize>(1);
    let (pong_tx, mut pong_rx) = tokio::sync::mpsc::channel::<usize>(1);
    let echo = thread::spawn(move || {
        while let Some(v) = ping_rx.blocking_recv() {
            pong_tx.blocking_send(v).unwrap();
        }
    });
    let start = Instant::now();
    for i in 0..n {
        ping_tx.blocking_send(i).unwrap();
        assert_eq!(pong_rx.blocking_recv(), Some(i));
    }
    let elapsed = start.elapsed();
    drop(ping_tx);
    echo.join().unwrap();
    elapsed
}

fn main() {
    let n = env_usize("CORIO_BENCH_N", 20_000);
    let reps = env_usize("CORIO_BENCH_REPS", 3);
    println!("{n} sequential cross-thread channel round trips (best of {reps})");

    // Interleaved per repetition, so that a burst of load hits all of them alike.
    let (mut corio, mut ach, mut tokio) = (Duration::MAX, Duration::MAX, Duration::MAX);
    let (mut corio_t, mut ach_t, mut tokio_t) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..reps {
        corio = corio.min(best_of(1, || corio_loops(n)));
        ach = ach.min(best_of(1, || async_channel_loops(n)));
        tokio = tokio.min(best_of(1, || tokio_loops(n)));
        corio_t = corio_t.min(best_of(1, || corio_threads(n)));
        ach_t = ach_t.min(best_of(1, || async_channel_threads(n)));
        tokio_t = tokio_t.min(best_of(1, || tokio_threads(n)));
    }

    print_table(
        "between two loops on two threads: time per round trip",
        "ns",
        &[
            ("corio threadsafe::mpsc", per_trip(corio, n)),
            ("async-channel on corio", per_trip(ach, n)),
            ("tokio mpsc, 2 current-thread", per_trip(tokio, n)),
        ],
    );
    print_table(
        "between two plain threads (blocking): time per round trip",
        "ns",
        &[
            ("corio blocking_send/recv", per_trip(corio_t, n)),
            ("async-channel send/recv_blocking", per_trip(ach_t, n)),
            ("tokio blocking_send/recv", per_trip(tokio_t, n)),
        ],
    );
}
