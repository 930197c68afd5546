//! Helpers shared by the tests of several loops (`loops.rs`, `loops_channels.rs`,
//! `loops_threadsafe_channels.rs`): a loop on its own thread, and tools for the
//! cancellation tests, and the channel scenarios both channel test files run
//! ([`scenarios`]). Each test binary uses a part of them.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use corio::RemoteHandle;

pub(crate) mod scenarios;

/// A loop on its own thread that runs until dropped, and its remote handle.
pub(crate) struct Looper {
    pub(crate) remote: RemoteHandle,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Looper {
    pub(crate) fn start() -> Self {
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
pub(crate) async fn settle() {
    corio::sleep(Duration::from_millis(20)).await;
}

/// Fails if `fut` does not complete within five seconds: a lost hand-over waits forever.
pub(crate) async fn soon<F: std::future::IntoFuture>(what: &str, fut: F) -> F::Output {
    match corio::timeout(Duration::from_secs(5), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} waits forever: a hand-over was lost"),
    }
}

/// A waker that only notes that it was woken.
pub(crate) struct Flag(pub(crate) AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Polls `fut` once with a waker that only notes a wake-up: `fut` is then a registered
/// waiter that the test drops (cancels) after checking that it was chosen.
pub(crate) fn poll_once<F: Future + Unpin>(fut: &mut F) -> (Poll<F::Output>, Arc<Flag>) {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    (Pin::new(fut).poll(&mut Context::from_waker(&waker)), flag)
}
