//! Buffered streams in asyncio's shape ([`BufReader`] for `StreamReader`, [`BufWriter`] for
//! `StreamWriter`), over any `futures_io` stream, and [`AsyncFd`] for descriptors of your own
//! (asyncio's `add_reader`/`add_writer`).
//!
//! asyncio's `open_connection` gives a `(reader, writer)` pair; in corio wrap the two clones
//! of one stream:
//!
//! ```
//! use corio::io::{BufReader, BufWriter};
//! use corio::net::{TcpListener, TcpStream};
//!
//! #[corio::coroutine]
//! async fn shout(stream: TcpStream) -> std::io::Result<()> {
//!     let reader = BufReader::new(stream.clone());
//!     let writer = BufWriter::new(stream);
//!     loop {
//!         let line = reader.read_line().await?;
//!         if line.is_empty() {
//!             return Ok(()); // end of stream
//!         }
//!         writer.write(line.to_ascii_uppercase());
//!         writer.drain().await?;
//!     }
//! }
//!
//! corio::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (server, _) = listener.accept().await?;
//!     corio::spawn(shout(server));
//!     client.write_all(b"hello\n".to_vec()).await.0?;
//!     let reply = BufReader::new(client).read_line().await?;
//!     assert_eq!(reply, b"HELLO\n");
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! ```

#[cfg(unix)]
mod async_fd;
mod buf_reader;
mod buf_writer;

#[cfg(unix)]
pub use async_fd::{AsyncFd, Readiness, ReadyGuard};
pub use buf_reader::{BufReader, DEFAULT_LIMIT, ReadFuture};
pub use buf_writer::{BufWriter, DrainFuture};
