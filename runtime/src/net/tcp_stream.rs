//! `TcpStream`: a connected TCP socket on the loop.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::net::Connect;
use crate::net::buf::{IoBuf, IoBufMut};
use crate::net::stream::{
    self, ReadExactFuture, ReadFuture, ReadableFuture, WritableFuture, WriteAllFuture, WriteFuture,
};
use crate::reactor::IoSource;

/// A TCP connection, registered with the running loop.
///
/// Reads and writes take owned buffers and give them back with the result, so that they can
/// be awaited from `#[corio::coroutine]` bodies: `let (res, buf) = stream.read(buf).await;`.
/// Beside them, the readiness API ([`readable`](TcpStream::readable) then
/// [`try_read`](TcpStream::try_read)) lets a server read into a buffer it lends for an instant,
/// so that an idle connection holds no buffer at all.
///
/// A `TcpStream` is a cheap handle (an `Rc`): clones share the socket, which closes when the
/// last clone is dropped. A clone can read while another writes. Every future it returns is
/// `'static` and does not borrow the stream.
///
/// # Examples
///
/// ```
/// use corio::net::{TcpListener, TcpStream};
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?;
///     corio::spawn(async move {
///         let (stream, _) = listener.accept().await?;
///         let (res, buf) = stream.read(Vec::with_capacity(64)).await;
///         res?;
///         stream.write_all(buf).await.0
///     });
///     let client = TcpStream::connect(addr).await?;
///     client.write_all(b"ping").await.0?;
///     let (res, buf) = client.read_exact(vec![0; 4]).await;
///     res?;
///     assert_eq!(buf, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct TcpStream {
    io: Rc<IoSource<std::net::TcpStream>>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpStream").field(self.io.get_ref()).finish()
    }
}

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn.
    ///
    /// The address is resolved when `connect` is called (a host name means a blocking DNS
    /// lookup then; pass a `SocketAddr` to avoid it); the connection itself does not block the
    /// loop. See [`connect_timeout`](TcpStream::connect_timeout) to bound the wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The error of the last address tried (for example `ConnectionRefused`), an error when the
    /// address does not resolve, or when no corio loop runs on this thread.
    pub fn connect(addr: impl ToSocketAddrs) -> Connect<TcpStream> {
        let addrs = addr.to_socket_addrs().map(Iterator::collect::<Vec<_>>);
        Connect::new(async move {
            let mut last = None;
            for addr in addrs? {
                match connect_one(&addr).await {
                    Ok(stream) => return Ok(stream),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the address resolved to nothing",
                )
            }))
        })
    }

    /// Like [`connect`](TcpStream::connect), but gives up after `timeout` with a `TimedOut`
    /// error; built on [`corio::timeout`](crate::timeout).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = listener.local_addr()?;
    ///     TcpStream::connect_timeout(addr, Duration::from_secs(5)).await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`connect`](TcpStream::connect), plus `io::ErrorKind::TimedOut`.
    pub fn connect_timeout(addr: impl ToSocketAddrs, timeout: Duration) -> Connect<TcpStream> {
        let connect = Self::connect(addr);
        Connect::new(async move {
            crate::timeout(timeout, connect).await.unwrap_or_else(|_| {
                Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))
            })
        })
    }

    /// Registers a connected std stream with the running loop (it is made non-blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let stream = corio::net::TcpStream::from_std(std_stream)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the socket.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Self::from_nonblocking(stream)
    }

    pub(crate) fn from_nonblocking(stream: std::net::TcpStream) -> io::Result<Self> {
        Ok(Self {
            io: Rc::new(IoSource::new(stream)?),
        })
    }

    /// Reads once into `buf`, from its start up to its capacity, and gives it back with the
    /// number of bytes read; `Ok(0)` means the peer closed its side (or `buf` has no room).
    ///
    /// A `Vec` comes back with its length extended to cover the bytes read (a
    /// `Vec::with_capacity(n)` has length `n` read bytes); see [`IoBufMut`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (stream, _) = listener.accept().await?;
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
    pub fn read<B: IoBufMut>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + use<B> {
        ReadFuture {
            io: self.io.clone(),
            buf: Some(buf),
        }
    }

    /// Reads until `buf` is full (to its capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (stream, _) = listener.accept().await?;
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
    pub fn read_exact<B: IoBufMut>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<()>, B)> + Unpin + use<B> {
        ReadExactFuture {
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
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
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
    pub fn write<B: IoBuf>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + use<B> {
        WriteFuture {
            io: self.io.clone(),
            buf: Some(buf),
        }
    }

    /// Writes every byte of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
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
    pub fn write_all<B: IoBuf>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<()>, B)> + Unpin + use<B> {
        WriteAllFuture {
            io: self.io.clone(),
            buf: Some(buf),
            written: 0,
        }
    }

    /// Waits until a read can make progress (data, end of stream, or an error).
    ///
    /// Follow it with [`try_read`](TcpStream::try_read): that is how a server reads without
    /// keeping a buffer per idle connection.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (stream, _) = listener.accept().await?;
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
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + Unpin + use<> {
        ReadableFuture {
            io: self.io.clone(),
        }
    }

    /// Waits until a write can make progress.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
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
    pub fn writable(&self) -> impl Future<Output = io::Result<()>> + Unpin + use<> {
        WritableFuture {
            io: self.io.clone(),
        }
    }

    /// Reads into `buf` now, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
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
    /// `WouldBlock` when the socket has not been reported readable since the last time it ran
    /// dry (no system call is made then); otherwise the socket's error.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        stream::try_read(&self.io, buf)
    }

    /// Writes from `buf` now, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.writable().await?;
    ///     client.try_write(b"ok")?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the socket is not known to be writable (no system call is made then);
    /// otherwise the socket's error.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        stream::try_write(&self.io, buf)
    }

    /// Shuts down the read half, the write half (the peer reads end of stream), or both.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// use std::net::Shutdown;
    ///
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    /// #   let client = TcpStream::connect(listener.local_addr()?).await?;
    /// #   let (stream, _) = listener.accept().await?;
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
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// The local address of the connection.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(client.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(client.peer_addr()?, listener.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `NotConnected` when the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm): small writes leave at once.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     client.set_nodelay(true)?;
    ///     assert!(client.nodelay()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::net::{TcpListener, TcpStream};
    /// corio::run(async {
    /// #   let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert!(!client.nodelay()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }
}

/// Starts a non-blocking connect, waits for it, and reads its outcome.
async fn connect_one(addr: &SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::from_nonblocking(crate::reactor::sys::connect_tcp(addr)?)?;
    stream.writable().await?;
    if let Some(e) = stream.io.get_ref().take_error()? {
        return Err(e);
    }
    // A spurious wake-up before the handshake ends leaves the socket unconnected.
    stream.peer_addr()?;
    Ok(stream)
}

impl futures_io::AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_read_slice(&self.io, cx, buf)
    }
}

impl futures_io::AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_write_slice(&self.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown(Shutdown::Write))
    }
}
