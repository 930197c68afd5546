//! A Redis-compatible server on one corio loop:
//! `cargo run --release --example redis_server -- --port 6379`, then `redis-cli -p 6379`.
//!
//! It speaks RESP2 (multibulk arrays and inline commands) and implements strings with
//! expiry, lists and pub/sub with Redis's semantics and reply types: PING ECHO QUIT GET SET
//! DEL EXISTS INCR DECR INCRBY DECRBY MGET MSET EXPIRE PEXPIRE TTL PTTL PERSIST DBSIZE
//! FLUSHALL LPUSH RPUSH LPOP RPOP LLEN LRANGE PUBLISH SUBSCRIBE UNSUBSCRIBE, and CONFIG GET
//! (`save` and `appendonly`, which redis-benchmark reads: this server never persists). The
//! modules under `redis_server/` hold the protocol (`resp`), the
//! keyspace (`db`), the commands (`commands`) and the channels (`pubsub`).
//!
//! Each client is one `#[corio::coroutine]` ([`connection`]), so `corio::dump()` shows every
//! client and where it waits. A connection reads whatever has arrived, runs every complete
//! request in it and sends all their replies with one write (pipelining); a request split
//! across reads waits in the connection's buffer. Nothing blocks the loop: a client that
//! reads slowly only holds its own task, and one that sends without pause yields to the
//! others after every full buffer.

use std::io::{self, ErrorKind};
use std::rc::Rc;
use std::time::Duration;

use corio::net::{TcpListener, TcpStream};

#[path = "redis_server/commands.rs"]
mod commands;
#[path = "redis_server/db.rs"]
mod db;
#[path = "redis_server/pubsub.rs"]
mod pubsub;
#[path = "redis_server/resp.rs"]
mod resp;

use commands::{After, Server};
use pubsub::Client;
use resp::{Parsed, Reply, Request};

/// How much a connection reads at a time, and the size its buffer returns to.
const READ_SIZE: usize = 16 * 1024;

/// One client's input side: the bytes read and not yet consumed, `buf[start..end]`.
struct Conn {
    server: Rc<Server>,
    client: Rc<Client>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The pending request cannot complete before `buf[start..]` holds this many bytes.
    need: usize,
    req: Request,
}

/// What one wake-up left to do.
enum Step {
    /// Everything was answered; wait for the socket (or a message).
    Wait,
    /// The read filled the buffer: more is probably there, after the others had a turn.
    More,
    /// The peer's window is full: send these bytes, then go on.
    Backlog(Vec<u8>),
    /// Close the connection once these bytes are sent (QUIT, protocol error, peer gone).
    Close(Vec<u8>),
}

impl Conn {
    fn new(server: Rc<Server>, stream: TcpStream) -> Self {
        Conn {
            server,
            client: Rc::new(Client::new(stream)),
            buf: vec![0; READ_SIZE],
            start: 0,
            end: 0,
            need: 0,
            req: Request::default(),
        }
    }

    /// Reads what has arrived, runs every complete request and writes the replies.
    fn on_ready(&mut self, stream: &TcpStream) -> io::Result<Step> {
        let mut full = false;
        let mut eof = false;
        self.make_room();
        match stream.try_read(&mut self.buf[self.end..]) {
            Ok(0) => eof = true,
            Ok(n) => {
                full = self.end + n == self.buf.len();
                self.end += n;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => eof = true,
            Err(e) => return Err(e),
        }
        let after = self.run_requests();
        let mut out = self.client.out.borrow_mut();
        let mut sent = 0;
        while sent < out.len() {
            match stream.try_write(&out[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        out.drain(..sent);
        if eof || after == After::Close || self.client.killed.get() {
            return Ok(Step::Close(std::mem::take(&mut *out)));
        }
        if !out.is_empty() {
            return Ok(Step::Backlog(std::mem::take(&mut *out)));
        }
        Ok(if full { Step::More } else { Step::Wait })
    }

    /// Takes back an output buffer that was sent, so that its capacity is reused.
    fn reuse_out(&self, sent: Vec<u8>) {
        let mut out = self.client.out.borrow_mut();
        if out.is_empty() {
            *out = sent;
        }
    }

    /// Makes room to read: drops consumed bytes, grows the buffer for a request larger
    /// than it (by doubling, so that a declared length is not allocated before the bytes
    /// arrive), and shrinks it back once a large request is gone.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > 4 * READ_SIZE {
                self.buf = vec![0; READ_SIZE];
            }
        }
        if self.buf.len() - self.end >= READ_SIZE / 4 {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < READ_SIZE / 4 {
            // The pending request is most of the buffer: double it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
    }

    /// Runs the complete requests in the buffer, appending their replies to the output.
    fn run_requests(&mut self) -> After {
        let mut out = self.client.out.borrow_mut();
        while self.end - self.start >= self.need.max(1) {
            let input = &self.buf[self.start..self.end];
            match resp::parse(input, &mut self.req) {
                Parsed::Request(n) => {
                    self.need = 0;
                    let argv = self.req.argv(&input[..n]);
                    let after = commands::execute(&self.server, &self.client, &mut out, argv);
                    self.start += n;
                    if after == After::Close {
                        return After::Close;
                    }
                }
                Parsed::Empty(n) => {
                    self.need = 0;
                    self.start += n;
                }
                Parsed::Incomplete(need) => self.need = need,
                Parsed::Error(msg) => {
                    out.error(&format!("ERR {msg}"));
                    return After::Close;
                }
            }
        }
        After::Continue
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.server.pubsub.borrow_mut().disconnect(&self.client);
    }
}

/// Serves one client until it quits, breaks the protocol or goes away.
#[corio::coroutine]
async fn connection(server: Rc<Server>, stream: TcpStream) -> io::Result<()> {
    let mut conn = Conn::new(server, stream.clone());
    let wake = conn.client.wake.clone();
    loop {
        if conn.client.subscribed() {
            // Published messages arrive in the client's output buffer and wake us.
            corio::select(stream.readable(), wake.wait()).await;
            wake.clear();
        } else {
            stream.readable().await?;
        }
        match conn.on_ready(&stream)? {
            Step::Wait => {}
            Step::More => corio::yield_now().await,
            Step::Backlog(rest) => {
                let (res, mut rest) = stream.write_all(rest).await;
                res?;
                rest.clear();
                conn.reuse_out(rest);
            }
            Step::Close(rest) => {
                if !rest.is_empty() {
                    stream.write_all(rest).await.0?;
                }
                return Ok(());
            }
        }
    }
}

/// Removes expired keys that nobody reads, ten times a second (Redis's `hz 10`).
#[corio::coroutine]
async fn expire_cycle(server: Rc<Server>) {
    let mut tick = corio::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        server
            .db
            .borrow_mut()
            .expire_cycle(Duration::from_millis(2));
    }
}

/// Serves Redis clients on `listener` until an accept fails.
pub(crate) async fn serve(listener: TcpListener) -> io::Result<()> {
    let server = Rc::new(Server::new());
    let cycle = corio::spawn_named("expire_cycle", expire_cycle(server.clone()));
    let res = loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => break Err(e),
        };
        stream.set_nodelay(true)?;
        // A dropped Task keeps running; a failed connection only ends its own task.
        drop(corio::spawn(connection(server.clone(), stream)));
    };
    cycle.cancel();
    res
}

/// `--port N` (default 6379).
fn port_from_args() -> io::Result<u16> {
    let mut args = std::env::args().skip(1);
    let mut port = 6379;
    while let Some(arg) = args.next() {
        let invalid = |msg: String| io::Error::new(ErrorKind::InvalidInput, msg);
        match arg.as_str() {
            "--port" | "-p" => {
                let value = args
                    .next()
                    .ok_or_else(|| invalid("--port needs a value".into()))?;
                port = value
                    .parse()
                    .map_err(|e| invalid(format!("--port {value:?}: {e}")))?;
            }
            other => {
                return Err(invalid(format!(
                    "unknown argument {other:?} (usage: redis_server [--port N])"
                )));
            }
        }
    }
    Ok(port)
}

#[allow(dead_code)] // the integration test includes this file for `serve`
fn main() -> io::Result<()> {
    let port = port_from_args()?;
    corio::run(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        eprintln!("listening on {}", listener.local_addr()?);
        match corio::select(serve(listener), corio::signal::ctrl_c()).await {
            corio::Either::Left(res) => res,
            corio::Either::Right(res) => {
                eprintln!("redis_server: signal received, shutting down");
                res
            }
        }
    })
}
