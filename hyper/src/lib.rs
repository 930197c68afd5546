//! # corio-hyper
//!
//! [hyper] 1 on corio's single-threaded event loop. hyper brings no runtime of its own: it
//! asks for three things, and this crate gives corio's:
//!
//! | hyper asks for | corio-hyper gives | what it does |
//! |---|---|---|
//! | [`rt::Executor`] | [`CorioExecutor`] | [`corio::spawn`]s the future on the running loop (no `Send` needed) |
//! | [`rt::Timer`] | [`CorioTimer`] | [`corio::sleep_until`] on the loop's timer heap |
//! | [`rt::Read`] + [`rt::Write`] | [`CorioIo<T>`] | wraps any [`futures_io`] stream: corio's [`TcpStream`](corio::net::TcpStream) and `UnixStream`, or a TLS stream over them (`futures-rustls`) |
//!
//! A server: one task per connection, each serving HTTP/1.1 with keep-alive and a header
//! read timeout (which needs the timer).
//!
//! ```no_run
//! use std::convert::Infallible;
//! use std::time::Duration;
//!
//! use corio::net::{TcpListener, TcpStream};
//! use corio_hyper::{CorioIo, CorioTimer};
//! use hyper::server::conn::http1;
//! use hyper::service::service_fn;
//! use hyper::{Request, Response};
//!
//! #[corio::coroutine]
//! async fn connection(stream: TcpStream) {
//!     let service = service_fn(|_req: Request<hyper::body::Incoming>| async {
//!         Ok::<_, Infallible>(Response::new("Hello, World!".to_string()))
//!     });
//!     let conn = http1::Builder::new()
//!         .timer(CorioTimer)
//!         .header_read_timeout(Duration::from_secs(10))
//!         .serve_connection(CorioIo::new(stream), service);
//!     if let Err(e) = conn.await {
//!         eprintln!("connection: {e}");
//!     }
//! }
//!
//! async fn serve() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:8080")?;
//!     loop {
//!         let (stream, _peer) = listener.accept().await?;
//!         drop(corio::spawn(connection(stream)));
//!     }
//! }
//!
//! corio::run(serve())?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! A client, on the same loop (`hyper::client::conn::http1` hands back the connection
//! future; spawn it, then send requests):
//!
//! ```
//! use corio::net::{TcpListener, TcpStream};
//! use corio_hyper::CorioIo;
//! use http_body_util::{BodyExt, Empty};
//! use hyper::body::Bytes;
//!
//! corio::run(async {
//!     # let listener = TcpListener::bind("127.0.0.1:0")?;
//!     # let addr = listener.local_addr()?;
//!     # drop(corio::spawn(async move {
//!     #     let (stream, _) = listener.accept().await.unwrap();
//!     #     let service = hyper::service::service_fn(|_req| async {
//!     #         Ok::<_, std::convert::Infallible>(hyper::Response::new("hi".to_string()))
//!     #     });
//!     #     hyper::server::conn::http1::Builder::new()
//!     #         .serve_connection(CorioIo::new(stream), service).await.unwrap();
//!     # }));
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut sender, conn) = hyper::client::conn::http1::handshake(CorioIo::new(stream))
//!         .await
//!         .map_err(std::io::Error::other)?;
//!     drop(corio::spawn(conn));
//!     let req = hyper::Request::get("/").body(Empty::<Bytes>::new()).unwrap();
//!     let res = sender.send_request(req).await.map_err(std::io::Error::other)?;
//!     assert_eq!(res.status(), 200);
//!     let body = res.into_body().collect().await.map_err(std::io::Error::other)?;
//!     assert_eq!(body.to_bytes(), "hi");
//!     Ok::<(), std::io::Error>(())
//! })
//! # .unwrap();
//! ```
//!
//! hyper's own types are not `Send`-bound here: corio runs one loop per thread, so
//! `CorioExecutor` takes `!Send` futures, and your services may hold `Rc`s.
//! `hyper/examples/http_server/` is a complete server (routes, TLS, the live task dump):
//! `cargo run --release --example http_server -- --port 8080 [--tls]`.
//!
//! [`rt::Executor`]: hyper::rt::Executor
//! [`rt::Timer`]: hyper::rt::Timer
//! [`rt::Read`]: hyper::rt::Read
//! [`rt::Write`]: hyper::rt::Write

mod executor;
mod io;
mod timer;

pub use executor::CorioExecutor;
pub use io::CorioIo;
pub use timer::{CorioSleep, CorioTimer};
