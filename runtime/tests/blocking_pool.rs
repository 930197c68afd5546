//! `Builder::max_blocking_threads`: the `spawn_blocking` pool never runs more jobs at once
//! than its cap. (Its own test binary: the pool is one per process.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static MOST: AtomicUsize = AtomicUsize::new(0);

fn job() -> std::thread::ThreadId {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    MOST.fetch_max(now, Ordering::SeqCst);
    std::thread::sleep(Duration::from_millis(20));
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    std::thread::current().id()
}

#[corio::coroutine]
async fn run_jobs(n: usize) -> usize {
    let jobs: Vec<_> = (0..n).map(|_| corio::spawn_blocking(job)).collect();
    let threads: std::collections::HashSet<_> = corio::join_all(jobs).await.into_iter().collect();
    threads.len()
}

#[test]
fn the_pool_runs_at_most_its_cap_at_once() {
    let rt = corio::Runtime::builder().max_blocking_threads(2).build();
    let threads = rt.run(async { run_jobs(8).await });
    assert_eq!(
        MOST.load(Ordering::SeqCst),
        2,
        "two jobs at once, never more"
    );
    assert!(threads <= 2, "{threads} pool threads for a cap of 2");
}

#[test]
#[should_panic(expected = "the pool needs a thread")]
fn a_zero_cap_is_a_clear_panic() {
    let _ = corio::Runtime::builder().max_blocking_threads(0);
}
