//! Debug mode: asyncio's debug warnings, and a task dump on a signal.
//!
//! Debug mode is on when the environment variable `CORIO_DEBUG` is `1`, or when a loop is
//! built with [`Builder::debug(true)`](crate::Builder::debug). A loop in debug mode
//!
//! * warns when one poll blocks the loop longer than the
//!   [slow-poll threshold](crate::Builder::slow_poll_threshold) (asyncio's slow-callback
//!   warning), naming the task, where it resumed and where it suspended;
//! * records the live locals of every coroutine of an await chain at each suspension, so
//!   that [`tasks`](crate::tasks) and [`dump`](crate::dump) show them;
//! * warns when an async `#[corio::coroutine]` is dropped without ever being polled
//!   (Python's "coroutine … was never awaited"; in debug builds only, since the check is a
//!   `Drop` on every coroutine, which costs release builds a few percent);
//! * warns when a task panicked and nobody awaited its [`Task`](crate::Task) handle to see
//!   it (asyncio's "Task exception was never retrieved").
//!
//! Outside a loop, the "never awaited" warning follows `CORIO_DEBUG`.
//!
//! Every report is a [`Diagnostic`]. By default it goes to stderr, one line starting with
//! `corio: warning: `; [`set_hook`] sends them elsewhere (a logger, a test) for the current
//! thread, and [`capture`] collects the ones a closure causes.
//!
//! # Examples
//!
//! ```
//! use corio::debug::{self, DiagnosticKind};
//!
//! #[corio::coroutine]
//! async fn forgotten() {}
//!
//! let ((), seen) = debug::capture(|| {
//!     corio::Runtime::builder().debug(true).build().run(async {
//!         drop(forgotten()); // created, never awaited
//!     })
//! });
//! assert_eq!(seen[0].kind(), DiagnosticKind::NeverAwaited);
//! assert!(seen[0].message().contains("forgotten` was never awaited"));
//! ```

use std::cell::RefCell;
use std::fmt;

use crate::rt::await_chain;
use crate::rt::hooks::CoreEvent;

/// What a [`Diagnostic`] is about.
///
/// # Examples
///
/// ```
/// use corio::debug::DiagnosticKind;
///
/// assert!(DiagnosticKind::SlowPoll.is_warning());
/// assert!(!DiagnosticKind::TaskDump.is_warning());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// One poll blocked the loop longer than the slow-poll threshold.
    SlowPoll,
    /// An async coroutine was dropped without ever being polled.
    NeverAwaited,
    /// A task panicked and its panic was never retrieved through its handle.
    PanicNeverRetrieved,
    /// A task dump asked for with a signal (see
    /// [`Builder::dump_on_signal`](crate::Builder::dump_on_signal)).
    TaskDump,
}

impl DiagnosticKind {
    /// Everything but a task dump is a warning.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(corio::debug::DiagnosticKind::NeverAwaited.is_warning());
    /// ```
    pub fn is_warning(self) -> bool {
        !matches!(self, Self::TaskDump)
    }
}

/// A warning or a task dump from debug mode.
///
/// `Display` gives the text corio writes to stderr when no [hook](set_hook) is set: a
/// warning reads `corio: warning: <message>`, a dump `corio: <message>` (several lines).
///
/// # Examples
///
/// ```
/// #[corio::coroutine]
/// async fn job() {}
///
/// let ((), seen) = corio::debug::capture(|| {
///     corio::Runtime::builder().debug(true).build().run(async { drop(job()) })
/// });
/// assert!(seen[0].to_string().starts_with("corio: warning: coroutine `"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    kind: DiagnosticKind,
    message: String,
}

impl Diagnostic {
    /// What it is about.
    ///
    /// # Examples
    ///
    /// ```
    /// let ((), seen) = corio::debug::capture(|| {});
    /// assert!(seen.iter().all(|d| d.kind().is_warning()));
    /// ```
    pub fn kind(&self) -> DiagnosticKind {
        self.kind
    }

    /// The text, without the `corio: warning: ` prefix.
    ///
    /// # Examples
    ///
    /// ```
    /// let ((), seen) = corio::debug::capture(|| {});
    /// assert!(seen.iter().all(|d| !d.message().is_empty()));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind.is_warning() {
            write!(f, "corio: warning: {}", self.message)
        } else {
            write!(f, "corio: {}", self.message)
        }
    }
}

/// A function that receives the diagnostics of this thread.
pub type Hook = Box<dyn FnMut(&Diagnostic)>;

thread_local! {
    static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
}

/// Sends this thread's diagnostics to `hook` instead of stderr (`None`: back to stderr), and
/// returns the hook that was set before.
///
/// The hook runs on the loop's thread, outside any borrow of the loop, so it may call
/// [`tasks`](crate::tasks) or [`dump`](crate::dump). A diagnostic raised while the hook
/// runs goes to stderr.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// #[corio::coroutine]
/// async fn job() {}
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let sink = log.clone();
/// let old = corio::debug::set_hook(Some(Box::new(move |d| sink.borrow_mut().push(d.to_string()))));
/// corio::Runtime::builder().debug(true).build().run(async { drop(job()) });
/// corio::debug::set_hook(old);
/// assert_eq!(log.borrow().len(), 1);
/// ```
pub fn set_hook(hook: Option<Hook>) -> Option<Hook> {
    HOOK.with(|h| std::mem::replace(&mut *h.borrow_mut(), hook))
}

/// Runs `f` and returns its output with the diagnostics it caused on this thread, which do
/// not reach stderr (or the hook set before).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = corio::Runtime::builder()
///     .debug(true)
///     .slow_poll_threshold(Duration::from_millis(5))
///     .build();
/// let ((), seen) = corio::debug::capture(|| {
///     rt.run(async { std::thread::sleep(Duration::from_millis(10)) })
/// });
/// assert_eq!(seen[0].kind(), corio::debug::DiagnosticKind::SlowPoll);
/// ```
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Diagnostic>) {
    struct Restore(Option<Option<Hook>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(old) = self.0.take() {
                set_hook(old);
            }
        }
    }
    let seen = std::rc::Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    let restore = Restore(Some(set_hook(Some(Box::new(move |d: &Diagnostic| {
        sink.borrow_mut().push(d.clone());
    })))));
    let out = f();
    drop(restore);
    let seen = std::mem::take(&mut *seen.borrow_mut());
    (out, seen)
}

/// Reports a diagnostic: to this thread's hook, else to stderr.
pub(crate) fn emit(kind: DiagnosticKind, message: String) {
    let diagnostic = Diagnostic { kind, message };
    let hook = HOOK.try_with(|h| h.try_borrow_mut().ok().and_then(|mut h| h.take()));
    match hook {
        Ok(Some(mut hook)) => {
            hook(&diagnostic);
            let _ = HOOK.try_with(|h| {
                if let Ok(mut h) = h.try_borrow_mut()
                    && h.is_none()
                {
                    *h = Some(hook);
                }
            });
        }
        _ => eprintln!("{diagnostic}"),
    }
}

/// The [`Listener`](crate::rt::hooks::Listener) the `Builder` installs: renders what the
/// core noticed as a diagnostic.
pub(crate) fn on_core_event(event: CoreEvent<'_>) {
    match event {
        CoreEvent::SlowPoll {
            task,
            took,
            threshold,
            moved,
            done,
            first,
        } => {
            let who = match task {
                None => "the main future".to_owned(),
                Some((id, Some(name))) => format!("task {id} ({name})"),
                Some((id, None)) => format!("task {id}"),
            };
            let resumed = match moved.resumed {
                _ if first => "started".to_owned(),
                Some(at) => format!("resumed at {at}"),
                None => "resumed outside any coroutine".to_owned(),
            };
            let suspended = match (done, moved.suspended) {
                (true, _) => "finished".to_owned(),
                (false, Some(at)) => format!("suspended at {at}"),
                (false, None) => "suspended outside any coroutine".to_owned(),
            };
            emit(
                DiagnosticKind::SlowPoll,
                format!(
                    "{who} blocked the loop for {:.3} s in one poll (slow-poll threshold {:.3} s): \
                     it {resumed} and {suspended}",
                    took.as_secs_f64(),
                    threshold.as_secs_f64()
                ),
            );
        }
        CoreEvent::PanicNeverRetrieved {
            task,
            spawned_at,
            message,
        } => {
            let who = crate::observe::tasks::describe_task(task);
            emit(
                DiagnosticKind::PanicNeverRetrieved,
                format!(
                    "{who}, spawned at {spawned_at}, panicked and nobody awaited it to retrieve \
                     the panic: {message}"
                ),
            );
        }
    }
}

/// Called when an async coroutine is dropped in its `Created` state (debug builds).
#[cfg_attr(
    not(debug_assertions),
    allow(
        dead_code,
        reason = "the coroutine `Drop` that calls it is in debug builds only"
    )
)]
#[cold]
#[inline(never)]
pub(crate) fn never_awaited(name: &'static str) {
    let on = match await_chain::loop_debug() {
        Some(on) => on,
        None => crate::rt::config::env_debug(),
    };
    if on && !crate::rt::hooks::is_quiet() {
        never_awaited_slow(name);
    }
}

#[cfg_attr(
    not(debug_assertions),
    allow(
        dead_code,
        reason = "the coroutine `Drop` that calls it is in debug builds only"
    )
)]
fn never_awaited_slow(name: &'static str) {
    let place = match crate::observe::tasks::current_ids() {
        Some(who) => format!(" (dropped in {who})"),
        None => String::new(),
    };
    emit(
        DiagnosticKind::NeverAwaited,
        format!("coroutine `{name}` was never awaited{place}"),
    );
}

#[cfg(unix)]
pub(crate) use signal::DumpOnSignal;
#[cfg(unix)]
pub use signal::DumpSignal;

#[cfg(unix)]
mod signal {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use pin_project_lite::pin_project;

    use super::{DiagnosticKind, emit};
    use crate::signal::SignalPipe;

    /// A signal that makes a loop write a task dump (see
    /// [`Builder::dump_on_signal`](crate::Builder::dump_on_signal)).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::debug::DumpSignal;
    ///
    /// assert_eq!(DumpSignal::Quit.name(), "SIGQUIT");
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum DumpSignal {
        /// `SIGQUIT` (Ctrl-\ in a terminal), as the JVM and Go use for their dumps.
        Quit,
        /// `SIGUSR1`.
        Usr1,
        /// `SIGUSR2`.
        Usr2,
    }

    impl DumpSignal {
        /// The signal's number.
        ///
        /// # Examples
        ///
        /// ```
        /// assert!(corio::debug::DumpSignal::Usr1.number() > 0);
        /// ```
        pub fn number(self) -> i32 {
            match self {
                Self::Quit => signal_hook::consts::SIGQUIT,
                Self::Usr1 => signal_hook::consts::SIGUSR1,
                Self::Usr2 => signal_hook::consts::SIGUSR2,
            }
        }

        /// The signal's name, e.g. `"SIGUSR1"`.
        ///
        /// # Examples
        ///
        /// ```
        /// assert_eq!(corio::debug::DumpSignal::Usr2.name(), "SIGUSR2");
        /// ```
        pub fn name(self) -> &'static str {
            match self {
                Self::Quit => "SIGQUIT",
                Self::Usr1 => "SIGUSR1",
                Self::Usr2 => "SIGUSR2",
            }
        }
    }

    pin_project! {
        /// The main future of a loop with a dump signal: a [`SignalPipe`] on the loop's
        /// poller wakes it when the signal arrives, and it writes the dump before it polls
        /// `fut`.
        pub(crate) struct DumpOnSignal<F> {
            #[pin]
            fut: F,
            signal: DumpSignal,
            pipe: Option<SignalPipe>,
            failed: bool,
        }
    }

    impl<F> DumpOnSignal<F> {
        pub(crate) fn new(fut: F, signal: DumpSignal) -> Self {
            Self {
                fut,
                signal,
                pipe: None,
                failed: false,
            }
        }
    }

    impl<F: Future> Future for DumpOnSignal<F> {
        type Output = F::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
            let this = self.project();
            if this.pipe.is_none() && !*this.failed {
                match SignalPipe::new(&[this.signal.number()]) {
                    Ok(pipe) => *this.pipe = Some(pipe),
                    Err(e) => {
                        *this.failed = true;
                        emit(
                            DiagnosticKind::TaskDump,
                            format!("cannot listen for {}: {e}", this.signal.name()),
                        );
                    }
                }
            }
            if let Some(pipe) = this.pipe {
                // Signals that arrive together make one dump.
                let mut dumped = false;
                let failure = loop {
                    match pipe.poll_recv(cx) {
                        Poll::Pending => break None,
                        Poll::Ready(Ok(())) if dumped => {}
                        Poll::Ready(Ok(())) => {
                            dumped = true;
                            emit(
                                DiagnosticKind::TaskDump,
                                format!(
                                    "task dump on {}\n{}",
                                    this.signal.name(),
                                    crate::observe::tasks::dump()
                                ),
                            );
                        }
                        Poll::Ready(Err(e)) => break Some(e),
                    }
                };
                if let Some(e) = failure {
                    *this.pipe = None;
                    *this.failed = true;
                    emit(
                        DiagnosticKind::TaskDump,
                        format!("cannot listen for {}: {e}", this.signal.name()),
                    );
                }
            }
            this.fut.poll(cx)
        }
    }
}
