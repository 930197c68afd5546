//! Cross-loop spawn + join round trip: one task handed to another thread's runtime and its
//! output awaited, one at a time (latency, not throughput).
//!
//! corio: `RemoteHandle::spawn` onto a loop on another thread, awaited from a second corio
//! loop, and joined from a plain thread (`RemoteTask::join`). tokio: `Handle::spawn` onto a
//! multi-thread runtime with 2 workers, awaited from a current-thread runtime on another
//! thread, and joined from a plain thread (`futures::executor::block_on`).
//!
//! Run: `cargo bench -p corio --bench remote_spawn`. Knobs: `CORIO_BENCH_N` (round trips,
//! default 20,000), `CORIO_BENCH_REPS` (default 3). Not pinned: it needs both cores.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{best_of, env_usize, print_table};

/// A corio loop on its own thread until `stop`, and its remote handle.
fn corio_loop() -> (
    corio::RemoteHandle,
    Arc<AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let thread = std::thread::spawn(move || {
        corio::run(async move {
            tx.send(corio::running_loop().unwrap().remote()).unwrap();
            while !stopped.load(Ordering::SeqCst) {
                corio::sleep(Duration::from_millis(5)).await;
            }
        })
    });
    (rx.recv().unwrap(), stop, thread)
}

fn per_trip(elapsed: Duration, n: usize) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

fn main() {
    let n = env_usize("CORIO_BENCH_N", 20_000);
    let reps = env_usize("CORIO_BENCH_REPS", 3);
    println!("{n} sequential cross-thread spawn + join round trips (best of {reps})");

    let (remote, stop, thread) = corio_loop();
    let corio_from_loop = best_of(reps, || {
        let remote = remote.clone();
        corio::run(async move {
            let start = Instant::now();
            for i in 0..n {
                let got = remote.spawn(async move { i }).await.unwrap();
                assert_eq!(got, i);
            }
            start.elapsed()
        })
    });
    let corio_from_thread = best_of(reps, || {
        let start = Instant::now();
        for i in 0..n {
            assert_eq!(remote.spawn(async move { i }).join().unwrap(), i);
        }
        start.elapsed()
    });
    stop.store(true, Ordering::SeqCst);
    thread.join().unwrap();

    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let handle = tokio_rt.handle().clone();
    let tokio_from_loop = best_of(reps, || {
        let handle = handle.clone();
        let local = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        local.block_on(async move {
            let start = Instant::now();
            for i in 0..n {
                let got = handle.spawn(async move { i }).await.unwrap();
                assert_eq!(got, i);
            }
            start.elapsed()
        })
    });
    let tokio_from_thread = best_of(reps, || {
        let start = Instant::now();
        for i in 0..n {
            let got = futures::executor::block_on(handle.spawn(async move { i })).unwrap();
            assert_eq!(got, i);
        }
        start.elapsed()
    });
    drop(tokio_rt);

    print_table(
        "awaited on another loop: time per round trip",
        "ns",
        &[
            ("corio RemoteHandle::spawn", per_trip(corio_from_loop, n)),
            ("tokio multi-thread spawn", per_trip(tokio_from_loop, n)),
        ],
    );
    print_table(
        "joined from a plain thread: time per round trip",
        "ns",
        &[
            ("corio RemoteTask::join", per_trip(corio_from_thread, n)),
            ("tokio spawn + block_on", per_trip(tokio_from_thread, n)),
        ],
    );
}
