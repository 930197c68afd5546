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
