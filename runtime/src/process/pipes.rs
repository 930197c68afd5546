//! The pipes to a child: `ChildStdin`, `ChildStdout`, `ChildStderr`, as loop-driven streams.

use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::net::stream::{
    ReadExactFuture, ReadFuture, StreamIo, WriteAllFuture, WriteFuture, poll_read_slice,
    poll_write_slice,
};
use crate::net::{IoBuf, IoBufMut};
use crate::reactor::IoSource;

/// Puts a pipe end in non-blocking mode and registers it with the running loop. A pipe is
/// kept as a `File`, which reads and writes through `&File` (std's `ChildStdout` does not).
fn register(pipe: impl Into<OwnedFd>) -> io::Result<Rc<IoSource<File>>> {
    let file = File::from(pipe.into());
    rustix::io::ioctl_fionbio(file.as_fd(), true)?;
    Ok(Rc::new(IoSource::new(file)?))
}

impl StreamIo for File {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &*self, buf)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        // Rust programs ignore SIGPIPE: a child that closed its stdin gives `BrokenPipe`.
        io::Write::write(&mut &*self, buf)
    }
}

/// The writing end of a child's standard input, when it was spawned with
/// `stdin(Stdio::piped())`: asyncio's `proc.stdin`.
///
/// Writes take owned buffers like [`TcpStream`](crate::net::TcpStream)'s, and their futures
/// are `'static`. **Drop it to close the pipe** (the child then reads end of file); its
/// `AsyncWrite::poll_close` only flushes, as tokio's does, because a pending write future may
/// still hold the pipe. Usable with [`BufWriter`](crate::io::BufWriter).
///
/// # Examples
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
///     let stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"meow".to_vec()).await.0?;
///     drop(stdin); // end of file for cat
///     let out = child.wait_with_output().await?;
///     assert_eq!(out.stdout, b"meow");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct ChildStdin {
    io: Rc<IoSource<File>>,
}

/// The reading end of a child's standard output, when it was spawned with
/// `stdout(Stdio::piped())`: asyncio's `proc.stdout`.
///
/// Reads take owned buffers like [`TcpStream`](crate::net::TcpStream)'s, and their futures
/// are `'static`; wrap it in a [`BufReader`](crate::io::BufReader) for `read_line`.
///
/// # Examples
///
/// ```
/// use corio::io::BufReader;
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("printf").arg("a\\nb\\n").stdout(Stdio::piped()).spawn()?;
///     let lines = BufReader::new(child.stdout.take().unwrap());
///     assert_eq!(lines.read_line().await?, b"a\n");
///     assert_eq!(lines.read_line().await?, b"b\n");
///     assert_eq!(lines.read_line().await?, b"");
///     assert!(child.wait().await?.success());
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct ChildStdout {
    io: Rc<IoSource<File>>,
}

/// The reading end of a child's standard error, when it was spawned with
/// `stderr(Stdio::piped())`: asyncio's `proc.stderr`. The same API as [`ChildStdout`].
///
/// # Examples
///
/// ```
/// use corio::process::{Command, Stdio};
///
/// corio::run(async {
///     let mut child = Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Stdio::piped()).spawn()?;
///     let stderr = child.stderr.take().unwrap();
///     let (n, buf) = stderr.read(Vec::with_capacity(64)).await;
///     assert_eq!(&buf[..n?], b"oops\n");
///     child.wait().await?;
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct ChildStderr {
    io: Rc<IoSource<File>>,
}

impl ChildStdin {
    pub(crate) fn new(pipe: std::process::ChildStdin) -> io::Result<Self> {
        Ok(Self {
            io: register(pipe)?,
        })
    }

    /// Writes once from `buf` and gives it back with the number of bytes written.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    ///     let stdin = child.stdin.take().unwrap();
    ///     let (n, _buf) = stdin.write(b"x".to_vec()).await;
    ///     assert_eq!(n?, 1);
    ///     drop(stdin);
    ///     child.wait().await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `BrokenPipe` when the child closed its standard input (or exited).
    pub fn write<B: IoBuf>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + 'static + use<B> {
        WriteFuture {
            io: self.io.clone(),
            buf: Some(buf),
        }
    }

    /// Writes every byte of `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use corio::process::{Command, Stdio};
    ///
    /// corio::run(async {
    ///     let mut child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    ///     let stdin = child.stdin.take().unwrap();
    ///     stdin.write_all(vec![b'.'; 200_000]).await.0?; // more than a pipe holds
    ///     drop(stdin);
    ///     let out = child.wait_with_output().await?;
    ///     assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "200000");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `BrokenPipe` when the child closed its standard input; some bytes may have been sent.
    pub fn write_all<B: IoBuf>(
        &self,
        buf: B,
    ) -> impl Future<Output = (io::Result<()>, B)> + Unpin + 'static + use<B> {
        WriteAllFuture {
            io: self.io.clone(),
            buf: Some(buf),
            written: 0,
        }
    }
}

impl futures_io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write_slice(&self.io, cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Only flushes: drop the `ChildStdin` to close the pipe.
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The read API shared by `ChildStdout` and `ChildStderr`.
macro_rules! read_pipe_api {
    ($ty:ident, $std:ty, $stream:literal, $field:literal) => {
        impl $ty {
            pub(crate) fn new(pipe: $std) -> io::Result<Self> {
                Ok(Self {
                    io: register(pipe)?,
                })
            }

            /// Reads once into `buf` (from its start up to its capacity) and gives it back
            /// with the number of bytes read; `Ok(0)` means the child closed its end (it
            /// usually exited).
            ///
            /// # Examples
            ///
            /// ```
            /// use corio::process::{Command, Stdio};
            ///
            /// corio::run(async {
            #[doc = concat!("    let mut child = Command::new(\"sh\").args([\"-c\", \"echo hi", $stream, "\"]).",
                            "stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;")]
            #[doc = concat!("    let pipe = child.", $field, ".take().unwrap();")]
            ///     let (n, buf) = pipe.read(Vec::with_capacity(16)).await;
            ///     assert_eq!(&buf[..n?], b"hi\n");
            ///     child.wait().await?;
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// The pipe's error.
            pub fn read<B: IoBufMut>(
                &self,
                buf: B,
            ) -> impl Future<Output = (io::Result<usize>, B)> + Unpin + 'static + use<B> {
                ReadFuture {
                    io: self.io.clone(),
                    buf: Some(buf),
                }
            }

            /// Reads until `buf` is full (to its capacity).
            ///
            /// # Examples
            ///
            /// ```
            /// use corio::process::{Command, Stdio};
            ///
            /// corio::run(async {
            #[doc = concat!("    let mut child = Command::new(\"sh\").args([\"-c\", \"printf abcdef", $stream, "\"]).",
                            "stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;")]
            #[doc = concat!("    let pipe = child.", $field, ".take().unwrap();")]
            ///     let (res, buf) = pipe.read_exact(vec![0; 6]).await;
            ///     res?;
            ///     assert_eq!(buf, b"abcdef");
            ///     child.wait().await?;
            ///     std::io::Result::Ok(())
            /// })
            /// .unwrap();
            /// ```
            ///
            /// # Errors
            ///
            /// `UnexpectedEof` when the child closes its end first.
            pub fn read_exact<B: IoBufMut>(
                &self,
                buf: B,
            ) -> impl Future<Output = (io::Result<()>, B)> + Unpin + 'static + use<B> {
                ReadExactFuture {
                    io: self.io.clone(),
                    buf: Some(buf),
                    filled: 0,
                }
            }

            /// Reads everything until the child closes its end.
            pub(crate) async fn read_to_end(self) -> io::Result<Vec<u8>> {
                let mut out = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let n = std::future::poll_fn(|cx| poll_read_slice(&self.io, cx, &mut chunk))
                        .await?;
                    if n == 0 {
                        return Ok(out);
                    }
                    out.extend_from_slice(&chunk[..n]);
                }
            }
        }

        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                poll_read_slice(&self.io, cx, buf)
            }
        }
    };
}

read_pipe_api!(ChildStdout, std::process::ChildStdout, "", "stdout");
read_pipe_api!(ChildStderr, std::process::ChildStderr, " >&2", "stderr");
