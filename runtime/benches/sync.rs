//! corio's channels and queue against tokio (current_thread) and async-channel (on smol).
//!
//! Run: `cargo bench -p corio --bench sync` (set `CORIO_BENCH_ROUNDS` to change the
//! 1,000,000 round trips; each number is the best of 3 runs).
//!
//! Ping-pong: two tasks pass a counter back and forth, one round trip = two messages, two
//! wake-ups and two task switches. Patterns: a chain of oneshot channels (each message
//! carries the sender for the reply), two mpsc channels of capacity 1, and mpsc requests
//! carrying a oneshot for the reply. Throughput: one producer, one consumer, 128 slots.
//!
//! corio's event loop is not in this crate yet, so corio's primitives run on two executors:
//! `rr`, a minimal two-task executor written below (a woken flag per task, poll whichever
//! was woken), and smol's `LocalExecutor`, which is what async-channel runs on here, so
//! that corio/smol against async-channel/smol compares like with like. `floor` is a
//! hand-rolled single-slot `!Send` channel on `rr`: the cost of the executor itself.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use corio::sync::{Queue, mpsc, oneshot};

// ---- executors -------------------------------------------------------------------------

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The minimal round-robin executor: polls each of two futures when its waker was woken.
fn rr(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let flags = [
        Arc::new(Flag(AtomicBool::new(true))),
        Arc::new(Flag(AtomicBool::new(true))),
    ];
    let wakers = flags.clone().map(Waker::from);
    let (mut cx_a, mut cx_b) = (
        Context::from_waker(&wakers[0]),
        Context::from_waker(&wakers[1]),
    );
    let (mut a_done, mut b_done) = (false, false);
    while !(a_done && b_done) {
        let mut progressed = false;
        if !a_done && flags[0].0.swap(false, Ordering::Relaxed) {
            progressed = true;
            a_done = a.as_mut().poll(&mut cx_a).is_ready();
        }
        if !b_done && flags[1].0.swap(false, Ordering::Relaxed) {
            progressed = true;
            b_done = b.as_mut().poll(&mut cx_b).is_ready();
        }
        assert!(progressed, "deadlock: no task was woken");
    }
}

fn on_smol(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let (ta, tb) = (ex.spawn(a), ex.spawn(b));
        ta.await;
        tb.await;
    }));
}

fn on_tokio(
    a: impl Future<Output = ()> + Send + 'static,
    b: impl Future<Output = ()> + Send + 'static,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (ta, tb) = (tokio::spawn(a), tokio::spawn(b));
        ta.await.unwrap();
        tb.await.unwrap();
    });
}

// ---- corio -----------------------------------------------------------------------------

struct Ball(u64, oneshot::Sender<Ball>);

fn corio_oneshot(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (first_tx, first_rx) = oneshot::channel::<Ball>();
    let a = async move {
        let mut to_b = first_tx;
        for i in 0..n {
            let (tx, rx) = oneshot::channel();
            assert!(to_b.send(Ball(i, tx)).is_ok());
            let Ball(j, next) = rx.await.unwrap();
            black_box(j);
            to_b = next;
        }
    };
    let b = async move {
        let mut from_a = first_rx;
        while let Ok(Ball(i, reply)) = from_a.await {
            let (tx, rx) = oneshot::channel();
            assert!(reply.send(Ball(i, tx)).is_ok());
            from_a = rx;
        }
    };
    (a, b)
}

fn corio_mpsc(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (ab_tx, ab_rx) = mpsc::channel(1);
    let (ba_tx, ba_rx) = mpsc::channel(1);
    let a = async move {
        for i in 0..n {
            ab_tx.send(i).await.unwrap();
            black_box(ba_rx.recv().await.unwrap());
        }
    };
    let b = async move {
        while let Some(i) = ab_rx.recv().await {
            ba_tx.send(i).await.unwrap();
        }
    };
    (a, b)
}

fn corio_request_reply(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (req_tx, req_rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1);
    let a = async move {
        for i in 0..n {
            let (tx, rx) = oneshot::channel();
            assert!(req_tx.send((i, tx)).await.is_ok());
            black_box(rx.await.unwrap());
        }
    };
    let b = async move {
        while let Some((i, reply)) = req_rx.recv().await {
            reply.send(i).unwrap();
        }
    };
    (a, b)
}

fn corio_queue(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let queue = Queue::new(128);
    let producer = {
        let queue = queue.clone();
        async move {
            for i in 0..n {
                queue.put(i).await.unwrap();
            }
        }
    };
    let consumer = async move {
        let mut sum = 0;
        for _ in 0..n {
            sum += queue.get().await.unwrap();
        }
        assert_eq!(sum, n * (n - 1) / 2);
    };
    (producer, consumer)
}

fn corio_mpsc_stream(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (tx, rx) = mpsc::channel(128);
    let producer = async move {
        for i in 0..n {
            tx.send(i).await.unwrap();
        }
    };
    let consumer = async move {
        let mut sum = 0;
        while let Some(i) = rx.recv().await {
            sum += i;
        }
        assert_eq!(sum, n * (n - 1) / 2);
    };
    (producer, consumer)
}

// ---- the floor: a single-slot channel with no bookkeeping -------------------------------

#[derive(Default)]
struct Slot {
    value: Cell<Option<u64>>,
    waker: Cell<Option<Waker>>,
}

impl Slot {
    fn send(&self, v: u64) {
        self.value.set(Some(v));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    async fn recv(&self) -> u64 {
        std::future::poll_fn(|cx| match self.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                self.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
        .await
    }
}

fn floor(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (ab, ba) = (Rc::new(Slot::default()), Rc::new(Slot::default()));
    let (ab2, ba2) = (ab.clone(), ba.clone());
    let a = async move {
        for i in 0..n {
            ab.send(i);
            black_box(ba.recv().await);
        }
        ab.send(u64::MAX);
    };
    let b = async move {
        loop {
            let i = ab2.recv().await;
            if i == u64::MAX {
                break;
            }
            ba2.send(i);
        }
    };
    (a, b)
}

// ---- tokio -----------------------------------------------------------------------------

struct TokioBall(u64, tokio::sync::oneshot::Sender<TokioBall>);

fn tokio_oneshot(
    n: u64,
) -> (
    impl Future<Output = ()> + Send,
    impl Future<Output = ()> + Send,
) {
    use tokio::sync::oneshot;
    let (first_tx, first_rx) = oneshot::channel::<TokioBall>();
    let a = async move {
        let mut to_b = first_tx;
        for i in 0..n {
            let (tx, rx) = oneshot::channel();
            assert!(to_b.send(TokioBall(i, tx)).is_ok());
            let TokioBall(j, next) = rx.await.unwrap();
            black_box(j);
            to_b = next;
        }
    };
    let b = async move {
        let mut from_a = first_rx;
        while let Ok(TokioBall(i, reply)) = from_a.await {
            let (tx, rx) = oneshot::channel();
            assert!(reply.send(TokioBall(i, tx)).is_ok());
            from_a = rx;
        }
    };
    (a, b)
}

fn tokio_mpsc(
    n: u64,
) -> (
    impl Future<Output = ()> + Send,
    impl Future<Output = ()> + Send,
) {
    use tokio::sync::mpsc;
    let (ab_tx, mut ab_rx) = mpsc::channel(1);
    let (ba_tx, mut ba_rx) = mpsc::channel(1);
    let a = async move {
        for i in 0..n {
            ab_tx.send(i).await.unwrap();
            black_box(ba_rx.recv().await.unwrap());
        }
    };
    let b = async move {
        while let Some(i) = ab_rx.recv().await {
            ba_tx.send(i).await.unwrap();
        }
    };
    (a, b)
}

fn tokio_request_reply(
    n: u64,
) -> (
    impl Future<Output = ()> + Send,
    impl Future<Output = ()> + Send,
) {
    use tokio::sync::{mpsc, oneshot};
    let (req_tx, mut req_rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1);
    let a = async move {
        for i in 0..n {
            let (tx, rx) = oneshot::channel();
            assert!(req_tx.send((i, tx)).await.is_ok());
            black_box(rx.await.unwrap());
        }
    };
    let b = async move {
        while let Some((i, reply)) = req_rx.recv().await {
            reply.send(i).unwrap();
        }
    };
    (a, b)
}

fn tokio_stream(
    n: u64,
) -> (
    impl Future<Output = ()> + Send,
    impl Future<Output = ()> + Send,
) {
    let (tx, mut rx) = tokio::sync::mpsc::channel(128);
    let producer = async move {
        for i in 0..n {
            tx.send(i).await.unwrap();
        }
    };
    let consumer = async move {
        let mut sum = 0;
        while let Some(i) = rx.recv().await {
            sum += i;
        }
        assert_eq!(sum, n * (n - 1) / 2);
    };
    (producer, consumer)
}

// ---- async-channel ---------------------------------------------------------------------

struct AcBall(u64, async_channel::Sender<AcBall>);

/// async-channel has no oneshot: a fresh `bounded(1)` per message stands in for one.
fn ac_oneshot(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (first_tx, first_rx) = async_channel::bounded::<AcBall>(1);
    let a = async move {
        let mut to_b = first_tx;
        for i in 0..n {
            let (tx, rx) = async_channel::bounded(1);
            assert!(to_b.try_send(AcBall(i, tx)).is_ok());
            let AcBall(j, next) = rx.recv().await.unwrap();
            black_box(j);
            to_b = next;
        }
    };
    let b = async move {
        let mut from_a = first_rx;
        while let Ok(AcBall(i, reply)) = from_a.recv().await {
            let (tx, rx) = async_channel::bounded(1);
            assert!(reply.try_send(AcBall(i, tx)).is_ok());
            from_a = rx;
        }
    };
    (a, b)
}

fn ac_mpsc(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (ab_tx, ab_rx) = async_channel::bounded(1);
    let (ba_tx, ba_rx) = async_channel::bounded(1);
    let a = async move {
        for i in 0..n {
            ab_tx.send(i).await.unwrap();
            black_box(ba_rx.recv().await.unwrap());
        }
    };
    let b = async move {
        while let Ok(i) = ab_rx.recv().await {
            ba_tx.send(i).await.unwrap();
        }
    };
    (a, b)
}

fn ac_request_reply(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (req_tx, req_rx) = async_channel::bounded::<(u64, async_channel::Sender<u64>)>(1);
    let a = async move {
        for i in 0..n {
            let (tx, rx) = async_channel::bounded(1);
            assert!(req_tx.send((i, tx)).await.is_ok());
            black_box(rx.recv().await.unwrap());
        }
    };
    let b = async move {
        while let Ok((i, reply)) = req_rx.recv().await {
            reply.try_send(i).unwrap();
        }
    };
    (a, b)
}

fn ac_stream(n: u64) -> (impl Future<Output = ()>, impl Future<Output = ()>) {
    let (tx, rx) = async_channel::bounded(128);
    let producer = async move {
        for i in 0..n {
            tx.send(i).await.unwrap();
        }
    };
    let consumer = async move {
        let mut sum = 0;
        while let Ok(i) = rx.recv().await {
            sum += i;
        }
        assert_eq!(sum, n * (n - 1) / 2);
    };
    (producer, consumer)
}

// ---- driver ----------------------------------------------------------------------------

/// Best of three: nanoseconds per round trip (or per item).
fn ns_per_op(n: u64, mut run: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn row(label: &str, ns: f64, base: f64, base_name: &str) {
    println!(
        "  {label:<44} {ns:>8.1} ns   {:>5.2}x {base_name}",
        ns / base
    );
}

fn main() {
    let n: u64 = std::env::var("CORIO_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    println!("corio::sync benchmarks, {n} round trips / items, best of 3");
    println!("(corio has no event loop in this crate yet: `rr` is a minimal two-task executor");
    println!(" written in this bench; `smol` is smol's LocalExecutor, as for async-channel)\n");

    println!("ping-pong, ns per round trip (ratio to tokio current_thread, lower is better)");
    let floor_ns = ns_per_op(n, || {
        let (a, b) = floor(n);
        rr(a, b)
    });

    let patterns: [(&str, [f64; 4]); 3] = [
        (
            "oneshot",
            [
                ns_per_op(n, || {
                    let (a, b) = corio_oneshot(n);
                    rr(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = corio_oneshot(n);
                    on_smol(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = tokio_oneshot(n);
                    on_tokio(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = ac_oneshot(n);
                    on_smol(a, b)
                }),
            ],
        ),
        (
            "mpsc(1)",
            [
                ns_per_op(n, || {
                    let (a, b) = corio_mpsc(n);
                    rr(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = corio_mpsc(n);
                    on_smol(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = tokio_mpsc(n);
                    on_tokio(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = ac_mpsc(n);
                    on_smol(a, b)
                }),
            ],
        ),
        (
            "mpsc(1) request + oneshot reply",
            [
                ns_per_op(n, || {
                    let (a, b) = corio_request_reply(n);
                    rr(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = corio_request_reply(n);
                    on_smol(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = tokio_request_reply(n);
                    on_tokio(a, b)
                }),
                ns_per_op(n, || {
                    let (a, b) = ac_request_reply(n);
                    on_smol(a, b)
                }),
            ],
        ),
    ];
    for (name, [corio_rr, corio_smol, tokio, ac]) in patterns {
        println!(" {name}");
        row("corio, rr executor", corio_rr, tokio, "tokio");
        row("corio, smol LocalExecutor", corio_smol, tokio, "tokio");
        row("tokio, current_thread", tokio, tokio, "tokio");
        let ac_label = if name == "mpsc(1)" {
            "async-channel bounded(1), smol"
        } else {
            "async-channel (bounded(1) as oneshot), smol"
        };
        row(ac_label, ac, tokio, "tokio");
        println!(
            "  => corio/smol vs async-channel/smol: {:.2}x; corio/rr: {} the 120 ns target",
            corio_smol / ac,
            if corio_rr <= 120.0 { "meets" } else { "misses" }
        );
    }
    println!(" floor (single-slot !Send channel, rr)            {floor_ns:>8.1} ns\n");

    println!("producer -> consumer throughput, 128 slots, ns per item (ratio to tokio mpsc)");
    let tokio_ns = ns_per_op(n, || {
        let (a, b) = tokio_stream(n);
        on_tokio(a, b)
    });
    let rows = [
        (
            "corio Queue(128), rr",
            ns_per_op(n, || {
                let (a, b) = corio_queue(n);
                rr(a, b)
            }),
        ),
        (
            "corio Queue(128), smol",
            ns_per_op(n, || {
                let (a, b) = corio_queue(n);
                on_smol(a, b)
            }),
        ),
        (
            "corio mpsc(128), rr",
            ns_per_op(n, || {
                let (a, b) = corio_mpsc_stream(n);
                rr(a, b)
            }),
        ),
        (
            "corio mpsc(128), smol",
            ns_per_op(n, || {
                let (a, b) = corio_mpsc_stream(n);
                on_smol(a, b)
            }),
        ),
        ("tokio mpsc(128), current_thread", tokio_ns),
        (
            "async-channel bounded(128), smol",
            ns_per_op(n, || {
                let (a, b) = ac_stream(n);
                on_smol(a, b)
            }),
        ),
    ];
    for (label, ns) in rows {
        println!(
            "  {label:<44} {ns:>8.1} ns   {:>5.2}x tokio   {:>6.1} M items/s",
            ns / tokio_ns,
            1e3 / ns
        );
    }
}
