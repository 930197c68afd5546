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
//! the next event ([`IoSource::poll_readable`]). The socket types (`net/stream.rs`,
//! `net/udp.rs`) wrap each non-blocking call in exactly that:
//!
//! ```text
//! let source = IoSource::new(std_stream)?;            // after set_nonblocking(true)
//! loop {
//!     ready!(source.poll_readable(cx))?;
//!     match source.get_ref().read(&mut buf) {
//!         Err(e) if e.kind() == WouldBlock => source.clear_readable(),
//!         res => return Poll::Ready(res),
//!     }
//! }
//! ```
//!
//! The source is deleted from the poller in `IoSource::drop`, before the owned I/O object
//! closes its descriptor, which is what `Poller::add` requires.
//!
//! # Waiting
//!
//! Registration always goes through `polling` (`add_with_mode`, `modify`, `delete`, and
//! `notify` from other threads). Waiting does too on every platform but Linux, where
//! `Poller::wait` costs four system calls beside its `epoll_wait` (it re-arms a timerfd for the
//! timeout and, afterwards, reads and re-arms its notifier eventfd). There the loop calls
//! `epoll_wait` itself on the poller's epoll descriptor ([`Backend::Epoll`]), with a timeout in
//! whole milliseconds rounded up, and reads each event's key from the data word where polling
//! stored it. The one event it cannot handle alone is polling's notifier (key `usize::MAX`, a
//! `Poller::notify` from another thread): the registration is `EPOLLONESHOT`, so after seeing it
//! the loop calls `Poller::wait` once with a zero timeout, which reads the eventfd and re-arms
//! it. That rare path keeps this invariant: **whenever the loop blocks in `epoll_wait`, the
//! notifier is armed**, so an eventfd write that the loop has not consumed wakes it (see
//! [`Reactor::wait`] for why no notification is lost). `CORIO_REACTOR=polling` selects
//! `Poller::wait` on Linux too, for comparison.
//!
//! The submodule `sys` holds the few system calls that std does not offer safely: a
//! non-blocking `connect`, the listen backlog, `send` with `MSG_NOSIGNAL`, and `epoll_wait`.
//! (Signals come through `signal-hook`'s safe self-pipes: see `corio::signal`.)

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use polling::{AsSource, Event, Events, PollMode};
use slab::Slab;

use crate::rt::await_chain::{self, WaitingOn};
use crate::rt::waker::Shared;

thread_local! {
    /// The reactor of the loop running on this thread, set and cleared by the executor's
    /// `block_on` beside its own current loop: an I/O source finds its reactor here
    /// without reaching up into the executor.
    static CURRENT: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
}

#[cfg(unix)]
pub(crate) mod sys;

const READABLE: u8 = 1;
const WRITABLE: u8 = 2;
/// The peer closed its write half (or the connection failed): sticky, since a read never
/// blocks again, so `clear_readable` leaves it set.
const READ_CLOSED: u8 = 4;

/// The key polling gives its own notifier and timerfd registrations (`polling::NOTIFY_KEY`,
/// which is private): an event with it is a `Poller::notify` from another thread.
const NOTIFY_KEY: usize = usize::MAX;

/// How many events one wait takes at most (polling's default); a full buffer is drained again
/// without blocking.
const EVENTS_CAPACITY: usize = 1024;

#[cfg(test)]
thread_local! {
    /// Lets a test run the oneshot fallback on a platform that has edge triggering.
    static FORCE_ONESHOT: Cell<bool> = const { Cell::new(false) };
    /// Lets a test wait with `Poller::wait` on a platform where the loop calls `epoll_wait`.
    static FORCE_POLLING: Cell<bool> = const { Cell::new(false) };
    /// Lets a test shrink the event buffer (0: the default).
    static EVENTS_CAPACITY_OVERRIDE: Cell<usize> = const { Cell::new(0) };
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

/// How the loop waits for I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// `Poller::wait`: every platform; five system calls per wait on Linux.
    Polling,
    /// `epoll_wait` on the poller's epoll descriptor: Linux and Android, one system call per
    /// wait (plus one `Poller::wait` after a cross-thread notification).
    Epoll,
}

impl Backend {
    /// `Epoll` where it exists, unless the process runs with `CORIO_REACTOR=polling` (or a
    /// unit test asks for `Poller::wait`).
    fn choose() -> Self {
        #[cfg(test)]
        if FORCE_POLLING.with(Cell::get) {
            return Self::Polling;
        }
        let polling = std::env::var_os("CORIO_REACTOR").is_some_and(|v| v == "polling");
        if cfg!(any(target_os = "linux", target_os = "android")) && !polling {
            Self::Epoll
        } else {
            Self::Polling
        }
    }
}

/// An `epoll_wait` timeout: whole milliseconds rounded up, so that a timer is never woken
/// early (and a wait for less than a millisecond does not spin); -1 for no limit.
fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(t) => i32::try_from(t.as_nanos().div_ceil(1_000_000)).unwrap_or(i32::MAX),
    }
}

/// The loop's poller and the table of registered sources.
pub(crate) struct Reactor {
    shared: Arc<Shared>,
    sources: RefCell<Slab<Rc<SourceState>>>,
    /// `Poller::wait`'s buffer: every wait of the `Polling` backend, and the rare one of the
    /// `Epoll` backend after a notification.
    events: RefCell<Events>,
    /// `epoll_wait`'s buffer (the `Epoll` backend only; empty otherwise).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    epoll_events: RefCell<Vec<sys::EpollEvent>>,
    backend: Backend,
    mode: PollMode,
    /// Whether events tell the peer's end of stream apart (`EPOLLRDHUP`: the `Epoll` backend
    /// in edge mode). Only then may a short read forget read readiness: otherwise data and
    /// the end of stream that arrive in one edge would leave the end of stream unseen.
    sees_read_closed: bool,
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sources = self.sources.try_borrow().map(|s| s.len()).ok();
        f.debug_struct("Reactor")
            .field("sources", &sources)
            .field("backend", &self.backend)
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
        let backend = Backend::choose();
        #[cfg(test)]
        let capacity = match EVENTS_CAPACITY_OVERRIDE.with(Cell::get) {
            0 => EVENTS_CAPACITY,
            n => n,
        };
        #[cfg(not(test))]
        let capacity = EVENTS_CAPACITY;
        let events =
            Events::with_capacity(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN));
        let sees_read_closed = backend == Backend::Epoll && mode == PollMode::Edge;
        Self {
            shared,
            sources: RefCell::new(Slab::new()),
            events: RefCell::new(events),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            epoll_events: RefCell::new(match backend {
                Backend::Epoll => Vec::with_capacity(capacity.max(1)),
                Backend::Polling => Vec::new(),
            }),
            backend,
            mode,
            sees_read_closed,
        }
    }

    /// The reactor of the running loop.
    ///
    /// # Errors
    ///
    /// An `io::ErrorKind::Other` error when no corio loop runs on this thread.
    pub(crate) fn current() -> io::Result<Rc<Self>> {
        CURRENT
            .try_with(|c| c.borrow().clone())
            .ok()
            .flatten()
            .ok_or_else(|| io::Error::other("there is no running corio loop on this thread"))
    }

    /// Makes `reactor` the running loop's reactor on this thread (`None`: no loop runs).
    pub(crate) fn set_current(reactor: Option<Rc<Self>>) {
        // During thread teardown the slot may be gone: then there is nothing to set.
        let old = CURRENT.try_with(|c| c.replace(reactor)).ok().flatten();
        drop(old);
    }

    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.borrow().is_empty()
    }

    /// Whether some task waits for readiness on a source (or did, and gave up since: a
    /// waker stays until the next event, see `IoSource::park`).
    pub(crate) fn has_waiters(&self) -> bool {
        self.sources
            .borrow()
            .iter()
            .any(|(_, s)| !s.reader.borrow().is_empty() || !s.writer.borrow().is_empty())
    }

    /// Waits for I/O (at most `timeout`; `None` blocks until an event or a notification),
    /// then wakes the tasks waiting on every source that became ready.
    ///
    /// A `Poller::notify` from another thread is never lost, with either backend. The waker
    /// side (`Shared::wake_remote`) queues the task, then sets the loop's `pending` flag, and
    /// calls `notify` only if the flag was clear; `notify` writes the eventfd only if polling's
    /// own `notified` flag was clear. The loop side drains the remote queue after every wait
    /// (`pending` first) and before it blocks again. Say the drain before a blocking wait missed
    /// a task. Then the waker's `pending` swap came after the drain's reset (the queue's mutex
    /// orders them otherwise), so the first waker to swap after that reset (this one, or one
    /// just before it whose task the next drain takes together with this one) found the flag
    /// clear and called `notify`:
    ///
    /// * if `notify` wrote the eventfd, the write came after the previous wait's read of it (that
    ///   read precedes the drain), so the eventfd is non-zero when the loop blocks; the notifier
    ///   is armed then (the `Epoll` backend hands every notifier event it sees to `Poller::wait`,
    ///   which re-arms it, before it returns), so `epoll_wait` returns at once;
    /// * if `notified` was already set, an earlier `notify` wrote the eventfd and no wait has
    ///   cleared `notified` since the waker looked. Either no wait has read that write either,
    ///   and the previous case applies to it; or a `Poller::wait` read it and then cleared
    ///   `notified` after the waker looked. That wait comes before the loop's next drain, and
    ///   all four flag operations are sequentially consistent, so the drain sees `pending` set
    ///   and takes the task: the loop does not block.
    ///
    /// Returns how many wakers it woke (a task waiting in both directions counts twice).
    pub(crate) fn wait(&self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) -> usize {
        match self.backend {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Backend::Epoll => self.wait_epoll(timeout, wakers),
            _ => self.wait_polling(timeout, wakers),
        }
        let woke = wakers.len();
        for waker in wakers.drain(..) {
            waker.wake();
        }
        woke
    }

    /// `Poller::wait`, repeated without blocking while it fills the buffer.
    fn wait_polling(&self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        let mut timeout = timeout;
        let mut events = self.events.borrow_mut();
        loop {
            events.clear();
            if let Err(e) = self.shared.poller.wait(&mut events, timeout) {
                panic!("corio: polling for I/O failed: {e}");
            }
            // polling leaves out its own notifier's events.
            let sources = self.sources.borrow();
            for ev in events.iter() {
                let closed = ev.is_interrupt();
                dispatch(
                    &sources,
                    self.mode,
                    ev.key,
                    ev.readable,
                    ev.writable,
                    closed,
                    wakers,
                );
            }
            // A full buffer may have left events behind: drain them without blocking.
            if events.len() < events.capacity().get() {
                break;
            }
            timeout = Some(Duration::ZERO);
        }
    }

    /// `epoll_wait` on the poller's descriptor, repeated without blocking while it fills the
    /// buffer; a notifier event makes it call `Poller::wait` once to clear and re-arm it.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn wait_epoll(&self, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        use std::os::fd::AsFd;

        // polling's read and write interests (`epoll.rs`): an error or hang-up is both.
        const READ: u32 =
            (libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLRDHUP)
                as u32;
        // The end of the stream in the read direction (sticky: see `READ_CLOSED`).
        // Not `EPOLLERR`: on a UDP socket an error is transient (an ICMP report).
        const CLOSED: u32 = (libc::EPOLLHUP | libc::EPOLLRDHUP) as u32;
        const WRITE: u32 = (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32;

        let mut timeout_ms = timeout_ms(timeout);
        let mut events = self.epoll_events.borrow_mut();
        loop {
            match sys::epoll_wait(self.shared.poller.as_fd(), &mut events, timeout_ms) {
                Ok(_) => {}
                // A signal: return, and the loop works out its timeout again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
                Err(e) => panic!("corio: polling for I/O failed: {e}"),
            }
            let mut notified = false;
            let sources = self.sources.borrow();
            for ev in events.iter() {
                // Copies: the struct is packed on some targets.
                let (key, flags) = (ev.u64 as usize, ev.events);
                if key == NOTIFY_KEY {
                    notified = true;
                } else {
                    let (read, write) = (flags & READ != 0, flags & WRITE != 0);
                    let closed = flags & CLOSED != 0;
                    dispatch(&sources, self.mode, key, read, write, closed, wakers);
                }
            }
            drop(sources);
            if notified {
                // The notifier's registration is oneshot and just fired: let polling read the
                // eventfd and re-arm it (also the timerfd, which stays disarmed: a zero
                // timeout). The events this wait finds are dispatched like any others.
                self.wait_polling(Some(Duration::ZERO), wakers);
            }
            if events.len() < events.capacity() {
                break;
            }
            timeout_ms = 0;
        }
    }
}

/// Records readiness on source `key` and collects the wakers of its waiting tasks.
fn dispatch(
    sources: &Slab<Rc<SourceState>>,
    mode: PollMode,
    key: usize,
    readable: bool,
    writable: bool,
    closed: bool,
    wakers: &mut Vec<Waker>,
) {
    let Some(state) = sources.get(key) else {
        return;
    };
    let mut ready = state.ready.get();
    if readable {
        ready |= READABLE;
    }
    if closed {
        ready |= READ_CLOSED;
    }
    if writable {
        ready |= WRITABLE;
    }
    // In oneshot mode an event disarms the whole source, so both directions' waiters are
    // woken: each polls again and re-arms what it still waits for.
    let oneshot = mode != PollMode::Edge;
    if readable || oneshot {
        wakers.append(&mut state.reader.borrow_mut());
    }
    if writable || oneshot {
        wakers.append(&mut state.writer.borrow_mut());
    }
    state.ready.set(ready);
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
        // Where the reactor sees the peer's end of stream, one `epoll_ctl(ADD)` with
        // `EPOLLRDHUP` (`sys::epoll_add_rdhup`) registers the source; elsewhere polling does.
        // Either way `io` is owned by the returned `IoSource`, whose `Drop` deletes the source
        // from the poller before `io` (and with it the descriptor) is dropped; on error
        // nothing was registered.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let added = if reactor.sees_read_closed {
            use std::os::fd::AsFd;
            sys::epoll_add_rdhup(
                reactor.shared.poller.as_fd(),
                io.source().as_fd(),
                state.key,
            )
        } else {
            // SAFETY: as above.
            unsafe {
                reactor
                    .shared
                    .poller
                    .add_with_mode(&io.source(), interest, reactor.mode)
            }
        };
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        // SAFETY: as above.
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

    /// Whether the source was reported readable since the last `clear_readable`, or its
    /// read direction was reported closed (then reads never block again).
    pub(crate) fn is_readable(&self) -> bool {
        self.state.ready.get() & (READABLE | READ_CLOSED) != 0
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

    /// A read returned fewer bytes than asked for: the socket's buffer is drained, so read
    /// readiness is forgotten (saving the `EAGAIN` round trip of the next read) where the
    /// reactor would report an end of stream that arrived in the same edge; elsewhere it is
    /// kept, and the next read finds out.
    pub(crate) fn read_was_short(&self) {
        if self.reactor.sees_read_closed {
            self.clear_readable();
        }
    }

    /// Forgets read readiness: call it after a read returned `WouldBlock`. An end of stream
    /// that was reported stays (reads return at once from then on).
    pub(crate) fn clear_readable(&self) {
        self.state.ready.set(self.state.ready.get() & !READABLE);
    }

    /// Forgets write readiness: call it after a write returned `WouldBlock`.
    pub(crate) fn clear_writable(&self) {
        self.state.ready.set(self.state.ready.get() & !WRITABLE);
    }

    // The ready case, every second poll of an echo, stays small enough to inline into the
    // socket futures; registering a waiter is out of line.
    #[inline]
    fn poll_ready(
        &self,
        flag: u8,
        slot: &RefCell<Vec<Waker>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(traced) = await_chain::traced(|| self.waiting_on(flag)) {
            return traced;
        }
        let ready = match flag {
            READABLE => self.is_readable(),
            _ => self.state.ready.get() & flag != 0,
        };
        if ready {
            return Poll::Ready(Ok(()));
        }
        self.park(flag, slot, cx)
    }

    #[inline(never)]
    fn park(
        &self,
        flag: u8,
        slot: &RefCell<Vec<Waker>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
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
        await_chain::pending(self.waiting_on(flag))
    }

    /// What a task waiting in direction `flag` waits on, for task dumps.
    fn waiting_on(&self, flag: u8) -> WaitingOn {
        WaitingOn::Io {
            write: flag == WRITABLE,
            fd: self.raw_fd(),
        }
    }

    /// The descriptor, for task dumps ("readable on fd 7 (…)").
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

    use std::future::poll_fn;
    use std::io;

    use polling::{AsSource, PollMode};

    use super::IoSource;

    /// Runs `op` until it stops returning `WouldBlock`, waiting for readiness in between (in
    /// the write direction if `write`), as the socket types do.
    async fn io_with<T: AsSource, R>(
        source: &IoSource<T>,
        write: bool,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(source.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if write {
                        source.clear_writable();
                        poll_fn(|cx| source.poll_writable(cx)).await?;
                    } else {
                        source.clear_readable();
                        poll_fn(|cx| source.poll_readable(cx)).await?;
                    }
                }
                result => return result,
            }
        }
    }

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
                let n = io_with(&b, false, |s| (&*s).read(&mut buf)).await.unwrap();
                buf[..n].to_vec()
            });
            // Let the reader block on an empty socket first.
            crate::sleep(std::time::Duration::from_millis(10)).await;
            io_with(&a, true, |s| (&*s).write(b"ping")).await.unwrap();
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
                        io_with(&a, false, |s| (&*s).read(&mut buf)).await.unwrap();
                        buf[0]
                    })
                };
                crate::sleep(std::time::Duration::from_millis(2)).await;
                io_with(&b, true, |s| (&*s).write(&[round])).await.unwrap();
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
                        io_with(&a, false, |s| (&*s).read(&mut buf)).await.unwrap();
                        buf[0]
                    })
                })
                .collect();
            crate::sleep(std::time::Duration::from_millis(2)).await;
            io_with(&b, true, |s| (&*s).write(&[7, 8])).await.unwrap();
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

    #[test]
    fn epoll_timeouts_round_up_to_whole_milliseconds() {
        use std::time::Duration;

        use super::timeout_ms;

        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(999))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1_000_001))), 2);
        assert_eq!(timeout_ms(Some(Duration::from_secs(3))), 3000);
        assert_eq!(timeout_ms(Some(Duration::from_secs(u64::MAX))), i32::MAX);
    }

    #[test]
    fn the_loop_uses_the_backend_it_was_asked_for() {
        let linux = cfg!(any(target_os = "linux", target_os = "android"));
        let polling = std::env::var_os("CORIO_REACTOR").is_some_and(|v| v == "polling");
        let expected = if linux && !polling {
            super::Backend::Epoll
        } else {
            super::Backend::Polling
        };
        let got = crate::run(async { super::Reactor::current().unwrap().backend });
        assert_eq!(got, expected);
        super::FORCE_POLLING.with(|f| f.set(true));
        let got = crate::run(async { super::Reactor::current().unwrap().backend });
        super::FORCE_POLLING.with(|f| f.set(false));
        assert_eq!(got, super::Backend::Polling);
    }

    /// What the `Epoll` backend relies on in polling's epoll backend: a source's key is the
    /// data word of its registration, the notifier reports `NOTIFY_KEY`, its registration is
    /// oneshot, and `Poller::wait` re-arms it. A polling upgrade that changes any of this
    /// fails here.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn polling_registrations_are_what_epoll_wait_expects() {
        use std::os::fd::AsFd;
        use std::time::Duration;

        use polling::{Event, Events, Poller};

        use super::{NOTIFY_KEY, sys};

        fn keys(poller: &Poller, timeout_ms: i32) -> Vec<(usize, u32)> {
            let mut events = Vec::with_capacity(8);
            sys::epoll_wait(poller.as_fd(), &mut events, timeout_ms).unwrap();
            events.iter().map(|e| (e.u64 as usize, e.events)).collect()
        }

        let poller = Poller::new().unwrap();
        let (a, b) = UnixStream::pair().unwrap();
        b.set_nonblocking(true).unwrap();
        // SAFETY: `b` outlives its registration: it is deleted below before being dropped.
        #[allow(unsafe_code)]
        unsafe {
            poller
                .add_with_mode(&b, Event::readable(42), PollMode::Edge)
                .unwrap();
        }
        assert_eq!(keys(&poller, 0), []);
        (&a).write_all(b"x").unwrap();
        let got = keys(&poller, 1000);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 42);
        assert_ne!(got[0].1 & libc::EPOLLIN as u32, 0);
        assert_eq!(keys(&poller, 0), [], "edge-triggered: reported once");

        poller.notify().unwrap();
        let got = keys(&poller, 1000);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, NOTIFY_KEY);
        // Oneshot: the notifier stays silent until polling re-arms it...
        poller.notify().unwrap();
        assert_eq!(keys(&poller, 0), []);
        // ...which one `Poller::wait` does (and it reports no event of its own).
        let mut events = Events::new();
        poller.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
        assert_eq!(keys(&poller, 0), []);
        poller.notify().unwrap();
        assert_eq!(keys(&poller, 1000).first().map(|e| e.0), Some(NOTIFY_KEY));
        poller.delete(&b).unwrap();
    }

    /// Runs `f` on its own thread and fails if it takes longer than `limit`: a lost wake-up
    /// leaves the loop asleep forever.
    fn within<T: Send + 'static>(
        limit: std::time::Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        match rx.recv_timeout(limit) {
            Ok(value) => value,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                panic!("the loop is still asleep after {limit:?}: a wake-up was lost")
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the loop panicked"),
        }
    }

    /// Helper threads each wake one task of a loop that has nothing else to do, thousands of
    /// times, at random moments: at once (the loop is still running the task or draining its
    /// queues), after a few hundred spins (it is on its way into `epoll_wait`), or after a
    /// sleep (it is asleep). Several helpers make `notify` calls coincide.
    fn many_cross_thread_wakes(polling: bool) {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::{Arc, Mutex};
        use std::task::Poll;
        use std::time::Duration;

        const HELPERS: u64 = 3;
        const ROUNDS: u64 = 4000;

        #[derive(Default)]
        struct Slot {
            round: AtomicU64,
            waker: Mutex<Option<std::task::Waker>>,
        }

        let woken = within(Duration::from_secs(120), move || {
            super::FORCE_POLLING.with(|f| f.set(polling));
            crate::run(async {
                let tasks = (0..HELPERS).map(|h| {
                    let slot = Arc::new(Slot::default());
                    let helper = {
                        let slot = slot.clone();
                        std::thread::spawn(move || {
                            let mut seed = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(h + 1);
                            for round in 1..=ROUNDS {
                                let waker = loop {
                                    if let Some(w) = slot.waker.lock().unwrap().take() {
                                        break w;
                                    }
                                    std::thread::yield_now();
                                };
                                seed ^= seed << 13;
                                seed ^= seed >> 7;
                                seed ^= seed << 17;
                                match seed % 4 {
                                    0 => {}
                                    1 => (0..seed % 2000).for_each(|_| std::hint::spin_loop()),
                                    2 => std::thread::yield_now(),
                                    _ => std::thread::sleep(Duration::from_micros(seed % 200)),
                                }
                                slot.round.store(round, Ordering::SeqCst);
                                waker.wake();
                            }
                        })
                    };
                    crate::spawn(async move {
                        for round in 1..=ROUNDS {
                            std::future::poll_fn(|cx| {
                                if slot.round.load(Ordering::SeqCst) >= round {
                                    return Poll::Ready(());
                                }
                                *slot.waker.lock().unwrap() = Some(cx.waker().clone());
                                if slot.round.load(Ordering::SeqCst) >= round {
                                    return Poll::Ready(());
                                }
                                Poll::Pending
                            })
                            .await;
                        }
                        helper.join().unwrap();
                        ROUNDS
                    })
                });
                let tasks: Vec<_> = tasks.collect();
                crate::join_all(tasks)
                    .await
                    .into_iter()
                    .map(Result::unwrap)
                    .sum::<u64>()
            })
        });
        assert_eq!(woken, HELPERS * ROUNDS);
    }

    #[test]
    fn many_cross_thread_wakes_while_the_loop_sleeps() {
        many_cross_thread_wakes(false);
    }

    #[test]
    fn many_cross_thread_wakes_while_the_loop_sleeps_in_poller_wait() {
        many_cross_thread_wakes(true);
    }

    /// A notification and a socket event are ready together and the buffer holds one event:
    /// `epoll_wait` reports the notification, the `Poller::wait` that re-arms the notifier
    /// finds the (edge-triggered, so never repeated) socket event, and it must reach its task.
    #[test]
    fn an_event_found_while_rearming_the_notifier_wakes_its_task() {
        use std::time::Duration;

        for polling in [false, true] {
            super::FORCE_POLLING.with(|f| f.set(polling));
            super::EVENTS_CAPACITY_OVERRIDE.with(|c| c.set(1));
            let got = crate::run(async {
                let (a, b) = UnixStream::pair().unwrap();
                a.set_nonblocking(true).unwrap();
                b.set_nonblocking(true).unwrap();
                let b = IoSource::new(b).unwrap();
                let reader = crate::spawn(async move {
                    let mut buf = [0u8; 4];
                    let n = io_with(&b, false, |s| (&*s).read(&mut buf)).await.unwrap();
                    buf[..n].to_vec()
                });
                // The reader now waits, and the loop has taken the socket's first event (it is
                // writable from the start), so the notification is the first event in line.
                crate::sleep(Duration::from_millis(2)).await;
                let reactor = super::Reactor::current().unwrap();
                reactor.shared.poller.notify().unwrap();
                (&a).write_all(b"pong").unwrap();
                crate::timeout(Duration::from_secs(10), reader).await
            });
            super::EVENTS_CAPACITY_OVERRIDE.with(|c| c.set(0));
            super::FORCE_POLLING.with(|f| f.set(false));
            assert_eq!(got.expect("the socket event was lost").unwrap(), b"pong");
        }
    }
}
