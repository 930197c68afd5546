//! `UnixStream`: a connected Unix-domain stream socket on the loop.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::net::Connect;
use crate::net::buf::{IoBuf, IoBufMut};
use crate::net::stream::{
    self, ReadExactFuture, ReadFuture, ReadableFuture, WritableFuture, WriteAllFuture, WriteFuture,
};
use crate::reactor::IoSource;

/// A Unix-domain stream connection, registered with the running loop.
///
/// It has the reading and writing API of [`TcpStream`](crate::net::TcpStream): owned buffers,
/// the readiness calls, `futures_io` traits, and cheap clones. Writes never raise `SIGPIPE`:
/// a write to a closed peer is a `BrokenPipe` error.
///
/// # Examples
///
/// ```
/// use corio::net::UnixStream;
///
/// corio::run(async {
///     let (a, b) = UnixStream::pair()?;
///     a.write_all(b"ping").await.0?;
///     let (res, buf) = b.read_exact(vec![0; 4]).await;
///     res?;
///     assert_eq!(buf, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct UnixStream {
    io: Rc<IoSource<std::os::unix::net::UnixStream>>,
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixStream")
            .field(self.io.get_ref())
            .finish()
    }
}

impl UnixStream {
    /// Connects to the socket bound at `path`.
    ///
    /// The connect runs on the blocking pool ([`spawn_blocking`](crate::spawn_blocking)),
    /// since a Unix connect blocks while the listener's backlog is full.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("corio-doc-connect-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// # let _ = std::fs::remove_file(&path);
    /// corio::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     client.write_all(b"hi").await.0?;
    ///     let (n, buf) = server.read(vec![0; 8]).await;
    ///     assert_eq!(&buf[..n?], b"hi");
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    ///
    /// `NotFound` or `ConnectionRefused` when nothing listens at `path`, or when no corio loop
    /// runs on this thread.
    pub fn connect(path: impl AsRef<Path>) -> Connect<UnixStream> {
        let path: PathBuf = path.as_ref().to_owned();
        Connect::new(async move {
            let stream =
                crate::spawn_blocking(move || std::os::unix::net::UnixStream::connect(path))
                    .await?;
            Self::from_std(stream)
        })
    }

    /// A connected pair of sockets, both registered with the running loop.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     a.write_all(b"x").await.0?;
    ///     assert_eq!(b.read(vec![0; 1]).await.0?, 1);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the system cannot create sockets, or no corio loop runs on this thread.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((Self::from_std(a)?, Self::from_std(b)?))
    }

    /// Registers a connected std stream with the running loop (it is made non-blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    ///     corio::net::UnixStream::from_std(a)?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the socket.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
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
    /// corio::run(async {
    /// #   let (client, stream) = corio::net::UnixStream::pair()?;
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
    /// corio::run(async {
    /// #   let (client, stream) = corio::net::UnixStream::pair()?;
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
    /// corio::run(async {
    /// #   let (client, _peer) = corio::net::UnixStream::pair()?;
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
    /// corio::run(async {
    /// #   let (client, _peer) = corio::net::UnixStream::pair()?;
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
    /// Follow it with [`try_read`](UnixStream::try_read): that is how a server reads without
    /// keeping a buffer per idle connection.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    /// #   let (client, stream) = corio::net::UnixStream::pair()?;
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
    /// corio::run(async {
    ///     let (client, _peer) = corio::net::UnixStream::pair()?;
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
    /// corio::run(async {
    /// #   let (client, _peer) = corio::net::UnixStream::pair()?;
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
    /// corio::run(async {
    /// #   let (client, _peer) = corio::net::UnixStream::pair()?;
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
    /// use std::net::Shutdown;
    ///
    /// corio::run(async {
    /// #   let (client, stream) = corio::net::UnixStream::pair()?;
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

    /// The local address of the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair()?;
    ///     assert!(a.local_addr()?.is_unnamed());
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
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.as_pathname().is_none());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }
}

impl futures_io::AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        stream::poll_read_slice(&self.io, cx, buf)
    }
}

impl futures_io::AsyncWrite for UnixStream {
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
