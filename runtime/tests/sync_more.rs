//! Barrier, BoundedSemaphore, broadcast and watch (issue 18), on the loop and from
//! `#[corio::coroutine]` bodies, with the cancellation cases.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use corio::sync::{Barrier, BoundedSemaphore};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[corio::coroutine]
async fn phased_worker(id: u64, barrier: Barrier, log: Rc<RefCell<Vec<(u32, u64)>>>) -> u32 {
    let mut leader_rounds = 0;
    for phase in 0..3u32 {
        // Workers take different times, so they arrive in different orders.
        corio::sleep(ms((id * 7 + u64::from(phase) * 3) % 5)).await;
        log.borrow_mut().push((phase, id));
        let index = barrier.wait().await.unwrap();
        if index == barrier.parties() - 1 {
            leader_rounds += 1;
        }
    }
    leader_rounds
}

#[test]
fn a_barrier_keeps_phases_apart_from_a_coroutine() {
    corio::run(async {
        let n = 5;
        let barrier = Barrier::new(n);
        let log = Rc::new(RefCell::new(Vec::new()));
        let workers: Vec<_> = (0..n as u64)
            .map(|id| corio::spawn(phased_worker(id, barrier.clone(), log.clone())))
            .collect();
        let mut leaders = 0;
        for worker in workers {
            leaders += worker.await.unwrap();
        }
        // One leader per round, and nobody logged phase k+1 before everyone logged phase k.
        assert_eq!(leaders, 3);
        let phases: Vec<u32> = log.borrow().iter().map(|&(p, _)| p).collect();
        let mut sorted = phases.clone();
        sorted.sort_unstable();
        assert_eq!(phases, sorted, "{:?}", log.borrow());
        assert_eq!(phases.len(), 15);
    });
}

#[test]
fn a_cancelled_barrier_waiter_leaves_the_round() {
    corio::run(async {
        let barrier = Barrier::new(2);
        let quitter = corio::spawn(barrier.wait());
        corio::yield_now().await;
        assert_eq!(barrier.n_waiting(), 1);
        quitter.cancel();
        assert_eq!(barrier.n_waiting(), 0);
        let a = corio::spawn(barrier.wait());
        corio::yield_now().await;
        assert!(!a.is_finished(), "a needs a real partner");
        assert_eq!(barrier.wait().await, Ok(1));
        assert_eq!(a.await.unwrap(), Ok(0));
    });
}

#[test]
fn abort_fails_the_waiters_until_reset() {
    corio::run(async {
        let barrier = Barrier::new(3);
        let waiters: Vec<_> = (0..2).map(|_| corio::spawn(barrier.wait())).collect();
        corio::sleep(ms(1)).await;
        barrier.abort();
        for w in waiters {
            assert!(w.await.unwrap().is_err());
        }
        assert!(barrier.wait().await.is_err());
        barrier.reset();
        let again: Vec<_> = (0..2).map(|_| corio::spawn(barrier.wait())).collect();
        corio::yield_now().await;
        assert_eq!(barrier.wait().await, Ok(2));
        for w in again {
            assert!(w.await.unwrap().is_ok());
        }
    });
}

#[corio::coroutine]
async fn limited(slots: BoundedSemaphore, running: Rc<RefCell<(u32, u32)>>) {
    // asyncio style: acquire and release by hand.
    slots.acquire().await.forget();
    {
        let mut r = running.borrow_mut();
        r.0 += 1;
        r.1 = r.1.max(r.0);
    }
    corio::sleep(ms(2)).await;
    running.borrow_mut().0 -= 1;
    slots.release().unwrap();
}

#[test]
fn a_bounded_semaphore_limits_concurrency_from_a_coroutine() {
    corio::run(async {
        let slots = BoundedSemaphore::new(3);
        let running = Rc::new(RefCell::new((0, 0)));
        let tasks: Vec<_> = (0..10)
            .map(|_| corio::spawn(limited(slots.clone(), running.clone())))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(running.borrow().1, 3, "at most 3 at once, and 3 reached");
        assert_eq!(slots.available_permits(), 3);
        assert!(slots.release().is_err(), "every forgotten permit came back");
    });
}

#[test]
fn a_cancelled_bounded_semaphore_waiter_passes_its_permit_on() {
    corio::run(async {
        let slots = BoundedSemaphore::new(1);
        slots.acquire().await.forget();
        let first = corio::spawn(slots.acquire());
        let second = corio::spawn(slots.acquire());
        corio::yield_now().await;
        slots.release().unwrap(); // handed to `first`, which has not run yet
        first.cancel();
        let permit = second.await.unwrap();
        assert_eq!(slots.available_permits(), 0);
        drop(permit);
        assert_eq!(slots.available_permits(), 1);
    });
}

// ---- broadcast: against tokio's broadcast channel as the oracle ----

use corio::sync::{broadcast, watch};

/// What a `try_recv` gave, in terms both channels share.
#[derive(Debug, PartialEq)]
enum Got {
    Value(u32),
    Empty,
    Closed,
    Lagged(u64),
}

fn from_corio(r: Result<u32, broadcast::TryRecvError>) -> Got {
    match r {
        Ok(v) => Got::Value(v),
        Err(broadcast::TryRecvError::Empty) => Got::Empty,
        Err(broadcast::TryRecvError::Closed) => Got::Closed,
        Err(broadcast::TryRecvError::Lagged(n)) => Got::Lagged(n),
    }
}

fn from_tokio(r: Result<u32, tokio::sync::broadcast::error::TryRecvError>) -> Got {
    use tokio::sync::broadcast::error::TryRecvError;
    match r {
        Ok(v) => Got::Value(v),
        Err(TryRecvError::Empty) => Got::Empty,
        Err(TryRecvError::Closed) => Got::Closed,
        Err(TryRecvError::Lagged(n)) => Got::Lagged(n),
    }
}

#[test]
fn broadcast_matches_tokio_on_random_programs() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for program in 0..200 {
        // tokio rounds capacities up to a power of two; use those.
        let capacity = 1 << rand(4);
        let (ctx, crx) = broadcast::channel::<u32>(capacity);
        let (ttx, trx) = tokio::sync::broadcast::channel::<u32>(capacity);
        let mut ours = vec![crx];
        let mut theirs = vec![trx];
        let (mut ctx, mut ttx) = (Some(ctx), Some(ttx));
        let mut log = Vec::new();
        for step in 0..60u32 {
            match rand(10) {
                0..=3 => {
                    if let (Some(c), Some(t)) = (&ctx, &ttx) {
                        let (a, b) = (c.send(step).ok(), t.send(step).ok());
                        log.push(format!("send {step} -> {a:?}"));
                        assert_eq!(a, b, "program {program}: {log:?}");
                    }
                }
                4..=7 if !ours.is_empty() => {
                    let i = rand(ours.len() as u64) as usize;
                    let (a, b) = (
                        from_corio(ours[i].try_recv()),
                        from_tokio(theirs[i].try_recv()),
                    );
                    log.push(format!("try_recv {i} -> {a:?}"));
                    assert_eq!(a, b, "program {program}: {log:?}");
                }
                8 => {
                    if let (Some(c), Some(t)) = (&ctx, &ttx) {
                        ours.push(c.subscribe());
                        theirs.push(t.subscribe());
                        log.push("subscribe".to_owned());
                    } else if !ours.is_empty() {
                        let i = rand(ours.len() as u64) as usize;
                        ours.push(ours[i].resubscribe());
                        theirs.push(theirs[i].resubscribe());
                        log.push(format!("resubscribe {i}"));
                    }
                }
                _ if !ours.is_empty() && rand(4) == 0 => {
                    let i = rand(ours.len() as u64) as usize;
                    ours.remove(i);
                    theirs.remove(i);
                    log.push(format!("drop receiver {i}"));
                }
                _ if rand(8) == 0 => {
                    ctx = None;
                    ttx = None;
                    log.push("drop sender".to_owned());
                }
                _ => {}
            }
        }
    }
}

#[corio::coroutine]
async fn listener(rx: broadcast::Receiver<u32>) -> (Vec<u32>, u64) {
    let mut got = Vec::new();
    let mut missed = 0;
    loop {
        // Braced arms: unbraced expression arms under an awaited scrutinee in a loop do not
        // compile yet (pass finding F9).
        match rx.recv().await {
            Ok(v) => {
                got.push(v);
            }
            Err(broadcast::RecvError::Lagged(n)) => {
                missed += n;
            }
            Err(broadcast::RecvError::Closed) => {
                break;
            }
        }
    }
    (got, missed)
}

#[test]
fn broadcast_from_coroutines_every_listener_sees_every_value_or_counts_the_lag() {
    corio::run(async {
        let (tx, rx) = broadcast::channel(4);
        let fast = corio::spawn(listener(rx));
        let slow_rx = tx.subscribe();
        corio::yield_now().await;
        for v in 0..10 {
            tx.send(v).unwrap();
            corio::yield_now().await; // `fast` keeps up
        }
        let slow = corio::spawn(listener(slow_rx)); // starts 10 values behind
        drop(tx);
        assert_eq!(fast.await.unwrap(), ((0..10).collect(), 0));
        assert_eq!(slow.await.unwrap(), ((6..10).collect(), 6));
    });
}

#[test]
fn a_cancelled_broadcast_recv_leaves_the_value_for_the_next() {
    corio::run(async {
        let (tx, rx) = broadcast::channel(4);
        let waiting = corio::spawn({
            let rx = rx.clone();
            async move { rx.recv().await }
        });
        corio::yield_now().await;
        tx.send(1).unwrap(); // wakes `waiting`, which has not run yet
        waiting.cancel();
        assert_eq!(rx.recv().await, Ok(1));
    });
}

// ---- watch ----

#[corio::coroutine]
async fn config_follower(rx: watch::Receiver<u32>, seen: Rc<RefCell<Vec<u32>>>) -> usize {
    let mut changes = 0;
    seen.borrow_mut().push(rx.get());
    while rx.changed().await.is_ok() {
        changes += 1;
        seen.borrow_mut().push(rx.get());
    }
    changes
}

#[test]
fn watch_from_a_coroutine_sees_the_latest_value_only() {
    corio::run(async {
        let (tx, rx) = watch::channel(0u32);
        let seen = Rc::new(RefCell::new(Vec::new()));
        let follower = corio::spawn(config_follower(rx, seen.clone()));
        corio::yield_now().await;
        tx.send(1).unwrap();
        corio::yield_now().await;
        // Three sends while the follower is not running: it wakes once, to the last.
        tx.send(2).unwrap();
        tx.send_modify(|v| *v += 1);
        assert_eq!(tx.send_replace(4), 3);
        corio::yield_now().await;
        drop(tx);
        assert_eq!(follower.await.unwrap(), 2);
        assert_eq!(*seen.borrow(), [0, 1, 4]);
    });
}

#[test]
fn watch_matches_tokio_on_a_script() {
    // The same script on both; every observable answer must agree.
    let (ctx, crx) = watch::channel(0u32);
    let (ttx, mut trx) = tokio::sync::watch::channel(0u32);
    let mut answers = Vec::new();
    answers.push((crx.has_changed().ok(), trx.has_changed().ok()));
    ctx.send(1).unwrap();
    ttx.send(1).unwrap();
    let (crx2, trx2) = (crx.clone(), trx.clone());
    answers.push((crx2.has_changed().ok(), trx2.has_changed().ok()));
    answers.push((
        Some(*crx.borrow_and_update() == 1),
        Some(*trx.borrow_and_update() == 1),
    ));
    answers.push((crx.has_changed().ok(), trx.has_changed().ok()));
    answers.push((crx2.has_changed().ok(), trx2.has_changed().ok()));
    drop((crx, crx2, trx, trx2));
    answers.push((Some(ctx.send(2).is_err()), Some(ttx.send(2).is_err())));
    answers.push((Some(*ctx.borrow() == 1), Some(*ttx.borrow() == 1)));
    let (crx3, trx3) = (ctx.subscribe(), ttx.subscribe());
    answers.push((crx3.has_changed().ok(), trx3.has_changed().ok()));
    drop((ctx, ttx));
    answers.push((crx3.has_changed().ok(), trx3.has_changed().ok()));
    for (i, (ours, theirs)) in answers.iter().enumerate() {
        assert_eq!(ours, theirs, "answer {i}: {answers:?}");
    }
}
