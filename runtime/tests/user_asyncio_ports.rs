//! Classic asyncio programs, ported the way a Python user ports them, each run twice (the
//! workers as plain `async fn`s and as `#[corio::coroutine] async fn`s) and compared line by
//! line with the same program run by Python 3.11's asyncio on a virtual clock
//! (`user_common::asyncio_oracle`). Where asyncio leaves an order open (a `TaskGroup` cancels
//! its children in set order) the comparison says so and compares what is defined.
//!
//! Only the public API is used, as an external crate would.

mod user_common;

use std::time::Duration;

use corio::sync::{Condition, Event, Lock, Queue, Semaphore, oneshot};
use corio::{TaskGroup, call_later, call_soon, join_all, sleep, spawn, spawn_named, timeout};
use user_common::{Log, check_against_asyncio, run_virtual, secs};

/// Says `what` when dropped: Python's `finally:` block.
struct Finally {
    log: Log,
    what: String,
}

impl Finally {
    fn new(log: &Log, what: impl Into<String>) -> Self {
        Finally {
            log: log.clone(),
            what: what.into(),
        }
    }
}

impl Drop for Finally {
    fn drop(&mut self) {
        self.log.say(&self.what);
    }
}

// ---------------------------------------------------------------------------------------
// Producer/consumer with a bounded Queue, task_done and join.

const PRODUCER_CONSUMER_PY: &str = r#"
    DUR = [5, 7, 11, 13, 17, 19, 23, 29]

    async def consumer(name, q):
        try:
            while True:
                item = await q.get()
                say(f"{name} got {item}")
                await asyncio.sleep(DUR[item])
                say(f"{name} done {item}")
                q.task_done()
        finally:
            say(f"{name} stopped")

    async def main():
        q = asyncio.Queue(maxsize=2)
        workers = [asyncio.create_task(consumer(f"c{i}", q)) for i in range(3)]
        for i in range(8):
            await q.put(i)
            say(f"put {i} (size {q.qsize()})")
        say("all put")
        await q.join()
        say(f"joined (size {q.qsize()})")
        for w in workers:
            w.cancel()
        res = await asyncio.gather(*workers, return_exceptions=True)
        n = sum(isinstance(r, asyncio.CancelledError) for r in res)
        say(f"cancelled {n}")

    run(main())
"#;

const DUR: [u64; 8] = [5, 7, 11, 13, 17, 19, 23, 29];

async fn consumer(name: String, q: Queue<usize>, log: Log) {
    let _finally = Finally::new(&log, format!("{name} stopped"));
    loop {
        let item = q.get().await.unwrap();
        log.say(format!("{name} got {item}"));
        sleep(secs(DUR[item])).await;
        log.say(format!("{name} done {item}"));
        q.task_done().unwrap();
    }
}

#[corio::coroutine]
async fn consumer_co(name: String, q: Queue<usize>, log: Log) {
    let _finally = Finally::new(&log, format!("{name} stopped"));
    loop {
        let item = q.get().await.unwrap();
        log.say(format!("{name} got {item}"));
        sleep(secs(DUR[item])).await;
        log.say(format!("{name} done {item}"));
        q.task_done().unwrap();
    }
}

#[corio::coroutine]
async fn producer_consumer_main(coroutines: bool) -> Vec<String> {
    let log = Log::new();
    let q = Queue::new(2);
    let mut workers = Vec::new();
    for i in 0..3 {
        let name = format!("c{i}");
        workers.push(if coroutines {
            spawn(consumer_co(name, q.clone(), log.clone()))
        } else {
            spawn(consumer(name, q.clone(), log.clone()))
        });
    }
    for i in 0..8 {
        q.put(i).await.unwrap();
        log.say(format!("put {i} (size {})", q.len()));
    }
    log.say("all put");
    q.join().await;
    log.say(format!("joined (size {})", q.len()));
    for w in &workers {
        w.cancel();
    }
    let res = join_all(workers).await;
    let n = res
        .iter()
        .filter(|r| matches!(r, Err(e) if e.is_cancelled()))
        .count();
    log.say(format!("cancelled {n}"));
    log.lines()
}

#[test]
fn producer_consumer_with_queue_join_matches_asyncio() {
    for coroutines in [false, true] {
        let got = run_virtual(move || producer_consumer_main(coroutines));
        // Independent of the oracle: every item was taken and finished exactly once.
        for i in 0..8 {
            assert_eq!(
                got.iter()
                    .filter(|l| l.ends_with(&format!(" got {i}")))
                    .count(),
                1
            );
            assert_eq!(
                got.iter()
                    .filter(|l| l.ends_with(&format!(" done {i}")))
                    .count(),
                1
            );
        }
        check_against_asyncio(PRODUCER_CONSUMER_PY, &got);
    }
}

// ---------------------------------------------------------------------------------------
// A worker pool bounded by a Semaphore, results gathered in submission order.

const POOL_PY: &str = r#"
    DUR = [9, 4, 6, 1, 8, 3, 12, 2, 5, 7]
    active = 0

    async def fetch(i, sem):
        global active
        async with sem:
            active += 1
            say(f"start {i} (active {active})")
            await asyncio.sleep(DUR[i])
            active -= 1
            say(f"end {i}")
            return i * i

    async def main():
        sem = asyncio.Semaphore(3)
        results = await asyncio.gather(*(fetch(i, sem) for i in range(10)))
        say(f"results {', '.join(map(str, results))}")

    run(main())
"#;

const POOL_DUR: [u64; 10] = [9, 4, 6, 1, 8, 3, 12, 2, 5, 7];

async fn fetch(i: usize, sem: Semaphore, active: Lock<usize>, log: Log) -> usize {
    let _permit = sem.acquire().await;
    let now_active = {
        let mut a = active.lock().await;
        *a += 1;
        *a
    };
    log.say(format!("start {i} (active {now_active})"));
    assert!(now_active <= 3, "the semaphore let {now_active} in");
    sleep(secs(POOL_DUR[i])).await;
    // `*active.lock().await -= 1;` is pass finding F17 (see `lock_guard_compound_assignment`)
    let mut a = active.lock().await;
    *a -= 1;
    drop(a);
    log.say(format!("end {i}"));
    i * i
}

#[corio::coroutine]
async fn fetch_co(i: usize, sem: Semaphore, active: Lock<usize>, log: Log) -> usize {
    let _permit = sem.acquire().await;
    let now_active = {
        let mut a = active.lock().await;
        *a += 1;
        *a
    };
    log.say(format!("start {i} (active {now_active})"));
    assert!(now_active <= 3, "the semaphore let {now_active} in");
    sleep(secs(POOL_DUR[i])).await;
    // `*active.lock().await -= 1;` is pass finding F17 (see `lock_guard_compound_assignment`)
    let mut a = active.lock().await;
    *a -= 1;
    drop(a);
    log.say(format!("end {i}"));
    i * i
}

async fn pool_main(coroutines: bool) -> Vec<String> {
    let log = Log::new();
    let sem = Semaphore::new(3);
    let active = Lock::new(0);
    let results: Vec<usize> = if coroutines {
        join_all((0..10).map(|i| fetch_co(i, sem.clone(), active.clone(), log.clone()))).await
    } else {
        join_all((0..10).map(|i| fetch(i, sem.clone(), active.clone(), log.clone()))).await
    };
    let list: Vec<String> = results.iter().map(|r| r.to_string()).collect();
    log.say(format!("results {}", list.join(", ")));
    assert_eq!(sem.available_permits(), 3);
    log.lines()
}

#[test]
fn semaphore_worker_pool_matches_asyncio() {
    for coroutines in [false, true] {
        let got = run_virtual(move || pool_main(coroutines));
        check_against_asyncio(POOL_PY, &got);
    }
}

// ---------------------------------------------------------------------------------------
// wait_for / timeout / cancel, with cleanup in `finally` (Drop).

const TIMEOUTS_PY: &str = r#"
    async def slow_op(name, d):
        try:
            say(f"{name} start")
            await asyncio.sleep(d)
            say(f"{name} finished")
            return name.upper()
        finally:
            say(f"{name} cleanup")

    async def main():
        try:
            r = await asyncio.wait_for(slow_op("a", 2), timeout=5)
            say(f"a -> {r}")
        except asyncio.TimeoutError:
            say("a timed out")
        try:
            r = await asyncio.wait_for(slow_op("b", 10), timeout=3)
            say(f"b -> {r}")
        except asyncio.TimeoutError:
            say("b timed out")
        try:
            async with asyncio.timeout(4):
                await slow_op("c", 6)
        except TimeoutError:
            say("c timed out")
        t = asyncio.create_task(slow_op("d", 8))
        await asyncio.sleep(1)
        t.cancel()
        try:
            await t
        except asyncio.CancelledError:
            say(f"d cancelled ({t.cancelled()})")
        # a timeout around a gather: every child is cancelled and cleans up
        try:
            await asyncio.wait_for(
                asyncio.gather(slow_op("e", 1), slow_op("f", 3), slow_op("g", 7)), timeout=2)
        except asyncio.TimeoutError:
            say("gather timed out")
        # a finished task keeps its result when cancelled afterwards
        t = asyncio.create_task(slow_op("h", 1))
        await asyncio.sleep(2)
        t.cancel()
        say(f"h -> {await t}")

    run(main())
"#;

async fn slow_op(name: &'static str, d: u64, log: Log) -> String {
    let _finally = Finally::new(&log, format!("{name} cleanup"));
    log.say(format!("{name} start"));
    sleep(secs(d)).await;
    log.say(format!("{name} finished"));
    name.to_uppercase()
}

#[corio::coroutine]
async fn slow_op_co(name: &'static str, d: u64, log: Log) -> String {
    let _finally = Finally::new(&log, format!("{name} cleanup"));
    log.say(format!("{name} start"));
    sleep(secs(d)).await;
    log.say(format!("{name} finished"));
    name.to_uppercase()
}

#[corio::coroutine]
async fn timeouts_main_co(log: Log) -> Vec<String> {
    match timeout(secs(5), slow_op_co("a", 2, log.clone())).await {
        Ok(r) => log.say(format!("a -> {r}")),
        Err(_) => log.say("a timed out"),
    }
    match timeout(secs(3), slow_op_co("b", 10, log.clone())).await {
        Ok(r) => log.say(format!("b -> {r}")),
        Err(_) => log.say("b timed out"),
    }
    if timeout(secs(4), slow_op_co("c", 6, log.clone()))
        .await
        .is_err()
    {
        log.say("c timed out");
    }
    let t = spawn(slow_op_co("d", 8, log.clone()));
    sleep(secs(1)).await;
    t.cancel();
    if let Err(e) = t.await {
        log.say(format!(
            "d cancelled ({})",
            if e.is_cancelled() { "True" } else { "False" }
        ));
    }
    // `corio::join!(…)` here is pass finding F16 (see `join_after_an_await`)
    let all = join_all([
        slow_op_co("e", 1, log.clone()),
        slow_op_co("f", 3, log.clone()),
        slow_op_co("g", 7, log.clone()),
    ]);
    if timeout(secs(2), all).await.is_err() {
        log.say("gather timed out");
    }
    let t = spawn(slow_op_co("h", 1, log.clone()));
    sleep(secs(2)).await;
    t.cancel();
    let r = t.await.unwrap();
    log.say(format!("h -> {r}"));
    log.lines()
}

async fn timeouts_main(log: Log) -> Vec<String> {
    match timeout(secs(5), slow_op("a", 2, log.clone())).await {
        Ok(r) => log.say(format!("a -> {r}")),
        Err(_) => log.say("a timed out"),
    }
    match timeout(secs(3), slow_op("b", 10, log.clone())).await {
        Ok(r) => log.say(format!("b -> {r}")),
        Err(_) => log.say("b timed out"),
    }
    if timeout(secs(4), slow_op("c", 6, log.clone()))
        .await
        .is_err()
    {
        log.say("c timed out");
    }
    let t = spawn(slow_op("d", 8, log.clone()));
    sleep(secs(1)).await;
    t.cancel();
    if let Err(e) = t.await {
        log.say(format!(
            "d cancelled ({})",
            if e.is_cancelled() { "True" } else { "False" }
        ));
    }
    let all = corio::join!(
        slow_op("e", 1, log.clone()),
        slow_op("f", 3, log.clone()),
        slow_op("g", 7, log.clone())
    );
    if timeout(secs(2), all).await.is_err() {
        log.say("gather timed out");
    }
    let t = spawn(slow_op("h", 1, log.clone()));
    sleep(secs(2)).await;
    t.cancel();
    let r = t.await.unwrap();
    log.say(format!("h -> {r}"));
    log.lines()
}

#[test]
fn wait_for_timeout_and_cancel_run_cleanup_like_asyncio() {
    let got = run_virtual(|| timeouts_main(Log::new()));
    check_against_asyncio(TIMEOUTS_PY, &got);
    let got = run_virtual(|| timeouts_main_co(Log::new()));
    check_against_asyncio(TIMEOUTS_PY, &got);
}

// ---------------------------------------------------------------------------------------
// Event and Condition hand-offs.

const HANDOFF_PY: &str = r#"
    async def waiter(name, ev):
        say(f"{name} waiting")
        await ev.wait()
        say(f"{name} woke")

    async def taker(name, cond, items):
        async with cond:
            await cond.wait_for(lambda: items)
            item = items.pop(0)
            say(f"{name} took {item}")
        return item

    async def main():
        ev = asyncio.Event()
        ws = [asyncio.create_task(waiter(n, ev)) for n in "abc"]
        await asyncio.sleep(2)
        say("set")
        ev.set()
        await asyncio.gather(*ws)
        ev.clear()
        late = asyncio.create_task(waiter("d", ev))
        await asyncio.sleep(1)
        say(f"d done: {late.done()}")
        ev.set()
        await late

        cond = asyncio.Condition()
        items = []
        ts = [asyncio.create_task(taker(f"k{i}", cond, items)) for i in range(3)]
        await asyncio.sleep(1)
        for i in range(3):
            async with cond:
                items.append(i * 10)
                cond.notify()
            say(f"notified {i}")
            await asyncio.sleep(1)
        got = await asyncio.gather(*ts)
        say(f"taken {got}")

    run(main())
"#;

async fn waiter(name: &'static str, ev: Event, log: Log) {
    log.say(format!("{name} waiting"));
    ev.wait().await;
    log.say(format!("{name} woke"));
}

#[corio::coroutine]
async fn waiter_co(name: &'static str, ev: Event, log: Log) {
    log.say(format!("{name} waiting"));
    ev.wait().await;
    log.say(format!("{name} woke"));
}

async fn taker(name: String, cond: Condition, items: Lock<Vec<u32>>, log: Log) -> u32 {
    let mut guard = cond.wait_for(items.lock().await, |v| !v.is_empty()).await;
    let item = guard.remove(0);
    log.say(format!("{name} took {item}"));
    item
}

#[corio::coroutine]
async fn taker_co(name: String, cond: Condition, items: Lock<Vec<u32>>, log: Log) -> u32 {
    let mut guard = cond.wait_for(items.lock().await, |v| !v.is_empty()).await;
    let item = guard.remove(0);
    log.say(format!("{name} took {item}"));
    item
}

#[corio::coroutine]
async fn handoff_main(coroutines: bool) -> Vec<String> {
    let log = Log::new();
    let ev = Event::new();
    let mut ws = Vec::new();
    for name in ["a", "b", "c"] {
        ws.push(if coroutines {
            spawn(waiter_co(name, ev.clone(), log.clone()))
        } else {
            spawn(waiter(name, ev.clone(), log.clone()))
        });
    }
    sleep(secs(2)).await;
    log.say("set");
    ev.set();
    for r in join_all(ws).await {
        r.unwrap();
    }
    ev.clear();
    let late = spawn(waiter_co("d", ev.clone(), log.clone()));
    sleep(secs(1)).await;
    log.say(format!(
        "d done: {}",
        if late.is_finished() { "True" } else { "False" }
    ));
    ev.set();
    late.await.unwrap();

    let cond = Condition::new();
    let items = Lock::new(Vec::new());
    let mut ts = Vec::new();
    for i in 0..3 {
        let name = format!("k{i}");
        ts.push(if coroutines {
            spawn(taker_co(name, cond.clone(), items.clone(), log.clone()))
        } else {
            spawn(taker(name, cond.clone(), items.clone(), log.clone()))
        });
    }
    sleep(secs(1)).await;
    for i in 0..3 {
        {
            let mut guard = items.lock().await;
            guard.push(i * 10);
            cond.notify();
        }
        log.say(format!("notified {i}"));
        sleep(secs(1)).await;
    }
    let got: Vec<u32> = join_all(ts).await.into_iter().map(Result::unwrap).collect();
    log.say(format!("taken {got:?}"));
    log.lines()
}

#[test]
fn event_and_condition_handoffs_match_asyncio() {
    for coroutines in [false, true] {
        let got = run_virtual(move || handoff_main(coroutines));
        check_against_asyncio(HANDOFF_PY, &got);
    }
}

// ---------------------------------------------------------------------------------------
// A TaskGroup where one child fails.

const TASK_GROUP_PY: &str = r#"
    async def child(name, d, fail=False):
        try:
            await asyncio.sleep(d)
            if fail:
                raise ValueError(f"{name} failed")
            say(f"{name} done")
            return name
        except asyncio.CancelledError:
            say(f"{name} cancelled")
            raise

    async def main():
        try:
            async with asyncio.TaskGroup() as tg:
                a = tg.create_task(child("a", 1))
                tg.create_task(child("b", 2, fail=True))
                c = tg.create_task(child("c", 5))
                tg.create_task(child("d", 9))
                say("body done")
        except* ValueError as eg:
            say(f"group failed: {'; '.join(str(e) for e in eg.exceptions)}")
        say(f"a: {a.result()}, c cancelled: {c.cancelled()}")
        # a group whose children all succeed
        async with asyncio.TaskGroup() as tg:
            ts = [tg.create_task(child(n, d)) for n, d in [("x", 3), ("y", 1)]]
        say(f"results {[t.result() for t in ts]}")

    run(main())
"#;

#[derive(Debug)]
struct ChildFailed(String);

impl std::fmt::Display for ChildFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed", self.0)
    }
}

impl std::error::Error for ChildFailed {}

/// Says `<name> cancelled` if dropped before it is disarmed.
struct OnCancel {
    log: Log,
    name: &'static str,
    armed: bool,
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if self.armed {
            self.log.say(format!("{} cancelled", self.name));
        }
    }
}

#[corio::coroutine]
async fn child_co(
    name: &'static str,
    d: u64,
    fail: bool,
    log: Log,
) -> Result<&'static str, ChildFailed> {
    let mut guard = OnCancel {
        log: log.clone(),
        name,
        armed: true,
    };
    sleep(secs(d)).await;
    guard.armed = false;
    if fail {
        return Err(ChildFailed(name.to_string()));
    }
    log.say(format!("{name} done"));
    Ok(name)
}

async fn child(
    name: &'static str,
    d: u64,
    fail: bool,
    log: Log,
) -> Result<&'static str, ChildFailed> {
    let mut guard = OnCancel {
        log: log.clone(),
        name,
        armed: true,
    };
    sleep(secs(d)).await;
    guard.armed = false;
    if fail {
        return Err(ChildFailed(name.to_string()));
    }
    log.say(format!("{name} done"));
    Ok(name)
}

async fn task_group_main(coroutines: bool) -> Vec<String> {
    let log = Log::new();
    let group = TaskGroup::new();
    let spawn_child = |name, d, fail| {
        if coroutines {
            group.spawn_try(child_co(name, d, fail, log.clone()))
        } else {
            group.spawn_try(child(name, d, fail, log.clone()))
        }
    };
    let a = spawn_child("a", 1, false);
    let _b = spawn_child("b", 2, true);
    let c = spawn_child("c", 5, false);
    let _d = spawn_child("d", 9, false);
    log.say("body done");
    match group.join().await {
        Ok(()) => log.say("group ok"),
        Err(e) => {
            let msgs: Vec<String> = e
                .errors()
                .iter()
                .map(|c| {
                    c.downcast_ref::<ChildFailed>()
                        .expect("our error")
                        .to_string()
                })
                .collect();
            log.say(format!("group failed: {}", msgs.join("; ")));
        }
    }
    let a = a.await.unwrap();
    let c_cancelled = c.await.unwrap_err().is_cancelled();
    log.say(format!(
        "a: {a}, c cancelled: {}",
        if c_cancelled { "True" } else { "False" }
    ));

    let group = TaskGroup::new();
    let ts = [
        group.spawn_try(child_co("x", 3, false, log.clone())),
        group.spawn_try(child("y", 1, false, log.clone())),
    ];
    group.join().await.unwrap();
    let mut results = Vec::new();
    for t in ts {
        results.push(t.await.unwrap());
    }
    log.say(format!("results {results:?}").replace('"', "'"));
    log.lines()
}

/// asyncio's TaskGroup cancels its children in the iteration order of a `set`: lines stamped
/// with the same time that say "cancelled" are compared as a set.
fn sort_cancellations(mut lines: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j < lines.len() && lines[j].ends_with(" cancelled") {
            j += 1;
        }
        lines[i..j].sort();
        i = j.max(i + 1);
    }
    lines
}

#[test]
fn task_group_with_a_failing_child_matches_asyncio() {
    for coroutines in [false, true] {
        let got = run_virtual(move || task_group_main(coroutines));
        assert!(got.contains(&"t=2000 c cancelled".to_string()), "{got:#?}");
        if let Some(want) = user_common::asyncio_oracle(TASK_GROUP_PY) {
            assert_eq!(sort_cancellations(got), sort_cancellations(want));
        }
    }
}

// ---------------------------------------------------------------------------------------
// call_soon / call_later / cancel.

const CALLBACKS_PY: &str = r#"
    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.call_later(3, say, "three")
        h = loop.call_later(2, say, "two (cancelled)")
        loop.call_later(1, say, "one")
        loop.call_later(5, done.set_result, "fired")
        loop.call_soon(say, "soon")
        h.cancel()
        say(f"scheduled, cancelled: {h.cancelled()}")
        r = await done
        say(f"end: {r}")

    run(main())
"#;

fn callbacks_main() -> impl Future<Output = Vec<String>> {
    #[corio::coroutine]
    async fn main_co(log: Log) -> Vec<String> {
        let (tx, rx) = oneshot::channel();
        let l = log.clone();
        call_later(secs(3), move || l.say("three"));
        let l = log.clone();
        let h = call_later(secs(2), move || l.say("two (cancelled)"));
        let l = log.clone();
        call_later(secs(1), move || l.say("one"));
        call_later(secs(5), move || {
            let _ = tx.send("fired");
        });
        let l = log.clone();
        call_soon(move || l.say("soon"));
        h.cancel();
        log.say(format!(
            "scheduled, cancelled: {}",
            if h.cancelled() { "True" } else { "False" }
        ));
        let r = rx.await.unwrap();
        log.say(format!("end: {r}"));
        log.lines()
    }
    main_co(Log::new())
}

#[test]
fn call_soon_and_call_later_match_asyncio() {
    let got = run_virtual(callbacks_main);
    check_against_asyncio(CALLBACKS_PY, &got);
}

// ---------------------------------------------------------------------------------------
// tasks() / dump() while things wait.

#[corio::coroutine]
async fn queue_worker(q: Queue<u32>) -> u32 {
    let item = q.get().await.unwrap();
    item * 2
}

#[corio::coroutine]
async fn event_waiter(ev: Event) {
    ev.wait().await;
}

#[corio::coroutine]
async fn sleeper(d: Duration) {
    sleep(d).await;
}

#[corio::coroutine]
async fn outer(ev: Event) {
    event_waiter(ev).await;
}

const TASKS_PY: &str = r#"
    async def main():
        q = asyncio.Queue()
        ev = asyncio.Event()
        async def worker(): return (await q.get()) * 2
        ts = [asyncio.create_task(worker(), name="worker"),
              asyncio.create_task(ev.wait(), name="waiter"),
              asyncio.create_task(asyncio.sleep(60), name="sleeper")]
        await asyncio.sleep(0)
        for name in sorted(t.get_name() for t in asyncio.all_tasks()):
            print(name)
        q.put_nowait(21)
        ev.set()
        r = await ts[0]
        await ts[1]
        ts[2].cancel()
        await asyncio.gather(ts[2], return_exceptions=True)
        print(f"worker -> {r}")
        print(f"left: {sorted(t.get_name() for t in asyncio.all_tasks())}")

    asyncio.run(main())
"#;

#[test]
fn tasks_and_dump_show_what_each_task_waits_on() {
    let got = run_virtual(|| async {
        let mut out = Vec::new();
        let q = Queue::new(0);
        let ev = Event::new();
        let worker = spawn_named("worker", queue_worker(q.clone()));
        let waiter = spawn_named("waiter", outer(ev.clone()));
        let sleeper = spawn_named("sleeper", sleeper(secs(60)));
        corio::yield_now().await;
        let infos = corio::tasks();
        let mut names: Vec<String> = infos
            .iter()
            .map(|t| t.name.clone().unwrap_or_default())
            .collect();
        names.sort();
        out.extend(names);

        let by_name = |n: &str| {
            infos
                .iter()
                .find(|t| t.name.as_deref() == Some(n))
                .unwrap()
                .clone()
        };
        let w = by_name("worker");
        assert_eq!(w.status, corio::Status::Suspended);
        assert!(w.chain[0].function.ends_with("queue_worker"), "{w}");
        assert_eq!(w.chain[0].point.unwrap().source, "q.get().await");
        assert!(
            w.chain[0]
                .waiting_on
                .as_deref()
                .unwrap()
                .starts_with("Queue::get"),
            "{w}"
        );
        let e = by_name("waiter");
        assert_eq!(e.chain.len(), 2, "{e}");
        assert!(e.chain[0].function.ends_with("outer"));
        assert!(e.chain[1].function.ends_with("event_waiter"));
        assert_eq!(e.chain[1].waiting_on.as_deref(), Some("Event::wait"));
        let s = by_name("sleeper");
        assert!(
            s.chain[0]
                .waiting_on
                .as_deref()
                .unwrap()
                .starts_with("sleep until +"),
            "{s}"
        );

        let dump = corio::dump();
        for needle in [
            "worker",
            "waiter",
            "sleeper",
            "q.get().await",
            "ev.wait().await",
            "sleep(d).await",
        ] {
            assert!(dump.contains(needle), "dump lacks {needle:?}:\n{dump}");
        }

        q.put_nowait(21).unwrap();
        ev.set();
        let r = worker.await.unwrap();
        waiter.await.unwrap();
        sleeper.cancel();
        assert!(sleeper.await.unwrap_err().is_cancelled());
        out.push(format!("worker -> {r}"));
        let mut left: Vec<String> = corio::tasks()
            .into_iter()
            .map(|t| format!("'{}'", t.name.unwrap_or_default()))
            .collect();
        left.sort();
        out.push(format!("left: [{}]", left.join(", ")));
        out
    });
    // asyncio names its main task "Task-1"; corio calls it "main".
    if let Some(want) = user_common::asyncio_oracle(TASKS_PY) {
        let want: Vec<String> = want
            .into_iter()
            .map(|l| l.replace("Task-1", "main"))
            .collect();
        let mut want_sorted = want.clone();
        want_sorted[..4].sort();
        assert_eq!(got, want_sorted);
    }
}

// ---------------------------------------------------------------------------------------
// Bodies rustc accepts that the pass does not yet (see /work/notes/pass-findings.md).

// Pass finding F17: `*lock.lock().await -= 1` is rejected as a compound assignment around a
// suspension point. Un-ignore (and uncomment) when the fix lands.
#[test]
#[ignore = "pass finding F17"]
fn lock_guard_compound_assignment() {
    // #[corio::coroutine]
    // async fn bump(count: Lock<u32>) -> u32 {
    //     *count.lock().await += 1;
    //     *count.lock().await
    // }
    // let count = Lock::new(0);
    // assert_eq!(run_virtual(move || bump(count)), 1);
}

// Pass finding F16: a `join!` (a macro giving an `async` block) after any earlier await:
// "expected `async` block, found a different `async` block". Un-ignore (and uncomment) when
// the fix lands.
#[test]
#[ignore = "pass finding F16"]
fn join_after_an_await() {
    // #[corio::coroutine]
    // async fn first_or_both(x: Option<u32>) -> u32 {
    //     if let Some(v) = std::future::ready(x).await {
    //         return v;
    //     }
    //     let both = corio::join!(std::future::ready(1), std::future::ready(2));
    //     let (a, b) = both.await;
    //     a + b
    // }
    // assert_eq!(run_virtual(|| first_or_both(None)), 3);
    // assert_eq!(run_virtual(|| first_or_both(Some(7))), 7);
}

// ---------------------------------------------------------------------------------------
// Regressions found by the ports above.

/// `join!` cancelled by a `timeout` dropped its futures in reverse argument order; asyncio's
/// `gather` cancels its children in argument order (found by
/// `wait_for_timeout_and_cancel_run_cleanup_like_asyncio`).
#[test]
fn a_dropped_join_drops_its_futures_in_argument_order() {
    let got = run_virtual(|| async {
        let log = Log::new();
        let all = corio::join!(
            slow_op("x", 5, log.clone()),
            slow_op("y", 6, log.clone()),
            slow_op("z", 7, log.clone())
        );
        assert!(timeout(secs(1), all).await.is_err());
        log.lines()
    });
    let cleanups: Vec<&str> = got
        .iter()
        .filter(|l| l.ends_with("cleanup"))
        .map(|l| &l[7..])
        .collect();
    assert_eq!(cleanups, ["x cleanup", "y cleanup", "z cleanup"]);
}

/// A bounded `Queue` whose `put` went straight to a waiting getter reported the item as gone
/// (`len() == 0`) and let the next `put` in before that getter ran, so `maxsize` plus the
/// number of waiting getters items were in flight; asyncio keeps the item in the queue (and
/// counting against `maxsize`) until the getter takes it (found by
/// `producer_consumer_with_queue_join_matches_asyncio`).
#[test]
fn an_item_handed_to_a_waiting_getter_still_fills_the_queue() {
    let got = run_virtual(|| async {
        let log = Log::new();
        let q = Queue::new(1);
        let getter = spawn({
            let (q, log) = (q.clone(), log.clone());
            async move {
                let item: u32 = q.get().await.unwrap();
                log.say(format!("got {item}"));
            }
        });
        corio::yield_now().await; // the getter waits
        q.put(1).await.unwrap();
        log.say(format!("put 1, qsize {}, full {}", q.len(), q.is_full()));
        q.put(2).await.unwrap(); // waits until the getter has taken 1
        log.say(format!("put 2, qsize {}", q.len()));
        getter.await.unwrap();
        log.lines()
    });
    let py = r#"
        async def main():
            q = asyncio.Queue(1)
            async def getter():
                item = await q.get()
                say(f"got {item}")
            t = asyncio.create_task(getter())
            await asyncio.sleep(0)
            await q.put(1)
            say(f"put 1, qsize {q.qsize()}, full {str(q.full()).lower()}")
            await q.put(2)
            say(f"put 2, qsize {q.qsize()}")
            await t

        run(main())
    "#;
    assert_eq!(
        got,
        [
            "t=0 put 1, qsize 1, full true",
            "t=0 got 1",
            "t=0 put 2, qsize 1"
        ]
    );
    check_against_asyncio(py, &got);
}

// ---------------------------------------------------------------------------------------
// Barrier phases, as_completed and wait(FIRST_COMPLETED).

const PHASES_PY: &str = r#"
    DUR = [3, 1, 2]

    async def runner(i, barrier):
        for phase in range(2):
            await asyncio.sleep(DUR[(i + phase) % 3])
            say(f"r{i} arrives phase {phase}")
            idx = await barrier.wait()
            say(f"r{i} leaves phase {phase} (arrival {idx})")

    async def job(i):
        await asyncio.sleep(DUR[i] * 2 + 3 * i)
        return f"job{i}"

    async def main():
        barrier = asyncio.Barrier(3)
        await asyncio.gather(*(runner(i, barrier) for i in range(3)))
        for fut in asyncio.as_completed([job(i) for i in range(3)]):
            say(f"completed {await fut}")
        tasks = [asyncio.create_task(job(i)) for i in range(3)]
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        say(f"first: {[t.result() for t in done]}, pending {len(pending)}")
        for t in pending:
            t.cancel()

    run(main())
"#;

const PHASE_DUR: [u64; 3] = [3, 1, 2];

#[corio::coroutine]
async fn runner_co(i: usize, barrier: corio::sync::Barrier, log: Log) {
    for phase in 0..2 {
        sleep(secs(PHASE_DUR[(i + phase) % 3])).await;
        log.say(format!("r{i} arrives phase {phase}"));
        let idx = barrier.wait().await.unwrap();
        log.say(format!("r{i} leaves phase {phase} (arrival {idx})"));
    }
}

#[corio::coroutine]
async fn job(i: u64) -> String {
    sleep(secs(PHASE_DUR[i as usize] * 2 + 3 * i)).await;
    format!("job{i}")
}

#[corio::coroutine]
async fn phases_main(log: Log) -> Vec<String> {
    let barrier = corio::sync::Barrier::new(3);
    join_all((0..3).map(|i| runner_co(i, barrier.clone(), log.clone()))).await;
    let completed = corio::as_completed((0..3).map(job));
    for _ in 0..3 {
        let r = completed.next().await.unwrap();
        log.say(format!("completed {r}"));
    }
    let tasks: Vec<_> = (0..3).map(|i| spawn(job(i))).collect();
    let (done, pending) = corio::wait(tasks, corio::ReturnWhen::FirstCompleted).await;
    let mut firsts = Vec::new();
    for t in done {
        let r = t.await.unwrap();
        firsts.push(format!("'{r}'"));
    }
    log.say(format!(
        "first: [{}], pending {}",
        firsts.join(", "),
        pending.len()
    ));
    for t in &pending {
        t.cancel();
    }
    log.lines()
}

#[test]
fn barrier_as_completed_and_wait_match_asyncio() {
    let got = run_virtual(|| phases_main(Log::new()));
    check_against_asyncio(PHASES_PY, &got);
}

/// `wait_for(q.get(), t)` racing a `put` that lands in the same instant: whichever wins, the
/// item is never lost (it is either returned or still in the queue), in both timer orders.
#[test]
fn a_get_with_a_timeout_never_loses_an_item() {
    for producer_first in [false, true] {
        let (got, left) = run_virtual(move || async move {
            let q: Queue<u32> = Queue::new(1);
            let producer = |q: Queue<u32>| async move {
                sleep(secs(1)).await;
                q.put(7).await;
            };
            let mut p = None;
            if producer_first {
                p = Some(spawn(producer(q.clone())));
            }
            let getter = spawn({
                let q = q.clone();
                async move { timeout(secs(1), q.get()).await.ok() }
            });
            let p = p.unwrap_or_else(|| spawn(producer(q.clone())));
            let got = getter.await.unwrap();
            p.await.unwrap();
            (got, q.len())
        });
        assert_eq!(
            got.iter().count() + left,
            1,
            "producer first: {producer_first}"
        );
    }
}

/// asyncio's `await wait_for(task, t)` cancels `task` on timeout. `timeout(t, task)` cannot:
/// it drops the handle, and dropping a `Task` never cancels it (the task runs on, out of
/// reach). The port that keeps the handle is `wait([task]).timeout(t)`, then `cancel()` what
/// is pending: the task's cleanup runs, as asyncio's does.
#[test]
fn wait_for_a_task_ports_to_wait_with_a_timeout() {
    let got = run_virtual(|| async {
        let log = Log::new();
        let task = spawn(slow_op_co("t", 10, log.clone()));
        let (done, pending) = corio::wait([task], corio::ReturnWhen::AllCompleted)
            .timeout(secs(2))
            .await;
        assert!(done.is_empty());
        for t in &pending {
            t.cancel();
        }
        log.say("timed out");
        log.lines()
    });
    let py = r#"
        async def slow_op(name, d):
            try:
                say(f"{name} start")
                await asyncio.sleep(d)
            finally:
                say(f"{name} cleanup")

        async def main():
            task = asyncio.create_task(slow_op("t", 10))
            try:
                await asyncio.wait_for(task, 2)
            except asyncio.TimeoutError:
                say("timed out")

        run(main())
    "#;
    check_against_asyncio(py, &got);
}
