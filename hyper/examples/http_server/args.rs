//! Command-line options, shared by the corio server and its tokio peer.

use std::path::PathBuf;
use std::time::Duration;

/// What the command line asks for.
#[derive(Debug)]
pub(crate) struct Args {
    /// The port to bind on 127.0.0.1 (0: any free port).
    pub(crate) port: u16,
    /// Serve HTTPS.
    pub(crate) tls: bool,
    /// PEM files for the certificate chain and its key; a self-signed pair is made without.
    pub(crate) cert: Option<PathBuf>,
    pub(crate) key: Option<PathBuf>,
    /// How long a client may take to send a request's headers (and, with TLS, its handshake).
    pub(crate) header_timeout: Duration,
    /// `--loops N`: serve on N corio loops, one per thread, each accepting on its own
    /// `SO_REUSEPORT` listener of the port (the tokio peer reads it as N worker threads of
    /// tokio's multi-thread runtime). `None`: one loop (current_thread) on the main thread.
    pub(crate) loops: Option<usize>,
}

pub(crate) const USAGE: &str = "usage: http_server [--port N] [--tls [--cert FILE --key FILE]] \
                                [--header-timeout-ms MS] [--loops N]";

/// Parses `args` (without the program name).
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 8080,
        tls: false,
        cert: None,
        key: None,
        header_timeout: Duration::from_secs(10),
        loops: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => {
                let v = value("--port")?;
                parsed.port = v.parse().map_err(|e| format!("--port {v:?}: {e}"))?;
            }
            "--tls" => parsed.tls = true,
            "--cert" => parsed.cert = Some(value("--cert")?.into()),
            "--key" => parsed.key = Some(value("--key")?.into()),
            "--header-timeout-ms" => {
                let v = value("--header-timeout-ms")?;
                let ms: u64 = v
                    .parse()
                    .map_err(|e| format!("--header-timeout-ms {v:?}: {e}"))?;
                parsed.header_timeout = Duration::from_millis(ms);
            }
            "--loops" => {
                let v = value("--loops")?;
                match v.parse::<usize>() {
                    Ok(0) => return Err(format!("--loops {v:?}: at least one loop")),
                    Ok(n) => parsed.loops = Some(n),
                    Err(e) => return Err(format!("--loops {v:?}: {e}")),
                }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if parsed.cert.is_some() != parsed.key.is_some() {
        return Err("--cert and --key go together".to_string());
    }
    if parsed.cert.is_some() && !parsed.tls {
        return Err("--cert and --key need --tls".to_string());
    }
    Ok(parsed)
}
