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
}

impl Client {
    pub(crate) fn new(stream: TcpStream) -> Self {
        Client {
            stream,
            out: RefCell::default(),
            wake: Event::new(),
            channels: RefCell::default(),
            killed: Cell::new(false),
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
}

impl PubSub {
    /// Subscribes `client` to `channel`, replying `subscribe`, like Redis, even when it
    /// already was.
    pub(crate) fn subscribe(&mut self, client: &Rc<Client>, channel: &[u8], out: &mut Vec<u8>) {
        let mut mine = client.channels.borrow_mut();
        if mine.insert(channel.into()) {
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
        if let Some(subs) = self.channels.get_mut(channel) {
            subs.retain(|c| !Rc::ptr_eq(c, client));
            if subs.is_empty() {
                self.channels.remove(channel);
            }
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
