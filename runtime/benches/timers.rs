//! N concurrent sleeps of one duration: the time beyond that duration until all are done,
//! and heap bytes per pending timer, in two forms: one future per sleep joined inside one
//! task, and one task per sleep. corio against tokio (current_thread + LocalSet) and smol
//! (LocalExecutor); the peers join with `futures::future::join_all`.
//!
//! Run: `cargo bench -p corio --bench timers` (pins itself to one CPU with `taskset`).
//! Knobs: `CORIO_BENCH_TIMERS` (default 1,000,000), `CORIO_BENCH_SLEEP_MS` (default 1000).

mod common;

use std::time::{Duration, Instant};

use common::{Counting, count, env_usize, pin_to_one_cpu, print_table};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs one form and returns the time beyond `d` from before the first sleep was created.
type Form = fn(usize, Duration) -> Duration;

fn corio_joined(n: usize, d: Duration) -> Duration {
    corio::run(async move {
        let start = Instant::now();
        corio::join_all((0..n).map(|_| corio::sleep(d))).await;
        start.elapsed().saturating_sub(d)
    })
}

fn corio_tasks(n: usize, d: Duration) -> Duration {
    corio::run(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|_| corio::spawn(corio::sleep(d))).collect();
        for task in tasks {
            task.await.unwrap();
        }
        start.elapsed().saturating_sub(d)
    })
}

fn tokio_rt() -> (tokio::runtime::Runtime, tokio::task::LocalSet) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    (rt, tokio::task::LocalSet::new())
}

fn tokio_joined(n: usize, d: Duration) -> Duration {
    let (rt, local) = tokio_rt();
    local.block_on(&rt, async move {
        let start = Instant::now();
        // `unconstrained`: tokio's cooperative budget (128 polls per task poll) would make
        // every later sleep return Pending and re-wake itself, which turns a join of N
        // sleeps quadratic (measured: 137 s for 1,000,000).
        let all = futures::future::join_all((0..n).map(|_| tokio::time::sleep(d)));
        tokio::task::unconstrained(all).await;
        start.elapsed().saturating_sub(d)
    })
}

fn tokio_tasks(n: usize, d: Duration) -> Duration {
    let (rt, local) = tokio_rt();
    local.block_on(&rt, async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| tokio::task::spawn_local(tokio::time::sleep(d)))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        start.elapsed().saturating_sub(d)
    })
}

fn smol_joined(n: usize, d: Duration) -> Duration {
    let ex = smol::LocalExecutor::new();
    smol::future::block_on(ex.run(async move {
        let start = Instant::now();
        futures::future::join_all((0..n).map(|_| smol::Timer::after(d))).await;
        start.elapsed().saturating_sub(d)
    }))
}

fn smol_tasks(n: usize, d: Duration) -> Duration {
    let ex = smol::LocalExecutor::new();
    smol::future::block_on(ex.run(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n).map(|_| ex.spawn(smol::Timer::after(d))).collect();
        for task in tasks {
            task.await;
        }
        start.elapsed().saturating_sub(d)
    }))
}

fn main() {
    pin_to_one_cpu();
    let n = env_usize("CORIO_BENCH_TIMERS", 1_000_000);
    let d = Duration::from_millis(env_usize("CORIO_BENCH_SLEEP_MS", 1000) as u64);
    println!("{n} concurrent sleeps of {d:?}");
    let forms: [(&str, [(&str, Form); 3]); 2] = [
        (
            "one future per sleep, joined in one task",
            [
                ("corio", corio_joined),
                ("tokio", tokio_joined),
                ("smol", smol_joined),
            ],
        ),
        (
            "one task per sleep",
            [
                ("corio", corio_tasks),
                ("tokio", tokio_tasks),
                ("smol", smol_tasks),
            ],
        ),
    ];
    for (form, runs) in forms {
        let mut beyond = Vec::new();
        let mut bytes = Vec::new();
        let only = std::env::var("CORIO_BENCH_ONLY").unwrap_or_default();
        for (name, f) in runs {
            if !name.starts_with(only.as_str()) {
                continue;
            }
            let t = f(n, d);
            let (peak, _) = count(|| f(n, d));
            beyond.push((name, t.as_secs_f64() * 1e3));
            bytes.push((name, peak as f64 / n as f64));
        }
        print_table(&format!("{form}: time beyond {d:?}"), "ms", &beyond);
        print_table(
            &format!("{form}: peak heap bytes per pending timer"),
            "B",
            &bytes,
        );
    }
}
