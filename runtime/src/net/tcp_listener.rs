//! `TcpListener`: a listening TCP socket on the loop.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsFd;
use std::rc::Rc;

use crate::net::TcpStream;
use crate::net::listener::{AcceptFuture, Acceptor, ListenerInner};
use crate::reactor::IoSource;

/// The accept backlog asked for; Linux caps it at `net.core.somaxconn` (4096 by default).
const BACKLOG: i32 = 65_535;

/// A TCP socket listening for connections, registered with the running loop.
///
/// [`accept`](TcpListener::accept) survives running out of file descriptors: it waits with a
/// back-off and logs the condition once, instead of failing or spinning. The listener is a
/// cheap handle: clones share the socket.
///
/// # Examples
///
/// An echo server:
///
/// ```no_run
/// use corio::net::TcpListener;
///
/// async fn serve() -> std::io::Result<()> {
///     let listener = TcpListener::bind("127.0.0.1:7000")?;
///     loop {
///         let (stream, _peer) = listener.accept().await?;
///         drop(corio::spawn(async move {
///             let mut buf = Vec::with_capacity(4096);
///             loop {
///                 let (n, b) = stream.read(buf).await;
///                 if !matches!(n, Ok(n) if n > 0) {
///                     break;
///                 }
///                 let (res, mut b) = stream.write_all(b).await;
///                 if res.is_err() {
///                     break;
///                 }
///                 b.clear();
///                 buf = b;
///             }
///         }));
///     }
/// }
///
/// corio::run(serve()).unwrap();
/// ```
#[derive(Clone)]
pub struct TcpListener {
    inner: Rc<ListenerInner<std::net::TcpListener>>,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpListener").field(&self.inner).finish()
    }
}

impl Acceptor for std::net::TcpListener {
    type Conn = std::net::TcpStream;
    type Addr = SocketAddr;
    type Stream = TcpStream;

    fn accept_raw(&self) -> io::Result<(std::net::TcpStream, SocketAddr)> {
        self.accept()
    }

    fn wrap(conn: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(conn)
    }
}

impl TcpListener {
    /// Binds a listener to `addr` (port 0 picks a free port) on the running loop.
    ///
    /// The socket gets `SO_REUSEADDR` (as std does) and the largest accept backlog the
    /// system allows, so that a burst of thousands of connections is not dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0")?;
    ///     assert_ne!(listener.local_addr()?.port(), 0);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When binding fails (for example `AddrInUse`), or when no corio loop runs on this
    /// thread.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Self::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// Binds a listener to `addr` with `SO_REUSEPORT`, so that several listeners (one per
    /// loop, typically: see [`Runtime::run_loops`](crate::Runtime::run_loops)) can bind the
    /// same address and the kernel spreads the incoming connections over them.
    ///
    /// Every listener sharing the port must be bound this way, by the same user. Otherwise
    /// as [`bind`](TcpListener::bind). On Linux the kernel picks the listener by a hash of
    /// the connection's addresses, so one client's connections may all land on one loop.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::TcpListener;
    ///
    /// corio::run(async {
    ///     let first = TcpListener::bind_reuseport("127.0.0.1:0")?;
    ///     let second = TcpListener::bind_reuseport(first.local_addr()?)?; // same port
    ///     assert_eq!(first.local_addr()?, second.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`bind`](TcpListener::bind); `AddrInUse` when a listener without `SO_REUSEPORT`
    /// (or another user's) holds the port.
    #[cfg(unix)]
    pub fn bind_reuseport(addr: impl ToSocketAddrs) -> io::Result<Self> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match reuseport_listener(addr) {
                Ok(listener) => return Self::from_std(listener),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the address resolved to nothing",
            )
        }))
    }

    /// Registers a bound std listener (for example one with `SO_REUSEPORT` set) with the
    /// running loop, making it non-blocking and raising its backlog.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let listener = corio::net::TcpListener::from_std(std_listener)?;
    ///     listener.local_addr()?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the socket.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        crate::reactor::sys::listen(listener.as_fd(), BACKLOG)?;
        Ok(Self {
            inner: Rc::new(ListenerInner::new(IoSource::new(listener)?)),
        })
    }

    /// Waits for the next connection and returns it with the peer's address.
    ///
    /// When descriptors run out (`EMFILE`, `ENFILE`) it keeps waiting, retrying with a
    /// back-off, and prints one line on stderr the first time; connections aborted before
    /// they were accepted are skipped.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_stream, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Other errors of `accept`, and errors registering the new socket.
    pub fn accept(
        &self,
    ) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + Unpin + use<> {
        AcceptFuture::new(self.inner.clone())
    }

    /// The address the listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let listener = corio::net::TcpListener::bind("127.0.0.1:0")?;
    ///     assert!(listener.local_addr()?.ip().is_loopback());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.io.get_ref().local_addr()
    }
}

/// A socket bound to `addr` with `SO_REUSEADDR` and `SO_REUSEPORT`, not yet listening.
#[cfg(unix)]
fn reuseport_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};

    let family = if addr.is_ipv4() {
        AddressFamily::INET
    } else {
        AddressFamily::INET6
    };
    // Close-on-exec, as std's sockets are (a child process must not inherit the listener).
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    let flags = SocketFlags::CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    let flags = SocketFlags::empty();
    let fd = rustix::net::socket_with(family, SocketType::STREAM, flags, None)?;
    sockopt::set_socket_reuseaddr(&fd, true)?;
    sockopt::set_socket_reuseport(&fd, true)?;
    rustix::net::bind(&fd, &addr)?;
    Ok(std::net::TcpListener::from(fd))
}
