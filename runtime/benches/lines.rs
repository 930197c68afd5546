//! Reading a stream line by line: corio's `BufReader::read_line` (asyncio's `readline`, one
//! owned `Vec` per line, usable from coroutines) against the borrowing readers of tokio
//! (current_thread) and smol, and futures' `BufReader` on corio's own socket.
//!
//! Run: `cargo bench -p corio --bench lines` (`CORIO_BENCH_LINES` changes the 1,000,000
//! lines; each number is the best of 3 runs). A writer task on the same thread sends the lines
//! through a Unix socket pair in 64 KiB writes; the reader counts lines and bytes, and every
//! peer must see the same totals. The borrowing readers reuse one `Vec` for all lines, as
//! their API invites; corio's hands each line out as a new `Vec`, as asyncio's does with
//! `bytes`, so tokio also runs with a new `Vec` per line (the like-for-like row). Ratios are
//! taken against tokio (reused `Vec`) in the same run.

use std::io;
use std::time::{Duration, Instant};

fn lines_wanted() -> usize {
    std::env::var("CORIO_BENCH_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Lines of 8 to 88 bytes (newline included), from a fixed xorshift sequence.
fn text(lines: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut out = Vec::new();
    for i in 0..lines {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 7 + (state % 81) as usize;
        out.extend((0..len).map(|j| b'a' + ((i + j) % 26) as u8));
        out.push(b'\n');
    }
    out
}

type Totals = (usize, usize);

fn corio_read_line(data: &'static [u8]) -> Totals {
    corio::run(async move {
        let (a, b) = corio::net::UnixStream::pair()?;
        let writer = corio::spawn(async move {
            for chunk in data.chunks(1 << 16) {
                a.write_all(chunk).await.0?;
            }
            io::Result::Ok(())
        });
        let reader = corio::io::BufReader::new(b);
        let (mut lines, mut bytes) = (0, 0);
        loop {
            let line = reader.read_line().await?;
            if line.is_empty() {
                break;
            }
            lines += 1;
            bytes += line.len();
        }
        writer.await.expect("writer")?;
        io::Result::Ok((lines, bytes))
    })
    .expect("corio")
}

fn corio_futures_bufreader(data: &'static [u8]) -> Totals {
    use futures::AsyncBufReadExt;
    corio::run(async move {
        let (a, b) = corio::net::UnixStream::pair()?;
        let writer = corio::spawn(async move {
            for chunk in data.chunks(1 << 16) {
                a.write_all(chunk).await.0?;
            }
            io::Result::Ok(())
        });
        let mut reader = futures::io::BufReader::new(b);
        let (mut lines, mut bytes) = (0, 0);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).await?;
            if n == 0 {
                break;
            }
            lines += 1;
            bytes += n;
        }
        writer.await.expect("writer")?;
        io::Result::Ok((lines, bytes))
    })
    .expect("corio + futures")
}

fn tokio_read_until(data: &'static [u8]) -> Totals {
    tokio_lines(data, false)
}

fn tokio_read_until_fresh(data: &'static [u8]) -> Totals {
    tokio_lines(data, true)
}

/// `fresh`: a new `Vec` per line, as `read_line` hands out (the like-for-like comparison).
fn tokio_lines(data: &'static [u8], fresh: bool) -> Totals {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let (mut a, b) = tokio::net::UnixStream::pair()?;
        let writer = tokio::spawn(async move {
            for chunk in data.chunks(1 << 16) {
                a.write_all(chunk).await?;
            }
            io::Result::Ok(())
        });
        let mut reader = tokio::io::BufReader::new(b);
        let (mut lines, mut bytes) = (0, 0);
        let mut line = Vec::new();
        loop {
            if fresh {
                line = Vec::new();
            } else {
                line.clear();
            }
            let n = reader.read_until(b'\n', &mut line).await?;
            if n == 0 {
                break;
            }
            lines += 1;
            bytes += n;
        }
        writer.await.expect("writer")?;
        io::Result::Ok((lines, bytes))
    })
    .expect("tokio")
}

fn smol_read_until(data: &'static [u8]) -> Totals {
    use smol::io::{AsyncBufReadExt, AsyncWriteExt};
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        let (mut a, b) = (smol::Async::new(a)?, smol::Async::new(b)?);
        let writer = ex.spawn(async move {
            for chunk in data.chunks(1 << 16) {
                a.write_all(chunk).await?;
            }
            io::Result::Ok(())
        });
        let mut reader = smol::io::BufReader::new(b);
        let (mut lines, mut bytes) = (0, 0);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).await?;
            if n == 0 {
                break;
            }
            lines += 1;
            bytes += n;
        }
        writer.await?;
        io::Result::Ok((lines, bytes))
    }))
    .expect("smol")
}

fn best_of_3(run: impl Fn() -> Totals, expected: Totals) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let totals = run();
            let took = started.elapsed();
            assert_eq!(totals, expected, "a reader lost or invented lines");
            took
        })
        .min()
        .expect("three runs")
}

fn main() {
    let lines = lines_wanted();
    let data: &'static [u8] = Box::leak(text(lines).into_boxed_slice());
    let expected = (lines, data.len());
    println!(
        "{lines} lines, {:.1} MB, through a Unix socket pair (best of 3)",
        data.len() as f64 / 1e6
    );
    let peers: [(&str, &dyn Fn() -> Totals); 5] = [
        ("tokio BufReader::read_until (reused Vec)", &|| {
            tokio_read_until(data)
        }),
        ("tokio BufReader::read_until (Vec per line)", &|| {
            tokio_read_until_fresh(data)
        }),
        ("corio io::BufReader::read_line (Vec per line)", &|| {
            corio_read_line(data)
        }),
        ("futures BufReader::read_until on corio", &|| {
            corio_futures_bufreader(data)
        }),
        ("smol BufReader::read_until (reused Vec)", &|| {
            smol_read_until(data)
        }),
    ];
    let mut tokio_ns = None;
    for (name, run) in peers {
        let took = best_of_3(run, expected);
        let ns = took.as_nanos() as f64 / lines as f64;
        let base = *tokio_ns.get_or_insert(ns);
        println!("{name:48} {ns:7.1} ns/line  {:.2}x tokio's time", ns / base);
    }
}
