//! Shared helpers of corio's integration tests (the tests themselves are in `main.rs`).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A shared, ordered list of events, e.g. which values were dropped and when.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    /// A new empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an event.
    pub fn push(&self, event: impl Into<String>) {
        self.0.borrow_mut().push(event.into());
    }

    /// The events so far.
    pub fn events(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// A value that logs `drop <name>` when it is dropped.
    pub fn noisy(&self, name: impl Into<String>) -> Noisy {
        Noisy {
            name: name.into(),
            log: self.clone(),
        }
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.try_borrow() {
            Ok(events) => f.debug_list().entries(events.iter()).finish(),
            Err(_) => f.write_str("<borrowed>"),
        }
    }
}

/// A value whose `Drop` logs `drop <name>` into a [`Log`].
#[derive(Clone)]
pub struct Noisy {
    /// The name it logs.
    pub name: String,
    log: Log,
}

impl fmt::Debug for Noisy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Noisy({})", self.name)
    }
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.push(format!("drop {}", self.name));
    }
}

/// Polls a future to completion on this thread, parking until its waker is used.
///
/// A minimal executor for tests, so that corio's futures are shown to be plain `std` futures.
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// A future that is `Pending` `n` times (waking itself each time), then ready with `value`.
#[derive(Debug)]
pub struct PendingThen<T> {
    /// How many more `Pending`s before it is ready.
    pub pending: u32,
    /// The output.
    pub value: Option<T>,
}

impl<T> PendingThen<T> {
    /// Pending `pending` times, then `value`.
    pub fn new(pending: u32, value: T) -> Self {
        PendingThen {
            pending,
            value: Some(value),
        }
    }
}

impl<T: Unpin> std::future::Future for PendingThen<T> {
    type Output = T;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        if self.pending == 0 {
            std::task::Poll::Ready(self.value.take().expect("polled after completion"))
        } else {
            self.pending -= 1;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}
