//! Waiting on many (issue 18): `wait`, `as_completed`, `select_all`, `timeout_at`, each also
//! from a `#[corio::coroutine]` body, with the cancellation cases.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::Event;
use corio::{ReturnWhen, Task, TaskError};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn nap(n: u64) -> Task<u64> {
    corio::spawn(async move {
        corio::sleep(ms(n)).await;
        n
    })
}

/// A task that finishes with `n` once its gate is set.
fn gated(n: u64) -> (Event, Task<u64>) {
    let gate = Event::new();
    let wait = gate.wait();
    (
        gate,
        corio::spawn(async move {
            wait.await;
            n
        }),
    )
}

fn crash_after(n: u64) -> Task<u64> {
    corio::spawn(async move {
        corio::sleep(ms(n)).await;
        panic!("crashed after {n} ms")
    })
}

async fn outputs(tasks: Vec<Task<u64>>) -> Vec<Result<u64, String>> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.map_err(|e| e.to_string()));
    }
    out
}

#[test]
fn wait_first_completed_returns_the_first_and_leaves_the_rest_running() {
    corio::run(async {
        // Gates, not timers: which task finishes first must not depend on the machine's load.
        let (gates, tasks): (Vec<_>, Vec<_>) = [40, 5, 60].into_iter().map(gated).unzip();
        gates[1].set();
        let (done, pending) = corio::wait(tasks, ReturnWhen::FirstCompleted).await;
        assert_eq!(outputs(done).await, [Ok(5)]);
        assert_eq!(pending.len(), 2);
        // The pending tasks were not disturbed: they finish when their turn comes.
        gates[2].set();
        gates[0].set();
        assert_eq!(outputs(pending).await, [Ok(40), Ok(60)]);
    });
}

#[test]
fn wait_all_completed_keeps_input_order_and_counts_panics_and_cancellations() {
    corio::run(async {
        let cancelled = nap(3_600_000);
        cancelled.cancel();
        let tasks = vec![nap(10), crash_after(1), cancelled, nap(2)];
        let started = Instant::now();
        let (done, pending) = corio::wait(tasks, ReturnWhen::AllCompleted).await;
        assert!(started.elapsed() >= ms(10));
        assert!(pending.is_empty());
        assert_eq!(
            outputs(done).await,
            [
                Ok(10),
                Err("task panicked: crashed after 1 ms".to_owned()),
                Err("task was cancelled".to_owned()),
                Ok(2),
            ]
        );
    });
}

#[test]
fn wait_first_exception_stops_at_a_panic_but_not_at_a_cancellation() {
    corio::run(async {
        let cancelled = nap(3_600_000);
        cancelled.cancel();
        let (done, pending) = corio::wait(
            [cancelled, nap(1), crash_after(10), nap(3_600_000)],
            ReturnWhen::FirstException,
        )
        .await;
        assert_eq!(
            done.len(),
            3,
            "the cancelled, the 1 ms and the crashed task"
        );
        assert_eq!(pending.len(), 1);
        pending[0].cancel();
        // Without a failure it is ALL_COMPLETED.
        let (done, pending) = corio::wait([nap(1), nap(3)], ReturnWhen::FirstException).await;
        assert_eq!(
            (outputs(done).await, pending.len()),
            (vec![Ok(1), Ok(3)], 0)
        );
    });
}

#[test]
fn wait_with_a_timeout_returns_what_is_done_so_far() {
    corio::run(async {
        let (done, pending) = corio::wait([nap(1), nap(3_600_000)], ReturnWhen::AllCompleted)
            .timeout(ms(20))
            .await;
        assert_eq!(outputs(done).await, [Ok(1)]);
        assert_eq!(pending.len(), 1);
        assert!(!pending[0].is_finished());
        pending[0].cancel();
    });
}

#[test]
fn wait_on_nothing_and_on_finished_tasks_returns_at_once() {
    corio::run(async {
        let (done, pending) = corio::wait(Vec::<Task<()>>::new(), ReturnWhen::AllCompleted).await;
        assert!(done.is_empty() && pending.is_empty());
        let task = corio::spawn(async { 9 });
        corio::yield_now().await;
        let (done, _) = corio::wait([task], ReturnWhen::FirstCompleted).await;
        assert_eq!(outputs(done).await, [Ok(9)]);
    });
}

#[test]
fn a_cancelled_wait_leaves_its_tasks_running() {
    corio::run(async {
        let (gate, worker) = gated(7);
        let id = worker.id();
        let waiter = corio::spawn(corio::wait([worker], ReturnWhen::AllCompleted));
        corio::yield_now().await; // the waiter waits
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert!(
            corio::tasks().iter().any(|t| t.id == id),
            "wait does not cancel the tasks it was given"
        );
        gate.set();
        corio::yield_now().await;
        assert!(
            !corio::tasks().iter().any(|t| t.id == id),
            "it ran to the end"
        );
    });
}

#[test]
fn as_completed_yields_in_completion_order() {
    corio::run(async {
        let delays = [25u64, 5, 15, 1, 10];
        let stream = corio::as_completed(delays.map(|d| async move {
            corio::sleep(ms(d)).await;
            d
        }));
        assert_eq!(stream.len(), 5);
        let mut got = Vec::new();
        while let Some(d) = stream.next().await {
            got.push(d);
        }
        // The oracle: the same delays, sorted.
        let mut sorted = delays.to_vec();
        sorted.sort_unstable();
        assert_eq!(got, sorted);
        assert!(stream.is_empty());
    });
}

#[test]
fn as_completed_is_a_stream_and_runs_many_futures_once_per_wakeup() {
    use futures::StreamExt;
    corio::run(async {
        let polls = Rc::new(Cell::new(0u32));
        let futures = (0..200u64).map(|i| {
            let polls = polls.clone();
            async move {
                polls.set(polls.get() + 1);
                corio::sleep(ms(200 - i)).await;
                polls.set(polls.get() + 1);
                i
            }
        });
        let got: Vec<u64> = corio::as_completed(futures).collect().await;
        assert_eq!(got, (0..200).rev().collect::<Vec<_>>());
        // Each future was polled twice: once to start, once when its timer fired.
        assert_eq!(polls.get(), 400);
    });
}

#[test]
fn dropping_as_completed_drops_the_unfinished_futures() {
    corio::run(async {
        let dropped = Rc::new(Cell::new(0));
        struct Guard(Rc<Cell<i32>>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let futures = [1u64, 3_600_000].map(|d| {
            let guard = Guard(dropped.clone());
            async move {
                let _guard = guard;
                corio::sleep(ms(d)).await;
            }
        });
        let stream = corio::as_completed(futures);
        stream.next().await;
        assert_eq!(dropped.get(), 1);
        drop(stream);
        assert_eq!(dropped.get(), 2);
    });
}

#[test]
fn select_all_hands_back_the_losers_suspended() {
    corio::run(async {
        let started = Rc::new(Cell::new(0));
        let gates: Vec<Event> = (0..3).map(|_| Event::new()).collect();
        let racers: Vec<_> = [30u64, 10, 20]
            .into_iter()
            .zip(&gates)
            .map(|(d, gate)| {
                let started = started.clone();
                let open = gate.wait();
                async move {
                    started.set(started.get() + 1);
                    open.await;
                    d
                }
            })
            .collect();
        // Opened in the order of the numbers, whatever the machine's load.
        let opener = corio::spawn({
            let gates = gates.clone();
            async move {
                for i in [1, 2, 0] {
                    gates[i].set();
                    corio::yield_now().await;
                    corio::yield_now().await;
                }
            }
        });
        let (first, index, rest) = corio::select_all(racers).await;
        assert_eq!((first, index, rest.len()), (10, 1, 2));
        let (second, index, rest) = corio::select_all(rest).await;
        assert_eq!((second, index), (20, 1));
        let (third, _, rest) = corio::select_all(rest).await;
        assert_eq!((third, rest.len()), (30, 0));
        // Handing back did not restart anything.
        assert_eq!(started.get(), 3);
        opener.await.unwrap();
    });
}

#[test]
fn select_all_of_nothing_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| corio::select_all(Vec::<std::future::Ready<()>>::new()))
        .unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(msg.contains("select_all: no futures given"), "{msg}");
}

#[test]
fn timeout_at_shares_one_deadline_between_steps() {
    corio::run(async {
        let deadline = Instant::now() + ms(25);
        let mut steps = 0;
        loop {
            match corio::timeout_at(deadline, corio::sleep(ms(10))).await {
                Ok(()) => steps += 1,
                Err(elapsed) => {
                    assert_eq!(elapsed.to_string(), "deadline has elapsed");
                    break;
                }
            }
        }
        // Two 10 ms steps fit before the 25 ms deadline; a loaded machine may fit fewer, but
        // never a third: each step's timeout is the one shared deadline, not a fresh 25 ms.
        assert!(steps <= 2, "{steps} steps");
        assert!(Instant::now() >= deadline);
        // A past deadline still lets a ready future through.
        assert_eq!(corio::timeout_at(deadline, async { 1 }).await, Ok(1));
    });
}

// ---- the same APIs from `#[corio::coroutine]` bodies (no borrow of a local across .await) ----

#[corio::coroutine]
async fn first_of(delays: Vec<u64>) -> (Vec<u64>, usize) {
    let tasks: Vec<Task<u64>> = delays.into_iter().map(nap).collect();
    let (done, pending) = corio::wait(tasks, ReturnWhen::FirstCompleted).await;
    let mut firsts = Vec::new();
    for task in done {
        firsts.push(task.await.unwrap());
    }
    for task in &pending {
        task.cancel();
    }
    (firsts, pending.len())
}

#[corio::coroutine]
async fn in_completion_order(delays: Vec<u64>) -> Vec<u64> {
    let stream = corio::as_completed(delays.into_iter().map(|d| async move {
        corio::sleep(ms(d)).await;
        d
    }));
    let mut got = Vec::new();
    while let Some(d) = stream.next().await {
        got.push(d);
    }
    got
}

#[corio::coroutine]
async fn race_then_deadline(delays: Vec<u64>, budget: u64) -> (u64, Result<u64, corio::Elapsed>) {
    let deadline = Instant::now() + ms(budget);
    let racers: Vec<_> = delays
        .into_iter()
        .map(|d| async move {
            corio::sleep(ms(d)).await;
            d
        })
        .collect();
    let (first, _index, rest) = corio::select_all(racers).await;
    let second = corio::timeout_at(deadline, async move {
        let (second, _, _) = corio::select_all(rest).await;
        second
    })
    .await;
    (first, second)
}

#[test]
fn every_waiting_api_works_from_a_coroutine() {
    corio::run(async {
        assert_eq!(first_of(vec![3_600_000, 2, 3_600_000]).await, (vec![2], 2));
        assert_eq!(in_completion_order(vec![9, 3, 6]).await, [3, 6, 9]);
        assert_eq!(race_then_deadline(vec![1, 5], 1000).await, (1, Ok(5)));
        let (first, second) = race_then_deadline(vec![1, 3_600_000], 10).await;
        assert_eq!(first, 1);
        assert!(second.is_err());
    });
    // And the task errors come through unchanged.
    corio::run(async {
        let (done, _) = corio::wait([crash_after(0)], ReturnWhen::FirstException).await;
        for task in done {
            assert!(matches!(task.await, Err(TaskError::Panicked(_))));
        }
    });
}
