//! `BufReader`: asyncio's `StreamReader` (`readline`, `readuntil`, `readexactly`, `read`) over
//! any `futures_io::AsyncRead`.
//!
//! The reader's state (the stream and its buffer) sits behind an `Rc<RefCell<…>>` so that each
//! method can take `&self` and return a `'static` future holding a clone of the `Rc`: that is
//! what a `#[corio::coroutine]` body can keep across an `.await`. Only one read may wait at a
//! time (asyncio raises `RuntimeError` for a second one; corio returns an error): the first
//! poll of a read marks the reader busy, and completing or dropping that read frees it.
//!
//! The buffer holds the unread bytes `buf[pos..]`. Searches (`read_line`, `read_until`) read
//! chunks of [`CHUNK`] bytes until the separator shows up, and stop reading once the line
//! cannot fit the limit any more, so the buffer stays below `limit + CHUNK + sep.len()`.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncBufRead, AsyncRead};

/// asyncio's default stream limit: a line (before its separator) may be 64 KiB long.
pub const DEFAULT_LIMIT: usize = 64 * 1024;

/// How much one read from the stream asks for.
const CHUNK: usize = 8 * 1024;

/// A buffered reader with asyncio's `StreamReader` methods: `read_line` (`readline`),
/// `read_until` (`readuntil`), `read_exactly` (`readexactly`) and `read` (`read(n)`).
///
/// It wraps any `futures_io::AsyncRead + Unpin + 'static`: corio's `TcpStream` and
/// `UnixStream`, a child's [`ChildStdout`](crate::process::ChildStdout), or a foreign stream.
/// Every method takes `&self` and returns a `'static` future that owns what it needs, so a
/// `#[corio::coroutine]` can await it. A line or separator search is bounded by the reader's
/// limit ([`with_limit`](BufReader::with_limit), 64 KiB by default, asyncio's): a longer line
/// is an `InvalidData` error and its bytes stay buffered, readable with
/// [`read`](BufReader::read) or [`read_exactly`](BufReader::read_exactly).
///
/// It also implements `futures_io::AsyncRead` and `AsyncBufRead`, for `futures`' combinators.
///
/// # Examples
///
/// ```
/// use corio::io::BufReader;
/// use corio::net::UnixStream;
///
/// corio::run(async {
///     let (a, b) = UnixStream::pair()?;
///     a.write_all(b"HELLO\r\nworld\nlast".to_vec()).await.0?;
///     drop(a);
///     let reader = BufReader::new(b);
///     assert_eq!(reader.read_until("\r\n").await?, b"HELLO\r\n");
///     assert_eq!(reader.read_line().await?, b"world\n");
///     assert_eq!(reader.read_line().await?, b"last"); // the last line has no newline
///     assert_eq!(reader.read_line().await?, b""); // end of stream
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct BufReader<S> {
    shared: Rc<RefCell<State<S>>>,
}

/// A clone is another handle on the same reader (one buffer, one stream), as every corio
/// handle: hand it to a task that reads while this one keeps its own, or to a helper
/// coroutine that takes the reader by value. One read waits at a time, across all handles.
///
/// # Examples
///
/// ```
/// use corio::io::BufReader;
///
/// corio::run(async {
///     let (a, b) = corio::net::UnixStream::pair()?;
///     let reader = BufReader::new(b);
///     let other = reader.clone();
///     a.write_all(b"one\ntwo\n".to_vec()).await.0?;
///     assert_eq!(other.read_line().await?, b"one\n");
///     assert_eq!(reader.read_line().await?, b"two\n"); // the same buffer
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
impl<S> Clone for BufReader<S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

struct State<S> {
    stream: S,
    /// Unread bytes are `buf[pos..]`.
    buf: Vec<u8>,
    pos: usize,
    limit: usize,
    /// The stream reported its end (sticky, as asyncio's `feed_eof`).
    eof: bool,
    /// A read future is waiting (it was polled and has not finished or been dropped).
    busy: bool,
}

impl<S> State<S> {
    fn unread(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Takes `n` unread bytes out of the buffer.
    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.buf[self.pos..self.pos + n].to_vec();
        self.consume(n);
        out
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            // A large read_exactly may have grown the buffer far past a chunk: give it back.
            if self.buf.capacity() > 4 * CHUNK.max(self.limit) {
                self.buf.shrink_to(CHUNK);
            }
        }
    }
}

impl<S: AsyncRead + Unpin> State<S> {
    /// Reads once from the stream, appending up to `want` bytes to the buffer; `Ok(0)` at the
    /// end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>, want: usize) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.pos > 0 {
            // Move the unread bytes to the front before growing.
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let filled = self.buf.len();
        self.buf.resize(filled + want.max(1), 0);
        let res = Pin::new(&mut self.stream).poll_read(cx, &mut self.buf[filled..]);
        let n = match &res {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        self.buf.truncate(filled + n);
        if matches!(res, Poll::Ready(Ok(0))) {
            self.eof = true;
        }
        res
    }
}

impl<S: AsyncRead + Unpin + 'static> BufReader<S> {
    /// Wraps `stream` with asyncio's default limit of 64 KiB per line.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::io::BufReader;
    ///
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     a.write_all(b"ping\n".to_vec()).await.0?;
    ///     assert_eq!(reader.read_line().await?, b"ping\n");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn new(stream: S) -> Self {
        Self::with_limit(stream, DEFAULT_LIMIT)
    }

    /// Wraps `stream`; a line (or the bytes before a separator) may be at most `limit` bytes
    /// long: asyncio's `limit=` argument of `open_connection`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::io::BufReader;
    ///
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::with_limit(b, 4);
    ///     a.write_all(b"toolong\n".to_vec()).await.0?;
    ///     let err = reader.read_line().await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    ///     // Nothing was lost: the bytes are still there.
    ///     assert_eq!(reader.read_exactly(8).await?, b"toolong\n");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn with_limit(stream: S, limit: usize) -> Self {
        Self {
            shared: Rc::new(RefCell::new(State {
                stream,
                buf: Vec::new(),
                pos: 0,
                limit,
                eof: false,
                busy: false,
            })),
        }
    }

    /// Reads one line, up to and including `\n`: asyncio's `readline()`.
    ///
    /// At the end of the stream the last line comes back as it is (without `\n`), and after
    /// it an empty `Vec`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufReader;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     a.write_all(b"one\ntwo".to_vec()).await.0?;
    ///     drop(a);
    ///     assert_eq!(reader.read_line().await?, b"one\n");
    ///     assert_eq!(reader.read_line().await?, b"two");
    ///     assert!(reader.read_line().await?.is_empty());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidData` when the line is longer than the limit (its bytes stay buffered), the
    /// stream's error, or an error when another read of this reader is already waiting.
    pub fn read_line(&self) -> ReadFuture<S> {
        self.op(Op::Until {
            sep: Sep::Newline,
            eof_ok: true,
            scanned: 0,
        })
    }

    /// Reads up to and including `sep`: asyncio's `readuntil(separator)`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufReader;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     a.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody".to_vec()).await.0?;
    ///     let head = reader.read_until("\r\n\r\n").await?;
    ///     assert!(head.ends_with(b"Host: x\r\n\r\n"));
    ///     assert_eq!(reader.read(100).await?, b"body");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` when the stream ends before `sep` (asyncio's `IncompleteReadError`; the
    /// partial bytes stay buffered, readable with [`read`](Self::read)); `InvalidData` when
    /// more than the limit comes before `sep` (asyncio's `LimitOverrunError`; the bytes stay
    /// buffered); `InvalidInput` for an empty `sep`; the stream's error; or an error when
    /// another read of this reader is already waiting.
    pub fn read_until(&self, sep: impl AsRef<[u8]>) -> ReadFuture<S> {
        self.op(Op::Until {
            sep: Sep::Bytes(sep.as_ref().into()),
            eof_ok: false,
            scanned: 0,
        })
    }

    /// Reads exactly `n` bytes: asyncio's `readexactly(n)`. `n` may exceed the limit.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufReader;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     a.write_all(b"\x00\x03abc".to_vec()).await.0?;
    ///     let len = reader.read_exactly(2).await?;
    ///     let n = u16::from_be_bytes([len[0], len[1]]) as usize;
    ///     assert_eq!(reader.read_exactly(n).await?, b"abc");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` when the stream ends first (the bytes read so far stay buffered), the
    /// stream's error, or an error when another read of this reader is already waiting.
    pub fn read_exactly(&self, n: usize) -> ReadFuture<S> {
        self.op(Op::Exactly(n))
    }

    /// Reads at most `n` bytes, and at least one unless the stream has ended: asyncio's
    /// `read(n)`. Buffered bytes come first, without reading the stream; an empty `Vec` means
    /// the end of the stream (or `n == 0`).
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufReader;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     a.write_all(b"abcdef".to_vec()).await.0?;
    ///     drop(a);
    ///     assert_eq!(reader.read(4).await?, b"abcd");
    ///     assert_eq!(reader.read(4).await?, b"ef");
    ///     assert_eq!(reader.read(4).await?, b"");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The stream's error, or an error when another read of this reader is already waiting.
    pub fn read(&self, n: usize) -> ReadFuture<S> {
        self.op(Op::Read(n))
    }

    /// How many bytes are buffered and not read yet.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufReader;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     a.write_all(b"a\nb\n".to_vec()).await.0?;
    ///     reader.read_line().await?;
    ///     assert_eq!(reader.buffered(), 2);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn buffered(&self) -> usize {
        self.shared.try_borrow().map_or(0, |s| s.unread().len())
    }

    /// Whether the stream has ended and every buffered byte was read: asyncio's `at_eof()`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use corio::io::BufReader;
    /// corio::run(async {
    ///     let (a, b) = corio::net::UnixStream::pair()?;
    ///     let reader = BufReader::new(b);
    ///     drop(a);
    ///     assert!(!reader.at_eof()); // not known before a read
    ///     assert!(reader.read_line().await?.is_empty());
    ///     assert!(reader.at_eof());
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn at_eof(&self) -> bool {
        self.shared
            .try_borrow()
            .is_ok_and(|s| s.eof && s.unread().is_empty())
    }

    fn op(&self, op: Op) -> ReadFuture<S> {
        ReadFuture {
            shared: self.shared.clone(),
            op,
            owns_busy: false,
        }
    }
}

impl<S> fmt::Debug for BufReader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("BufReader");
        match self.shared.try_borrow() {
            Ok(s) => d
                .field("buffered", &s.unread().len())
                .field("limit", &s.limit)
                .field("eof", &s.eof)
                .field("busy", &s.busy),
            Err(_) => d.field("state", &"<borrowed>"),
        };
        d.finish()
    }
}

/// A separator; `read_line`'s needs no allocation.
#[derive(Debug)]
enum Sep {
    Newline,
    Bytes(Box<[u8]>),
}

impl Sep {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Sep::Newline => b"\n",
            Sep::Bytes(bytes) => bytes,
        }
    }
}

/// What a read future does.
#[derive(Debug)]
enum Op {
    /// Up to and including `sep`; `scanned` unread bytes are known not to start it.
    Until {
        sep: Sep,
        eof_ok: bool,
        scanned: usize,
    },
    Exactly(usize),
    Read(usize),
}

/// The future of every [`BufReader`] read: the bytes read.
///
/// It is `'static` and `Unpin` (it holds an `Rc` of the reader's state), so a
/// `#[corio::coroutine]` can keep it across a suspension point. Dropping it before it is
/// ready consumes nothing: every byte read from the stream stays buffered.
///
/// # Examples
///
/// ```
/// use corio::io::{BufReader, ReadFuture};
///
/// corio::run(async {
///     let (a, b) = corio::net::UnixStream::pair()?;
///     let reader = BufReader::new(b);
///     let line: ReadFuture<_> = reader.read_line();
///     a.write_all(b"x\n".to_vec()).await.0?;
///     assert_eq!(line.await?, b"x\n");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ReadFuture<S> {
    shared: Rc<RefCell<State<S>>>,
    op: Op,
    owns_busy: bool,
}

fn busy_error() -> io::Error {
    io::Error::other("another read is already waiting on this BufReader")
}

impl<S: AsyncRead + Unpin> Future for ReadFuture<S> {
    type Output = io::Result<Vec<u8>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let Ok(mut state) = this.shared.try_borrow_mut() else {
            return Poll::Ready(Err(busy_error()));
        };
        if !this.owns_busy {
            if state.busy {
                return Poll::Ready(Err(busy_error()));
            }
            state.busy = true;
            this.owns_busy = true;
        }
        let res = ready!(poll_op(&mut state, &mut this.op, cx));
        state.busy = false;
        this.owns_busy = false;
        Poll::Ready(res)
    }
}

impl<S> fmt::Debug for ReadFuture<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadFuture").field("op", &self.op).finish()
    }
}

impl<S> Drop for ReadFuture<S> {
    fn drop(&mut self) {
        if self.owns_busy
            && let Ok(mut state) = self.shared.try_borrow_mut()
        {
            state.busy = false;
        }
    }
}

fn poll_op<S: AsyncRead + Unpin>(
    state: &mut State<S>,
    op: &mut Op,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Vec<u8>>> {
    match op {
        Op::Until {
            sep,
            eof_ok,
            scanned,
        } => poll_until(state, sep.as_bytes(), *eof_ok, scanned, cx),
        Op::Exactly(n) => {
            let n = *n;
            while state.unread().len() < n {
                let missing = n - state.unread().len();
                if ready!(state.poll_fill(cx, missing.min(4 * CHUNK)))? == 0 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the stream ended after {} of {n} bytes (they stay buffered)",
                            state.unread().len()
                        ),
                    )));
                }
            }
            Poll::Ready(Ok(state.take(n)))
        }
        Op::Read(n) => {
            let n = *n;
            if n == 0 {
                return Poll::Ready(Ok(Vec::new()));
            }
            if state.unread().is_empty() {
                ready!(state.poll_fill(cx, n.min(4 * CHUNK)))?;
            }
            let take = n.min(state.unread().len());
            Poll::Ready(Ok(state.take(take)))
        }
    }
}

fn poll_until<S: AsyncRead + Unpin>(
    state: &mut State<S>,
    sep: &[u8],
    eof_ok: bool,
    scanned: &mut usize,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Vec<u8>>> {
    if sep.is_empty() {
        return Poll::Ready(Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "read_until needs a non-empty separator",
        )));
    }
    let limit = state.limit;
    loop {
        let unread = state.unread();
        if let Some(i) = find(&unread[*scanned..], sep) {
            let start = *scanned + i;
            if start > limit {
                return Poll::Ready(Err(over_limit(limit, start)));
            }
            return Poll::Ready(Ok(state.take(start + sep.len())));
        }
        // A separator could still start in the last `sep.len() - 1` bytes.
        *scanned = unread.len().saturating_sub(sep.len() - 1);
        if *scanned > limit {
            return Poll::Ready(Err(over_limit(limit, unread.len())));
        }
        let room = (limit + sep.len()).saturating_sub(unread.len()).max(1);
        if ready!(state.poll_fill(cx, room.min(CHUNK)))? == 0 {
            let len = state.unread().len();
            if eof_ok {
                return Poll::Ready(Ok(state.take(len)));
            }
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the stream ended before the separator {:?} ({len} bytes stay buffered)",
                    String::from_utf8_lossy(sep)
                ),
            )));
        }
    }
}

fn over_limit(limit: usize, seen: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "no separator within the reader's limit of {limit} bytes ({seen} bytes buffered \
             and kept; raise it with BufReader::with_limit or read them with read/read_exactly)"
        ),
    )
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [byte] => memchr::memchr(*byte, haystack),
        _ => memchr::memmem::find(haystack, needle),
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for BufReader<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Ok(mut state) = self.shared.try_borrow_mut() else {
            return Poll::Ready(Err(busy_error()));
        };
        if state.busy {
            return Poll::Ready(Err(busy_error()));
        }
        if state.unread().is_empty() {
            if out.len() >= CHUNK && !state.eof {
                // A large read skips the buffer.
                return Pin::new(&mut state.stream).poll_read(cx, out);
            }
            ready!(state.poll_fill(cx, CHUNK))?;
        }
        let n = out.len().min(state.unread().len());
        out[..n].copy_from_slice(&state.unread()[..n]);
        state.consume(n);
        Poll::Ready(Ok(n))
    }
}

/// `AsyncBufRead` lends the buffer itself, so it needs the reader's state to itself: it fails
/// with an error while one of the reader's own read futures is alive.
impl<S: AsyncRead + Unpin> AsyncBufRead for BufReader<S> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        let Some(state) = Rc::get_mut(&mut this.shared) else {
            return Poll::Ready(Err(io::Error::other(
                "a read future of this BufReader is still alive; drop it before using AsyncBufRead",
            )));
        };
        let state = state.get_mut();
        if state.unread().is_empty() {
            ready!(state.poll_fill(cx, CHUNK))?;
        }
        Poll::Ready(Ok(state.unread()))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        if let Ok(mut state) = self.shared.try_borrow_mut() {
            let amt = amt.min(state.unread().len());
            state.consume(amt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn find_locates_multi_byte_separators() {
        assert_eq!(find(b"ab\r\ncd", b"\r\n"), Some(2));
        assert_eq!(find(b"ab\rcd", b"\r\n"), None);
        assert_eq!(find(b"x\n", b"\n"), Some(1));
        assert_eq!(find(b"", b"\n"), None);
    }
}
