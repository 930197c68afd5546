//! Channels and their subscribers.
//!
//! A published message is appended to each subscriber's output buffer and the subscriber's
//! connection task is woken to send it, so a publisher never waits for a subscriber. A
//! subscriber that lets more than [`OUTPUT_LIMIT`] pile up is disconnected (its socket is
//! shut down and it leaves every channel), as Redis's `client-output-buffer-limit pubsub
//! 32mb` does, so a subscriber that does not read costs bounded memory.

use std::cell::{Cell, RefCell};
use std::net::Shutdown;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};

use corio::net::TcpStream;
use corio::sync::Event;
use hashbrown::HashMap;
use indexmap::IndexSet;

use super::resp::Reply;

/// How many bytes may wait for a subscriber before it is disconnected.
pub(crate) const OUTPUT_LIMIT: usize = 32 * 1024 * 1024;

/// One connection, as commands and publishers see it.
#[derive(Debug)]
pub(crate) struct Client {
    /// The connection, to shut it down when the client is disconnected for its backlog.
    stream: TcpStream,
    /// Replies and messages not yet written to the socket.
    pub(crate) out: RefCell<Vec<u8>>,
    /// Set when a publisher appended to `out` while the connection was waiting.
    pub(crate) wake: Event,
    /// The channels this client is subscribed to, in subscription order.
    pub(crate) channels: RefCell<IndexSet<Box<[u8]>>>,
    /// Set when the client went over [`OUTPUT_LIMIT`]: its task closes the connection.
    pub(crate) killed: Cell<bool>,
    /// The name given with `CLIENT SETNAME`.
    pub(crate) name: RefCell<Option<Vec<u8>>>,
    /// `CLIENT ID`: unique in the process, increasing in connection order.
    pub(crate) id: u64,
    /// Between `MULTI` and `EXEC`: the commands queued so far.
    pub(crate) multi: RefCell<Option<Vec<super::resp::OwnedArgv>>>,
    /// A command queued after `MULTI` was refused (unknown, wrong arity): `EXEC` aborts.
    pub(crate) multi_failed: Cell<bool>,
}

/// The last client id handed out.
static LAST_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Client {
    pub(crate) fn new(stream: TcpStream) -> Self {
        Client {
            stream,
            out: RefCell::default(),
            wake: Event::new(),
            channels: RefCell::default(),
            killed: Cell::new(false),
            name: RefCell::new(None),
            id: LAST_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
            multi: RefCell::new(None),
            multi_failed: Cell::new(false),
        }
    }

    /// Whether the client is in subscribe mode.
    pub(crate) fn subscribed(&self) -> bool {
        !self.channels.borrow().is_empty()
    }
}

/// Subscribers by channel.
#[derive(Debug, Default)]
pub(crate) struct PubSub {
    channels: HashMap<Box<[u8]>, Vec<Rc<Client>>>,
    /// On a multi-loop server: this loop's index, the number of loops and every loop's
    /// subscriber counts.
    shared: Option<(usize, usize, LoopCounts)>,
}

/// How many subscribers each channel has on each loop of a multi-loop server, so that a
/// `PUBLISH` knows which loops to deliver to and how many clients it reached.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoopCounts(Arc<Mutex<HashMap<Box<[u8]>, Vec<usize>>>>);

impl LoopCounts {
    fn add(&self, loops: usize, index: usize, channel: &[u8], delta: isize) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !counts.contains_key(channel) {
            counts.insert(channel.into(), vec![0; loops]);
        }
        let per_loop = counts.get_mut(channel).expect("inserted above");
        per_loop[index] = per_loop[index].saturating_add_signed(delta);
        if per_loop.iter().all(|&n| n == 0) {
            counts.remove(channel);
        }
    }
}

impl PubSub {
    /// The subscribers of loop `index` of `loops`, which share `counts`.
    pub(crate) fn on_loop(index: usize, loops: usize, counts: LoopCounts) -> Self {
        PubSub {
            channels: HashMap::new(),
            shared: Some((index, loops, counts)),
        }
    }

    /// The other loops that have subscribers to `channel`, and how many.
    pub(crate) fn elsewhere(&self, channel: &[u8]) -> Vec<(usize, usize)> {
        let Some((me, _, counts)) = &self.shared else {
            return Vec::new();
        };
        let counts = counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        counts.get(channel).map_or_else(Vec::new, |per_loop| {
            per_loop
                .iter()
                .enumerate()
                .filter(|&(index, &n)| index != *me && n > 0)
                .map(|(index, &n)| (index, n))
                .collect()
        })
    }

    /// Counts a subscriber more (`delta` 1) or less (-1) for `channel` on this loop.
    fn count(&self, channel: &[u8], delta: isize) {
        if let Some((me, loops, counts)) = &self.shared {
            counts.add(*loops, *me, channel, delta);
        }
    }

    /// Subscribes `client` to `channel`, replying `subscribe`, like Redis, even when it
    /// already was.
    pub(crate) fn subscribe(&mut self, client: &Rc<Client>, channel: &[u8], out: &mut Vec<u8>) {
        let mut mine = client.channels.borrow_mut();
        if mine.insert(channel.into()) {
            self.count(channel, 1);
            match self.channels.get_mut(channel) {
                Some(subs) => subs.push(client.clone()),
                None => {
                    self.channels.insert(channel.into(), vec![client.clone()]);
                }
            }
        }
        push_event(out, b"subscribe", Some(channel), mine.len());
    }

    /// Unsubscribes `client` from `channel`, replying `unsubscribe`.
    pub(crate) fn unsubscribe(&mut self, client: &Rc<Client>, channel: &[u8], out: &mut Vec<u8>) {
        let mut mine = client.channels.borrow_mut();
        if mine.shift_remove(channel) {
            self.forget(client, channel);
        }
        push_event(out, b"unsubscribe", Some(channel), mine.len());
    }

    /// Unsubscribes `client` from everything, one reply per channel (one with a nil
    /// channel when there was none).
    pub(crate) fn unsubscribe_all(&mut self, client: &Rc<Client>, out: &mut Vec<u8>) {
        let channels: Vec<Box<[u8]>> = client.channels.borrow().iter().cloned().collect();
        if channels.is_empty() {
            push_event(out, b"unsubscribe", None, 0);
        }
        for channel in channels {
            self.unsubscribe(client, &channel, out);
        }
    }

    /// Drops a departing client from every channel (no replies).
    pub(crate) fn disconnect(&mut self, client: &Rc<Client>) {
        let channels = std::mem::take(&mut *client.channels.borrow_mut());
        for channel in channels {
            self.forget(client, &channel);
        }
    }

    fn forget(&mut self, client: &Rc<Client>, channel: &[u8]) {
        let Some(subs) = self.channels.get_mut(channel) else {
            return;
        };
        let before = subs.len();
        subs.retain(|c| !Rc::ptr_eq(c, client));
        let (removed, empty) = (subs.len() < before, subs.is_empty());
        if empty {
            self.channels.remove(channel);
        }
        if removed {
            self.count(channel, -1);
        }
    }

    /// Sends `message` to every subscriber of `channel`; how many got it.
    pub(crate) fn publish(&mut self, channel: &[u8], message: &[u8]) -> usize {
        let Some(subs) = self.channels.get(channel) else {
            return 0;
        };
        let mut sent = 0;
        let mut killed = Vec::new();
        for sub in subs {
            // A subscribed client cannot publish (RESP2 subscribe mode), so `sub` is never
            // the publisher, whose buffer is borrowed while it runs a command.
            let Ok(mut out) = sub.out.try_borrow_mut() else {
                continue;
            };
            out.array(3);
            out.bulk(b"message");
            out.bulk(channel);
            out.bulk(message);
            sent += 1;
            if out.len() > OUTPUT_LIMIT {
                out.clear();
                out.shrink_to_fit();
                killed.push(sub.clone());
            }
            sub.wake.set();
        }
        for sub in killed {
            // Its task may be waiting to write to a peer that does not read: the shutdown
            // ends that wait, and the task ends.
            sub.killed.set(true);
            let _ = sub.stream.shutdown(Shutdown::Both);
            self.disconnect(&sub);
        }
        sent
    }
}

fn push_event(out: &mut Vec<u8>, kind: &[u8], channel: Option<&[u8]>, count: usize) {
    out.array(3);
    out.bulk(kind);
    match channel {
        Some(c) => out.bulk(c),
        None => out.nil(),
    }
    out.int(count as i64);
}
