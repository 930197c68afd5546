//! A TCP echo server on one thread: `cargo run --release --example echo_server -- 7000`.
//!
//! It binds 127.0.0.1 on the port given as the last command-line argument (7000 by default),
//! echoes every byte back, and runs until it is killed or gets Ctrl-C / SIGTERM.
//!
//! Each connection is a `#[corio::coroutine]` that waits with `readable().await` and then
//! reads into a 64 KiB buffer that the whole loop shares, writing the bytes straight back:
//! an idle connection holds no buffer, only its small state machine. Only when the peer is
//! slow to read does a connection copy what is left into a buffer of its own and await
//! `write_all`. An echo round trip costs one `read` and one `write` system call.

use std::cell::RefCell;
use std::io::{self, ErrorKind};

use corio::net::{TcpListener, TcpStream};

thread_local! {
    /// The buffer the loop lends to whichever connection is reading.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; 64 * 1024].into_boxed_slice());
}

/// What one readiness event left to do.
enum Step {
    /// Everything read was echoed; wait for more.
    Idle,
    /// The peer closed its side.
    Closed,
    /// The peer's window is full: these bytes still have to go out.
    Backlog(Vec<u8>),
}

/// Reads what is there into the lent buffer and writes it back, without waiting.
fn echo_ready(stream: &TcpStream, scratch: &mut [u8]) -> io::Result<Step> {
    loop {
        let n = match stream.try_read(scratch) {
            Ok(0) => return Ok(Step::Closed),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Step::Idle),
            Err(e) => return Err(e),
        };
        let mut sent = 0;
        while sent < n {
            match stream.try_write(&scratch[sent..n]) {
                Ok(m) => sent += m,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Ok(Step::Backlog(scratch[sent..n].to_vec()));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Echoes one connection until the peer closes it.
#[corio::coroutine]
async fn handle(stream: TcpStream) -> io::Result<()> {
    loop {
        stream.readable().await?;
        let step = SCRATCH.with_borrow_mut(|scratch| echo_ready(&stream, scratch))?;
        match step {
            Step::Idle => {}
            Step::Closed => return Ok(()),
            Step::Backlog(rest) => stream.write_all(rest).await.0?,
        }
    }
}

/// Accepts connections forever, one task each.
pub(crate) async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _peer) = listener.accept().await?;
        stream.set_nodelay(true)?;
        // A dropped Task keeps running; a failed connection only ends its own task.
        drop(corio::spawn(handle(stream)));
    }
}

fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().skip(1).last() {
        Some(arg) => arg
            .parse()
            .map_err(|e| io::Error::new(ErrorKind::InvalidInput, format!("port {arg:?}: {e}")))?,
        None => 7000,
    };
    corio::run(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        println!("echo server listening on {}", listener.local_addr()?);
        match corio::select(serve(listener), corio::signal::ctrl_c()).await {
            corio::Either::Left(res) => res,
            corio::Either::Right(res) => {
                eprintln!("echo server: signal received, shutting down");
                res
            }
        }
    })
}
