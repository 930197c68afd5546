//! Socket programs as users write them: asyncio's chat server (several clients, lines read
//! with `corio::io::BufReader`, broadcasts written with `corio::io::BufWriter` without waiting,
//! `/quit`, a half-close, a client that disconnects in the middle of a line) on TCP and on a
//! Unix socket, a UDP request/response service, and clients written as coroutines.
//!
//! The oracle for the chat server is the same server written with Python's asyncio: one
//! scripted client (blocking `std` sockets, on a thread of its own) talks to each server, and
//! the two transcripts must be equal. The server's sessions are written as plain `async fn`s
//! and as `#[corio::coroutine] async fn`s (generic over the stream type).
//!
//! Everything binds 127.0.0.1 port 0 or a fresh Unix path; every blocking read has a timeout.

mod user_common;

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::Duration;

use corio::io::{BufReader, BufWriter};
use corio::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use futures_io::{AsyncRead, AsyncWrite};
use user_common::run_real;

// ---------------------------------------------------------------------------------------
// The chat server, in corio.

/// The people in the room: who they are and where their lines go.
struct Room<S> {
    peers: Rc<RefCell<Vec<Peer<S>>>>,
    next_id: Rc<Cell<u64>>,
}

impl<S> Clone for Room<S> {
    fn clone(&self) -> Self {
        Room {
            peers: self.peers.clone(),
            next_id: self.next_id.clone(),
        }
    }
}

struct Peer<S> {
    id: u64,
    name: String,
    out: BufWriter<S>,
}

impl<S: AsyncWrite + Unpin + 'static> Room<S> {
    fn new() -> Self {
        Room {
            peers: Rc::default(),
            next_id: Rc::default(),
        }
    }

    fn join(&self, name: String, out: BufWriter<S>) -> u64 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        self.peers.borrow_mut().push(Peer { id, name, out });
        id
    }

    fn leave(&self, id: u64) {
        self.peers.borrow_mut().retain(|p| p.id != id);
    }

    fn len(&self) -> usize {
        self.peers.borrow().len()
    }

    fn names(&self) -> String {
        self.peers
            .borrow()
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Writes `line` to everyone but `except`, without waiting (asyncio: `writer.write`).
    fn broadcast(&self, line: &str, except: Option<u64>) {
        for p in self.peers.borrow().iter() {
            if Some(p.id) != except {
                p.out.write(line);
            }
        }
    }
}

/// One client's session: a name, then lines until `/quit` or the end of the stream.
async fn session<S>(stream: S, room: Room<S>) -> io::Result<String>
where
    S: AsyncRead + AsyncWrite + Clone + Unpin + 'static,
{
    let reader = BufReader::new(stream.clone());
    let out = BufWriter::new(stream);
    let line = reader.read_line().await?;
    let name = String::from_utf8_lossy(&line).trim().to_string();
    room.broadcast(&format!("* {name} joined\n"), None);
    let id = room.join(name.clone(), out.clone());
    out.write(format!("welcome {name} ({} online)\n", room.len()));
    let how = loop {
        let line = match reader.read_line().await {
            Ok(line) => line,
            Err(_) => break "left",
        };
        if line.is_empty() {
            out.write(format!("goodbye {name}\n"));
            break "left";
        }
        if !line.ends_with(b"\n") {
            break "left mid-message";
        }
        let msg = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
        match msg.as_str() {
            "/quit" => {
                out.write(format!("goodbye {name}\n"));
                break "left";
            }
            "/who" => out.write(format!("online: {}\n", room.names())),
            _ => room.broadcast(&format!("{name}: {msg}\n"), Some(id)),
        }
    };
    room.leave(id);
    room.broadcast(&format!("* {name} {how}\n"), None);
    let _ = out.close().await;
    Ok(format!("{name} {how}"))
}

/// The same session as a `#[corio::coroutine]`.
#[corio::coroutine]
async fn session_co<S>(stream: S, room: Room<S>) -> io::Result<String>
where
    S: AsyncRead + AsyncWrite + Clone + Unpin + 'static,
{
    let reader = BufReader::new(stream.clone());
    let out = BufWriter::new(stream);
    let line = reader.read_line().await?;
    let name = String::from_utf8_lossy(&line).trim().to_string();
    room.broadcast(&format!("* {name} joined\n"), None);
    let id = room.join(name.clone(), out.clone());
    out.write(format!("welcome {name} ({} online)\n", room.len()));
    let how = loop {
        let line = match reader.read_line().await {
            Ok(line) => line,
            Err(_) => break "left",
        };
        if line.is_empty() {
            out.write(format!("goodbye {name}\n"));
            break "left";
        }
        if !line.ends_with(b"\n") {
            break "left mid-message";
        }
        let msg = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
        match msg.as_str() {
            "/quit" => {
                out.write(format!("goodbye {name}\n"));
                break "left";
            }
            "/who" => out.write(format!("online: {}\n", room.names())),
            _ => room.broadcast(&format!("{name}: {msg}\n"), Some(id)),
        }
    };
    room.leave(id);
    room.broadcast(&format!("* {name} {how}\n"), None);
    let _ = out.close().await;
    Ok(format!("{name} {how}"))
}

/// Serves `clients` connections from `accept`, then waits for their sessions and returns
/// what each said about its end, sorted.
async fn serve<S, A, AF>(clients: usize, accept: A, coroutines: bool) -> Vec<String>
where
    S: AsyncRead + AsyncWrite + Clone + Unpin + 'static,
    A: Fn() -> AF,
    AF: Future<Output = io::Result<S>>,
{
    let room = Room::new();
    let mut sessions = Vec::new();
    for _ in 0..clients {
        let stream = accept().await.expect("accept");
        sessions.push(if coroutines {
            corio::spawn(session_co(stream, room.clone()))
        } else {
            corio::spawn(session(stream, room.clone()))
        });
    }
    let mut ends: Vec<String> = corio::join_all(sessions)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    ends.sort();
    ends
}

/// Runs the corio chat server on TCP on a thread of its own; returns its address and a
/// handle giving the sessions' ends.
fn corio_tcp_chat(
    clients: usize,
    coroutines: bool,
) -> (SocketAddr, std::thread::JoinHandle<Vec<String>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        run_real(move || async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let accept = move || {
                let accept = listener.accept();
                async move { accept.await.map(|(s, _)| s) }
            };
            serve(clients, accept, coroutines).await
        })
    });
    (
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the server did not start"),
        server,
    )
}

fn corio_unix_chat(
    path: PathBuf,
    clients: usize,
    coroutines: bool,
) -> std::thread::JoinHandle<Vec<String>> {
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        run_real(move || async move {
            let listener = UnixListener::from_std(listener).unwrap();
            let accept = move || {
                let accept = listener.accept();
                async move { accept.await.map(|(s, _)| s) }
            };
            serve(clients, accept, coroutines).await
        })
    })
}

// ---------------------------------------------------------------------------------------
// The same server in Python's asyncio: the oracle.

const CHAT_PY: &str = r#"
import asyncio, sys

N = int(sys.argv[1])
peers = []
served = 0

async def handle(reader, writer):
    global served
    line = await reader.readline()
    name = line.decode().strip()
    for _, w in peers:
        w.write(f"* {name} joined\n".encode())
    me = (name, writer)
    peers.append(me)
    writer.write(f"welcome {name} ({len(peers)} online)\n".encode())
    how = "left"
    while True:
        try:
            line = await reader.readline()
        except (ConnectionError, ValueError):
            break
        if not line:
            writer.write(f"goodbye {name}\n".encode())
            break
        if not line.endswith(b"\n"):
            how = "left mid-message"
            break
        msg = line[:-1].decode()
        if msg == "/quit":
            writer.write(f"goodbye {name}\n".encode())
            break
        elif msg == "/who":
            writer.write(f"online: {', '.join(n for n, _ in peers)}\n".encode())
        else:
            for p in peers:
                if p is not me:
                    p[1].write(f"{name}: {msg}\n".encode())
    peers.remove(me)
    for _, w in peers:
        w.write(f"* {name} {how}\n".encode())
    writer.close()
    try:
        await writer.wait_closed()
    except ConnectionError:
        pass
    served += 1
    if served == N:
        stop.set()

async def main():
    global stop
    stop = asyncio.Event()
    if sys.argv[2] == "tcp":
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
    else:
        server = await asyncio.start_unix_server(handle, sys.argv[2])
        print("ready", flush=True)
    await stop.wait()
    server.close()

asyncio.run(main())
"#;

/// Starts the Python chat server (`where_` is `"tcp"` or a socket path) and returns it with
/// its first line of output (the port, or "ready"), or `None` without `python3`.
fn python_chat(clients: usize, where_: &str) -> Option<(KillOnDrop, String)> {
    let mut child = match Command::new("python3")
        .args(["-c", CHAT_PY, &clients.to_string(), where_])
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("oracle skipped: python3 could not be started ({e})");
            return None;
        }
    };
    let mut first = String::new();
    io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    Some((KillOnDrop(child), first.trim().to_string()))
}

/// A child process killed when the test is done with it, passed or failed.
struct KillOnDrop(std::process::Child);

impl KillOnDrop {
    /// Waits for the child to exit by itself (it serves a fixed number of clients).
    fn wait_success(&mut self) {
        assert!(self.0.wait().unwrap().success(), "the Python server failed");
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---------------------------------------------------------------------------------------
// The scripted client: blocking sockets, every read bounded by a timeout.

enum Conn {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl Conn {
    fn connect(to: &Target) -> Conn {
        let conn = match to {
            Target::Tcp(addr) => Conn::Tcp(std::net::TcpStream::connect(addr).unwrap()),
            Target::Unix(path) => {
                Conn::Unix(std::os::unix::net::UnixStream::connect(path).unwrap())
            }
        };
        let timeout = Some(Duration::from_secs(20));
        match &conn {
            Conn::Tcp(s) => s.set_read_timeout(timeout).unwrap(),
            Conn::Unix(s) => s.set_read_timeout(timeout).unwrap(),
        }
        conn
    }

    fn try_clone(&self) -> Conn {
        match self {
            Conn::Tcp(s) => Conn::Tcp(s.try_clone().unwrap()),
            Conn::Unix(s) => Conn::Unix(s.try_clone().unwrap()),
        }
    }

    fn shutdown_write(&self) {
        match self {
            Conn::Tcp(s) => s.shutdown(Shutdown::Write).unwrap(),
            Conn::Unix(s) => s.shutdown(Shutdown::Write).unwrap(),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Clone)]
enum Target {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

struct Client {
    who: &'static str,
    out: Conn,
    input: io::BufReader<Conn>,
    transcript: Rc<RefCell<Vec<String>>>,
}

impl Client {
    fn connect(who: &'static str, to: &Target, transcript: &Rc<RefCell<Vec<String>>>) -> Client {
        let out = Conn::connect(to);
        let input = io::BufReader::new(out.try_clone());
        Client {
            who,
            out,
            input,
            transcript: transcript.clone(),
        }
    }

    fn send(&mut self, bytes: &str) {
        self.out.write_all(bytes.as_bytes()).unwrap();
    }

    /// Reads one line (or notes the end of the stream) into the transcript.
    fn expect(&mut self) {
        let mut line = String::new();
        let n = self
            .input
            .read_line(&mut line)
            .expect("a line within the timeout");
        let line = if n == 0 {
            "<end of stream>".to_string()
        } else {
            line.replace('\n', "\\n")
        };
        self.transcript
            .borrow_mut()
            .push(format!("{}< {line}", self.who));
    }
}

/// The script: four clients, each line every client reads, in order.
fn chat_script(to: Target) -> Vec<String> {
    let t = Rc::default();
    let mut a = Client::connect("alice", &to, &t);
    a.send("alice\n");
    a.expect();
    let mut b = Client::connect("bob", &to, &t);
    b.send("bob\n");
    b.expect();
    a.expect();
    a.send("hello everyone\n");
    b.expect();
    b.send("hi alice\nand more\n"); // two lines in one write
    a.expect();
    a.expect();
    let mut c = Client::connect("carol", &to, &t);
    c.send("carol\n");
    c.expect();
    a.expect();
    b.expect();
    c.send("partial mess"); // one line in two writes
    std::thread::sleep(Duration::from_millis(20));
    c.send("age\n");
    a.expect();
    b.expect();
    a.send("/who\n");
    a.expect();
    c.send("cut off"); // and gone, in the middle of a line
    drop(c);
    a.expect();
    b.expect();
    b.send("bye all\n");
    b.out.shutdown_write(); // half-close: bob still reads the server's goodbye
    a.expect();
    b.expect();
    b.expect();
    a.expect();
    let mut d = Client::connect("dave", &to, &t);
    d.send("dave\n");
    d.expect();
    a.expect();
    d.send(&"x".repeat(60_000)); // a long line (under the 64 KiB limit), then quit
    d.send("\n/quit\n");
    a.expect();
    d.expect();
    d.expect();
    a.expect();
    a.send("/quit\n");
    a.expect();
    a.expect();
    let t = t.borrow().clone();
    t.into_iter()
        .map(|l| {
            if l.len() > 120 {
                format!("{}… ({} bytes)", &l[..40], l.len())
            } else {
                l
            }
        })
        .collect()
}

fn python_tcp_transcript() -> Option<Vec<String>> {
    let (mut child, port) = python_chat(4, "tcp")?;
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let t = chat_script(Target::Tcp(addr));
    child.wait_success();
    Some(t)
}

#[test]
fn tcp_chat_server_matches_asyncio() {
    let want = python_tcp_transcript();
    for coroutines in [false, true] {
        let (addr, server) = corio_tcp_chat(4, coroutines);
        let got = chat_script(Target::Tcp(addr));
        let ends = server.join().unwrap();
        assert_eq!(
            ends,
            [
                "alice left",
                "bob left",
                "carol left mid-message",
                "dave left"
            ]
        );
        assert!(
            got.contains(&"alice< carol: partial message\\n".to_string()),
            "{got:#?}"
        );
        assert!(
            got.contains(&"alice< * carol left mid-message\\n".to_string()),
            "{got:#?}"
        );
        assert!(got.contains(&"bob< goodbye bob\\n".to_string()), "{got:#?}");
        if let Some(want) = &want {
            assert_eq!(
                &got, want,
                "corio (left) and asyncio (right) transcripts differ"
            );
        }
    }
}

#[test]
fn unix_chat_server_matches_asyncio() {
    let dir = temp_dir("unix-chat");
    let py_path = dir.join("py.sock");
    let want = python_chat(4, py_path.to_str().unwrap()).map(|(mut child, _)| {
        let t = chat_script(Target::Unix(py_path.clone()));
        child.wait_success();
        t
    });
    for coroutines in [false, true] {
        let path = dir.join(format!("corio-{coroutines}.sock"));
        let server = corio_unix_chat(path.clone(), 4, coroutines);
        let got = chat_script(Target::Unix(path));
        server.join().unwrap();
        if let Some(want) = &want {
            assert_eq!(
                &got, want,
                "corio (left) and asyncio (right) transcripts differ"
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("corio-user-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------
// Clients as coroutines: the same short script against the asyncio server and the corio
// server (here on the client's own loop), with `TcpStream::connect`, `BufReader::read_line`,
// `write_all` and a half-close, all awaited inside `#[corio::coroutine]` bodies.

/// A line read by `who`, as the transcript writes it.
fn heard(who: &str, line: io::Result<Vec<u8>>) -> String {
    let line = line.expect("read_line");
    if line.is_empty() {
        format!("{who}< <end of stream>")
    } else {
        format!(
            "{who}< {}",
            String::from_utf8_lossy(&line).replace('\n', "\\n")
        )
    }
}

#[corio::coroutine]
async fn say(stream: TcpStream, text: &'static str) {
    let (res, _) = stream.write_all(text.as_bytes()).await;
    res.expect("write_all");
}

#[corio::coroutine]
async fn coroutine_clients(addr: SocketAddr) -> Vec<String> {
    let mut t = Vec::new();
    let a = TcpStream::connect(addr).await.expect("connect");
    let ra = BufReader::new(a.clone());
    say(a.clone(), "alice\n").await;
    t.push(heard("alice", ra.read_line().await));
    let b = TcpStream::connect(addr).await.expect("connect");
    let rb = BufReader::new(b.clone());
    say(b.clone(), "bob\n").await;
    t.push(heard("bob", rb.read_line().await));
    t.push(heard("alice", ra.read_line().await));
    say(a.clone(), "hi bob\n").await;
    t.push(heard("bob", rb.read_line().await));
    say(b.clone(), "half-closing\n").await;
    b.shutdown(Shutdown::Write).expect("shutdown");
    t.push(heard("alice", ra.read_line().await));
    t.push(heard("bob", rb.read_line().await));
    t.push(heard("bob", rb.read_line().await));
    t.push(heard("alice", ra.read_line().await));
    say(a, "/quit\n").await;
    t.push(heard("alice", ra.read_line().await));
    t.push(heard("alice", ra.read_line().await));
    t
}

#[test]
fn coroutine_clients_see_the_same_as_against_asyncio() {
    let want = python_chat(2, "tcp").map(|(mut child, port)| {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let t = run_real(move || coroutine_clients(addr));
        child.wait_success();
        t
    });
    for coroutines in [false, true] {
        let got = run_real(move || async move {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let accept = move || {
                let accept = listener.accept();
                async move { accept.await.map(|(s, _)| s) }
            };
            let server = corio::spawn(serve(2, accept, coroutines));
            let t = coroutine_clients(addr).await;
            assert_eq!(server.await.unwrap(), ["alice left", "bob left"]);
            t
        });
        assert_eq!(got[0], "alice< welcome alice (1 online)\\n");
        assert_eq!(got.last().unwrap(), "alice< <end of stream>");
        if let Some(want) = &want {
            assert_eq!(
                &got, want,
                "corio (left) and asyncio (right) transcripts differ"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// UDP: a key-value service, request/response, with connected and unconnected clients.

/// Answers `requests` datagrams: `SET k v` → `OK`, `GET k` → the value or `NIL`, `DEL k` →
/// `1`/`0`, anything else → `ERR`.
#[corio::coroutine]
async fn kv_server(sock: UdpSocket, requests: usize) -> usize {
    let mut store: std::collections::HashMap<String, String> = Default::default();
    let mut served = 0;
    while served < requests {
        let (res, buf) = sock.recv_from(vec![0u8; 1500]).await;
        let (n, peer) = res.expect("recv_from");
        let req = String::from_utf8_lossy(&buf[..n]).into_owned();
        let reply = kv_apply(&mut store, &req);
        let (res, _) = sock.send_to(reply.into_bytes(), peer).await;
        res.expect("send_to");
        served += 1;
    }
    served
}

/// The oracle and the server's logic: one request against a map.
fn kv_apply(store: &mut std::collections::HashMap<String, String>, req: &str) -> String {
    let parts: Vec<&str> = req.splitn(3, ' ').collect();
    match parts.as_slice() {
        ["SET", k, v] => {
            store.insert(k.to_string(), v.to_string());
            "OK".into()
        }
        ["GET", k] => store.get(*k).cloned().unwrap_or_else(|| "NIL".into()),
        ["DEL", k] => if store.remove(*k).is_some() { "1" } else { "0" }.into(),
        _ => "ERR".into(),
    }
}

fn kv_requests(client: usize) -> Vec<String> {
    let k = |i: usize| format!("c{client}k{i}");
    vec![
        format!("GET {}", k(0)),
        format!("SET {} hello world {client}", k(0)),
        format!("GET {}", k(0)),
        format!("SET {} {}", k(1), "v".repeat(client * 100)),
        format!("GET {}", k(1)),
        format!("DEL {}", k(0)),
        format!("DEL {}", k(0)),
        format!("GET {}", k(0)),
        "BOGUS".to_string(),
    ]
}

#[corio::coroutine]
async fn kv_client_connected(server: SocketAddr, client: usize) -> Vec<String> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.connect(server).await.expect("connect");
    let mut replies = Vec::new();
    for req in kv_requests(client) {
        let (res, _) = sock.send(req.into_bytes()).await;
        res.expect("send");
        let (res, buf) = sock.recv(vec![0u8; 1500]).await;
        let n = res.expect("recv");
        replies.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    replies
}

async fn kv_client_unconnected(server: SocketAddr, client: usize) -> Vec<String> {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut replies = Vec::new();
    for req in kv_requests(client) {
        let (res, _) = sock.send_to(req.into_bytes(), server).await;
        res.expect("send_to");
        let (res, buf) = sock.recv_from(vec![0u8; 1500]).await;
        let (n, from) = res.expect("recv_from");
        assert_eq!(from, server);
        replies.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    replies
}

#[test]
fn udp_key_value_service_answers_like_the_model() {
    let clients = 4;
    let got = run_real(move || async move {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        let total = clients * kv_requests(0).len();
        let server = corio::spawn(kv_server(sock, total));
        let mut tasks = Vec::new();
        for c in 0..clients {
            tasks.push(if c % 2 == 0 {
                corio::spawn(kv_client_connected(addr, c))
            } else {
                corio::spawn(kv_client_unconnected(addr, c))
            });
        }
        let replies: Vec<Vec<String>> = corio::join_all(tasks)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(server.await.unwrap(), total);
        replies
    });
    for (c, replies) in got.iter().enumerate() {
        let mut model = std::collections::HashMap::new();
        let want: Vec<String> = kv_requests(c)
            .iter()
            .map(|r| kv_apply(&mut model, r))
            .collect();
        assert_eq!(replies, &want, "client {c}");
    }
}

/// A datagram longer than the buffer is cut to the buffer, as `std`'s `recv_from` does.
#[test]
fn udp_recv_into_a_short_buffer_truncates_like_std() {
    let std_n = {
        let a = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        a.send_to(&[7u8; 100], b.local_addr().unwrap()).unwrap();
        a.send_to(b"next", b.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 10];
        let (n, _) = b.recv_from(&mut buf).unwrap();
        let (m, _) = b.recv_from(&mut buf).unwrap();
        (n, m, buf[..m].to_vec())
    };
    let corio_n = run_real(|| async {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = b.local_addr().unwrap();
        a.send_to(vec![7u8; 100], to).await.0.unwrap();
        a.send_to(b"next", to).await.0.unwrap();
        let (res, _) = b.recv_from(vec![0u8; 10]).await;
        let (n, _) = res.unwrap();
        let (res, buf) = b.recv_from(vec![0u8; 10]).await;
        let (m, _) = res.unwrap();
        (n, m, buf[..m].to_vec())
    });
    assert_eq!(corio_n, std_n);
}

// ---------------------------------------------------------------------------------------
// Regressions found by the programs above.

/// `BufWriter::write` only buffered: bytes written without a `drain` (asyncio's chat server
/// writes to every peer and never drains) never left, and the clients hung (found by
/// `tcp_chat_server_matches_asyncio`).
#[test]
fn buf_writer_bytes_reach_the_peer_without_a_drain() {
    run_real(|| async {
        let (a, b) = UnixStream::pair().unwrap();
        let writer = BufWriter::new(a);
        writer.write("no drain\n");
        let reader = BufReader::new(b.clone());
        assert_eq!(reader.read_line().await.unwrap(), b"no drain\n");

        // More than the socket buffer takes: the loop sends the rest in the background while
        // the peer reads, and still nobody drains.
        let big = vec![b'x'; 8 << 20];
        writer.write(&big);
        assert!(writer.buffered() > 0);
        writer.write("\n");
        let line = reader.read_line().await;
        // read_line's limit is 64 KiB: read the bytes in exact chunks instead
        assert!(line.is_err());
        let mut total = 0;
        while total < big.len() + 1 {
            let chunk = reader.read(1 << 20).await.unwrap();
            assert!(!chunk.is_empty());
            total += chunk.len();
        }
        assert_eq!(total, big.len() + 1);
        assert_eq!(writer.buffered(), 0);
    });
}

// ---------------------------------------------------------------------------------------
// Errors a user meets, with the kinds `std` gives for the same calls.

#[test]
fn socket_errors_have_std_kinds() {
    let dir = temp_dir("errors");
    let missing = dir.join("missing.sock");
    let taken = dir.join("taken.sock");
    let _std_unix = std::os::unix::net::UnixListener::bind(&taken).unwrap();
    // a port nobody listens on: bind, note the port, close
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap();

    let want = [
        std::net::TcpStream::connect(closed).unwrap_err().kind(),
        std::os::unix::net::UnixStream::connect(&missing)
            .unwrap_err()
            .kind(),
        std::os::unix::net::UnixListener::bind(&taken)
            .unwrap_err()
            .kind(),
        std::net::TcpListener::bind(busy_addr).unwrap_err().kind(),
    ];
    let (missing2, taken2) = (missing.clone(), taken.clone());
    let got = run_real(move || async move {
        [
            TcpStream::connect(closed).await.unwrap_err().kind(),
            UnixStream::connect(&missing2).await.unwrap_err().kind(),
            UnixListener::bind(&taken2).unwrap_err().kind(),
            TcpListener::bind(busy_addr).unwrap_err().kind(),
        ]
    });
    assert_eq!(got, want);
    let _ = std::fs::remove_dir_all(dir);
}
