//! Sockets on the loop (issue 7): echo at scale, end of stream, refused and timed-out connects,
//! UDP, resets, Unix sockets, descriptor exhaustion, signals, and the `Oneshot` fallback.
//!
//! Everything binds 127.0.0.1 port 0 (or a temporary Unix path) and is bounded in time. Three
//! tests re-run this binary as a child: under a lowered `RLIMIT_NOFILE`, and for the whole
//! suite with `CORIO_POLL_MODE=oneshot` and with `CORIO_REACTOR=polling`.

use std::future::poll_fn;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::time::Duration;

use corio::net::{IoBuf, TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `fut` on a fresh loop, failing the test if it takes longer than [`LIMIT`].
fn run<T>(fut: impl Future<Output = T> + 'static) -> T {
    corio::run(async move { corio::timeout(LIMIT, fut).await.expect("test timed out") })
}

/// Echoes every byte on `stream` with the readiness API and a lent buffer, as
/// `examples/echo_server.rs` does.
async fn echo(stream: TcpStream) -> io::Result<()> {
    let mut scratch = vec![0u8; 4096];
    loop {
        stream.readable().await?;
        let n = match stream.try_read(&mut scratch) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        };
        let sent = match stream.try_write(&scratch[..n]) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
            Err(e) => return Err(e),
        };
        if sent < n {
            stream.write_all(scratch[sent..n].to_vec()).await.0?;
        }
    }
}

/// Accepts forever, one echo task per connection.
fn spawn_echo_server(listener: TcpListener) {
    let _server = corio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            let _conn = corio::spawn(echo(stream));
        }
    });
}

#[test]
fn a_thousand_concurrent_clients_echo_correctly() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        spawn_echo_server(listener);
        let clients = (0..1000u32).map(|i| {
            corio::spawn(async move {
                let stream = TcpStream::connect(addr).await?;
                let msg: Vec<u8> =
                    format!("client {i:04} says hello {}", "x".repeat(i as usize % 200))
                        .into_bytes();
                for _ in 0..3 {
                    let (res, sent) = stream.write_all(msg.clone()).await;
                    res?;
                    let (res, got) = stream.read_exact(vec![0; sent.len()]).await;
                    res?;
                    assert_eq!(got, sent, "client {i} got someone else's bytes");
                }
                io::Result::Ok(())
            })
        });
        let results = corio::join_all(clients.collect::<Vec<_>>()).await;
        assert_eq!(results.len(), 1000);
        for r in results {
            r.expect("client task")?;
        }
        io::Result::Ok(())
    })
    .unwrap();
}

/// `Builder::busy_poll` only delays the loop's blocking waits: sockets, timers and wake-ups
/// from other threads all still reach their tasks.
#[test]
fn a_busy_polling_loop_serves_sockets_timers_and_other_threads() {
    let rt = corio::Runtime::builder()
        .busy_poll(Duration::from_millis(1))
        .build();
    let served = async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        spawn_echo_server(listener);
        let clients = (0..50u8).map(|i| {
            corio::spawn(async move {
                let stream = TcpStream::connect(addr).await?;
                for round in 0..20u8 {
                    stream.write_all(vec![i, round]).await.0?;
                    let (res, got) = stream.read_exact(vec![0; 2]).await;
                    res?;
                    assert_eq!(got, [i, round]);
                }
                io::Result::Ok(())
            })
        });
        let clients = clients.collect::<Vec<_>>();
        corio::sleep(Duration::from_millis(2)).await;
        assert_eq!(corio::spawn_blocking(|| 7).await, 7);
        for r in corio::join_all(clients).await {
            r.expect("client task")?;
        }
        io::Result::Ok(())
    };
    rt.run(corio::timeout(LIMIT, served))
        .expect("test timed out")
        .unwrap();
}

#[test]
fn owned_buffer_reads_and_writes_round_trip_large_payloads() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        spawn_echo_server(listener);
        let stream = TcpStream::connect(addr).await?;
        let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        // A writer and a reader on clones of one stream wait on the same registration.
        let writer = stream.clone();
        let sent = payload.clone();
        let w = corio::spawn(async move { writer.write_all(sent).await.0 });
        let (res, got) = stream.read_exact(Vec::with_capacity(payload.len())).await;
        res?;
        w.await.unwrap()?;
        assert_eq!(got.len(), payload.len());
        assert!(got == payload);
        // A slice reads into the middle of a buffer and leaves the rest alone.
        stream.write_all(b"abc").await.0?;
        let (res, slice) = stream.read_exact(vec![b'.'; 7].slice(2..5)).await;
        res?;
        assert_eq!(slice.into_inner(), b"..abc..");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn end_of_stream_reads_zero() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        client.write_all(b"last words").await.0?;
        client.shutdown(Shutdown::Write)?;
        let (res, buf) = server.read_exact(vec![0; 10]).await;
        res?;
        assert_eq!(buf, b"last words");
        assert_eq!(server.read(vec![0; 16]).await.0?, 0);
        assert_eq!(server.read(vec![0; 16]).await.0?, 0, "EOF is sticky");
        // The other direction still works after a half close.
        server.write_all(b"bye").await.0?;
        let (res, buf) = client.read_exact(vec![0; 3]).await;
        res?;
        assert_eq!(buf, b"bye");
        drop(client);
        let (res, _) = server.read_exact(vec![0; 1]).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        io::Result::Ok(())
    })
    .unwrap();
}

// Regression (issue 18): the end of stream queued behind the last bytes. A read that returned
// fewer bytes than asked for cleared the read readiness, and the peer's FIN, already reported
// by the same edge, was never announced again: the next read waited forever.
#[test]
fn a_short_read_does_not_hide_an_end_of_stream_already_queued() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        client.write_all(vec![7u8; 5000]).await.0?;
        client.shutdown(Shutdown::Write)?;
        // Let the bytes and the FIN both arrive before the first read.
        corio::sleep(Duration::from_millis(20)).await;
        let (n, _) = server.read(vec![0; 3000]).await;
        assert_eq!(n?, 3000);
        let (n, _) = server.read(vec![0; 10_000]).await; // short: 2000 of 10,000
        assert_eq!(n?, 2000);
        let eof = corio::timeout(Duration::from_secs(5), server.read(vec![0; 16])).await;
        assert_eq!(eof.expect("the end of stream was never seen").0?, 0);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn connecting_to_a_closed_port_is_refused() {
    run(async {
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        // The listener is dropped: nothing listens on `addr` any more.
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn connect_timeout_gives_timed_out() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let err = TcpStream::connect_timeout(listener.local_addr()?, Duration::ZERO)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        let ok = TcpStream::connect_timeout(listener.local_addr()?, Duration::from_secs(5)).await;
        assert!(ok.is_ok());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn udp_round_trip() {
    run(async {
        let a = UdpSocket::bind("127.0.0.1:0")?;
        let b = UdpSocket::bind("127.0.0.1:0")?;
        let b_addr = b.local_addr()?;
        let server = corio::spawn(async move {
            for _ in 0..10 {
                let (res, buf) = b.recv_from(Vec::with_capacity(1500)).await;
                let (n, from) = res?;
                let mut reply = buf;
                reply.truncate(n);
                reply.reverse();
                b.send_to(reply, from).await.0?;
            }
            io::Result::Ok(())
        });
        for i in 0..10u8 {
            a.send_to(vec![i, i + 1, i + 2], b_addr).await.0?;
            let (res, buf) = a.recv_from(vec![0; 16]).await;
            let (n, from) = res?;
            assert_eq!((&buf[..n], from), (&[i + 2, i + 1, i][..], b_addr));
        }
        server.await.unwrap()?;
        // Connected sockets.
        let c = UdpSocket::bind("127.0.0.1:0")?;
        a.connect(c.local_addr()?).await?;
        c.connect(a.local_addr()?).await?;
        a.send(b"ping").await.0?;
        let (n, buf) = c.recv(Vec::with_capacity(8)).await;
        assert_eq!((n?, buf.as_slice()), (4, &b"ping"[..]));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_reset_peer_is_an_error_and_the_loop_goes_on() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        // Closing a socket with unread data makes the kernel send a reset.
        client.write_all(b"never read").await.0?;
        corio::sleep(Duration::from_millis(20)).await;
        drop(server);
        corio::sleep(Duration::from_millis(20)).await;
        let (res, _) = client.read(vec![0; 16]).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
        // Writes to the dead connection fail too (EPIPE, never SIGPIPE).
        let mut write_failed = false;
        for _ in 0..10 {
            if client.write_all(vec![0u8; 1024]).await.0.is_err() {
                write_failed = true;
                break;
            }
        }
        assert!(write_failed);
        // The loop still serves others.
        let (a, b) = UnixStream::pair()?;
        a.write_all(b"alive").await.0?;
        assert_eq!(b.read(vec![0; 8]).await.0?, 5);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn unix_sockets_echo_and_implement_futures_io() {
    let dir = std::env::temp_dir().join(format!("corio-net-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let _ = std::fs::remove_file(&path);
    let p = path.clone();
    run(async move {
        let listener = UnixListener::bind(&p)?;
        let _server = corio::spawn(async move {
            let (stream, _) = listener.accept().await?;
            let mut buf = Vec::with_capacity(256);
            loop {
                let (n, b) = stream.read(buf).await;
                if n? == 0 {
                    break;
                }
                let (res, mut b) = stream.write_all(b).await;
                res?;
                b.clear();
                buf = b;
            }
            io::Result::Ok(())
        });
        let mut client = UnixStream::connect(&p).await?;
        // futures_io::AsyncWrite / AsyncRead, polled by hand.
        let mut sent = 0;
        while sent < 5 {
            sent += poll_fn(|cx| {
                futures_io::AsyncWrite::poll_write(Pin::new(&mut client), cx, &b"hello"[sent..])
            })
            .await?;
        }
        let mut got = [0u8; 5];
        let mut read = 0;
        while read < 5 {
            read += poll_fn(|cx| {
                futures_io::AsyncRead::poll_read(Pin::new(&mut client), cx, &mut got[read..])
            })
            .await?;
        }
        assert_eq!(&got, b"hello");
        poll_fn(|cx| futures_io::AsyncWrite::poll_close(Pin::new(&mut client), cx)).await?;
        let (n, _) = client.read(vec![0; 4]).await;
        assert_eq!(n?, 0);
        io::Result::Ok(())
    })
    .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `futures_io::AsyncWrite::poll_write_vectored` sends every buffer, in order, with one call
/// (TLS streams flush several records at once), on TCP and Unix streams; to a closed Unix peer
/// it fails with `BrokenPipe` like a plain write.
#[test]
fn vectored_writes_send_every_buffer_in_order() {
    async fn write_vectored(
        stream: &mut (impl futures_io::AsyncWrite + Unpin),
        parts: &[&[u8]],
    ) -> io::Result<usize> {
        let slices: Vec<io::IoSlice<'_>> = parts.iter().map(|p| io::IoSlice::new(p)).collect();
        poll_fn(|cx| futures_io::AsyncWrite::poll_write_vectored(Pin::new(stream), cx, &slices))
            .await
    }
    let parts: [&[u8]; 4] = [b"GET ", b"", b"/ HTTP/1.1\r\n", &[7u8; 3000]];
    let total: usize = parts.iter().map(|p| p.len()).sum();
    run(async move {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        assert_eq!(write_vectored(&mut client, &parts).await?, total);
        let (res, got) = server.read_exact(vec![0u8; total]).await;
        res?;
        assert_eq!(got, parts.concat());

        let (mut a, b) = UnixStream::pair()?;
        assert_eq!(write_vectored(&mut a, &parts).await?, total);
        let (res, got) = b.read_exact(vec![0u8; total]).await;
        res?;
        assert_eq!(got, parts.concat());
        drop(b);
        let e = write_vectored(&mut a, &parts).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BrokenPipe);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn unix_writes_to_a_closed_peer_fail_with_broken_pipe() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        drop(b);
        let (res, _) = a.write_all(b"anyone?").await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::BrokenPipe);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn try_read_without_readiness_makes_no_call_and_would_block() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        assert_eq!(
            b.try_read(&mut [0; 4]).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        a.writable().await?;
        assert_eq!(a.try_write(b"data")?, 4);
        b.readable().await?;
        let mut buf = [0; 16];
        assert_eq!(b.try_read(&mut buf)?, 4);
        // A short read showed the socket is drained: the next try needs new readiness.
        assert_eq!(
            b.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        io::Result::Ok(())
    })
    .unwrap();
}

/// The flags of this process's epoll registration of `fd`, read from `/proc/self/fdinfo`.
///
/// Other tests open and close descriptors concurrently, so an entry that vanishes while the
/// directory is read is skipped rather than ending the search.
fn epoll_flags_of(fd: i32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        if !target.to_string_lossy().contains("eventpoll") {
            continue;
        }
        let Ok(info) = std::fs::read_to_string(format!(
            "/proc/self/fdinfo/{}",
            entry.file_name().to_string_lossy()
        )) else {
            continue;
        };
        for line in info.lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("tfd:") && words.next() == Some(&fd.to_string()) {
                let events = line.split("events:").nth(1)?.split_whitespace().next()?;
                return u32::from_str_radix(events, 16).ok();
            }
        }
    }
    None
}

#[test]
#[cfg(target_os = "linux")]
fn registrations_use_edge_mode_or_the_forced_oneshot_fallback() {
    use std::os::fd::AsRawFd;
    const EPOLLONESHOT: u32 = 1 << 30;
    const EPOLLET: u32 = 1 << 31;
    run(async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let fd = std_listener.as_raw_fd();
        let _listener = TcpListener::from_std(std_listener)?;
        let flags = epoll_flags_of(fd).expect("the listener is registered with an epoll");
        if std::env::var_os("CORIO_POLL_MODE").is_some_and(|v| v == "oneshot") {
            assert_eq!(flags & (EPOLLONESHOT | EPOLLET), EPOLLONESHOT, "{flags:#x}");
        } else {
            assert_eq!(flags & (EPOLLONESHOT | EPOLLET), EPOLLET, "{flags:#x}");
        }
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn the_suite_passes_in_oneshot_mode() {
    if std::env::var_os("CORIO_POLL_MODE").is_some() {
        return; // already the child
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--skip", "the_suite_passes_in_oneshot_mode"])
        .args(["--skip", "accept_survives_emfile", "--test-threads=2"])
        .env("CORIO_POLL_MODE", "oneshot")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "oneshot run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("registrations_use_edge_mode_or_the_forced_oneshot_fallback ... ok"));
}

/// On Linux the loop waits with `epoll_wait`; the portable `Poller::wait` (every other
/// platform) gets the whole suite too.
#[test]
fn the_suite_passes_with_poller_wait() {
    if std::env::var_os("CORIO_POLL_MODE").is_some() || std::env::var_os("CORIO_REACTOR").is_some()
    {
        return; // already a child, or the whole run uses `Poller::wait`
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--skip",
            "the_suite_passes_",
            "--skip",
            "accept_survives_emfile",
        ])
        .arg("--test-threads=2")
        .env("CORIO_REACTOR", "polling")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Poller::wait run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("a_thousand_concurrent_clients_echo_correctly ... ok"),
        "{stdout}"
    );
}

const EMFILE_CHILD: &str = "CORIO_NET_EMFILE_CHILD";

/// The server half of [`accept_survives_emfile`]: runs only in the child process.
#[test]
fn accept_survives_emfile_child_server() {
    if std::env::var_os(EMFILE_CHILD).is_none() {
        return;
    }
    corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        println!("PORT {}", listener.local_addr().unwrap().port());
        io::stdout().flush().unwrap();
        let serve = async move {
            loop {
                let (stream, _) = listener
                    .accept()
                    .await
                    .expect("accept never fails on EMFILE");
                let _conn = corio::spawn(echo(stream));
            }
        };
        // The parent kills the child when it is done; this only bounds a forgotten child.
        let _ = corio::timeout(LIMIT, serve).await;
    });
}

#[test]
#[cfg(unix)]
fn accept_survives_emfile() {
    const CLIENTS: usize = 100;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 64 && exec "$0" "$@""#)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "accept_survives_emfile_child_server",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(EMFILE_CHILD, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut out = String::new();
    let port: u16 = loop {
        let mut byte = [0u8; 1];
        assert_eq!(stdout.read(&mut byte).unwrap(), 1, "child exited: {out}");
        out.push(byte[0] as char);
        if out.ends_with('\n')
            && let Some(at) = out.find("PORT ")
        {
            break out[at + 5..]
                .lines()
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap();
        }
    };
    let roundtrip = |s: &mut std::net::TcpStream, i: usize| -> io::Result<()> {
        let msg = format!("hello {i:03}");
        s.write_all(msg.as_bytes())?;
        let mut got = vec![0u8; msg.len()];
        s.read_exact(&mut got)?;
        assert_eq!(got, msg.as_bytes());
        Ok(())
    };
    // More connections than the child has descriptors: the kernel completes the handshakes
    // and queues them, and the child's accept hits EMFILE.
    let mut clients: Vec<std::net::TcpStream> = (0..CLIENTS)
        .map(|_| {
            let s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            s
        })
        .collect();
    for (i, s) in clients.iter_mut().enumerate().take(20) {
        roundtrip(s, i).unwrap();
    }
    // Free descriptors in the child: the queued connections get served.
    let rest = clients.split_off(60);
    drop(clients);
    for (i, mut s) in rest.into_iter().enumerate() {
        roundtrip(&mut s, 60 + i).unwrap();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(
        stderr.matches("retrying with back-off").count(),
        1,
        "EMFILE is logged exactly once:\n{stderr}"
    );
    assert!(stderr.contains("Too many open files"), "{stderr}");
}

#[test]
#[cfg(unix)]
fn ctrl_c_sees_sigint_and_sigterm_in_every_waiting_future() {
    for signal in ["-INT", "-TERM"] {
        run(async move {
            let first = corio::signal::ctrl_c();
            let second = corio::signal::ctrl_c();
            // Let the futures register with the loop, then signal this process.
            let pending = corio::timeout(Duration::from_millis(10), first).await;
            assert!(pending.is_err(), "no signal yet");
            let first = corio::signal::ctrl_c();
            let status = Command::new("kill")
                .args([signal, &std::process::id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            first.await.unwrap();
            second.await.unwrap();
        });
    }
    // Any number of futures may wait at once (in this test: other tests must not see the
    // signals it sends).
    run(async {
        let waiting: Vec<_> = (0..100)
            .map(|_| corio::spawn(corio::signal::ctrl_c()))
            .collect();
        corio::yield_now().await;
        let status = Command::new("kill")
            .args(["-INT", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        for task in waiting {
            task.await.unwrap().unwrap();
        }
    });
}

/// Issue 16, item 1: data and the end of stream that arrive together (one edge-triggered
/// event) must both be seen: the short read of the data must not forget that the stream also
/// ended. Each side reads with a buffer larger than what is pending.
#[test]
fn reading_after_eof_returns_zero_at_once_each_time() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let client = TcpStream::connect(listener.local_addr()?).await?;
        let (server, _) = listener.accept().await?;
        client.write_all(b"hello").await.0?;
        client.shutdown(Shutdown::Write)?;
        // Let the data and the FIN both land before the server looks.
        corio::sleep(Duration::from_millis(20)).await;
        let (n, buf) = server.read(Vec::with_capacity(64)).await;
        assert_eq!((n?, buf.as_slice()), (5, &b"hello"[..]));
        for _ in 0..3 {
            let read = corio::timeout(Duration::from_secs(2), server.read(vec![0; 64]));
            assert_eq!(read.await.expect("read after EOF hangs").0?, 0);
        }
        server.write_all(b"bye").await.0?;
        drop(server);
        corio::sleep(Duration::from_millis(20)).await;
        let (n, buf) = client.read(Vec::with_capacity(64)).await;
        assert_eq!((n?, buf.as_slice()), (3, &b"bye"[..]));
        let read = corio::timeout(Duration::from_secs(2), client.read(vec![0; 64]));
        assert_eq!(read.await.expect("EOF after the last bytes hangs").0?, 0);
        io::Result::Ok(())
    })
    .unwrap();
}

/// The same for a Unix stream pair.
#[test]
fn unix_reading_after_eof_returns_zero_at_once_each_time() {
    run(async {
        let (a, b) = UnixStream::pair()?;
        a.write_all(b"hello").await.0?;
        a.shutdown(Shutdown::Write)?;
        corio::sleep(Duration::from_millis(20)).await;
        let (n, _) = b.read(Vec::with_capacity(64)).await;
        assert_eq!(n?, 5);
        for _ in 0..3 {
            let read = corio::timeout(Duration::from_secs(2), b.read(vec![0; 64]));
            assert_eq!(read.await.expect("read after EOF hangs").0?, 0);
        }
        io::Result::Ok(())
    })
    .unwrap();
}

/// Issue 16, item 2: one task writes 1 MiB on a clone of the stream while another reads the
/// original until end of stream, against an echo server: both wait on the same socket.
#[test]
fn a_reader_and_a_writer_task_share_one_tcp_stream() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        spawn_echo_server(listener);
        let stream = TcpStream::connect(addr).await?;
        let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
        let writer = {
            let stream = stream.clone();
            let payload = payload.clone();
            corio::spawn(async move {
                stream.write_all(payload).await.0?;
                stream.shutdown(Shutdown::Write)
            })
        };
        let mut got = Vec::new();
        loop {
            let (n, buf) = stream.read(Vec::with_capacity(8192)).await;
            if n? == 0 {
                break;
            }
            got.extend_from_slice(&buf);
        }
        writer.await.unwrap()?;
        assert_eq!(got.len(), payload.len());
        assert!(got == payload, "the echo differs");
        io::Result::Ok(())
    })
    .unwrap();
}

/// The same with a Unix stream pair, the far end echoing from a thread.
#[test]
fn a_reader_and_a_writer_task_share_one_unix_stream() {
    run(async {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
        let echo = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = (&theirs).read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                (&theirs).write_all(&buf[..n]).unwrap();
            }
        });
        ours.set_nonblocking(true)?;
        let stream = UnixStream::from_std(ours)?;
        let payload: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 253) as u8).collect();
        let writer = {
            let stream = stream.clone();
            let payload = payload.clone();
            corio::spawn(async move {
                stream.write_all(payload).await.0?;
                stream.shutdown(Shutdown::Write)
            })
        };
        let mut got = Vec::new();
        loop {
            let (n, buf) = stream.read(Vec::with_capacity(8192)).await;
            if n? == 0 {
                break;
            }
            got.extend_from_slice(&buf);
        }
        writer.await.unwrap()?;
        echo.join().unwrap();
        assert!(got == payload, "the echo differs");
        io::Result::Ok(())
    })
    .unwrap();
}

/// UDP: a task waits in `recv` on a clone while another sends on the original, both on the
/// same socket, against an echo socket on a thread.
#[test]
fn a_receiver_and_a_sender_task_share_one_udp_socket() {
    run(async {
        let echo = std::net::UdpSocket::bind("127.0.0.1:0")?;
        let echo_addr = echo.local_addr()?;
        let echo_thread = std::thread::spawn(move || {
            let mut buf = [0u8; 64];
            for _ in 0..200 {
                let (n, from) = echo.recv_from(&mut buf).unwrap();
                echo.send_to(&buf[..n], from).unwrap();
            }
        });
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.connect(echo_addr).await?;
        let receiver = {
            let socket = socket.clone();
            corio::spawn(async move {
                let mut got = Vec::new();
                for _ in 0..200 {
                    let (n, buf) = socket.recv(vec![0u8; 64]).await;
                    let n = n?;
                    got.push(u32::from_le_bytes(buf[..n].try_into().unwrap()));
                }
                io::Result::Ok(got)
            })
        };
        for i in 0..200u32 {
            socket.send(i.to_le_bytes().to_vec()).await.0?;
            if i % 8 == 0 {
                corio::sleep(Duration::from_millis(1)).await;
            }
        }
        let mut got = receiver.await.unwrap()?;
        echo_thread.join().unwrap();
        got.sort_unstable();
        assert_eq!(got, (0..200).collect::<Vec<_>>());
        io::Result::Ok(())
    })
    .unwrap();
}

/// An `accept` woken by a pending connection but cancelled before it ran leaves the
/// connection for the next `accept` (the readiness stays until an accept finds none).
#[test]
fn an_accept_cancelled_after_its_wakeup_leaves_the_connection_for_the_next() {
    run(async {
        let listener = std::rc::Rc::new(TcpListener::bind("127.0.0.1:0")?);
        let addr = listener.local_addr()?;
        let first = {
            let listener = listener.clone();
            corio::spawn(async move { listener.accept().await.map(|_| ()) })
        };
        corio::yield_now().await; // `first` waits in accept
        let client = std::net::TcpStream::connect(addr)?;
        // Let the loop see the connection and wake `first` (the yield polls for I/O, since
        // main is the only ready task), then cancel it before it runs.
        std::thread::sleep(Duration::from_millis(5));
        corio::yield_now().await;
        assert!(
            !first.is_finished(),
            "`first` ran before it could be cancelled"
        );
        first.cancel();
        let (stream, peer) = corio::timeout(Duration::from_secs(5), listener.accept())
            .await
            .expect("the connection was lost with the cancelled accept")?;
        assert_eq!(peer, client.local_addr()?);
        drop(stream);
        io::Result::Ok(())
    })
    .unwrap();
}
