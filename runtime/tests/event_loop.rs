//! The loop's asyncio semantics (issue 6): run, tasks, cancellation, panics, time, wakeups.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use corio::{Either, TaskError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Sets its flag when dropped: shows that a future's locals were destroyed.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

fn flag() -> (Rc<Cell<bool>>, DropFlag) {
    let f = Rc::new(Cell::new(false));
    (f.clone(), DropFlag(f))
}

type Log = Rc<RefCell<Vec<String>>>;

async fn say_after(log: Log, delay: Duration, what: &'static str) {
    log.borrow_mut().push(format!("start {what}"));
    corio::sleep(delay).await;
    log.borrow_mut().push(what.to_owned());
}

#[test]
fn primer_prints_world_then_hello_concurrently() {
    let log = Log::default();
    // Virtual time: on a loaded machine both real timers can fire in one tick, and `join!`
    // then polls its branches in written order; paused, they fire at their own instants.
    let elapsed = corio::Runtime::builder()
        .start_paused(true)
        .build()
        .run(async {
            let started = corio::time::now();
            corio::join!(
                say_after(log.clone(), ms(40), "Hello"),
                say_after(log.clone(), ms(20), "World")
            )
            .await;
            corio::time::now() - started
        });
    // 40 ms, not 60: the sleeps overlapped.
    assert_eq!(elapsed, ms(40));
    // Both sleeps started before either ended: they ran concurrently, not one after another.
    assert_eq!(
        *log.borrow(),
        ["start Hello", "start World", "World", "Hello"]
    );
}

#[test]
fn primer_with_tasks() {
    let log = Log::default();
    let l = log.clone();
    corio::run(async move {
        let hello = corio::spawn(say_after(l.clone(), ms(30), "Hello"));
        let world = corio::spawn(say_after(l.clone(), ms(15), "World"));
        hello.await.unwrap();
        world.await.unwrap();
    });
    assert_eq!(
        *log.borrow(),
        ["start Hello", "start World", "World", "Hello"]
    );
}

#[test]
fn run_returns_mains_value() {
    assert_eq!(corio::run(async { 6 * 7 }), 42);
    let borrowed = String::from("borrowed, not 'static");
    assert_eq!(corio::run(async { borrowed.len() }), 21);
}

#[test]
fn dropped_task_keeps_running() {
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    corio::run(async move {
        drop(corio::spawn(async move {
            corio::sleep(ms(5)).await;
            d.set(true);
        }));
        corio::sleep(ms(20)).await;
    });
    assert!(done.get());
}

#[test]
fn cancel_drops_the_future_at_its_suspension_point() {
    corio::run(async {
        let (dropped, guard) = flag();
        let reached = Rc::new(Cell::new(false));
        let r = reached.clone();
        let task = corio::spawn(async move {
            let _guard = guard;
            r.set(true);
            corio::sleep(Duration::from_secs(3600)).await;
            unreachable!("a cancelled task never resumes");
        });
        corio::yield_now().await;
        assert!(reached.get() && !dropped.get());
        task.cancel();
        assert!(dropped.get(), "cancel() drops the future before it returns");
        assert!(task.is_finished());
        assert!(matches!(task.await, Err(TaskError::Cancelled)));
    });
}

#[test]
fn cancel_before_first_poll_and_from_another_task() {
    corio::run(async {
        let (dropped, guard) = flag();
        let never = corio::spawn(async move {
            let _guard = guard;
            unreachable!("cancelled before it ran");
        });
        never.cancel();
        assert!(dropped.get());
        assert!(never.await.unwrap_err().is_cancelled());

        let victim = Rc::new(corio::spawn(std::future::pending::<()>()));
        let v = victim.clone();
        corio::spawn(async move { v.cancel() }).await.unwrap();
        assert!(victim.is_finished());
    });
}

#[test]
fn a_task_can_cancel_itself() {
    corio::run(async {
        let slot: Rc<RefCell<Option<corio::Task<()>>>> = Rc::default();
        let s = slot.clone();
        let (dropped, guard) = flag();
        let task = corio::spawn(async move {
            let _guard = guard;
            corio::yield_now().await;
            if let Some(me) = s.borrow().as_ref() {
                me.cancel();
            }
            corio::sleep(Duration::from_secs(3600)).await;
        });
        *slot.borrow_mut() = Some(task);
        corio::sleep(ms(5)).await;
        assert!(dropped.get());
        let task = slot.borrow_mut().take().unwrap();
        assert!(task.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn cancel_after_completion_keeps_the_result() {
    corio::run(async {
        let task = corio::spawn(async { 7 });
        corio::yield_now().await;
        assert!(task.is_finished());
        task.cancel();
        assert_eq!(task.await.unwrap(), 7);
    });
}

#[test]
fn panicking_task_gives_panicked_and_the_loop_keeps_running() {
    let out = corio::run(async {
        let bad = corio::spawn(async {
            corio::yield_now().await;
            panic!("task blew up");
        });
        let good = corio::spawn(async {
            corio::sleep(ms(5)).await;
            "still running"
        });
        let err = bad.await.unwrap_err();
        assert_eq!(err.to_string(), "task panicked: task blew up");
        match err {
            TaskError::Panicked(p) => assert_eq!(p.message(), "task blew up"),
            TaskError::Cancelled | TaskError::Failed => unreachable!(),
        }
        good.await.unwrap()
    });
    assert_eq!(out, "still running");
}

#[test]
fn tasks_run_fifo_and_first_run_after_the_spawner_yields() {
    let log = Log::default();
    let l = log.clone();
    corio::run(async move {
        for i in 0..3 {
            let l = l.clone();
            drop(corio::spawn(async move {
                l.borrow_mut().push(format!("t{i} a"));
                corio::yield_now().await;
                l.borrow_mut().push(format!("t{i} b"));
            }));
        }
        l.borrow_mut().push("main".into());
        corio::yield_now().await;
        l.borrow_mut().push("main again".into());
        corio::sleep(ms(1)).await;
    });
    assert_eq!(
        *log.borrow(),
        [
            "main",
            "t0 a",
            "t1 a",
            "t2 a",
            "main again",
            "t0 b",
            "t1 b",
            "t2 b"
        ]
    );
}

#[test]
fn timers_fire_in_deadline_order_with_ties_in_creation_order() {
    let log = Log::default();
    let l = log.clone();
    let started = Instant::now();
    corio::run(async move {
        let base = Instant::now();
        let plan = [
            ("c", 30),
            ("a1", 10),
            ("b", 20),
            ("a2", 10),
            ("a3", 10),
            ("z", 0),
        ];
        let tasks: Vec<_> = plan
            .into_iter()
            .map(|(name, after)| {
                let l = l.clone();
                let at = base + ms(after);
                corio::spawn(async move {
                    corio::sleep_until(at).await;
                    assert!(Instant::now() >= at, "timer {name} fired early");
                    l.borrow_mut().push(name.to_owned());
                })
            })
            .collect();
        corio::join_all(tasks).await;
    });
    assert_eq!(*log.borrow(), ["z", "a1", "a2", "a3", "b", "c"]);
    assert!(started.elapsed() >= ms(30));
}

#[test]
fn timeout_drops_the_inner_future_on_expiry() {
    corio::run(async {
        let (dropped, guard) = flag();
        let slow = async move {
            let _guard = guard;
            corio::sleep(Duration::from_secs(3600)).await;
        };
        let started = Instant::now();
        let res = corio::timeout(ms(10), slow).await;
        assert!(res.is_err());
        assert!(started.elapsed() >= ms(10));
        assert!(
            dropped.get(),
            "the inner future is dropped when the timeout fires"
        );
        assert_eq!(corio::timeout(ms(100), async { 1 }).await, Ok(1));
    });
}

#[test]
fn tasks_alive_when_run_returns_are_cancelled_and_dropped() {
    let (dropped, guard) = flag();
    let (finished_dropped, finished_guard) = flag();
    corio::run(async move {
        drop(corio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        }));
        // A finished task whose output nobody took is dropped too.
        drop(corio::spawn(async move { finished_guard }));
        corio::yield_now().await;
    });
    assert!(dropped.get());
    assert!(finished_dropped.get());
}

#[test]
fn run_inside_a_running_loop_panics_with_a_clear_message() {
    corio::run(async {
        let err = catch_unwind(|| corio::run(async {})).unwrap_err();
        let msg = err
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()));
        let msg = msg.unwrap();
        assert!(
            msg.contains("cannot be called while a corio loop is running"),
            "{msg}"
        );
    });
}

#[test]
fn run_propagates_a_panic_of_main_and_can_be_called_again() {
    let (dropped, guard) = flag();
    let err = catch_unwind(AssertUnwindSafe(|| {
        corio::run(async move {
            drop(corio::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            }));
            corio::yield_now().await;
            panic!("main failed");
        })
    }))
    .unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"main failed"));
    assert!(dropped.get(), "tasks are cancelled even when main panics");
    assert!(corio::running_loop().is_none());
    assert_eq!(corio::run(async { 1 }), 1);
}

#[test]
fn a_waker_used_from_another_thread_wakes_a_sleeping_loop() {
    let started = Instant::now();
    corio::run(async {
        let fired = Arc::new(AtomicBool::new(false));
        let mut thread = None;
        std::future::poll_fn(|cx| {
            if fired.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            if thread.is_none() {
                let waker = cx.waker().clone();
                let fired = fired.clone();
                thread = Some(std::thread::spawn(move || {
                    std::thread::sleep(ms(20));
                    fired.store(true, Ordering::SeqCst);
                    waker.wake();
                }));
            }
            Poll::Pending
        })
        .await;
        thread.unwrap().join().unwrap();
    });
    assert!(started.elapsed() >= ms(20));
}

#[test]
fn spawn_blocking_wakes_the_loop() {
    let got = corio::run(async {
        corio::spawn_blocking(|| {
            std::thread::sleep(ms(10));
            "from the pool"
        })
        .await
    });
    assert_eq!(got, "from the pool");
}

#[test]
fn hundred_thousand_tasks_with_random_sleeps_all_complete() {
    let done = Rc::new(Cell::new(0u32));
    let d = done.clone();
    corio::run(async move {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let tasks: Vec<_> = (0..100_000)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let delay = Duration::from_micros((seed >> 33) % 20_000);
                let d = d.clone();
                corio::spawn(async move {
                    corio::sleep(delay).await;
                    d.set(d.get() + 1);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(done.get(), 100_000);
}

#[test]
fn select_returns_the_first_and_drops_the_loser() {
    corio::run(async {
        let (dropped, guard) = flag();
        let slow = async move {
            let _guard = guard;
            corio::sleep(Duration::from_secs(3600)).await;
        };
        let fast = async {
            corio::sleep(ms(2)).await;
            "fast"
        };
        assert_eq!(corio::select(slow, fast).await, Either::Right("fast"));
        assert!(dropped.get());
    });
}

#[test]
fn join_all_keeps_order_for_many_futures() {
    let out = corio::run(async {
        let futs = (0..100u64).map(|i| async move {
            corio::sleep(Duration::from_micros(((i * 37) % 100) * 50)).await;
            i
        });
        corio::join_all(futs).await
    });
    assert_eq!(out, (0..100).collect::<Vec<_>>());
}

#[test]
fn task_group_cancels_the_rest_on_first_failure() {
    corio::run(async {
        let group = corio::TaskGroup::new();
        let (dropped, guard) = flag();
        let sibling = group.spawn(async move {
            let _guard = guard;
            corio::sleep(Duration::from_secs(3600)).await;
        });
        let _failing = group.spawn(async {
            corio::sleep(ms(2)).await;
            panic!("child failed");
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 child task failed: panicked: child failed"
        );
        assert!(dropped.get());
        assert!(sibling.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn dropping_a_task_group_cancels_its_children() {
    corio::run(async {
        let (dropped, guard) = flag();
        let group = corio::TaskGroup::new();
        let child = group.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        drop(group);
        assert!(dropped.get());
        assert!(child.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn interval_ticks_without_firing_early() {
    corio::run(async {
        let start = Instant::now();
        let mut every = corio::interval(ms(5));
        for n in 0..4u32 {
            every.tick().await;
            assert!(start.elapsed() >= ms(5) * n);
        }
    });
}

#[test]
fn handle_spawns_on_its_loop() {
    corio::run(async {
        let handle = corio::running_loop().unwrap();
        let task = handle.spawn_named("named", async { 9 });
        assert_eq!(task.await.unwrap(), 9);
    });
}

#[test]
fn join_macro_gathers_different_types_in_argument_order() {
    let log = Log::default();
    let l = log.clone();
    let out = corio::run(async move {
        corio::join!(
            async {
                corio::sleep(ms(3)).await;
                l.borrow_mut().push("slow".into());
                1u8
            },
            async {
                l.borrow_mut().push("fast".into());
                "two"
            },
            std::future::ready(3.0),
        )
        .await
    });
    assert_eq!(out, (1, "two", 3.0));
    assert_eq!(*log.borrow(), ["fast", "slow"]);
}

#[test]
fn debug_mode_with_a_tiny_threshold_still_runs() {
    let rt = corio::Runtime::builder()
        .debug(true)
        .slow_poll_threshold(Duration::ZERO)
        .event_interval(1)
        .io_interval(1)
        .build();
    let out = rt.run(async {
        let task = corio::spawn_named("slow one", async {
            std::thread::sleep(ms(1));
            5
        });
        task.await.unwrap()
    });
    assert_eq!(out, 5);
}

#[test]
fn a_task_handle_outliving_its_loop_reports_cancelled() {
    let (task, finished) = corio::run(async {
        let pending = corio::spawn(std::future::pending::<()>());
        let finished = corio::spawn(async { 1 });
        corio::yield_now().await;
        (pending, finished)
    });
    assert!(task.is_finished());
    assert!(corio::run(task).unwrap_err().is_cancelled());
    // Its loop is gone, and with it the output it had produced.
    assert!(corio::run(finished).unwrap_err().is_cancelled());
}

#[test]
fn timeouts_that_do_not_fire_cancel_their_timers() {
    corio::run(async {
        for i in 0..10_000 {
            assert_eq!(
                corio::timeout(Duration::from_secs(3600), async move { i }).await,
                Ok(i)
            );
        }
        // 10,000 hour-long timers were created and cancelled; the loop still ends as soon as
        // main does (a leftover timer would not keep it alive, but it must not break it).
        corio::sleep(ms(1)).await;
    });
}

#[corio::coroutine]
async fn nap_then(delay: Duration, what: &'static str) -> &'static str {
    corio::sleep(delay).await;
    what
}

#[test]
fn coroutines_run_on_the_loop_like_any_future() {
    let out = corio::run(async {
        let task = corio::spawn(nap_then(ms(2), "task"));
        let (a, b) = corio::join!(nap_then(ms(3), "a"), nap_then(ms(1), "b")).await;
        (a, b, task.await.unwrap())
    });
    assert_eq!(out, ("a", "b", "task"));
}
