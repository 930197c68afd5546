//! README's feature table, row by row, awaited from `#[corio::coroutine] async fn` bodies
//! (where a future that borrows a local is rejected): each API must hand out `'static`
//! futures, and behave as the table says.

#![cfg(unix)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use corio::sync::{Barrier, BoundedSemaphore, LifoQueue, PriorityQueue, Queue, broadcast, watch};
use corio::{ReturnWhen, TaskGroup};

#[corio::coroutine]
async fn nap(ms: u64) -> u64 {
    corio::sleep(Duration::from_millis(ms)).await;
    ms
}

#[corio::coroutine]
async fn waiting_on_many() -> Vec<String> {
    let mut out = Vec::new();
    let tasks = vec![
        corio::spawn(nap(30)),
        corio::spawn(nap(1)),
        corio::spawn(nap(3600_000)),
    ];
    let (done, pending) = corio::wait(tasks, ReturnWhen::FirstCompleted).await;
    out.push(format!(
        "wait first: {} done, {} pending",
        done.len(),
        pending.len()
    ));
    let (done, pending) = corio::wait(pending, ReturnWhen::AllCompleted)
        .timeout(Duration::from_millis(100))
        .await;
    out.push(format!(
        "wait all, timeout: {} done, {} pending",
        done.len(),
        pending.len()
    ));
    for t in pending {
        t.cancel();
    }

    let finished = corio::as_completed([nap(20), nap(5), nap(10)]);
    let mut order = Vec::new();
    while let Some(ms) = finished.next().await {
        order.push(ms);
    }
    out.push(format!("as_completed {order:?}"));

    let (first, index, rest) = corio::select_all([nap(15), nap(2), nap(3600_000)]).await;
    out.push(format!(
        "select_all {first} at {index}, {} left",
        rest.len()
    ));
    drop(rest);

    let deadline = corio::time::now() + Duration::from_millis(5);
    let late = corio::timeout_at(deadline, nap(3600_000)).await;
    out.push(format!("timeout_at elapsed: {}", late.is_err()));
    out
}

#[test]
fn waiting_on_many_from_a_coroutine() {
    assert_eq!(
        corio::run(waiting_on_many()),
        [
            "wait first: 1 done, 2 pending",
            "wait all, timeout: 1 done, 1 pending",
            "as_completed [5, 10, 20]",
            "select_all 2 at 1, 2 left",
            "timeout_at elapsed: true",
        ]
    );
}

#[derive(Debug)]
struct Refused(u32);
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused {}", self.0)
    }
}
impl std::error::Error for Refused {}

#[corio::coroutine]
async fn fallible(n: u32) -> Result<u32, Refused> {
    corio::sleep(Duration::from_millis(u64::from(n))).await;
    if n == 7 { Err(Refused(n)) } else { Ok(n) }
}

#[corio::coroutine]
async fn group_and_callbacks(log: Rc<RefCell<Vec<String>>>) -> Vec<String> {
    let mut out = Vec::new();
    let group = TaskGroup::new();
    let ok = group.spawn_try(fallible(1));
    let _failing = group.spawn_try(fallible(7));
    let slow = group.spawn_try(fallible(500));
    let err = group.join().await.unwrap_err();
    out.push(format!(
        "spawn_try: {} error(s), first says {:?}",
        err.errors().len(),
        err.errors()[0].to_string()
    ));
    let ok = ok.await.map_err(|e| e.to_string());
    let slow = slow.await.map_err(|e| e.is_cancelled());
    out.push(format!("ok child {ok:?}, slow child cancelled {slow:?}"));

    let l = log.clone();
    corio::call_soon(move || l.borrow_mut().push("soon".into()));
    let l = log.clone();
    let later = corio::call_later(Duration::from_millis(5), move || {
        l.borrow_mut().push("later".into())
    });
    let l = log.clone();
    let never = corio::call_at(corio::time::now() + Duration::from_secs(60), move || {
        l.borrow_mut().push("never".into())
    });
    never.cancel();
    corio::sleep(Duration::from_millis(20)).await;
    out.push(format!(
        "callbacks {:?} later finished {} never cancelled {}",
        log.borrow(),
        later.is_finished(),
        never.cancelled()
    ));
    out
}

#[test]
fn task_groups_with_spawn_try_and_callbacks_from_a_coroutine() {
    let got = corio::run(group_and_callbacks(Rc::default()));
    assert_eq!(got[0], "spawn_try: 1 error(s), first says \"refused 7\"");
    assert_eq!(got[1], "ok child Ok(1), slow child cancelled Err(true)");
    assert_eq!(
        got[2],
        "callbacks [\"soon\", \"later\"] later finished true never cancelled true"
    );
}

#[corio::coroutine]
async fn runner(i: usize, barrier: Barrier, log: Rc<RefCell<Vec<String>>>) -> usize {
    corio::sleep(Duration::from_millis(3 * i as u64)).await;
    log.borrow_mut().push(format!("arrive {i}"));
    let index = barrier.wait().await.unwrap();
    log.borrow_mut().push(format!("through {i}"));
    index
}

#[corio::coroutine]
async fn more_sync() -> Vec<String> {
    let mut out = Vec::new();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let barrier = Barrier::new(3);
    let runners: Vec<_> = (0..3)
        .map(|i| corio::spawn(runner(i, barrier.clone(), log.clone())))
        .collect();
    let mut indices = Vec::new();
    for r in runners {
        indices.push(r.await.unwrap());
    }
    indices.sort();
    let arrivals = log.borrow().iter().take(3).all(|l| l.starts_with("arrive"));
    out.push(format!("barrier {indices:?}, all arrive first: {arrivals}"));

    let bounded = BoundedSemaphore::new(1);
    let permit = bounded.acquire().await;
    permit.forget();
    let first = bounded.release().is_ok();
    let second = bounded.release().is_err();
    out.push(format!(
        "bounded: release ok {first}, extra release refused {second}"
    ));

    let (tx, rx1) = broadcast::channel(4);
    let rx2 = tx.subscribe();
    tx.send("a").unwrap();
    tx.send("b").unwrap();
    let (a1, b1) = (rx1.recv().await.unwrap(), rx1.recv().await.unwrap());
    let a2 = rx2.recv().await.unwrap();
    out.push(format!("broadcast {a1}{b1} {a2}"));

    let (wtx, wrx) = watch::channel(0u32);
    let watcher = corio::spawn(async move {
        let mut seen = Vec::new();
        while wrx.changed().await.is_ok() {
            let v = wrx.get();
            seen.push(v);
            if v == 3 {
                break;
            }
        }
        seen
    });
    corio::yield_now().await;
    wtx.send(1).unwrap();
    corio::yield_now().await;
    wtx.send(2).unwrap();
    wtx.send(3).unwrap(); // 2 is overwritten before the watcher runs: it sees the latest
    let seen = watcher.await.unwrap();
    out.push(format!("watch {seen:?}"));

    let pq = PriorityQueue::new(0);
    for v in [5, 1, 4, 1] {
        pq.put(v).await.unwrap();
    }
    let lq = LifoQueue::new(0);
    for v in ["x", "y", "z"] {
        lq.put_nowait(v).unwrap();
    }
    let mut p = Vec::new();
    while let Ok(v) = pq.get_nowait() {
        p.push(v);
    }
    let (l1, l2) = (lq.get().await.unwrap(), lq.get().await.unwrap());
    out.push(format!("priority {p:?} lifo {l1}{l2}"));

    let q: Queue<u32> = Queue::new(0);
    q.put_nowait(1).unwrap();
    q.shutdown(false);
    let refused = q.put(2).await.is_err();
    let drained = q.get().await;
    let after = q.get().await.is_err();
    out.push(format!(
        "shutdown: put refused {refused}, drained {drained:?}, then err {after}"
    ));
    out
}

#[test]
fn barrier_bounded_semaphore_broadcast_watch_and_other_queues_from_a_coroutine() {
    assert_eq!(
        corio::run(more_sync()),
        [
            "barrier [0, 1, 2], all arrive first: true",
            "bounded: release ok true, extra release refused true",
            "broadcast ab a",
            "watch [1, 3]",
            "priority [1, 1, 4, 5] lifo zy",
            "shutdown: put refused true, drained Ok(1), then err true",
        ]
    );
}

#[corio::coroutine]
async fn virtual_time_and_io() -> Vec<String> {
    let mut out = Vec::new();
    corio::time::pause();
    let start = corio::time::now();
    let real = std::time::Instant::now();
    let slept = corio::spawn(nap(3_600_000));
    // Let the task start, so its hour counts from now (as with tokio's `advance`).
    corio::yield_now().await;
    corio::time::advance(Duration::from_secs(3600)).await;
    let done = slept.await.unwrap();
    out.push(format!(
        "an hour in virtual time: {done} ms, clock moved {:?}, real time under a second: {}",
        corio::time::now() - start,
        real.elapsed() < Duration::from_secs(1)
    ));
    corio::time::resume();

    let addrs = corio::net::lookup_host("localhost:80").await;
    let any_loopback = addrs.map(|a| a.into_iter().any(|a| a.ip().is_loopback()));
    out.push(format!("lookup_host localhost: {any_loopback:?}"));

    let output = corio::process::Command::new("sh")
        .args(["-c", "echo from child; exit 3"])
        .output()
        .await
        .unwrap();
    out.push(format!(
        "process: {:?} exit {:?}",
        String::from_utf8_lossy(&output.stdout).trim(),
        output.status.code()
    ));

    let remote = corio::running_loop().unwrap().remote();
    let from_thread = std::thread::spawn(move || remote.spawn(async { 6 * 7 }))
        .join()
        .unwrap();
    let answer = from_thread.await.map_err(|e| e.to_string());
    out.push(format!("remote spawn: {answer:?}"));
    let dump = corio::dump_all().await;
    out.push(format!(
        "dump_all names this loop: {}",
        dump.contains("main")
    ));
    out
}

#[test]
fn virtual_time_dns_processes_and_remote_handles_from_a_coroutine() {
    let got = corio::run(virtual_time_and_io());
    assert!(
        got[0].starts_with("an hour in virtual time: 3600000 ms, clock moved 3600"),
        "{}",
        got[0]
    );
    assert!(
        got[0].ends_with("real time under a second: true"),
        "{}",
        got[0]
    );
    assert_eq!(got[1], "lookup_host localhost: Ok(true)");
    assert_eq!(got[2], "process: \"from child\" exit Some(3)");
    assert_eq!(got[3], "remote spawn: Ok(42)");
    assert_eq!(got[4], "dump_all names this loop: true");
}

#[corio::test]
async fn corio_test_runs_a_coroutine_body() {
    assert_eq!(nap(1).await, 1);
}

#[corio::test(start_paused = true)]
async fn corio_test_with_a_paused_clock_skips_long_sleeps() {
    let real = std::time::Instant::now();
    assert_eq!(nap(86_400_000).await, 86_400_000);
    assert!(real.elapsed() < Duration::from_secs(5));
}
