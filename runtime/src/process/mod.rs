//! Subprocesses on the event loop, mirroring `std::process`: asyncio's
//! `create_subprocess_exec`.
//!
//! [`Command`] builds a command as std's does; [`spawn`](Command::spawn) gives a [`Child`]
//! whose pipes ([`ChildStdin`], [`ChildStdout`], [`ChildStderr`]) are loop-driven streams
//! (usable with [`BufReader`](crate::io::BufReader)), and whose [`wait`](Child::wait) does not
//! block the loop. Every future is `'static`, so a `#[corio::coroutine]` can await it.
//!
//! A child's exit is noticed without a thread per child: through a pidfd where the kernel has
//! them (Linux 5.3+), otherwise through one `SIGCHLD` self-pipe per loop. A `Child` dropped
//! before its process exited leaves it running (as std does) unless
//! [`kill_on_drop`](Command::kill_on_drop) was set, and corio reaps it later, at the next
//! spawn or exit, so it does not stay a zombie.
//!
//! ```
//! use corio::io::BufReader;
//! use corio::process::{Command, Stdio};
//!
//! #[corio::coroutine]
//! async fn count_lines(program: &'static str, arg: &'static str) -> std::io::Result<usize> {
//!     let mut child = Command::new(program).arg(arg).stdout(Stdio::piped()).spawn()?;
//!     let lines = BufReader::new(child.stdout.take().unwrap());
//!     let mut n = 0;
//!     while !lines.read_line().await?.is_empty() {
//!         n += 1;
//!     }
//!     let status = child.wait().await?;
//!     assert!(status.success());
//!     Ok(n)
//! }
//!
//! assert_eq!(corio::run(count_lines("seq", "100")).unwrap(), 100);
//! ```

mod pipes;
mod watch;

use std::cell::{Cell, RefCell};
use std::ffi::OsStr;
use std::fmt;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

pub use pipes::{ChildStderr, ChildStdin, ChildStdout};
/// std's exit status, as `std::process::Child::wait` returns it.
pub use std::process::ExitStatus;
/// std's captured output: status, stdout, stderr.
pub use std::process::Output;
/// std's description of a child's standard stream: `Stdio::piped()`, `inherit()`, `null()`, or
/// a file.
pub use std::process::Stdio;

use crate::trace::{self, WaitingOn};
use watch::Watch;

/// A process builder, as `std::process::Command` (which it wraps), whose
/// [`spawn`](Command::spawn) registers the child's pipes with the loop: asyncio's
/// `create_subprocess_exec(program, *args, stdin=…, stdout=…)`.
///
/// The builder methods take `&mut self` and return it, so they chain as std's do.
///
/// # Examples
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let out = Command::new("sh")
///         .args(["-c", "echo $GREETING from $(pwd)"])
///         .env("GREETING", "hello")
///         .current_dir("/")
///         .output()
///         .await?;
///     assert_eq!(out.stdout, b"hello from /\n");
///     assert!(out.status.success());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Command {
    std: std::process::Command,
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
    kill_on_drop: bool,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Self {
        Self {
            std,
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
            kill_on_drop: false,
        }
    }
}

impl Command {
    /// A command for `program`, looked up in `PATH` when it has no slash, as std's.
    ///
    /// # Examples
    ///
    /// ```
    /// let cmd = corio::process::Command::new("ls");
    /// assert_eq!(cmd.as_std().get_program(), "ls");
    /// ```
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        std::process::Command::new(program).into()
    }

    /// Adds one argument.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("echo");
    /// cmd.arg("-n").arg("hi");
    /// assert_eq!(cmd.as_std().get_args().collect::<Vec<_>>(), ["-n", "hi"]);
    /// ```
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("ls");
    /// cmd.args(["-l", "/"]);
    /// assert_eq!(cmd.as_std().get_args().count(), 2);
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("env");
    /// cmd.env("RUST_LOG", "debug");
    /// assert_eq!(cmd.as_std().get_envs().count(), 1);
    /// ```
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Self {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("env");
    /// cmd.envs([("A", "1"), ("B", "2")]);
    /// assert_eq!(cmd.as_std().get_envs().count(), 2);
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("env");
    /// cmd.env_remove("HOME");
    /// ```
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds afterwards).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("/usr/bin/env");
    /// cmd.env_clear().env("ONLY", "this");
    /// ```
    pub fn env_clear(&mut self) -> &mut Self {
        self.std.env_clear();
        self
    }

    /// Runs the child in `dir`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cmd = corio::process::Command::new("pwd");
    /// cmd.current_dir("/tmp");
    /// assert_eq!(cmd.as_std().get_current_dir(), Some(std::path::Path::new("/tmp")));
    /// ```
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input: `Stdio::piped()` gives [`Child::stdin`]. Inherited by
    /// default for `spawn`, null for `output`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    /// Command::new("cat").stdin(Stdio::piped());
    /// ```
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// The child's standard output: `Stdio::piped()` gives [`Child::stdout`]. Inherited by
    /// default for `spawn`, captured for `output`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    /// Command::new("ls").stdout(Stdio::null());
    /// ```
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// The child's standard error: `Stdio::piped()` gives [`Child::stderr`]. Inherited by
    /// default for `spawn`, captured for `output`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    /// Command::new("ls").stderr(Stdio::piped());
    /// ```
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Self {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Kill the child (`SIGKILL`) when its [`Child`] is dropped before the process exited
    /// (tokio's option; std and asyncio leave it running). Off by default.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let child = Command::new("sleep").arg("60").kill_on_drop(true).spawn()?;
    ///     drop(child); // killed, and reaped later
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Self {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The wrapped std command.
    ///
    /// # Examples
    ///
    /// ```
    /// let cmd = corio::process::Command::new("true");
    /// assert_eq!(cmd.as_std().get_program(), "true");
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The wrapped std command, for the options this type does not mirror (`uid`,
    /// `process_group`, `pre_exec`, …).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::process::CommandExt;
    ///
    /// let mut cmd = corio::process::Command::new("true");
    /// cmd.as_std_mut().process_group(0);
    /// ```
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the child: asyncio's `await create_subprocess_exec(…)` (here synchronous, as
    /// `fork`/`exec` are).
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let child = Command::new("true").spawn()?;
    ///     assert!(child.wait().await?.success());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the program cannot be started, with its name in the message (`NotFound` for a
    /// program that does not exist, `PermissionDenied` for one that is not executable), or when
    /// no corio loop runs on this thread (checked first, so no process is started then; use
    /// [`output`](Self::output) or [`status`](Self::status), whose futures need the loop only
    /// when polled, to start a process before `corio::run`).
    pub fn spawn(&mut self) -> io::Result<Child> {
        crate::reactor::Reactor::current()?;
        let std_child = self.spawn_std()?;
        Child::adopt(std_child, self.kill_on_drop)
    }

    /// Starts the process (no loop needed), with the program's name in any error.
    fn spawn_std(&mut self) -> io::Result<std::process::Child> {
        watch::reap_orphans();
        self.std.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot run `{}`: {e}",
                    self.std.get_program().to_string_lossy()
                ),
            )
        })
    }

    /// Runs the child to its end and collects its status and output: std's `output()`.
    /// stdout and stderr are captured unless set otherwise, stdin is null unless set.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let out = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]).output().await?;
    ///     assert_eq!((out.stdout.as_slice(), out.stderr.as_slice()), (&b"out\n"[..], &b"err\n"[..]));
    ///     assert_eq!(out.status.code(), Some(3));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn) (the error comes out of the future), or the pipes' errors.
    pub fn output(&mut self) -> OutputFuture {
        if !self.stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::piped());
        }
        // The process starts now; its pipes join the loop when the future is first polled,
        // so `corio::run(cmd.output())` works.
        let spawned = self.spawn_std();
        let kill_on_drop = self.kill_on_drop;
        // Leave the builder as `spawn` expects it (inherited streams unless set).
        if !self.stdin_set {
            self.std.stdin(Stdio::inherit());
        }
        if !self.stdout_set {
            self.std.stdout(Stdio::inherit());
        }
        if !self.stderr_set {
            self.std.stderr(Stdio::inherit());
        }
        OutputFuture::new(async move {
            Child::adopt(spawned?, kill_on_drop)?
                .wait_with_output()
                .await
        })
    }

    /// Runs the child to its end (its standard streams inherited unless set) and gives its
    /// exit status: std's `status()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::Command;
    ///
    /// corio::run(async {
    ///     let status = Command::new("false").status().await?;
    ///     assert_eq!(status.code(), Some(1));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn) (the error comes out of the future).
    pub fn status(&mut self) -> Wait {
        match self.spawn_std() {
            Ok(mut std_child) => Wait {
                // As std's `status()`: pipes the user asked for are closed, not read.
                inner: {
                    drop((std_child.stdin.take(), std_child.stdout.take()));
                    drop(std_child.stderr.take());
                    Some(Rc::new(ChildInner::new(std_child, self.kill_on_drop)))
                },
                error: None,
            },
            Err(e) => Wait {
                inner: None,
                error: Some(e),
            },
        }
    }
}

/// A running (or finished) child process: std's `Child`, asyncio's `Process`.
///
/// Its methods take `&self` and its futures are `'static`, so a `#[corio::coroutine]` can
/// await them; take the pipes out of the public fields as with std (`child.stdout.take()`).
///
/// # Examples
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let child = Command::new("sleep").arg("30").stdout(Stdio::null()).spawn()?;
///     assert!(child.try_wait()?.is_none());
///     child.kill()?;
///     let status = child.wait().await?;
///     use std::os::unix::process::ExitStatusExt;
///     assert_eq!(status.signal(), Some(libc::SIGKILL));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct Child {
    /// The child's standard input, if it was spawned with `stdin(Stdio::piped())`.
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if it was spawned with `stdout(Stdio::piped())`.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if it was spawned with `stderr(Stdio::piped())`.
    pub stderr: Option<ChildStderr>,
    inner: Rc<ChildInner>,
}

struct ChildInner {
    pid: u32,
    /// `None` once the process was handed to the orphans (in `Drop`).
    std: RefCell<Option<std::process::Child>>,
    status: Cell<Option<ExitStatus>>,
    watch: RefCell<Option<Watch>>,
    kill_on_drop: bool,
}

impl ChildInner {
    fn new(child: std::process::Child, kill_on_drop: bool) -> Self {
        Self {
            pid: child.id(),
            std: RefCell::new(Some(child)),
            status: Cell::new(None),
            watch: RefCell::new(None),
            kill_on_drop,
        }
    }

    /// The status if the child has exited (reaping it), `None` while it runs.
    fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status.get() {
            return Ok(Some(status));
        }
        let mut std = self.std.borrow_mut();
        let Some(child) = std.as_mut() else {
            return Ok(None);
        };
        let status = child.try_wait().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot wait for process {}: {e} (was it reaped by someone else?)",
                    self.pid
                ),
            )
        })?;
        if let Some(status) = status {
            self.status.set(Some(status));
            drop(std);
            watch::reap_orphans();
        }
        Ok(status)
    }

    fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(traced) = trace::traced(|| self.waiting_on()) {
            return traced;
        }
        loop {
            if let Some(status) = self.try_wait()? {
                // The pidfd is no longer needed.
                self.watch.borrow_mut().take();
                return Poll::Ready(Ok(status));
            }
            let mut watch = self.watch.borrow_mut();
            let watch = match &mut *watch {
                Some(watch) => watch,
                // Watch first, then check again: an exit in between is not missed.
                None => {
                    *watch = Some(Watch::new(self.pid)?);
                    continue;
                }
            };
            match watch.poll_exit(cx) {
                Poll::Ready(Ok(())) => {
                    if self.try_wait()?.is_none() {
                        watch.clear();
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return trace::pending(self.waiting_on()),
            }
        }
    }

    fn waiting_on(&self) -> WaitingOn {
        WaitingOn::ChildExit { pid: self.pid }
    }
}

impl Drop for ChildInner {
    fn drop(&mut self) {
        if self.status.get().is_some() {
            return;
        }
        if let Some(mut child) = self.std.get_mut().take() {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            if self.kill_on_drop {
                let _ = child.kill();
            }
            // The pidfd (if any) is closed with `watch`; the process is reaped later.
            watch::adopt(child);
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let watch = self
            .inner
            .watch
            .try_borrow()
            .ok()
            .and_then(|w| w.as_ref().map(Watch::describe));
        f.debug_struct("Child")
            .field("pid", &self.inner.pid)
            .field("status", &self.inner.status.get())
            .field("watch", &watch)
            .field("stdin", &self.stdin.is_some())
            .field("stdout", &self.stdout.is_some())
            .field("stderr", &self.stderr.is_some())
            .finish()
    }
}

impl Child {
    /// Registers the pipes of a started process with the running loop.
    fn adopt(mut std_child: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let stdin = std_child.stdin.take();
        let stdout = std_child.stdout.take();
        let stderr = std_child.stderr.take();
        // From here on, dropping `inner` on an error deals with the process.
        let inner = Rc::new(ChildInner::new(std_child, kill_on_drop));
        Ok(Child {
            stdin: stdin.map(ChildStdin::new).transpose()?,
            stdout: stdout.map(ChildStdout::new).transpose()?,
            stderr: stderr.map(ChildStderr::new).transpose()?,
            inner,
        })
    }

    /// The process id.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let child = corio::process::Command::new("true").spawn()?;
    ///     assert!(child.id() > 0);
    ///     child.wait().await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn id(&self) -> u32 {
        self.inner.pid
    }

    /// Waits for the child to exit and gives its status: asyncio's `await proc.wait()`.
    /// Waiting again gives the same status. The standard input, if piped, stays open: drop it
    /// first if the child waits for its end.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let child = corio::process::Command::new("sh").args(["-c", "exit 7"]).spawn()?;
    ///     assert_eq!(child.wait().await?.code(), Some(7));
    ///     assert_eq!(child.wait().await?.code(), Some(7));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the process cannot be waited for (someone else reaped it, with its pid in the
    /// message), or no corio loop runs on this thread.
    pub fn wait(&self) -> Wait {
        Wait {
            inner: Some(self.inner.clone()),
            error: None,
        }
    }

    /// The status if the child has exited, `None` if it still runs; never waits.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let child = corio::process::Command::new("sleep").arg("10").spawn()?;
    ///     assert_eq!(child.try_wait()?, None);
    ///     child.kill()?;
    ///     child.wait().await?;
    ///     assert!(child.try_wait()?.is_some());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the process cannot be waited for (someone else reaped it).
    pub fn try_wait(&self) -> io::Result<Option<ExitStatus>> {
        self.inner.try_wait()
    }

    /// Kills the child with `SIGKILL`: asyncio's `proc.kill()`. Await [`wait`](Self::wait)
    /// afterwards to reap it.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let child = corio::process::Command::new("sleep").arg("60").spawn()?;
    ///     child.kill()?;
    ///     assert!(!child.wait().await?.success());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` when the process has already exited and been waited for (its pid may
    /// belong to another process by now, so no signal is sent), with the pid and status in the
    /// message.
    pub fn kill(&self) -> io::Result<()> {
        self.send(rustix::process::Signal::KILL)
    }

    /// Asks the child to terminate with `SIGTERM`: asyncio's `proc.terminate()`.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let child = corio::process::Command::new("sleep").arg("60").spawn()?;
    ///     child.terminate()?;
    ///     use std::os::unix::process::ExitStatusExt;
    ///     assert_eq!(child.wait().await?.signal(), Some(libc::SIGTERM));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`kill`](Self::kill).
    pub fn terminate(&self) -> io::Result<()> {
        self.send(rustix::process::Signal::TERM)
    }

    fn send(&self, signal: rustix::process::Signal) -> io::Result<()> {
        // Reap first if it exited: then its pid is no longer ours to signal.
        if let Some(status) = self.inner.try_wait()? {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "process {} has already exited ({status}); no signal sent",
                    self.inner.pid
                ),
            ));
        }
        let pid = rustix::process::Pid::from_raw(self.inner.pid as i32)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "pid 0"))?;
        // Not reaped yet, so the pid still names our child (a zombie at worst).
        rustix::process::kill_process(pid, signal).map_err(io::Error::from)
    }

    /// Waits for the child while reading all of its piped stdout and stderr: std's
    /// `wait_with_output`. Drops the piped stdin first, so that the child sees its end.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    ///     let out = child.wait_with_output().await?;
    ///     assert_eq!(out.stdout, b"hi\n");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait), or the pipes' errors.
    pub fn wait_with_output(mut self) -> OutputFuture {
        drop(self.stdin.take());
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        OutputFuture::new(async move {
            let out = async move {
                match stdout {
                    Some(pipe) => pipe.read_to_end().await,
                    None => Ok(Vec::new()),
                }
            };
            let err = async move {
                match stderr {
                    Some(pipe) => pipe.read_to_end().await,
                    None => Ok(Vec::new()),
                }
            };
            let (stdout, stderr, status) = crate::join!(out, err, self.wait()).await;
            Ok(Output {
                status: status?,
                stdout: stdout?,
                stderr: stderr?,
            })
        })
    }
}

/// The future of [`Child::wait`] and [`Command::status`]: the exit status.
///
/// It is `'static` and `Unpin`; dropping it does not affect the child.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let child = corio::process::Command::new("true").spawn()?;
///     let waiting: corio::process::Wait = child.wait();
///     drop(child); // the future keeps what it needs
///     assert!(waiting.await?.success());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Wait {
    inner: Option<Rc<ChildInner>>,
    error: Option<io::Error>,
}

impl fmt::Debug for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("pid", &self.inner.as_ref().map(|i| i.pid))
            .finish_non_exhaustive()
    }
}

impl Future for Wait {
    type Output = io::Result<ExitStatus>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(e) = self.error.take() {
            return Poll::Ready(Err(e));
        }
        let inner = self.inner.as_ref().expect("Wait polled after it completed");
        let status = ready!(inner.poll_wait(cx));
        Poll::Ready(status)
    }
}

/// The future of [`Command::output`] and [`Child::wait_with_output`]: status and output.
///
/// It is `'static` and `Unpin`.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let pending: corio::process::OutputFuture = corio::process::Command::new("true").output();
///     assert!(pending.await?.status.success());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct OutputFuture {
    inner: Pin<Box<dyn Future<Output = io::Result<Output>>>>,
}

impl OutputFuture {
    fn new(fut: impl Future<Output = io::Result<Output>> + 'static) -> Self {
        Self {
            inner: Box::pin(fut),
        }
    }
}

impl fmt::Debug for OutputFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutputFuture").finish_non_exhaustive()
    }
}

impl Future for OutputFuture {
    type Output = io::Result<Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}
