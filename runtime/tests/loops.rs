//! Several loops: remote handles, work handed between loops, joins from plain threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use corio::{RemoteHandle, RemoteTask, TaskError};

fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
fn assert_send<T: Send>() {}

#[test]
fn the_remote_types_cross_threads() {
    assert_send_sync_clone::<RemoteHandle>();
    assert_send::<RemoteTask<String>>();
}

/// A loop on its own thread that runs until `stop` is set, and its remote handle.
struct Looper {
    remote: RemoteHandle,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Looper {
    fn start() -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = thread::spawn(move || {
            corio::run(async move {
                tx.send(corio::running_loop().unwrap().remote()).unwrap();
                while !stopped.load(Ordering::SeqCst) {
                    corio::sleep(Duration::from_millis(1)).await;
                }
            })
        });
        let remote = rx.recv().unwrap();
        Self {
            remote,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Looper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

#[test]
fn a_plain_thread_spawns_on_a_loop_and_joins() {
    let looper = Looper::start();
    let task = looper
        .remote
        .spawn(async { (thread::current().id(), corio::current_task().is_some()) });
    let (ran_on, in_a_task) = task.join().unwrap();
    assert_ne!(ran_on, thread::current().id());
    assert!(in_a_task, "a remote spawn runs as a task of the loop");
}

#[test]
fn many_threads_spawn_on_one_loop() {
    let looper = Looper::start();
    let count = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let remote = looper.remote.clone();
            let count = count.clone();
            thread::spawn(move || {
                let tasks: Vec<_> = (0..50)
                    .map(|i| {
                        let count = count.clone();
                        remote.spawn(async move {
                            corio::yield_now().await;
                            count.fetch_add(1, Ordering::SeqCst);
                            t * 1000 + i
                        })
                    })
                    .collect();
                tasks
                    .into_iter()
                    .map(|task| task.join().unwrap())
                    .sum::<usize>()
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let expected: usize = (0..4)
        .map(|t| (0..50).map(|i| t * 1000 + i).sum::<usize>())
        .sum();
    assert_eq!(total, expected);
    assert_eq!(count.load(Ordering::SeqCst), 200);
}

/// Work handed from one loop to another and awaited, from a `#[corio::coroutine]` body.
#[corio::coroutine]
async fn hand_over(remote: RemoteHandle, n: u64) -> u64 {
    let here = thread::current().id();
    let task = remote.spawn(async move {
        corio::sleep(Duration::from_millis(1)).await;
        (thread::current().id(), (1..=n).sum::<u64>())
    });
    let (there, sum) = task.await.unwrap();
    assert_ne!(here, there);
    sum
}

#[test]
fn work_is_handed_between_loops_from_a_coroutine() {
    let looper = Looper::start();
    let remote = looper.remote.clone();
    let got = corio::run(async move { hand_over(remote, 100).await });
    assert_eq!(got, 5050);
}

#[test]
fn a_remote_task_panic_reaches_the_joiner() {
    let looper = Looper::start();
    let err = looper
        .remote
        .spawn(async { panic!("far away") })
        .join()
        .unwrap_err();
    match err {
        TaskError::Panicked(p) => assert_eq!(p.message(), "far away"),
        other => panic!("expected a panic, got {other:?}"),
    }
    // The loop survived it.
    assert_eq!(looper.remote.spawn(async { 1 }).join().unwrap(), 1);
}

#[test]
fn cancel_drops_the_future_on_its_loop() {
    struct OnDrop(Arc<AtomicBool>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let looper = Looper::start();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = OnDrop(dropped.clone());
    let started = Arc::new(AtomicBool::new(false));
    let flag = started.clone();
    let task = looper.remote.spawn(async move {
        let _guard = guard;
        flag.store(true, Ordering::SeqCst);
        corio::sleep(Duration::from_secs(3600)).await;
    });
    while !started.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(1));
    }
    task.cancel();
    assert!(task.join().unwrap_err().is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn a_finished_loop_cancels_its_remote_tasks() {
    let (tx, rx) = std::sync::mpsc::channel();
    let looper = thread::spawn(move || {
        corio::run(async move {
            let remote = corio::running_loop().unwrap().remote();
            tx.send(remote).unwrap();
            corio::sleep(Duration::from_millis(20)).await;
        })
    });
    let remote = rx.recv().unwrap();
    // Still running when the loop ends: cancelled by the loop's shutdown.
    let long = remote.spawn(corio::sleep(Duration::from_secs(3600)));
    looper.join().unwrap();
    assert!(long.join().unwrap_err().is_cancelled());
    // Sent after the loop ended: refused at once.
    assert!(remote.spawn(async {}).join().unwrap_err().is_cancelled());
    assert_eq!(remote.call_soon_threadsafe(|| {}), Err(corio::LoopClosed));
}

#[test]
fn call_soon_threadsafe_runs_on_the_loop_in_order() {
    let looper = Looper::start();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    for i in 0..10 {
        let log = log.clone();
        looper
            .remote
            .call_soon_threadsafe(move || {
                log.lock()
                    .unwrap()
                    .push((i, corio::running_loop().is_some()));
            })
            .unwrap();
    }
    // A spawned task runs after the callbacks sent before it.
    looper.remote.spawn(async {}).join().unwrap();
    let log = log.lock().unwrap().clone();
    assert_eq!(log, (0..10).map(|i| (i, true)).collect::<Vec<_>>());
}

#[test]
#[should_panic(expected = "`.await` the task instead")]
fn join_on_a_loop_thread_is_a_clear_panic() {
    corio::run(async {
        let remote = corio::running_loop().unwrap().remote();
        let _ = remote.spawn(async {}).join();
    });
}
