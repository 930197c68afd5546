//! `examples/http_server` against real clients: hyper's own HTTP/1.1 client running on corio
//! through corio-hyper (with rustls through futures-rustls for HTTPS), and raw sockets that
//! write and read exact bytes, so that framing is checked by something other than hyper.
//!
//! Each test starts its own server (the example's own modules, on 127.0.0.1 port 0, on a
//! thread with its own loop, as the binary runs it) and bounds its client side in time.

#[path = "../examples/http_server/args.rs"]
mod args;
#[path = "../examples/http_server/routes.rs"]
mod routes;
#[path = "../examples/http_server/server.rs"]
mod server;
#[path = "../examples/http_server/tls.rs"]
mod tls;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corio::net::{TcpListener, TcpStream};
use corio_hyper::CorioIo;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::{Method, Request, Response, StatusCode};
use rustls::pki_types::{CertificateDer, ServerName};

type ReqBody = UnsyncBoxBody<Bytes, Infallible>;

/// Starts the server on its own thread and loop; returns where it listens.
fn start(header_timeout: Duration, tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        corio::run(async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let config = server::Config {
                header_timeout,
                tls,
                loops: None,
            };
            server::serve(listener, config).await
        })
    });
    rx.recv().expect("the server thread failed to start")
}

/// Starts the server on `n` loops, as `http_server --loops N --port 0` runs it: one thread
/// each, every loop with its own `SO_REUSEPORT` listener of one port; returns where it
/// listens.
fn start_loops(n: usize) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let first = server::FirstPort::new();
        let rt = corio::Runtime::builder().loops(n).build();
        rt.run_loops(|loops| {
            let (tx, first) = (tx.clone(), &first);
            async move {
                let listener = server::bind_shared(&loops, 0, first).await.unwrap();
                // Every loop says it listens: the test starts once all of them do.
                tx.send(listener.local_addr().unwrap()).unwrap();
                let config = server::Config {
                    header_timeout: Duration::from_secs(10),
                    tls: None,
                    loops: Some(loops),
                };
                server::serve(listener, config).await
            }
        })
    });
    let addrs: Vec<SocketAddr> = (0..n)
        .map(|_| rx.recv().expect("a server loop failed to start"))
        .collect();
    assert!(addrs.iter().all(|a| *a == addrs[0]), "one port: {addrs:?}");
    addrs[0]
}

fn start_plain() -> SocketAddr {
    start(Duration::from_secs(10), None)
}

/// Runs a client on a loop of its own, giving up after 20 s.
fn client<F: Future + 'static>(fut: F) -> F::Output {
    corio::run(async move {
        corio::timeout(Duration::from_secs(20), fut)
            .await
            .expect("the client took over 20 s")
    })
}

/// A hyper HTTP/1.1 client connection on corio.
async fn connect(addr: SocketAddr) -> SendRequest<ReqBody> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = http1::handshake(CorioIo::new(stream)).await.unwrap();
    drop(corio::spawn(conn));
    sender
}

fn request(method: Method, path: &str, body: ReqBody) -> Request<ReqBody> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .body(body)
        .unwrap()
}

fn empty() -> ReqBody {
    Full::new(Bytes::new()).boxed_unsync()
}

fn full(bytes: impl Into<Bytes>) -> ReqBody {
    Full::new(bytes.into()).boxed_unsync()
}

/// A body of several chunks and no length: hyper sends it with chunked transfer encoding.
struct Chunks(VecDeque<Bytes>);

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default() // unknown
    }
}

async fn send(sender: &mut SendRequest<ReqBody>, req: Request<ReqBody>) -> (Response<()>, Bytes) {
    sender.ready().await.unwrap();
    let res = sender.send_request(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (Response::from_parts(parts, ()), body)
}

fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn get_root_says_hello_as_plain_text() {
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        let (res, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body, "Hello, World!");
        let content_type = res.headers()[CONTENT_TYPE].to_str().unwrap();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert_eq!(res.headers()[CONTENT_LENGTH], "13");
    });
}

#[test]
fn echo_returns_a_content_length_body_of_any_size() {
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        for len in [0, 1, 13, 64 * 1024 + 1, 3 * 1024 * 1024 + 7] {
            let sent = pseudo_random(len, len as u64);
            let (res, body) = send(
                &mut sender,
                request(Method::POST, "/echo", full(sent.clone())),
            )
            .await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()[CONTENT_LENGTH], len.to_string().as_str());
            assert_eq!(body.len(), len);
            assert!(body == sent, "{len} bytes echoed differently");
        }
    });
}

#[test]
fn echo_returns_a_chunked_body_chunked() {
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        let chunks: VecDeque<Bytes> = (0..40)
            .map(|i| Bytes::from(pseudo_random(1 + i * 997, i as u64)))
            .collect();
        let sent: Vec<u8> = chunks.iter().flatten().copied().collect();
        let body = Chunks(chunks).boxed_unsync();
        let (res, body) = send(&mut sender, request(Method::POST, "/echo", body)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[TRANSFER_ENCODING], "chunked");
        assert!(!res.headers().contains_key(CONTENT_LENGTH));
        assert!(body == sent, "chunked body echoed differently");
    });
}

/// The same, in bytes written by hand: a chunked request, and the chunked response decoded
/// without hyper.
#[test]
fn chunked_echo_on_the_wire() {
    let addr = start_plain();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n",
        )
        .unwrap();
    let response = read_response(&mut stream);
    assert!(
        response.head.starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        response.head
    );
    assert!(
        response
            .head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
    );
    assert_eq!(response.body, b"Hello, World!");
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        for (method, path, status, allow) in [
            (Method::GET, "/nope", StatusCode::NOT_FOUND, None),
            (Method::DELETE, "/tasks", StatusCode::NOT_FOUND, None),
            (Method::GET, "/tasks/", StatusCode::NOT_FOUND, None),
            (
                Method::GET,
                "/echo",
                StatusCode::METHOD_NOT_ALLOWED,
                Some("POST"),
            ),
            (
                Method::PUT,
                "/echo",
                StatusCode::METHOD_NOT_ALLOWED,
                Some("POST"),
            ),
            (
                Method::POST,
                "/",
                StatusCode::METHOD_NOT_ALLOWED,
                Some("GET, HEAD"),
            ),
            (
                Method::DELETE,
                "/hash",
                StatusCode::METHOD_NOT_ALLOWED,
                Some("GET, HEAD"),
            ),
        ] {
            let (res, _) = send(&mut sender, request(method.clone(), path, empty())).await;
            assert_eq!(res.status(), status, "{method} {path}");
            let got = res.headers().get("allow").map(|v| v.to_str().unwrap());
            assert_eq!(got, allow, "{method} {path}");
        }
        // and the connection is still good afterwards
        let (res, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(
            (res.status(), &body[..]),
            (StatusCode::OK, &b"Hello, World!"[..])
        );
    });
}

/// `curl -I`: HEAD answers where GET does, with GET's status and headers and no body, and
/// the connection stays usable (a body sent after a HEAD answer would desync it).
#[test]
fn head_is_get_without_the_body() {
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        for path in ["/", "/hash?rounds=1", "/tasks"] {
            let (get, _) = send(&mut sender, request(Method::GET, path, empty())).await;
            let (head, body) = send(&mut sender, request(Method::HEAD, path, empty())).await;
            assert_eq!(head.status(), StatusCode::OK, "HEAD {path}");
            assert_eq!(
                head.headers().get(CONTENT_TYPE),
                get.headers().get(CONTENT_TYPE),
                "HEAD {path}"
            );
            assert!(body.is_empty(), "HEAD {path} sent a body");
        }
        let (res, _) = send(&mut sender, request(Method::HEAD, "/nope", empty())).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let (res, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(
            (res.status(), &body[..]),
            (StatusCode::OK, &b"Hello, World!"[..])
        );
    });
}

/// `GET /tasks` is the server's own task dump: the connection asking for it is there, as a
/// `#[corio::coroutine]` awaiting hyper, and so is an idle keep-alive connection.
#[test]
fn tasks_shows_the_live_connections() {
    let addr = start_plain();
    client(async move {
        let mut idle = connect(addr).await;
        send(&mut idle, request(Method::GET, "/", empty())).await;
        let mut sender = connect(addr).await;
        let (res, body) = send(&mut sender, request(Method::GET, "/tasks", empty())).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let dump = std::str::from_utf8(&body).unwrap();
        assert_eq!(dump.matches("server::connection at ").count(), 1, "{dump}");
        assert!(dump.contains("`conn.await`, waiting on readable"), "{dump}");
        assert_eq!(dump.matches(" running, spawned at ").count(), 1, "{dump}");
        assert!(dump.contains(" tasks\n"), "{dump}");
    });
}

/// Many requests over one connection, each answered in turn, and the server kept one task
/// for it.
#[test]
fn keep_alive_serves_many_requests_on_one_connection() {
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        for i in 0..50u32 {
            let (res, body) = match i % 3 {
                0 => send(&mut sender, request(Method::GET, "/", empty())).await,
                1 => {
                    send(
                        &mut sender,
                        request(Method::POST, "/echo", full(i.to_string())),
                    )
                    .await
                }
                _ => send(&mut sender, request(Method::GET, "/missing", empty())).await,
            };
            match i % 3 {
                0 => assert_eq!(body, "Hello, World!"),
                1 => assert_eq!(body, i.to_string()),
                _ => assert_eq!(res.status(), StatusCode::NOT_FOUND),
            }
            assert!(res.headers().get("connection").is_none_or(|v| v != "close"));
        }
        let (_, body) = send(&mut sender, request(Method::GET, "/tasks", empty())).await;
        let dump = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            dump.contains(": 2 tasks\n"),
            "one connection task beside the accept loop: {dump}"
        );
    });
}

/// Pipelined requests written in one go are answered in order on the same socket, and it
/// stays open for more.
#[test]
fn pipelined_requests_on_the_wire() {
    let addr = start_plain();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nping\
              GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    let first = read_response(&mut stream);
    assert!(first.head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(first.body, b"Hello, World!");
    let second = read_response(&mut stream);
    assert!(second.head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(second.body, b"ping");
    let third = read_response(&mut stream);
    assert!(
        third.head.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{}",
        third.head
    );
    std::thread::sleep(Duration::from_millis(50));
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut stream).body, b"Hello, World!");
}

/// A client that never finishes its headers is disconnected after the header timeout, and a
/// client that comes meanwhile is served at once.
#[test]
fn slow_headers_time_out_without_disturbing_others() {
    let timeout = Duration::from_millis(1000);
    let addr = start(timeout, None);
    let started = Instant::now();
    let mut slow = std::net::TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();

    let served_at = client(async move {
        let mut sender = connect(addr).await;
        let (_, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(body, "Hello, World!");
        started.elapsed()
    });
    assert!(served_at < timeout, "the other client waited {served_at:?}");
    assert_still_open(&slow);

    // The server closes the slow connection (a reset is a close too), without a response.
    let mut rest = Vec::new();
    match slow.read_to_end(&mut rest) {
        Ok(_) => assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest)),
        Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}"),
    }
    let closed_at = started.elapsed();
    assert!(
        closed_at >= timeout,
        "closed after {closed_at:?}, before the timeout"
    );
    assert!(
        closed_at < timeout + Duration::from_secs(5),
        "closed after {closed_at:?}"
    );
}

/// The server has not closed `stream` yet (a read would block).
fn assert_still_open(stream: &std::net::TcpStream) {
    stream.set_nonblocking(true).unwrap();
    let e = (&*stream)
        .read(&mut [0u8; 16])
        .expect_err("the server answered or closed already");
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "{e}");
    stream.set_nonblocking(false).unwrap();
}

// --- HTTPS -------------------------------------------------------------------------------

fn tls_server(header_timeout: Duration) -> (SocketAddr, CertificateDer<'static>) {
    let identity = tls::self_signed().unwrap();
    let cert = identity.chain[0].clone();
    let config = tls::server_config(identity).unwrap();
    (start(header_timeout, Some(config)), cert)
}

fn tls_connector(cert: CertificateDer<'static>) -> futures_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(tls::provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    futures_rustls::TlsConnector::from(Arc::new(config))
}

async fn connect_tls(addr: SocketAddr, cert: CertificateDer<'static>) -> SendRequest<ReqBody> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = tls_connector(cert).connect(name, stream).await.unwrap();
    assert_eq!(
        tls.get_ref().1.alpn_protocol(),
        None,
        "the client offered no ALPN"
    );
    let (sender, conn) = http1::handshake(CorioIo::new(tls)).await.unwrap();
    drop(corio::spawn(conn));
    sender
}

/// A client that offers ALPN (`curl --http1.1` offers `http/1.1`, `curl --http1.0` only
/// `http/1.0`) gets the protocol it asked for and its answer; before, `http/1.0` alone made
/// the handshake fail with `no_application_protocol`.
#[test]
fn https_negotiates_the_alpn_protocol_the_client_offers() {
    let (addr, cert) = tls_server(Duration::from_secs(10));
    client(async move {
        for (alpn, version) in [
            (&b"http/1.1"[..], hyper::Version::HTTP_11),
            (&b"http/1.0"[..], hyper::Version::HTTP_10),
        ] {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(cert.clone()).unwrap();
            let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(tls::provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![alpn.to_vec()];
            let stream = TcpStream::connect(addr).await.unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let tls = futures_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, stream)
                .await
                .expect("the handshake succeeds");
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn));
            let (mut sender, conn) = http1::handshake(CorioIo::new(tls)).await.unwrap();
            drop(corio::spawn(conn));
            let mut req = request(Method::GET, "/", empty());
            *req.version_mut() = version;
            let (res, body) = send(&mut sender, req).await;
            assert_eq!(
                (res.status(), res.version(), &body[..]),
                (StatusCode::OK, version, &b"Hello, World!"[..])
            );
        }
    });
}

#[test]
fn https_serves_every_route() {
    let (addr, cert) = tls_server(Duration::from_secs(10));
    client(async move {
        // The dump cannot show the task that is running it: this one shows up idle.
        let mut idle = connect_tls(addr, cert.clone()).await;
        send(&mut idle, request(Method::GET, "/", empty())).await;
        let mut sender = connect_tls(addr, cert).await;
        let (res, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(
            (res.status(), &body[..]),
            (StatusCode::OK, &b"Hello, World!"[..])
        );

        let sent = pseudo_random(1024 * 1024 + 3, 9);
        let (res, body) = send(
            &mut sender,
            request(Method::POST, "/echo", full(sent.clone())),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(body == sent, "TLS echo differs");

        let chunks: VecDeque<Bytes> = (0..10).map(|i| Bytes::from(vec![i as u8; 5000])).collect();
        let sent: Vec<u8> = chunks.iter().flatten().copied().collect();
        let (res, body) = send(
            &mut sender,
            request(Method::POST, "/echo", Chunks(chunks).boxed_unsync()),
        )
        .await;
        assert_eq!(res.headers()[TRANSFER_ENCODING], "chunked");
        assert!(body == sent, "TLS chunked echo differs");

        let (res, body) = send(&mut sender, request(Method::GET, "/tasks", empty())).await;
        assert_eq!(res.status(), StatusCode::OK);
        let dump = std::str::from_utf8(&body).unwrap();
        assert_eq!(
            dump.matches("server::tls_connection at ").count(),
            1,
            "{dump}"
        );
        assert!(dump.contains("`conn.await`, waiting on readable"), "{dump}");

        let (res, _) = send(&mut sender, request(Method::GET, "/nope", empty())).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    });
}

/// A client that opens a TCP connection and never starts its TLS handshake is closed after
/// the header timeout; one that does meanwhile is served.
#[test]
fn https_stalled_handshake_times_out() {
    let timeout = Duration::from_millis(1000);
    let (addr, cert) = tls_server(timeout);
    let started = Instant::now();
    let mut stalled = std::net::TcpStream::connect(addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let served_at = client(async move {
        let mut sender = connect_tls(addr, cert).await;
        let (_, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(body, "Hello, World!");
        started.elapsed()
    });
    assert!(served_at < timeout, "the other client waited {served_at:?}");
    assert_still_open(&stalled);
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    let closed_at = started.elapsed();
    assert!(rest.is_empty());
    assert!(closed_at >= timeout, "closed after {closed_at:?}");
    assert!(
        closed_at < timeout + Duration::from_secs(5),
        "closed after {closed_at:?}"
    );
}

/// `--cert`/`--key` PEM files: the server presents that certificate; files that are not PEM
/// are a clear error naming the file.
#[test]
fn https_with_certificate_files() {
    let dir = std::env::temp_dir().join(format!("corio-hyper-pem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, certified.cert.pem()).unwrap();
    std::fs::write(&key_path, certified.signing_key.serialize_pem()).unwrap();

    let identity = tls::from_pem_files(&cert_path, &key_path).unwrap();
    let addr = start(
        Duration::from_secs(10),
        Some(tls::server_config(identity).unwrap()),
    );
    let cert = certified.cert.der().clone();
    client(async move {
        let mut sender = connect_tls(addr, cert).await;
        let (_, body) = send(&mut sender, request(Method::GET, "/", empty())).await;
        assert_eq!(body, "Hello, World!");
    });

    let e = tls::from_pem_files(&key_path, &key_path)
        .err()
        .expect("a key is not a certificate");
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(e.to_string().contains("key.pem"), "{e}");
    let e = tls::from_pem_files(&cert_path, &dir.join("missing.pem"))
        .err()
        .unwrap();
    assert!(e.to_string().contains("missing.pem"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `GET /tasks`'s text cut into its loops' parts: `(loop header, the part)`.
fn loop_parts(dump: &str) -> Vec<(&str, &str)> {
    let starts: Vec<usize> = dump
        .match_indices("loop ")
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || dump.as_bytes()[i - 1] == b'\n')
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &at)| {
            let end = starts.get(k + 1).copied().unwrap_or(dump.len());
            let part = &dump[at..end];
            (part.lines().next().unwrap(), part)
        })
        .collect()
}

/// Two loops serve one port (`--loops 2`): many connections from a user's HTTP client are all
/// answered, the kernel gives some to each loop, and `GET /tasks` shows every loop with the
/// connections it serves.
#[test]
fn two_loops_serve_one_port() {
    const CONNS: usize = 40;
    let addr = start_loops(2);
    client(async move {
        let mut senders = Vec::new();
        for i in 0..CONNS {
            let mut sender = connect(addr).await;
            let path = if i % 2 == 0 { "/" } else { "/hash?rounds=1" };
            let (res, body) = send(&mut sender, request(Method::GET, path, empty())).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert!(!body.is_empty());
            senders.push(sender); // kept open: each is a live connection task
        }
        let (res, body) = send(&mut senders[0], request(Method::GET, "/tasks", empty())).await;
        assert_eq!(res.status(), StatusCode::OK);
        let dump = std::str::from_utf8(&body).unwrap();
        let parts = loop_parts(dump);
        assert_eq!(parts.len(), 2, "one part per loop of the server: {dump}");
        assert_ne!(parts[0].0, parts[1].0, "{dump}");
        // Every connection but the asking one waits on its socket, in its coroutine.
        let waiting = "`conn.await`, waiting on readable";
        let per_loop: Vec<usize> = parts
            .iter()
            .map(|(_, p)| p.matches(waiting).count())
            .collect();
        assert_eq!(per_loop.iter().sum::<usize>(), CONNS - 1, "{dump}");
        // 40 connections from distinct ports: the kernel's hash puts some on each
        // listener (all on one: probability 2^-39).
        assert!(per_loop.iter().all(|&n| n > 0), "{per_loop:?}: {dump}");
        // Running: the connection asking, on its loop, and the task that renders the
        // other loop's part, on that loop.
        for (_, part) in &parts {
            assert_eq!(part.matches(" running, spawned at ").count(), 1, "{dump}");
        }
        // Each part counts its tasks: its loop's main future, its connections and the
        // running one; 40 connections in all.
        let total: usize = parts
            .iter()
            .map(|(head, _)| {
                let n = head.split(": ").nth(1).unwrap().trim_end_matches(" tasks");
                n.parse::<usize>().unwrap() - 1
            })
            .sum();
        assert_eq!(total, CONNS + 1, "{dump}");
    });
}

/// `GET /hash?rounds=N`: SHA-256 chained N times over a 1 KiB block, checked against values
/// from Python's `hashlib` (`d = sha256(d + bytes(i % 256 for i in range(1024)))` N times
/// from 32 zero bytes); bad queries are a 400 that says why.
#[test]
fn hash_route_is_a_real_sha256_chain() {
    const ONE: &str = "620939918b3f7487014fb3af53f0d03cb3062ca162175ae6e54049b63a8de8d2";
    const THREE: &str = "446fc0300f7f03044ee03ea5a308c75da02ad055489e950465c6ea18878540d7";
    const SIXTEEN: &str = "8b3c6f2245527ce5ff5c3119a181f7c580d9262cab098229ca44f2950c4bb4ff";
    let addr = start_plain();
    client(async move {
        let mut sender = connect(addr).await;
        for (path, want) in [
            ("/hash?rounds=1", ONE),
            ("/hash?rounds=3", THREE),
            ("/hash?rounds=16", SIXTEEN),
            ("/hash", SIXTEEN), // the default
        ] {
            let (res, body) = send(&mut sender, request(Method::GET, path, empty())).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(body, want, "{path}");
        }
        for (path, says) in [
            ("/hash?rounds=0", "rounds must be 1 to 8192"),
            ("/hash?rounds=8193", "rounds must be 1 to 8192"),
            ("/hash?rounds=ten", "\"ten\""),
            ("/hash?size=3", "unknown query parameter \"size=3\""),
        ] {
            let (res, body) = send(&mut sender, request(Method::GET, path, empty())).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
            let text = std::str::from_utf8(&body).unwrap();
            assert!(text.contains(says), "{path}: {text}");
        }
    });
}

#[test]
fn command_line_options() {
    let parse = |line: &str| args::parse(line.split_whitespace().map(String::from));
    let defaults = parse("").unwrap();
    assert_eq!((defaults.port, defaults.tls), (8080, false));
    assert_eq!(defaults.header_timeout, Duration::from_secs(10));
    let all = parse("--port 0 --tls --cert c.pem --key k.pem --header-timeout-ms 250").unwrap();
    assert_eq!((all.port, all.tls), (0, true));
    assert_eq!(all.cert.as_deref(), Some(std::path::Path::new("c.pem")));
    assert_eq!(all.header_timeout, Duration::from_millis(250));
    assert_eq!(defaults.loops, None);
    assert_eq!(parse("--loops 2").unwrap().loops, Some(2));
    for (line, says) in [
        ("--port", "--port needs a value"),
        ("--port 70000", "--port \"70000\""),
        ("--tls --cert c.pem", "--cert and --key go together"),
        ("--cert c.pem --key k.pem", "need --tls"),
        ("--verbose", "unknown argument \"--verbose\""),
        ("--loops 0", "at least one loop"),
        ("--loops two", "--loops \"two\""),
    ] {
        let e = parse(line)
            .err()
            .unwrap_or_else(|| panic!("{line:?} was accepted"));
        assert!(e.contains(says), "{line:?}: {e}");
    }
}

// --- a raw HTTP/1.1 response reader, independent of hyper ---------------------------------

struct RawResponse {
    head: String,
    body: Vec<u8>,
}

fn read_until(stream: &mut std::net::TcpStream, buf: &mut Vec<u8>, pat: &[u8]) -> usize {
    loop {
        if let Some(at) = buf.windows(pat.len()).position(|w| w == pat) {
            return at;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).expect("read");
        assert!(n > 0, "the server closed the connection mid-response");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn read_exact_into(stream: &mut std::net::TcpStream, buf: &mut Vec<u8>, len: usize) {
    while buf.len() < len {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).expect("read");
        assert!(n > 0, "the server closed the connection mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
}

thread_local! {
    /// Bytes read past the end of the previous response on this thread.
    static LEFTOVER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads one response (content-length or chunked) and keeps what follows for the next one.
fn read_response(stream: &mut std::net::TcpStream) -> RawResponse {
    let mut buf = LEFTOVER.take();
    let end = read_until(stream, &mut buf, b"\r\n\r\n");
    let head = String::from_utf8(buf[..end + 2].to_vec()).unwrap();
    buf.drain(..end + 4);
    let lower = head.to_ascii_lowercase();
    let mut body = Vec::new();
    if lower.contains("transfer-encoding: chunked") {
        loop {
            let line_end = read_until(stream, &mut buf, b"\r\n");
            let size_line = std::str::from_utf8(&buf[..line_end]).unwrap();
            let size = usize::from_str_radix(size_line.split(';').next().unwrap().trim(), 16)
                .unwrap_or_else(|e| panic!("chunk size {size_line:?}: {e}"));
            buf.drain(..line_end + 2);
            read_exact_into(stream, &mut buf, size + 2);
            assert_eq!(&buf[size..size + 2], b"\r\n", "chunk not followed by CRLF");
            body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
    } else {
        let len: usize = lower
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        read_exact_into(stream, &mut buf, len);
        body = buf.drain(..len).collect();
    }
    LEFTOVER.set(buf);
    RawResponse { head, body }
}
