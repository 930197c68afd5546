//! `#[corio::test]` (issue 18): each test runs on a fresh loop; results, panics and
//! coroutines work as in a plain `#[test]`.

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// Which loop the last test ran on: tests on one thread must still get fresh loops.
    static LAST_LOOP: Cell<Option<corio::LoopId>> = const { Cell::new(None) };
}

#[corio::test]
async fn runs_on_a_running_corio_loop() {
    let here = corio::running_loop().expect("a loop is running").id();
    assert_ne!(LAST_LOOP.with(|l| l.replace(Some(here))), Some(here));
    // Only the test's own future is alive: the loop is fresh.
    let tasks = corio::tasks();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].name.as_deref(), Some("main"));
    let task = corio::spawn(async { 6 * 7 });
    assert_eq!(task.await.unwrap(), 42);
}

#[corio::test]
async fn returns_a_result() -> Result<(), corio::Elapsed> {
    corio::timeout(
        Duration::from_secs(5),
        corio::sleep(Duration::from_millis(1)),
    )
    .await
}

#[corio::test]
#[should_panic(expected = "deadline has elapsed")]
async fn a_panic_fails_the_test() {
    corio::timeout(Duration::from_millis(1), std::future::pending::<()>())
        .await
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
}

#[corio::test(debug)]
async fn debug_mode_is_on() {
    // Debug mode records locals at every suspension: a dump shows them.
    let _task = corio::spawn_named("sleeper", async {
        let secret = 7;
        corio::sleep(Duration::from_secs(3600)).await;
        secret
    });
    corio::yield_now().await;
    assert!(corio::dump().contains("sleeper"), "{}", corio::dump());
}

#[corio::coroutine]
async fn double_later(n: u32) -> u32 {
    corio::sleep(Duration::from_millis(1)).await;
    n * 2
}

#[corio::test]
async fn awaits_coroutines() {
    assert_eq!(double_later(21).await, 42);
}

#[corio::test]
async fn leftover_tasks_are_cancelled_when_the_test_returns() {
    // If the loop did not cancel this, the test would never finish.
    let _forever = corio::spawn(std::future::pending::<()>());
}

#[corio::test(start_paused = true)]
async fn start_paused_runs_on_virtual_time() {
    let real = std::time::Instant::now();
    let t0 = corio::time::now();
    // A day passes at once: every task waits on a timer, so the paused clock jumps.
    corio::sleep(Duration::from_secs(86_400)).await;
    assert_eq!(corio::time::now() - t0, Duration::from_secs(86_400));
    assert!(real.elapsed() < Duration::from_secs(60));
    // A timeout is checked without waiting for it.
    let slow = corio::timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
    assert!(slow.is_err());
}

#[corio::test(start_paused = false)]
async fn start_paused_false_is_real_time() {
    let real = std::time::Instant::now();
    corio::sleep(Duration::from_millis(5)).await;
    assert!(real.elapsed() >= Duration::from_millis(5));
}

async fn spawn_order() -> Vec<u32> {
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let log = log.clone();
            corio::spawn(async move { log.borrow_mut().push(i) })
        })
        .collect();
    corio::join_all(tasks).await;
    log.take()
}

#[corio::test(seed = 7)]
async fn a_seeded_test_replays_its_schedule() {
    let order = spawn_order().await;
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1, 2, 3, 4, 5]);
    // The same seed on a new loop (on another thread: this one is running) gives the same.
    let again = std::thread::spawn(|| corio::Runtime::builder().seed(7).build().run(spawn_order()))
        .join()
        .unwrap();
    assert_eq!(order, again);
}
