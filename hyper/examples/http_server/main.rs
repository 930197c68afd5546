//! An HTTP/1.1 server on corio and hyper:
//! `cargo run --release --example http_server -- [--port N] [--tls [--cert FILE --key FILE]]
//! [--loops N]`.
//!
//! It binds 127.0.0.1 (port 8080 by default; `--port 0` picks a free one), prints
//! `listening on http://ADDR` to stderr, and answers:
//!
//! * `GET /` → 200 `text/plain` `Hello, World!`
//! * `POST /echo` → 200 with the request body, streamed back (content-length or chunked, any size)
//! * `GET /hash?rounds=N` → 200 `text/plain` with the hex SHA-256 chained N times over a
//!   1 KiB block (default 16, about 20 µs of CPU; at most 8192): the CPU-bound route of the
//!   multi-loop benchmark (`benches/loops-http.sh`); a bad `rounds` is a 400
//! * `GET /tasks` → 200 `text/plain` with [`corio::dump`] of each of the server's loops: its
//!   live tasks, one `#[corio::coroutine]` per connection, each at the line it waits at
//! * anything else → 404
//!
//! Connections are kept alive; a client that takes more than 10 s
//! (`--header-timeout-ms`) over a request's headers is disconnected. `--tls` serves HTTPS
//! (rustls through `futures-rustls`, on corio's `futures_io` streams) with the certificate in
//! `--cert`/`--key` (PEM), or a self-signed one for `localhost` made at start
//! (`curl -k https://127.0.0.1:8080/`). Ctrl-C or SIGTERM stops it.
//!
//! `--loops N` serves on N corio loops, one per thread (thread-per-core): each loop binds the
//! port with `SO_REUSEPORT` and serves the connections the kernel gives its listener, start
//! to end; without it, one loop on the main thread.

mod args;
mod routes;
mod server;
mod tls;

use std::io;
use std::process::ExitCode;

use corio::net::TcpListener;

use crate::server::FirstPort;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(msg) => {
            eprintln!("http_server: {msg}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: args::Args) -> io::Result<()> {
    let tls = if args.tls {
        let identity = match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => tls::from_pem_files(cert, key)?,
            _ => tls::self_signed()?,
        };
        Some(tls::server_config(identity)?)
    } else {
        None
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let config = server::Config {
        header_timeout: args.header_timeout,
        tls,
        loops: None,
    };
    let Some(n) = args.loops else {
        return corio::run(async move {
            let listener = TcpListener::bind(("127.0.0.1", args.port))?;
            eprintln!("listening on {scheme}://{}", listener.local_addr()?);
            until_signal(listener, config).await
        });
    };
    let first = FirstPort::new();
    let rt = corio::Runtime::builder().loops(n).build();
    rt.run_loops(|loops| {
        let config = server::Config {
            loops: Some(loops.clone()),
            ..config.clone()
        };
        let first = &first;
        async move {
            let listener = server::bind_shared(&loops, args.port, first).await?;
            if loops.index() == 0 {
                let addr = listener.local_addr()?;
                eprintln!("listening on {scheme}://{addr} with {} loops", loops.len());
            }
            until_signal(listener, config).await
        }
    })
    .into_iter()
    .collect()
}

/// Serves `listener` until Ctrl-C or SIGTERM.
async fn until_signal(listener: TcpListener, config: server::Config) -> io::Result<()> {
    match corio::select(server::serve(listener, config), corio::signal::ctrl_c()).await {
        corio::Either::Left(res) => res,
        corio::Either::Right(res) => res,
    }
}
