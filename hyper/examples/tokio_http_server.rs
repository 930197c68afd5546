//! The benchmark's peer: `http_server`'s routes on hyper + tokio's current_thread runtime
//! (`cargo run --release --example tokio_http_server -- [--port N] [--tls] [--loops N]`);
//! `--loops N` runs tokio's multi-thread runtime with N worker threads instead (one
//! listener, connections spread over the workers by tokio's work stealing), the peer of
//! `http_server --loops N`.
//!
//! Everything but the runtime is shared with `http_server` (routes, options, TLS setup with
//! rustls on *ring*, hyper's HTTP/1.1 settings): tokio's TCP listener and streams through
//! hyper-util's `TokioIo` and `TokioTimer`, one `tokio::spawn`ed task per connection, and TLS
//! through tokio-rustls. `GET /tasks` is a 404 here: tokio has no task dump to show.

#[path = "http_server/args.rs"]
mod args;
#[path = "http_server/routes.rs"]
mod routes;
#[path = "http_server/tls.rs"]
mod tls;

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("tokio_http_server: {msg}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio_http_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: args::Args) -> io::Result<()> {
    let acceptor = if args.tls {
        let identity = match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => tls::from_pem_files(cert, key)?,
            _ => tls::self_signed()?,
        };
        Some(TlsAcceptor::from(tls::server_config(identity)?))
    } else {
        None
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let runtime = match args.loops {
        None => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        Some(workers) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()?,
    };
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
        eprintln!("listening on {scheme}://{}", listener.local_addr()?);
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            // A peer that already reset can make this fail; that is its connection's problem
            // (its first read says so), not the listener's.
            let _ = stream.set_nodelay(true);
            tokio::spawn(connection(
                stream,
                peer,
                acceptor.clone(),
                args.header_timeout,
            ));
        }
    })
}

fn http1(header_timeout: Duration) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    builder
}

fn handle(req: Request<Incoming>) -> Ready<Result<Response<routes::Body>, Infallible>> {
    ready(Ok(routes::route(req)))
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    header_timeout: Duration,
) {
    let result = match acceptor {
        None => {
            http1(header_timeout)
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await
        }
        Some(acceptor) => {
            let tls = match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return eprintln!("{peer}: TLS handshake: {e}"),
                Err(_) => return eprintln!("{peer}: TLS handshake timed out"),
            };
            http1(header_timeout)
                .serve_connection(TokioIo::new(tls), service_fn(handle))
                .await
        }
    };
    if let Err(e) = result
        && !e.is_incomplete_message()
    {
        eprintln!("{peer}: {e}");
    }
}
