//! The server's routes, shared by the corio server (`http_server`) and its peer on tokio
//! (`tokio_http_server`), so that the benchmark compares the runtimes and nothing else.

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

/// A response body: a fixed text, or the request body streamed back (`POST /echo`).
pub(crate) type Body = Either<Full<Bytes>, Incoming>;

/// Answers one request. `dump` renders `GET /tasks`; a runtime without a task dump passes
/// `None`, and the route is then a 404 like any unknown path.
pub(crate) fn route(req: Request<Incoming>, dump: Option<fn() -> String>) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => text(StatusCode::OK, Bytes::from_static(b"Hello, World!")),
        // The request body goes back as it arrives, chunk by chunk, whatever its size and
        // framing: hyper reads it while it writes the response (content-length in gives
        // content-length out, chunked in gives chunked out).
        (&Method::POST, "/echo") => Response::new(Either::Right(req.into_body())),
        (&Method::GET, "/tasks") if dump.is_some() => text(
            StatusCode::OK,
            Bytes::from(dump.map_or_else(String::new, |dump| dump())),
        ),
        _ => text(StatusCode::NOT_FOUND, Bytes::from_static(b"Not Found\n")),
    }
}

fn text(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut res = Response::new(Either::Left(Full::new(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}
