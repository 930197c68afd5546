//! The issue-18 toolbox against its peers, in the same run: `as_completed` against
//! `futures::stream::FuturesUnordered` (both on corio's loop, over the same futures), `wait`
//! against `join_all` over the same tasks (both woken once per finished task), and `broadcast` against tokio's (each on its own
//! runtime's current-thread loop).
//!
//! Run: `cargo bench -p corio --bench toolbox` (`CORIO_BENCH_N` sets the number of futures
//! per round, default 10,000; each number is the best of 5 runs).

use std::future::Future;
use std::hint::black_box;
use std::time::Instant;

use corio::sync::{broadcast, oneshot};
use futures::StreamExt;

/// Nanoseconds per item of the fastest of five runs of `run` (which handles `n` items).
fn ns_per_item(n: u64, mut run: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn row(label: &str, ns: f64, base: f64, base_name: &str) {
    println!(
        "  {label:<48} {ns:>8.1} ns   {:>5.2}x {base_name}",
        ns / base
    );
}

/// `n` futures waiting on oneshot channels, and a task that completes them in reverse
/// order, one per loop turn, so every completion is a wake-up of one future.
fn reverse_completions(n: u64) -> (Vec<oneshot::Receiver<u64>>, impl Future<Output = ()>) {
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..n).map(|_| oneshot::channel()).unzip();
    let fire = async move {
        for (i, tx) in senders.into_iter().enumerate().rev() {
            let _ = tx.send(i as u64);
            corio::yield_now().await;
        }
    };
    (receivers, fire)
}

fn as_completed_corio(n: u64) {
    corio::run(async move {
        let (receivers, fire) = reverse_completions(n);
        let _fire = corio::spawn(fire);
        let stream = corio::as_completed(receivers);
        let mut sum = 0;
        while let Some(v) = stream.next().await {
            sum += v.unwrap();
        }
        black_box(sum);
    });
}

fn futures_unordered(n: u64) {
    corio::run(async move {
        let (receivers, fire) = reverse_completions(n);
        let _fire = corio::spawn(fire);
        let mut stream: futures::stream::FuturesUnordered<_> = receivers.into_iter().collect();
        let mut sum = 0;
        while let Some(v) = stream.next().await {
            sum += v.unwrap();
        }
        black_box(sum);
    });
}

fn wait_all(n: u64) {
    corio::run(async move {
        let (receivers, fire) = reverse_completions(n);
        let tasks: Vec<_> = receivers.into_iter().map(corio::spawn).collect();
        let _fire = corio::spawn(fire);
        let (done, _) = corio::wait(tasks, corio::ReturnWhen::AllCompleted).await;
        let mut sum = 0;
        for task in done {
            sum += task.await.unwrap().unwrap();
        }
        black_box(sum);
    });
}

fn join_all_tasks(n: u64) {
    corio::run(async move {
        let (receivers, fire) = reverse_completions(n);
        let tasks: Vec<_> = receivers.into_iter().map(corio::spawn).collect();
        let _fire = corio::spawn(fire);
        let mut sum = 0;
        for out in corio::join_all(tasks).await {
            sum += out.unwrap().unwrap();
        }
        black_box(sum);
    });
}

const RECEIVERS: usize = 4;

fn broadcast_corio(n: u64) {
    corio::run(async move {
        let (tx, rx) = broadcast::channel(64);
        let listeners: Vec<_> = (0..RECEIVERS)
            .map(|i| {
                let rx = if i == 0 { rx.clone() } else { tx.subscribe() };
                corio::spawn(async move {
                    let mut sum = 0u64;
                    while let Ok(v) = rx.recv().await {
                        sum += v;
                    }
                    sum
                })
            })
            .collect();
        drop(rx);
        for v in 0..n {
            tx.send(v).unwrap();
            if v % 32 == 31 {
                corio::yield_now().await; // let the listeners keep up (no lag)
            }
        }
        drop(tx);
        for l in listeners {
            assert_eq!(l.await.unwrap(), n * (n - 1) / 2);
        }
    });
}

fn broadcast_tokio(n: u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (tx, _) = tokio::sync::broadcast::channel(64);
        let listeners: Vec<_> = (0..RECEIVERS)
            .map(|_| {
                let mut rx = tx.subscribe();
                tokio::spawn(async move {
                    let mut sum = 0u64;
                    while let Ok(v) = rx.recv().await {
                        sum += v;
                    }
                    sum
                })
            })
            .collect();
        for v in 0..n {
            tx.send(v).unwrap();
            if v % 32 == 31 {
                tokio::task::yield_now().await;
            }
        }
        drop(tx);
        for l in listeners {
            assert_eq!(l.await.unwrap(), n * (n - 1) / 2);
        }
    });
}

fn main() {
    let n: u64 = std::env::var("CORIO_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    println!("issue-18 toolbox, {n} futures / values per run, best of 5\n");

    println!("outputs in completion order, ns per completion (ratio to FuturesUnordered)");
    let fu = ns_per_item(n, || futures_unordered(n));
    row(
        "corio::as_completed, corio loop",
        ns_per_item(n, || as_completed_corio(n)),
        fu,
        "FU",
    );
    row("futures FuturesUnordered, corio loop", fu, fu, "FU");

    println!(
        "\nwaiting for n tasks that finish one per loop turn, ns per task (ratio to join_all)"
    );
    let join = ns_per_item(n, || join_all_tasks(n));
    row(
        "corio::wait(AllCompleted), then await done",
        ns_per_item(n, || wait_all(n)),
        join,
        "join_all",
    );
    row("corio::join_all(tasks)", join, join, "join_all");

    println!("\nbroadcast to {RECEIVERS} receivers, ns per value sent (ratio to tokio)");
    let tokio_ns = ns_per_item(n, || broadcast_tokio(n));
    row(
        "corio broadcast(64), corio loop",
        ns_per_item(n, || broadcast_corio(n)),
        tokio_ns,
        "tokio",
    );
    row(
        "tokio broadcast(64), current_thread",
        tokio_ns,
        tokio_ns,
        "tokio",
    );
}
