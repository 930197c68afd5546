//! Edge cases a user meets early, each checked against what asyncio (or std) does.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio::sync::{Condition, Event, Lock, Queue, Semaphore, mpsc, oneshot};

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// asyncio: `ev.set(); ev.clear()` before a waiter runs still wakes it (its future was
/// resolved at `set`).
#[corio::coroutine]
async fn set_then_clear() -> bool {
    let ev = Event::new();
    let waiter = corio::spawn({
        let ev = ev.clone();
        async move { ev.wait().await }
    });
    corio::yield_now().await;
    ev.set();
    ev.clear();
    corio::timeout(Duration::from_secs(5), waiter).await.is_ok()
}

#[test]
fn an_event_set_then_cleared_still_wakes_its_waiters() {
    assert!(corio::run(set_then_clear()));
}

/// asyncio: a notify with no waiter is lost; a later wait blocks.
#[corio::coroutine]
async fn notify_before_wait() -> bool {
    let cond = Condition::new();
    let lock = Lock::new(());
    cond.notify();
    cond.notify_all();
    let guard = lock.lock().await;
    corio::timeout(Duration::from_millis(20), cond.wait(guard))
        .await
        .is_err()
}

#[test]
fn a_notification_without_waiters_is_not_kept() {
    assert!(corio::run(notify_before_wait()));
}

#[corio::coroutine]
async fn join_on_an_idle_queue() -> usize {
    let q: Queue<u8> = Queue::new(0);
    q.join().await; // nothing unfinished: returns at once
    q.put_nowait(1).unwrap();
    let item = q.get().await.unwrap();
    q.task_done().unwrap();
    q.join().await;
    item as usize + q.len()
}

#[test]
fn join_returns_at_once_when_nothing_is_unfinished() {
    assert_eq!(corio::run(join_on_an_idle_queue()), 1);
}

#[corio::coroutine]
async fn holder(lock: Lock<u32>, hold: Event) {
    let mut guard = lock.lock().await;
    *guard += 1;
    hold.wait().await;
    *guard += 100;
}

#[corio::coroutine]
async fn locks_released_by_cancel_and_panic() -> (u32, bool, u32) {
    let lock = Lock::new(0u32);
    let never = Event::new();
    let t = corio::spawn(holder(lock.clone(), never.clone()));
    corio::yield_now().await;
    let held = lock.is_locked();
    t.cancel();
    let after_cancel = *lock.lock().await;

    let p = corio::spawn({
        let lock = lock.clone();
        async move {
            let mut g = lock.lock().await;
            *g += 10;
            corio::yield_now().await;
            panic!("while holding the lock");
        }
    });
    let err = p.await.unwrap_err();
    assert!(err.is_panic());
    let after_panic = *lock.lock().await;
    (after_cancel, held, after_panic)
}

#[test]
fn a_lock_is_released_when_its_holder_is_cancelled_or_panics() {
    assert_eq!(
        corio::run(locks_released_by_cancel_and_panic()),
        (1, true, 11)
    );
}

#[corio::coroutine]
async fn channels_closing() -> Vec<String> {
    let mut out = Vec::new();
    let (tx, rx) = oneshot::channel::<u8>();
    drop(tx);
    let got = rx.await;
    out.push(format!("oneshot, sender dropped: {}", got.is_err()));

    let (tx, rx) = mpsc::channel::<u8>(1);
    tx.send(1).await.unwrap();
    let blocked = corio::spawn({
        let tx = tx.clone();
        async move { tx.send(2).await }
    });
    corio::yield_now().await;
    drop(rx);
    let refused = blocked.await.unwrap();
    out.push(format!(
        "mpsc, receiver dropped under a blocked send: {refused:?}"
    ));

    let (tx, rx) = mpsc::channel::<u8>(4);
    let waiting = corio::spawn(async move { rx.recv().await });
    corio::yield_now().await;
    drop(tx);
    let none = waiting.await.unwrap();
    out.push(format!(
        "mpsc, senders dropped under a waiting recv: {none:?}"
    ));
    out
}

#[test]
fn channels_report_a_closed_side_to_a_waiting_one() {
    assert_eq!(
        corio::run(channels_closing()),
        [
            "oneshot, sender dropped: true",
            "mpsc, receiver dropped under a blocked send: Err(2)",
            "mpsc, senders dropped under a waiting recv: None",
        ]
    );
}

#[corio::coroutine]
async fn cancelled_acquire_keeps_permits() -> usize {
    let sem = Semaphore::new(1);
    let p = sem.acquire().await;
    let waiter = corio::spawn({
        let sem = sem.clone();
        async move {
            let _p = sem.acquire().await;
        }
    });
    corio::yield_now().await;
    waiter.cancel();
    drop(p);
    let again = sem.acquire().await;
    let n = sem.available_permits();
    drop(again);
    n + sem.available_permits()
}

#[test]
fn a_cancelled_acquire_loses_no_permit() {
    assert_eq!(corio::run(cancelled_acquire_keeps_permits()), 1);
}

#[corio::coroutine]
async fn nested_ids() -> bool {
    #[corio::coroutine]
    async fn inner() -> corio::TaskId {
        corio::yield_now().await;
        corio::current_task().unwrap().id
    }
    #[corio::coroutine]
    async fn outer() -> (corio::TaskId, corio::TaskId) {
        let me = corio::current_task().unwrap().id;
        let deep = inner().await;
        (me, deep)
    }
    let t = corio::spawn(outer());
    let id = t.id();
    let (me, deep) = t.await.unwrap();
    me == id && deep == id
}

#[test]
fn current_task_is_the_task_at_every_depth() {
    assert!(corio::run(nested_ids()));
}

#[test]
fn spawning_or_sleeping_outside_a_loop_fails_with_a_clear_message() {
    let spawned = std::panic::catch_unwind(|| {
        drop(corio::spawn(async {}));
    })
    .expect_err("spawn outside a loop");
    let text = panic_text(spawned);
    assert!(text.contains("corio"), "{text}");

    // Documented: awaiting a corio timer outside a corio loop panics.
    let slept = std::panic::catch_unwind(|| {
        futures::executor::block_on(corio::sleep(Duration::from_millis(1)))
    })
    .expect_err("a corio sleep on another executor");
    let text = panic_text(slept);
    assert!(text.contains("corio") && text.contains("loop"), "{text}");
}

#[corio::coroutine]
async fn socket_errors() -> Vec<String> {
    let mut out = Vec::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let again = TcpListener::bind(addr).map(|_| ()).map_err(|e| e.kind());
    out.push(format!("bind in use: {again:?}"));
    drop(listener);
    let refused = TcpStream::connect(addr)
        .await
        .map(|_| ())
        .map_err(|e| e.kind());
    out.push(format!("connect refused: {refused:?}"));

    // Writing to a peer that closed: an error, not a crash (no SIGPIPE).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = TcpStream::connect(addr).await.unwrap();
    let (server_side, _) = listener.accept().await.unwrap();
    drop(server_side);
    let mut failed = None;
    for _ in 0..50 {
        let (res, _) = client.write_all(vec![7u8; 64 * 1024]).await;
        if let Err(e) = res {
            failed = Some(e.kind());
            break;
        }
        corio::sleep(Duration::from_millis(1)).await;
    }
    out.push(format!(
        "write to a closed peer fails: {}",
        matches!(
            failed,
            Some(std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset)
        )
    ));

    // A zero-length read returns at once.
    let (res, buf) = client.read(Vec::<u8>::new()).await;
    out.push(format!(
        "empty read: {:?} {}",
        res.map_err(|e| e.kind()),
        buf.len()
    ));
    out
}

#[test]
fn socket_errors_are_io_errors_with_std_kinds() {
    let got = corio::run(socket_errors());
    assert_eq!(got[0], "bind in use: Err(AddrInUse)");
    assert_eq!(got[1], "connect refused: Err(ConnectionRefused)");
    assert_eq!(got[2], "write to a closed peer fails: true");
    assert_eq!(got[3], "empty read: Ok(0) 0");
}

#[corio::coroutine]
async fn blocking_pool_runs_its_own_loop() -> u32 {
    // A blocking job may run a loop of its own: another thread, another loop.
    corio::spawn_blocking(|| corio::run(async { 41 + 1 })).await
}

#[test]
fn a_loop_inside_spawn_blocking_is_another_loop() {
    assert_eq!(corio::run(blocking_pool_runs_its_own_loop()), 42);
}

#[corio::coroutine]
async fn group_children_spawn_children() -> (Vec<u32>, usize) {
    let group = corio::TaskGroup::new();
    let handle = group.handle();
    let seen = Rc::new(RefCell::new(Vec::new()));
    for i in 0..3u32 {
        let (handle, seen) = (handle.clone(), seen.clone());
        let _ = group.spawn(async move {
            corio::yield_now().await;
            let seen2 = seen.clone();
            let _ = handle.spawn(async move {
                corio::sleep(Duration::from_millis(2)).await;
                seen2.borrow_mut().push(i + 10);
            });
            seen.borrow_mut().push(i);
        });
    }
    group.join().await.unwrap();
    let mut got = seen.borrow().clone();
    got.sort();
    (got, corio::tasks().len())
}

#[test]
fn a_task_group_waits_for_grandchildren_spawned_through_its_handle() {
    assert_eq!(
        corio::run(group_children_spawn_children()),
        (vec![0, 1, 2, 10, 11, 12], 1)
    );
}

/// "No timeout" written as `Duration::MAX` (or a huge number of seconds) must not overflow
/// `Instant` arithmetic.
#[test]
fn huge_durations_mean_never_rather_than_overflow() {
    let r = corio::run(async {
        let quick = corio::timeout(Duration::MAX, async {
            corio::yield_now().await;
            5
        })
        .await;
        let forever = corio::spawn(corio::sleep(Duration::MAX));
        corio::yield_now().await;
        forever.cancel();
        let mut every = corio::interval(Duration::MAX);
        every.tick().await; // the first tick is at once
        let never = corio::timeout(Duration::from_secs(u64::MAX), std::future::pending::<()>());
        let first = corio::select(never, corio::sleep(Duration::from_millis(5))).await;
        (quick, matches!(first, corio::Either::Right(())))
    });
    assert_eq!(r, (Ok(5), true));
}

/// tokio's `timeout(d, &mut handle)`: wait a while for a task, keep the handle, await it later
/// (in an ordinary async block; a coroutine cannot lend its local across the await).
#[test]
fn a_task_and_a_receiver_awaited_by_mutable_reference_then_again() {
    corio::run(async {
        let mut task = corio::spawn(async {
            corio::sleep(Duration::from_millis(20)).await;
            7
        });
        assert!(
            corio::timeout(Duration::from_millis(1), &mut task)
                .await
                .is_err()
        );
        assert_eq!(task.await.unwrap(), 7);
        let (tx, mut rx) = oneshot::channel::<u8>();
        assert!(
            corio::timeout(Duration::from_millis(1), &mut rx)
                .await
                .is_err()
        );
        tx.send(3).unwrap();
        assert_eq!(rx.await.unwrap(), 3);
    });
}

/// A `read_line` cut short by a timeout keeps the partial line: the next `read_line` returns
/// it whole (what a server that polls for shutdown between reads relies on).
#[corio::coroutine]
async fn partial_line_survives_a_timeout() -> Vec<String> {
    let (a, b) = corio::net::UnixStream::pair().unwrap();
    let reader = corio::io::BufReader::new(b);
    let mut out = Vec::new();
    a.write_all(b"hel".to_vec()).await.0.unwrap();
    let first = corio::timeout(Duration::from_millis(10), reader.read_line()).await;
    out.push(format!("timed out: {}", first.is_err()));
    a.write_all(b"lo\nworld".to_vec()).await.0.unwrap();
    let line = reader.read_line().await.unwrap();
    out.push(String::from_utf8(line).unwrap());
    drop(a);
    let last = reader.read_line().await.unwrap();
    out.push(String::from_utf8(last).unwrap());
    let end = reader.read_line().await.unwrap();
    out.push(format!("then empty: {}", end.is_empty()));
    out
}

#[test]
fn a_timed_out_read_line_keeps_its_bytes() {
    assert_eq!(
        corio::run(partial_line_survives_a_timeout()),
        ["timed out: true", "hello\n", "world", "then empty: true"]
    );
}

#[corio::coroutine]
async fn limited_job(i: u32, sem: Semaphore, active: Rc<RefCell<(u32, u32)>>) -> u32 {
    let _permit = sem.acquire().await;
    {
        let mut a = active.borrow_mut();
        a.0 += 1;
        a.1 = a.1.max(a.0);
    }
    corio::yield_now().await;
    active.borrow_mut().0 -= 1;
    i % 7
}

/// Ten thousand tasks through a semaphore of 16, gathered: never more than 16 at once, every
/// result in order, and none of them listed once they are done.
#[corio::coroutine]
async fn ten_thousand_limited() -> (u32, u32, usize, usize) {
    let sem = Semaphore::new(16);
    let active = Rc::new(RefCell::new((0, 0)));
    let tasks: Vec<_> = (0..10_000)
        .map(|i| corio::spawn(limited_job(i, sem.clone(), active.clone())))
        .collect();
    let listed_while_running = corio::tasks().len();
    let results = corio::join_all(tasks).await;
    let sum: u32 = results.into_iter().map(Result::unwrap).sum();
    let peak = active.borrow().1;
    (sum, peak, listed_while_running, corio::tasks().len())
}

#[test]
fn ten_thousand_tasks_through_a_semaphore() {
    let expected: u32 = (0..10_000u32).map(|i| i % 7).sum();
    assert_eq!(
        corio::run(ten_thousand_limited()),
        (expected, 16, 10_001, 1)
    );
}
