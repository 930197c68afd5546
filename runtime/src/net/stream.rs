//! What TCP and Unix streams share: readiness bookkeeping around non-blocking calls, and the
//! owned-buffer futures.
//!
//! Every operation first looks at the readiness flags the reactor keeps, and makes a system
//! call only when the socket was reported ready: a waiting task costs no `EAGAIN` round trip.
//! A read (write) that moves fewer bytes than asked for shows that the socket's buffer is
//! drained (full), so it forgets the readiness at once, as tokio does: with edge-triggered
//! registrations the next change of state is reported anyway, and an echo round trip costs
//! exactly one `read` and one `write`. A read does so only where the reactor sees the peer's
//! end of stream as its own flag (`EPOLLRDHUP`, which stays set): data and the end of stream
//! often arrive in one edge, and forgetting it after reading the data would hang the next
//! read (issue 16).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use polling::AsSource;

use crate::net::buf::{IoBuf, IoBufMut, read_into};
use crate::reactor::IoSource;

/// A connected stream socket that corio can drive.
pub(crate) trait StreamIo: AsSource + 'static {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn write(&self, buf: &[u8]) -> io::Result<usize>;
    /// The buffers in order, as one system call where the descriptor has one (`sendmsg` on
    /// sockets): a TLS stream flushes several records at once, which one `send` per buffer
    /// would split into several segments. By default the first non-empty buffer, as std's.
    fn write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        self.write(first)
    }
}

impl StreamIo for std::net::TcpStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        // std sends with MSG_NOSIGNAL on Linux: a reset peer gives EPIPE, never SIGPIPE.
        io::Write::write(&mut &*self, buf)
    }

    fn write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            crate::reactor::sys::send_vectored(self.as_fd(), bufs)
        }
        #[cfg(not(unix))]
        io::Write::write_vectored(&mut &*self, bufs)
    }
}

#[cfg(unix)]
impl StreamIo for std::os::unix::net::UnixStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        use std::os::fd::AsFd;
        crate::reactor::sys::send(self.as_fd(), buf)
    }

    fn write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        use std::os::fd::AsFd;
        crate::reactor::sys::send_vectored(self.as_fd(), bufs)
    }
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

fn would_block_error() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

/// One non-blocking read when the source is known to be readable; `WouldBlock` otherwise.
pub(crate) fn try_read<S: StreamIo>(io: &IoSource<S>, buf: &mut [u8]) -> io::Result<usize> {
    if !io.is_readable() {
        return Err(would_block_error());
    }
    loop {
        match io.get_ref().read(buf) {
            Ok(n) => {
                if n > 0 && n < buf.len() {
                    io.read_was_short();
                }
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if would_block(&e) {
                    io.clear_readable();
                }
                return Err(e);
            }
        }
    }
}

/// One non-blocking write when the source is known to be writable; `WouldBlock` otherwise.
pub(crate) fn try_write<S: StreamIo>(io: &IoSource<S>, buf: &[u8]) -> io::Result<usize> {
    if !io.is_writable() {
        return Err(would_block_error());
    }
    loop {
        match io.get_ref().write(buf) {
            Ok(n) => {
                if n < buf.len() {
                    io.clear_writable();
                }
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if would_block(&e) {
                    io.clear_writable();
                }
                return Err(e);
            }
        }
    }
}

/// [`try_write`] of several buffers, in order, with one system call.
pub(crate) fn try_write_vectored<S: StreamIo>(
    io: &IoSource<S>,
    bufs: &[io::IoSlice<'_>],
) -> io::Result<usize> {
    if !io.is_writable() {
        return Err(would_block_error());
    }
    let total: usize = bufs.iter().map(|b| b.len()).sum();
    loop {
        match io.get_ref().write_vectored(bufs) {
            Ok(n) => {
                if n < total {
                    io.clear_writable();
                }
                return Ok(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if would_block(&e) {
                    io.clear_writable();
                }
                return Err(e);
            }
        }
    }
}

/// Waits for readability, then reads; loops over spurious readiness.
pub(crate) fn poll_read<S: StreamIo>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    mut op: impl FnMut(&IoSource<S>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    loop {
        ready!(io.poll_readable(cx))?;
        match op(io) {
            Err(e) if would_block(&e) => {}
            res => return Poll::Ready(res),
        }
    }
}

/// Waits for writability, then writes; loops over spurious readiness.
pub(crate) fn poll_write<S: StreamIo>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    mut op: impl FnMut(&IoSource<S>) -> io::Result<usize>,
) -> Poll<io::Result<usize>> {
    loop {
        ready!(io.poll_writable(cx))?;
        match op(io) {
            Err(e) if would_block(&e) => {}
            res => return Poll::Ready(res),
        }
    }
}

const POLLED_AFTER_DONE: &str = "an I/O future was polled after it completed";

/// `read(buf)`: one read of up to the buffer's capacity.
pub(crate) struct ReadFuture<S: AsSource, B> {
    pub(crate) io: Rc<IoSource<S>>,
    pub(crate) buf: Option<B>,
}

impl<S: StreamIo, B: IoBufMut> Future for ReadFuture<S, B> {
    type Output = (io::Result<usize>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let buf = this.buf.as_mut().expect(POLLED_AFTER_DONE);
        let res = ready!(poll_read(&this.io, cx, |io| read_into(buf, |b| try_read(
            io, b
        ))));
        Poll::Ready((res, this.buf.take().expect(POLLED_AFTER_DONE)))
    }
}

/// `read_exact(buf)`: reads until the buffer is full.
pub(crate) struct ReadExactFuture<S: AsSource, B> {
    pub(crate) io: Rc<IoSource<S>>,
    pub(crate) buf: Option<B>,
    pub(crate) filled: usize,
}

impl<S: StreamIo, B: IoBufMut> Future for ReadExactFuture<S, B> {
    type Output = (io::Result<()>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let buf = this.buf.as_mut().expect(POLLED_AFTER_DONE);
        let total = buf.bytes_total();
        while this.filled < total {
            let filled = this.filled;
            let res = poll_read(&this.io, cx, |io| {
                read_into(buf, |b| {
                    let n = try_read(io, &mut b[filled..])?;
                    Ok(filled + n)
                })
                .map(|end| end - filled)
            });
            match ready!(res) {
                Ok(0) => {
                    let err = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the stream before the buffer was full",
                    );
                    return Poll::Ready((Err(err), this.buf.take().expect(POLLED_AFTER_DONE)));
                }
                Ok(n) => this.filled += n,
                Err(e) => return Poll::Ready((Err(e), this.buf.take().expect(POLLED_AFTER_DONE))),
            }
        }
        Poll::Ready((Ok(()), this.buf.take().expect(POLLED_AFTER_DONE)))
    }
}

/// `write(buf)`: one write of the buffer's bytes.
pub(crate) struct WriteFuture<S: AsSource, B> {
    pub(crate) io: Rc<IoSource<S>>,
    pub(crate) buf: Option<B>,
}

impl<S: StreamIo, B: IoBuf> Future for WriteFuture<S, B> {
    type Output = (io::Result<usize>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let bytes = this.buf.as_ref().expect(POLLED_AFTER_DONE).as_bytes();
        let res = ready!(poll_write(&this.io, cx, |io| try_write(io, bytes)));
        Poll::Ready((res, this.buf.take().expect(POLLED_AFTER_DONE)))
    }
}

/// `write_all(buf)`: writes until every byte is sent.
pub(crate) struct WriteAllFuture<S: AsSource, B> {
    pub(crate) io: Rc<IoSource<S>>,
    pub(crate) buf: Option<B>,
    pub(crate) written: usize,
}

impl<S: StreamIo, B: IoBuf> Future for WriteAllFuture<S, B> {
    type Output = (io::Result<()>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let bytes = this.buf.as_ref().expect(POLLED_AFTER_DONE).as_bytes();
        while this.written < bytes.len() {
            let rest = &bytes[this.written..];
            match ready!(poll_write(&this.io, cx, |io| try_write(io, rest))) {
                Ok(0) => {
                    let err = io::Error::new(io::ErrorKind::WriteZero, "the socket took no bytes");
                    return Poll::Ready((Err(err), this.buf.take().expect(POLLED_AFTER_DONE)));
                }
                Ok(n) => this.written += n,
                Err(e) => return Poll::Ready((Err(e), this.buf.take().expect(POLLED_AFTER_DONE))),
            }
        }
        Poll::Ready((Ok(()), this.buf.take().expect(POLLED_AFTER_DONE)))
    }
}

/// `readable()`: waits until a read may make progress.
pub(crate) struct ReadableFuture<S: AsSource> {
    pub(crate) io: Rc<IoSource<S>>,
}

impl<S: AsSource> Future for ReadableFuture<S> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.io.poll_readable(cx)
    }
}

/// `writable()`: waits until a write may make progress.
pub(crate) struct WritableFuture<S: AsSource> {
    pub(crate) io: Rc<IoSource<S>>,
}

impl<S: AsSource> Future for WritableFuture<S> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.io.poll_writable(cx)
    }
}

/// `futures_io::AsyncRead::poll_read` for a stream.
pub(crate) fn poll_read_slice<S: StreamIo>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    poll_read(io, cx, |io| try_read(io, buf))
}

/// `futures_io::AsyncWrite::poll_write` for a stream.
pub(crate) fn poll_write_slice<S: StreamIo>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    poll_write(io, cx, |io| try_write(io, buf))
}

/// `futures_io::AsyncWrite::poll_write_vectored` for a stream.
pub(crate) fn poll_write_vectored_slices<S: StreamIo>(
    io: &IoSource<S>,
    cx: &mut Context<'_>,
    bufs: &[io::IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    poll_write(io, cx, |io| try_write_vectored(io, bufs))
}

/// The public API that [`TcpStream`](crate::net::TcpStream) and
/// [`UnixStream`](crate::net::UnixStream) share, written once: the owned-buffer reads and
/// writes, the readiness calls, `shutdown`, `Debug` and the `futures_io` traits, each method
/// with its documentation and a doc test. The type must be a struct with a field
/// `io: Rc<IoSource<S>>` for some `S: StreamIo`.
///
/// A macro rather than a generic type, as std does for its integer types, so that each
/// stream keeps its own rustdoc page with examples written for it: `imports` are hidden
/// doc-test lines before `corio::run`, and `setup` hidden lines inside it that bind `client`
/// and `stream`, the two ends of one connection.
macro_rules! stream_api {
    ($ty:ident, imports = $imports:literal, setup = $setup:literal $(,)?) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($ty))
                    .field(self.io.get_ref())
                    .finish()
            }
        }

        impl $ty {
            /// Reads once into `buf`, from its start up to its capacity, and gives it back with
            /// the number of bytes read; `Ok(0)` means the peer closed its side (or `buf` has
            /// no room).
            ///
            /// A `Vec` comes back with its length extended to cover the bytes read (a
            /// `Vec::with_capacity(n)` has length `n` read bytes); see
            /// [`IoBufMut`](crate::net::IoBufMut).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     client.write_all(b"hi").await.0?;
            ///     let (n, buf) = stream.read(Vec::with_capacity(1024)).await;
            ///     assert_eq!((n?, buf.as_slice()), (2, &b"hi"[..]));
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// The socket's error, for example `ConnectionReset`.
            pub fn read<B: crate::net::IoBufMut>(
                &self,
                buf: B,
            ) -> impl std::future::Future<Output = (std::io::Result<usize>, B)> + Unpin + use<B>
            {
                crate::net::stream::ReadFuture {
                    io: self.io.clone(),
                    buf: Some(buf),
                }
            }

            /// Reads until `buf` is full (to its capacity).
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     client.write_all(b"abc").await.0?;
            ///     client.write_all(b"def").await.0?;
            ///     let (res, buf) = stream.read_exact(vec![0; 6]).await;
            ///     res?;
            ///     assert_eq!(buf, b"abcdef");
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// `UnexpectedEof` when the peer closes first (the bytes read so far are in the
            /// buffer), or the socket's error.
            pub fn read_exact<B: crate::net::IoBufMut>(
                &self,
                buf: B,
            ) -> impl std::future::Future<Output = (std::io::Result<()>, B)> + Unpin + use<B> {
                crate::net::stream::ReadExactFuture {
                    io: self.io.clone(),
                    buf: Some(buf),
                    filled: 0,
                }
            }

            /// Writes once from `buf` and gives it back with the number of bytes written.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     let (n, _buf) = client.write(b"hello".to_vec()).await;
            ///     assert_eq!(n?, 5);
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// The socket's error: `BrokenPipe` or `ConnectionReset` when the peer is gone.
            pub fn write<B: crate::net::IoBuf>(
                &self,
                buf: B,
            ) -> impl std::future::Future<Output = (std::io::Result<usize>, B)> + Unpin + use<B>
            {
                crate::net::stream::WriteFuture {
                    io: self.io.clone(),
                    buf: Some(buf),
                }
            }

            /// Writes every byte of `buf`.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     let (res, buf) = client.write_all(vec![7u8; 10_000]).await;
            ///     res?;
            ///     assert_eq!(buf.len(), 10_000);
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// The socket's error; some bytes may have been sent.
            pub fn write_all<B: crate::net::IoBuf>(
                &self,
                buf: B,
            ) -> impl std::future::Future<Output = (std::io::Result<()>, B)> + Unpin + use<B> {
                crate::net::stream::WriteAllFuture {
                    io: self.io.clone(),
                    buf: Some(buf),
                    written: 0,
                }
            }

            /// Waits until a read can make progress (data, end of stream, or an error).
            ///
            /// Follow it with [`try_read`](Self::try_read): that is how a server reads without
            /// keeping a buffer per idle connection.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     client.write_all(b"x").await.0?;
            ///     let mut scratch = [0u8; 16];
            ///     let n = loop {
            ///         stream.readable().await?;
            ///         match stream.try_read(&mut scratch) {
            ///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            ///             res => break res?,
            ///         }
            ///     };
            ///     assert_eq!(&scratch[..n], b"x");
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// When the poller fails to watch the socket.
            pub fn readable(
                &self,
            ) -> impl std::future::Future<Output = std::io::Result<()>> + Unpin + use<> {
                crate::net::stream::ReadableFuture {
                    io: self.io.clone(),
                }
            }

            /// Waits until a write can make progress.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     client.writable().await?;
            ///     assert_eq!(client.try_write(b"now")?, 3);
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// When the poller fails to watch the socket.
            pub fn writable(
                &self,
            ) -> impl std::future::Future<Output = std::io::Result<()>> + Unpin + use<> {
                crate::net::stream::WritableFuture {
                    io: self.io.clone(),
                }
            }

            /// Reads into `buf` now, without waiting.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     // Nothing was reported readable yet.
            ///     let err = client.try_read(&mut [0; 8]).unwrap_err();
            ///     assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// `WouldBlock` when the socket has not been reported readable since the last time
            /// it ran dry (no system call is made then); otherwise the socket's error.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                crate::net::stream::try_read(&self.io, buf)
            }

            /// Writes from `buf` now, without waiting.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// corio::run(async {
            #[doc = $setup]
            ///     client.writable().await?;
            ///     client.try_write(b"ok")?;
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// `WouldBlock` when the socket is not known to be writable (no system call is made
            /// then); otherwise the socket's error.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                crate::net::stream::try_write(&self.io, buf)
            }

            /// Shuts down the read half, the write half (the peer reads end of stream), or
            /// both.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = $imports]
            /// use std::net::Shutdown;
            ///
            /// corio::run(async {
            #[doc = $setup]
            ///     client.shutdown(Shutdown::Write)?;
            ///     let (n, _) = stream.read(vec![0; 8]).await;
            ///     assert_eq!(n?, 0);
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// The socket's error, for example `NotConnected`.
            pub fn shutdown(&self, how: std::net::Shutdown) -> std::io::Result<()> {
                self.io.get_ref().shutdown(how)
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::stream::poll_read_slice(&self.io, cx, buf)
            }
        }

        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::stream::poll_write_slice(&self.io, cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                crate::net::stream::poll_write_vectored_slices(&self.io, cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }
    };
}

pub(crate) use stream_api;
