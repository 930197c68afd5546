//! The server's routes, shared by the corio server (`http_server`) and its peer on tokio
//! (`tokio_http_server`), so that the benchmark compares the runtimes and nothing else.

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

/// A response body: a fixed text, or the request body streamed back (`POST /echo`).
pub(crate) type Body = Either<Full<Bytes>, Incoming>;

/// `GET /hash` without `rounds=`: about 20 µs of server CPU per request, HTTP included, on
/// the 2-core machine it was tuned on (see [`hash_chain`]).
pub(crate) const DEFAULT_ROUNDS: u32 = 16;

/// The most rounds one request may ask for (about 10 ms of CPU), so that a client cannot
/// hold a loop for long with one request.
pub(crate) const MAX_ROUNDS: u32 = 8192;

/// The bytes each round of `GET /hash` hashes: 1 KiB of `i as u8`.
pub(crate) const HASH_BLOCK: usize = 1024;

/// Whether `req` is `GET /tasks`, which only the corio server answers (with its task dump,
/// which it renders asynchronously over all its loops).
#[allow(dead_code, reason = "the tokio peer has no task dump")]
pub(crate) fn is_tasks(req: &Request<Incoming>) -> bool {
    (req.method() == Method::GET || req.method() == Method::HEAD) && req.uri().path() == "/tasks"
}

/// The answer to `GET /tasks`: the task dump `text`.
#[allow(dead_code, reason = "the tokio peer has no task dump")]
pub(crate) fn tasks(text: String) -> Response<Body> {
    text_response(StatusCode::OK, Bytes::from(text))
}

/// Answers one request; `GET /tasks` is a 404 here (a runtime with a task dump answers it
/// before calling this, see [`is_tasks`]).
///
/// `HEAD` is answered wherever `GET` is, with the same status and headers (hyper leaves the
/// body out on the wire), as curl -I and HTTP itself expect. A known path asked with a
/// method it does not serve is `405 Method Not Allowed` with an `Allow` header; an unknown
/// path is `404`.
pub(crate) fn route(req: Request<Incoming>) -> Response<Body> {
    let method = if req.method() == Method::HEAD {
        &Method::GET
    } else {
        req.method()
    };
    match (method, req.uri().path()) {
        (&Method::GET, "/") => text_response(StatusCode::OK, Bytes::from_static(b"Hello, World!")),
        // The request body goes back as it arrives, chunk by chunk, whatever its size and
        // framing: hyper reads it while it writes the response (content-length in gives
        // content-length out, chunked in gives chunked out).
        (&Method::POST, "/echo") => Response::new(Either::Right(req.into_body())),
        (&Method::GET, "/hash") => match hash_rounds(req.uri().query()) {
            Ok(rounds) => {
                let hex = hash_chain(rounds);
                text_response(StatusCode::OK, Bytes::from(hex))
            }
            Err(msg) => text_response(StatusCode::BAD_REQUEST, Bytes::from(msg)),
        },
        (_, "/" | "/hash") => not_allowed("GET, HEAD"),
        (_, "/echo") => not_allowed("POST"),
        _ => text_response(StatusCode::NOT_FOUND, Bytes::from_static(b"Not Found\n")),
    }
}

/// `405 Method Not Allowed` for a known path, naming the methods it serves.
fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut res = text_response(
        StatusCode::METHOD_NOT_ALLOWED,
        Bytes::from_static(b"Method Not Allowed\n"),
    );
    res.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    res
}

/// The `rounds=N` of `GET /hash?rounds=N` ([`DEFAULT_ROUNDS`] without one), or why the
/// query is refused.
fn hash_rounds(query: Option<&str>) -> Result<u32, String> {
    let mut rounds = DEFAULT_ROUNDS;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("rounds", v)) => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_ROUNDS).contains(&n) => rounds = n,
                _ => return Err(format!("rounds must be 1 to {MAX_ROUNDS}, not {v:?}\n")),
            },
            _ => return Err(format!("unknown query parameter {pair:?} (try rounds=N)\n")),
        }
    }
    Ok(rounds)
}

/// The CPU route's work: SHA-256, chained `rounds` times over a 1 KiB block
/// (`d = sha256(d ‖ block)`, starting from 32 zero bytes), as lowercase hex. Real hashing
/// that the compiler cannot skip, costing CPU in proportion to `rounds`. Measured as the
/// server's processor time per request (`/proc/PID/stat`) under wrk, one loop: 3.7 µs for
/// `GET /`, 7.5 µs for rounds=1, 20.6 µs for rounds=16, 34.3 µs for rounds=32 (about
/// 0.86 µs a round); `benches/loops-http.sh` prints it for every run.
pub(crate) fn hash_chain(rounds: u32) -> String {
    let block: Vec<u8> = (0..HASH_BLOCK).map(|i| i as u8).collect();
    let mut digest = [0u8; 32];
    for _ in 0..rounds {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&digest);
        ctx.update(&block);
        digest.copy_from_slice(ctx.finish().as_ref());
    }
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn text_response(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut res = Response::new(Either::Left(Full::new(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
