//! `corio::sync::threadsafe::{mpsc, oneshot}` between loops on different threads and plain
//! threads, every operation awaited directly in `#[corio::coroutine]` bodies (the futures
//! borrow nothing). The cancellation cases are those of the local channels (`tests/sync.rs`
//! `handover_on_cancel`, `src/sync/mpsc.rs`), repeated across loops as
//! `tests/loops_channels.rs` does for async-channel.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use corio::RemoteHandle;
use corio::sync::threadsafe::{mpsc, oneshot};

mod loops_common;
use loops_common::scenarios::{self, Chan};
use loops_common::{Looper, poll_once, settle, soon};

/// Sends `0..n`, each `send` awaited directly in the coroutine body.
#[corio::coroutine]
async fn send_range(tx: mpsc::Sender<u32>, n: u32) -> u32 {
    let mut sent = 0;
    for i in 0..n {
        tx.send(i).await.unwrap();
        sent += 1;
    }
    sent
}

/// Receives until the channel ends, each `recv` awaited directly in the coroutine body.
#[corio::coroutine]
async fn receive_until_end(rx: mpsc::Receiver<u32>) -> Vec<u32> {
    let mut got = Vec::new();
    while let Some(v) = soon("recv", rx.recv()).await {
        got.push(v);
    }
    got
}

#[test]
fn values_flow_between_loops_in_order() {
    let other = Looper::start();
    let (tx, rx) = mpsc::channel::<u32>(4);
    let producer = other.remote.spawn_with(move || send_range(tx, 100));
    let got = corio::run(receive_until_end(rx));
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    assert_eq!(producer.join().unwrap(), 100);
}

#[test]
fn values_flow_from_and_to_plain_threads() {
    // A plain thread's blocking sends to a coroutine on a loop...
    let (tx, rx) = mpsc::channel::<u32>(2);
    let producer = thread::spawn(move || {
        for i in 0..500 {
            tx.blocking_send(i).unwrap();
        }
    });
    let got = corio::run(receive_until_end(rx));
    producer.join().unwrap();
    assert_eq!(got, (0..500).collect::<Vec<_>>());

    // ...and a coroutine's sends to a plain thread's blocking receives.
    let (tx, rx) = mpsc::channel::<u32>(2);
    let consumer = thread::spawn(move || {
        let mut got = Vec::new();
        while let Some(v) = rx.blocking_recv() {
            got.push(v);
        }
        got
    });
    assert_eq!(corio::run(send_range(tx, 500)), 500);
    assert_eq!(consumer.join().unwrap(), (0..500).collect::<Vec<_>>());
}

/// A bounded `send` waiting first is given the room a `recv` on another loop opens, and is
/// dropped before it runs: its item never lands, the room goes to the next sender.
#[corio::coroutine]
async fn a_send_given_room_then_dropped(other: RemoteHandle) -> Vec<u32> {
    let (tx, rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut a = tx.send(1);
    let (polled, woken) = poll_once(&mut a);
    assert!(polled.is_pending(), "A waits for room first");
    let b = corio::spawn(tx.send(2));
    settle().await; // B waits behind A
    let rx = Arc::new(rx);
    let taker = rx.clone();
    let took = soon(
        "the recv on the other loop",
        other.spawn(async move { taker.recv().await }),
    )
    .await;
    assert_eq!(took.unwrap(), Some(0));
    assert!(woken.0.load(Ordering::SeqCst), "the room went to A");
    drop(a); // chosen for the room, cancelled before it ran
    let b_sent = soon("B's send", b).await;
    assert_eq!(b_sent.unwrap(), Ok(()), "B gets the room");
    drop(tx);
    let mut landed = Vec::new();
    while let Some(v) = soon("recv", rx.recv()).await {
        landed.push(v);
    }
    landed
}

#[test]
fn a_send_given_room_from_another_loop_then_dropped_passes_the_room_on() {
    let other = Looper::start();
    let remote = other.remote.clone();
    let landed = corio::run(a_send_given_room_then_dropped(remote));
    assert_eq!(landed, [2], "A's cancelled send must not land");
}

/// A `recv` waiting first is woken by a send from another loop and dropped before it runs:
/// the item is the next waiter's, not lost.
#[corio::coroutine]
async fn a_woken_recv_dropped_before_it_runs(other: RemoteHandle) -> Option<u32> {
    let (tx, rx) = mpsc::channel::<u32>(1);
    let mut a = rx.recv();
    let (polled, woken) = poll_once(&mut a);
    assert!(polled.is_pending(), "A waits first");
    let b = corio::spawn(rx.recv());
    settle().await; // B waits behind A
    // Kept: the last sender's drop would wake B for the close, hiding a lost wake-up.
    let _open = tx.clone();
    let sent = soon(
        "the send on the other loop",
        other.spawn(async move { tx.send(7).await }),
    )
    .await;
    assert_eq!(sent.unwrap(), Ok(()));
    assert!(woken.0.load(Ordering::SeqCst), "the send chose A");
    drop(a); // chosen for the item, cancelled before it ran
    soon("B's recv", b).await.unwrap()
}

#[test]
fn a_recv_woken_from_another_loop_then_dropped_passes_the_item_on() {
    let other = Looper::start();
    let remote = other.remote.clone();
    assert_eq!(
        corio::run(a_woken_recv_dropped_before_it_runs(remote)),
        Some(7)
    );
}

/// The same two hand-overs with the other end on a plain thread: its blocking `recv` makes
/// room for a waiting send that is then dropped; its blocking send wakes a waiting `recv`
/// that is then dropped.
#[corio::coroutine]
async fn handovers_with_a_plain_thread() -> (Vec<u32>, Option<u32>) {
    let (tx, rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let mut a = tx.send(1);
    let (polled, woken) = poll_once(&mut a);
    assert!(polled.is_pending());
    let b = corio::spawn(tx.send(2));
    settle().await;
    let rx = Arc::new(rx);
    let taker = rx.clone();
    let took = corio::spawn_blocking(move || taker.blocking_recv()).await;
    assert_eq!(took, Some(0));
    assert!(woken.0.load(Ordering::SeqCst), "the room went to A");
    drop(a);
    let b_sent = soon("B's send", b).await;
    assert_eq!(b_sent.unwrap(), Ok(()));
    drop(tx);
    let mut landed = Vec::new();
    while let Some(v) = rx.recv().await {
        landed.push(v);
    }

    let (tx, rx) = mpsc::channel::<u32>(1);
    let mut a = rx.recv();
    let (polled, woken) = poll_once(&mut a);
    assert!(polled.is_pending());
    let b = corio::spawn(rx.recv());
    settle().await;
    let _open = tx.clone(); // as above: no close to wake B
    corio::spawn_blocking(move || tx.blocking_send(9))
        .await
        .unwrap();
    assert!(woken.0.load(Ordering::SeqCst), "the send chose A");
    drop(a);
    (landed, soon("B's recv", b).await.unwrap())
}

#[test]
fn hand_overs_with_a_plain_thread_survive_cancellation() {
    let (landed, passed_on) = corio::run(handovers_with_a_plain_thread());
    assert_eq!(landed, [2], "A's cancelled send must not land");
    assert_eq!(passed_on, Some(9));
}

/// The receiver dropped on this loop: a send waiting on another loop, a later send, and a
/// plain thread's blocking send all get their items back.
#[corio::coroutine]
async fn dropping_the_receiver_returns_items(other: RemoteHandle) -> (u32, u32, u32) {
    let (tx, rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let waiting = other.spawn(tx.send(1));
    let blocked = {
        let tx = tx.clone();
        thread::spawn(move || tx.blocking_send(3))
    };
    settle().await;
    drop(rx);
    let waiting = soon("the waiting send", waiting).await.unwrap();
    let later = tx.send(2).await;
    let blocked = corio::spawn_blocking(move || blocked.join().unwrap()).await;
    (
        waiting.unwrap_err(),
        later.unwrap_err(),
        blocked.unwrap_err(),
    )
}

#[test]
fn dropping_the_receiver_gives_waiting_and_later_sends_their_items_back() {
    let other = Looper::start();
    let remote = other.remote.clone();
    assert_eq!(
        corio::run(dropping_the_receiver_returns_items(remote)),
        (1, 2, 3)
    );
}

/// Dropping every sender (one on this loop, one on another) ends a receiver waiting on the
/// other loop after the buffer, and a plain thread's blocking receive too.
#[corio::coroutine]
async fn dropping_every_sender_ends_receivers(other: RemoteHandle) -> (Vec<u32>, Option<u32>) {
    let (tx, rx) = mpsc::channel::<u32>(2);
    let waiting = other.spawn_with(move || receive_until_end(rx));
    tx.send(1).await.unwrap();
    let tx2 = tx.clone();
    soon(
        "the other loop's send",
        other.spawn(async move { tx2.send(2).await }),
    )
    .await
    .unwrap()
    .unwrap();
    drop(tx);
    let got = soon("the receiver's end", waiting).await.unwrap();

    let (tx, rx) = mpsc::channel::<u32>(1);
    let blocked = thread::spawn(move || rx.blocking_recv());
    settle().await;
    drop(tx);
    (
        got,
        corio::spawn_blocking(move || blocked.join().unwrap()).await,
    )
}

#[test]
fn dropping_every_sender_ends_the_receiver_after_the_buffer() {
    let other = Looper::start();
    let remote = other.remote.clone();
    assert_eq!(
        corio::run(dropping_every_sender_ends_receivers(remote)),
        (vec![1, 2], None)
    );
}

/// `close` on this loop wakes the senders waiting on another loop (they get their items
/// back) and leaves the buffer to be received; the receivers then end.
#[corio::coroutine]
async fn close_wakes_the_other_loops_senders(other: RemoteHandle) -> (Vec<u32>, Vec<u32>) {
    let (tx, rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let senders: Vec<_> = [1, 2]
        .into_iter()
        .map(|v| other.spawn(tx.send(v)))
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
    let mut drained = Vec::new();
    while let Some(v) = rx.recv().await {
        drained.push(v);
    }
    (returned, drained)
}

#[test]
fn close_wakes_senders_on_another_loop_and_keeps_the_buffer() {
    let other = Looper::start();
    let remote = other.remote.clone();
    let (returned, drained) = corio::run(close_wakes_the_other_loops_senders(remote));
    assert_eq!(returned, [1, 2]);
    assert_eq!(drained, [0]);
}

/// corio's threadsafe mpsc in the shared scenarios: its futures borrow nothing; the
/// receiver, which is not `Clone`, is shared behind an `Arc`.
struct Threadsafe;

impl Chan for Threadsafe {
    type Tx = mpsc::Sender<u32>;
    type Rx = Arc<mpsc::Receiver<u32>>;

    fn bounded(cap: usize) -> (Self::Tx, Self::Rx) {
        let (tx, rx) = mpsc::channel(cap);
        (tx, Arc::new(rx))
    }

    fn send(tx: Self::Tx, v: u32) -> impl Future<Output = Result<(), u32>> + Send + 'static {
        tx.send(v)
    }

    fn recv(rx: Self::Rx) -> impl Future<Output = Option<u32>> + Send + 'static {
        rx.recv()
    }
}

#[test]
fn recvs_cancelled_while_sends_arrive_from_another_loop_lose_nothing() {
    scenarios::recvs_cancelled_while_sends_arrive_from_another_loop_lose_nothing::<Threadsafe>();
}

#[test]
fn sends_cancelled_while_room_opens_on_another_loop_land_exactly_when_they_complete() {
    scenarios::sends_cancelled_while_room_opens_on_another_loop_land_exactly_when_they_complete::<
        Threadsafe,
    >();
}

/// A task on another loop waiting to send is cancelled through its `RemoteTask`: its item
/// never lands and the room goes to the next sender; a dropped `RemoteTask` leaves its task
/// running, and its send lands.
#[corio::coroutine]
async fn remote_tasks_cancelled_and_dropped(other: RemoteHandle) -> Vec<u32> {
    let (tx, rx) = mpsc::channel::<u32>(1);
    tx.try_send(0).unwrap();
    let cancelled = other.spawn(tx.send(1));
    settle().await;
    let detached = other.spawn(tx.send(2));
    settle().await;
    cancelled.cancel();
    let cancelled = soon("the cancel", cancelled).await;
    assert!(cancelled.unwrap_err().is_cancelled());
    drop(detached); // keeps running on the other loop
    let mut landed = Vec::new();
    for _ in 0..2 {
        landed.push(soon("recv", rx.recv()).await.unwrap());
    }
    drop(tx);
    let third = soon("the end", rx.recv()).await;
    assert_eq!(third, None, "nothing else landed");
    landed
}

#[test]
fn a_remote_task_cancelled_or_dropped_across_loops_keeps_the_channel_right() {
    let other = Looper::start();
    let remote = other.remote.clone();
    assert_eq!(
        corio::run(remote_tasks_cancelled_and_dropped(remote)),
        [0, 2]
    );
}

/// A reply from another loop, from a plain thread, a receiver cancelled on the other loop
/// (the send gets its value back), and a sender dropped there (the receiver hears of it).
#[corio::coroutine]
async fn oneshot_cases(other: RemoteHandle) -> (u32, u32, Result<(), u32>, bool) {
    let (tx, rx) = oneshot::channel::<u32>();
    other
        .call_soon_threadsafe(move || tx.send(1).unwrap())
        .unwrap();
    let from_loop = soon("the oneshot from another loop", rx).await.unwrap();

    let (tx, rx) = oneshot::channel::<u32>();
    thread::spawn(move || tx.send(2).unwrap());
    let from_thread = soon("the oneshot from a plain thread", rx).await.unwrap();

    let (tx, rx) = oneshot::channel::<u32>();
    let waiting = other.spawn(rx);
    settle().await;
    waiting.cancel();
    let waited = soon("the cancel", waiting).await;
    assert!(waited.unwrap_err().is_cancelled());
    let refused = tx.send(3);

    let (tx, rx) = oneshot::channel::<u32>();
    soon("the drop", other.spawn(async move { drop(tx) }))
        .await
        .unwrap();
    let heard = soon("the oneshot", rx).await == Err(oneshot::RecvError);
    (from_loop, from_thread, refused, heard)
}

#[test]
fn oneshot_between_loops_and_threads_and_its_cancellations() {
    let other = Looper::start();
    let remote = other.remote.clone();
    assert_eq!(corio::run(oneshot_cases(remote)), (1, 2, Err(3), true));
    // A plain thread blocks for a reply from a loop.
    let (tx, rx) = oneshot::channel::<&str>();
    let waiter = thread::spawn(move || rx.blocking_recv());
    other
        .remote
        .call_soon_threadsafe(move || tx.send("hi").unwrap())
        .unwrap();
    assert_eq!(waiter.join().unwrap(), Ok("hi"));
}

/// Sends `from..from + n` in order, each `send` racing a `yield_now` polled first and
/// retried when cancelled, so that cancelled sends waiting for room are common.
#[corio::coroutine]
async fn send_with_retries(tx: mpsc::Sender<u32>, from: u32, n: u32) -> u32 {
    let mut cancelled = 0;
    for i in from..from + n {
        loop {
            match corio::select(corio::yield_now(), tx.send(i)).await {
                corio::Either::Left(()) => cancelled += 1,
                corio::Either::Right(res) => {
                    res.unwrap();
                    break;
                }
            }
        }
    }
    cancelled
}

/// Producers on two plain threads (blocking) and on two loops (sends cancelled and retried
/// all the time) feed one capacity-1 channel that two receivers on a third loop drain, one
/// of them cancelling its `recv` all the time: every item arrives exactly once, each
/// producer's items in its order, and nobody sleeps beside an item or a free slot (that
/// would hang into the timeout). This is the test of the wake-up protocol under real
/// concurrency (every waiter list sees registrations, notifications and cancellations from
/// several threads at once).
#[test]
fn producers_on_threads_and_loops_with_cancelling_receivers_lose_nothing() {
    const PER: u32 = 1500;
    let (a, b) = (Looper::start(), Looper::start());
    let (tx, rx) = mpsc::channel::<u32>(1);
    let threads: Vec<_> = (0..2)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in p * PER..(p + 1) * PER {
                    tx.blocking_send(i).unwrap();
                }
            })
        })
        .collect();
    let loops: Vec<_> = [(&a, 2), (&b, 3)]
        .into_iter()
        .map(|(l, p)| {
            let tx = tx.clone();
            l.remote
                .spawn_with(move || send_with_retries(tx, p * PER, PER))
        })
        .collect();
    drop(tx);
    let rx = Arc::new(rx);
    let (got_a, got_b) = corio::run(async move {
        let a = corio::spawn(scenarios::receive_all::<Threadsafe>(rx.clone(), true));
        let b = corio::spawn(scenarios::receive_all::<Threadsafe>(rx, false));
        let a = corio::timeout(Duration::from_secs(60), a).await;
        let b = corio::timeout(Duration::from_secs(60), b).await;
        (
            a.expect("a receiver waits forever").unwrap(),
            b.expect("a receiver waits forever").unwrap(),
        )
    });
    threads.into_iter().for_each(|t| t.join().unwrap());
    let sends_cancelled: u32 = loops.into_iter().map(|l| l.join().unwrap()).sum();
    let ((got_a, recvs_cancelled), (got_b, _)) = (got_a, got_b);
    assert!(
        recvs_cancelled > 0 && sends_cancelled > 0,
        "nothing was cancelled: the test tests nothing"
    );
    for got in [&got_a, &got_b] {
        for p in 0..4 {
            let mine: Vec<_> = got.iter().filter(|&&v| v / PER == p).collect();
            assert!(mine.is_sorted(), "producer {p}'s items out of order");
        }
    }
    let mut all = [got_a, got_b].concat();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..4 * PER).collect::<Vec<_>>(),
        "every item exactly once"
    );
}
