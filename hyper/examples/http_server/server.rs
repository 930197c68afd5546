//! The corio side: an accept loop, and one `#[corio::coroutine]` per connection, so that
//! `GET /tasks` (the task dump) shows every connection and the line it waits at. With
//! `--loops N`, every loop runs this on its own `SO_REUSEPORT` listener of the port
//! ([`bind_shared`]) and `GET /tasks` shows the tasks of all the server's loops.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use corio::Loops;
use corio::net::{TcpListener, TcpStream};
use corio_hyper::{CorioIo, CorioTimer};
use futures_rustls::TlsAcceptor;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

use crate::routes::{Body, is_tasks, route, tasks};

/// How the server serves its connections.
#[derive(Clone)]
pub(crate) struct Config {
    /// How long a client may take over a request's headers, and over its TLS handshake.
    pub(crate) header_timeout: Duration,
    /// rustls's server configuration, for HTTPS.
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// The server's loops when it runs on several (`--loops N`), for `GET /tasks`; `None`:
    /// one loop, this one.
    pub(crate) loops: Option<Loops>,
}

/// The port that loop 0 bound, for the other loops of a `--port 0` server: `Some(port)`,
/// or `None` when loop 0 failed to bind.
pub(crate) type FirstPort = OnceLock<Option<u16>>;

/// This loop's `SO_REUSEPORT` listener on `port` of 127.0.0.1. With port 0, loop 0 binds
/// first and the others bind the port it got, so that they all share one port.
pub(crate) async fn bind_shared(
    loops: &Loops,
    port: u16,
    first: &FirstPort,
) -> io::Result<TcpListener> {
    if port != 0 {
        return TcpListener::bind_reuseport(("127.0.0.1", port));
    }
    if loops.index() == 0 {
        let bound = TcpListener::bind_reuseport("127.0.0.1:0");
        let port = bound
            .as_ref()
            .ok()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port());
        let _ = first.set(port);
        return bound;
    }
    let port = loop {
        match first.get() {
            Some(port) => break *port,
            // Loop 0 binds at its first step; this wait is one or two turns.
            None => corio::sleep(Duration::from_millis(1)).await,
        }
    };
    match port {
        Some(port) => TcpListener::bind_reuseport(("127.0.0.1", port)),
        None => Err(io::Error::other("loop 0 could not bind the port")),
    }
}

/// Accepts connections forever, one task each.
pub(crate) async fn serve(listener: TcpListener, config: Config) -> io::Result<()> {
    let acceptor = config.tls.map(TlsAcceptor::from);
    let loops = config.loops;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of file descriptors, or a connection reset before it was accepted: the
            // listener is fine, so wait a moment (the fds come back as connections close).
            Err(e) => {
                eprintln!("accept: {e}");
                corio::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Responses are written whole, with one write: Nagle would only delay them.
        // A peer that already reset can make this fail; that is its connection's problem
        // (its first read says so), not the listener's.
        let _ = stream.set_nodelay(true);
        let task = match &acceptor {
            None => corio::spawn(connection(
                stream,
                peer,
                loops.clone(),
                config.header_timeout,
            )),
            Some(acceptor) => corio::spawn(tls_connection(
                stream,
                peer,
                acceptor.clone(),
                loops.clone(),
                config.header_timeout,
            )),
        };
        // A dropped task keeps running; a failed connection ends only its own task.
        drop(task);
    }
}

/// HTTP/1.1 with keep-alive, closing a client that takes longer than `header_timeout` over
/// a request's headers.
fn http1(header_timeout: Duration) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(CorioTimer)
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    builder
}

/// Answers one request; `GET /tasks` is the dump of the server's loops.
fn handle(
    req: Request<Incoming>,
    loops: &Option<Loops>,
) -> impl Future<Output = Result<Response<Body>, Infallible>> + use<> {
    // Only `/tasks` takes the loops: cloning them for every request would bounce their
    // shared reference count between the loops' cores.
    let dump = is_tasks(&req).then(|| loops.clone());
    async move {
        match dump {
            Some(loops) => Ok(tasks(dump_loops(loops).await)),
            None => Ok(route(req)),
        }
    }
}

/// [`corio::dump`] of each of the server's loops, in loop order: the same text as
/// [`corio::dump_all`] in the server's own process, but only these loops' tasks when the
/// server shares its process with other loops (as in the tests).
async fn dump_loops(loops: Option<Loops>) -> String {
    let Some(loops) = loops else {
        return corio::dump();
    };
    let mut out = String::new();
    for (index, remote) in loops.remotes().iter().enumerate() {
        if index == loops.index() {
            out.push_str(&corio::dump());
            continue;
        }
        match remote.spawn(async { corio::dump() }).await {
            Ok(text) => out.push_str(&text),
            Err(e) => out.push_str(&format!("loop {}: no answer ({e})\n", remote.id())),
        }
    }
    out
}

/// Serves one plain-text connection until the client closes it.
#[corio::coroutine]
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    loops: Option<Loops>,
    header_timeout: Duration,
) {
    let service = service_fn(move |req| handle(req, &loops));
    let conn = http1(header_timeout).serve_connection(CorioIo::new(stream), service);
    if let Err(e) = conn.await {
        report(peer, &e);
    }
}

/// Serves one HTTPS connection: the handshake (bounded like the headers), then HTTP/1.1.
#[corio::coroutine]
async fn tls_connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    loops: Option<Loops>,
    header_timeout: Duration,
) {
    let tls = match corio::timeout(header_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return eprintln!("{peer}: TLS handshake: {e}"),
        Err(_) => return eprintln!("{peer}: TLS handshake timed out"),
    };
    let service = service_fn(move |req| handle(req, &loops));
    let conn = http1(header_timeout).serve_connection(CorioIo::new(tls), service);
    if let Err(e) = conn.await {
        report(peer, &e);
    }
}

/// Logs a connection's error; a client that left (mid-request, or by resetting the
/// connection, as wrk does at its end, so that hyper's shutdown finds no peer) is not news.
fn report(peer: SocketAddr, e: &hyper::Error) {
    if !e.is_incomplete_message() && !peer_left(e) {
        eprintln!("{peer}: {e}");
    }
}

/// Whether the I/O error under `e` says the peer is gone.
fn peer_left(e: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::{BrokenPipe, ConnectionReset, NotConnected};
            return matches!(io.kind(), NotConnected | ConnectionReset | BrokenPipe);
        }
        source = err.source();
    }
    false
}
