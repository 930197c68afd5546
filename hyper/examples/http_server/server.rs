//! The corio side: an accept loop, and one `#[corio::coroutine]` per connection, so that
//! `GET /tasks` (the task dump) shows every connection and the line it waits at.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};
use corio_hyper::{CorioIo, CorioTimer};
use futures_rustls::TlsAcceptor;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};

use crate::routes::{Body, route};

/// How the server serves its connections.
#[derive(Clone)]
pub(crate) struct Config {
    /// How long a client may take over a request's headers, and over its TLS handshake.
    pub(crate) header_timeout: Duration,
    /// rustls's server configuration, for HTTPS.
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
}

/// Accepts connections forever, one task each.
pub(crate) async fn serve(listener: TcpListener, config: Config) -> io::Result<()> {
    let acceptor = config.tls.map(TlsAcceptor::from);
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
            None => corio::spawn(connection(stream, peer, config.header_timeout)),
            Some(acceptor) => corio::spawn(tls_connection(
                stream,
                peer,
                acceptor.clone(),
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

fn handle(req: Request<Incoming>) -> Ready<Result<Response<Body>, Infallible>> {
    ready(Ok(route(req, Some(corio::dump))))
}

/// Serves one plain-text connection until the client closes it.
#[corio::coroutine]
async fn connection(stream: TcpStream, peer: SocketAddr, header_timeout: Duration) {
    let conn = http1(header_timeout).serve_connection(CorioIo::new(stream), service_fn(handle));
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
    header_timeout: Duration,
) {
    let tls = match corio::timeout(header_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => return eprintln!("{peer}: TLS handshake: {e}"),
        Err(_) => return eprintln!("{peer}: TLS handshake timed out"),
    };
    let conn = http1(header_timeout).serve_connection(CorioIo::new(tls), service_fn(handle));
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
