//! The accept loop that TCP and Unix listeners share, with its back-off on `EMFILE`.
//!
//! When the process (`EMFILE`) or the system (`ENFILE`) runs out of descriptors, `accept`
//! fails while the connection stays queued, so the listener stays readable: retrying at once
//! would spin. The future logs the condition once per listener on stderr, sleeps (1 ms,
//! doubling up to 100 ms), and tries again, so the server resumes on its own as soon as
//! descriptors free up. A connection that the peer aborted before it was accepted is skipped.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use polling::AsSource;

use crate::reactor::IoSource;
use crate::time::Sleep;

const FIRST_BACKOFF: Duration = Duration::from_millis(1);
const MAX_BACKOFF: Duration = Duration::from_millis(100);

/// A listening socket: accepts a connection, and wraps it into a stream on the loop.
pub(crate) trait Acceptor: AsSource + fmt::Debug + 'static {
    type Conn;
    type Addr;
    type Stream;
    fn accept_raw(&self) -> io::Result<(Self::Conn, Self::Addr)>;
    /// Makes an accepted connection non-blocking and registers it with the running loop.
    fn wrap(conn: Self::Conn) -> io::Result<Self::Stream>;
}

/// The shared state of a listener handle.
pub(crate) struct ListenerInner<L: AsSource> {
    pub(crate) io: IoSource<L>,
    /// Whether running out of descriptors was already reported.
    logged: Cell<bool>,
}

impl<L: AsSource + fmt::Debug> fmt::Debug for ListenerInner<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.io.get_ref(), f)
    }
}

impl<L: AsSource> ListenerInner<L> {
    pub(crate) fn new(io: IoSource<L>) -> Self {
        Self {
            io,
            logged: Cell::new(false),
        }
    }
}

/// Whether `e` means "out of descriptors or memory": worth waiting for, not reporting.
fn is_resource_exhaustion(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// `accept()`: the next connection, waiting out descriptor exhaustion.
pub(crate) struct AcceptFuture<L: AsSource> {
    pub(crate) listener: Rc<ListenerInner<L>>,
    pub(crate) backoff: Option<Sleep>,
    pub(crate) delay: Duration,
}

impl<L: AsSource> AcceptFuture<L> {
    pub(crate) fn new(listener: Rc<ListenerInner<L>>) -> Self {
        Self {
            listener,
            backoff: None,
            delay: FIRST_BACKOFF,
        }
    }
}

impl<L: Acceptor> Future for AcceptFuture<L> {
    type Output = io::Result<(L::Stream, L::Addr)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            if let Some(sleep) = &mut this.backoff {
                ready!(Pin::new(sleep).poll(cx));
                this.backoff = None;
            }
            let io = &this.listener.io;
            ready!(io.poll_readable(cx))?;
            match io.get_ref().accept_raw() {
                Ok((conn, addr)) => return Poll::Ready(L::wrap(conn).map(|s| (s, addr))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => io.clear_readable(),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) if is_resource_exhaustion(&e) => {
                    if !this.listener.logged.replace(true) {
                        eprintln!(
                            "corio: accept on {:?} failed: {e}; retrying with back-off until \
                             descriptors free up (logged once per listener)",
                            io.get_ref()
                        );
                    }
                    this.backoff = Some(crate::sleep(this.delay));
                    this.delay = (this.delay * 2).min(MAX_BACKOFF);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}
