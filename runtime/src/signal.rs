//! Unix signals on the event loop: [`ctrl_c`] for a graceful shutdown, and [`signal`] for a
//! stream of any signal's arrivals (asyncio's `loop.add_signal_handler`).
//!
//! Signals reach the loop through self-pipes registered with `signal-hook`, the one mechanism
//! corio uses for signals (the task dump of
//! [`Builder::dump_on_signal`](crate::Builder::dump_on_signal) uses it too): the process-wide
//! handler writes one byte into the pipe of every waiting listener, and the loop watches the
//! read end on its poller like any socket, so a signal wakes a loop blocked in `wait` and the
//! waiting task runs as an ordinary task, where anything is allowed. The handler stays
//! installed once a signal has been listened for: the default "terminate" action no longer
//! happens, as with tokio.

use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use signal_hook::SigId;

use crate::reactor::IoSource;

mod stream;

pub use stream::{Recv, SignalKind, Signals, signal};

/// A self-pipe into which `signal-hook`'s handler writes a byte whenever one of its signals
/// arrives, from the moment it is created until it is dropped.
///
/// The read end joins the running loop's poller at the first [`poll_recv`](Self::poll_recv),
/// so a pipe can be made outside a loop; it is non-blocking from the start. Dropping the pipe
/// unregisters its actions, and signal-hook closes the write ends once no handler can be
/// running them.
pub(crate) struct SignalPipe {
    ids: Vec<SigId>,
    reader: Option<UnixStream>,
    source: Option<IoSource<UnixStream>>,
}

impl SignalPipe {
    /// Listens for each signal in `signals`.
    ///
    /// # Errors
    ///
    /// When the socket pair cannot be made, or signal-hook refuses a signal (`SIGKILL`, …).
    pub(crate) fn new(signals: &[i32]) -> io::Result<Self> {
        let (reader, writer) = UnixStream::pair()?;
        reader.set_nonblocking(true)?;
        // Unregisters what was registered if a later signal fails.
        let mut pipe = Self {
            ids: Vec::with_capacity(signals.len()),
            reader: Some(reader),
            source: None,
        };
        for &signal in signals {
            let id = signal_hook::low_level::pipe::register(signal, writer.try_clone()?)?;
            pipe.ids.push(id);
        }
        Ok(pipe)
    }

    /// Ready with `Ok(())` when at least one signal arrived since the last `Ready` (several
    /// signals in a row may count as one); registers the read end with the loop on first use.
    ///
    /// # Errors
    ///
    /// When no loop runs on this thread, or the poller refuses the pipe; the pipe is spent
    /// then, and must not be polled again.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_arrivals(cx).map_ok(|_| ())
    }

    /// Like [`poll_recv`](Self::poll_recv), with the number of arrivals: the handler writes
    /// one byte per signal (a byte is lost only when the pipe's buffer is full).
    ///
    /// # Errors
    ///
    /// As `poll_recv`.
    pub(crate) fn poll_arrivals(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let source = match &mut self.source {
            Some(source) => source,
            None => {
                let reader = self
                    .reader
                    .take()
                    .expect("a pipe's reader joins the loop once");
                self.source.insert(IoSource::new(reader)?)
            }
        };
        loop {
            ready!(source.poll_readable(cx))?;
            let mut got = 0;
            let mut buf = [0u8; 64];
            loop {
                match source.get_ref().read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => got += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            // Drained (or at its end, which cannot happen while the write ends are registered):
            // wait for the next edge.
            source.clear_readable();
            if got > 0 {
                return Poll::Ready(Ok(got));
            }
        }
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        for &id in &self.ids {
            signal_hook::low_level::unregister(id);
        }
    }
}

impl fmt::Debug for SignalPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalPipe")
            .field("actions", &self.ids.len())
            .field("registered", &self.source.is_some())
            .finish()
    }
}

/// Waits for the next `SIGINT` (Ctrl-C) or `SIGTERM` received after the call.
///
/// Use it to shut a server down gracefully: race it against the accept loop with
/// [`select`](crate::select), then let the open connections finish. Any number of futures may
/// wait at once, on any number of loops; each one sees every signal.
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
/// The future resolves to an error when the handler cannot be installed, or when the pipe
/// cannot be created or registered with the loop.
#[must_use = "futures do nothing unless awaited"]
pub fn ctrl_c() -> CtrlC {
    CtrlC {
        state: Some(SignalPipe::new(&[
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
        ])),
    }
}

/// The future of [`ctrl_c`]: resolves when `SIGINT` or `SIGTERM` arrives.
///
/// # Examples
///
/// ```
/// let fut: corio::signal::CtrlC = corio::signal::ctrl_c();
/// drop(fut); // stops listening
/// ```
pub struct CtrlC {
    state: Option<io::Result<SignalPipe>>,
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            None => "done",
            Some(Err(_)) => "failed",
            Some(Ok(pipe)) if pipe.source.is_some() => "waiting",
            Some(Ok(_)) => "created",
        };
        f.debug_struct("CtrlC").field("state", &state).finish()
    }
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let res = match self
            .state
            .as_mut()
            .expect("CtrlC polled after it completed")
        {
            Ok(pipe) => ready!(pipe.poll_recv(cx)),
            Err(_) => Err(self.state.take().and_then(Result::err).expect("an error")),
        };
        self.state = None;
        Poll::Ready(res)
    }
}
