//! Sockets on the event loop: TCP, UDP and Unix-domain streams, with owned buffers.
//!
//! Every socket registers once with the loop's poller (edge-triggered on Linux and the BSDs,
//! `Oneshot` elsewhere) and is a cheap handle: clones share the socket through an `Rc`, and
//! every future is `'static`, never borrowing the handle it came from, so it can be awaited
//! from a `#[corio::coroutine]` body or moved into a task.
//!
//! Reads and writes take buffers by value and give them back ([`IoBuf`], [`IoBufMut`]):
//!
//! ```
//! use corio::net::{TcpListener, TcpStream};
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!     let (res, _hello) = client.write_all(b"hello".to_vec()).await;
//!     res?;
//!     let (n, buf) = server.read(Vec::with_capacity(64)).await;
//!     assert_eq!((n?, buf.as_slice()), (5, &b"hello"[..]));
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```
//!
//! A server with many idle connections can use the readiness calls instead
//! (`readable().await`, then `try_read` into a buffer it lends for an instant), so that a
//! connection owns no buffer while it waits: see `examples/echo_server.rs`. `TcpStream` and
//! `UnixStream` also implement `futures_io::AsyncRead` and `AsyncWrite`.
//!
//! Host names are resolved off the loop, on the blocking pool: [`lookup_host`] (asyncio's
//! `getaddrinfo`), which [`TcpStream::connect`] uses for a name before trying each address.
//!
//! Errors are `io::Error`s and never stop the loop: a reset peer is `ConnectionReset`, a write
//! to a closed peer is `BrokenPipe` (writes use `MSG_NOSIGNAL`, and Rust binaries ignore
//! `SIGPIPE` anyway), and listeners wait out descriptor exhaustion instead of failing.

mod buf;
mod connect;
mod listener;
mod lookup;
pub(crate) mod stream;
mod tcp_listener;
mod tcp_stream;
mod udp;
#[cfg(unix)]
mod unix_listener;
#[cfg(unix)]
mod unix_stream;

pub use buf::{IoBuf, IoBufMut, Slice};
pub use connect::Connect;
pub use lookup::{LookupHost, ToSocketAddrs, lookup_host};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix_listener::UnixListener;
#[cfg(unix)]
pub use unix_stream::UnixStream;

pub use std::net::Shutdown;
