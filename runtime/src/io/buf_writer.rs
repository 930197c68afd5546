//! `BufWriter`: asyncio's `StreamWriter` (`write` never waits and the bytes go out without a
//! `drain`, as asyncio's transport sends them; `drain` waits until they are sent) over any
//! `futures_io::AsyncWrite`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker, ready};

use futures_io::AsyncWrite;

/// How many buffered bytes `AsyncWrite::poll_write` keeps before it sends them.
const CAPACITY: usize = 8 * 1024;

/// A buffered writer with asyncio's `StreamWriter` methods: [`write`](BufWriter::write)
/// never waits (it sends what the stream takes at once and buffers the rest, which the loop
/// then sends in the background, as asyncio's transport does), [`drain`](BufWriter::drain)
/// waits until everything buffered is sent, [`flush`](BufWriter::flush) also flushes the
/// stream, [`close`](BufWriter::close) then closes it.
///
/// It wraps any `futures_io::AsyncWrite + Unpin + 'static` (corio's streams, a child's
/// [`ChildStdin`](crate::process::ChildStdin), …). Like asyncio's, the buffer is unbounded:
/// call `drain()` after writing to let a slow peer push back. `BufWriter` is a cheap handle
/// (an `Rc`): clones share one buffer and one stream, and every future is `'static`, so a
/// `#[corio::coroutine]` can await it. It also implements `futures_io::AsyncWrite` (buffered
/// up to 8 KiB).
///
/// # Examples
///
/// ```
/// use corio::io::{BufReader, BufWriter};
/// use corio::net::UnixStream;
///
/// corio::run(async {
///     let (a, b) = UnixStream::pair()?;
///     let writer = BufWriter::new(a);
///     writer.write("HTTP/1.1 200 OK\r\n");
///     writer.write(b"\r\n");
///     writer.drain().await?; // asyncio: await writer.drain()
///     assert_eq!(writer.buffered(), 0);
///     let reader = BufReader::new(b);
///     assert_eq!(reader.read_line().await?, b"HTTP/1.1 200 OK\r\n");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct BufWriter<W> {
    shared: Rc<RefCell<State<W>>>,
}

impl<W> Clone for BufWriter<W> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

struct State<W> {
    stream: W,
    buf: Vec<u8>,
    /// A background task is sending `buf` (see [`BufWriter::write`]).
    sending: bool,
}

impl<W: AsyncWrite + Unpin> State<W> {
    /// Sends what the stream takes now, without waiting or registering a waker of ours;
    /// returns how many bytes of `bytes` went out. An error leaves the rest to be buffered,
    /// and the next `drain` reports it.
    fn send_now(&mut self, bytes: &[u8]) -> usize {
        let mut cx = Context::from_waker(Waker::noop());
        let mut sent = 0;
        while sent < bytes.len() {
            match Pin::new(&mut self.stream).poll_write(&mut cx, &bytes[sent..]) {
                Poll::Ready(Ok(n)) if n > 0 => sent += n,
                _ => break,
            }
        }
        sent
    }

    /// Sends the buffer until it is empty; on an error the unsent bytes stay buffered.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut sent = 0;
        let res = loop {
            if sent == self.buf.len() {
                break Poll::Ready(Ok(()));
            }
            match Pin::new(&mut self.stream).poll_write(cx, &self.buf[sent..]) {
                Poll::Ready(Ok(0)) => {
                    break Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the stream took no bytes",
                    )));
                }
                Poll::Ready(Ok(n)) => sent += n,
                Poll::Ready(Err(e)) => break Poll::Ready(Err(e)),
                Poll::Pending => break Poll::Pending,
            }
        };
        self.buf.drain(..sent);
        res
    }
}

impl<W: AsyncWrite + Unpin + 'static> BufWriter<W> {
    /// Wraps `stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufWriter;
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair()?;
    ///     let writer = BufWriter::new(a);
    ///     assert_eq!(writer.buffered(), 0);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn new(stream: W) -> Self {
        Self {
            shared: Rc::new(RefCell::new(State {
                stream,
                buf: Vec::new(),
                sending: false,
            })),
        }
    }

    /// Writes `bytes` without waiting: asyncio's `writer.write(data)`.
    ///
    /// As asyncio's transport does, it sends what the stream takes at once when nothing is
    /// buffered, and buffers the rest; on a corio loop a background task then sends the
    /// buffer as the stream takes it, so the bytes reach the peer even if nobody calls
    /// [`drain`](Self::drain) (a chat server writing to every peer, say). `drain` waits for
    /// that, lets a slow peer push back, and reports the stream's errors. Outside a corio
    /// loop the buffer waits for `drain`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::{BufReader, BufWriter};
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let writer = BufWriter::new(a);
    ///     writer.write("abc");
    ///     writer.write(vec![b'\n']);
    ///     // No drain: the bytes are on their way.
    ///     assert_eq!(BufReader::new(b).read_line().await?, b"abc\n");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn write(&self, bytes: impl AsRef<[u8]>) {
        let bytes = bytes.as_ref();
        let mut state = self.shared.borrow_mut();
        let sent = if state.buf.is_empty() && !state.sending {
            state.send_now(bytes)
        } else {
            0
        };
        if sent == bytes.len() {
            return;
        }
        state.buf.extend_from_slice(&bytes[sent..]);
        if state.sending {
            return;
        }
        let Some(handle) = crate::running_loop() else {
            return;
        };
        state.sending = true;
        drop(state);
        let sender = Sending(self.shared.clone());
        let drained = self.drain();
        let _task = handle.spawn_named("BufWriter (sending)", async move {
            let _ = drained.await;
            drop(sender);
        });
    }

    /// How many bytes are buffered and not sent yet (asyncio:
    /// `transport.get_write_buffer_size()`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufWriter;
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair()?;
    ///     let writer = BufWriter::new(a);
    ///     writer.write(vec![0u8; 16 << 20]); // more than the socket takes: the rest waits
    ///     assert!(writer.buffered() > 0);
    ///     writer.write([1u8; 10]);
    ///     assert!(writer.buffered() > 10);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn buffered(&self) -> usize {
        self.shared.try_borrow().map_or(0, |s| s.buf.len())
    }

    /// Sends everything buffered, including bytes written while it waits: asyncio's
    /// `await writer.drain()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufWriter;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let writer = BufWriter::new(a);
    ///     writer.write("ping");
    ///     writer.drain().await?;
    ///     let (n, _) = b.read(vec![0; 8]).await;
    ///     assert_eq!(n?, 4);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The stream's error (for example `BrokenPipe`); the bytes not sent stay buffered.
    pub fn drain(&self) -> DrainFuture<W> {
        DrainFuture {
            shared: self.shared.clone(),
            then: Then::Nothing,
        }
    }

    /// [`drain`](Self::drain), then flushes the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufWriter;
    /// corio::run(async {
    ///     let (a, _b) = corio::net::UnixStream::pair()?;
    ///     let writer = BufWriter::new(a);
    ///     writer.write("x");
    ///     writer.flush().await?;
    ///     assert_eq!(writer.buffered(), 0);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The stream's error.
    pub fn flush(&self) -> DrainFuture<W> {
        DrainFuture {
            shared: self.shared.clone(),
            then: Then::Flush,
        }
    }

    /// [`drain`](Self::drain), then closes the stream (for a socket, shuts down its write
    /// half): asyncio's `writer.close(); await writer.wait_closed()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::{BufReader, BufWriter};
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let writer = BufWriter::new(a);
    ///     writer.write("bye");
    ///     writer.close().await?;
    ///     let reader = BufReader::new(b);
    ///     assert_eq!(reader.read_line().await?, b"bye"); // then the end of the stream
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The stream's error.
    pub fn close(&self) -> DrainFuture<W> {
        DrainFuture {
            shared: self.shared.clone(),
            then: Then::Close,
        }
    }
}

/// Marks the background send of [`BufWriter::write`] finished when the task ends or is
/// dropped (cancelled, or its loop ended).
struct Sending<W>(Rc<RefCell<State<W>>>);

impl<W> Drop for Sending<W> {
    fn drop(&mut self) {
        if let Ok(mut state) = self.0.try_borrow_mut() {
            state.sending = false;
        }
    }
}

impl<W> fmt::Debug for BufWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("BufWriter");
        match self.shared.try_borrow() {
            Ok(s) => d.field("buffered", &s.buf.len()),
            Err(_) => d.field("state", &"<borrowed>"),
        };
        d.finish()
    }
}

#[derive(Clone, Copy, Debug)]
enum Then {
    Nothing,
    Flush,
    Close,
}

/// The future of [`BufWriter::drain`], [`flush`](BufWriter::flush) and
/// [`close`](BufWriter::close).
///
/// It is `'static` and `Unpin` (it holds an `Rc` of the writer's state). Dropping it stops
/// sending; what was not sent stays buffered.
///
/// # Examples
///
/// ```
/// use corio::io::{BufWriter, DrainFuture};
///
/// corio::run(async {
///     let (a, _b) = corio::net::UnixStream::pair()?;
///     let writer = BufWriter::new(a);
///     writer.write("x");
///     let drained: DrainFuture<_> = writer.drain();
///     drained.await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct DrainFuture<W> {
    shared: Rc<RefCell<State<W>>>,
    then: Then,
}

impl<W> fmt::Debug for DrainFuture<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DrainFuture")
            .field("then", &self.then)
            .finish()
    }
}

impl<W: AsyncWrite + Unpin> Future for DrainFuture<W> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Ok(mut state) = self.shared.try_borrow_mut() else {
            return Poll::Ready(Err(io::Error::other("the BufWriter is in use")));
        };
        ready!(state.poll_drain(cx))?;
        let stream = Pin::new(&mut state.stream);
        match self.then {
            Then::Nothing => Poll::Ready(Ok(())),
            Then::Flush => stream.poll_flush(cx),
            Then::Close => stream.poll_close(cx),
        }
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for BufWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut state = self.shared.borrow_mut();
        if state.buf.len() + bytes.len() > CAPACITY {
            ready!(state.poll_drain(cx))?;
        }
        if bytes.len() >= CAPACITY {
            return Pin::new(&mut state.stream).poll_write(cx, bytes);
        }
        state.buf.extend_from_slice(bytes);
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.borrow_mut();
        ready!(state.poll_drain(cx))?;
        Pin::new(&mut state.stream).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.shared.borrow_mut();
        ready!(state.poll_drain(cx))?;
        Pin::new(&mut state.stream).poll_close(cx)
    }
}
