//! hyper's `rt::Read` and `rt::Write` over `futures_io` streams.
//!
//! hyper reads into its own buffer's spare capacity, which it hands over as uninitialised
//! memory; filling it in place would take `unsafe` (the cursor's `advance`). Instead a read
//! lands in a buffer the thread lends to whichever connection is reading (as the echo example
//! does) and is copied out with the cursor's safe `put_slice`: a `memcpy` of what arrived,
//! cheaper than zeroing hyper's whole spare capacity before each read, and no `unsafe` here.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// The most one read asks for; hyper calls again for more.
const SCRATCH_LEN: usize = 64 * 1024;

thread_local! {
    /// The buffer the thread lends to whichever connection is reading.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH_LEN].into_boxed_slice());
}

/// Adapts a [`futures_io`] stream to hyper's [`Read`](hyper::rt::Read) and
/// [`Write`](hyper::rt::Write).
///
/// `T` is any `AsyncRead + AsyncWrite + Unpin` stream: corio's
/// [`TcpStream`](corio::net::TcpStream) or `UnixStream`, or a TLS stream over one
/// (`futures_rustls::server::TlsStream<TcpStream>`). A stream that is not `Unpin` can be
/// wrapped as `Pin<Box<T>>`. Writes are not vectored: hyper then gathers a response's head and
/// body into one buffer and sends it with one write.
///
/// # Examples
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
/// use corio_hyper::CorioIo;
/// use hyper::rt::{Read, ReadBuf, Write};
/// use std::future::poll_fn;
/// use std::pin::Pin;
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     let mut client = CorioIo::new(client);
///     let mut server = CorioIo::new(server);
///
///     let n = poll_fn(|cx| Pin::new(&mut client).poll_write(cx, b"ping")).await?;
///     assert_eq!(n, 4);
///     let mut storage = [0u8; 16];
///     let mut buf = ReadBuf::new(&mut storage);
///     poll_fn(|cx| Pin::new(&mut server).poll_read(cx, buf.unfilled())).await?;
///     assert_eq!(buf.filled(), b"ping");
///     assert_eq!(server.inner().peer_addr()?, client.inner().local_addr()?);
///     Ok::<(), std::io::Error>(())
/// })
/// # .unwrap();
/// ```
#[derive(Debug)]
pub struct CorioIo<T> {
    inner: T,
}

impl<T> CorioIo<T> {
    /// Wraps a stream. (Anything can be wrapped; hyper's traits apply when it is a
    /// `futures_io` stream. The accessor examples below wrap a `Cursor` for brevity.)
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::TcpStream;
    /// use corio_hyper::CorioIo;
    ///
    /// async fn connect(addr: std::net::SocketAddr) -> std::io::Result<CorioIo<TcpStream>> {
    ///     Ok(CorioIo::new(TcpStream::connect(addr).await?))
    /// }
    /// # drop(connect);
    /// ```
    pub fn new(inner: T) -> Self {
        CorioIo { inner }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let io = corio_hyper::CorioIo::new(std::io::Cursor::new(vec![1u8]));
    /// assert_eq!(io.inner().get_ref(), &[1]);
    /// ```
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut io = corio_hyper::CorioIo::new(std::io::Cursor::new(vec![1u8]));
    /// io.inner_mut().get_mut().push(2);
    /// assert_eq!(io.inner().get_ref(), &[1, 2]);
    /// ```
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// let io = corio_hyper::CorioIo::new(std::io::Cursor::new(vec![1u8]));
    /// assert_eq!(io.into_inner().into_inner(), [1]);
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for CorioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let want = buf.remaining().min(SCRATCH_LEN);
        let inner = Pin::new(&mut self.inner);
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => read_via(inner, cx, &mut scratch[..want], &mut buf),
            // Only a stream whose own read polls another `CorioIo` gets here.
            Err(_) => read_via(inner, cx, &mut vec![0; want], &mut buf),
        })
    }
}

fn read_via<T: AsyncRead>(
    inner: Pin<&mut T>,
    cx: &mut Context<'_>,
    scratch: &mut [u8],
    buf: &mut ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    let n = ready!(inner.poll_read(cx, scratch))?;
    buf.put_slice(&scratch[..n]);
    Poll::Ready(Ok(()))
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for CorioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::pin::Pin;

    use corio::net::{TcpListener, TcpStream};
    use hyper::rt::{Read, ReadBuf, Write};

    use super::{CorioIo, SCRATCH_LEN};

    /// A read larger than the lent buffer arrives whole over several reads, in order, and the
    /// reader then sees the peer's close as a read of nothing.
    #[test]
    fn large_transfer_and_eof() {
        corio::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let sent: Vec<u8> = (0..3 * SCRATCH_LEN + 17).map(|i| (i % 251) as u8).collect();
            let writer = corio::spawn({
                let sent = sent.clone();
                async move {
                    let mut io = CorioIo::new(TcpStream::connect(addr).await.unwrap());
                    let mut at = 0;
                    while at < sent.len() {
                        at += poll_fn(|cx| Pin::new(&mut io).poll_write(cx, &sent[at..]))
                            .await
                            .unwrap();
                    }
                    poll_fn(|cx| Pin::new(&mut io).poll_flush(cx))
                        .await
                        .unwrap();
                    poll_fn(|cx| Pin::new(&mut io).poll_shutdown(cx))
                        .await
                        .unwrap();
                }
            });
            let (server, _) = listener.accept().await.unwrap();
            let mut io = CorioIo::new(server);
            let mut got = Vec::new();
            let mut storage = vec![0u8; 100_000];
            loop {
                let mut buf = ReadBuf::new(&mut storage);
                poll_fn(|cx| Pin::new(&mut io).poll_read(cx, buf.unfilled()))
                    .await
                    .unwrap();
                assert!(buf.filled().len() <= SCRATCH_LEN);
                if buf.filled().is_empty() {
                    break;
                }
                got.extend_from_slice(buf.filled());
            }
            writer.await.unwrap();
            assert_eq!(got.len(), sent.len());
            assert!(got == sent, "bytes arrive in order");
        });
    }
}
