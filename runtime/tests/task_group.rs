//! `TaskGroup` with asyncio 3.11 semantics (issue 18): `Err` and panics fail the group,
//! cancel the siblings and are reported; children spawn siblings through a `GroupHandle`.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use corio::{ChildError, GroupHandle, TaskGroup};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Counts drops: shows that a cancelled child's locals were destroyed.
struct Guard(Rc<Cell<u32>>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn an_err_cancels_the_siblings_and_is_reported_with_its_type() {
    corio::run(async {
        let dropped = Rc::new(Cell::new(0));
        let group = TaskGroup::new();
        let siblings: Vec<_> = (0..3)
            .map(|_| {
                let guard = Guard(dropped.clone());
                group.spawn(async move {
                    let _guard = guard;
                    corio::sleep(Duration::from_secs(3600)).await;
                })
            })
            .collect();
        let done = group.spawn_try(async { Ok::<_, io::Error>("done early") });
        let failing = group.spawn_try(async {
            corio::sleep(ms(3)).await;
            Err::<u32, _>(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "peer went away",
            ))
        });
        let err = group.join().await.unwrap_err();
        assert_eq!(dropped.get(), 3, "every sibling was dropped");
        assert_eq!(err.errors().len(), 1);
        let io = err.errors()[0].downcast_ref::<io::Error>().unwrap();
        assert_eq!(io.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(err.to_string(), "1 child task failed: peer went away");
        assert_eq!(
            std::error::Error::source(&err).map(ToString::to_string),
            Some("peer went away".to_owned())
        );
        for sibling in siblings {
            assert!(sibling.await.unwrap_err().is_cancelled());
        }
        assert_eq!(done.await.unwrap(), "done early");
        let failed = failing.await.unwrap_err();
        assert!(failed.is_failed());
        assert_eq!(
            failed.to_string(),
            "task failed: its error went to its TaskGroup"
        );
    });
}

#[test]
fn a_panic_fails_the_group_like_an_err() {
    corio::run(async {
        let group = TaskGroup::new();
        let sibling = group.spawn_try(async {
            corio::sleep(Duration::from_secs(3600)).await;
            Ok::<(), String>(())
        });
        let _bad = group.spawn(async {
            corio::sleep(ms(1)).await;
            panic!("child {} blew up", 7);
        });
        let err = group.join().await.unwrap_err();
        match &err.into_errors()[..] {
            [ChildError::Panicked(panic)] => assert_eq!(panic.message(), "child 7 blew up"),
            other => panic!("unexpected: {other:?}"),
        }
        assert!(sibling.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn plain_results_of_spawn_are_values_not_failures() {
    corio::run(async {
        let group = TaskGroup::new();
        let child = group.spawn(async { Err::<(), _>("a value, not a failure") });
        group.join().await.unwrap();
        assert_eq!(child.await.unwrap(), Err("a value, not a failure"));
    });
}

#[test]
fn children_spawn_siblings_through_a_handle_and_join_waits_for_them() {
    corio::run(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let group = TaskGroup::new();
        fn crawl(handle: GroupHandle, log: Rc<RefCell<Vec<u32>>>, depth: u32) {
            let next = handle.clone();
            let _child = handle.spawn(async move {
                corio::sleep(ms(1)).await;
                log.borrow_mut().push(depth);
                if depth < 4 {
                    crawl(next.clone(), log.clone(), depth + 1);
                    crawl(next, log, depth + 1);
                }
            });
        }
        crawl(group.handle(), log.clone(), 0);
        group.join().await.unwrap();
        // 1 + 2 + 4 + 8 + 16 children, all waited for.
        assert_eq!(log.borrow().len(), 31);
        assert_eq!(log.borrow().iter().filter(|&&d| d == 4).count(), 16);
    });
}

#[test]
fn a_sibling_spawned_after_a_failure_or_after_join_is_cancelled_at_once() {
    corio::run(async {
        let group = TaskGroup::new();
        let handle = group.handle();
        let _bad = group.spawn_try(async { Err::<(), _>("first") });
        corio::yield_now().await;
        let late = handle.spawn(async { 1 });
        assert!(late.is_finished());
        assert!(late.await.unwrap_err().is_cancelled());
        assert!(group.join().await.is_err());
        let after = handle.spawn(async { 2 });
        assert!(after.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn cancelling_the_task_that_joins_cancels_the_children() {
    corio::run(async {
        let dropped = Rc::new(Cell::new(0));
        let guard = Guard(dropped.clone());
        let parent = corio::spawn(async move {
            let group = TaskGroup::new();
            let _child = group.spawn(async move {
                let _guard = guard;
                corio::sleep(Duration::from_secs(3600)).await;
            });
            group.join().await
        });
        corio::sleep(ms(2)).await;
        parent.cancel();
        assert_eq!(dropped.get(), 1);
        assert!(parent.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn wait_first_exception_counts_a_failed_child() {
    corio::run(async {
        let group = TaskGroup::new();
        let slow = group.spawn_try(async {
            corio::sleep(ms(50)).await;
            Ok::<u8, String>(1)
        });
        let failing = group.spawn_try(async {
            corio::sleep(ms(1)).await;
            Err::<u8, _>("no".to_owned())
        });
        let (done, pending) = corio::wait([slow, failing], corio::ReturnWhen::FirstException).await;
        assert_eq!(
            (done.len(), pending.len()),
            (2, 0),
            "the failure cancelled `slow`"
        );
        assert!(group.join().await.is_err());
    });
}

// ---- from a `#[corio::coroutine]` body ----

#[corio::coroutine]
async fn fetch_all(names: Vec<&'static str>) -> Result<Vec<usize>, String> {
    let group = TaskGroup::new();
    let handle = group.handle();
    let mut tasks = Vec::new();
    for name in names {
        tasks.push(handle.spawn_try(async move {
            corio::sleep(ms(name.len() as u64)).await;
            if name.is_empty() {
                Err(format!("empty name"))
            } else {
                Ok(name.len())
            }
        }));
    }
    group.join().await.map_err(|e| e.to_string())?;
    let mut lens = Vec::new();
    for task in tasks {
        lens.push(task.await.map_err(|e| e.to_string())?);
    }
    Ok(lens)
}

#[test]
fn task_group_works_from_a_coroutine() {
    corio::run(async {
        assert_eq!(fetch_all(vec!["ab", "abcd", "a"]).await, Ok(vec![2, 4, 1]));
        assert_eq!(
            fetch_all(vec!["abcdefghij", "", "abc"]).await,
            Err("1 child task failed: empty name".to_owned())
        );
    });
}
