//! Introspection (issue 9): task listings, await chains, debug-mode diagnostics.

use std::time::Duration;

use corio::debug::{self, DiagnosticKind};
use corio::sync::{Event, Queue};
use corio::{Runtime, Status, TaskInfo};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn debug_rt() -> Runtime {
    Runtime::builder().debug(true).build()
}

fn find(id: corio::TaskId) -> TaskInfo {
    corio::tasks()
        .into_iter()
        .find(|t| t.id == id)
        .expect("the task is listed")
}

#[corio::coroutine]
async fn inner(d: Duration) -> u32 {
    let naps = 1;
    corio::sleep(d).await;
    naps
}

#[corio::coroutine]
async fn middle(d: Duration) -> u32 {
    let label = String::from("middle");
    let n = inner(d).await;
    n + label.len() as u32
}

#[corio::coroutine]
async fn outer(d: Duration) -> u32 {
    let tries = 3_u8;
    let n = middle(d).await;
    n + u32::from(tries)
}

#[test]
fn a_dump_shows_each_level_of_a_three_level_chain_and_the_leaf() {
    corio::run(async {
        let task = corio::spawn_named("sleeper", outer(Duration::from_secs(30)));
        corio::yield_now().await;
        let info = find(task.id());
        assert_eq!(info.status, Status::Suspended);
        let shape: Vec<(usize, &str, &str)> = info
            .chain
            .iter()
            .map(|f| (f.depth, f.function, f.point.expect("suspended").source))
            .collect();
        assert_eq!(
            shape,
            [
                (0, "introspect::outer", "middle(d).await"),
                (1, "introspect::middle", "inner(d).await"),
                (2, "introspect::inner", "corio::sleep(d).await"),
            ]
        );
        assert_eq!(info.chain[0].waiting_on, None);
        let leaf = info.chain[2].waiting_on.as_deref().unwrap();
        assert!(leaf.starts_with("sleep until +"), "{leaf}");
        assert!(leaf.ends_with('s'), "{leaf}");
        let point = info.chain[2].point.unwrap();
        assert_eq!(point.file, file!());
        assert_eq!(point.line, 27);
        assert!(
            info.chain.iter().all(|f| f.locals.is_empty()),
            "no locals outside debug mode"
        );

        let dump = corio::dump();
        assert!(dump.contains("\"sleeper\" suspended, spawned at"), "{dump}");
        for source in [
            "`middle(d).await`",
            "`inner(d).await`",
            "`corio::sleep(d).await`",
        ] {
            assert!(dump.contains(source), "{dump}");
        }
        assert!(dump.contains(", waiting on sleep until +"), "{dump}");
        task.cancel();
    });
}

#[test]
fn tasks_have_names_spawn_locations_and_the_main_future_comes_first() {
    corio::run(async {
        let line = line!() + 1;
        let named = corio::spawn_named("worker", corio::sleep(ms(50)));
        let anonymous = corio::spawn(async {});
        let all = corio::tasks();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].name.as_deref(), Some("main"));
        assert_eq!(all[0].status, Status::Running);
        assert_eq!(all[0].spawned_at.line(), line - 2);
        let w = &all[1];
        assert_eq!(w.id, named.id());
        assert_eq!(w.name.as_deref(), Some("worker"));
        assert_eq!(w.spawned_at.file(), file!());
        assert_eq!(w.spawned_at.line(), line);
        assert_eq!(all[2].id, anonymous.id());
        assert_eq!(all[2].name, None);
        assert_eq!(all[2].spawned_at.line(), line + 1);
        named.cancel();
    });
}

#[test]
fn current_task_is_the_task_being_polled() {
    assert!(corio::current_task().is_none());
    corio::run(async {
        let main = corio::current_task().unwrap();
        assert_eq!(main.name.as_deref(), Some("main"));
        let task = corio::spawn_named("me", async {
            let me = corio::current_task().unwrap();
            assert_eq!(me.status, Status::Running);
            assert!(me.chain.is_empty());
            (me.id, me.name, me.spawned_at.line())
        });
        let line = line!() - 6;
        let id = task.id();
        let (seen, name, at) = task.await.unwrap();
        assert_eq!(seen, id);
        assert_eq!(name.as_deref(), Some("me"));
        assert_eq!(at, line);
    });
}

#[test]
fn statuses_follow_a_task_through_its_life() {
    corio::run(async {
        let event = Event::new();
        let waiter = {
            let event = event.clone();
            corio::spawn(async move { event.wait().await })
        };
        assert_eq!(find(waiter.id()).status, Status::Created);
        corio::yield_now().await;
        let suspended = find(waiter.id());
        assert_eq!(suspended.status, Status::Suspended);
        assert_eq!(suspended.chain[0].function, "<future>");
        assert_eq!(
            suspended.chain[0].waiting_on.as_deref(),
            Some("Event::wait")
        );
        event.set();
        corio::yield_now().await;
        assert!(waiter.is_finished());
        // Finished: gone from the listing (asyncio's all_tasks()), though its handle is held.
        assert!(corio::tasks().iter().all(|t| t.id != waiter.id()));
        waiter.await.unwrap();
        assert_eq!(corio::tasks().len(), 1);
    });
}

#[corio::coroutine]
async fn branch(queue: Queue<u8>) -> u8 {
    queue.get().await.unwrap()
}

#[corio::coroutine]
async fn fork(a: Queue<u8>, b: Queue<u8>) -> u8 {
    let (x, y) = corio::join!(branch(a), branch(b)).await;
    x + y
}

#[corio::coroutine]
async fn guarded(queue: Queue<u8>) -> Option<u8> {
    corio::timeout(Duration::from_secs(20), queue.get())
        .await
        .ok()?
        .ok()
}

#[test]
fn join_branches_timeouts_and_task_handles_show_in_the_chain() {
    corio::run(async {
        let (a, b) = (Queue::new(0), Queue::new(0));
        let forked = corio::spawn(fork(a.clone(), b.clone()));
        let timed = corio::spawn(guarded(Queue::new(0)));
        let joiner = {
            let target = corio::spawn_named("target", corio::sleep(ms(100)));
            corio::spawn(async move { target.await.unwrap() })
        };
        corio::yield_now().await;

        let f = find(forked.id());
        let shape: Vec<(usize, &str, Option<&str>)> = f
            .chain
            .iter()
            .map(|fr| (fr.depth, fr.function, fr.waiting_on.as_deref()))
            .collect();
        assert_eq!(
            shape,
            [
                (0, "introspect::fork", None),
                (1, "introspect::branch", Some("Queue::get (empty)")),
                (1, "introspect::branch", Some("Queue::get (empty)")),
            ]
        );

        let t = find(timed.id());
        let waiting = t.chain[0].waiting_on.as_deref().unwrap();
        assert!(
            waiting.starts_with("Queue::get (empty), timeout at +"),
            "{waiting}"
        );

        let j = find(joiner.id());
        let waiting = j.chain[0].waiting_on.as_deref().unwrap();
        assert!(waiting.starts_with("task "), "{waiting}");
        assert!(waiting.ends_with(" (target)"), "{waiting}");

        a.put_nowait(1).unwrap();
        b.put_nowait(2).unwrap();
        assert_eq!(forked.await.unwrap(), 3);
        timed.cancel();
        joiner.await.unwrap();
    });
}

#[test]
fn a_finished_branch_leaves_nothing_behind() {
    #[corio::coroutine]
    async fn quick() -> u8 {
        corio::yield_now().await;
        1
    }

    #[corio::coroutine]
    async fn then_wait(event: Event) -> u8 {
        let n = corio::select(quick(), corio::sleep(Duration::from_secs(10))).await;
        let corio::Either::Left(n) = n else {
            unreachable!()
        };
        event.wait().await;
        n
    }

    corio::run(async {
        let event = Event::new();
        let task = corio::spawn(then_wait(event.clone()));
        for _ in 0..3 {
            corio::yield_now().await;
        }
        let info = find(task.id());
        assert_eq!(info.chain.len(), 1, "{info}");
        assert_eq!(info.chain[0].waiting_on.as_deref(), Some("Event::wait"));
        event.set();
        assert_eq!(task.await.unwrap(), 1);
    });
}

#[test]
fn debug_mode_records_the_locals_of_every_level() {
    debug_rt().run(async {
        let task = corio::spawn(outer(Duration::from_secs(30)));
        corio::yield_now().await;
        let info = find(task.id());
        let locals: Vec<Vec<String>> = info
            .chain
            .iter()
            .map(|f| f.locals.iter().map(ToString::to_string).collect())
            .collect();
        assert_eq!(
            locals,
            [
                vec!["tries = 3".to_owned()],
                vec!["label = \"middle\"".to_owned()],
                vec!["naps = 1".to_owned()],
            ]
        );
        let dump = corio::dump();
        assert!(dump.contains("    label = \"middle\"\n"), "{dump}");
        task.cancel();
    });
}

#[corio::coroutine]
async fn blocker(d: Duration) {
    corio::yield_now().await;
    std::thread::sleep(d);
    let again = corio::yield_now();
    again.await;
}

#[test]
fn a_slow_poll_warns_with_the_task_and_where_it_resumed_and_suspended() {
    let rt = Runtime::builder()
        .debug(true)
        .slow_poll_threshold(ms(20))
        .build();
    let ((), seen) = debug::capture(|| {
        rt.run(async {
            corio::spawn_named("hog", blocker(ms(40))).await.unwrap();
        });
    });
    let slow: Vec<_> = seen
        .iter()
        .filter(|d| d.kind() == DiagnosticKind::SlowPoll)
        .collect();
    assert_eq!(slow.len(), 1, "{seen:?}");
    let text = slow[0].to_string();
    assert!(text.starts_with("corio: warning: task "), "{text}");
    assert!(text.contains("(hog) blocked the loop for"), "{text}");
    assert!(
        text.contains("it resumed at introspect::blocker runtime/tests/introspect.rs:"),
        "{text}"
    );
    assert!(
        text.contains(
            "`corio::yield_now().await` and suspended at introspect::blocker \
             runtime/tests/introspect.rs:"
        ),
        "{text}"
    );
    assert!(text.ends_with("`again.await`"), "{text}");
}

#[test]
fn no_slow_poll_warning_outside_debug_mode() {
    let rt = Runtime::builder().slow_poll_threshold(ms(1)).build();
    let ((), seen) = debug::capture(|| rt.run(blocker(ms(5))));
    assert!(seen.is_empty(), "{seen:?}");
}

#[corio::coroutine]
async fn never_run() {}

#[test]
fn a_coroutine_dropped_unpolled_warns_in_debug_mode_only() {
    let ((), seen) = debug::capture(|| {
        debug_rt().run(async {
            let task = corio::spawn_named("dropper", async { drop(never_run()) });
            task.await.unwrap();
        });
    });
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].kind(), DiagnosticKind::NeverAwaited);
    assert!(
        seen[0]
            .message()
            .starts_with("coroutine `introspect::never_run` was never awaited (dropped in task "),
        "{seen:?}"
    );
    assert!(seen[0].message().ends_with("(dropper))"), "{seen:?}");

    let ((), seen) = debug::capture(|| corio::run(async { drop(never_run()) }));
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn awaited_or_never_started_coroutines_do_not_warn() {
    let ((), seen) = debug::capture(|| {
        debug_rt().run(async {
            never_run().await;
            let cancelled = corio::spawn(never_run());
            cancelled.cancel();
            let _left = corio::spawn(never_run()); // cancelled by the end of `run`
        });
    });
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn a_panic_nobody_retrieved_warns_in_debug_mode() {
    let ((), seen) = debug::capture(|| {
        debug_rt().run(async {
            drop(corio::spawn_named("doomed", async { panic!("boom") }));
            let kept = corio::spawn(async { panic!("kept") });
            let awaited = corio::spawn(async { panic!("seen") });
            corio::yield_now().await;
            assert!(awaited.await.is_err());
            drop(kept);
        });
    });
    let texts: Vec<&str> = seen
        .iter()
        .filter(|d| d.kind() == DiagnosticKind::PanicNeverRetrieved)
        .map(|d| d.message())
        .collect();
    assert_eq!(texts.len(), 2, "{seen:?}");
    assert!(texts[0].contains("(doomed), spawned at "), "{texts:?}");
    assert!(
        texts[0].ends_with("nobody awaited it to retrieve the panic: boom"),
        "{texts:?}"
    );
    assert!(texts[1].ends_with(": kept"), "{texts:?}");
}

#[test]
fn a_panic_still_held_when_the_loop_ends_warns_too() {
    let ((), seen) = debug::capture(|| {
        debug_rt().run(async {
            let task = corio::spawn(async { panic!("late") });
            corio::yield_now().await;
            std::mem::forget(task);
        });
    });
    // (A backtrace printed by the panic hook can make that poll slow enough to warn, too.)
    let seen: Vec<_> = seen
        .iter()
        .filter(|d| d.kind() == DiagnosticKind::PanicNeverRetrieved)
        .collect();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].message().ends_with(": late"));
}

#[cfg(unix)]
#[test]
fn a_signal_writes_a_task_dump() {
    use corio::debug::DumpSignal;

    let rt = Runtime::builder().dump_on_signal(DumpSignal::Usr2).build();
    let ((), seen) = debug::capture(|| {
        rt.run(async {
            let task = corio::spawn_named("idle", outer(Duration::from_secs(30)));
            corio::yield_now().await;
            signal_hook::low_level::raise(signal_hook::consts::SIGUSR2).unwrap();
            corio::sleep(ms(20)).await;
            task.cancel();
        });
    });
    let dumps: Vec<_> = seen
        .iter()
        .filter(|d| d.kind() == DiagnosticKind::TaskDump)
        .collect();
    assert_eq!(dumps.len(), 1, "{seen:?}");
    let text = dumps[0].to_string();
    assert!(
        text.starts_with("corio: task dump on SIGUSR2\nloop "),
        "{text}"
    );
    assert!(text.contains("\"idle\" suspended"), "{text}");
    assert!(
        text.contains("`corio::sleep(d).await`, waiting on sleep until +"),
        "{text}"
    );
}

#[test]
fn outside_a_loop_there_is_nothing_to_list() {
    assert!(corio::tasks().is_empty());
    assert_eq!(corio::dump(), "no corio loop is running on this thread\n");
}

#[corio::coroutine]
async fn count_naps(count: std::rc::Rc<std::cell::Cell<u32>>) {
    loop {
        count.set(count.get() + 1);
        corio::sleep(ms(5)).await;
        if count.get() >= 3 {
            return;
        }
    }
}

#[test]
fn listing_tasks_does_not_advance_them() {
    corio::run(async {
        let count = std::rc::Rc::new(std::cell::Cell::new(0));
        let task = corio::spawn(count_naps(count.clone()));
        let parts = corio::spawn(corio::join_all((1..=20).map(|i| corio::sleep(ms(i)))));
        corio::yield_now().await;
        for _ in 0..10 {
            let all = corio::tasks();
            assert_eq!(all.len(), 3);
            let _ = corio::dump();
        }
        assert_eq!(count.get(), 1, "tracing ran the task's body");
        corio::sleep(ms(3)).await;
        let _ = corio::dump(); // a large join_all traced between wake-ups loses none of them
        parts.await.unwrap();
        task.await.unwrap();
        assert_eq!(count.get(), 3);
    });
}

#[test]
fn the_main_future_shows_its_chain_to_a_task() {
    corio::run(async {
        let seen = corio::spawn(async {
            corio::yield_now().await;
            corio::tasks().remove(0)
        });
        let main = outer(ms(20)).await;
        assert_eq!(main, 10);
        let info = seen.await.unwrap();
        assert_eq!(info.name.as_deref(), Some("main"));
        assert_eq!(info.status, Status::Suspended);
        let functions: Vec<&str> = info.chain.iter().map(|f| f.function).collect();
        assert_eq!(
            functions,
            [
                "introspect::outer",
                "introspect::middle",
                "introspect::inner"
            ]
        );
    });
}

#[corio::coroutine]
async fn serve(listener: corio::net::TcpListener) -> bool {
    listener.accept().await.is_ok()
}

#[test]
fn a_task_waiting_on_a_socket_says_so_and_tracing_it_accepts_nothing() {
    corio::run(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let task = corio::spawn(serve(listener));
        corio::yield_now().await;
        let info = find(task.id());
        let waiting = info.chain[0].waiting_on.as_deref().unwrap();
        assert!(waiting.starts_with("readable on fd "), "{info}");
        assert!(waiting.ends_with(&format!(" ({addr})")), "{info}");
        let _client = corio::net::TcpStream::connect(addr).await.unwrap();
        assert!(task.await.unwrap());
    });
}

/// Issue 16, item 4: once `cancel` has dropped a task's future, the task is gone from
/// `tasks()` and `dump()`, though its handle is still held; so is a task that completed.
#[test]
fn a_cancelled_task_leaves_the_listing_while_its_handle_is_held() {
    corio::run(async {
        let event = Event::new();
        let waiter = corio::spawn_named("cancel-me", {
            let event = event.clone();
            async move { event.wait().await }
        });
        let finished = corio::spawn_named("finished", async {});
        corio::yield_now().await;
        assert_eq!(find(waiter.id()).status, Status::Suspended);
        assert!(corio::dump().contains("cancel-me"));
        waiter.cancel();
        assert!(waiter.is_finished());
        let ids: Vec<_> = corio::tasks().iter().map(|t| t.id).collect();
        assert!(
            !ids.contains(&waiter.id()),
            "a cancelled task is still listed"
        );
        assert!(!corio::dump().contains("cancel-me"), "{}", corio::dump());
        assert!(
            !ids.contains(&finished.id()),
            "a completed task is still listed"
        );
        assert!(!corio::dump().contains("finished"), "{}", corio::dump());
        assert!(waiter.await.unwrap_err().is_cancelled());
        finished.await.unwrap();
        assert_eq!(corio::tasks().len(), 1);
    });
}

/// A task that cancels itself leaves the listing after the poll in which it did.
#[test]
fn a_task_that_cancels_itself_leaves_the_listing() {
    corio::run(async {
        let slot = std::rc::Rc::new(std::cell::RefCell::new(None::<corio::Task<()>>));
        let task = corio::spawn({
            let slot = slot.clone();
            async move {
                corio::yield_now().await;
                if let Some(me) = slot.borrow().as_ref() {
                    me.cancel();
                }
                corio::yield_now().await;
            }
        });
        let id = task.id();
        *slot.borrow_mut() = Some(task);
        for _ in 0..3 {
            corio::yield_now().await;
        }
        assert!(corio::tasks().iter().all(|t| t.id != id));
        let task = slot.borrow_mut().take().unwrap();
        assert!(task.await.unwrap_err().is_cancelled());
    });
}
