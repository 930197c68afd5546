//! The schedule explorer (issue 16): every sync primitive, task joins and `TaskGroup` run
//! under many seeds of `Builder::seed` (a deterministic order of ready tasks on virtual time),
//! with cancellations injected at random await points: whole tasks cancelled by a chaos task,
//! and single operations cut short by `timeout`s of random virtual length.
//!
//! Each scenario checks, for its seed:
//!
//! * **no lost item**: every item is tracked by a token; an item whose `put`/`send`
//!   completed is received exactly once (or is still queued at the end), an item whose `put`
//!   was cancelled is never received, and every token is dropped exactly once;
//! * **no lost permit or wake-up**: the tasks that survive finish (a watchdog of one virtual
//!   hour catches a task left waiting: with virtual time a deadlock jumps straight to it), and
//!   afterwards the primitive is back in its initial state (unlocked, every permit available,
//!   nobody queued);
//! * the primitive's own invariants after every operation (mutual exclusion, at most `n`
//!   permit holders, getters wait only on an empty queue, per-sender FIFO order).
//!
//! `CORIO_EXPLORE_SEEDS` (default 150, the CI slice) sets how many seeds each scenario runs,
//! from `CORIO_EXPLORE_BASE` (default 0); a failure prints the seeds that fail, and
//! `CORIO_EXPLORE_BASE=<seed> CORIO_EXPLORE_SEEDS=1` replays one. The run at scale is in the
//! README's testing section.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Duration;

use corio::sync::{
    Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, PriorityQueue, Queue, Semaphore,
    broadcast, mpsc, oneshot, watch,
};
use corio::{Task, TaskGroup};

/// A test-side xorshift generator, seeded like the schedule: the scenario's own choices
/// (which task to cancel, how long a timeout is) replay with the seed too.
struct Rng(Cell<u64>);

impl Rng {
    fn new(seed: u64) -> Rc<Self> {
        let s = seed.wrapping_mul(0xA076_1D64_78BD_642F) ^ 0xE703_7ED1_A0B4_28DB;
        Rc::new(Self(Cell::new(s | 1)))
    }

    fn below(&self, n: u64) -> u64 {
        let mut x = self.0.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.set(x);
        x % n.max(1)
    }

    fn chance(&self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// A tracked item: records its drop, so that every item is dropped exactly once.
struct Token {
    id: u64,
    ledger: Rc<Ledger>,
}

impl Drop for Token {
    fn drop(&mut self) {
        *self.ledger.drops.borrow_mut().entry(self.id).or_default() += 1;
    }
}

// Ordered by id, for the priority queue.
impl PartialEq for Token {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Token {}

impl PartialOrd for Token {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Token {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id.cmp(&other.id)
    }
}

#[derive(Default)]
struct Ledger {
    made: Cell<u64>,
    drops: RefCell<HashMap<u64, u32>>,
    /// Items whose put/send completed.
    accepted: RefCell<Vec<u64>>,
    /// Items whose put/send was cancelled (or refused).
    refused: RefCell<Vec<u64>>,
    received: RefCell<Vec<u64>>,
}

impl Ledger {
    fn token(self: &Rc<Self>) -> Token {
        let id = self.made.get();
        self.made.set(id + 1);
        Token {
            id,
            ledger: self.clone(),
        }
    }

    /// After the loop is gone (every future and queue dropped).
    fn check(&self) {
        let drops = self.drops.borrow();
        for id in 0..self.made.get() {
            assert_eq!(
                drops.get(&id).copied().unwrap_or(0),
                1,
                "item {id} dropped {} times",
                drops.get(&id).copied().unwrap_or(0)
            );
        }
        let received = self.received.borrow();
        let mut seen = HashMap::new();
        for &id in received.iter() {
            *seen.entry(id).or_insert(0) += 1;
        }
        for (&id, &n) in &seen {
            assert_eq!(n, 1, "item {id} received {n} times");
        }
        for id in self.accepted.borrow().iter() {
            assert!(seen.contains_key(id), "item {id} was accepted and lost");
        }
        for id in self.refused.borrow().iter() {
            assert!(
                !seen.contains_key(id),
                "item {id}'s put was cancelled, yet it was received"
            );
        }
    }
}

const WATCHDOG: Duration = Duration::from_secs(3600);

/// Runs one seed of a scenario on a seeded loop, under the watchdog.
fn run_seed<F, Fut>(seed: u64, scenario: F)
where
    F: FnOnce(Rc<Rng>) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let rng = Rng::new(seed);
    let rt = corio::Runtime::builder().seed(seed).build();
    let body = scenario(rng);
    rt.run(async move {
        if corio::timeout(WATCHDOG, body).await.is_err() {
            panic!("a task was left waiting although progress was possible");
        }
    });
}

/// How many seeds, from where: `CORIO_EXPLORE_SEEDS`, `CORIO_EXPLORE_BASE`.
fn seeds() -> std::ops::Range<u64> {
    let var = |name, default| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let base = var("CORIO_EXPLORE_BASE", 0);
    base..base + var("CORIO_EXPLORE_SEEDS", 150)
}

thread_local! {
    /// Whether this thread's panics are reported by `explore` instead of the hook.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `scenario` for every seed and fails with the list of failing seeds.
fn explore(name: &str, scenario: fn(u64)) {
    let range = seeds();
    let quiet = std::env::var_os("CORIO_EXPLORE_VERBOSE").is_none();
    let failing: Rc<RefCell<Vec<(u64, String)>>> = Rc::default();
    // One summary for the failing seeds below, rather than a backtrace each; only on this
    // thread (the hook is process-wide, tests run on several threads).
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(quiet));
    for seed in range.clone() {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| scenario(seed))) {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failing.borrow_mut().push((seed, msg));
        }
    }
    QUIET.with(|q| q.set(false));
    let failing = failing.borrow();
    eprintln!(
        "explore {name}: {} seeds ({}..{}), {} failed",
        range.end - range.start,
        range.start,
        range.end,
        failing.len()
    );
    assert!(
        failing.is_empty(),
        "{name}: {} failing seeds, first {:?}; replay with \
         CORIO_EXPLORE_BASE=<seed> CORIO_EXPLORE_SEEDS=1 CORIO_EXPLORE_VERBOSE=1",
        failing.len(),
        &failing[..failing.len().min(5)]
    );
}

/// Lets other tasks run for a random while: a few yields, or a short virtual sleep.
async fn wander(rng: &Rng) {
    match rng.below(4) {
        0 => {}
        1 | 2 => {
            for _ in 0..rng.below(4) {
                corio::yield_now().await;
            }
        }
        _ => corio::sleep(Duration::from_micros(rng.below(3000))).await,
    }
}

/// Awaits `fut`, or, one time in `one_in`, cuts it short after a random virtual while
/// (a cancellation at whatever await point it has reached): `None` then.
async fn maybe_cut<F: Future>(rng: &Rng, one_in: u64, fut: F) -> Option<F::Output> {
    if rng.chance(one_in) {
        let limit = Duration::from_micros(rng.below(2000));
        corio::timeout(limit, fut).await.ok()
    } else {
        Some(fut.await)
    }
}

/// Cancels `cancels` random tasks of `victims` at random moments.
fn spawn_chaos<T: 'static>(rng: Rc<Rng>, victims: Rc<Vec<Task<T>>>, cancels: u64) -> Task<()> {
    corio::spawn(async move {
        for _ in 0..cancels {
            wander(&rng).await;
            let i = rng.below(victims.len() as u64) as usize;
            victims[i].cancel();
        }
    })
}

/// Awaits every task of `tasks` once the chaos task is done (so that it holds no handle).
async fn await_all<T: 'static>(chaos: Task<()>, tasks: Rc<Vec<Task<T>>>) -> (usize, usize) {
    chaos.await.unwrap();
    let Ok(tasks) = Rc::try_unwrap(tasks) else {
        panic!("the chaos task is done and holds no handle");
    };
    let (mut done, mut cancelled) = (0, 0);
    for task in tasks {
        match task.await {
            Ok(_) => done += 1,
            Err(e) if e.is_cancelled() => cancelled += 1,
            Err(e) => std::panic::resume_unwind(Box::new(format!("a task failed: {e}"))),
        }
    }
    (done, cancelled)
}

// ---------------------------------------------------------------------------------------
// Lock

fn lock_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let lock = Lock::new(0u64);
        let inside = Rc::new(Cell::new(false));
        let workers: Rc<Vec<Task<()>>> = Rc::new(
            (0..2 + rng.below(4))
                .map(|_| {
                    let (lock, inside, rng) = (lock.clone(), inside.clone(), rng.clone());
                    corio::spawn(async move {
                        for _ in 0..3 {
                            let Some(mut guard) = maybe_cut(&rng, 3, lock.lock()).await else {
                                continue;
                            };
                            // Cleared on drop, before the guard: also when cancelled here.
                            let section = Section::enter(&inside);
                            wander(&rng).await;
                            *guard += 1;
                            drop(section);
                            drop(guard);
                            wander(&rng).await;
                        }
                    })
                })
                .collect(),
        );
        let chaos = spawn_chaos(rng.clone(), workers.clone(), rng.below(3));
        await_all(chaos, workers).await;
        assert!(!lock.is_locked(), "the lock was lost");
        assert!(lock.try_lock().is_some());
    });
}

/// Marks a critical section; two at once is a failure.
struct Section(Rc<Cell<bool>>);

impl Section {
    fn enter(inside: &Rc<Cell<bool>>) -> Self {
        assert!(!inside.replace(true), "two holders of one lock");
        Self(inside.clone())
    }
}

impl Drop for Section {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

#[test]
fn explore_lock() {
    explore("Lock", lock_scenario);
}

// ---------------------------------------------------------------------------------------
// Semaphore

fn semaphore_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let permits = 1 + rng.below(3) as usize;
        let sem = Semaphore::new(permits);
        let holders = Rc::new(Cell::new(0usize));
        let workers: Rc<Vec<Task<()>>> = Rc::new(
            (0..2 + rng.below(5))
                .map(|_| {
                    let (sem, holders, rng) = (sem.clone(), holders.clone(), rng.clone());
                    corio::spawn(async move {
                        for _ in 0..3 {
                            let Some(permit) = maybe_cut(&rng, 3, sem.acquire()).await else {
                                continue;
                            };
                            holders.set(holders.get() + 1);
                            assert!(holders.get() <= permits, "more holders than permits");
                            // Decrement before any await: a cancelled holder drops its permit.
                            let _guard = Decrement(holders.clone());
                            wander(&rng).await;
                            if rng.chance(3) {
                                // Given back through `add_permits`: handed to a waiter.
                                permit.forget();
                                sem.add_permits(1);
                            } else {
                                drop(permit);
                            }
                        }
                    })
                })
                .collect(),
        );
        let chaos = spawn_chaos(rng.clone(), workers.clone(), rng.below(3));
        await_all(chaos, workers).await;
        assert_eq!(sem.available_permits(), permits, "a permit was lost");
    });
}

struct Decrement(Rc<Cell<usize>>);

impl Drop for Decrement {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

#[test]
fn explore_semaphore() {
    explore("Semaphore", semaphore_scenario);
}

// ---------------------------------------------------------------------------------------
// Condition

fn condition_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let lock = Lock::new(0u32); // items available
        let cond = Condition::new();
        let consumers = 2 + rng.below(4) as u32;
        let consumed = Rc::new(Cell::new(0u32));
        let tasks: Rc<Vec<Task<()>>> = Rc::new(
            (0..consumers)
                .map(|_| {
                    let (lock, cond, rng, consumed) =
                        (lock.clone(), cond.clone(), rng.clone(), consumed.clone());
                    corio::spawn(async move {
                        wander(&rng).await;
                        let mut guard = lock.lock().await;
                        if rng.chance(2) {
                            guard = cond.wait_for(guard, |n| *n > 0).await;
                        } else {
                            while *guard == 0 {
                                guard = cond.wait(guard).await;
                            }
                        }
                        *guard -= 1;
                        consumed.set(consumed.get() + 1);
                    })
                })
                .collect(),
        );
        // The producer is never cancelled: one item per consumer, one notify each.
        let producer = corio::spawn({
            let (lock, cond, rng) = (lock.clone(), cond.clone(), rng.clone());
            async move {
                for _ in 0..consumers {
                    wander(&rng).await;
                    *lock.lock().await += 1;
                    if rng.chance(4) {
                        cond.notify_all();
                    } else {
                        cond.notify();
                    }
                }
            }
        });
        let chaos = spawn_chaos(rng.clone(), tasks.clone(), rng.below(3));
        producer.await.unwrap();
        let (done, _) = await_all(chaos, tasks).await;
        assert_eq!(consumed.get() as usize, done);
        assert_eq!(*lock.lock().await, consumers - consumed.get());
    });
}

#[test]
fn explore_condition() {
    explore("Condition", condition_scenario);
}

// ---------------------------------------------------------------------------------------
// Event

fn event_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let event = Event::new();
        let tasks: Rc<Vec<Task<()>>> = Rc::new(
            (0..1 + rng.below(5))
                .map(|_| {
                    let (event, rng) = (event.clone(), rng.clone());
                    corio::spawn(async move {
                        loop {
                            wander(&rng).await;
                            if maybe_cut(&rng, 2, event.wait()).await.is_some() {
                                break;
                            }
                        }
                    })
                })
                .collect(),
        );
        let setter = corio::spawn({
            let (event, rng) = (event.clone(), rng.clone());
            async move {
                wander(&rng).await;
                if rng.chance(3) {
                    event.set();
                    event.clear();
                    wander(&rng).await;
                }
                event.set();
            }
        });
        let chaos = spawn_chaos(rng.clone(), tasks.clone(), rng.below(3));
        setter.await.unwrap();
        await_all(chaos, tasks).await;
        assert!(event.is_set());
    });
}

#[test]
fn explore_event() {
    explore("Event", event_scenario);
}

// ---------------------------------------------------------------------------------------
// Queue: put, get, task_done, join

/// Parses the `Debug` of a queue or receiver into its counters.
fn counters(debug: &str) -> HashMap<String, usize> {
    debug
        .split(['{', '}', ','])
        .filter_map(|part| {
            let (k, v) = part.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().parse().ok()?))
        })
        .collect()
}

/// Putters wait only on a full queue (counting room reserved for a putter that has not run):
/// otherwise there is room and a putter sleeps.
fn check_queue(queue: &Queue<Token>) {
    let debug = format!("{queue:?}");
    check_buffer(&debug);
    if counters(&debug)["putters"] > 0 {
        assert!(queue.is_full(), "a putter waits beside free room: {debug}");
    }
}

/// Getters wait only on an empty buffer: otherwise an item is there and a getter sleeps.
fn check_buffer(debug: &str) {
    let c = counters(debug);
    if c.get("getters").copied().unwrap_or(0) > 0 {
        assert_eq!(c["len"], 0, "a getter waits beside an item: {debug}");
    }
}

fn queue_scenario(seed: u64) {
    queue_scenario_with(seed, Queue::new);
}

/// The queue scenario on a queue that `make(maxsize)` builds (FIFO, priority, LIFO: the same
/// hand-overs, another item order).
fn queue_scenario_with(seed: u64, make: fn(usize) -> Queue<Token>) {
    let ledger = Rc::new(Ledger::default());
    let ledger2 = ledger.clone();
    run_seed(seed, move |rng| async move {
        let ledger = ledger2;
        let queue: Queue<Token> = make(1 + rng.below(3) as usize);
        let producers: Rc<Vec<Task<()>>> = Rc::new(
            (0..1 + rng.below(4))
                .map(|_| {
                    let (queue, rng, ledger) = (queue.clone(), rng.clone(), ledger.clone());
                    corio::spawn(async move {
                        for _ in 0..4 {
                            wander(&rng).await;
                            let token = ledger.token();
                            let id = token.id;
                            // Counted as refused until the put completes.
                            ledger.refused.borrow_mut().push(id);
                            let put = if rng.chance(4) {
                                // put_nowait: refused (and the item handed back) when full.
                                queue.put_nowait(token).is_ok()
                            } else {
                                maybe_cut(&rng, 3, queue.put(token)).await.is_some()
                            };
                            if put {
                                ledger.refused.borrow_mut().retain(|&r| r != id);
                                ledger.accepted.borrow_mut().push(id);
                            }
                            check_queue(&queue);
                        }
                    })
                })
                .collect(),
        );
        let done = Rc::new(Cell::new(false));
        let consumers: Vec<Task<()>> = (0..1 + rng.below(3))
            .map(|_| {
                let (queue, rng, ledger, done) =
                    (queue.clone(), rng.clone(), ledger.clone(), done.clone());
                corio::spawn(async move {
                    while !(done.get() && queue.is_empty()) {
                        wander(&rng).await;
                        // Every get is cut short sometimes; none waits for ever.
                        let limit = Duration::from_micros(1 + rng.below(3000));
                        let got = if rng.chance(4) {
                            queue.get_nowait().ok()
                        } else {
                            // Nobody shuts this queue down: `Ok` is the item.
                            corio::timeout(limit, queue.get())
                                .await
                                .ok()
                                .and_then(Result::ok)
                        };
                        if let Some(token) = got {
                            ledger.received.borrow_mut().push(token.id);
                            queue.task_done().unwrap();
                        }
                        check_queue(&queue);
                    }
                })
            })
            .collect();
        // A joiner that may be cancelled by its own timeout.
        let joiner = corio::spawn({
            let (queue, rng) = (queue.clone(), rng.clone());
            async move {
                let _ = maybe_cut(&rng, 2, queue.join()).await;
            }
        });
        let chaos = spawn_chaos(rng.clone(), producers.clone(), rng.below(3));
        await_all(chaos, producers).await;
        done.set(true);
        for c in consumers {
            c.await.unwrap();
        }
        joiner.await.unwrap();
        // Everything taken and marked done: join completes at once.
        queue.join().await;
        let c = counters(&format!("{queue:?}"));
        assert_eq!(
            (c["len"], c["getters"], c["putters"], c["unfinished"]),
            (0, 0, 0, 0),
            "{queue:?}"
        );
        // The room is all there: maxsize puts succeed without waiting.
        for _ in 0..queue.maxsize() {
            let token = ledger.token();
            ledger.refused.borrow_mut().push(token.id);
            assert!(queue.put_nowait(token).is_ok(), "room was lost: {queue:?}");
        }
    });
    ledger.check();
}

#[test]
fn explore_queue() {
    explore("Queue", queue_scenario);
}

#[test]
fn explore_priority_and_lifo_queues() {
    explore("PriorityQueue", |seed| {
        queue_scenario_with(seed, |n| PriorityQueue::new(n).into());
    });
    explore("LifoQueue", |seed| {
        queue_scenario_with(seed, |n| LifoQueue::new(n).into());
    });
}

// ---------------------------------------------------------------------------------------
// mpsc

fn mpsc_scenario(seed: u64) {
    let ledger = Rc::new(Ledger::default());
    let ledger2 = ledger.clone();
    run_seed(seed, move |rng| async move {
        let ledger = ledger2;
        let (tx, rx) = mpsc::channel::<(u64, u32, Token)>(1 + rng.below(3) as usize);
        let senders: Rc<Vec<Task<()>>> = Rc::new(
            (0..1 + rng.below(4))
                .map(|p| {
                    let (tx, rng, ledger) = (tx.clone(), rng.clone(), ledger.clone());
                    corio::spawn(async move {
                        for seq in 0..4u32 {
                            wander(&rng).await;
                            let token = ledger.token();
                            let id = token.id;
                            ledger.refused.borrow_mut().push(id);
                            let sent = if rng.chance(4) {
                                match tx.try_send((p, seq, token)) {
                                    Ok(()) => true,
                                    Err(mpsc::TrySendError::Full(_)) => false,
                                    Err(mpsc::TrySendError::Closed(_)) => {
                                        panic!("the receiver is alive")
                                    }
                                }
                            } else if let Some(res) =
                                maybe_cut(&rng, 3, tx.send((p, seq, token))).await
                            {
                                res.map_err(|_| ()).expect("the receiver is alive");
                                true
                            } else {
                                false
                            };
                            if sent {
                                ledger.refused.borrow_mut().retain(|&r| r != id);
                                ledger.accepted.borrow_mut().push(id);
                            }
                        }
                    })
                })
                .collect(),
        );
        drop(tx);
        let receiver = corio::spawn({
            let (rng, ledger) = (rng.clone(), ledger.clone());
            async move {
                let mut last: HashMap<u64, u32> = HashMap::new();
                loop {
                    wander(&rng).await;
                    let got = if rng.chance(4) {
                        match rx.try_recv() {
                            Ok(item) => Some(Some(item)),
                            Err(mpsc::TryRecvError::Empty) => None,
                            Err(mpsc::TryRecvError::Closed) => Some(None),
                        }
                    } else {
                        maybe_cut(&rng, 2, rx.recv()).await
                    };
                    match got {
                        None => {}
                        Some(None) => break,
                        Some(Some((p, seq, token))) => {
                            if let Some(&prev) = last.get(&p) {
                                assert!(seq > prev, "sender {p}: {seq} after {prev}");
                            }
                            last.insert(p, seq);
                            ledger.received.borrow_mut().push(token.id);
                        }
                    }
                    check_buffer(&format!("{rx:?}"));
                }
                // Closed and drained.
                assert!(rx.is_empty());
            }
        });
        let chaos = spawn_chaos(rng.clone(), senders.clone(), rng.below(3));
        await_all(chaos, senders).await;
        receiver.await.unwrap();
    });
    ledger.check();
}

#[test]
fn explore_mpsc() {
    explore("mpsc", mpsc_scenario);
}

// ---------------------------------------------------------------------------------------
// oneshot

fn oneshot_scenario(seed: u64) {
    let ledger = Rc::new(Ledger::default());
    let ledger2 = ledger.clone();
    run_seed(seed, move |rng| async move {
        let ledger = ledger2;
        let mut receivers = Vec::new();
        let mut senders = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let (tx, rx) = oneshot::channel::<Token>();
            let (rng2, ledger2) = (rng.clone(), ledger.clone());
            receivers.push(corio::spawn(async move {
                wander(&rng2).await;
                if let Ok(token) = rx.await {
                    ledger2.received.borrow_mut().push(token.id);
                }
            }));
            let (rng2, ledger2) = (rng.clone(), ledger.clone());
            senders.push(corio::spawn(async move {
                wander(&rng2).await;
                if rng2.chance(4) {
                    drop(tx); // the receiver gets an error
                    return;
                }
                let token = ledger2.token();
                let id = token.id;
                match tx.send(token) {
                    Ok(()) => ledger2.accepted.borrow_mut().push(id),
                    Err(token) => {
                        ledger2.refused.borrow_mut().push(id);
                        drop(token);
                    }
                }
            }));
        }
        let receivers = Rc::new(receivers);
        let chaos = spawn_chaos(rng.clone(), receivers.clone(), rng.below(3));
        for s in senders {
            s.await.unwrap();
        }
        await_all(chaos, receivers).await;
    });
    // A receiver cancelled after the send took the value with it: accepted, dropped once,
    // not received. Only drops and double receipt are checked for oneshot.
    ledger.accepted.borrow_mut().clear();
    ledger.check();
}

#[test]
fn explore_oneshot() {
    explore("oneshot", oneshot_scenario);
}

// ---------------------------------------------------------------------------------------
// TaskGroup and joins

fn task_group_scenario(seed: u64) {
    let ledger = Rc::new(Ledger::default());
    let ledger2 = ledger.clone();
    run_seed(seed, move |rng| async move {
        let ledger = ledger2;
        let group = TaskGroup::new();
        let children: Rc<Vec<Task<()>>> = Rc::new(
            (0..1 + rng.below(5))
                .map(|_| {
                    let (rng, token) = (rng.clone(), ledger.token());
                    group.spawn(async move {
                        let _held = token;
                        wander(&rng).await;
                        wander(&rng).await;
                    })
                })
                .collect(),
        );
        let chaos = spawn_chaos(rng.clone(), children.clone(), rng.below(3));
        if rng.chance(4) {
            wander(&rng).await;
            group.cancel();
        }
        // A join cut short drops the group, which cancels what is left of it.
        if let Some(Err(e)) = maybe_cut(&rng, 4, group.join()).await {
            panic!("no child fails, cancelled children are no failure: {e}");
        }
        await_all(chaos, children).await;
    });
    ledger.check();
}

#[test]
fn explore_task_group() {
    explore("TaskGroup", task_group_scenario);
}

fn join_scenario(seed: u64) {
    let ledger = Rc::new(Ledger::default());
    let ledger2 = ledger.clone();
    run_seed(seed, move |rng| async move {
        let ledger = ledger2;
        // A chain: task i awaits task i-1 (cancelled or not), so every await must return.
        let mut prev: Option<Task<u32>> = None;
        let n = 2 + rng.below(5);
        for _ in 0..n {
            let (rng2, token, before) = (rng.clone(), ledger.token(), prev.take());
            let task = corio::spawn(async move {
                let _held = token;
                wander(&rng2).await;
                let below = match before {
                    Some(t) => match maybe_cut(&rng2, 3, t).await {
                        Some(Ok(v)) => v,
                        Some(Err(e)) => {
                            assert!(e.is_cancelled());
                            0
                        }
                        None => 0,
                    },
                    None => 0,
                };
                wander(&rng2).await;
                below + 1
            });
            prev = Some(task);
        }
        // Awaits inside the chain are cut by timeouts (the awaited task runs on, detached);
        // the last task is cancelled sometimes, under its awaiter.
        let last = prev.take().unwrap();
        if rng.chance(3) {
            wander(&rng).await;
            last.cancel();
        }
        match last.await {
            Ok(v) => assert!((1..=n as u32).contains(&v)),
            Err(e) => assert!(e.is_cancelled()),
        }
    });
    ledger.check();
}

#[test]
fn explore_join() {
    explore("join", join_scenario);
}

// ---------------------------------------------------------------------------------------
// BoundedSemaphore

fn bounded_semaphore_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let bound = 1 + rng.below(3) as usize;
        let sem = BoundedSemaphore::new(bound);
        let holders = Rc::new(Cell::new(0usize));
        let workers: Rc<Vec<Task<()>>> = Rc::new(
            (0..2 + rng.below(5))
                .map(|_| {
                    let (sem, holders, rng) = (sem.clone(), holders.clone(), rng.clone());
                    corio::spawn(async move {
                        for _ in 0..3 {
                            let Some(permit) = maybe_cut(&rng, 3, sem.acquire()).await else {
                                continue;
                            };
                            holders.set(holders.get() + 1);
                            assert!(holders.get() <= bound, "more holders than permits");
                            let _guard = Decrement(holders.clone());
                            wander(&rng).await;
                            if rng.chance(3) {
                                // Given back through `release`: handed to a waiter.
                                permit.forget();
                                sem.release().expect("one permit was out");
                            } else {
                                drop(permit);
                            }
                        }
                    })
                })
                .collect(),
        );
        let chaos = spawn_chaos(rng.clone(), workers.clone(), rng.below(3));
        await_all(chaos, workers).await;
        assert_eq!(sem.available_permits(), bound, "a permit was lost");
        assert!(sem.release().is_err(), "a release past the bound");
    });
}

#[test]
fn explore_bounded_semaphore() {
    explore("BoundedSemaphore", bounded_semaphore_scenario);
}

// ---------------------------------------------------------------------------------------
// Barrier

fn barrier_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let parties = 1 + rng.below(4) as usize;
        let rounds = 3;
        let barrier = Barrier::new(parties);
        let passed: Rc<RefCell<Vec<(usize, usize)>>> = Rc::default(); // (round, index)
        // No task is cancelled whole (a round then never fills); single waits are cut
        // short, which takes the task out of the round until it waits again.
        let tasks: Vec<Task<()>> = (0..parties)
            .map(|_| {
                let (barrier, rng, passed) = (barrier.clone(), rng.clone(), passed.clone());
                corio::spawn(async move {
                    for round in 0..rounds {
                        let mut tries = 0;
                        let index = loop {
                            tries += 1;
                            assert!(tries < 200, "a barrier round never fills");
                            wander(&rng).await;
                            if let Some(res) = maybe_cut(&rng, 3, barrier.wait()).await {
                                break res.expect("nobody aborts");
                            }
                        };
                        passed.borrow_mut().push((round, index));
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let passed = passed.borrow();
        for round in 0..rounds {
            let mut indices: Vec<_> = passed
                .iter()
                .filter(|(r, _)| *r == round)
                .map(|(_, i)| *i)
                .collect();
            indices.sort_unstable();
            assert_eq!(
                indices,
                (0..parties).collect::<Vec<_>>(),
                "round {round}: {passed:?}"
            );
        }
        assert_eq!(barrier.n_waiting(), 0);
    });
}

#[test]
fn explore_barrier() {
    explore("Barrier", barrier_scenario);
}

// ---------------------------------------------------------------------------------------
// broadcast

fn broadcast_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let (tx, rx) = broadcast::channel::<u32>(1 + rng.below(4) as usize);
        let last = 20u32;
        let receivers: Rc<Vec<Task<Option<u32>>>> = Rc::new(
            (0..1 + rng.below(4))
                .map(|_| {
                    let (rx, rng) = (rx.resubscribe(), rng.clone());
                    corio::spawn(async move {
                        let mut seen: Option<u32> = None;
                        loop {
                            wander(&rng).await;
                            match maybe_cut(&rng, 3, rx.recv()).await {
                                None => {}
                                Some(Ok(v)) => {
                                    assert!(seen.is_none_or(|s| v > s), "{v} after {seen:?}");
                                    seen = Some(v);
                                }
                                Some(Err(broadcast::RecvError::Lagged(_))) => {}
                                Some(Err(broadcast::RecvError::Closed)) => return seen,
                            }
                        }
                    })
                })
                .collect(),
        );
        drop(rx);
        let sender = corio::spawn({
            let rng = rng.clone();
            async move {
                for v in 0..=last {
                    wander(&rng).await;
                    let _ = tx.send(v); // no receiver left is fine
                }
            }
        });
        let chaos = spawn_chaos(rng.clone(), receivers.clone(), rng.below(3));
        sender.await.unwrap();
        chaos.await.unwrap();
        let Ok(receivers) = Rc::try_unwrap(receivers) else {
            panic!("the chaos task holds no handle");
        };
        for r in receivers {
            match r.await {
                // Every value is retained until read or overwritten: the last one is read.
                Ok(seen) => assert_eq!(seen, Some(last)),
                Err(e) => assert!(e.is_cancelled()),
            }
        }
    });
}

#[test]
fn explore_broadcast() {
    explore("broadcast", broadcast_scenario);
}

// ---------------------------------------------------------------------------------------
// watch

fn watch_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        let (tx, rx) = watch::channel(0u32);
        let last = 20u32;
        let receivers: Rc<Vec<Task<u32>>> = Rc::new(
            (0..1 + rng.below(4))
                .map(|_| {
                    let (rx, rng) = (rx.clone(), rng.clone());
                    corio::spawn(async move {
                        let mut seen = 0;
                        loop {
                            wander(&rng).await;
                            match maybe_cut(&rng, 3, rx.changed()).await {
                                None => {}
                                Some(Ok(())) => {
                                    let v = *rx.borrow_and_update();
                                    assert!(v >= seen, "{v} after {seen}");
                                    seen = v;
                                }
                                Some(Err(_)) => break,
                            }
                        }
                        // Closed: the latest value is still there to read.
                        let v = *rx.borrow();
                        assert!(v >= seen);
                        v
                    })
                })
                .collect(),
        );
        drop(rx);
        let sender = corio::spawn({
            let rng = rng.clone();
            async move {
                for v in 1..=last {
                    wander(&rng).await;
                    if rng.chance(2) {
                        let _ = tx.send(v);
                    } else {
                        tx.send_modify(|x| *x = v);
                    }
                }
            }
        });
        let chaos = spawn_chaos(rng.clone(), receivers.clone(), rng.below(3));
        sender.await.unwrap();
        chaos.await.unwrap();
        let Ok(receivers) = Rc::try_unwrap(receivers) else {
            panic!("the chaos task holds no handle");
        };
        for r in receivers {
            match r.await {
                Ok(v) => assert_eq!(v, last),
                Err(e) => assert!(e.is_cancelled()),
            }
        }
    });
}

#[test]
fn explore_watch() {
    explore("watch", watch_scenario);
}

// ---------------------------------------------------------------------------------------
// Joins in a random DAG, with any task cancelled

/// Task handles shared by the awaiting tasks and the chaos task: each task awaits one
/// earlier task through its slot (polled in place, so the handle stays where the chaos task
/// can cancel it), and any task may be cancelled while it awaits or is awaited.
fn join_dag_scenario(seed: u64) {
    run_seed(seed, |rng| async move {
        type Slots = Rc<RefCell<Vec<Option<Task<u32>>>>>;
        let slots: Slots = Rc::default();
        let claimed: Rc<RefCell<Vec<bool>>> = Rc::default();
        let n = 2 + rng.below(6) as usize;
        for i in 0..n {
            // Await an earlier task nobody awaits yet, if the seed says so.
            let target = (i > 0 && rng.chance(2))
                .then(|| rng.below(i as u64) as usize)
                .filter(|&j| !claimed.borrow()[j]);
            if let Some(j) = target {
                claimed.borrow_mut()[j] = true;
            }
            claimed.borrow_mut().push(false);
            let (rng2, slots2) = (rng.clone(), slots.clone());
            let task = corio::spawn(async move {
                wander(&rng2).await;
                let below = match target {
                    None => 0,
                    Some(j) => {
                        let joined = std::future::poll_fn(|cx| {
                            let mut slots = slots2.borrow_mut();
                            let task = slots[j].as_mut().expect("awaited once");
                            std::pin::Pin::new(task).poll(cx)
                        });
                        match maybe_cut(&rng2, 4, joined).await {
                            Some(Ok(v)) => v,
                            Some(Err(e)) => {
                                assert!(e.is_cancelled(), "{e}");
                                0
                            }
                            None => 0, // cut: the handle stays, the task runs on
                        }
                    }
                };
                wander(&rng2).await;
                below + 1
            });
            slots.borrow_mut().push(Some(task));
        }
        let chaos = corio::spawn({
            let (rng, slots) = (rng.clone(), slots.clone());
            async move {
                for _ in 0..rng.below(4) {
                    wander(&rng).await;
                    let i = rng.below(n as u64) as usize;
                    // `cancel` drops the task's future now: take the handle out first so
                    // that no borrow of the slots is held while its destructors run.
                    let task = slots.borrow_mut()[i].take();
                    if let Some(task) = &task {
                        task.cancel();
                    }
                    slots.borrow_mut()[i] = task;
                }
            }
        });
        chaos.await.unwrap();
        // Await the roots, the tasks nobody awaits: each chain of awaits ends at one, so
        // every await in the DAG has returned once they are done (none may hang). The
        // awaited tasks' handles stay in their slots; the loop's shutdown takes them.
        for i in 0..n {
            if claimed.borrow()[i] {
                continue;
            }
            let task = slots.borrow_mut()[i].take().expect("a root's handle");
            match task.await {
                Ok(v) => assert!(v >= 1),
                Err(e) => assert!(e.is_cancelled(), "{e}"),
            }
        }
    });
}

#[test]
fn explore_join_dag() {
    explore("join DAG", join_dag_scenario);
}
