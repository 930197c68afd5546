//! `Connect`: the future of `TcpStream::connect` and `UnixStream::connect`.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future of [`TcpStream::connect`](crate::net::TcpStream::connect),
/// [`TcpStream::connect_timeout`](crate::net::TcpStream::connect_timeout) and
/// `UnixStream::connect`: resolves to the connected stream `T`.
///
/// It is `'static` and `Unpin` whatever address type was passed (the address is resolved
/// when `connect` is called), so it can be stored in a `#[corio::coroutine]` frame or moved
/// into a task. Dropping it abandons the attempt and closes the socket.
///
/// # Examples
///
/// ```
/// use corio::net::{Connect, TcpListener, TcpStream};
///
/// corio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0")?;
///     let addr = listener.local_addr()?.to_string();
///     let pending: Connect<TcpStream> = TcpStream::connect(&addr); // borrows nothing
///     drop(addr);
///     pending.await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Connect<T> {
    inner: Pin<Box<dyn Future<Output = io::Result<T>>>>,
}

impl<T> Connect<T> {
    pub(crate) fn new(fut: impl Future<Output = io::Result<T>> + 'static) -> Self {
        Self {
            inner: Box::pin(fut),
        }
    }
}

impl<T> fmt::Debug for Connect<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connect").finish_non_exhaustive()
    }
}

impl<T> Future for Connect<T> {
    type Output = io::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        self.inner.as_mut().poll(cx)
    }
}
