//! Callbacks (issue 18): `call_soon`, `call_later`, `call_at` and their handles.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::Event;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Log = Rc<RefCell<Vec<String>>>;

fn push(log: &Log, what: impl Into<String>) -> impl FnOnce() + 'static {
    let log = log.clone();
    let what = what.into();
    move || log.borrow_mut().push(what)
}

#[test]
fn call_soon_runs_in_fifo_order_with_spawned_tasks() {
    let log: Log = Rc::default();
    corio::run({
        let log = log.clone();
        async move {
            corio::call_soon(push(&log, "cb1"));
            let task_log = log.clone();
            let _task = corio::spawn(async move { task_log.borrow_mut().push("task".into()) });
            corio::call_soon(push(&log, "cb2"));
            log.borrow_mut().push("main".into());
            corio::yield_now().await;
            log.borrow_mut().push("main again".into());
        }
    });
    // asyncio prints the same for call_soon, create_task, call_soon, sleep(0).
    assert_eq!(*log.borrow(), ["main", "cb1", "task", "cb2", "main again"]);
}

#[test]
fn timed_callbacks_fire_by_deadline_then_in_scheduling_order() {
    let log: Log = Rc::default();
    corio::run({
        let log = log.clone();
        async move {
            let base = Instant::now() + ms(5);
            corio::call_at(base + ms(6), push(&log, "at+6"));
            corio::call_later(ms(1), push(&log, "later 1"));
            corio::call_at(base, push(&log, "at+0 first"));
            corio::call_at(base, push(&log, "at+0 second"));
            corio::call_soon(push(&log, "soon"));
            corio::sleep(ms(30)).await;
        }
    });
    assert_eq!(
        *log.borrow(),
        ["soon", "later 1", "at+0 first", "at+0 second", "at+6"]
    );
}

#[test]
fn call_later_never_fires_early() {
    corio::run(async {
        let fired_at = Rc::new(Cell::new(None));
        let slot = fired_at.clone();
        let start = Instant::now();
        let handle = corio::call_later(ms(8), move || slot.set(Some(Instant::now())));
        assert!(handle.when().unwrap() >= start + ms(8));
        corio::sleep(ms(20)).await;
        assert!(fired_at.get().unwrap() >= handle.when().unwrap());
        assert!(handle.is_finished() && !handle.cancelled());
    });
}

#[test]
fn cancel_drops_the_closure_at_once_and_is_a_no_op_after_the_call() {
    corio::run(async {
        struct Guard(Rc<Cell<bool>>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        let dropped = Rc::new(Cell::new(false));
        let guard = Guard(dropped.clone());
        let handle = corio::call_later(ms(5), move || {
            let _guard = guard;
            unreachable!("cancelled");
        });
        assert!(!dropped.get());
        handle.cancel();
        assert!(dropped.get(), "the closure was dropped by cancel");
        assert!(handle.cancelled());
        corio::sleep(ms(10)).await;

        let ran = Rc::new(Cell::new(0));
        let count = ran.clone();
        let handle = corio::call_soon(move || count.set(count.get() + 1));
        corio::yield_now().await;
        handle.cancel();
        assert_eq!(ran.get(), 1);
        assert!(!handle.cancelled(), "it ran before the cancel");
    });
}

#[test]
fn dropping_the_handle_keeps_the_call_and_a_panicking_callback_does_not_stop_the_loop() {
    corio::run(async {
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        drop(corio::call_later(ms(1), || panic!("callback failed")));
        drop(corio::call_later(ms(2), move || flag.set(true)));
        corio::sleep(ms(10)).await;
        assert!(ran.get());
    });
}

#[test]
fn callbacks_show_in_a_task_dump_until_they_run() {
    corio::run(async {
        let handle = corio::call_later(Duration::from_secs(3600), || {});
        let names: Vec<_> = corio::tasks().into_iter().filter_map(|t| t.name).collect();
        assert!(names.iter().any(|n| n == "call_later"), "{names:?}");
        handle.cancel();
    });
}

#[test]
#[should_panic(expected = "corio::call_soon needs a running loop")]
fn call_soon_outside_a_loop_panics_with_a_clear_message() {
    let _ = corio::call_soon(|| {});
}

// ---- from a `#[corio::coroutine]` body ----

#[corio::coroutine]
async fn ring_after(delay: Duration) -> Duration {
    let bell = Event::new();
    let ringer = bell.clone();
    let start = Instant::now();
    let handle = corio::call_later(delay, move || ringer.set());
    let never = corio::call_soon(|| unreachable!("cancelled"));
    never.cancel();
    bell.wait().await;
    assert!(handle.is_finished());
    start.elapsed()
}

#[test]
fn callbacks_work_from_a_coroutine() {
    corio::run(async {
        assert!(ring_after(ms(5)).await >= ms(5));
    });
}
