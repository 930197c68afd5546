//! `signal(kind)`: the arrivals of any Unix signal as a stream.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::SignalPipe;

/// A Unix signal number, named like Python's `signal` module (`SignalKind::SIGHUP`).
///
/// # Examples
///
/// ```
/// use corio::signal::SignalKind;
///
/// assert_eq!(SignalKind::SIGUSR1.as_raw(), libc::SIGUSR1);
/// assert_eq!(SignalKind::from_raw(libc::SIGHUP), SignalKind::SIGHUP);
/// assert_eq!(SignalKind::SIGHUP.to_string(), "SIGHUP");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Hang-up: a terminal closed, or by convention "reload your configuration".
    pub const SIGHUP: Self = Self(libc::SIGHUP);
    /// Interrupt (Ctrl-C).
    pub const SIGINT: Self = Self(libc::SIGINT);
    /// Quit (Ctrl-\).
    pub const SIGQUIT: Self = Self(libc::SIGQUIT);
    /// Termination request.
    pub const SIGTERM: Self = Self(libc::SIGTERM);
    /// User-defined signal 1.
    pub const SIGUSR1: Self = Self(libc::SIGUSR1);
    /// User-defined signal 2.
    pub const SIGUSR2: Self = Self(libc::SIGUSR2);
    /// A child process stopped or exited.
    pub const SIGCHLD: Self = Self(libc::SIGCHLD);
    /// An `alarm(2)` timer expired.
    pub const SIGALRM: Self = Self(libc::SIGALRM);
    /// A write to a pipe with no reader (Rust programs ignore it by default).
    pub const SIGPIPE: Self = Self(libc::SIGPIPE);
    /// The terminal's window size changed.
    pub const SIGWINCH: Self = Self(libc::SIGWINCH);
    /// Continue after a stop.
    pub const SIGCONT: Self = Self(libc::SIGCONT);
    /// Urgent data on a socket.
    pub const SIGURG: Self = Self(libc::SIGURG);

    /// The signal with number `signum` (`libc::SIGUSR1`, or a real-time signal).
    ///
    /// # Examples
    ///
    /// ```
    /// let kind = corio::signal::SignalKind::from_raw(libc::SIGRTMIN() + 1);
    /// assert_eq!(kind.as_raw(), libc::SIGRTMIN() + 1);
    /// ```
    pub const fn from_raw(signum: i32) -> Self {
        Self(signum)
    }

    /// The signal's number.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(corio::signal::SignalKind::SIGTERM.as_raw(), libc::SIGTERM);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    fn name(self) -> Option<&'static str> {
        signal_hook::low_level::signal_name(self.0)
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalKind({self})")
    }
}

/// Listens for `kind`: every arrival from now on is an item of the returned [`Signals`]
/// stream (or a [`recv`](Signals::recv)). asyncio's `loop.add_signal_handler(sig, callback)`,
/// with the callback replaced by a loop over the stream.
///
/// Any signal that may be caught works: `SIGHUP`, `SIGUSR1`, `SIGCHLD`, `SIGWINCH`, real-time
/// signals, … Any number of streams may listen to the same signal, on any loops; each sees
/// every arrival. Arrivals are counted: each one is an item, except that the kernel merges a
/// signal that arrives again before the handler ran, and a listener that falls more than a
/// pipe buffer (about 200,000 arrivals) behind loses the excess.
///
/// Once a signal has been listened for, its handler stays installed for the rest of the
/// process (`signal-hook` never restores the default action): `SIGHUP` or `SIGTERM` no longer
/// terminate the process, as with tokio and asyncio. Listening for `SIGCHLD` does not disturb
/// [`corio::process`](crate::process): its children are waited for by process id (or pidfd),
/// never with `waitpid(-1)`.
///
/// # Examples
///
/// ```
/// use corio::signal::{SignalKind, signal};
///
/// #[corio::coroutine]
/// async fn reload_on_hangup(times: usize) -> std::io::Result<usize> {
///     let hangups = signal(SignalKind::SIGHUP)?;
///     let mut reloads = 0;
///     while reloads < times {
///         hangups.recv().await?;
///         reloads += 1; // a real server would re-read its configuration here
///     }
///     Ok(reloads)
/// }
///
/// corio::run(async {
///     let task = corio::spawn(reload_on_hangup(2));
///     corio::sleep(std::time::Duration::from_millis(10)).await; // let it start listening
///     signal_hook::low_level::raise(libc::SIGHUP)?;
///     corio::sleep(std::time::Duration::from_millis(10)).await;
///     signal_hook::low_level::raise(libc::SIGHUP)?;
///     assert_eq!(task.await.unwrap()?, 2);
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Errors
///
/// `InvalidInput`, naming the signal, for a signal that cannot be caught or must not be
/// (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, `SIGILL`, `SIGFPE`); the system's error, naming it, for a
/// number that is not a signal or when the self-pipe cannot be made.
pub fn signal(kind: SignalKind) -> io::Result<Signals> {
    // signal-hook panics for these (its handler cannot or must not run for them).
    if signal_hook::consts::FORBIDDEN.contains(&kind.0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("cannot listen for {kind}: it cannot be caught, or must not be"),
        ));
    }
    let pipe = SignalPipe::new(&[kind.0]).map_err(|e| {
        let kind_of = if e.kind() == io::ErrorKind::Other {
            io::ErrorKind::InvalidInput
        } else {
            e.kind()
        };
        io::Error::new(kind_of, format!("cannot listen for {kind}: {e}"))
    })?;
    Ok(Signals {
        kind,
        shared: Rc::new(RefCell::new(Listener {
            pipe,
            pending: 0,
            failed: false,
        })),
    })
}

/// The arrivals of one signal: a `Stream` of `()`, one item per arrival, made by [`signal`].
///
/// [`recv`](Self::recv) takes `&self` and returns a `'static` future, so a
/// `#[corio::coroutine]` can await it. Dropping the last handle stops listening.
///
/// # Examples
///
/// ```
/// use corio::signal::{SignalKind, signal};
/// use futures::StreamExt;
///
/// corio::run(async {
///     let mut usr1 = signal(SignalKind::SIGUSR1)?;
///     signal_hook::low_level::raise(libc::SIGUSR1)?;
///     assert_eq!(usr1.next().await, Some(()));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Signals {
    kind: SignalKind,
    shared: Rc<RefCell<Listener>>,
}

struct Listener {
    pipe: SignalPipe,
    /// Arrivals read from the pipe and not handed out yet.
    pending: usize,
    /// The pipe could not join the loop; the stream has ended.
    failed: bool,
}

impl Listener {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending > 0 {
            self.pending -= 1;
            return Poll::Ready(Ok(()));
        }
        if self.failed {
            return Poll::Ready(Err(io::Error::other(
                "this signal stream failed to join the loop earlier",
            )));
        }
        match self.pipe.poll_arrivals(cx) {
            Poll::Ready(Ok(n)) => {
                self.pending = n - 1;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                self.failed = true;
                Poll::Ready(Err(e))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Signals {
    /// Waits for the next arrival (asyncio calls the handler; here the loop body runs).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::signal::{SignalKind, signal};
    ///
    /// corio::run(async {
    ///     let usr2 = signal(SignalKind::SIGUSR2)?;
    ///     signal_hook::low_level::raise(libc::SIGUSR2)?;
    ///     usr2.recv().await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the self-pipe.
    pub fn recv(&self) -> Recv {
        Recv {
            shared: self.shared.clone(),
        }
    }

    /// The signal this stream listens for.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::signal::{SignalKind, signal};
    ///
    /// let hup = signal(SignalKind::SIGHUP)?;
    /// assert_eq!(hup.kind(), SignalKind::SIGHUP);
    /// # std::io::Result::Ok(())
    /// ```
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pending = self.shared.try_borrow().map(|l| l.pending).ok();
        f.debug_struct("Signals")
            .field("kind", &self.kind)
            .field("pending", &pending)
            .finish()
    }
}

/// Ends (`None`) only if the self-pipe cannot join the loop (no loop on this thread).
impl futures_core::Stream for Signals {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut listener = self.shared.borrow_mut();
        listener.poll_next(cx).map(Result::ok)
    }
}

/// The future of [`Signals::recv`]: the next arrival.
///
/// # Examples
///
/// ```
/// use corio::signal::{Recv, SignalKind, signal};
///
/// corio::run(async {
///     let usr1 = signal(SignalKind::SIGUSR1)?;
///     let next: Recv = usr1.recv(); // 'static: borrows nothing
///     signal_hook::low_level::raise(libc::SIGUSR1)?;
///     next.await
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Recv {
    shared: Rc<RefCell<Listener>>,
}

impl fmt::Debug for Recv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recv").finish_non_exhaustive()
    }
}

impl Future for Recv {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut listener = self.shared.borrow_mut();
        listener.poll_next(cx)
    }
}
