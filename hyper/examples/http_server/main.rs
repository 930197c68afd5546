//! An HTTP/1.1 server on corio and hyper:
//! `cargo run --release --example http_server -- [--port N] [--tls [--cert FILE --key FILE]]`.
//!
//! It binds 127.0.0.1 (port 8080 by default; `--port 0` picks a free one), prints
//! `listening on http://ADDR` to stderr, and answers:
//!
//! * `GET /` → 200 `text/plain` `Hello, World!`
//! * `POST /echo` → 200 with the request body, streamed back (content-length or chunked, any size)
//! * `GET /tasks` → 200 `text/plain` with [`corio::dump`]: the server's own live tasks, one
//!   `#[corio::coroutine]` per connection, each at the line it waits at
//! * anything else → 404
//!
//! Connections are kept alive; a client that takes more than 10 s
//! (`--header-timeout-ms`) over a request's headers is disconnected. `--tls` serves HTTPS
//! (rustls through `futures-rustls`, on corio's `futures_io` streams) with the certificate in
//! `--cert`/`--key` (PEM), or a self-signed one for `localhost` made at start
//! (`curl -k https://127.0.0.1:8080/`). Ctrl-C or SIGTERM stops it.

mod args;
mod routes;
mod server;
mod tls;

use std::io;
use std::process::ExitCode;

use corio::net::TcpListener;

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
    };
    corio::run(async move {
        let listener = TcpListener::bind(("127.0.0.1", args.port))?;
        eprintln!("listening on {scheme}://{}", listener.local_addr()?);
        match corio::select(server::serve(listener, config), corio::signal::ctrl_c()).await {
            corio::Either::Left(res) => res,
            corio::Either::Right(res) => res,
        }
    })
}
