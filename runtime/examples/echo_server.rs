//! A TCP echo server: `cargo run --release --example echo_server -- [--loops N] [PORT]`.
//!
//! It binds 127.0.0.1 on PORT (7000 by default), echoes every byte back, and runs until it
//! is killed or gets Ctrl-C / SIGTERM. With `--loops N` it runs N loops, one per thread,
//! each accepting on its own `SO_REUSEPORT` listener of the same port, so the kernel spreads
//! the connections over them (thread-per-core); without it, one loop on the main thread.
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

/// `[--loops N] [PORT]`: how many loops (`None`: one, on this thread) and the port.
fn parse_args() -> io::Result<(Option<usize>, u16)> {
    let bad = |what: &str, arg: &str, e: &dyn std::fmt::Display| {
        io::Error::new(ErrorKind::InvalidInput, format!("{what} {arg:?}: {e}"))
    };
    let (mut loops, mut port) = (None, 7000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--loops" {
            let n = args.next().unwrap_or_default();
            match n.parse::<usize>() {
                Ok(0) => return Err(bad("--loops", &n, &"at least one loop")),
                Ok(n) => loops = Some(n),
                Err(e) => return Err(bad("--loops", &n, &e)),
            }
        } else {
            port = arg.parse().map_err(|e| bad("port", &arg, &e))?;
        }
    }
    Ok((loops, port))
}

/// Serves `listener` until Ctrl-C / SIGTERM.
async fn serve_until_signal(listener: TcpListener) -> io::Result<()> {
    match corio::select(serve(listener), corio::signal::ctrl_c()).await {
        corio::Either::Left(res) => res,
        corio::Either::Right(res) => {
            eprintln!("echo server: signal received, shutting down");
            res
        }
    }
}

fn main() -> io::Result<()> {
    let (loops, port) = parse_args()?;
    let Some(n) = loops else {
        return corio::run(async move {
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            println!("echo server listening on {}", listener.local_addr()?);
            serve_until_signal(listener).await
        });
    };
    let rt = corio::Runtime::builder().loops(n).build();
    rt.run_loops(|loops| async move {
        let listener = TcpListener::bind_reuseport(("127.0.0.1", port))?;
        if loops.index() == 0 {
            println!(
                "echo server listening on {} with {} loops",
                listener.local_addr()?,
                loops.len()
            );
        }
        serve_until_signal(listener).await
    })
    .into_iter()
    .collect()
}
