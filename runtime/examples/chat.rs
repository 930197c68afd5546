//! A line-based chat room: `cargo run --example chat -- 7001`, then `nc 127.0.0.1 7001` from
//! several terminals.
//!
//! Every line a client sends goes to all the other clients, prefixed with the sender's name;
//! joins and departures are announced. Each client has an outbox drained by a writer task
//! that exists only while the outbox is not empty, so a slow reader delays nobody else and
//! sees the lines in order.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::{self, ErrorKind};
use std::rc::Rc;

use corio::net::{TcpListener, TcpStream};

/// One connected client, as the room sees it.
struct Member {
    stream: TcpStream,
    outbox: VecDeque<Rc<str>>,
    /// Whether a writer task is draining `outbox`.
    writing: bool,
}

/// Everyone in the room, by id.
#[derive(Clone, Default)]
struct Room {
    members: Rc<RefCell<HashMap<u64, Member>>>,
}

impl Room {
    /// Queues `line` for every member but `from`.
    fn broadcast(&self, from: u64, line: &str) {
        let line: Rc<str> = Rc::from(line);
        let mut members = self.members.borrow_mut();
        for (&id, member) in members.iter_mut() {
            if id == from {
                continue;
            }
            member.outbox.push_back(line.clone());
            if !member.writing {
                member.writing = true;
                drop(corio::spawn(self.clone().drain(id)));
            }
        }
    }

    /// Sends a member's queued lines in order, then ends.
    async fn drain(self, id: u64) {
        loop {
            let next = {
                let mut members = self.members.borrow_mut();
                let Some(member) = members.get_mut(&id) else {
                    return;
                };
                match member.outbox.pop_front() {
                    Some(line) => Some((member.stream.clone(), line)),
                    None => {
                        member.writing = false;
                        None
                    }
                }
            };
            let Some((stream, line)) = next else { return };
            let (res, _) = stream.write_all(format!("{line}\n").into_bytes()).await;
            if res.is_err() {
                return; // the reader side notices the broken connection and leaves
            }
        }
    }
}

/// Reads lines from one client and broadcasts them until it leaves.
#[corio::coroutine]
async fn client(room: Room, id: u64, stream: TcpStream) -> io::Result<()> {
    let name = format!("guest{id}");
    stream
        .write_all(format!("welcome to the room, {name}\n").into_bytes())
        .await
        .0?;
    room.members.borrow_mut().insert(
        id,
        Member {
            stream: stream.clone(),
            outbox: VecDeque::new(),
            writing: false,
        },
    );
    room.broadcast(id, &format!("* {name} joined"));
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = Vec::with_capacity(1024);
    loop {
        let (res, b) = stream.read(buf).await;
        let n = match res {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => 0,
            Err(e) => {
                room.members.borrow_mut().remove(&id);
                return Err(e);
            }
        };
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&b);
        while let Some(end) = pending.iter().position(|&c| c == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if !text.is_empty() {
                room.broadcast(id, &format!("{name}: {text}"));
            }
        }
        buf = b;
        buf.clear();
    }
    room.members.borrow_mut().remove(&id);
    room.broadcast(id, &format!("* {name} left"));
    Ok(())
}

fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().skip(1).last() {
        Some(arg) => arg
            .parse()
            .map_err(|e| io::Error::new(ErrorKind::InvalidInput, format!("port {arg:?}: {e}")))?,
        None => 7001,
    };
    corio::run(async move {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        println!("chat room on {}", listener.local_addr()?);
        let room = Room::default();
        let mut next_id = 0;
        loop {
            let (stream, _) = listener.accept().await?;
            next_id += 1;
            drop(corio::spawn(client(room.clone(), next_id, stream)));
        }
    })
}
