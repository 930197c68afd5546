//! Channels between loops: `async-channel` (mpsc/mpmc) and `futures::channel::oneshot` on
//! corio loops on different threads, with the cancellation guarantees of corio's local
//! `sync::mpsc` and `sync::oneshot` checked again across loops (`tests/sync.rs`,
//! `src/sync/mpsc.rs` have the local versions).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use corio::RemoteHandle;

/// A loop on its own thread that runs until dropped, and its remote handle.
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
        Self {
            remote: rx.recv().unwrap(),
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

/// Lets the other loop run its ready tasks (they start at its next turn).
async fn settle() {
    corio::sleep(Duration::from_millis(20)).await;
}

/// Fails if `fut` does not complete within five seconds: a lost hand-over waits forever.
async fn soon<F: std::future::IntoFuture>(what: &str, fut: F) -> F::Output {
    match corio::timeout(Duration::from_secs(5), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} waits forever: a hand-over was lost"),
    }
}

#[test]
fn values_flow_between_loops_in_order() {
    let other = Looper::start();
    let (tx, rx) = async_channel::bounded::<u32>(4);
    let producer = other.remote.spawn(async move {
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
    });
    let got = corio::run(async move {
        let mut got = Vec::new();
        while let Ok(i) = soon("recv", rx.recv()).await {
            got.push(i);
        }
        got
    });
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    producer.join().unwrap();
}

#[test]
fn a_send_chosen_then_cancelled_passes_the_room_on_across_loops() {
    let other = Looper::start();
    corio::run(async move {
        let (tx, rx) = async_channel::bounded::<u32>(1);
        tx.try_send(0).unwrap();
        let a = other.remote.spawn({
            let tx = tx.clone();
            async move { tx.send(1).await.unwrap() }
        });
        let b = other.remote.spawn({
            let tx = tx.clone();
            async move { tx.send(2).await.unwrap() }
        });
        settle().await;
        assert_eq!(rx.try_recv(), Ok(0)); // room: A is chosen
        a.cancel();
        let a = a.await;
        soon("B's send", b).await.unwrap();
        let mut landed = vec![soon("recv", rx.recv()).await.unwrap()];
        match a {
            // A's send completed before the cancel reached its loop: both landed, in order.
            Ok(()) => {
                landed.push(soon("recv", rx.recv()).await.unwrap());
                assert_eq!(landed, [1, 2]);
            }
            Err(e) => {
                assert!(e.is_cancelled());
                assert_eq!(landed, [2], "A's cancelled send must not land");
                assert!(rx.try_recv().is_err());
            }
        }
    });
}

#[test]
fn a_recv_chosen_then_cancelled_passes_the_item_on_across_loops() {
    let other = Looper::start();
    corio::run(async move {
        let (tx, rx) = async_channel::bounded::<u32>(1);
        let a = other.remote.spawn({
            let rx = rx.clone();
            async move { rx.recv().await.ok() }
        });
        let b = other.remote.spawn({
            let rx = rx.clone();
            async move { rx.recv().await.ok() }
        });
        settle().await;
        tx.send(7).await.unwrap(); // A is woken for it
        a.cancel();
        match a.await {
            // The cancel came late: A had the item; B gets the channel's close.
            Ok(got) => {
                assert_eq!(got, Some(7));
                tx.close();
                assert_eq!(soon("B's recv", b).await.unwrap(), None);
            }
            // A was cancelled holding only a wake-up: the item is B's, not lost.
            Err(e) => {
                assert!(e.is_cancelled());
                assert_eq!(soon("B's recv", b).await.unwrap(), Some(7));
            }
        }
    });
}

#[test]
fn dropping_the_receiver_gives_waiting_and_later_sends_their_items_back() {
    let other = Looper::start();
    corio::run(async move {
        let (tx, rx) = async_channel::bounded::<u32>(1);
        tx.try_send(0).unwrap();
        let waiting = other.remote.spawn({
            let tx = tx.clone();
            async move { tx.send(1).await.map_err(|e| e.into_inner()) }
        });
        settle().await;
        drop(rx);
        assert_eq!(soon("the waiting send", waiting).await.unwrap(), Err(1));
        assert_eq!(tx.send(2).await.map_err(|e| e.into_inner()), Err(2));
    });
}

#[test]
fn dropping_every_sender_ends_the_receiver_after_the_buffer() {
    let other = Looper::start();
    corio::run(async move {
        let (tx, rx) = async_channel::bounded::<u32>(2);
        let waiting = other.remote.spawn({
            let rx = rx.clone();
            async move {
                let mut got = Vec::new();
                while let Ok(v) = rx.recv().await {
                    got.push(v);
                }
                got
            }
        });
        tx.send(1).await.unwrap();
        let tx2 = tx.clone();
        other
            .remote
            .spawn(async move { tx2.send(2).await.unwrap() })
            .await
            .unwrap();
        drop(tx);
        drop(rx);
        assert_eq!(soon("the receiver's end", waiting).await.unwrap(), [1, 2]);
    });
}

#[test]
fn oneshot_between_loops_and_its_cancellations() {
    use futures::channel::oneshot;

    let other = Looper::start();
    corio::run(async move {
        // A value from the other loop.
        let (tx, rx) = oneshot::channel::<&str>();
        other
            .remote
            .call_soon_threadsafe(move || tx.send("from afar").unwrap())
            .unwrap();
        assert_eq!(soon("the oneshot", rx).await, Ok("from afar"));

        // A receiver awaited on the other loop and cancelled there: the send gets its value
        // back.
        let (tx, rx) = oneshot::channel::<u32>();
        let waiting = other.remote.spawn(rx);
        settle().await;
        waiting.cancel();
        assert!(waiting.await.unwrap_err().is_cancelled());
        assert_eq!(tx.send(5), Err(5));

        // The sender dropped on the other loop: the receiver here hears of it.
        let (tx, rx) = oneshot::channel::<u32>();
        other.remote.spawn(async move { drop(tx) }).await.unwrap();
        assert_eq!(soon("the oneshot", rx).await, Err(oneshot::Canceled));
    });
}
