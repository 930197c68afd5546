//! I/O readiness on [`polling::Poller`]: the only module with `unsafe` code.
//!
//! A socket (or any file descriptor) joins the loop as an [`IoSource`], which owns it and
//! registers it once, for both directions, edge-triggered where the platform supports it
//! (`PollMode::Edge` on epoll and kqueue) so that readiness never needs re-arming. Where edge
//! mode is missing it falls back to `PollMode::Oneshot` and re-arms the directions that have
//! a waiter each time a task starts to wait.
//!
//! Readiness is a pair of flags per source. An event sets them and wakes the tasks waiting
//! in that direction (every one of them: clones of a socket may wait together); an operation
//! that fails with `WouldBlock` clears its flag ([`IoSource::clear_readable`]) and waits for
//! the next event. The helpers [`IoSource::read_with`] and [`IoSource::write_with`] do
//! exactly that around a non-blocking call, which is what a socket type needs:
//!
//! ```text
//! let source = IoSource::new(std_stream)?;            // after set_nonblocking(true)
//! let n = source.read_with(|s| (&*s).read(&mut buf)).await?;
//! ```
//!
//! The source is deleted from the poller in `IoSource::drop`, before the owned I/O object
//! closes its descriptor, which is what `Poller::add` requires.
//!
//! The submodule `sys` holds the few system calls that std does not offer safely: a
//! non-blocking `connect`, the listen backlog, `send` with `MSG_NOSIGNAL`, and the signal
//! handler behind `corio::signal`.

#![allow(
    dead_code,
    reason = "the socket types (corio::net) are the users of this API"
)]

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use polling::{AsSource, Event, Events, PollMode};
use slab::Slab;

use crate::executor;
use crate::trace::{self, WaitingOn};
use crate::waker::Shared;

#[cfg(unix)]
pub(crate) mod sys;

const READABLE: u8 = 1;
const WRITABLE: u8 = 2;

#[cfg(test)]
thread_local! {
    /// Lets a test run the oneshot fallback on a platform that has edge triggering.
    static FORCE_ONESHOT: Cell<bool> = const { Cell::new(false) };
}

/// Whether to use the `Oneshot` fallback even where edge triggering exists: in unit tests
/// that ask for it, and in any process run with `CORIO_POLL_MODE=oneshot` (how the socket
/// tests run their whole suite a second time on the fallback).
fn force_oneshot() -> bool {
    #[cfg(test)]
    if FORCE_ONESHOT.with(Cell::get) {
        return true;
    }
    std::env::var_os("CORIO_POLL_MODE").is_some_and(|v| v == "oneshot")
}

/// The loop's poller and the table of registered sources.
pub(crate) struct Reactor {
    shared: Arc<Shared>,
    sources: RefCell<Slab<Rc<SourceState>>>,
    events: RefCell<Events>,
    mode: PollMode,
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sources = self.sources.try_borrow().map(|s| s.len()).ok();
        f.debug_struct("Reactor")
            .field("sources", &sources)
            .field("mode", &self.mode)
            .finish()
    }
}

/// Readiness and wakers of one source.
#[derive(Debug)]
struct SourceState {
    key: usize,
    ready: Cell<u8>,
    /// Tasks waiting to read; usually one, more when clones of a socket wait together.
    reader: RefCell<Vec<Waker>>,
    writer: RefCell<Vec<Waker>>,
}

impl Reactor {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let edge = shared.poller.supports_edge() && !force_oneshot();
        let mode = if edge {
            PollMode::Edge
        } else {
            PollMode::Oneshot
        };
        Self {
            shared,
            sources: RefCell::new(Slab::new()),
            events: RefCell::new(Events::new()),
            mode,
        }
    }

    /// The reactor of the running loop.
    ///
    /// # Errors
    ///
    /// An `io::ErrorKind::Other` error when no corio loop runs on this thread.
    pub(crate) fn current() -> io::Result<Rc<Self>> {
        executor::try_with_current(|l| l.reactor.clone())
            .ok_or_else(|| io::Error::other("there is no running corio loop on this thread"))
    }

    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.borrow().is_empty()
    }

    /// Waits for I/O (at most `timeout`; `None` blocks until an event or a notification),
    /// then wakes the tasks waiting on every source that became ready.
    pub(crate) fn wait(&self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        let mut timeout = timeout;
        loop {
            let mut events = self.events.borrow_mut();
            events.clear();
            if let Err(e) = self.shared.poller.wait(&mut events, timeout) {
                panic!("corio: polling for I/O failed: {e}");
            }
            let sources = self.sources.borrow();
            // In oneshot mode an event disarms the whole source, so both directions' waiters
            // are woken: each polls again and re-arms what it still waits for.
            let oneshot = self.mode != PollMode::Edge;
            for ev in events.iter() {
                let Some(state) = sources.get(ev.key) else {
                    continue;
                };
                let mut ready = state.ready.get();
                if ev.readable {
                    ready |= READABLE;
                }
                if ev.writable {
                    ready |= WRITABLE;
                }
                if ev.readable || oneshot {
                    wakers.append(&mut state.reader.borrow_mut());
                }
                if ev.writable || oneshot {
                    wakers.append(&mut state.writer.borrow_mut());
                }
                state.ready.set(ready);
            }
            // A full buffer may have left events behind: drain them without blocking.
            if events.len() < events.capacity().get() {
                break;
            }
            timeout = Some(Duration::ZERO);
        }
        for waker in wakers.drain(..) {
            waker.wake();
        }
    }
}

/// An I/O object registered with the loop's poller, plus its readiness.
///
/// `T` is the owned socket or file (for example a non-blocking `std::net::TcpStream`). The
/// registration lives exactly as long as the `IoSource`.
pub(crate) struct IoSource<T: AsSource> {
    reactor: Rc<Reactor>,
    state: Rc<SourceState>,
    // Declared last so that it is dropped after `Drop::drop` deleted it from the poller.
    io: T,
}

impl<T: AsSource + fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSource")
            .field("io", &self.io)
            .field("key", &self.state.key)
            .field("ready", &self.state.ready.get())
            .finish()
    }
}

impl<T: AsSource> IoSource<T> {
    /// Registers `io`, which must already be in non-blocking mode, with the running loop.
    ///
    /// # Errors
    ///
    /// When no loop runs on this thread, or when the poller refuses the descriptor.
    #[allow(unsafe_code)]
    pub(crate) fn new(io: T) -> io::Result<Self> {
        let reactor = Reactor::current()?;
        let state = {
            let mut sources = reactor.sources.borrow_mut();
            let entry = sources.vacant_entry();
            let state = Rc::new(SourceState {
                key: entry.key(),
                ready: Cell::new(0),
                reader: RefCell::new(Vec::new()),
                writer: RefCell::new(Vec::new()),
            });
            entry.insert(state.clone());
            state
        };
        let interest = match reactor.mode {
            PollMode::Edge => Event::all(state.key),
            _ => Event::none(state.key),
        };
        // SAFETY: `io` is owned by the returned `IoSource`, whose `Drop` deletes the source
        // from the poller before `io` (and with it the descriptor) is dropped; on error
        // nothing was registered.
        let added = unsafe {
            reactor
                .shared
                .poller
                .add_with_mode(&io.source(), interest, reactor.mode)
        };
        if let Err(e) = added {
            reactor.sources.borrow_mut().remove(state.key);
            return Err(e);
        }
        Ok(Self { reactor, state, io })
    }

    /// The registered I/O object.
    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    /// Whether the source was reported readable since the last `clear_readable`.
    pub(crate) fn is_readable(&self) -> bool {
        self.state.ready.get() & READABLE != 0
    }

    /// Whether the source was reported writable since the last `clear_writable`.
    pub(crate) fn is_writable(&self) -> bool {
        self.state.ready.get() & WRITABLE != 0
    }

    /// Ready when the source has been reported readable since the last `clear_readable`.
    pub(crate) fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(READABLE, &self.state.reader, cx)
    }

    /// Ready when the source has been reported writable since the last `clear_writable`.
    pub(crate) fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(WRITABLE, &self.state.writer, cx)
    }

    /// Forgets read readiness: call it after a read returned `WouldBlock`.
    pub(crate) fn clear_readable(&self) {
        self.state.ready.set(self.state.ready.get() & !READABLE);
    }

    /// Forgets write readiness: call it after a write returned `WouldBlock`.
    pub(crate) fn clear_writable(&self) {
        self.state.ready.set(self.state.ready.get() & !WRITABLE);
    }

    /// Waits until the source is readable.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Waits until the source is writable.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// Runs a non-blocking read-side operation until it stops returning `WouldBlock`.
    pub(crate) async fn read_with<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_readable();
                    self.readable().await?;
                }
                result => return result,
            }
        }
    }

    /// Runs a non-blocking write-side operation until it stops returning `WouldBlock`.
    pub(crate) async fn write_with<R>(
        &self,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(&self.io) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.clear_writable();
                    self.writable().await?;
                }
                result => return result,
            }
        }
    }

    fn poll_ready(
        &self,
        flag: u8,
        slot: &RefCell<Vec<Waker>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let waiting = || WaitingOn::Io {
            write: flag == WRITABLE,
            fd: self.raw_fd(),
        };
        if let Some(traced) = trace::traced(waiting) {
            return traced;
        }
        if self.state.ready.get() & flag != 0 {
            return Poll::Ready(Ok(()));
        }
        // Every distinct waiter is kept until the next event wakes them all; a waiter that
        // gave up meanwhile just gets one spurious wake-up.
        let mut waiters = slot.borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        drop(waiters);
        if self.reactor.mode != PollMode::Edge {
            self.rearm()?;
        }
        trace::pending(waiting())
    }

    /// The descriptor, for task dumps ("readable on fd 7").
    fn raw_fd(&self) -> i32 {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            self.io.source().as_raw_fd()
        }
        #[cfg(not(unix))]
        {
            -1
        }
    }

    /// Oneshot mode: asks again for the directions that have a waiter.
    fn rearm(&self) -> io::Result<()> {
        let key = self.state.key;
        let read = !self.state.reader.borrow().is_empty();
        let write = !self.state.writer.borrow().is_empty();
        let interest = match (read, write) {
            (true, true) => Event::all(key),
            (true, false) => Event::readable(key),
            (false, true) => Event::writable(key),
            (false, false) => Event::none(key),
        };
        self.reactor
            .shared
            .poller
            .modify_with_mode(self.io.source(), interest, PollMode::Oneshot)
    }
}

impl<T: AsSource> Drop for IoSource<T> {
    fn drop(&mut self) {
        // An error means the descriptor is already gone from the poller; nothing to undo.
        let _ = self.reactor.shared.poller.delete(self.io.source());
        if let Ok(mut sources) = self.reactor.sources.try_borrow_mut() {
            sources.try_remove(self.state.key);
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    use polling::PollMode;

    use super::IoSource;

    #[test]
    fn socketpair_readiness_wakes_the_reader() {
        let got = crate::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            b.set_nonblocking(true).unwrap();
            let a = IoSource::new(a).unwrap();
            let b = IoSource::new(b).unwrap();
            let reader = crate::spawn(async move {
                let mut buf = [0u8; 16];
                let n = b.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
                buf[..n].to_vec()
            });
            // Let the reader block on an empty socket first.
            crate::sleep(std::time::Duration::from_millis(10)).await;
            a.write_with(|s| (&*s).write(b"ping")).await.unwrap();
            reader.await.unwrap()
        });
        assert_eq!(got, b"ping");
    }

    #[test]
    fn oneshot_fallback_rearms_both_directions() {
        super::FORCE_ONESHOT.with(|f| f.set(true));
        let got = crate::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            b.set_nonblocking(true).unwrap();
            let a = std::rc::Rc::new(IoSource::new(a).unwrap());
            let b = IoSource::new(b).unwrap();
            assert_eq!(super::Reactor::current().unwrap().mode, PollMode::Oneshot);
            let mut got = Vec::new();
            for round in 0..3u8 {
                let reader = {
                    let a = a.clone();
                    crate::spawn(async move {
                        let mut buf = [0u8; 1];
                        a.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
                        buf[0]
                    })
                };
                crate::sleep(std::time::Duration::from_millis(2)).await;
                b.write_with(|s| (&*s).write(&[round])).await.unwrap();
                got.push(reader.await.unwrap());
            }
            got
        });
        super::FORCE_ONESHOT.with(|f| f.set(false));
        assert_eq!(got, [0, 1, 2]);
    }

    #[test]
    fn every_waiting_reader_is_woken() {
        let got = crate::run(async {
            let (a, b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            b.set_nonblocking(true).unwrap();
            let a = std::rc::Rc::new(IoSource::new(a).unwrap());
            let b = IoSource::new(b).unwrap();
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let a = a.clone();
                    crate::spawn(async move {
                        let mut buf = [0u8; 1];
                        a.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
                        buf[0]
                    })
                })
                .collect();
            crate::sleep(std::time::Duration::from_millis(2)).await;
            b.write_with(|s| (&*s).write(&[7, 8])).await.unwrap();
            let mut got = crate::join_all(readers)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect::<Vec<_>>();
            got.sort_unstable();
            got
        });
        assert_eq!(got, [7, 8]);
    }

    #[test]
    fn dropping_a_source_deregisters_it() {
        crate::run(async {
            let (a, _b) = UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            let source = IoSource::new(a).unwrap();
            let reactor = super::Reactor::current().unwrap();
            assert!(reactor.has_sources());
            drop(source);
            assert!(!reactor.has_sources());
        });
    }
}
