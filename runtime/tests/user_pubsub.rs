//! A user's line-protocol server: publish/subscribe over TCP, one reader coroutine and one
//! writer task per connection (split halves joined by a channel), per-connection idle timeouts
//! around reads, and a graceful shutdown (an `Event` stops the accept loop and every
//! connection; a `TaskGroup` waits for them). The same server written on tokio is the oracle:
//! one scripted set of blocking clients drives each, and the transcripts must be equal.
//!
//! Protocol (one line each way): `SUB topic` → `OK SUB topic`; `PUB topic text` → every
//! subscriber (the publisher too) gets `MSG topic <from> text`, then the publisher `OK PUB
//! <n>`; `IDLE ms` sets this connection's idle timeout → `OK IDLE ms`, and a connection idle
//! that long gets `IDLE` and is closed; `QUIT` → `BYE`; `SHUTDOWN` → `OK SHUTDOWN`, then every
//! connection gets `BYE` and is closed and the server returns; anything else → `ERR line`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// The protocol, shared by both servers.

enum Command {
    Sub(String),
    Pub(String, String),
    Idle(u64),
    Quit,
    Shutdown,
    Bad(String),
}

fn parse(line: &str) -> Command {
    let mut words = line.splitn(3, ' ');
    match (words.next(), words.next(), words.next()) {
        (Some("SUB"), Some(topic), None) if !topic.is_empty() => Command::Sub(topic.into()),
        (Some("PUB"), Some(topic), Some(text)) => Command::Pub(topic.into(), text.into()),
        (Some("IDLE"), Some(ms), None) => match ms.parse() {
            Ok(ms) => Command::Idle(ms),
            Err(_) => Command::Bad(line.into()),
        },
        (Some("QUIT"), None, None) => Command::Quit,
        (Some("SHUTDOWN"), None, None) => Command::Shutdown,
        _ => Command::Bad(line.into()),
    }
}

const DEFAULT_IDLE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The corio server.

mod on_corio {
    use super::*;
    use corio::io::BufReader;
    use corio::net::{TcpListener, TcpStream};
    use corio::sync::{Event, mpsc};
    use corio::{Either, TaskGroup};

    /// topic → subscribers (connection id, its outgoing lines).
    type Hub = Rc<RefCell<BTreeMap<String, Vec<(usize, mpsc::Sender<String>)>>>>;

    #[corio::coroutine]
    async fn write_lines(stream: TcpStream, lines: mpsc::Receiver<String>) -> io::Result<()> {
        while let Some(mut line) = lines.recv().await {
            line.push('\n');
            let (res, _) = stream.write_all(line.into_bytes()).await;
            res?;
        }
        stream.shutdown(std::net::Shutdown::Write)
    }

    #[corio::coroutine]
    async fn connection(id: usize, stream: TcpStream, hub: Hub, stop: Event) -> String {
        let reader = BufReader::new(stream.clone());
        let (tx, rx) = mpsc::channel::<String>(8);
        let writer = corio::spawn(write_lines(stream, rx));
        let mut idle = DEFAULT_IDLE;
        let _ = tx.send(format!("HELLO {id}")).await;
        let reason = loop {
            let next = corio::select(corio::timeout(idle, reader.read_line()), stop.wait()).await;
            let line = match next {
                Either::Right(()) => {
                    let _ = tx.send("BYE".to_string()).await;
                    break "stop";
                }
                Either::Left(Err(_elapsed)) => {
                    let _ = tx.send("IDLE".to_string()).await;
                    break "idle";
                }
                Either::Left(Ok(Err(_))) => break "error",
                Either::Left(Ok(Ok(line))) => line,
            };
            if line.is_empty() {
                break "eof";
            }
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            let reply = match parse(&text) {
                Command::Sub(topic) => {
                    hub.borrow_mut()
                        .entry(topic.clone())
                        .or_default()
                        .push((id, tx.clone()));
                    format!("OK SUB {topic}")
                }
                Command::Pub(topic, text) => {
                    let subscribers = hub.borrow().get(&topic).cloned().unwrap_or_default();
                    let n = subscribers.len();
                    for (_, to) in subscribers {
                        let _ = to.send(format!("MSG {topic} {id} {text}")).await;
                    }
                    format!("OK PUB {n}")
                }
                Command::Idle(ms) => {
                    idle = Duration::from_millis(ms);
                    format!("OK IDLE {ms}")
                }
                Command::Quit => {
                    let _ = tx.send("BYE".to_string()).await;
                    break "quit";
                }
                Command::Shutdown => {
                    stop.set();
                    "OK SHUTDOWN".to_string()
                }
                Command::Bad(line) => format!("ERR {line}"),
            };
            let _ = tx.send(reply).await;
        };
        for subs in hub.borrow_mut().values_mut() {
            subs.retain(|(who, _)| *who != id);
        }
        drop(tx);
        let _ = writer.await;
        format!("{id} {reason}")
    }

    #[corio::coroutine]
    pub(super) async fn serve(listener: TcpListener) -> io::Result<Vec<String>> {
        let hub: Hub = Rc::default();
        let stop = Event::new();
        let group = TaskGroup::new();
        let mut connections = Vec::new();
        let mut next_id = 0;
        loop {
            let (stream, _) = match corio::select(listener.accept(), stop.wait()).await {
                Either::Left(accepted) => accepted?,
                Either::Right(()) => break,
            };
            next_id += 1;
            connections.push(group.spawn(connection(next_id, stream, hub.clone(), stop.clone())));
        }
        drop(listener);
        group.join().await.expect("no connection fails");
        let mut ends = Vec::new();
        for c in connections {
            ends.push(c.await.expect("joined"));
        }
        Ok(ends)
    }
}

// ---------------------------------------------------------------------------------------------
// The same server on tokio (current-thread runtime, a LocalSet, futures' `select`).

mod on_tokio {
    use super::*;
    use futures::future::{Either, select};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::tcp::OwnedWriteHalf;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{mpsc, watch};

    type Hub = Rc<RefCell<BTreeMap<String, Vec<(usize, mpsc::Sender<String>)>>>>;

    async fn write_lines(mut half: OwnedWriteHalf, mut lines: mpsc::Receiver<String>) {
        while let Some(mut line) = lines.recv().await {
            line.push('\n');
            if half.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = half.shutdown().await;
    }

    async fn connection(
        id: usize,
        stream: TcpStream,
        hub: Hub,
        mut stop: watch::Receiver<bool>,
    ) -> String {
        let (read, write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let (tx, rx) = mpsc::channel::<String>(8);
        let writer = tokio::task::spawn_local(write_lines(write, rx));
        let mut idle = DEFAULT_IDLE;
        let _ = tx.send(format!("HELLO {id}")).await;
        let reason = loop {
            let mut line = String::new();
            let next = {
                let read = Box::pin(tokio::time::timeout(idle, reader.read_line(&mut line)));
                let stopped = Box::pin(stop.wait_for(|s| *s));
                match select(read, stopped).await {
                    Either::Left((r, _)) => Some(r),
                    Either::Right(_) => None,
                }
            };
            let n = match next {
                None => {
                    let _ = tx.send("BYE".to_string()).await;
                    break "stop";
                }
                Some(Err(_elapsed)) => {
                    let _ = tx.send("IDLE".to_string()).await;
                    break "idle";
                }
                Some(Ok(Err(_))) => break "error",
                Some(Ok(Ok(n))) => n,
            };
            if n == 0 {
                break "eof";
            }
            let text = line.trim_end().to_string();
            let reply = match parse(&text) {
                Command::Sub(topic) => {
                    hub.borrow_mut()
                        .entry(topic.clone())
                        .or_default()
                        .push((id, tx.clone()));
                    format!("OK SUB {topic}")
                }
                Command::Pub(topic, text) => {
                    let subscribers = hub.borrow().get(&topic).cloned().unwrap_or_default();
                    let n = subscribers.len();
                    for (_, to) in subscribers {
                        let _ = to.send(format!("MSG {topic} {id} {text}")).await;
                    }
                    format!("OK PUB {n}")
                }
                Command::Idle(ms) => {
                    idle = Duration::from_millis(ms);
                    format!("OK IDLE {ms}")
                }
                Command::Quit => {
                    let _ = tx.send("BYE".to_string()).await;
                    break "quit";
                }
                Command::Shutdown => {
                    // Every receiver sees it; this connection's own next wait too.
                    let _ = STOP.with(|s| s.borrow().as_ref().map(|s| s.send(true)));
                    "OK SHUTDOWN".to_string()
                }
                Command::Bad(line) => format!("ERR {line}"),
            };
            let _ = tx.send(reply).await;
        };
        for subs in hub.borrow_mut().values_mut() {
            subs.retain(|(who, _)| *who != id);
        }
        drop(tx);
        let _ = writer.await;
        format!("{id} {reason}")
    }

    thread_local! {
        static STOP: RefCell<Option<watch::Sender<bool>>> = const { RefCell::new(None) };
    }

    pub(super) async fn serve(listener: TcpListener) -> io::Result<Vec<String>> {
        let hub: Hub = Rc::default();
        let (stop_tx, stop) = watch::channel(false);
        STOP.with(|s| *s.borrow_mut() = Some(stop_tx));
        let mut group = tokio::task::JoinSet::new();
        let mut next_id = 0;
        loop {
            let accept = Box::pin(listener.accept());
            let mut watching = stop.clone();
            let stopped = Box::pin(async move { watching.wait_for(|s| *s).await.map(|_| ()) });
            let (stream, _) = match select(accept, stopped).await {
                Either::Left((accepted, _)) => accepted?,
                Either::Right(_) => break,
            };
            next_id += 1;
            group.spawn_local(connection(next_id, stream, hub.clone(), stop.clone()));
        }
        drop(listener);
        let mut ends = group.join_all().await;
        ends.sort_by_key(|e| e.split(' ').next().unwrap().parse::<usize>().unwrap());
        STOP.with(|s| s.borrow_mut().take());
        Ok(ends)
    }
}

// ---------------------------------------------------------------------------------------------
// The scripted clients: plain blocking sockets, one step at a time.

enum Step {
    Connect(usize),
    Send(usize, &'static str),
    /// Read this many lines from the client.
    Expect(usize, usize),
    /// Read until the server closes the connection.
    Eof(usize),
    /// Let the server run for this many milliseconds.
    Pause(u64),
}

fn drive(addr: SocketAddr, script: &[Step]) -> Vec<String> {
    let mut clients: BTreeMap<usize, (io::BufReader<std::net::TcpStream>, std::net::TcpStream)> =
        BTreeMap::new();
    let mut transcript = Vec::new();
    for step in script {
        match *step {
            Step::Connect(c) => {
                let s = std::net::TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                clients.insert(c, (io::BufReader::new(s.try_clone().unwrap()), s));
            }
            Step::Send(c, line) => {
                let (_, w) = clients.get_mut(&c).unwrap();
                w.write_all(format!("{line}\n").as_bytes()).unwrap();
                transcript.push(format!("{c} > {line}"));
            }
            Step::Expect(c, n) => {
                let (r, _) = clients.get_mut(&c).unwrap();
                for _ in 0..n {
                    let mut line = String::new();
                    r.read_line(&mut line).unwrap();
                    transcript.push(format!("{c} < {}", line.trim_end()));
                }
            }
            Step::Eof(c) => {
                let (r, _) = clients.get_mut(&c).unwrap();
                let mut rest = String::new();
                let n = io::Read::read_to_string(r, &mut rest).unwrap();
                transcript.push(format!("{c} < <eof after {n} more bytes>"));
            }
            Step::Pause(ms) => std::thread::sleep(Duration::from_millis(ms)),
        }
    }
    transcript
}

use Step::*;

const SCRIPT: &[Step] = &[
    Connect(1),
    Expect(1, 1),
    Connect(2),
    Expect(2, 1),
    Send(1, "SUB news"),
    Expect(1, 1),
    Send(2, "SUB news"),
    Expect(2, 1),
    Send(2, "SUB weather"),
    Expect(2, 1),
    Send(2, "PUB news hello there"),
    Expect(1, 1),
    Expect(2, 2),
    Send(1, "PUB weather rain"),
    Expect(2, 1),
    Expect(1, 1),
    Send(1, "bogus command"),
    Expect(1, 1),
    Send(1, "IDLE soon"),
    Expect(1, 1),
    Connect(3),
    Expect(3, 1),
    Send(3, "IDLE 50"),
    Expect(3, 2), // OK IDLE 50, then IDLE after 50 ms of silence
    Eof(3),
    Send(2, "QUIT"),
    Expect(2, 1),
    Eof(2),
    Send(1, "PUB news after two left"),
    Expect(1, 2),
    Connect(4),
    Expect(4, 1),
    Send(4, "SHUTDOWN"),
    Expect(4, 2),
    Eof(4),
    Expect(1, 1),
    Eof(1),
];

fn run_corio() -> (Vec<String>, Vec<String>) {
    // The listener belongs to the loop's thread: bind there and send the address back.
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        corio::run(async move {
            let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            on_corio::serve(listener).await
        })
    });
    let addr = rx.recv().unwrap();
    let transcript = drive(addr, SCRIPT);
    (transcript, server.join().unwrap().unwrap())
}

fn run_tokio() -> (Vec<String>, Vec<String>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            on_tokio::serve(listener).await
        })
    });
    let addr = rx.recv().unwrap();
    let transcript = drive(addr, SCRIPT);
    (transcript, server.join().unwrap().unwrap())
}

#[test]
fn pubsub_server_with_split_halves_timeouts_and_graceful_shutdown_matches_tokio() {
    let (ours, our_ends) = run_corio();
    let (theirs, their_ends) = run_tokio();
    assert_eq!(ours, theirs);
    assert_eq!(our_ends, their_ends);
    // And what the protocol says, so that both cannot be wrong the same way.
    assert_eq!(our_ends, ["1 stop", "2 quit", "3 idle", "4 stop"]);
    for line in [
        "1 < MSG news 2 hello there",
        "2 < OK PUB 2",
        "2 < MSG weather 1 rain",
        "1 < OK PUB 1",
        "1 < ERR IDLE soon",
        "3 < IDLE",
        "4 < OK SHUTDOWN",
        "1 < BYE",
    ] {
        assert!(
            ours.iter().any(|l| l == line),
            "{line} missing from {ours:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The same server in Python's asyncio (3.11: TaskGroup, asyncio.timeout), as a further oracle.
// Needs `python3`, so it is not part of CI: `cargo test -p corio --test user_pubsub -- --ignored`.

const PUBSUB_PY: &str = r#"
import asyncio

async def write_lines(writer, lines):
    while (line := await lines.get()) is not None:
        writer.write((line + "\n").encode())
        await writer.drain()
    writer.write_eof()
    await writer.drain()

async def connection(cid, reader, writer, hub, stop):
    out = asyncio.Queue(8)
    wtask = asyncio.create_task(write_lines(writer, out))
    idle = 30.0
    await out.put(f"HELLO {cid}")
    reason = None
    while reason is None:
        read = asyncio.ensure_future(asyncio.wait_for(reader.readline(), idle))
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait([read, stopped], return_when=asyncio.FIRST_COMPLETED)
        if read in done:
            stopped.cancel()
        else:
            read.cancel()
            await out.put("BYE"); reason = "stop"; break
        try:
            raw = read.result()
        except asyncio.TimeoutError:
            await out.put("IDLE"); reason = "idle"; break
        if not raw:
            reason = "eof"; break
        text = raw.decode().rstrip()
        words = text.split(" ", 2)
        if len(words) == 2 and words[0] == "SUB" and words[1]:
            hub.setdefault(words[1], []).append((cid, out))
            reply = f"OK SUB {words[1]}"
        elif len(words) == 3 and words[0] == "PUB":
            subs = list(hub.get(words[1], []))
            for _, to in subs:
                await to.put(f"MSG {words[1]} {cid} {words[2]}")
            reply = f"OK PUB {len(subs)}"
        elif len(words) == 2 and words[0] == "IDLE" and words[1].isdigit():
            idle = int(words[1]) / 1000
            reply = f"OK IDLE {words[1]}"
        elif text == "QUIT":
            await out.put("BYE"); reason = "quit"; break
        elif text == "SHUTDOWN":
            stop.set()
            reply = "OK SHUTDOWN"
        else:
            reply = f"ERR {text}"
        await out.put(reply)
    for subs in hub.values():
        subs[:] = [(who, q) for who, q in subs if who != cid]
    await out.put(None)
    await wtask
    return f"{cid} {reason}"

async def main():
    hub, stop = {}, asyncio.Event()
    tasks, ids = [], [0]
    async with asyncio.TaskGroup() as group:
        def accept(reader, writer):
            ids[0] += 1
            tasks.append(group.create_task(connection(ids[0], reader, writer, hub, stop)))
        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await stop.wait()
        server.close()
    for t in tasks:
        print(t.result(), flush=True)

asyncio.run(main())
"#;

#[test]
#[ignore = "needs python3 (asyncio 3.11); run with --ignored"]
fn pubsub_server_matches_the_same_server_on_asyncio() {
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .args(["-c", PUBSUB_PY])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut out = io::BufReader::new(child.stdout.take().unwrap());
    let mut port = String::new();
    out.read_line(&mut port).unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", port.trim()).parse().unwrap();
    let theirs = drive(addr, SCRIPT);
    let their_ends: Vec<String> = out.lines().map(Result::unwrap).collect();
    assert!(child.wait().unwrap().success());
    let (ours, our_ends) = run_corio();
    assert_eq!(ours, theirs);
    assert_eq!(our_ends, their_ends);
}

#[test]
fn a_dump_of_the_running_server_shows_each_connection_where_it_waits() {
    use corio::io::BufReader;
    use corio::net::{TcpListener, TcpStream};
    let dump = corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = corio::spawn_named("server", on_corio::serve(listener));
        let a = TcpStream::connect(addr).await.unwrap();
        let a_lines = BufReader::new(a.clone());
        assert_eq!(a_lines.read_line().await.unwrap(), b"HELLO 1\n");
        let dump = corio::dump();
        a.write_all(b"SHUTDOWN\n".to_vec()).await.0.unwrap();
        assert_eq!(a_lines.read_line().await.unwrap(), b"OK SHUTDOWN\n");
        assert_eq!(a_lines.read_line().await.unwrap(), b"BYE\n");
        assert_eq!(server.await.unwrap().unwrap(), ["1 stop"]);
        dump
    });
    assert!(dump.contains("\"server\""), "{dump}");
    assert!(dump.contains("user_pubsub::on_corio::serve at"), "{dump}");
    assert!(
        dump.contains("user_pubsub::on_corio::connection at"),
        "{dump}"
    );
    assert!(
        dump.contains("user_pubsub::on_corio::write_lines at"),
        "{dump}"
    );
    assert!(dump.contains("Event::wait"), "{dump}");
}

/// Many clients at once, each in its own thread: every client subscribes, then all publish
/// together, and each reads until it has every message. Counts per client must be the same on
/// corio and tokio, and what the protocol says.
fn crowd(addr: SocketAddr, clients: usize, each: usize) -> Vec<(usize, usize, usize)> {
    let subscribed = std::sync::Arc::new(std::sync::Barrier::new(clients));
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let subscribed = subscribed.clone();
            std::thread::spawn(move || {
                let s = std::net::TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut r = io::BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                let mut line = String::new();
                let mut read = |r: &mut io::BufReader<std::net::TcpStream>| {
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    line.trim_end().to_string()
                };
                assert!(read(&mut r).starts_with("HELLO "));
                w.write_all(b"SUB all\n").unwrap();
                assert_eq!(read(&mut r), "OK SUB all");
                subscribed.wait();
                for i in 0..each {
                    w.write_all(format!("PUB all message {i}\n").as_bytes())
                        .unwrap();
                }
                let (mut msgs, mut oks, mut full) = (0, 0, 0);
                while msgs < clients * each || oks < each {
                    let got = read(&mut r);
                    if got.starts_with("MSG all ") {
                        msgs += 1;
                    } else if let Some(n) = got.strip_prefix("OK PUB ") {
                        oks += 1;
                        full += usize::from(n == clients.to_string());
                    } else {
                        panic!("unexpected {got:?}");
                    }
                }
                // Everyone has everything: stay until all are done, so no one leaves early.
                subscribed.wait();
                w.write_all(b"QUIT\n").unwrap();
                assert_eq!(read(&mut r), "BYE");
                (msgs, oks, full)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn a_crowd_of_clients_publishing_at_once_gets_every_message_on_corio_and_tokio() {
    const CLIENTS: usize = 12;
    const EACH: usize = 15;
    let expected = vec![(CLIENTS * EACH, EACH, EACH); CLIENTS];

    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        corio::run(async move {
            let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            on_corio::serve(listener).await
        })
    });
    let addr = rx.recv().unwrap();
    assert_eq!(crowd(addr, CLIENTS, EACH), expected);
    drive(
        addr,
        &[Connect(0), Expect(0, 1), Send(0, "SHUTDOWN"), Expect(0, 2)],
    );
    let ends = server.join().unwrap().unwrap();
    assert_eq!(ends.len(), CLIENTS + 1);

    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        tokio::task::LocalSet::new().block_on(&rt, async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            on_tokio::serve(listener).await
        })
    });
    let addr = rx.recv().unwrap();
    assert_eq!(crowd(addr, CLIENTS, EACH), expected);
    drive(
        addr,
        &[Connect(0), Expect(0, 1), Send(0, "SHUTDOWN"), Expect(0, 2)],
    );
    assert_eq!(server.join().unwrap().unwrap(), ends);
}

/// Debug mode records every coroutine's locals at every suspension (their `Debug` runs
/// then): the server must behave the same, and a dump shows the connection's locals.
#[test]
fn the_server_in_debug_mode_behaves_the_same_and_dumps_locals() {
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        corio::Runtime::builder()
            .debug(true)
            .slow_poll_threshold(Duration::from_secs(5))
            .build()
            .run(async move {
                let listener = corio::net::TcpListener::bind("127.0.0.1:0").unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let server = corio::spawn(on_corio::serve(listener));
                // A dump taken while the script runs, from a task of the loop.
                let dump = corio::spawn(async {
                    corio::sleep(Duration::from_millis(30)).await;
                    corio::dump()
                });
                (server.await.unwrap(), dump.await.unwrap())
            })
    });
    let addr = rx.recv().unwrap();
    let transcript = drive(
        addr,
        &[
            Connect(1),
            Expect(1, 1),
            Send(1, "SUB news"),
            Expect(1, 1),
            Pause(60),
            Connect(2),
            Expect(2, 1),
            Send(2, "SHUTDOWN"),
            Expect(2, 2),
            Expect(1, 1),
        ],
    );
    let (ends, dump) = server.join().unwrap();
    assert_eq!(transcript[..2], ["1 < HELLO 1", "1 > SUB news"]);
    assert_eq!(transcript[transcript.len() - 2..], ["2 < BYE", "1 < BYE"]);
    assert_eq!(ends.unwrap(), ["1 stop", "2 stop"]);
    assert!(dump.contains("on_corio::connection at"), "{dump}");
    assert!(dump.contains("idle = 30s"), "no locals in the dump: {dump}");
}
