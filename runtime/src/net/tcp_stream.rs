//! `TcpStream`: a connected TCP socket on the loop.

use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use crate::net::stream::stream_api;
use crate::net::{Connect, ToSocketAddrs};
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

stream_api!(
    TcpStream,
    imports = "# use corio::net::{TcpListener, TcpStream};",
    setup = "#   let listener = TcpListener::bind(\"127.0.0.1:0\")?;
#   let client = TcpStream::connect(listener.local_addr()?).await?;
#   let (stream, _) = listener.accept().await?;",
);

impl TcpStream {
    /// Opens a connection to `addr`, trying each resolved address in turn.
    ///
    /// A numeric address is parsed when `connect` is called; a host name (`"example.com:80"`,
    /// `("localhost", 8080)`) is resolved with [`lookup_host`](crate::net::lookup_host) on the
    /// blocking pool, so neither the lookup nor the connection blocks the loop. The addresses
    /// are tried in the resolver's order until one accepts. See
    /// [`connect_timeout`](TcpStream::connect_timeout) to bound the wait.
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
    /// The error of the last address tried (for example `ConnectionRefused`), the resolver's
    /// error naming the host when it does not resolve, or an error when no corio loop runs on
    /// this thread.
    pub fn connect(addr: impl ToSocketAddrs) -> Connect<TcpStream> {
        let addrs = addr.to_addrs();
        Connect::new(async move {
            let mut last = None;
            for addr in addrs.resolve().await? {
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

    /// Takes the connection off this loop as a std stream (still non-blocking), to hand it to
    /// another loop ([`from_std`](TcpStream::from_std) there) or another thread.
    ///
    /// The socket leaves this loop's poller; the std stream is a duplicate descriptor of the
    /// same connection, and this handle's is closed. Data already received stays in the
    /// socket for the new owner.
    ///
    /// # Examples
    ///
    /// Accept on the loop, answer from a plain thread (another loop would call `from_std`):
    ///
    /// ```
    /// use std::io::Write;
    /// use corio::net::{TcpListener, TcpStream};
    ///
    /// corio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0")?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (conn, _) = listener.accept().await?;
    ///     let mut conn = conn.into_std()?; // `Send`
    ///     conn.set_nonblocking(false)?;
    ///     std::thread::spawn(move || conn.write_all(b"hi")).join().unwrap()?;
    ///     let (res, buf) = client.read_exact(vec![0; 2]).await;
    ///     res?;
    ///     assert_eq!(buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` when clones of this stream are still alive (they share the socket and
    /// would lose it), or the system's error duplicating the descriptor.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let io = Rc::try_unwrap(self.io).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "TcpStream::into_std: clones of this stream are still alive; drop them first",
            )
        })?;
        // `IoSource` deregisters on drop and owns the descriptor: keep a duplicate of it.
        let stream = io.get_ref().try_clone()?;
        drop(io);
        Ok(stream)
    }

    pub(crate) fn from_nonblocking(stream: std::net::TcpStream) -> io::Result<Self> {
        Ok(Self {
            io: Rc::new(IoSource::new(stream)?),
        })
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
