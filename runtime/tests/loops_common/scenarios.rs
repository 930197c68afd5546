//! Cancellation scenarios across loops that `loops_channels.rs` (async-channel) and
//! `loops_threadsafe_channels.rs` (corio's `sync::threadsafe::mpsc`) both run: written once,
//! generic over [`Chan`], each channel's test file implementing it.

use std::future::Future;
use std::time::Duration;

use super::Looper;

/// A bounded multi-producer channel of `u32`s, as the scenarios use it: every operation
/// takes a handle by value and returns a `'static` future, so that `#[corio::coroutine]`
/// bodies can await it (a channel whose futures borrow the handle wraps them in an
/// `async move` block that owns a clone).
pub(crate) trait Chan: 'static {
    /// The sending handle.
    type Tx: Clone + Send + 'static;
    /// The receiving handle (several receivers share one channel).
    type Rx: Clone + Send + 'static;
    /// A channel with room for `cap` items.
    fn bounded(cap: usize) -> (Self::Tx, Self::Rx);
    /// Sends `v`; `Err(v)` when the channel is closed.
    fn send(tx: Self::Tx, v: u32) -> impl Future<Output = Result<(), u32>> + Send + 'static;
    /// The next item; `None` once the channel is closed and drained.
    fn recv(rx: Self::Rx) -> impl Future<Output = Option<u32>> + Send + 'static;
}

/// Receives until the channel ends; with `cancel_often`, every attempt races a `yield_now`
/// that is polled first, so that the `recv` is often dropped after a send on another loop
/// woke it and before it ran.
#[corio::coroutine]
pub(crate) async fn receive_all<C: Chan>(rx: C::Rx, cancel_often: bool) -> (Vec<u32>, u32) {
    let mut got = Vec::new();
    let mut cancelled = 0;
    loop {
        let res = if cancel_often {
            match corio::select(corio::yield_now(), C::recv(rx.clone())).await {
                corio::Either::Left(()) => {
                    cancelled += 1; // the recv was dropped, woken or not
                    continue;
                }
                corio::Either::Right(res) => res,
            }
        } else {
            C::recv(rx.clone()).await
        };
        match res {
            Some(v) => got.push(v),
            None => return (got, cancelled), // closed and drained
        }
    }
}

/// Two receivers on one loop, one of them cancelling its `recv` over and over, while
/// another loop sends: every item arrives exactly once, each receiver sees its share in
/// order, and nobody is left asleep beside an item (that would hang, and time out).
pub(crate) fn recvs_cancelled_while_sends_arrive_from_another_loop_lose_nothing<C: Chan>() {
    const N: u32 = 3000;
    let other = Looper::start();
    let (tx, rx) = C::bounded(4);
    let sender = other.remote.spawn(async move {
        for i in 0..N {
            C::send(tx.clone(), i).await.unwrap();
            if i % 7 == 0 {
                corio::yield_now().await;
            }
        }
        // dropping `tx` ends the receivers once the buffer is drained
    });
    let (a, b) = corio::run(async move {
        let a = corio::spawn(receive_all::<C>(rx.clone(), true));
        let b = corio::spawn(receive_all::<C>(rx, false));
        let a = corio::timeout(Duration::from_secs(60), a).await;
        let b = corio::timeout(Duration::from_secs(60), b).await;
        (
            a.expect("a receiver waits forever").unwrap(),
            b.expect("a receiver waits forever").unwrap(),
        )
    });
    sender.join().unwrap();
    let ((a, cancelled), (b, _)) = (a, b);
    assert!(
        cancelled > 0,
        "no recv was cancelled: the test tests nothing"
    );
    assert!(
        a.is_sorted() && b.is_sorted(),
        "each receiver's share in order"
    );
    let mut all = [a, b].concat();
    all.sort_unstable();
    assert_eq!(all, (0..N).collect::<Vec<_>>(), "every item exactly once");
}

/// Sends `0..n` one after another, each racing a `yield_now` polled first, so that many
/// sends are cancelled after a `recv` on another loop made room; the values whose send
/// completed, in order.
#[corio::coroutine]
async fn send_racing_cancels<C: Chan>(tx: C::Tx, n: u32) -> Vec<u32> {
    let mut sent = Vec::new();
    for i in 0..n {
        if let corio::Either::Right(res) =
            corio::select(corio::yield_now(), C::send(tx.clone(), i)).await
        {
            res.unwrap();
            sent.push(i);
        }
    }
    sent
}

/// A sender whose bounded sends are often cancelled while a receiver on another loop
/// drains the channel: exactly the sends that completed land, in order; no cancelled one.
pub(crate) fn sends_cancelled_while_room_opens_on_another_loop_land_exactly_when_they_complete<
    C: Chan,
>() {
    const N: u32 = 3000;
    let other = Looper::start();
    let (tx, rx) = C::bounded(1);
    let receiver = other.remote.spawn(async move {
        let mut got = Vec::new();
        while let Some(v) = C::recv(rx.clone()).await {
            got.push(v);
        }
        got
    });
    let sent = corio::run(send_racing_cancels::<C>(tx, N));
    let got = receiver.join().unwrap();
    assert!(
        sent.len() < N as usize,
        "no send was cancelled: the test tests nothing"
    );
    assert!(!sent.is_empty());
    assert_eq!(got, sent);
}
