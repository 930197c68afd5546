//! Several loops: remote handles, work handed between loops, joins from plain threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use corio::{RemoteHandle, RemoteTask, TaskError};

mod loops_common;
use loops_common::Looper;

fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
fn assert_send<T: Send>() {}

#[test]
fn the_remote_types_cross_threads() {
    assert_send_sync_clone::<RemoteHandle>();
    assert_send::<RemoteTask<String>>();
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

#[test]
fn run_loops_runs_one_loop_per_thread_and_returns_by_index() {
    let rt = corio::Runtime::builder().loops(3).build();
    let got = rt.run_loops(|loops| async move {
        let me = corio::running_loop().unwrap().id();
        (loops.index(), me, thread::current().id())
    });
    assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 1, 2]);
    let loops: std::collections::HashSet<_> = got.iter().map(|g| g.1).collect();
    let threads: std::collections::HashSet<_> = got.iter().map(|g| g.2).collect();
    assert_eq!((loops.len(), threads.len()), (3, 3));
    assert!(!threads.contains(&thread::current().id()));
}

#[test]
fn loops_hand_work_to_each_other() {
    // Every loop asks every loop (itself included) for its id; all answers must agree with
    // the handles' ids, and the loops must stay up until everybody has asked.
    let rt = corio::Runtime::builder()
        .loops(2)
        .pin_to_cores(true)
        .build();
    let got = rt.run_loops(|loops| async move {
        let mut answers = Vec::new();
        for remote in loops.remotes() {
            let id = remote
                .spawn(async { corio::running_loop().unwrap().id() })
                .await
                .unwrap();
            assert_eq!(id, remote.id());
            answers.push(id);
        }
        // Stay until the other loop is done asking: it counts on this loop running.
        let done = DONE.fetch_add(1, Ordering::SeqCst) + 1;
        while DONE.load(Ordering::SeqCst) < 2 {
            corio::sleep(Duration::from_millis(1)).await;
        }
        (done, answers)
    });
    assert_eq!(got[0].1, got[1].1);
    static DONE: AtomicUsize = AtomicUsize::new(0);
}

#[test]
fn a_panicking_loop_is_raised_after_all_loops_finish() {
    let other_finished = Arc::new(AtomicBool::new(false));
    let flag = other_finished.clone();
    let rt = corio::Runtime::builder().loops(2).build();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.run_loops(|loops| {
            let flag = flag.clone();
            async move {
                if loops.index() == 0 {
                    panic!("loop 0 failed");
                }
                corio::sleep(Duration::from_millis(20)).await;
                flag.store(true, Ordering::SeqCst);
            }
        })
    }));
    let payload = outcome.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"loop 0 failed"));
    assert!(other_finished.load(Ordering::SeqCst));
}

#[test]
#[should_panic(expected = "at least one loop")]
fn zero_loops_is_a_clear_panic() {
    let _ = corio::Runtime::builder().loops(0);
}

/// Two loops accept on one port (`SO_REUSEPORT`); a plain thread's clients are served by
/// both, each answer naming the loop that served it.
#[test]
fn two_loops_serve_one_port() {
    use corio::net::{TcpListener, TcpStream};
    use std::io::{Read, Write};
    use std::sync::OnceLock;

    const CLIENTS: usize = 64;
    static PORT: OnceLock<u16> = OnceLock::new();
    static BOUND: AtomicUsize = AtomicUsize::new(0);
    static SERVED: AtomicUsize = AtomicUsize::new(0);

    async fn serve(conn: TcpStream, index: usize) -> std::io::Result<()> {
        let (res, buf) = conn.read_exact(vec![0; 4]).await;
        res?;
        let (res, _) = conn
            .write_all([buf, vec![b'0' + index as u8]].concat())
            .await;
        res
    }

    let rt = corio::Runtime::builder().loops(2).build();
    let client = thread::spawn(|| {
        while BOUND.load(Ordering::SeqCst) < 2 {
            thread::sleep(Duration::from_millis(1));
        }
        let port = *PORT.get().unwrap();
        let mut by_loop = [0usize; 2];
        for _ in 0..CLIENTS {
            let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            conn.set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            conn.write_all(b"ping").unwrap();
            let mut answer = [0; 5];
            conn.read_exact(&mut answer).unwrap();
            assert_eq!(&answer[..4], b"ping");
            by_loop[usize::from(answer[4] - b'0')] += 1;
        }
        by_loop
    });
    let accepted = rt.run_loops(|loops| async move {
        let listener = if loops.index() == 0 {
            let listener = TcpListener::bind_reuseport("127.0.0.1:0").unwrap();
            PORT.set(listener.local_addr().unwrap().port()).unwrap();
            listener
        } else {
            while PORT.get().is_none() {
                corio::sleep(Duration::from_millis(1)).await;
            }
            TcpListener::bind_reuseport(("127.0.0.1", *PORT.get().unwrap())).unwrap()
        };
        BOUND.fetch_add(1, Ordering::SeqCst);
        let mut mine = 0;
        while SERVED.load(Ordering::SeqCst) < CLIENTS {
            // Wake up now and then to see whether the other loop served the last client.
            if let Ok(conn) = corio::timeout(Duration::from_millis(5), listener.accept()).await {
                let (conn, _) = conn.unwrap();
                serve(conn, loops.index()).await.unwrap();
                mine += 1;
                SERVED.fetch_add(1, Ordering::SeqCst);
            }
        }
        mine
    });
    let by_loop = client.join().unwrap();
    assert_eq!(accepted.iter().sum::<usize>(), CLIENTS);
    assert_eq!(
        by_loop.to_vec(),
        accepted,
        "each loop served what it accepted"
    );
    // 64 connections from distinct ports: the kernel's hash puts some on each listener
    // (all on one would have probability 2^-63).
    assert!(
        accepted.iter().all(|&n| n > 0),
        "one loop served nothing: {accepted:?}"
    );
}

/// A connection accepted on one loop is handed, as a std stream, to another loop that
/// serves it; from a coroutine body.
#[corio::coroutine]
async fn accept_and_hand_over(remote: RemoteHandle) -> std::io::Result<Vec<u8>> {
    use corio::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?).await?;
    let (conn, _) = listener.accept().await?;
    let conn = conn.into_std()?;
    let served = remote.spawn_with(move || async move {
        let conn = TcpStream::from_std(conn)?;
        let (res, buf) = conn.read_exact(vec![0; 5]).await;
        res?;
        let (res, _) = conn.write_all(buf.to_ascii_uppercase()).await;
        res.map(|()| thread::current().id())
    });
    let (res, _) = client.write_all(b"hello".to_vec()).await;
    res?;
    let (res, answer) = client.read_exact(vec![0; 5]).await;
    res?;
    let served_on = served.await.unwrap()?;
    assert_ne!(served_on, thread::current().id());
    Ok(answer)
}

#[test]
fn a_connection_is_handed_to_another_loop() {
    let looper = Looper::start();
    let remote = looper.remote.clone();
    let answer = corio::run(async move { accept_and_hand_over(remote).await }).unwrap();
    assert_eq!(answer, b"HELLO");
}

#[test]
fn into_std_refuses_while_clones_are_alive() {
    use corio::net::{TcpListener, TcpStream};
    corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let clone = client.clone();
        let err = client.into_std().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        drop(clone);
    });
}

#[test]
fn bind_reuseport_refuses_a_port_held_without_it() {
    corio::run(async {
        let plain = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let err = corio::net::TcpListener::bind_reuseport(plain.local_addr().unwrap()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    });
}

#[test]
fn dump_all_shows_every_loop_and_task_infos_name_their_loop() {
    let a = Looper::start();
    let b = Looper::start();
    for (looper, name) in [(&a, "sleeper-a"), (&b, "sleeper-b")] {
        let id = looper.remote.id();
        let info = looper
            .remote
            .spawn_named(name, async move {
                let me = corio::current_task().unwrap();
                assert_eq!(me.loop_id, id);
                corio::tasks().iter().all(|t| t.loop_id == id)
            })
            .join()
            .unwrap();
        assert!(info, "every task of a loop says it is on that loop");
        drop(
            looper
                .remote
                .spawn_named(name, corio::sleep(Duration::from_secs(3600))),
        );
    }
    // From a plain thread: any executor drives it.
    let text = futures::executor::block_on(corio::dump_all());
    for (looper, name) in [(&a, "sleeper-a"), (&b, "sleeper-b")] {
        let header = format!("loop {}:", looper.remote.id());
        let part = text
            .split_once(&header)
            .unwrap_or_else(|| panic!("no {header} in\n{text}"))
            .1;
        assert!(
            part.contains(&format!("\"{name}\"")),
            "{name} missing in\n{text}"
        );
    }
}

/// The multi-loop APIs from a `#[corio::coroutine]` body: `Loops`, `call_soon_threadsafe`
/// answered through a oneshot, `dump_all`, and two `bind_reuseport` listeners on one port.
#[corio::coroutine]
async fn multi_loop_apis_from_a_coroutine(loops: corio::Loops) -> std::io::Result<String> {
    use corio::net::{TcpListener, TcpStream};
    let other = loops.remote((loops.index() + 1) % loops.len()).clone();
    let (tx, rx) = futures::channel::oneshot::channel();
    other
        .call_soon_threadsafe(move || {
            let _ = tx.send(corio::running_loop().map(|h| h.id()));
        })
        .map_err(std::io::Error::other)?;
    let answered = rx.await.map_err(std::io::Error::other)?;
    assert_eq!(
        answered,
        Some(other.id()),
        "the callback ran on the other loop"
    );

    let first = TcpListener::bind_reuseport("127.0.0.1:0")?;
    let addr = first.local_addr()?;
    let second = TcpListener::bind_reuseport(addr)?;
    assert_eq!(second.local_addr()?, addr);
    let client = TcpStream::connect(addr).await?;
    let accepted = corio::select(first.accept(), second.accept()).await;
    let (conn, _) = match accepted {
        corio::Either::Left(res) | corio::Either::Right(res) => res?,
    };
    assert_eq!(conn.peer_addr()?, client.local_addr()?);

    // Wait until the other loop has been asked too, so that both dumps see both loops.
    ASKED.fetch_add(1, Ordering::SeqCst);
    while ASKED.load(Ordering::SeqCst) < loops.len() {
        corio::sleep(Duration::from_millis(1)).await;
    }
    let text = corio::dump_all().await;
    ASKED.fetch_add(1, Ordering::SeqCst);
    while ASKED.load(Ordering::SeqCst) < 2 * loops.len() {
        corio::sleep(Duration::from_millis(1)).await;
    }
    Ok(text)
}

static ASKED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn the_multi_loop_apis_work_from_coroutines() {
    let rt = corio::Runtime::builder().loops(2).build();
    let texts = rt.run_loops(|loops| async move {
        let ids: Vec<_> = loops.remotes().iter().map(|r| r.id()).collect();
        (multi_loop_apis_from_a_coroutine(loops).await.unwrap(), ids)
    });
    for (text, ids) in texts {
        for id in ids {
            assert!(
                text.contains(&format!("loop {id}:")),
                "loop {id} missing in\n{text}"
            );
        }
        assert!(
            text.contains("multi_loop_apis_from_a_coroutine at "),
            "{text}"
        );
    }
}
