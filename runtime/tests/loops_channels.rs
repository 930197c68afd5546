//! Channels between loops: `async-channel` (mpsc/mpmc) and `futures::channel::oneshot` on
//! corio loops on different threads, with the cancellation guarantees of corio's local
//! `sync::mpsc` and `sync::oneshot` checked again across loops (`tests/sync.rs`,
//! `src/sync/mpsc.rs` have the local versions). corio's own `sync::threadsafe` channels,
//! whose futures borrow nothing, are tested the same way in `tests/loops_threadsafe_channels.rs`.
//!
//! The later tests are `#[corio::coroutine]`s, where async-channel's `send`/`recv` futures
//! (which borrow the handle) cannot be held across an await of the coroutine: each operation
//! runs on a clone of the handle in a nested `async move` block, as the borrowing rule says.

use std::sync::atomic::Ordering;

use corio::RemoteHandle;

mod loops_common;
use loops_common::scenarios::{self, Chan};
use loops_common::{Looper, poll_once, settle, soon};

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
        let mut landed = Vec::new();
        // A's send completed before the cancel reached its loop: its item fills the
        // channel, and B can only finish once it is taken.
        if a.is_ok() {
            landed.push(soon("recv", rx.recv()).await.unwrap());
        }
        soon("B's send", b).await.unwrap();
        landed.push(soon("recv", rx.recv()).await.unwrap());
        match a {
            Ok(()) => assert_eq!(landed, [1, 2]),
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

/// A `recv` waiting first is woken by a send from another loop and dropped before it runs:
/// the item is the next waiter's, not lost.
#[corio::coroutine]
async fn a_woken_recv_dropped_before_it_runs(other: RemoteHandle) -> Option<u32> {
    let (tx, rx) = async_channel::bounded::<u32>(1);
    let first = rx.clone();
    let mut a = Box::pin(async move { first.recv().await.ok() });
    let (polled, woken) = poll_once(&mut a);
    assert!(polled.is_pending(), "A waits first");
    let second = rx.clone();
    let b = corio::spawn(async move { second.recv().await.ok() });
    settle().await; // B waits behind A
    let sent = other.spawn(async move { tx.send(7).await.is_ok() });
    let sent = soon("the send on the other loop", sent).await;
    assert!(sent.unwrap());
    assert!(woken.0.load(Ordering::SeqCst), "the send chose A");
    drop(a); // chosen for the item, cancelled before it ran
    soon("B's recv", b).await.unwrap()
}

#[test]
fn a_recv_woken_from_another_loop_then_dropped_passes_the_item_on() {
    let other = Looper::start();
    let remote = other.remote.clone();
    let got = corio::run(async move { a_woken_recv_dropped_before_it_runs(remote).await });
    assert_eq!(got, Some(7));
}

/// A bounded `send` waiting first is given the room a `recv` on another loop opens, and is
/// dropped before it runs: its item never lands, the room goes to the next sender.
#[corio::coroutine]
async fn a_send_given_room_then_dropped(other: RemoteHandle) -> Vec<u32> {
    let (tx, rx) = async_channel::bounded::<u32>(1);
    tx.try_send(0).unwrap();
    let first = tx.clone();
    let mut a = Box::pin(async move { first.send(1).await.is_ok() });
    let (polled, woken) = poll_once(&mut a);
    assert!(polled.is_pending(), "A waits for room first");
    let second = tx.clone();
    let b = corio::spawn(async move { second.send(2).await.is_ok() });
    settle().await; // B waits behind A
    let taker = rx.clone();
    let took = other.spawn(async move { taker.recv().await.ok() });
    let took = soon("the recv on the other loop", took).await;
    assert_eq!(took.unwrap(), Some(0));
    assert!(woken.0.load(Ordering::SeqCst), "the room went to A");
    drop(a); // chosen for the room, cancelled before it ran
    let b_sent = soon("B's send", b).await;
    assert!(b_sent.unwrap(), "B gets the room");
    drop(tx);
    let mut landed = Vec::new();
    while let Ok(v) = rx.try_recv() {
        landed.push(v);
    }
    landed
}

#[test]
fn a_send_given_room_from_another_loop_then_dropped_passes_the_room_on() {
    let other = Looper::start();
    let remote = other.remote.clone();
    let landed = corio::run(async move { a_send_given_room_then_dropped(remote).await });
    assert_eq!(landed, [2], "A's cancelled send must not land");
}

/// async-channel in the shared scenarios: its futures borrow the handle, so each operation
/// is an `async fn` that owns the clone it is given (the coroutines' borrowing rule).
struct AsyncChannel;

impl Chan for AsyncChannel {
    type Tx = async_channel::Sender<u32>;
    type Rx = async_channel::Receiver<u32>;

    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(cap)
    }

    async fn send(tx: Self::Tx, v: u32) -> Result<(), u32> {
        tx.send(v).await.map_err(|e| e.0)
    }

    async fn recv(rx: Self::Rx) -> Option<u32> {
        rx.recv().await.ok()
    }
}

#[test]
fn recvs_cancelled_while_sends_arrive_from_another_loop_lose_nothing() {
    scenarios::recvs_cancelled_while_sends_arrive_from_another_loop_lose_nothing::<AsyncChannel>();
}

#[test]
fn sends_cancelled_while_room_opens_on_another_loop_land_exactly_when_they_complete() {
    scenarios::sends_cancelled_while_room_opens_on_another_loop_land_exactly_when_they_complete::<
        AsyncChannel,
    >();
}

/// `close` on one loop wakes the receivers and the senders that wait on another loop: the
/// receivers end, the senders get their items back.
#[corio::coroutine]
async fn close_wakes_the_other_loops_waiters(other: RemoteHandle) -> (Vec<bool>, Vec<u32>) {
    let (tx, rx) = async_channel::bounded::<u32>(1);
    let receivers: Vec<_> = (0..2)
        .map(|_| {
            let rx = rx.clone();
            other.spawn(async move { rx.recv().await.is_err() })
        })
        .collect();
    settle().await;
    assert!(tx.close(), "the first close closes");
    let mut ended = Vec::new();
    for r in receivers {
        ended.push(soon("a receiver on the other loop", r).await.unwrap());
    }

    let (tx, rx) = async_channel::bounded::<u32>(1);
    tx.try_send(0).unwrap();
    let senders: Vec<_> = [1, 2]
        .into_iter()
        .map(|v| {
            let tx = tx.clone();
            other.spawn(async move { tx.send(v).await.map_err(|e| e.into_inner()) })
        })
        .collect();
    settle().await;
    rx.close();
    let mut returned = Vec::new();
    for s in senders {
        match soon("a sender on the other loop", s).await.unwrap() {
            Ok(()) => panic!("a send into a closed channel succeeded"),
            Err(v) => returned.push(v),
        }
    }
    (ended, returned)
}

#[test]
fn close_wakes_waiters_on_another_loop() {
    let other = Looper::start();
    let remote = other.remote.clone();
    let (ended, returned) =
        corio::run(async move { close_wakes_the_other_loops_waiters(remote).await });
    assert_eq!(ended, [true, true]);
    assert_eq!(returned, [1, 2]);
}

/// A task on `other` that sends `v` on `tx`; whether the send succeeded.
fn spawn_send(
    other: &RemoteHandle,
    tx: &async_channel::Sender<u32>,
    v: u32,
) -> corio::RemoteTask<bool> {
    let tx = tx.clone();
    other.spawn(async move { tx.send(v).await.is_ok() })
}

/// A task on another loop waiting to send is cancelled through its `RemoteTask`: its item
/// never lands and the room goes to the next sender; a dropped `RemoteTask` leaves its task
/// running, and its send lands.
#[corio::coroutine]
async fn remote_tasks_cancelled_and_dropped(other: RemoteHandle) -> Vec<u32> {
    let (tx, rx) = async_channel::bounded::<u32>(1);
    tx.try_send(0).unwrap();
    let cancelled = spawn_send(&other, &tx, 1);
    settle().await;
    let detached = spawn_send(&other, &tx, 2);
    settle().await;
    cancelled.cancel();
    let cancelled = soon("the cancel", cancelled).await;
    assert!(cancelled.unwrap_err().is_cancelled());
    drop(detached); // keeps running on the other loop
    let mut landed = Vec::new();
    for _ in 0..2 {
        let rx = rx.clone();
        landed.push(soon("recv", async move { rx.recv().await }).await.unwrap());
    }
    drop(tx);
    let rx2 = rx.clone();
    let third = soon("the end", async move { rx2.recv().await }).await;
    assert!(third.is_err(), "nothing else landed: {third:?}");
    landed
}

#[test]
fn a_remote_task_cancelled_or_dropped_across_loops_keeps_the_channel_right() {
    let other = Looper::start();
    let remote = other.remote.clone();
    let landed = corio::run(async move { remote_tasks_cancelled_and_dropped(remote).await });
    assert_eq!(landed, [0, 2]);
}
