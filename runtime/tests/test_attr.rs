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
