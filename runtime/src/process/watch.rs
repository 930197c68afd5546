//! Noticing that a child exited, without a thread per child.
//!
//! Where the kernel has `pidfd_open` (Linux 5.3), each child gets a pidfd, which becomes
//! readable when the child exits: the loop watches it like a socket. Elsewhere (or with
//! `CORIO_CHILD_WATCH=sigchld`) one `SIGCHLD` self-pipe per loop wakes every waiting child,
//! and each checks its own child with a non-blocking `waitpid(pid)`. Either way a child is
//! reaped only by its own `Child` (never `waitpid(-1)`), so other code's children are left
//! alone, and a `signal(SIGCHLD)` stream of the user's sees every arrival too.

use std::cell::RefCell;
use std::io;
use std::os::fd::OwnedFd;
use std::rc::{Rc, Weak};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use crate::LoopId;
use crate::reactor::IoSource;
use crate::signal::SignalPipe;

/// How one child's exit is noticed.
pub(crate) enum Watch {
    /// A pidfd registered with the loop: readable once the child has exited.
    Pidfd(IoSource<OwnedFd>),
    /// The loop's shared `SIGCHLD` pipe.
    Sigchld(Rc<RefCell<SignalPipe>>),
}

impl Watch {
    /// Starts watching `pid`, which must be an unreaped child of this process.
    pub(crate) fn new(pid: u32) -> io::Result<Self> {
        if !force_sigchld()
            && let Some(pid) = rustix::process::Pid::from_raw(pid as i32)
        {
            match rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::NONBLOCK) {
                Ok(fd) => return Ok(Watch::Pidfd(IoSource::new(fd)?)),
                // No pidfds (an old kernel, a sandbox): fall back to SIGCHLD.
                Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Watch::Sigchld(sigchld_pipe()?))
    }

    /// Ready when the child may have exited (check with `try_wait`); pending otherwise.
    pub(crate) fn poll_exit(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Watch::Pidfd(source) => source.poll_readable(cx),
            Watch::Sigchld(pipe) => {
                ready!(pipe.borrow_mut().poll_arrivals(cx))?;
                Poll::Ready(Ok(()))
            }
        }
    }

    /// After a `try_wait` that found the child running: wait for the next sign.
    pub(crate) fn clear(&mut self) {
        if let Watch::Pidfd(source) = self {
            source.clear_readable();
        }
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Watch::Pidfd(_) => "pidfd",
            Watch::Sigchld(_) => "SIGCHLD",
        }
    }
}

/// `CORIO_CHILD_WATCH=sigchld` forces the fallback (how the tests run it on kernels that
/// have pidfds).
fn force_sigchld() -> bool {
    std::env::var_os("CORIO_CHILD_WATCH").is_some_and(|v| v == "sigchld")
}

thread_local! {
    /// This thread's `SIGCHLD` pipe, with the loop it belongs to: children waiting on the same
    /// loop share it (a signal wakes them all, each checks its own child).
    static SIGCHLD: RefCell<Option<(LoopId, Weak<RefCell<SignalPipe>>)>> =
        const { RefCell::new(None) };
}

fn sigchld_pipe() -> io::Result<Rc<RefCell<SignalPipe>>> {
    let id = crate::running_loop()
        .ok_or_else(|| io::Error::other("there is no running corio loop on this thread"))?
        .id();
    SIGCHLD.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some((loop_id, weak)) = &*slot
            && *loop_id == id
            && let Some(pipe) = weak.upgrade()
        {
            return Ok(pipe);
        }
        let pipe = Rc::new(RefCell::new(SignalPipe::new(&[libc::SIGCHLD])?));
        *slot = Some((id, Rc::downgrade(&pipe)));
        Ok(pipe)
    })
}

/// Children whose `Child` was dropped before they exited: reaped later so that they do not
/// stay zombies (tokio keeps a similar orphan queue). Process-wide, since `Child` handles of
/// any loop may end up here.
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Keeps `child` to be reaped by [`reap_orphans`].
pub(crate) fn adopt(child: std::process::Child) {
    ORPHANS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(child);
}

/// Reaps the orphans that have exited; called at every spawn and every exit noticed, so a
/// dropped child stays a zombie at most until the next one.
pub(crate) fn reap_orphans() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(PoisonError::into_inner);
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}
