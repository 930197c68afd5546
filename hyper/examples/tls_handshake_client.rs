//! The TLS benchmark's client: fresh HTTPS connections, each with a full handshake and one
//! `GET /`, one after another, timing each
//! (`cargo run --release --example tls_handshake_client -- --port N --cert FILE [--conns N]`).
//!
//! It is plain blocking std + rustls (no async runtime), so that it measures the server and
//! not itself: per connection, `connect`, the TLS 1.3 handshake (verifying the server's
//! certificate against `--cert`), `GET /` with the response read whole, and `close_notify`.
//! It prints `conns=N secs=S per_sec=R median_us=M p99_us=P`. `--make-cert DIR` writes a
//! self-signed `cert.pem` and `key.pem` for `localhost` into DIR instead, for the servers'
//! `--cert`/`--key`.

#[path = "http_server/tls.rs"]
#[allow(
    dead_code,
    reason = "the client uses the provider; the server half is the servers'"
)]
mod tls;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

const USAGE: &str = "usage: tls_handshake_client --port N --cert FILE [--conns N] \
                     | tls_handshake_client --make-cert DIR";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tls_handshake_client: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> io::Result<()> {
    let invalid = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    let (mut port, mut cert, mut conns, mut make_cert) = (None, None, 2000usize, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| invalid(format!("{arg} needs a value")))?;
        match arg.as_str() {
            "--port" => {
                port = Some(
                    value
                        .parse::<u16>()
                        .map_err(|e| invalid(format!("--port: {e}")))?,
                )
            }
            "--cert" => cert = Some(PathBuf::from(value)),
            "--conns" => {
                conns = value
                    .parse()
                    .map_err(|e| invalid(format!("--conns: {e}")))?
            }
            "--make-cert" => make_cert = Some(PathBuf::from(value)),
            other => return Err(invalid(format!("unknown argument {other:?}"))),
        }
    }
    if let Some(dir) = make_cert {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
            .map_err(io::Error::other)?;
        std::fs::write(dir.join("cert.pem"), certified.cert.pem())?;
        return std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem());
    }
    let port = port.ok_or_else(|| invalid("--port is required".into()))?;
    let cert = cert.ok_or_else(|| invalid("--cert is required".into()))?;

    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(&cert).map_err(io::Error::other)? {
        roots
            .add(der.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    let config = ClientConfig::builder_with_provider(Arc::new(tls::provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let config = Arc::new(config);

    let mut times = Vec::with_capacity(conns);
    let started = Instant::now();
    for _ in 0..conns {
        let t = Instant::now();
        one_request(&config, port)?;
        times.push(t.elapsed());
    }
    let secs = started.elapsed().as_secs_f64();
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "conns={conns} secs={secs:.3} per_sec={:.1} median_us={:.1} p99_us={:.1}",
        conns as f64 / secs,
        us(times[times.len() / 2]),
        us(times[times.len() * 99 / 100]),
    );
    Ok(())
}

/// One fresh connection: handshake, `GET /`, the whole response, `close_notify`.
fn one_request(config: &Arc<ClientConfig>, port: u16) -> io::Result<()> {
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    let conn = ClientConnection::new(config.clone(), name).map_err(io::Error::other)?;
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tls.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed mid-response",
            ));
        }
        response.extend_from_slice(&chunk[..n]);
        if response.ends_with(b"\r\n\r\nHello, World!") {
            break;
        }
    }
    if !response.starts_with(b"HTTP/1.1 200 OK\r\n") {
        return Err(io::Error::other(format!(
            "unexpected response {:?}",
            String::from_utf8_lossy(&response)
        )));
    }
    tls.conn.send_close_notify();
    tls.flush()
}
