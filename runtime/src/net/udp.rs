//! `UdpSocket`: datagrams on the loop.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use crate::net::buf::{IoBuf, IoBufMut, read_into};
use crate::reactor::IoSource;

/// A UDP socket registered with the running loop.
///
/// Datagram calls take owned buffers and give them back, like the stream calls. A receive
/// fills the buffer from its start up to its capacity; a datagram longer than that is
/// truncated (the rest is discarded, as with `recv(2)`). The socket is a cheap handle: clones
/// share it.
///
/// # Examples
///
/// ```
/// use corio::net::UdpSocket;
///
/// corio::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0")?;
///     let b = UdpSocket::bind("127.0.0.1:0")?;
///     a.send_to(b"hello", b.local_addr()?).await.0?;
///     let (res, buf) = b.recv_from(Vec::with_capacity(1500)).await;
///     let (n, from) = res?;
///     assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct UdpSocket {
    io: Rc<IoSource<std::net::UdpSocket>>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UdpSocket").field(self.io.get_ref()).finish()
    }
}

/// Which readiness a datagram operation waits for.
#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}

/// A datagram operation: waits for readiness, runs `op` on the socket and the buffer, and
/// retries on `WouldBlock`.
struct DatagramFuture<B, T, F> {
    io: Rc<IoSource<std::net::UdpSocket>>,
    buf: Option<B>,
    dir: Dir,
    op: F,
    _out: std::marker::PhantomData<fn() -> T>,
}

impl<B, T, F> Unpin for DatagramFuture<B, T, F> {}

impl<B, T, F> Future for DatagramFuture<B, T, F>
where
    F: FnMut(&std::net::UdpSocket, &mut B) -> io::Result<T>,
{
    type Output = (io::Result<T>, B);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let buf = this
            .buf
            .as_mut()
            .expect("a UDP future was polled after it completed");
        loop {
            let ready = match this.dir {
                Dir::Read => this.io.poll_readable(cx),
                Dir::Write => this.io.poll_writable(cx),
            };
            if let Err(e) = ready!(ready) {
                return Poll::Ready((Err(e), this.buf.take().expect("buffer present")));
            }
            match (this.op)(this.io.get_ref(), buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => match this.dir {
                    Dir::Read => this.io.clear_readable(),
                    Dir::Write => this.io.clear_writable(),
                },
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                res => return Poll::Ready((res, this.buf.take().expect("buffer present"))),
            }
        }
    }
}

impl UdpSocket {
    fn op<B, T, F>(&self, buf: B, dir: Dir, op: F) -> DatagramFuture<B, T, F>
    where
        F: FnMut(&std::net::UdpSocket, &mut B) -> io::Result<T>,
    {
        DatagramFuture {
            io: self.io.clone(),
            buf: Some(buf),
            dir,
            op,
            _out: std::marker::PhantomData,
        }
    }

    /// Binds a UDP socket to `addr` (port 0 picks a free port) on the running loop.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     assert_ne!(socket.local_addr()?.port(), 0);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When binding fails, or when no corio loop runs on this thread.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<Self> {
        Self::from_std(std::net::UdpSocket::bind(addr)?)
    }

    /// Registers a bound std socket with the running loop (it is made non-blocking).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     corio::net::UdpSocket::from_std(std_socket)?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When no corio loop runs on this thread, or the poller refuses the socket.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(Self {
            io: Rc::new(IoSource::new(socket)?),
        })
    }

    /// The address the socket is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     assert!(socket.local_addr()?.ip().is_loopback());
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

    /// The address the socket is connected to.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     assert!(socket.peer_addr().is_err());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UdpSocket::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sends the bytes of `buf` as one datagram to `addr`.
    ///
    /// The address is resolved at the call. The future's type names `A`, so pass an owned
    /// address (a `SocketAddr`, or a `&'static str`) to keep it `'static`.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let (n, _) = socket.send_to(vec![1, 2, 3], socket.local_addr()?).await;
    ///     assert_eq!(n?, 3);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When `addr` does not resolve, or the socket's error.
    pub fn send_to<B: IoBuf, A: ToSocketAddrs>(
        &self,
        buf: B,
        addr: A,
    ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + use<B, A> {
        let addr = resolve(addr);
        self.op(buf, Dir::Write, move |s, b: &mut B| {
            s.send_to(b.as_bytes(), addr.as_ref().map_err(clone_error)?)
        })
    }

    /// Receives one datagram into `buf` and gives it back with its length and sender.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     socket.send_to(b"to myself", socket.local_addr()?).await.0?;
    ///     let (res, buf) = socket.recv_from(vec![0; 64]).await;
    ///     let (n, from) = res?;
    ///     assert_eq!((&buf[..n], from), (&b"to myself"[..], socket.local_addr()?));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn recv_from<B: IoBufMut>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<(usize, SocketAddr)>, B)> + Unpin + use<B> {
        self.op(buf, Dir::Read, |s, b: &mut B| {
            let mut from = None;
            let n = read_into(b, |bytes| {
                let (n, addr) = s.recv_from(bytes)?;
                from = Some(addr);
                Ok(n)
            })?;
            Ok((n, from.expect("recv_from succeeded")))
        })
    }

    /// Sets the default destination of [`send`](UdpSocket::send) and keeps only datagrams
    /// from `addr` for [`recv`](UdpSocket::recv).
    ///
    /// A UDP connect does not wait for anything: the returned future is already complete
    /// (it is a future for symmetry with TCP).
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When `addr` does not resolve, or the socket's error.
    pub fn connect(&self, addr: impl ToSocketAddrs) -> std::future::Ready<io::Result<()>> {
        std::future::ready(self.io.get_ref().connect(addr))
    }

    /// Sends `buf` as one datagram to the connected peer.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let b = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     a.connect(b.local_addr()?).await?;
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send(b"ping").await.0?;
    ///     let (n, buf) = b.recv(vec![0; 16]).await;
    ///     assert_eq!(&buf[..n?], b"ping");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `NotConnected` before [`connect`](UdpSocket::connect), or the socket's error (for
    /// example `ConnectionRefused` after the peer reported an unreachable port).
    pub fn send<B: IoBuf>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + use<B> {
        self.op(buf, Dir::Write, |s, b: &mut B| s.send(b.as_bytes()))
    }

    /// Receives one datagram from the connected peer into `buf`.
    ///
    /// # Examples
    ///
    /// See [`send`](UdpSocket::send).
    ///
    /// ```
    /// corio::run(async {
    ///     let a = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     a.connect(a.local_addr()?).await?;
    ///     a.send(vec![9; 3]).await.0?;
    ///     let (n, _buf) = a.recv(Vec::with_capacity(8)).await;
    ///     assert_eq!(n?, 3);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn recv<B: IoBufMut>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + use<B> {
        self.op(buf, Dir::Read, |s, b: &mut B| {
            read_into(b, |bytes| s.recv(bytes))
        })
    }

    /// Waits until a datagram can be received.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     socket.send_to(b"x", socket.local_addr()?).await.0?;
    ///     socket.readable().await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the poller fails to watch the socket.
    pub fn readable(&self) -> impl Future<Output = io::Result<()>> + Unpin + use<> {
        crate::net::stream::ReadableFuture {
            io: self.io.clone(),
        }
    }

    /// Waits until a datagram can be sent.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let socket = corio::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     socket.writable().await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// When the poller fails to watch the socket.
    pub fn writable(&self) -> impl Future<Output = io::Result<()>> + Unpin + use<> {
        crate::net::stream::WritableFuture {
            io: self.io.clone(),
        }
    }
}

fn resolve(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to nothing",
        )
    })
}

fn clone_error(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}
