//! A test-only executor: `block_on` and hand-polled tasks with counting wakers.
//!
//! Tests of the primitives poll several futures in an order they choose, and check who was
//! woken, how often, and what each future returns, without any scheduler in between.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// A waker that counts its wake-ups.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicUsize);

impl Counter {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    pub(crate) fn waker(self: &Arc<Self>) -> Waker {
        Waker::from(self.clone())
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future polled by hand, with its own counting waker.
#[derive(Debug)]
pub(crate) struct Task<F: Future> {
    fut: Option<F>,
    counter: Arc<Counter>,
    seen: usize,
}

impl<F: Future + Unpin> Task<F> {
    pub(crate) fn new(fut: F) -> Self {
        Self {
            fut: Some(fut),
            counter: Counter::new(),
            seen: 0,
        }
    }

    /// Polls once; panics if the future already completed or was dropped.
    pub(crate) fn poll(&mut self) -> Poll<F::Output> {
        let waker = self.counter.waker();
        let fut = self.fut.as_mut().expect("task polled after completion");
        let poll = Pin::new(fut).poll(&mut Context::from_waker(&waker));
        if poll.is_ready() {
            self.fut = None;
        }
        poll
    }

    /// Polls once and expects the future to still be pending.
    #[track_caller]
    pub(crate) fn pending(&mut self) {
        assert!(
            self.poll().is_pending(),
            "expected the future to be pending"
        );
    }

    /// Polls once and expects the future to complete.
    #[track_caller]
    pub(crate) fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(out) => out,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }

    /// Whether the waker was woken since the last call.
    pub(crate) fn woken(&mut self) -> bool {
        let count = self.counter.count();
        let woken = count > self.seen;
        self.seen = count;
        woken
    }

    /// Drops the future (cancellation), keeping the task for its wake counter.
    pub(crate) fn cancel(&mut self) {
        self.fut = None;
    }
}

struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        thread::park();
    }
}

/// The tests that `sync::oneshot` and `sync::threadsafe::oneshot` share word for word: what
/// the two channels promise alike (a dropped sender, a dropped receiver, the value dropped
/// with a receiver that never took it, `Debug`). `$ptr` is the shared pointer the module's
/// values may be (`Rc` or `Arc`); `channel`, `RecvError` and `Task` come from the caller's
/// scope.
macro_rules! oneshot_shared_tests {
    ($ptr:ident) => {
        #[test]
        fn dropping_the_sender_wakes_the_receiver_with_an_error() {
            let (tx, rx) = channel::<()>();
            let mut rx = Task::new(rx);
            rx.pending();
            drop(tx);
            assert!(rx.woken());
            assert_eq!(rx.ready(), Err(RecvError));
        }

        #[test]
        fn a_dropped_receiver_gives_the_value_back_to_the_sender() {
            let (tx, rx) = channel();
            let mut rx = Task::new(rx);
            rx.pending();
            rx.cancel();
            assert!(tx.is_closed());
            assert_eq!(tx.send("back"), Err("back"));
        }

        #[test]
        fn a_receiver_dropped_after_the_send_drops_the_value() {
            let (tx, rx) = channel();
            let value = $ptr::new(());
            tx.send(value.clone()).unwrap();
            assert_eq!(format!("{rx:?}"), r#"Receiver { state: "ready" }"#);
            drop(rx);
            assert_eq!($ptr::strong_count(&value), 1);
        }

        #[test]
        fn debug_shows_the_state() {
            let (tx, rx) = channel::<()>();
            assert_eq!(
                format!("{tx:?} {rx:?}"),
                r#"Sender { closed: false } Receiver { state: "waiting" }"#
            );
            drop(tx);
            assert_eq!(format!("{rx:?}"), r#"Receiver { state: "closed" }"#);
        }
    };
}
pub(crate) use oneshot_shared_tests;
