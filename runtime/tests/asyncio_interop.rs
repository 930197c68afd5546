//! corio's I/O toolbox against real asyncio (issue 18): a corio coroutine starts a Python
//! asyncio line server as a subprocess (`corio::process`), reads the port it prints
//! (`BufReader` on the child's stdout), connects by host name (`lookup_host`), and talks to it
//! with `BufReader`/`BufWriter`, checking every reply against Rust's own upper-casing (the
//! server uses Python's `bytes.upper()`). Skipped, saying so, where `python3` is missing.

use std::io;
use std::time::Duration;

use corio::io::{BufReader, BufWriter};
use corio::net::TcpStream;
use corio::process::{Command, Stdio};

/// asyncio's streams tutorial server, line-based: upper-cases each line until the client's
/// end of stream, then exits.
const SERVER: &str = r#"
import asyncio

async def main():
    done = asyncio.Event()

    async def handle(reader, writer):
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()
        done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await done.wait()
    server.close()

asyncio.run(main())
"#;

#[corio::coroutine]
async fn talk_to_asyncio(lines: Vec<Vec<u8>>) -> io::Result<Vec<Vec<u8>>> {
    let mut child = Command::new("python3")
        .args(["-c", SERVER])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let announce = BufReader::new(child.stdout.take().expect("piped"));
    let port_line = announce.read_line().await?;
    let port: u16 = String::from_utf8_lossy(&port_line)
        .trim()
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("port: {e}")))?;
    let stream = TcpStream::connect(("localhost", port)).await?;
    let reader = BufReader::new(stream.clone());
    let writer = BufWriter::new(stream);
    let count = lines.len();
    for line in lines {
        writer.write(line);
    }
    writer.drain().await?;
    let mut replies = Vec::new();
    while replies.len() < count {
        let reply = reader.read_line().await?;
        replies.push(reply);
    }
    writer.close().await?; // asyncio's readline() returns b"" and the server exits
    let end = reader.read_line().await?;
    assert!(end.is_empty(), "asyncio sent more: {end:?}");
    let status = child.wait().await?;
    assert!(status.success(), "the asyncio server failed: {status}");
    Ok(replies)
}

#[test]
fn a_corio_client_talks_to_an_asyncio_server() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let mut state = 0x2545_f491_u64;
    let lines: Vec<Vec<u8>> = (0..500)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 120) as usize;
            let mut line: Vec<u8> = (0..len)
                .map(|j| b"abcXYZ 019-_"[(state as usize >> (j % 40)) % 12])
                .collect();
            line.push(b'\n');
            line
        })
        .collect();
    let expected: Vec<Vec<u8>> = lines.iter().map(|l| l.to_ascii_uppercase()).collect();
    let replies = corio::run(async move {
        corio::timeout(Duration::from_secs(60), talk_to_asyncio(lines))
            .await
            .expect("timed out")
    })
    .unwrap();
    assert_eq!(replies, expected);
}
