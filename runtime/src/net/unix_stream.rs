//! `UnixStream`: a connected Unix-domain stream socket on the loop.

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::net::Connect;
use crate::net::stream::stream_api;
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

stream_api!(
    UnixStream,
    imports = "# use corio::net::UnixStream;",
    setup = "#   let (client, stream) = UnixStream::pair()?;",
);

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
