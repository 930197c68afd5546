//! `PriorityQueue` and `LifoQueue` (issue 18): `Queue`'s API in another order, checked
//! against std's `BinaryHeap` and `Vec`, from coroutines, with the cancellation cases.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use corio::sync::{LifoQueue, PriorityQueue, Queue};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn priority_queue_matches_a_binary_heap_on_random_programs() {
    let mut seed = 0xdead_beef_cafe_f00d_u64;
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..100 {
        let maxsize = rand(6) as usize; // 0 = unbounded
        let queue = PriorityQueue::new(maxsize);
        // The oracle: std's max-heap of Reverse((value, put order)).
        let mut oracle = BinaryHeap::new();
        for step in 0..300u64 {
            if rand(2) == 0 {
                let value = rand(8);
                let full = maxsize != 0 && oracle.len() == maxsize;
                match queue.put_nowait((value, step)) {
                    Ok(()) => {
                        assert!(!full);
                        oracle.push(Reverse((value, step)));
                    }
                    Err(e) => {
                        assert!(full);
                        assert_eq!(e.into_inner(), (value, step));
                    }
                }
            } else {
                let want = oracle.pop().map(|Reverse(x)| x);
                assert_eq!(queue.get_nowait().ok(), want);
            }
            assert_eq!(queue.len(), oracle.len());
        }
    }
}

#[test]
fn equal_priorities_come_out_in_put_order() {
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Job {
        priority: u8,
    }
    corio::run(async {
        let queue = PriorityQueue::new(0);
        let labels = Queue::new(0); // the same puts, FIFO, to label the jobs
        for (priority, label) in [(1, 'a'), (0, 'b'), (1, 'c'), (0, 'd')] {
            queue.put(Job { priority }).await.unwrap();
            labels.put((priority, label)).await.unwrap();
        }
        let mut by_priority: Vec<(u8, char)> =
            std::iter::from_fn(|| labels.get_nowait().ok()).collect();
        by_priority.sort_by_key(|&(p, _)| p); // a stable sort: the oracle
        for (priority, _) in by_priority {
            assert_eq!(queue.get().await.unwrap(), Job { priority });
        }
    });
}

#[test]
fn lifo_queue_matches_a_vec_and_keeps_queue_rules() {
    corio::run(async {
        let stack = LifoQueue::new(2);
        let mut oracle = Vec::new();
        for x in 0..2 {
            stack.put(x).await.unwrap();
            oracle.push(x);
        }
        assert!(stack.is_full());
        assert_eq!(stack.put_nowait(9).unwrap_err().into_inner(), 9);
        // A put that waits for room goes in when a get makes it.
        let late = corio::spawn({
            let stack = stack.clone();
            async move { stack.put(2).await.unwrap() }
        });
        corio::yield_now().await;
        assert_eq!(stack.get().await.unwrap(), oracle.pop().unwrap());
        late.await.unwrap();
        oracle.push(2);
        while let Some(want) = oracle.pop() {
            assert_eq!(stack.get().await.unwrap(), want);
            stack.task_done().unwrap();
        }
        stack.task_done().unwrap(); // the first get's
        stack.task_done().unwrap_err(); // one more than was put
        stack.join().await;
    });
}

#[test]
fn a_cancelled_getter_hands_its_item_back_to_the_front() {
    corio::run(async {
        // What comes out first once the item handed to a cancelled getter is back: what
        // CPython 3.11's asyncio prints for the same program, where the item never left the
        // queue (PriorityQueue 3, LifoQueue 3, Queue 5).
        for (queue, first) in [
            (PriorityQueue::new(0).into(), 3), // the smallest
            (LifoQueue::new(0).into(), 3),     // the newest; 5 is at the bottom
            (Queue::<u32>::new(0), 5),         // the oldest
        ] {
            let waiting = corio::spawn({
                let queue = queue.clone();
                async move { queue.get().await }
            });
            corio::yield_now().await;
            queue.put(5).await.unwrap(); // handed to `waiting`, which has not run yet
            queue.put(7).await.unwrap();
            queue.put(3).await.unwrap();
            waiting.cancel();
            assert_eq!(queue.len(), 3, "nothing lost: {queue:?}");
            assert_eq!(queue.get().await.unwrap(), first, "{queue:?}");
        }
    });
}

#[corio::coroutine]
async fn scheduler(jobs: PriorityQueue<(u8, &'static str)>) -> Vec<&'static str> {
    let mut ran = Vec::new();
    while !jobs.is_empty() {
        let (_, name) = jobs.get().await.unwrap();
        corio::sleep(ms(1)).await;
        ran.push(name);
        jobs.task_done().unwrap();
    }
    ran
}

#[corio::coroutine]
async fn undo(stack: LifoQueue<String>, steps: usize) -> Vec<String> {
    let mut undone = Vec::new();
    for _ in 0..steps {
        undone.push(stack.get().await.unwrap());
    }
    undone
}

#[test]
fn both_queues_work_from_coroutines() {
    corio::run(async {
        let jobs = PriorityQueue::new(0);
        for job in [(3, "low"), (1, "high"), (2, "mid")] {
            jobs.put(job).await.unwrap();
        }
        let worker = corio::spawn(scheduler(jobs.clone()));
        jobs.join().await;
        assert_eq!(worker.await.unwrap(), ["high", "mid", "low"]);

        let stack = LifoQueue::new(0);
        let undoer = corio::spawn(undo(stack.clone(), 2));
        corio::yield_now().await; // waiting on an empty stack
        for edit in ["type a", "type b", "type c"] {
            stack.put(edit.to_owned()).await.unwrap();
        }
        // The first put went straight to the waiting get; then the newest.
        assert_eq!(undoer.await.unwrap(), ["type a", "type c"]);
        assert_eq!(stack.get_nowait().unwrap(), "type b");
    });
}
