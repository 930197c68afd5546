//! What TCP and Unix streams share: readiness bookkeeping around non-blocking calls, and the
//! owned-buffer futures.
//!
//! Every operation first looks at the readiness flags the reactor keeps, and makes a system
//! call only when the socket was reported ready: a waiting task costs no `EAGAIN` round trip.
//! A read (write) that moves fewer bytes than asked for shows that the socket's buffer is
//! drained (full), so it forgets the readiness at once, as tokio does: with edge-triggered
//! registrations the next change of state is reported anyway, and an echo round trip costs
//! exactly one `read` and one `write`.

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
}

impl StreamIo for std::net::TcpStream {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        // std sends with MSG_NOSIGNAL on Linux: a reset peer gives EPIPE, never SIGPIPE.
        io::Write::write(&mut &*self, buf)
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
                    io.clear_readable();
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
