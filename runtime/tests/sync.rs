//! `corio::sync` through its public API: many tasks on a real single-threaded executor
//! (futures' `LocalPool`, until corio's loop lands), the `'static + Unpin` promise, and
//! seeded random schedules of polls and cancellations checked against FIFO and
//! no-lost-permit invariants.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use corio::sync::{Condition, Event, Lock, Queue, Semaphore, mpsc, oneshot};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

/// Yields once to the executor, so that other tasks run in between.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_now() -> YieldNow {
    YieldNow(false)
}

fn run_tasks(tasks: impl IntoIterator<Item = Pin<Box<dyn Future<Output = ()>>>>) {
    let mut pool = LocalPool::new();
    for task in tasks {
        pool.spawner().spawn_local(task).unwrap();
    }
    pool.run();
}

mod api {
    use super::*;

    fn static_unpin<F: Future + Unpin + 'static>(_: &F) {}

    #[test]
    fn every_future_is_static_and_unpin_even_for_unpin_less_items() {
        // `PhantomPinned` items: the futures must still be `Unpin`.
        type Item = std::marker::PhantomPinned;
        let event = Event::new();
        let lock = Lock::new(Item::default());
        let semaphore = Semaphore::new(1);
        let condition = Condition::new();
        let queue = Queue::<Item>::new(1);
        let (tx, rx) = mpsc::channel::<Item>(1);
        let (_otx, orx) = oneshot::channel::<Item>();

        static_unpin(&event.wait());
        static_unpin(&lock.lock());
        static_unpin(&semaphore.acquire());
        let guard = lock.try_lock().unwrap();
        let wait = condition.wait(guard);
        static_unpin(&wait);
        drop(wait);
        static_unpin(&condition.wait_for(lock.try_lock().unwrap(), |_| true));
        static_unpin(&queue.put(Item::default()));
        static_unpin(&queue.get());
        static_unpin(&queue.join());
        static_unpin(&tx.send(Item::default()));
        static_unpin(&rx.recv());
        static_unpin(&orx);
    }

    #[test]
    fn debug_output_shows_waiter_counts() {
        let lock = Lock::new(0);
        let held = lock.try_lock().unwrap();
        let mut pool = LocalPool::new();
        let waiter = lock.lock();
        pool.spawner()
            .spawn_local(async move { drop(waiter.await) })
            .unwrap();
        pool.run_until_stalled();
        assert_eq!(format!("{lock:?}"), "Lock { locked: true, waiters: 1 }");
        assert_eq!(format!("{held:?}"), "LockGuard(0)");
        drop(held);
        pool.run();
        assert_eq!(format!("{lock:?}"), "Lock { locked: false, waiters: 0 }");
    }
}

mod tasks {
    use super::*;

    #[test]
    fn lock_serialises_read_modify_write_across_suspensions() {
        let counter = Lock::new(0u32);
        let order = Rc::new(RefCell::new(Vec::new()));
        run_tasks((0..8).map(|id| {
            let (counter, order) = (counter.clone(), order.clone());
            Box::pin(async move {
                for _ in 0..10 {
                    let mut guard = counter.lock().await;
                    order.borrow_mut().push(id);
                    let seen = *guard;
                    yield_now().await; // others queue up behind us meanwhile
                    *guard = seen + 1;
                }
            }) as Pin<Box<dyn Future<Output = ()>>>
        }));
        assert_eq!(*counter.try_lock().unwrap(), 80);
        // FIFO with everyone queued: the lock goes round robin.
        let order = order.borrow();
        assert!(
            order
                .chunks(8)
                .all(|round| round == [0, 1, 2, 3, 4, 5, 6, 7]),
            "{order:?}"
        );
    }

    #[test]
    fn semaphore_bounds_concurrency() {
        let semaphore = Semaphore::new(3);
        let (now, max) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        run_tasks((0..10).map(|_| {
            let (semaphore, now, max) = (semaphore.clone(), now.clone(), max.clone());
            Box::pin(async move {
                for _ in 0..5 {
                    let _permit = semaphore.acquire().await;
                    now.set(now.get() + 1);
                    max.set(max.get().max(now.get()));
                    yield_now().await;
                    now.set(now.get() - 1);
                }
            }) as Pin<Box<dyn Future<Output = ()>>>
        }));
        assert_eq!(max.get(), 3);
        assert_eq!(semaphore.available_permits(), 3);
    }

    #[test]
    fn queue_with_several_producers_and_consumers_and_join() {
        let queue = Queue::new(4);
        let total = Rc::new(Cell::new(0u64));
        let joined = Rc::new(Cell::new(false));
        let mut tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
        for p in 0..3u64 {
            let queue = queue.clone();
            tasks.push(Box::pin(async move {
                for i in 0..100 {
                    queue.put(p * 1000 + i).await.unwrap();
                }
            }));
        }
        for _ in 0..2 {
            let (queue, total) = (queue.clone(), total.clone());
            tasks.push(Box::pin(async move {
                loop {
                    let item = queue.get().await.unwrap();
                    if item == u64::MAX {
                        queue.task_done().unwrap();
                        break;
                    }
                    total.set(total.get() + item);
                    yield_now().await;
                    queue.task_done().unwrap();
                }
            }));
        }
        {
            let (queue, joined, total) = (queue.clone(), joined.clone(), total.clone());
            tasks.push(Box::pin(async move {
                yield_now().await;
                queue.join().await;
                assert_eq!(
                    total.get(),
                    3 * (0..100).sum::<u64>() + 1000 * 100 + 2000 * 100
                );
                joined.set(true);
                queue.put(u64::MAX).await.unwrap();
                queue.put(u64::MAX).await.unwrap();
            }));
        }
        run_tasks(tasks);
        assert!(joined.get());
        assert!(queue.is_empty());
        assert_eq!(queue.task_done(), Err(corio::sync::TaskDoneError));
    }

    #[test]
    fn mpsc_keeps_each_producers_order_and_ends_with_none() {
        let (tx, rx) = mpsc::channel(2);
        let got = Rc::new(RefCell::new(Vec::new()));
        let mut tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
        for p in 0..3 {
            let tx = tx.clone();
            tasks.push(Box::pin(async move {
                for i in 0..50 {
                    tx.send((p, i)).await.unwrap();
                }
            }));
        }
        drop(tx);
        let sink = got.clone();
        tasks.push(Box::pin(async move {
            while let Some(item) = rx.recv().await {
                sink.borrow_mut().push(item);
            }
        }));
        run_tasks(tasks);
        let got = got.borrow();
        assert_eq!(got.len(), 150);
        for p in 0..3 {
            let mine: Vec<_> = got
                .iter()
                .filter(|(q, _)| *q == p)
                .map(|(_, i)| *i)
                .collect();
            assert_eq!(mine, (0..50).collect::<Vec<_>>());
        }
    }

    #[test]
    fn request_reply_over_mpsc_and_oneshot() {
        let (tx, rx) = mpsc::channel::<(u32, oneshot::Sender<u32>)>(1);
        let server = async move {
            while let Some((n, reply)) = rx.recv().await {
                reply.send(n * 2).unwrap();
            }
        };
        let client = async move {
            for n in 0..100 {
                let (reply_tx, reply_rx) = oneshot::channel();
                tx.send((n, reply_tx)).await.unwrap();
                assert_eq!(reply_rx.await, Ok(n * 2));
            }
        };
        run_tasks([
            Box::pin(server) as Pin<Box<dyn Future<Output = ()>>>,
            Box::pin(client),
        ]);
    }

    #[test]
    fn condition_guards_a_bounded_buffer() {
        let state = Lock::new(Vec::new());
        let changed = Condition::new();
        let consumed = Rc::new(RefCell::new(Vec::new()));
        let producer = {
            let (state, changed) = (state.clone(), changed.clone());
            async move {
                for i in 0..20 {
                    let mut buf = changed.wait_for(state.lock().await, |b| b.len() < 2).await;
                    buf.push(i);
                    changed.notify_all();
                }
            }
        };
        let consumer = {
            let (state, changed, consumed) = (state.clone(), changed.clone(), consumed.clone());
            async move {
                while consumed.borrow().len() < 20 {
                    let mut buf = changed
                        .wait_for(state.lock().await, |b| !b.is_empty())
                        .await;
                    consumed.borrow_mut().push(buf.remove(0));
                    changed.notify_all();
                    drop(buf);
                    yield_now().await;
                }
            }
        };
        run_tasks([
            Box::pin(producer) as Pin<Box<dyn Future<Output = ()>>>,
            Box::pin(consumer),
        ]);
        assert_eq!(*consumed.borrow(), (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn event_releases_every_waiter() {
        let event = Event::new();
        let woken = Rc::new(Cell::new(0));
        let mut tasks: Vec<Pin<Box<dyn Future<Output = ()>>>> = (0..5)
            .map(|_| {
                let (event, woken) = (event.clone(), woken.clone());
                Box::pin(async move {
                    event.wait().await;
                    woken.set(woken.get() + 1);
                }) as Pin<Box<dyn Future<Output = ()>>>
            })
            .collect();
        let setter = event.clone();
        tasks.push(Box::pin(async move {
            yield_now().await;
            setter.set();
        }));
        run_tasks(tasks);
        assert_eq!(woken.get(), 5);
    }
}

/// Seeded random schedules, polled by hand: create waiters, poll them, drop them (queued or
/// already served), release what was acquired, and check the primitive's promises after
/// every step.
mod schedules {
    use super::*;

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
        }
    }

    #[derive(Default)]
    struct Flag(AtomicUsize);

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A waiter under test: its future, its waker, and its arrival number.
    struct Waiter<F> {
        fut: F,
        flag: Arc<Flag>,
        seq: usize,
        queued: bool,
    }

    impl<F: Future + Unpin> Waiter<F> {
        fn new(fut: F, seq: usize) -> Self {
            Self {
                fut,
                flag: Arc::default(),
                seq,
                queued: false,
            }
        }

        fn poll(&mut self) -> Poll<F::Output> {
            let waker = Waker::from(self.flag.clone());
            let poll = Pin::new(&mut self.fut).poll(&mut Context::from_waker(&waker));
            self.queued = poll.is_pending();
            poll
        }
    }

    impl<F> Waiter<F> {
        fn woken(&self) -> bool {
            self.flag.0.load(Ordering::SeqCst) > 0
        }
    }

    /// Checks FIFO without barging: a queued waiter is only ever woken after every waiter
    /// that queued before it and is still waiting has been woken too.
    fn assert_fifo<F>(waiters: &[Waiter<F>]) {
        let mut queued: Vec<_> = waiters.iter().filter(|w| w.queued).collect();
        queued.sort_by_key(|w| w.seq);
        let woken: Vec<_> = queued.iter().map(|w| w.woken()).collect();
        assert!(
            woken.windows(2).all(|w| w[0] || !w[1]),
            "woken out of order: {woken:?}"
        );
    }

    #[test]
    fn semaphore_never_loses_or_duplicates_permits() {
        for seed in 1..200u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let permits = 1 + rng.below(3);
            let semaphore = Semaphore::new(permits);
            let mut waiters = Vec::new();
            let mut held = Vec::new();
            for seq in 0..60 {
                match rng.below(5) {
                    0 | 1 => {
                        let mut w = Waiter::new(semaphore.acquire(), seq);
                        if let Poll::Ready(p) = w.poll() {
                            held.push(p);
                        } else {
                            waiters.push(w);
                        }
                    }
                    2 if !held.is_empty() => drop(held.swap_remove(rng.below(held.len()))),
                    3 if !waiters.is_empty() => {
                        // Cancel: queued or already handed a permit.
                        drop(waiters.remove(rng.below(waiters.len())));
                    }
                    _ if !waiters.is_empty() => {
                        let i = rng.below(waiters.len());
                        if let Poll::Ready(p) = waiters[i].poll() {
                            held.push(p);
                            waiters.remove(i);
                        }
                    }
                    _ => {}
                }
                assert!(held.len() <= permits);
                assert_fifo(&waiters);
            }
            drop(held);
            // Everyone still waiting gets a permit in turn.
            while !waiters.is_empty() {
                let w = &mut waiters[0];
                assert!(w.woken(), "seed {seed}: the first waiter was not woken");
                let Poll::Ready(p) = w.poll() else {
                    panic!("seed {seed}: woken but pending")
                };
                drop(p);
                waiters.remove(0);
            }
            assert_eq!(semaphore.available_permits(), permits, "seed {seed}");
        }
    }

    #[test]
    fn lock_is_exclusive_fifo_and_never_lost() {
        for seed in 1..200u64 {
            let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
            let lock = Lock::new(0u32);
            let mut waiters = Vec::new();
            let mut guard = None;
            let mut increments = 0;
            for seq in 0..60 {
                match rng.below(4) {
                    0 => {
                        let mut w = Waiter::new(lock.lock(), seq);
                        match w.poll() {
                            Poll::Ready(g) => {
                                assert!(guard.is_none(), "seed {seed}: two guards");
                                guard = Some(g);
                            }
                            Poll::Pending => waiters.push(w),
                        }
                    }
                    1 => {
                        if let Some(mut g) = guard.take() {
                            *g += 1;
                            increments += 1;
                        }
                    }
                    2 if !waiters.is_empty() => drop(waiters.remove(rng.below(waiters.len()))),
                    _ if !waiters.is_empty() => {
                        let i = rng.below(waiters.len());
                        if let Poll::Ready(g) = waiters[i].poll() {
                            assert!(guard.is_none(), "seed {seed}: two guards");
                            guard = Some(g);
                            waiters.remove(i);
                        }
                    }
                    _ => {}
                }
                assert_fifo(&waiters);
            }
            drop(guard);
            for mut w in waiters.drain(..) {
                let Poll::Ready(mut g) = w.poll() else {
                    panic!("seed {seed}: lock lost")
                };
                *g += 1;
                increments += 1;
            }
            assert_eq!(*lock.try_lock().expect("unlocked at the end"), increments);
        }
    }

    #[test]
    fn queue_delivers_every_accepted_item_exactly_once() {
        for seed in 1..200u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 7);
            let queue = Queue::new(1 + rng.below(3));
            let mut getters = Vec::new();
            let mut putters: Vec<(Waiter<_>, u32)> = Vec::new();
            let (mut next, mut accepted, mut received) = (0u32, Vec::new(), Vec::new());
            for seq in 0..80 {
                match rng.below(6) {
                    0 => {
                        let mut w = Waiter::new(queue.get(), seq);
                        match w.poll() {
                            Poll::Ready(item) => received.push(item.unwrap()),
                            Poll::Pending => getters.push(w),
                        }
                    }
                    1 => {
                        let mut w = Waiter::new(queue.put(next), seq);
                        match w.poll() {
                            Poll::Ready(put) => {
                                put.unwrap();
                                accepted.push(next);
                            }
                            Poll::Pending => putters.push((w, next)),
                        }
                        next += 1;
                    }
                    2 if !getters.is_empty() => drop(getters.remove(rng.below(getters.len()))),
                    3 if !putters.is_empty() => {
                        // A dropped putter's item is never accepted, even when room was
                        // reserved for it (the room passes on: issue 16).
                        drop(putters.remove(rng.below(putters.len())));
                    }
                    4 if !getters.is_empty() => {
                        let i = rng.below(getters.len());
                        if let Poll::Ready(item) = getters[i].poll() {
                            received.push(item.unwrap());
                            getters.remove(i);
                        }
                    }
                    _ if !putters.is_empty() => {
                        let i = rng.below(putters.len());
                        if let Poll::Ready(put) = putters[i].0.poll() {
                            put.unwrap();
                            accepted.push(putters.remove(i).1);
                        }
                    }
                    _ => {}
                }
                assert_fifo(&getters);
                let waiting_putters: Vec<_> = putters.iter().map(|(w, _)| w).collect();
                let mut seqs: Vec<_> = waiting_putters.iter().map(|w| (w.seq, w.woken())).collect();
                seqs.sort();
                assert!(
                    seqs.windows(2).all(|s| s[0].1 || !s[1].1),
                    "seed {seed}: putters"
                );
            }
            for (mut w, item) in putters.drain(..) {
                if w.woken() {
                    assert_eq!(w.poll(), Poll::Ready(Ok(())));
                    accepted.push(item);
                }
            }
            for mut w in getters.drain(..) {
                if let Poll::Ready(item) = w.poll() {
                    received.push(item.unwrap());
                }
            }
            while let Ok(item) = queue.get_nowait() {
                received.push(item);
            }
            accepted.sort_unstable();
            let mut sorted = received.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, accepted, "seed {seed}: items lost or duplicated");
        }
    }
}

/// Issue 16, item 3: a wake-up, permit, item or slot handed to a waiter that is cancelled
/// before it runs passes to the next waiter. Each test runs on corio's loop, where
/// `Task::cancel` drops the future at once, between the hand-over and the waiter's next poll.
mod handover_on_cancel {
    use std::time::Duration;

    use super::*;

    /// Lets every ready task run until none is left (a few rounds of the loop).
    async fn settle() {
        for _ in 0..4 {
            corio::yield_now().await;
        }
    }

    /// Fails if `fut` does not complete within a second: a lost hand-over waits forever.
    async fn soon<F: std::future::IntoFuture>(what: &str, fut: F) -> F::Output {
        match corio::timeout(Duration::from_secs(1), fut).await {
            Ok(v) => v,
            Err(_) => panic!("{what} waits forever: a hand-over was lost"),
        }
    }

    #[test]
    fn queue_put_chosen_then_cancelled_passes_the_room_on() {
        corio::run(async {
            let queue = Queue::new(1);
            queue.put_nowait(0).unwrap();
            let a = corio::spawn({
                let queue = queue.clone();
                async move { queue.put(1).await }
            });
            let b = corio::spawn({
                let queue = queue.clone();
                async move { queue.put(2).await }
            });
            settle().await;
            assert_eq!(queue.get_nowait(), Ok(0)); // room: A is chosen
            a.cancel();
            soon("B's put", b).await.unwrap().unwrap();
            assert_eq!(queue.get_nowait(), Ok(2), "A's cancelled put must not land");
            assert_eq!(queue.get_nowait(), Err(corio::sync::TryGetError::Empty));
        });
    }

    #[test]
    fn queue_get_chosen_then_cancelled_passes_the_item_on() {
        corio::run(async {
            let queue = Queue::<u32>::new(0);
            let a = corio::spawn({
                let queue = queue.clone();
                async move { queue.get().await }
            });
            let b = corio::spawn({
                let queue = queue.clone();
                async move { queue.get().await }
            });
            settle().await;
            queue.put_nowait(7).unwrap(); // A is handed the item
            a.cancel();
            assert_eq!(soon("B's get", b).await.unwrap(), Ok(7));
        });
    }

    #[test]
    fn lock_chosen_then_cancelled_passes_the_lock_on() {
        corio::run(async {
            let lock = Lock::new(0u32);
            let guard = lock.lock().await;
            let a = corio::spawn({
                let lock = lock.clone();
                async move { *lock.lock().await += 1 }
            });
            let b = corio::spawn({
                let lock = lock.clone();
                async move { *lock.lock().await += 10 }
            });
            settle().await;
            drop(guard); // A is handed the lock
            a.cancel();
            soon("B's lock", b).await.unwrap();
            assert_eq!(*lock.lock().await, 10);
        });
    }

    #[test]
    fn semaphore_chosen_then_cancelled_passes_the_permit_on() {
        corio::run(async {
            let sem = Semaphore::new(1);
            let permit = sem.acquire().await;
            let a = corio::spawn({
                let sem = sem.clone();
                async move { drop(sem.acquire().await) }
            });
            let b = corio::spawn({
                let sem = sem.clone();
                async move { drop(sem.acquire().await) }
            });
            settle().await;
            drop(permit); // A is handed the permit
            a.cancel();
            soon("B's acquire", b).await.unwrap();
            assert_eq!(sem.available_permits(), 1, "the permit came back");
        });
    }

    #[test]
    fn condition_notify_one_chosen_then_cancelled_passes_the_wakeup_on() {
        corio::run(async {
            let lock = Lock::new(());
            let cond = Condition::new();
            let waiter = |lock: Lock<()>, cond: Condition| async move {
                let guard = lock.lock().await;
                drop(cond.wait(guard).await);
            };
            let a = corio::spawn(waiter(lock.clone(), cond.clone()));
            let b = corio::spawn(waiter(lock.clone(), cond.clone()));
            settle().await;
            {
                let _guard = lock.lock().await;
                cond.notify(); // A is chosen
            }
            a.cancel();
            soon("B's wait", b).await.unwrap();
        });
    }

    #[test]
    fn mpsc_recv_and_send_chosen_then_cancelled_pass_on() {
        corio::run(async {
            let (tx, rx) = mpsc::channel::<u32>(1);
            tx.try_send(0).unwrap();
            let a = corio::spawn({
                let tx = tx.clone();
                async move { tx.send(1).await.unwrap() }
            });
            let b = corio::spawn({
                let tx = tx.clone();
                async move { tx.send(2).await.unwrap() }
            });
            settle().await;
            assert_eq!(rx.try_recv(), Ok(0)); // room: A is chosen
            a.cancel();
            soon("B's send", b).await.unwrap();
            assert_eq!(rx.try_recv(), Ok(2), "A's cancelled send must not land");
        });
    }

    #[test]
    fn oneshot_and_event_wake_waiters_after_a_cancelled_one() {
        corio::run(async {
            let event = Event::new();
            let a = corio::spawn({
                let event = event.clone();
                async move { event.wait().await }
            });
            let b = corio::spawn({
                let event = event.clone();
                async move { event.wait().await }
            });
            settle().await;
            event.set();
            a.cancel();
            soon("B's event wait", b).await.unwrap();

            let (otx, orx) = oneshot::channel::<u32>();
            let r = corio::spawn(orx);
            settle().await;
            otx.send(5).unwrap();
            assert_eq!(soon("the oneshot receiver", r).await.unwrap(), Ok(5));
        });
    }
}
