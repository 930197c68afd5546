//! Unix signals on the event loop: [`ctrl_c`] for a graceful shutdown.
//!
//! The first call installs a process-wide handler for `SIGINT` and `SIGTERM` (it stays
//! installed: the default "terminate" action no longer happens, as with tokio). The handler
//! counts the signal and writes one byte into a self-pipe per waiting listener; the loop
//! watches the read end on its poller like any socket, so a signal wakes a loop blocked in
//! `wait` and the waiting task runs as an ordinary task, where anything is allowed.

use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Once, PoisonError};
use std::task::{Context, Poll, ready};

use crate::reactor::IoSource;
use crate::reactor::sys;

/// The read end of a self-pipe whose write end sits in the handler's table.
/// Pipes are never closed (the handler may still hold a write end's number); listeners that
/// finish put theirs back here for the next one.
struct Pipe {
    reader: Arc<UnixStream>,
}

static POOL: Mutex<Vec<Pipe>> = Mutex::new(Vec::new());
static NEXT_SLOT: Mutex<usize> = Mutex::new(0);
static INSTALL: Once = Once::new();
static INSTALL_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn install() -> io::Result<()> {
    INSTALL.call_once(|| {
        for signo in [libc::SIGINT, libc::SIGTERM] {
            if let Err(e) = sys::install_signal_handler(signo) {
                *INSTALL_ERROR.lock().unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
            }
        }
    });
    match &*INSTALL_ERROR.lock().unwrap_or_else(PoisonError::into_inner) {
        Some(e) => Err(io::Error::other(format!(
            "cannot install the signal handler: {e}"
        ))),
        None => Ok(()),
    }
}

fn take_pipe() -> io::Result<Pipe> {
    if let Some(pipe) = POOL.lock().unwrap_or_else(PoisonError::into_inner).pop() {
        drain(&pipe.reader);
        return Ok(pipe);
    }
    let mut next = NEXT_SLOT.lock().unwrap_or_else(PoisonError::into_inner);
    if *next >= sys::SIGNAL_SLOTS {
        return Err(io::Error::other(format!(
            "more than {} ctrl_c() futures are waiting at once",
            sys::SIGNAL_SLOTS
        )));
    }
    let (reader, writer) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    writer.set_nonblocking(true)?;
    let writer: &'static OwnedFd = Box::leak(Box::new(OwnedFd::from(writer)));
    let slot = *next;
    *next += 1;
    sys::set_signal_pipe(slot, writer);
    Ok(Pipe {
        reader: Arc::new(reader),
    })
}

fn drain(mut reader: &UnixStream) {
    let mut buf = [0u8; 64];
    while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
}

/// Waits for the next `SIGINT` (Ctrl-C) or `SIGTERM` received after the call.
///
/// Use it to shut a server down gracefully: race it against the accept loop with
/// [`select`](crate::select), then let the open connections finish. Several futures may wait
/// at once (up to 64, on any number of loops); each one sees every signal.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let shutdown = corio::signal::ctrl_c();
///     // A real server would serve until the signal; here, nobody presses Ctrl-C.
///     let served = corio::timeout(Duration::from_millis(10), shutdown).await;
///     assert!(served.is_err());
/// });
/// ```
///
/// # Errors
///
/// The future resolves to an error when the handler cannot be installed, when the pipe
/// cannot be created or registered, or when 64 futures already wait.
#[must_use = "futures do nothing unless awaited"]
pub fn ctrl_c() -> CtrlC {
    let state = install().and_then(|()| {
        let start = sys::signal_count();
        take_pipe().map(|pipe| (pipe, start))
    });
    CtrlC {
        state: Some(state.map(|(pipe, start)| Waiting {
            pipe: Some(pipe),
            source: None,
            start,
        })),
    }
}

/// The future of [`ctrl_c`]: resolves when `SIGINT` or `SIGTERM` arrives.
///
/// # Examples
///
/// ```
/// let fut: corio::signal::CtrlC = corio::signal::ctrl_c();
/// drop(fut); // gives its self-pipe back for the next one
/// ```
pub struct CtrlC {
    state: Option<io::Result<Waiting>>,
}

struct Waiting {
    pipe: Option<Pipe>,
    source: Option<IoSource<Arc<UnixStream>>>,
    start: u64,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        // Deregister before the pipe goes back to the pool.
        self.source = None;
        if let Some(pipe) = self.pipe.take() {
            POOL.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(pipe);
        }
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            None => "done",
            Some(Err(_)) => "failed",
            Some(Ok(w)) if w.source.is_some() => "waiting",
            Some(Ok(_)) => "created",
        };
        f.debug_struct("CtrlC").field("state", &state).finish()
    }
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let waiting = match self
            .state
            .as_mut()
            .expect("CtrlC polled after it completed")
        {
            Ok(waiting) => waiting,
            Err(_) => {
                let Some(Err(e)) = self.state.take() else {
                    unreachable!()
                };
                return Poll::Ready(Err(e));
            }
        };
        loop {
            if sys::signal_count() != waiting.start {
                self.state = None;
                return Poll::Ready(Ok(()));
            }
            if waiting.source.is_none() {
                let reader = waiting.pipe.as_ref().expect("pipe present").reader.clone();
                match IoSource::new(reader) {
                    Ok(source) => waiting.source = Some(source),
                    Err(e) => {
                        self.state = None;
                        return Poll::Ready(Err(e));
                    }
                }
            }
            let source = waiting.source.as_ref().expect("source present");
            ready!(source.poll_readable(cx))?;
            drain(source.get_ref());
            source.clear_readable();
        }
    }
}
