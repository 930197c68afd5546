//! `Queue::shutdown(immediate)` (issue 18), asyncio 3.13's semantics: every blocked caller
//! is released, puts fail, gets drain what is left (or nothing, when immediate), and `join`
//! sees drained items as done.

use std::time::Duration;

use corio::sync::{LifoQueue, PriorityQueue, Queue, QueueShutDown, TryGetError, TryPutError};

#[test]
fn shutdown_releases_blocked_putters_with_their_items_and_lets_getters_drain() {
    corio::run(async {
        let queue = Queue::new(1);
        queue.put(1).await.unwrap();
        let blocked = corio::spawn({
            let queue = queue.clone();
            async move { queue.put(2).await }
        });
        corio::yield_now().await;
        queue.shutdown(false);
        assert!(queue.is_shutdown());
        // The blocked put gets its item back; new puts fail the same way.
        assert_eq!(blocked.await.unwrap(), Err(QueueShutDown(2)));
        assert_eq!(queue.put(3).await, Err(QueueShutDown(3)));
        assert_eq!(queue.put_nowait(4), Err(TryPutError::ShutDown(4)));
        // What was in the queue can still be taken; then gets fail.
        assert_eq!(queue.get().await, Ok(1));
        assert_eq!(queue.get().await, Err(QueueShutDown(())));
        assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
    });
}

#[test]
fn shutdown_releases_blocked_getters() {
    corio::run(async {
        let queue = Queue::<u8>::new(0);
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let queue = queue.clone();
                corio::spawn(async move { queue.get().await })
            })
            .collect();
        corio::yield_now().await;
        queue.shutdown(false);
        for getter in getters {
            assert_eq!(getter.await.unwrap(), Err(QueueShutDown(())));
        }
    });
}

#[test]
fn immediate_shutdown_drops_the_items_and_counts_them_done() {
    corio::run(async {
        let queue = Queue::new(0);
        for i in 0..3 {
            queue.put(i).await.unwrap();
        }
        let got = queue.get().await.unwrap();
        assert_eq!(got, 0);
        let joiner = corio::spawn({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        corio::yield_now().await;
        assert!(!joiner.is_finished(), "3 unfinished");
        queue.shutdown(true);
        assert_eq!(queue.len(), 0);
        corio::yield_now().await;
        assert!(
            !joiner.is_finished(),
            "the item being worked on is still unfinished"
        );
        queue.task_done().unwrap();
        joiner.await.unwrap();
        assert_eq!(queue.get().await, Err(QueueShutDown(())));
    });
}

#[test]
fn a_getter_cancelled_after_the_shutdown_hands_its_item_on() {
    corio::run(async {
        let queue = Queue::new(0);
        let first = corio::spawn({
            let queue = queue.clone();
            async move { queue.get().await }
        });
        let second = corio::spawn({
            let queue = queue.clone();
            async move { queue.get().await }
        });
        corio::yield_now().await;
        queue.put(7).await.unwrap(); // handed to `first`, which has not run yet
        queue.shutdown(false); // `second` waits on an empty queue: released empty-handed
        first.cancel();
        assert_eq!(second.await.unwrap(), Err(QueueShutDown(())));
        // The 7 was accepted before the shutdown, so it is still there to get (in asyncio it
        // never left the queue).
        assert_eq!(queue.get_nowait(), Ok(7));
        assert_eq!(queue.get_nowait(), Err(TryGetError::ShutDown));
    });
}

#[test]
fn an_item_handed_to_a_getter_cancelled_after_an_immediate_shutdown_counts_as_done() {
    corio::run(async {
        let queue = Queue::new(0);
        queue.put(0).await.unwrap();
        assert_eq!(queue.get_nowait(), Ok(0)); // being worked on: 1 unfinished
        let getter = corio::spawn({
            let queue = queue.clone();
            async move { queue.get().await }
        });
        let joiner = corio::spawn({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        corio::yield_now().await; // both wait
        queue.put(7).await.unwrap(); // handed to `getter`, which has not run yet
        queue.shutdown(true);
        queue.task_done().unwrap(); // the 0 is done; the 7 is still unfinished
        assert!(!joiner.is_finished());
        getter.cancel(); // the 7 is dropped with the queue's other items
        // ... and counts as done, so `join` returns (bounded: a regression must not hang).
        corio::timeout(Duration::from_secs(5), joiner)
            .await
            .expect("join returned")
            .unwrap();
        assert_eq!(queue.get().await, Err(QueueShutDown(())));
    });
}

#[test]
fn an_immediate_shutdown_takes_back_an_item_handed_to_a_getter_that_has_not_run() {
    corio::run(async {
        let queue = Queue::new(0);
        let getter = corio::spawn({
            let queue = queue.clone();
            async move { queue.get().await }
        });
        corio::yield_now().await;
        queue.put(7).await.unwrap(); // handed to `getter`: still in the queue until it runs
        assert_eq!(queue.len(), 1);
        let joiner = corio::spawn({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        queue.shutdown(true);
        // As in asyncio, where the 7 was still in the queue: drained, and the get fails.
        assert_eq!(getter.await.unwrap(), Err(QueueShutDown(())));
        assert_eq!(queue.len(), 0);
        corio::timeout(Duration::from_secs(5), joiner)
            .await
            .expect("join returned")
            .unwrap();
    });
}

#[test]
fn the_other_orders_shut_down_the_same_way() {
    corio::run(async {
        let prio = PriorityQueue::new(0);
        let lifo = LifoQueue::new(0);
        for q in [prio.as_queue(), lifo.as_queue()] {
            q.put(2).await.unwrap();
            q.put(1).await.unwrap();
            q.shutdown(false);
            assert!(q.put(3).await.is_err());
        }
        assert_eq!(prio.get().await, Ok(1));
        assert_eq!(lifo.get().await, Ok(1));
        assert_eq!(prio.get().await, Ok(2));
        assert_eq!(lifo.get().await, Ok(2));
        assert!(prio.get().await.is_err() && lifo.get().await.is_err());
    });
}

#[corio::coroutine]
async fn consume(queue: Queue<u32>) -> Vec<u32> {
    let mut got = Vec::new();
    // asyncio: `while True: item = await q.get()` until QueueShutDown.
    while let Ok(item) = queue.get().await {
        got.push(item);
        queue.task_done().unwrap();
        corio::sleep(Duration::from_millis(1)).await;
    }
    got
}

#[corio::coroutine]
async fn produce(queue: Queue<u32>, n: u32) -> u32 {
    let mut sent = 0;
    for i in 0..n {
        if queue.put(i).await.is_err() {
            break;
        }
        sent += 1;
    }
    sent
}

#[test]
fn producers_and_consumers_in_coroutines_stop_on_shutdown() {
    corio::run(async {
        let queue = Queue::new(2);
        let consumer = corio::spawn(consume(queue.clone()));
        let producer = corio::spawn(produce(queue.clone(), 1_000_000));
        corio::sleep(Duration::from_millis(10)).await;
        queue.shutdown(false);
        let sent = producer.await.unwrap();
        let got = consumer.await.unwrap();
        assert!(sent < 1_000_000);
        // Everything that was accepted was consumed, in order.
        assert_eq!(got, (0..sent).collect::<Vec<_>>());
    });
}
