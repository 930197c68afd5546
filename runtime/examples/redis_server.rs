//! A Redis-compatible server on corio:
//! `cargo run --release --example redis_server -- [--port 6379] [--loops N]`, then
//! `redis-cli -p 6379`.
//!
//! It speaks RESP2 (multibulk arrays and inline commands) and implements strings with
//! expiry, lists, sets, hashes, sorted sets and pub/sub with Redis's semantics and reply
//! types: PING ECHO QUIT GET SET (NX XX EX PX KEEPTTL GET) DEL EXISTS INCR DECR INCRBY
//! DECRBY MGET MSET APPEND STRLEN SETNX GETSET EXPIRE PEXPIRE TTL PTTL PERSIST DBSIZE
//! FLUSHALL KEYS SCAN TYPE LPUSH RPUSH LPOP RPOP LLEN LRANGE SADD SREM SCARD SISMEMBER SMEMBERS
//! SPOP HSET HMSET HGET HDEL HLEN HEXISTS HGETALL HKEYS HVALS ZADD (NX XX GT LT CH) ZPOPMIN
//! ZPOPMAX ZCARD ZSCORE ZREM ZRANGE (by rank) PUBLISH SUBSCRIBE UNSUBSCRIBE, so that
//! redis-benchmark's default test list runs; and around them SELECT (database 0 only),
//! INFO, COMMAND (COUNT, INFO, DOCS), CLIENT (SETNAME, GETNAME, SETINFO, ID), HELLO (RESP2
//! only: `HELLO 3` gets NOPROTO) and CONFIG GET
//! (`save` and `appendonly`, which redis-benchmark reads: this server never persists), and
//! MULTI/EXEC/DISCARD transactions (no WATCH). Any
//! other command gets Redis's unknown-command error and the connection goes on. The
//! modules under `redis_server/` hold the protocol (`resp`), the keyspace (`db`), the
//! commands (`commands`, with `collections` and `admin`) and the channels (`pubsub`).
//!
//! Each client is one `#[corio::coroutine]` ([`connection`]), so `corio::dump()` shows every
//! client and where it waits. A connection reads whatever has arrived, runs every complete
//! request in it and sends all their replies with one write (pipelining); a request split
//! across reads waits in the connection's buffer. Nothing blocks the loop: a client that
//! reads slowly only holds its own task, and one that sends without pause yields to the
//! others after every full buffer.
//!
//! `--loops N` serves on N loops, one per thread: each binds the port with `SO_REUSEPORT`
//! and serves the connections the kernel gives it. They share one keyspace (behind a lock
//! that each command holds for its own run, so every command is atomic as in Redis), and a
//! `PUBLISH` reaches the subscribers of every loop (the other loops' at their next turn,
//! through their remote handles) and counts them all.

use std::io::{self, ErrorKind};
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use corio::Loops;

use corio::net::{TcpListener, TcpStream};

#[path = "redis_server/commands.rs"]
mod commands;
#[path = "redis_server/db.rs"]
mod db;
#[path = "redis_server/pubsub.rs"]
mod pubsub;
#[path = "redis_server/resp.rs"]
mod resp;

#[allow(
    unused_imports,
    reason = "the integration tests read the per-loop counter"
)]
pub(crate) use commands::connections_here;
use commands::{After, Keyspace, Server};
use pubsub::{Client, LoopCounts};
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
        server.db.lock().expire_cycle(Duration::from_millis(2));
    }
}

/// Serves Redis clients on `listener` until an accept fails, on one loop.
#[allow(dead_code, reason = "the integration tests serve this way")]
pub(crate) async fn serve(listener: TcpListener) -> io::Result<()> {
    serve_on(listener, Rc::new(Server::new())).await
}

/// Serves Redis clients on `listener` with `server` (this loop's part of the server) until
/// an accept fails. Loop 0 of a multi-loop server runs the expiry cycle for all of them.
pub(crate) async fn serve_on(listener: TcpListener, server: Rc<Server>) -> io::Result<()> {
    server.serve_here();
    let cycle = match &server.loops {
        Some(loops) if loops.index() != 0 => None,
        _ => Some(corio::spawn_named(
            "expire_cycle",
            expire_cycle(server.clone()),
        )),
    };
    let res = loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => break Err(e),
        };
        stream.set_nodelay(true)?;
        server.connections.set(server.connections.get() + 1);
        // A dropped Task keeps running; a failed connection only ends its own task.
        drop(corio::spawn(connection(server.clone(), stream)));
    };
    if let Some(cycle) = cycle {
        cycle.cancel();
    }
    res
}

/// What the loops of one multi-loop server share: the keyspace and the subscriber counts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shared {
    pub(crate) db: Keyspace,
    pub(crate) counts: LoopCounts,
    /// The port loop 0 bound (`None`: it failed), for the others when asked for port 0.
    pub(crate) port: std::sync::Arc<OnceLock<Option<u16>>>,
}

/// This loop's `SO_REUSEPORT` listener on `port` of 127.0.0.1 and its part of the server.
/// With port 0, loop 0 binds first and the others bind the port it got.
pub(crate) async fn bind_loop(
    loops: Loops,
    port: u16,
    shared: &Shared,
) -> io::Result<(TcpListener, Rc<Server>)> {
    let listener = if port != 0 {
        TcpListener::bind_reuseport(("127.0.0.1", port))?
    } else if loops.index() == 0 {
        let bound = TcpListener::bind_reuseport("127.0.0.1:0");
        let got = bound.as_ref().ok().and_then(|l| l.local_addr().ok());
        let _ = shared.port.set(got.map(|a| a.port()));
        bound?
    } else {
        let first = loop {
            match shared.port.get() {
                Some(first) => break *first,
                // Loop 0 binds at its first step; this wait is a turn or two.
                None => corio::sleep(Duration::from_millis(1)).await,
            }
        };
        let port = first.ok_or_else(|| io::Error::other("loop 0 could not bind the port"))?;
        TcpListener::bind_reuseport(("127.0.0.1", port))?
    };
    let server = Server::on_loop(shared.db.clone(), loops, shared.counts.clone());
    Ok((listener, Rc::new(server)))
}

/// `[--port N] [--loops N]`: the port (default 6379) and the number of loops (`None`: one,
/// on the main thread).
fn parse_args() -> io::Result<(u16, Option<usize>)> {
    let mut args = std::env::args().skip(1);
    let (mut port, mut loops) = (6379, None);
    let invalid = |msg: String| io::Error::new(ErrorKind::InvalidInput, msg);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| invalid(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--port" | "-p" => {
                let v = value("--port")?;
                port = v
                    .parse()
                    .map_err(|e| invalid(format!("--port {v:?}: {e}")))?;
            }
            "--loops" => {
                let v = value("--loops")?;
                loops = match v.parse::<usize>() {
                    Ok(0) => return Err(invalid(format!("--loops {v:?}: at least one loop"))),
                    Ok(n) => Some(n),
                    Err(e) => return Err(invalid(format!("--loops {v:?}: {e}"))),
                };
            }
            other => {
                return Err(invalid(format!(
                    "unknown argument {other:?} (usage: redis_server [--port N] [--loops N])"
                )));
            }
        }
    }
    Ok((port, loops))
}

/// Serves until Ctrl-C or SIGTERM.
async fn until_signal(listener: TcpListener, server: Rc<Server>) -> io::Result<()> {
    match corio::select(serve_on(listener, server), corio::signal::ctrl_c()).await {
        corio::Either::Left(res) => res,
        corio::Either::Right(res) => {
            eprintln!("redis_server: signal received, shutting down");
            res
        }
    }
}

#[allow(dead_code)] // the integration test includes this file for `serve`
fn main() -> io::Result<()> {
    let (port, loops) = parse_args()?;
    let Some(n) = loops else {
        return corio::run(async move {
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            eprintln!("listening on {}", listener.local_addr()?);
            until_signal(listener, Rc::new(Server::new())).await
        });
    };
    let shared = Shared::default();
    let rt = corio::Runtime::builder().loops(n).build();
    rt.run_loops(|loops| {
        let shared = &shared;
        async move {
            let (index, len) = (loops.index(), loops.len());
            let (listener, server) = bind_loop(loops, port, shared).await?;
            if index == 0 {
                eprintln!("listening on {} with {len} loops", listener.local_addr()?);
            }
            until_signal(listener, server).await
        }
    })
    .into_iter()
    .collect()
}
