//! `AsyncFd`: readiness of a descriptor the user owns, asyncio's `add_reader`/`add_writer`.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::reactor::IoSource;
use crate::reactor::sys::RawFdSource;

/// A non-blocking file descriptor of yours, watched by the loop: await
/// [`readable`](AsyncFd::readable) or [`writable`](AsyncFd::writable), then do the I/O
/// yourself. asyncio's `loop.add_reader(fd, cb)` / `add_writer`, as futures instead of
/// callbacks (tokio's `AsyncFd`).
///
/// `T` is anything that owns a descriptor and implements `AsRawFd` (a std socket, a pipe, an
/// `eventfd`, a device, a wrapper of a C library's handle) and must keep that descriptor open
/// for as long as it lives. Put it in non-blocking mode first: a read on a blocking descriptor
/// that turns out not to be ready blocks the whole loop. The loop watches it edge-triggered:
/// after a read or write that returns `WouldBlock`, tell the guard (its
/// [`try_io`](ReadyGuard::try_io) does it for you), and the next `readable()` waits for new
/// readiness.
///
/// An `AsyncFd` is a cheap handle (an `Rc`): clones share the registration, and
/// `readable()`/`writable()` return `'static` futures, so a `#[corio::coroutine]` can await
/// them. The descriptor leaves the poller when the last clone (and guard) is dropped, and `T`
/// is dropped then.
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use corio::io::AsyncFd;
///
/// corio::run(async {
///     let (mut a, b) = UnixStream::pair()?;
///     b.set_nonblocking(true)?;
///     let fd = AsyncFd::new(b)?;
///     a.write_all(b"ready")?;
///     let mut guard = fd.readable().await?;
///     let mut buf = [0u8; 16];
///     let n = guard.try_io(|mut s| s.read(&mut buf)).expect("reported readable")?;
///     assert_eq!(&buf[..n], b"ready");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct AsyncFd<T: AsRawFd> {
    io: Rc<IoSource<RawFdSource<T>>>,
}

impl<T: AsRawFd> Clone for AsyncFd<T> {
    fn clone(&self) -> Self {
        Self {
            io: self.io.clone(),
        }
    }
}

impl<T: AsRawFd> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("fd", &self.io.get_ref().0.as_raw_fd())
            .finish()
    }
}

impl<T: AsRawFd + 'static> AsyncFd<T> {
    /// Registers `inner`'s descriptor with the running loop.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = corio::io::AsyncFd::new(a)?;
    ///     fd.writable().await?; // an empty socket buffer: writable at once
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the descriptor, with
    /// the descriptor's number in the message: a regular file (`EPERM`: files are always
    /// ready and epoll cannot watch them), a descriptor already registered with this loop
    /// (`EEXIST`), or a closed one (`EBADF`).
    pub fn new(inner: T) -> io::Result<Self> {
        let fd = inner.as_raw_fd();
        let io = IoSource::new(RawFdSource(inner))
            .map_err(|e| io::Error::new(e.kind(), format!("cannot watch fd {fd}: {e}")))?;
        Ok(Self { io: Rc::new(io) })
    }

    /// The wrapped object.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    ///
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let raw = a.as_raw_fd();
    ///     let fd = corio::io::AsyncFd::new(a)?;
    ///     assert_eq!(fd.get_ref().as_raw_fd(), raw);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// Waits until the descriptor is readable (asyncio's `add_reader` callback would run now),
    /// and gives a guard through which to read.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// corio::run(async {
    ///     let (mut a, b) = std::os::unix::net::UnixStream::pair()?;
    ///     b.set_nonblocking(true)?;
    ///     let fd = corio::io::AsyncFd::new(b)?;
    ///     a.write_all(b"x")?;
    ///     let mut guard = fd.readable().await?;
    ///     let mut byte = [0u8];
    ///     assert_eq!(guard.try_io(|mut s| s.read(&mut byte)).unwrap()?, 1);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the poller fails to watch the descriptor.
    pub fn readable(&self) -> Readiness<T> {
        Readiness {
            io: Some(self.io.clone()),
            write: false,
        }
    }

    /// Waits until the descriptor is writable (asyncio's `add_writer`), and gives a guard
    /// through which to write.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Write;
    ///
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = corio::io::AsyncFd::new(a)?;
    ///     let mut guard = fd.writable().await?;
    ///     assert_eq!(guard.try_io(|mut s| s.write(b"hi")).unwrap()?, 2);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the poller fails to watch the descriptor.
    pub fn writable(&self) -> Readiness<T> {
        Readiness {
            io: Some(self.io.clone()),
            write: true,
        }
    }
}

/// The future of [`AsyncFd::readable`] and [`AsyncFd::writable`]: a [`ReadyGuard`].
///
/// It is `'static` and `Unpin`, so a `#[corio::coroutine]` can keep it across a suspension.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     let fd = corio::io::AsyncFd::new(a)?;
///     let waiting: corio::io::Readiness<_> = fd.writable();
///     drop(fd); // the future keeps the registration alive
///     waiting.await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Readiness<T: AsRawFd> {
    io: Option<Rc<IoSource<RawFdSource<T>>>>,
    write: bool,
}

impl<T: AsRawFd> fmt::Debug for Readiness<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field("write", &self.write)
            .finish_non_exhaustive()
    }
}

impl<T: AsRawFd> Future for Readiness<T> {
    type Output = io::Result<ReadyGuard<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let io = self
            .io
            .as_ref()
            .expect("Readiness polled after it completed");
        let ready = if self.write {
            io.poll_writable(cx)
        } else {
            io.poll_readable(cx)
        };
        match ready {
            Poll::Ready(Ok(())) => {
                let io = self.io.take().expect("checked above");
                Poll::Ready(Ok(ReadyGuard {
                    io,
                    write: self.write,
                }))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Proof that an [`AsyncFd`] was reported ready in one direction; do the I/O through it.
///
/// When the I/O returns `WouldBlock`, the readiness was used up: [`try_io`](Self::try_io)
/// notices and forgets it, or call [`clear_ready`](Self::clear_ready) yourself, so that the
/// next `readable()`/`writable()` waits for the loop to report new readiness. A guard holds no
/// borrow of the `AsyncFd` (it is `'static`).
///
/// # Examples
///
/// ```
/// use std::io::Read;
///
/// corio::run(async {
///     let (a, b) = std::os::unix::net::UnixStream::pair()?;
///     b.set_nonblocking(true)?;
///     let fd = corio::io::AsyncFd::new(b)?;
///     drop(a); // end of stream: readable, and a read returns 0
///     let mut guard = fd.readable().await?;
///     assert_eq!(guard.try_io(|mut s| s.read(&mut [0u8; 4])).unwrap()?, 0);
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct ReadyGuard<T: AsRawFd> {
    io: Rc<IoSource<RawFdSource<T>>>,
    write: bool,
}

impl<T: AsRawFd> fmt::Debug for ReadyGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyGuard")
            .field("fd", &self.io.get_ref().0.as_raw_fd())
            .field("write", &self.write)
            .finish()
    }
}

impl<T: AsRawFd> ReadyGuard<T> {
    /// Runs `f` on the wrapped object. `Err(WouldBlock)` from `f` means the readiness was
    /// stale: it is forgotten and `try_io` returns `Err(WouldBlock)` (wait again); any other
    /// result comes back as `Ok(result)`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// corio::run(async {
    ///     let (a, b) = std::os::unix::net::UnixStream::pair()?;
    ///     b.set_nonblocking(true)?;
    ///     let fd = corio::io::AsyncFd::new(b)?;
    ///     let mut guard = fd.writable().await?; // writable, but nothing to read
    ///     let res = guard.try_io(|mut s| s.read(&mut [0u8; 4]));
    ///     assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    ///     drop(a);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `WouldBlock` when `f` would have blocked.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<io::Result<R>> {
        match f(&self.io.get_ref().0) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(e)
            }
            res => Ok(res),
        }
    }

    /// Forgets the readiness: the next `readable()` (or `writable()`) waits for the loop to
    /// report the descriptor ready again. Call it when your own I/O returned `WouldBlock`.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = corio::io::AsyncFd::new(a)?;
    ///     fd.writable().await?.clear_ready();
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn clear_ready(&mut self) {
        if self.write {
            self.io.clear_writable();
        } else {
            self.io.clear_readable();
        }
    }

    /// The wrapped object.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::fd::AsRawFd;
    ///
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     a.set_nonblocking(true)?;
    ///     let fd = corio::io::AsyncFd::new(a)?;
    ///     let guard = fd.writable().await?;
    ///     assert_eq!(guard.get_ref().as_raw_fd(), fd.get_ref().as_raw_fd());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }
}
