//! The event-loop half of DESIGN.md's contract, checked as a user calls it: every signature
//! of "Signatures that tests and users rely on" and every ordering promise, each awaited from
//! a `#[corio::coroutine] async fn` body (where a future that borrows a local is rejected).

use std::cell::RefCell;
use std::future::IntoFuture;
use std::net::Shutdown;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use corio::sync::{Condition, Event, Lock, Queue, Semaphore, TryGetError, mpsc, oneshot};
use corio::{Either, Elapsed, Inspect, Status, TaskError, TaskGroup};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn note(log: &Log, line: impl Into<String>) {
    log.borrow_mut().push(line.into());
}

fn lines(log: &Log) -> Vec<String> {
    log.borrow().clone()
}

struct OnDrop(&'static str, Log);
impl Drop for OnDrop {
    fn drop(&mut self) {
        note(&self.1, format!("drop {}", self.0));
    }
}

// ---------------------------------------------------------------------------------------------
// run

#[corio::coroutine]
async fn add_later(a: u32, b: u32) -> u32 {
    corio::sleep(Duration::from_millis(1)).await;
    a + b
}

/// A user type that is `IntoFuture`, not a `Future`.
struct Job(u32);
impl IntoFuture for Job {
    type Output = u32;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = u32>>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(add_later(self.0, 1))
    }
}

#[corio::coroutine]
async fn forever(log: Log) {
    let _held = OnDrop("forever", log);
    std::future::pending::<()>().await;
}

#[test]
fn run_returns_the_output_takes_into_future_and_cancels_what_is_left() {
    assert_eq!(corio::run(add_later(40, 2)), 42);
    assert_eq!(corio::run(Job(9)), 10);
    let log = log();
    let out = corio::run({
        let log = log.clone();
        async move {
            let _left = corio::spawn(forever(log.clone()));
            corio::yield_now().await;
            note(&log, "main returns");
            7
        }
    });
    assert_eq!(out, 7);
    assert_eq!(lines(&log), ["main returns", "drop forever"]);
}

#[test]
fn run_inside_a_running_loop_panics_with_a_message_and_run_works_again_after_a_panic() {
    let nested = std::panic::catch_unwind(|| corio::run(async { corio::run(async { 1 }) }))
        .expect_err("nested run panics");
    let msg = nested
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| nested.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(msg.contains("running"), "not a clear message: {msg}");

    let failed = std::panic::catch_unwind(|| {
        corio::run(async {
            corio::sleep(Duration::from_millis(1)).await;
            panic!("main failed");
        })
    })
    .expect_err("the main future's panic propagates");
    assert_eq!(failed.downcast_ref::<&str>(), Some(&"main failed"));
    assert_eq!(corio::run(add_later(1, 1)), 2);
}

#[test]
fn a_runtime_from_the_builder_runs_in_debug_mode() {
    let rt = corio::Runtime::builder()
        .debug(true)
        .slow_poll_threshold(Duration::from_millis(500))
        .build();
    assert_eq!(rt.run(add_later(2, 3)), 5);
    assert_eq!(rt.run(add_later(3, 3)), 6);
}

#[corio::main]
async fn main_like() -> u32 {
    add_later(20, 22).await
}

#[test]
fn corio_main_runs_an_async_fn_on_the_loop() {
    assert_eq!(main_like(), 42);
}

// ---------------------------------------------------------------------------------------------
// Tasks

#[corio::coroutine]
async fn worker(name: &'static str, steps: u32, log: Log) -> u32 {
    let mut i = 0;
    while i < steps {
        note(&log, format!("{name} {i}"));
        corio::yield_now().await;
        i += 1;
    }
    i
}

#[corio::coroutine]
async fn tasks_run_fifo(log: Log) -> Vec<u32> {
    let a = corio::spawn(worker("a", 2, log.clone()));
    let b = corio::spawn(worker("b", 2, log.clone()));
    note(&log, "spawner before yielding");
    corio::yield_now().await;
    note(&log, "spawner after yielding");
    let a = a.await.unwrap();
    let b = b.await.unwrap();
    vec![a, b]
}

#[test]
fn tasks_run_fifo_after_the_spawner_yields_and_yield_now_goes_to_the_back() {
    let log = log();
    assert_eq!(corio::run(tasks_run_fifo(log.clone())), [2, 2]);
    assert_eq!(
        lines(&log),
        [
            "spawner before yielding",
            "a 0",
            "b 0",
            "spawner after yielding",
            "a 1",
            "b 1"
        ]
    );
}

#[corio::coroutine]
async fn life_of_tasks(log: Log) -> Vec<String> {
    let mut out = Vec::new();
    // A dropped Task keeps running.
    let ev = Event::new();
    drop(corio::spawn({
        let ev = ev.clone();
        async move { ev.set() }
    }));
    ev.wait().await;
    out.push("detached ran".to_string());

    // cancel() drops the future at its suspension point; destructors run.
    let t = corio::spawn(forever(log.clone()));
    corio::yield_now().await;
    assert!(!t.is_finished());
    t.cancel();
    out.push(format!("{:?}", lines(&log)));
    assert!(t.is_finished());
    let err = t.await.unwrap_err();
    out.push(format!("{} cancelled={}", err, err.is_cancelled()));

    // A panicking task gives Panicked; the loop keeps running.
    let p = corio::spawn(async {
        corio::yield_now().await;
        panic!("task boom");
    });
    match p.await {
        Err(TaskError::Panicked(panic)) => out.push(format!("panicked: {}", panic.message())),
        other => out.push(format!("unexpected {other:?}")),
    }

    // cancel() on a finished task keeps its result.
    let done = corio::spawn(add_later(1, 2));
    corio::sleep(Duration::from_millis(5)).await;
    assert!(done.is_finished());
    done.cancel();
    let kept = done.await.map_err(|e| e.to_string());
    out.push(format!("after cancel: {kept:?}"));

    // Ids are distinct.
    let x = corio::spawn(async {});
    let y = corio::spawn(async {});
    out.push(format!("distinct ids: {}", x.id() != y.id()));
    x.await.unwrap();
    y.await.unwrap();
    out
}

#[test]
fn task_handles_cancel_panic_and_keep_results_as_designed() {
    let log = log();
    assert_eq!(
        corio::run(life_of_tasks(log)),
        [
            "detached ran",
            "[\"drop forever\"]",
            "task was cancelled cancelled=true",
            "panicked: task boom",
            "after cancel: Ok(3)",
            "distinct ids: true",
        ]
    );
}

#[corio::coroutine]
async fn named_tasks_and_dumps() -> Vec<String> {
    let ev = Event::new();
    let waiter = corio::spawn_named("the-waiter", waits_on(ev.clone()));
    let quick = corio::spawn_named("quick", async { 5 });
    corio::yield_now().await;
    let all = corio::tasks();
    let mut out = Vec::new();
    out.push(format!("main first: {:?}", all[0].name));
    out.push(format!(
        "quick listed: {}",
        all.iter().any(|t| t.id == quick.id())
    ));
    let info = all.iter().find(|t| t.id == waiter.id()).unwrap();
    out.push(format!("{:?} {:?}", info.name, info.status));
    assert!(info.spawned_at.file().ends_with("user_contract_loop.rs"));
    let frame = &info.chain[0];
    out.push(format!(
        "{} at `{}` waiting on {:?}",
        frame.function,
        frame.point.unwrap().source,
        frame.waiting_on
    ));
    let dump = corio::dump();
    assert!(dump.contains("the-waiter"), "{dump}");
    assert!(dump.contains("ev.wait().await"), "{dump}");
    let me = corio::current_task().unwrap();
    out.push(format!("current: {:?} {:?}", me.name, me.status));
    ev.set();
    waiter.await.unwrap();
    out.push(format!("after: {}", corio::tasks().len()));
    let quick = quick.await.unwrap();
    out.push(format!("quick: {quick}"));
    out
}

#[corio::coroutine]
async fn waits_on(ev: Event) {
    ev.wait().await;
}

#[test]
fn tasks_dump_and_current_task_describe_the_running_loop() {
    assert!(corio::current_task().is_none());
    assert!(corio::tasks().is_empty());
    assert_eq!(
        corio::run(named_tasks_and_dumps()),
        [
            "main first: Some(\"main\")",
            "quick listed: false", // it finished; finished tasks are not listed
            "Some(\"the-waiter\") Suspended",
            "user_contract_loop::waits_on at `ev.wait().await` waiting on Some(\"Event::wait\")",
            "current: Some(\"main\") Running",
            "after: 1",
            "quick: 5",
        ]
    );
}

#[corio::coroutine]
async fn through_a_handle() -> (bool, u32) {
    let handle = corio::running_loop().unwrap();
    let again = handle.clone();
    let t = again.spawn(add_later(3, 4));
    (handle.id() == again.id(), t.await.unwrap())
}

#[test]
fn running_loop_gives_a_cloneable_handle_that_spawns() {
    assert!(corio::running_loop().is_none());
    assert_eq!(corio::run(through_a_handle()), (true, 7));
}

// ---------------------------------------------------------------------------------------------
// TaskGroup, join!, join_all/gather, select/race, spawn_blocking/run_in_thread

#[corio::coroutine]
async fn child(i: u64, fail: bool, log: Log) -> u64 {
    let _d = OnDrop(["c0", "c1", "c2"][i as usize], log.clone());
    corio::sleep(Duration::from_millis(5 * (i + 1))).await;
    if fail {
        panic!("child {i} failed");
    }
    note(&log, format!("child {i} done"));
    i
}

#[corio::coroutine]
async fn group_with_a_failure(log: Log) -> String {
    let group = TaskGroup::new();
    let _ = group.spawn(child(0, false, log.clone()));
    let _ = group.spawn(child(1, true, log.clone()));
    let _ = group.spawn(child(2, false, log.clone()));
    match group.join().await {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{} error(s)", e.errors().len()),
    }
}

#[test]
fn a_task_group_cancels_the_rest_at_the_first_failure() {
    let log = log();
    assert_eq!(corio::run(group_with_a_failure(log.clone())), "1 error(s)");
    assert_eq!(
        lines(&log),
        ["child 0 done", "drop c0", "drop c1", "drop c2"]
    );
}

#[corio::coroutine]
async fn combinators(log: Log) -> Vec<String> {
    let mut out = Vec::new();
    let (a, b) = corio::join!(add_later(1, 1), add_later(2, 2)).await;
    out.push(format!("join! {a} {b}"));
    let all = corio::join_all((0..4).map(|i| add_later(i, i))).await;
    out.push(format!("join_all {all:?}"));
    let all = corio::gather(vec![add_later(5, 0), add_later(0, 6)]).await;
    out.push(format!("gather {all:?}"));
    let won = corio::select(add_later(1, 0), forever(log.clone())).await;
    out.push(format!("select {won:?} {:?}", lines(&log)));
    let won = corio::race(corio::sleep(Duration::from_secs(3600)), add_later(0, 2)).await;
    out.push(format!("race {won:?}"));
    let on = std::thread::current().id();
    let (sum, other) = corio::spawn_blocking(move || {
        ((1..=10u32).sum::<u32>(), std::thread::current().id() != on)
    })
    .await;
    out.push(format!("spawn_blocking {sum} other thread: {other}"));
    let len = corio::run_in_thread(|| "abc".len()).await;
    out.push(format!("run_in_thread {len}"));
    out
}

#[test]
fn joins_selects_and_blocking_work_from_a_coroutine() {
    let log = log();
    assert_eq!(
        corio::run(combinators(log)),
        [
            "join! 2 4",
            "join_all [0, 2, 4, 6]",
            "gather [5, 6]",
            "select Left(1) [\"drop forever\"]",
            "race Right(2)",
            "spawn_blocking 55 other thread: true",
            "run_in_thread 3",
        ]
    );
    assert_eq!(Either::<u8, u8>::Left(1), Either::Left(1));
}

// ---------------------------------------------------------------------------------------------
// Time

#[corio::coroutine]
async fn timers(log: Log) -> Vec<String> {
    let mut out = Vec::new();
    let start = Instant::now();
    corio::sleep(Duration::from_millis(20)).await;
    out.push(format!(
        "sleep not early: {}",
        start.elapsed() >= Duration::from_millis(20)
    ));
    let deadline = Instant::now() + Duration::from_millis(10);
    corio::sleep_until(deadline).await;
    out.push(format!(
        "sleep_until not early: {}",
        Instant::now() >= deadline
    ));

    // Equal deadlines fire in creation order.
    let same = Instant::now() + Duration::from_millis(5);
    let mut handles = Vec::new();
    for i in 0..4 {
        let log = log.clone();
        handles.push(corio::spawn(async move {
            corio::sleep_until(same).await;
            note(&log, format!("timer {i}"));
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    out.push(format!("{:?}", lines(&log)));

    let mut every = corio::interval(Duration::from_millis(5));
    let t0 = Instant::now();
    let mut ticks = 0;
    while ticks < 3 {
        every.tick().await;
        ticks += 1;
    }
    out.push(format!(
        "3 ticks, at least 2 periods: {}",
        t0.elapsed() >= Duration::from_millis(10)
    ));

    let fast: Result<u32, Elapsed> = corio::timeout(Duration::from_secs(5), add_later(1, 1)).await;
    out.push(format!("timeout ok {fast:?}"));
    let slow = corio::timeout(Duration::from_millis(5), forever(log.clone())).await;
    out.push(format!(
        "timeout elapsed {} {:?}",
        slow.is_err(),
        lines(&log).last()
    ));
    out
}

#[test]
fn timers_never_fire_early_and_equal_deadlines_fire_in_creation_order() {
    let log = log();
    assert_eq!(
        corio::run(timers(log)),
        [
            "sleep not early: true",
            "sleep_until not early: true",
            "[\"timer 0\", \"timer 1\", \"timer 2\", \"timer 3\"]",
            "3 ticks, at least 2 periods: true",
            "timeout ok Ok(2)",
            "timeout elapsed true Some(\"drop forever\")",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Sync primitives

#[corio::coroutine]
async fn lock_user(name: &'static str, lock: Lock<Vec<&'static str>>, log: Log) {
    let mut guard = lock.lock().await;
    guard.push(name);
    note(&log, format!("{name} holds"));
    corio::yield_now().await;
    drop(guard);
    // Re-locking at once must not barge past the waiters.
    let mut again = lock.lock().await;
    again.push(name);
}

#[corio::coroutine]
async fn sync_primitives(log: Log) -> Vec<String> {
    let mut out = Vec::new();

    let lock = Lock::new(Vec::new());
    let a = corio::spawn(lock_user("a", lock.clone(), log.clone()));
    let b = corio::spawn(lock_user("b", lock.clone(), log.clone()));
    a.await.unwrap();
    b.await.unwrap();
    let order = lock.lock().await.clone();
    out.push(format!("lock order {order:?}"));

    let ev = Event::new();
    assert!(!ev.is_set());
    let waiter = corio::spawn(waits_on(ev.clone()));
    corio::yield_now().await;
    ev.set();
    waiter.await.unwrap();
    ev.clear();
    out.push(format!("event cleared: {}", !ev.is_set()));

    let sem = Semaphore::new(2);
    let p1 = sem.acquire().await;
    let _p2 = sem.acquire().await;
    let third = corio::spawn({
        let sem = sem.clone();
        async move {
            let _p = sem.acquire().await;
        }
    });
    corio::yield_now().await;
    out.push(format!("third waits: {}", !third.is_finished()));
    drop(p1);
    third.await.unwrap();
    out.push("third got a permit".to_string());

    let cond = Condition::new();
    let items = Lock::new(Vec::<u32>::new());
    let mut takers = Vec::new();
    for _ in 0..3 {
        let (cond, items) = (cond.clone(), items.clone());
        takers.push(corio::spawn(async move {
            let mut guard = items.lock().await;
            while guard.is_empty() {
                guard = cond.wait(guard).await;
            }
            guard.remove(0)
        }));
    }
    corio::yield_now().await;
    items.lock().await.push(10);
    cond.notify();
    corio::yield_now().await;
    corio::yield_now().await;
    out.push(format!(
        "notify wakes one: {:?}",
        takers.iter().map(|t| t.is_finished()).collect::<Vec<_>>()
    ));
    items.lock().await.extend([20, 30]);
    cond.notify_all();
    let mut got = Vec::new();
    for t in takers {
        got.push(t.await.unwrap());
    }
    out.push(format!("condition {got:?}"));

    let (tx, rx) = oneshot::channel();
    let sender = corio::spawn(async move { tx.send(99) });
    let (got, sent) = (rx.await, sender.await.unwrap());
    out.push(format!("oneshot {got:?} {sent:?}"));
    let (tx, rx) = oneshot::channel::<u8>();
    drop(rx);
    out.push(format!("oneshot to a dropped receiver {:?}", tx.send(1)));

    let (tx, rx) = mpsc::channel(1);
    let producer = corio::spawn(async move {
        for i in 0..3 {
            tx.send(i).await.unwrap();
        }
    });
    let mut received = Vec::new();
    while let Some(v) = rx.recv().await {
        received.push(v);
    }
    producer.await.unwrap();
    out.push(format!("mpsc {received:?}"));
    let (tx, rx) = mpsc::channel::<u8>(1);
    drop(rx);
    let refused = tx.send(5).await;
    out.push(format!("mpsc to a dropped receiver {refused:?}"));
    out
}

#[test]
fn sync_primitives_serve_waiters_fifo_from_a_coroutine() {
    let log = log();
    assert_eq!(
        corio::run(sync_primitives(log)),
        [
            "lock order [\"a\", \"b\", \"a\", \"b\"]",
            "event cleared: true",
            "third waits: true",
            "third got a permit",
            "notify wakes one: [true, false, false]",
            "condition [10, 20, 30]",
            "oneshot Ok(99) Ok(())",
            "oneshot to a dropped receiver Err(1)",
            "mpsc [0, 1, 2]",
            "mpsc to a dropped receiver Err(5)",
        ]
    );
}

#[corio::coroutine]
async fn queue_contract() -> Vec<String> {
    let mut out = Vec::new();
    let q: Queue<u32> = Queue::new(2);
    q.put_nowait(1).unwrap();
    q.put(2).await.unwrap();
    out.push(format!("len {} empty {}", q.len(), q.is_empty()));
    let full = q.put_nowait(3).unwrap_err();
    out.push(format!("{full} {}", full.into_inner()));
    // A blocked put waits for room; FIFO.
    let putter = corio::spawn({
        let q = q.clone();
        async move { q.put(3).await.unwrap() }
    });
    corio::yield_now().await;
    out.push(format!("putter waits: {}", !putter.is_finished()));
    let mut got = Vec::new();
    while got.len() < 3 {
        got.push(q.get().await.unwrap());
    }
    putter.await.unwrap();
    out.push(format!("got {got:?}"));
    out.push(format!("{:?}", q.get_nowait() == Err(TryGetError::Empty)));

    // join() waits until every item is task_done.
    let joined = corio::spawn({
        let q = q.clone();
        async move { q.join().await }
    });
    corio::yield_now().await;
    out.push(format!("join waits on 3 undone: {}", !joined.is_finished()));
    for _ in 0..3 {
        q.task_done().unwrap();
    }
    joined.await.unwrap();
    out.push(format!(
        "extra task_done is an error: {}",
        q.task_done().is_err()
    ));

    let unbounded: Queue<usize> = Queue::new(0);
    for i in 0..1000 {
        unbounded.put_nowait(i).unwrap();
    }
    out.push(format!("unbounded len {}", unbounded.len()));
    out
}

#[test]
fn a_queue_is_asyncios_queue() {
    assert_eq!(
        corio::run(queue_contract()),
        [
            "len 2 empty false",
            "queue is full 3",
            "putter waits: true",
            "got [1, 2, 3]",
            "true",
            "join waits on 3 undone: true",
            "extra task_done is an error: true",
            "unbounded len 1000",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Sockets

#[corio::coroutine]
async fn tcp_echo_once(listener: TcpListener) -> std::io::Result<usize> {
    let (conn, _peer) = listener.accept().await?;
    let mut total = 0;
    loop {
        let (n, buf) = conn.read(vec![0u8; 7]).await;
        let n = n?;
        if n == 0 {
            break;
        }
        total += n;
        let mut buf = buf;
        buf.truncate(n);
        let (res, _) = conn.write_all(buf).await;
        res?;
    }
    conn.shutdown(Shutdown::Write)?;
    Ok(total)
}

#[corio::coroutine]
async fn tcp_client(addr: std::net::SocketAddr) -> std::io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    let reader = stream.clone();
    let (res, _) = stream.write_all(b"hello, corio!".to_vec()).await;
    res?;
    stream.shutdown(Shutdown::Write)?;
    let (res, buf) = reader.read_exact(vec![0u8; 13]).await;
    res?;
    // Readiness API: after the peer's shutdown, readable and try_read gives 0.
    reader.readable().await?;
    let mut rest = [0u8; 4];
    let n = loop {
        match reader.try_read(&mut rest) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => reader.readable().await?,
            other => break other?,
        }
    };
    assert_eq!(n, 0);
    stream.writable().await?;
    Ok(buf)
}

#[test]
fn tcp_with_owned_buffers_split_clones_and_the_readiness_api() {
    let (echoed, total) = corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(tcp_echo_once(listener));
        let echoed = tcp_client(addr).await.unwrap();
        (echoed, server.await.unwrap().unwrap())
    });
    assert_eq!(echoed, b"hello, corio!");
    assert_eq!(total, 13);
}

#[corio::coroutine]
async fn udp_round_trip() -> std::io::Result<(String, String)> {
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let client = UdpSocket::bind("127.0.0.1:0")?;
    let server_addr = server.local_addr()?;
    let (res, _) = client.send_to(b"ping".to_vec(), server_addr).await;
    res?;
    let (res, buf) = server.recv_from(vec![0u8; 64]).await;
    let (n, from) = res?;
    assert_eq!(from, client.local_addr()?);
    let first = String::from_utf8_lossy(&buf[..n]).into_owned();
    client.connect(server_addr).await?;
    let (res, _) = server.send_to(b"pong".to_vec(), from).await;
    res?;
    let (res, buf) = client.recv(vec![0u8; 64]).await;
    let n = res?;
    let (res, _) = client.send(b"bye".to_vec()).await;
    res?;
    Ok((first, String::from_utf8_lossy(&buf[..n]).into_owned()))
}

#[test]
fn udp_send_to_recv_from_and_connected_send_recv() {
    let (a, b) = corio::run(udp_round_trip()).unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("ping", "pong"));
}

#[corio::coroutine]
async fn unix_round_trip(path: std::path::PathBuf) -> std::io::Result<String> {
    let listener = UnixListener::bind(&path)?;
    let server = corio::spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        let (res, buf) = conn.read(vec![0u8; 32]).await;
        let n = res.unwrap();
        let mut reply = b"got ".to_vec();
        reply.extend_from_slice(&buf[..n]);
        let (res, _) = conn.write_all(reply).await;
        res.unwrap();
    });
    let stream = UnixStream::connect(&path).await?;
    let (res, _) = stream.write_all(b"unix".to_vec()).await;
    res?;
    let (res, buf) = stream.clone().read_exact(vec![0u8; 8]).await;
    res?;
    server.await.unwrap();
    Ok(String::from_utf8(buf).unwrap())
}

#[test]
fn unix_sockets_read_and_write_like_tcp() {
    let dir = std::env::temp_dir().join(format!("corio-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sock");
    let _ = std::fs::remove_file(&path);
    let got = corio::run(unix_round_trip(path.clone()));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(got.unwrap(), "got unix");
}

#[test]
fn tcp_streams_are_futures_io_for_ordinary_async_code() {
    use futures::{AsyncReadExt, AsyncWriteExt};
    let got = corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn(async move {
            let (mut conn, _) = listener.accept().await.unwrap();
            let mut text = String::new();
            conn.read_to_string(&mut text).await.unwrap();
            AsyncWriteExt::write_all(&mut conn, text.to_uppercase().as_bytes())
                .await
                .unwrap();
            conn.close().await.unwrap();
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        AsyncWriteExt::write_all(&mut client, b"shout")
            .await
            .unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        server.await.unwrap();
        back
    });
    assert_eq!(got, b"SHOUT");
}

#[test]
fn a_coroutine_awaiting_a_task_shows_it() {
    #[corio::coroutine]
    async fn awaits_task(ev: Event) -> u8 {
        let t = corio::spawn(waits_on(ev));
        t.await.unwrap();
        1
    }
    corio::run(async {
        let ev = Event::new();
        let mut outer = Box::pin(awaits_task(ev.clone()));
        // Poll it once by hand inside the loop: it suspends awaiting the task.
        std::future::poll_fn(|cx| {
            let _ = outer.as_mut().poll(cx);
            std::task::Poll::Ready(())
        })
        .await;
        assert_eq!(outer.status(), Status::Suspended);
        assert_eq!(outer.suspended_at().unwrap().source, "t.await");
        ev.set();
        assert_eq!(outer.await, 1);
    });
}

#[corio::coroutine]
async fn no_barging(log: Log) -> Vec<String> {
    let sem = Semaphore::new(1);
    let held = sem.acquire().await;
    let waiter = corio::spawn({
        let (sem, log) = (sem.clone(), log.clone());
        async move {
            let _p = sem.acquire().await;
            note(&log, "waiter got the permit");
        }
    });
    corio::yield_now().await;
    drop(held);
    // The released permit is the waiter's: taking it back at once must fail.
    let barged = sem.try_acquire().is_some();
    waiter.await.unwrap();

    let q: Queue<&'static str> = Queue::new(0);
    let mut getters = Vec::new();
    for name in ["g1", "g2", "g3"] {
        let (q, log) = (q.clone(), log.clone());
        getters.push(corio::spawn(async move {
            let item = q.get().await.unwrap();
            note(&log, format!("{name} got {item}"));
        }));
    }
    corio::yield_now().await;
    for item in ["x", "y", "z"] {
        q.put_nowait(item).unwrap();
    }
    // A get_nowait now must not take an item handed to a waiting getter.
    let stolen = q.get_nowait().is_ok();
    for g in getters {
        g.await.unwrap();
    }
    vec![format!("barged: {barged}"), format!("stolen: {stolen}")]
}

#[test]
fn waiters_are_served_fifo_without_barging() {
    let log = log();
    assert_eq!(
        corio::run(no_barging(log.clone())),
        ["barged: false", "stolen: false"]
    );
    assert_eq!(
        lines(&log),
        ["waiter got the permit", "g1 got x", "g2 got y", "g3 got z"]
    );
}

#[corio::coroutine]
async fn try_write_then_read(addr: String) -> std::io::Result<Vec<u8>> {
    let stream = TcpStream::connect(addr).await?;
    let mut sent = 0;
    let data = b"via try_write".to_vec();
    while sent < data.len() {
        stream.writable().await?;
        match stream.try_write(&data[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    stream.shutdown(Shutdown::Write)?;
    let mut all = Vec::new();
    loop {
        let (n, buf) = stream.read(vec![0u8; 5]).await;
        let n = n?;
        if n == 0 {
            break;
        }
        all.extend_from_slice(&buf[..n]);
    }
    Ok(all)
}

#[test]
fn connect_by_string_address_and_write_through_the_readiness_api() {
    let got = corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = corio::spawn(tcp_echo_once(listener));
        let got = try_write_then_read(addr).await.unwrap();
        server.await.unwrap().unwrap();
        got
    });
    assert_eq!(got, b"via try_write");
}

#[corio::coroutine]
async fn addresses_in_every_form() -> std::io::Result<Vec<usize>> {
    let by_tuple = TcpListener::bind(("127.0.0.1", 0))?;
    let port = by_tuple.local_addr()?.port();
    let by_string = UdpSocket::bind(String::from("127.0.0.1:0"))?;
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let by_addr = UdpSocket::bind(loopback)?;
    let server = corio::spawn(async move {
        let (conn, _) = by_tuple.accept().await.unwrap();
        let (n, buf) = conn.read(vec![0u8; 16]).await;
        buf[..n.unwrap()].to_vec()
    });
    let client = TcpStream::connect(("localhost", port)).await?;
    let (wrote, _) = client.write(b"partial-or-all".to_vec()).await;
    let wrote = wrote?;
    client.shutdown(Shutdown::Both)?;
    let got = server.await.unwrap();
    let (sent, _) = by_string.send_to("hi", by_addr.local_addr()?).await;
    let (recvd, _) = by_addr.recv_from(vec![0u8; 8]).await;
    Ok(vec![wrote, got.len(), sent?, recvd?.0])
}

#[test]
fn sockets_take_addresses_as_tuples_strings_and_socket_addrs() {
    let got = corio::run(addresses_in_every_form()).unwrap();
    assert_eq!(got[0], got[1]);
    assert!(got[0] > 0 && got[0] <= 14);
    assert_eq!(&got[2..], [2, 2]);
}

#[corio::coroutine]
async fn blocked_sides_fifo(log: Log) -> Vec<String> {
    // Three putters blocked on a full queue get in, in the order they blocked.
    let q: Queue<&'static str> = Queue::new(1);
    q.put_nowait("first").unwrap();
    let mut putters = Vec::new();
    for item in ["p1", "p2", "p3"] {
        let q = q.clone();
        putters.push(corio::spawn(async move { q.put(item).await.unwrap() }));
    }
    corio::yield_now().await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(q.get().await.unwrap());
    }
    for p in putters {
        p.await.unwrap();
    }

    // Senders blocked on a full channel deliver in the order they blocked.
    let (tx, rx) = mpsc::channel::<&'static str>(1);
    tx.send("m0").await.unwrap();
    let mut senders = Vec::new();
    for item in ["m1", "m2", "m3"] {
        let tx = tx.clone();
        senders.push(corio::spawn(async move { tx.send(item).await.unwrap() }));
    }
    drop(tx);
    corio::yield_now().await;
    let mut received = Vec::new();
    while let Some(m) = rx.recv().await {
        received.push(m);
    }
    for s in senders {
        s.await.unwrap();
    }

    // notify() wakes the longest waiter first.
    let cond = Condition::new();
    let lock = Lock::new(0u32);
    let mut waiters = Vec::new();
    for name in ["w1", "w2", "w3"] {
        let (cond, lock, log) = (cond.clone(), lock.clone(), log.clone());
        waiters.push(corio::spawn(async move {
            let guard = lock.lock().await;
            let _guard = cond.wait(guard).await;
            note(&log, name);
        }));
    }
    corio::yield_now().await;
    for _ in 0..3 {
        cond.notify();
        corio::yield_now().await;
        corio::yield_now().await;
    }
    for w in waiters {
        w.await.unwrap();
    }
    vec![
        format!("{got:?}"),
        format!("{received:?}"),
        format!("{:?}", lines(&log)),
    ]
}

#[test]
fn blocked_putters_senders_and_condition_waiters_are_served_fifo() {
    assert_eq!(
        corio::run(blocked_sides_fifo(log())),
        [
            "[\"first\", \"p1\", \"p2\", \"p3\"]",
            "[\"m0\", \"m1\", \"m2\", \"m3\"]",
            "[\"w1\", \"w2\", \"w3\"]",
        ]
    );
}

#[corio::main]
async fn fallible_main() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let client = corio::spawn(async move { TcpStream::connect(("127.0.0.1", port)).await });
    let (_conn, peer) = listener.accept().await?;
    let client = client.await.expect("the client task")?;
    assert_eq!(client.local_addr()?, peer);
    Ok(port)
}

#[test]
fn corio_main_with_a_result_and_question_marks() {
    assert!(fallible_main().unwrap() > 0);
}
