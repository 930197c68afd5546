//! Idle task memory: N tasks parked forever (each waits on a future that stored its waker),
//! heap bytes per task once all have run once. corio against tokio (current_thread +
//! LocalSet), smol (LocalExecutor) and the floor (async-task + a VecDeque).
//!
//! Run: `cargo bench -p corio --bench idle`. Knob: `CORIO_BENCH_N` (default 1,000,000).

mod common;

use std::cell::RefCell;
use std::collections::VecDeque;

use common::{
    Counting, Park, env_usize, live_bytes, pin_to_one_cpu, print_table, start_counting,
    stop_counting,
};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Spawns `n` parked tasks with `spawn`, lets them all run once, and samples live bytes.
fn corio_idle(n: usize) -> usize {
    corio::run(async move {
        start_counting();
        for _ in 0..n {
            drop(corio::spawn(Park::new()));
        }
        corio::sleep(std::time::Duration::from_millis(1)).await;
        let live = live_bytes();
        stop_counting();
        live
    })
}

fn tokio_idle(n: usize) -> usize {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        start_counting();
        for _ in 0..n {
            drop(tokio::task::spawn_local(Park::new()));
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        let live = live_bytes();
        stop_counting();
        live
    })
}

fn smol_idle(n: usize) -> usize {
    let ex = smol::LocalExecutor::new();
    smol::future::block_on(ex.run(async {
        start_counting();
        for _ in 0..n {
            ex.spawn(Park::new()).detach();
        }
        smol::Timer::after(std::time::Duration::from_millis(1)).await;
        let live = live_bytes();
        stop_counting();
        live
    }))
}

thread_local! {
    static QUEUE: RefCell<VecDeque<async_task::Runnable>> = const { RefCell::new(VecDeque::new()) };
}

fn floor_idle(n: usize) -> usize {
    start_counting();
    let schedule = |r| QUEUE.with(|q| q.borrow_mut().push_back(r));
    for _ in 0..n {
        let (runnable, task) = async_task::spawn_local(Park::new(), schedule);
        runnable.schedule();
        task.detach();
    }
    while let Some(runnable) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
        runnable.run();
    }
    let live = live_bytes();
    stop_counting();
    live
}

fn main() {
    pin_to_one_cpu();
    let n = env_usize("CORIO_BENCH_N", 1_000_000);
    println!("{n} tasks parked forever");
    let runs: [(&str, fn(usize) -> usize); 4] = [
        ("corio", corio_idle),
        ("tokio current_thread+LocalSet", tokio_idle),
        ("smol LocalExecutor", smol_idle),
        ("floor: async-task+VecDeque", floor_idle),
    ];
    let rows: Vec<_> = runs
        .iter()
        .map(|&(name, f)| (name, f(n) as f64 / n as f64))
        .collect();
    print_table("heap bytes per idle task", "B", &rows);
}
