//! `corio::io` (issue 18): `BufReader` checked against std's `BufRead` on the same bytes (the
//! oracle), over a stream that hands out a few bytes at a time and is pending in between, over
//! sockets, from `#[corio::coroutine]` bodies; the limit, end-of-stream and misuse errors; and
//! `BufWriter` with a slow reader.

use std::io::{self, BufRead, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::io::{BufReader, BufWriter};
use corio::net::{TcpListener, TcpStream, UnixStream};
use futures::{AsyncBufReadExt, AsyncReadExt, StreamExt};

const LIMIT: Duration = Duration::from_secs(30);

fn run<T>(fut: impl Future<Output = T> + 'static) -> T {
    corio::run(async move { corio::timeout(LIMIT, fut).await.expect("test timed out") })
}

/// xorshift64*: reproducible inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

/// Random bytes over a small alphabet heavy in separators, so that lines are short and
/// separators straddle read boundaries.
fn random_text(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| b"ab\r\n\n"[rng.below(5)]).collect()
}

/// An `AsyncRead` that gives out at most `max` bytes per read and is pending (after waking
/// itself) before every read: every suspension path of the reader gets exercised.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    max: usize,
    ready: bool,
}

impl Trickle {
    fn new(data: Vec<u8>, max: usize) -> Self {
        Self {
            data,
            at: 0,
            max,
            ready: false,
        }
    }
}

impl futures::AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if !self.ready {
            self.ready = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.ready = false;
        let n = buf.len().min(self.max).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Poll::Ready(Ok(n))
    }
}

/// std's answer: `read_until(b'\n')` until it returns nothing.
fn std_lines(data: &[u8]) -> Vec<Vec<u8>> {
    let mut reader = io::BufReader::with_capacity(3, data);
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).unwrap() == 0 {
            return lines;
        }
        lines.push(line);
    }
}

#[corio::coroutine]
async fn all_lines(reader: BufReader<Trickle>) -> io::Result<Vec<Vec<u8>>> {
    let mut lines = Vec::new();
    loop {
        let line = reader.read_line().await?;
        if line.is_empty() {
            return Ok(lines);
        }
        lines.push(line);
    }
}

#[test]
fn read_line_agrees_with_std_on_random_input_from_a_coroutine() {
    let mut rng = Rng(0x5eed);
    for case in 0..100 {
        let len = rng.below(300);
        let data = random_text(&mut rng, len);
        let max = 1 + rng.below(17);
        let got = run(all_lines(BufReader::new(Trickle::new(data.clone(), max)))).unwrap();
        assert_eq!(got, std_lines(&data), "case {case}, {max} bytes per read");
    }
}

/// The oracle for a multi-byte separator: split after each occurrence, left to right.
fn split_after(data: &[u8], sep: &[u8]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= data.len() {
        if &data[i..i + sep.len()] == sep {
            parts.push(data[start..i + sep.len()].to_vec());
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    (parts, data[start..].to_vec())
}

#[corio::coroutine]
async fn until_eof(
    reader: BufReader<Trickle>,
    sep: &'static str,
) -> io::Result<(Vec<Vec<u8>>, Vec<u8>)> {
    let mut parts = Vec::new();
    loop {
        match reader.read_until(sep).await {
            Ok(part) => {
                // Braces: pass finding F1 (an expression arm beside a suspending one).
                parts.push(part);
            }
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                // Nothing lost: the partial tail is still buffered.
                let rest = reader.read(usize::MAX).await?;
                return Ok((parts, rest));
            }
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn read_until_splits_like_the_oracle_and_keeps_the_tail_at_eof() {
    let mut rng = Rng(42);
    for case in 0..100 {
        let len = rng.below(300);
        let data = random_text(&mut rng, len);
        let max = 1 + rng.below(7);
        let sep = ["\r\n", "\n\n", "ab\r"][case % 3];
        let got = run(until_eof(
            BufReader::new(Trickle::new(data.clone(), max)),
            sep,
        ))
        .unwrap();
        assert_eq!(
            got,
            split_after(&data, sep.as_bytes()),
            "case {case}, sep {sep:?}"
        );
    }
}

#[test]
fn a_line_past_the_limit_is_invalid_data_and_nothing_is_lost() {
    run(async {
        let mut data = vec![b'x'; 10];
        data.extend_from_slice(b"\n");
        data.extend_from_slice(&[b'y'; 11]);
        data.extend_from_slice(b"\nz\n");
        let reader = BufReader::with_limit(Trickle::new(data, 3), 10);
        // Exactly the limit before the newline is fine (asyncio counts bytes before it).
        assert_eq!(reader.read_line().await?, [&[b'x'; 10][..], b"\n"].concat());
        let err = reader.read_line().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(err.to_string().contains("limit of 10 bytes"), "{err}");
        // The same call fails the same way; the bytes are all still there.
        assert_eq!(
            reader.read_line().await.unwrap_err().kind(),
            ErrorKind::InvalidData
        );
        assert_eq!(
            reader.read_exactly(12).await?,
            [&[b'y'; 11][..], b"\n"].concat()
        );
        assert_eq!(reader.read_line().await?, b"z\n");
        assert_eq!(reader.read_line().await?, b"");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_huge_line_does_not_grow_the_buffer_past_the_limit() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let writer = corio::spawn(async move { a.write_all(vec![b'q'; 1 << 20]).await.0 });
        let reader = BufReader::with_limit(b, 1000);
        let err = reader.read_line().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(reader.buffered() < 1000 + 8192 + 1, "{}", reader.buffered());
        // Drain the rest so that the writer finishes.
        let mut total = 0;
        while total < 1 << 20 {
            total += reader.read(1 << 16).await?.len();
        }
        writer.await.unwrap()?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn read_exactly_past_the_end_is_unexpected_eof_and_keeps_the_bytes() {
    run(async {
        let reader = BufReader::new(Trickle::new(b"abc".to_vec(), 1));
        let err = reader.read_exactly(5).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(err.to_string().contains("3 of 5 bytes"), "{err}");
        assert_eq!(reader.read(10).await?, b"abc");
        assert!(reader.at_eof());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn read_exactly_beyond_the_limit_and_read_in_pieces() {
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    let expected = data.clone();
    run(async move {
        let reader = BufReader::with_limit(Trickle::new(data, 4096), 16);
        assert_eq!(reader.read_exactly(70_000).await?, expected[..70_000]);
        let mut rest = Vec::new();
        loop {
            let chunk = reader.read(1234).await?;
            if chunk.is_empty() {
                break;
            }
            assert!(chunk.len() <= 1234);
            rest.extend(chunk);
        }
        assert_eq!(rest, expected[70_000..]);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_second_waiting_read_is_an_error_not_a_mixup() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let reader = BufReader::new(b);
        let first = corio::spawn(reader.read_line());
        corio::yield_now().await; // the first read is now waiting
        let err = reader.read_line().await.unwrap_err();
        assert!(err.to_string().contains("already waiting"), "{err}");
        a.write_all(b"one\n".to_vec()).await.0?;
        assert_eq!(first.await.unwrap()?, b"one\n");
        // A dropped read frees the reader.
        drop(reader.read_line());
        a.write_all(b"two\n".to_vec()).await.0?;
        assert_eq!(reader.read_line().await?, b"two\n");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn an_empty_separator_is_invalid_input() {
    let err = run(async {
        let reader = BufReader::new(Trickle::new(b"abc".to_vec(), 1));
        reader.read_until("").await
    })
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn futures_combinators_see_the_same_lines() {
    let mut rng = Rng(7);
    let data = random_text(&mut rng, 5000);
    let expected: Vec<String> = std_lines(&data)
        .into_iter()
        .map(|l| {
            let s = String::from_utf8(l).unwrap();
            s.strip_suffix('\n').unwrap_or(&s).to_owned()
        })
        .map(|s| s.strip_suffix('\r').map(str::to_owned).unwrap_or(s))
        .collect();
    let got = run(async move {
        let reader = BufReader::new(Trickle::new(data, 13));
        reader.lines().map(Result::unwrap).collect::<Vec<_>>().await
    });
    assert_eq!(got, expected);
    // AsyncRead, after a line read through the reader's own method.
    let all = run(async {
        let mut reader = BufReader::new(Trickle::new(b"head\nbody".to_vec(), 2));
        let head = reader.read_line().await?;
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await?;
        io::Result::Ok((head, rest))
    })
    .unwrap();
    assert_eq!(all, (b"head\n".to_vec(), b"body".to_vec()));
}

#[test]
fn async_buf_read_refuses_while_a_read_future_is_alive() {
    run(async {
        let mut reader = BufReader::new(Trickle::new(b"x\n".to_vec(), 2));
        let pending = reader.read_line();
        let err = reader.fill_buf().await.unwrap_err();
        assert!(err.to_string().contains("still alive"), "{err}");
        drop(pending);
        assert_eq!(reader.fill_buf().await?, b"x\n");
        io::Result::Ok(())
    })
    .unwrap();
}

#[corio::coroutine]
async fn line_server(listener: TcpListener) -> io::Result<()> {
    let (stream, _) = listener.accept().await?;
    let reader = BufReader::new(stream.clone());
    let writer = BufWriter::new(stream);
    loop {
        let line = reader.read_line().await?;
        if line.is_empty() {
            writer.close().await?;
            return Ok(());
        }
        writer.write(b"> ");
        writer.write(line);
        writer.drain().await?;
    }
}

#[test]
fn a_line_protocol_over_tcp_from_coroutines() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = corio::spawn(line_server(listener));
        let client = TcpStream::connect(addr).await?;
        let replies = BufReader::new(client.clone());
        let sent = BufWriter::new(client.clone());
        for i in 0..100 {
            sent.write(format!("line {i}\n"));
        }
        sent.flush().await?;
        for i in 0..100 {
            assert_eq!(
                replies.read_line().await?,
                format!("> line {i}\n").as_bytes()
            );
        }
        sent.close().await?; // shuts down the write half: the server sees the end
        assert_eq!(replies.read_line().await?, b"");
        server.await.unwrap()?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn drain_waits_for_a_slow_reader_and_loses_nothing() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        let writer = BufWriter::new(a);
        let data: Vec<u8> = (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect();
        writer.write(&data);
        let reader = corio::spawn(async move {
            let reader = BufReader::new(b);
            let mut got = Vec::new();
            loop {
                corio::yield_now().await;
                let chunk = reader.read(10_000).await?;
                if chunk.is_empty() {
                    return io::Result::Ok(got);
                }
                got.extend(chunk);
            }
        });
        writer.close().await?;
        assert_eq!(writer.buffered(), 0);
        assert_eq!(reader.await.unwrap()?, data);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_write_to_a_closed_peer_is_an_error_and_the_bytes_stay_buffered() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        drop(b);
        let writer = BufWriter::new(a);
        writer.write("lost?");
        let err = writer.drain().await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
            ),
            "{err}"
        );
        assert_eq!(writer.buffered(), 5);
        io::Result::Ok(())
    })
    .unwrap();
}

#[corio::coroutine]
async fn read_all_with_async_fd(
    fd: corio::io::AsyncFd<std::os::unix::net::UnixStream>,
) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut got = Vec::new();
    loop {
        let mut guard = fd.readable().await?;
        let mut buf = [0u8; 1000];
        match guard.try_io(|mut s| s.read(&mut buf)) {
            Ok(Ok(0)) => return Ok(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return Err(e),
            Err(_would_block) => {}
        }
    }
}

#[test]
fn async_fd_reads_a_socket_of_ours_to_its_end_from_a_coroutine() {
    use std::io::Write;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let expected = data.clone();
    let got = run(async move {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        b.set_nonblocking(true)?;
        let reader = corio::spawn(read_all_with_async_fd(corio::io::AsyncFd::new(b)?));
        // The writer is blocking, so it runs on the pool while the loop reads.
        corio::spawn_blocking(move || {
            let mut a = a;
            a.write_all(&data)
        })
        .await?;
        reader.await.unwrap()
    })
    .unwrap();
    assert_eq!(got, expected);
}

#[test]
fn async_fd_writable_waits_for_room() {
    use std::io::{Read, Write};
    run(async {
        let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
        a.set_nonblocking(true)?;
        let fd = corio::io::AsyncFd::new(a)?;
        // Fill the socket buffer.
        let mut sent = 0usize;
        loop {
            let mut guard = fd.writable().await?;
            match guard.try_io(|mut s| s.write(&[1u8; 4096])) {
                Ok(n) => sent += n?,
                Err(_would_block) => break,
            }
        }
        let waiting = corio::spawn(fd.writable());
        corio::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiting.is_finished(),
            "writable although the buffer is full"
        );
        let drained = corio::spawn_blocking(move || {
            let mut buf = vec![0u8; sent];
            b.read_exact(&mut buf).map(|()| buf.len())
        });
        waiting.await.unwrap()?;
        assert_eq!(drained.await?, sent);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn async_fd_refuses_a_regular_file_with_a_clear_error() {
    let err = run(async {
        let file = std::fs::File::open("/proc/self/exe")?;
        corio::io::AsyncFd::new(file).map(drop)
    })
    .unwrap_err();
    assert!(err.to_string().starts_with("cannot watch fd "), "{err}");
}

/// Length-prefixed frames (a 2-byte big-endian length, then the payload).
#[corio::coroutine]
async fn read_frames(reader: BufReader<Trickle>) -> io::Result<Vec<Vec<u8>>> {
    let mut frames = Vec::new();
    loop {
        let head = reader.read(2).await?;
        if head.is_empty() {
            return Ok(frames);
        }
        let head = if head.len() == 1 {
            let second = reader.read_exactly(1).await?;
            [head[0], second[0]]
        } else {
            [head[0], head[1]]
        };
        let frame = reader
            .read_exactly(usize::from(u16::from_be_bytes(head)))
            .await?;
        frames.push(frame);
    }
}

#[test]
fn read_exactly_and_read_frame_a_stream_from_a_coroutine() {
    let mut rng = Rng(99);
    let frames: Vec<Vec<u8>> = (0..300)
        .map(|_| {
            let len = rng.below(200);
            random_text(&mut rng, len)
        })
        .collect();
    let mut wire = Vec::new();
    for f in &frames {
        wire.extend_from_slice(&(f.len() as u16).to_be_bytes());
        wire.extend_from_slice(f);
    }
    let got = run(read_frames(BufReader::with_limit(
        Trickle::new(wire, 5),
        16,
    )))
    .unwrap();
    assert_eq!(got, frames);
}

#[corio::coroutine]
async fn fill_with_async_fd(
    fd: corio::io::AsyncFd<std::os::unix::net::UnixStream>,
    total: usize,
) -> io::Result<usize> {
    use std::io::Write;
    let mut sent = 0;
    while sent < total {
        let mut guard = fd.writable().await?;
        let chunk = vec![9u8; (total - sent).min(50_000)];
        if let Ok(n) = guard.try_io(|mut s| s.write(&chunk)) {
            sent += n?;
        }
    }
    Ok(sent)
}

#[test]
fn async_fd_writes_past_a_full_buffer_from_a_coroutine() {
    use std::io::Read;
    let total = 2_000_000;
    let got = run(async move {
        let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
        a.set_nonblocking(true)?;
        let writer = corio::spawn(fill_with_async_fd(corio::io::AsyncFd::new(a)?, total));
        let read = corio::spawn_blocking(move || {
            let mut all = Vec::new();
            b.read_to_end(&mut all).map(|_| all.len())
        });
        assert_eq!(writer.await.unwrap()?, total);
        read.await
    })
    .unwrap();
    assert_eq!(got, total);
}

/// Without `EPOLLRDHUP` (`Poller::wait`, the oneshot fallback, other platforms) a short read
/// keeps the read readiness; the whole suite runs there too.
#[test]
fn the_suite_passes_with_poller_wait_in_oneshot_mode() {
    if std::env::var_os("CORIO_REACTOR").is_some() || std::env::var_os("CORIO_POLL_MODE").is_some()
    {
        return; // already the child, or the whole run uses them
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--skip", "the_suite_passes_"])
        .env("CORIO_REACTOR", "polling")
        .env("CORIO_POLL_MODE", "oneshot")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Poller::wait + oneshot run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("a_line_protocol_over_tcp_from_coroutines ... ok"));
}
