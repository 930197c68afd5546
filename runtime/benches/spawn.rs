//! Spawn and complete N tasks that each yield once: time per task and peak heap bytes per
//! task, for corio, tokio (current_thread + LocalSet), smol (LocalExecutor) and the floor
//! (async-task + a VecDeque, no runtime around it).
//!
//! Also tasks that are three nested `#[corio::coroutine]`s awaiting `yield_now`, normally and
//! in debug mode (where every suspension records its three-level await chain and locals), for
//! the cost of introspection: compare with the same benchmark built from a commit without it.
//!
//! Run: `cargo bench -p corio --bench spawn` (pins itself to one CPU with `taskset`).
//! Knobs: `CORIO_BENCH_N` (tasks, default 1,000,000), `CORIO_BENCH_REPS` (default 3).

mod common;

use common::{Counting, best_of, count, env_usize, pin_to_one_cpu, print_table, timed};
use std::cell::RefCell;
use std::collections::VecDeque;

#[global_allocator]
static ALLOC: Counting = Counting;

fn corio_spawn(n: usize) {
    corio::run(async move {
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            tasks.push(corio::spawn(async { corio::yield_now().await }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[corio::coroutine]
async fn level3() {
    corio::yield_now().await;
}

#[corio::coroutine]
async fn level2() {
    level3().await;
}

#[corio::coroutine]
async fn level1() {
    level2().await;
}

/// Tasks that are `#[corio::coroutine]`s awaiting through three levels down to `yield_now`:
/// each suspension records a three-level await chain.
fn chain3(rt: &corio::Runtime, n: usize) {
    rt.run(async move {
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            tasks.push(corio::spawn(level1()));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}

fn corio_chain3(n: usize) {
    chain3(&corio::Runtime::new(), n);
}

fn corio_chain3_debug(n: usize) {
    chain3(&corio::Runtime::builder().debug(true).build(), n);
}

fn tokio_spawn(n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            tasks.push(tokio::task::spawn_local(async {
                tokio::task::yield_now().await
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    });
}

fn smol_spawn(n: usize) {
    let ex = smol::LocalExecutor::new();
    smol::future::block_on(ex.run(async {
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            tasks.push(ex.spawn(async { smol::future::yield_now().await }));
        }
        for task in tasks {
            task.await;
        }
    }));
}

thread_local! {
    static QUEUE: RefCell<VecDeque<async_task::Runnable>> = const { RefCell::new(VecDeque::new()) };
}

fn floor_spawn(n: usize) {
    let schedule = |r| QUEUE.with(|q| q.borrow_mut().push_back(r));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (runnable, task) =
            async_task::spawn_local(async { smol::future::yield_now().await }, schedule);
        runnable.schedule();
        tasks.push(task);
    }
    while let Some(runnable) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
        runnable.run();
    }
    for task in tasks {
        assert!(task.is_finished());
        smol::future::block_on(task);
    }
}

fn main() {
    pin_to_one_cpu();
    let n = env_usize("CORIO_BENCH_N", 1_000_000);
    let reps = env_usize("CORIO_BENCH_REPS", 3);
    println!("spawn + complete {n} tasks that each yield once (best of {reps})");
    let runs: [(&str, fn(usize)); 6] = [
        ("corio", corio_spawn),
        ("tokio current_thread+LocalSet", tokio_spawn),
        ("smol LocalExecutor", smol_spawn),
        ("floor: async-task+VecDeque", floor_spawn),
        ("corio 3-level coroutines", corio_chain3),
        ("corio 3-level, debug mode", corio_chain3_debug),
    ];
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    let only = std::env::var("CORIO_BENCH_ONLY").unwrap_or_default();
    for (name, f) in runs {
        if !name.starts_with(only.as_str()) {
            continue;
        }
        f(n / 10); // warm up the allocator and caches
        let t = best_of(reps, || timed(|| f(n)));
        let (peak, ()) = count(|| f(n));
        times.push((name, t.as_nanos() as f64 / n as f64));
        peaks.push((name, peak as f64 / n as f64));
    }
    print_table("time per task", "ns", &times);
    print_table("peak heap bytes per spawned task", "B", &peaks);
    let ratio = |a: &str, b: &str| {
        let find = |name: &str| times.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
        find(a).zip(find(b)).map(|(a, b)| a / b)
    };
    if let Some(r) = ratio("corio 3-level, debug mode", "corio 3-level coroutines") {
        println!(
            "cost of debug mode, 3-level chains: {:+.1} %",
            (r - 1.0) * 100.0
        );
    }
    if times.len() < 3 || !times[1].0.starts_with("tokio") || !times[2].0.starts_with("smol") {
        return;
    }
    println!(
        "\ncorio / tokio time: {:.2}   corio / smol time: {:.2}",
        times[0].1 / times[1].1,
        times[0].1 / times[2].1
    );
}
