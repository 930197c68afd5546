//! Blocking a plain thread on a channel, and refusing to block a loop's thread.

use std::future::Future;
use std::panic::Location;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::rt::executor;

/// Panics with a remedy when called on a thread that runs a corio loop: blocking it would
/// stop every task of that loop, possibly the one that would send.
#[track_caller]
pub(super) fn forbid_on_loop(what: &str) {
    if executor::current().is_some() {
        panic!(
            "{what} would block the corio loop running on this thread: `.await` the async \
             version instead (at {})",
            Location::caller()
        );
    }
}

/// Unparks the blocked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `fut` to completion on this thread, parking it while `fut` is pending.
pub(super) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        // A spurious unpark only costs another poll.
        thread::park();
    }
}
