//! `UnixListener`: a listening Unix-domain stream socket on the loop.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::rc::Rc;

use crate::net::UnixStream;
use crate::net::listener::{AcceptFuture, Acceptor, ListenerInner};
use crate::reactor::IoSource;

/// A Unix-domain socket listening for connections, registered with the running loop.
///
/// Its [`accept`](UnixListener::accept) has the same back-off on descriptor exhaustion as
/// [`TcpListener::accept`](crate::net::TcpListener::accept). Binding does not remove an old
/// socket file at the path, and dropping the listener does not remove the new one.
///
/// # Examples
///
/// ```
/// use corio::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("corio-doc-ul-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("echo.sock");
/// # let _ = std::fs::remove_file(&path);
/// corio::run(async {
///     let listener = UnixListener::bind(&path)?;
///     let client = UnixStream::connect(&path).await?;
///     let (server, _addr) = listener.accept().await?;
///     server.write_all(b"welcome").await.0?;
///     let (res, buf) = client.read_exact(vec![0; 7]).await;
///     res?;
///     assert_eq!(buf, b"welcome");
///     std::io::Result::Ok(())
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # std::io::Result::Ok(())
/// ```
#[derive(Clone)]
pub struct UnixListener {
    inner: Rc<ListenerInner<std::os::unix::net::UnixListener>>,
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UnixListener").field(&self.inner).finish()
    }
}

impl Acceptor for std::os::unix::net::UnixListener {
    type Conn = std::os::unix::net::UnixStream;
    type Addr = SocketAddr;
    type Stream = UnixStream;

    fn accept_raw(&self) -> io::Result<(std::os::unix::net::UnixStream, SocketAddr)> {
        self.accept()
    }

    fn wrap(conn: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        UnixStream::from_std(conn)
    }
}

impl UnixListener {
    /// Binds a listener to the socket file `path` on the running loop.
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-doc-bind-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// corio::run(async {
    ///     let listener = corio::net::UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    ///
    /// When binding fails (for example `AddrInUse` if the file exists), or when no corio loop
    /// runs on this thread.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        Self::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Registers a bound std listener with the running loop (it is made non-blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-doc-fs-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// corio::run(async {
    ///     let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    ///     corio::net::UnixListener::from_std(std_listener)?;
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the socket.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self {
            inner: Rc::new(ListenerInner::new(IoSource::new(listener)?)),
        })
    }

    /// Waits for the next connection and returns it with the peer's address (usually
    /// unnamed).
    ///
    /// # Examples
    ///
    /// See [`UnixListener`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-doc-acc-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// corio::run(async {
    ///     let listener = corio::net::UnixListener::bind(&path)?;
    ///     let _client = corio::net::UnixStream::connect(&path).await?;
    ///     let (_stream, addr) = listener.accept().await?;
    ///     assert!(addr.is_unnamed());
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    ///
    /// Errors of `accept` other than descriptor exhaustion, and errors registering the socket.
    pub fn accept(
        &self,
    ) -> impl Future<Output = io::Result<(UnixStream, SocketAddr)>> + Unpin + use<> {
        AcceptFuture::new(self.inner.clone())
    }

    /// The address the listener is bound to.
    ///
    /// # Examples
    ///
    /// See [`bind`](UnixListener::bind).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("corio-doc-la-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// corio::run(async {
    ///     let listener = corio::net::UnixListener::bind(&path)?;
    ///     assert!(listener.local_addr()?.as_pathname().is_some());
    ///     std::io::Result::Ok(())
    /// })?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(())
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.get_ref().local_addr()
    }
}
