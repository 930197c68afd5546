//! The bounded FIFO buffer shared by [`Queue`](super::Queue) and [`mpsc`](super::mpsc).
//!
//! Items wait in a `VecDeque`; getters wait while it is empty and putters, holding their item
//! in their waiter node, wait while it is full. Both sides are handoffs, so nobody barges:
//!
//! * a put while getters wait moves the item straight into the first getter's node;
//! * a get that makes room reserves it for the first putter and wakes it; the putter moves its
//!   item in when it runs, so the room is never visible to anybody else. A putter cancelled
//!   in between (its item still its own, as asyncio's cancelled `put` leaves the queue
//!   untouched) passes the reserved room to the next putter (issue 16).
//!
//! Hence getters only wait on an empty buffer and putters only on a full one (counting
//! reserved room as full). An item handed to a getter that has not run yet still takes room
//! and counts in `len`, as in asyncio (where it sits in the queue until the woken getter takes
//! it) and tokio's channels (capacity comes back when the receiver has the message). A getter
//! dropped after it was handed an item gives the item to the next getter, or puts it back at
//! the front.
//!
//! The two `closed` flags are the channel's: `tx_closed` (no sender left) makes getters return
//! `None` once the buffer is empty; `rx_closed` (no receiver left) rejects every put, waiting
//! or not, with its item. [`Queue::shutdown`](super::Queue::shutdown) uses them too: a
//! shutdown sets `tx_closed` and `shut` (puts rejected, buffered items kept), an immediate one
//! `tx_closed` and `rx_closed` (buffered items dropped).

use std::cell::RefCell;
use std::fmt;
use std::task::{Context, Poll, Waker};

use super::order::Items;
use super::waiters::WaitList;

pub(crate) struct Buffer<T> {
    items: Items<T>,
    /// `usize::MAX` for unbounded.
    cap: usize,
    getters: WaitList<T>,
    putters: WaitList<T>,
    /// Room reserved for putters that were notified and have not run yet.
    reserved: usize,
    /// Items handed to getters that were notified and have not run yet: still in the buffer
    /// for `len` and for room.
    handed: usize,
    /// Items accepted and not yet marked done, for `Queue::task_done`/`join`.
    pub(crate) unfinished: usize,
    tx_closed: bool,
    rx_closed: bool,
    /// `Queue::shutdown`: no put is accepted any more; buffered items stay to be taken.
    shut: bool,
}

pub(crate) enum PutError<T> {
    Full(T),
    Closed(T),
}

pub(crate) enum GetError {
    Empty,
    Closed,
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

impl<T> Buffer<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            items: Items::fifo(),
            cap,
            getters: WaitList::new(),
            putters: WaitList::new(),
            reserved: 0,
            handed: 0,
            unfinished: 0,
            tx_closed: false,
            rx_closed: false,
            shut: false,
        }
    }

    /// A buffer whose items come out in the order `items` keeps (FIFO for `new`).
    pub(crate) fn with_items(cap: usize, items: Items<T>) -> Self {
        let mut buffer = Self::new(cap);
        buffer.items = items;
        buffer
    }

    /// Items in the buffer, counting those handed to getters that have not run yet.
    pub(crate) fn len(&self) -> usize {
        self.items.len() + self.handed
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Full, counting room reserved for a notified putter: a put cannot go in now.
    pub(crate) fn is_full(&self) -> bool {
        !self.has_room()
    }

    pub(crate) fn rx_closed(&self) -> bool {
        self.rx_closed
    }

    /// No put is accepted: the receiver is gone, or the queue was shut down.
    fn refuses_puts(&self) -> bool {
        self.rx_closed || self.shut
    }

    /// Whether `Queue::shutdown` was called.
    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut
    }

    /// Accepts `value` without waiting; returns the getter to wake, if it went to one.
    pub(crate) fn try_put(&mut self, value: T) -> Result<Option<Waker>, PutError<T>> {
        if self.refuses_puts() {
            return Err(PutError::Closed(value));
        }
        // Room reserved for notified putters and waiting putters come first: no barging.
        if !self.has_room() || !self.putters.is_empty() {
            return Err(PutError::Full(value));
        }
        self.unfinished += 1;
        if let Some((slot, waker)) = self.getters.notify_front() {
            *slot = Some(value);
            self.handed += 1;
            return Ok(waker);
        }
        self.items.push_back(value);
        Ok(None)
    }

    /// Takes the first item without waiting; returns the putter to wake, if room went to one.
    pub(crate) fn try_get(&mut self) -> Result<(T, Option<Waker>), GetError> {
        let Some(item) = self.items.pop_front() else {
            return Err(if self.tx_closed {
                GetError::Closed
            } else {
                GetError::Empty
            });
        };
        Ok((item, self.pass_room()))
    }

    /// Whether an item may go in now: room that is not reserved for a notified putter.
    fn has_room(&self) -> bool {
        self.len().saturating_add(self.reserved) < self.cap
    }

    /// Reserves free room for the first waiting putter; returns its waker.
    fn pass_room(&mut self) -> Option<Waker> {
        if self.refuses_puts() || !self.has_room() {
            return None;
        }
        let (_, waker) = self.putters.notify_front()?;
        self.reserved += 1;
        waker
    }

    /// Polls a get: `Ready(None)` once closed and drained. `key` is the getter's ticket.
    pub(crate) fn poll_get(
        cell: &RefCell<Self>,
        key: &mut Option<usize>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<T>> {
        let mut this = cell.borrow_mut();
        match *key {
            None => match this.try_get() {
                Ok((item, waker)) => {
                    drop(this);
                    wake(waker);
                    Poll::Ready(Some(item))
                }
                Err(GetError::Closed) => Poll::Ready(None),
                Err(GetError::Empty) => {
                    *key = Some(this.getters.push_back(None, cx.waker()));
                    Poll::Pending
                }
            },
            Some(k) => {
                if !this.getters.poll_notified(k, cx.waker()) {
                    return Poll::Pending;
                }
                *key = None;
                // A getter notified without an item was woken by the close.
                let item = this.getters.remove(k).value;
                let mut putter = None;
                if item.is_some() {
                    this.handed -= 1;
                    if this.rx_closed {
                        // An immediate shutdown came after the handoff: the item was still in
                        // the queue, so it is drained like the others and counts as done.
                        this.unfinished = this.unfinished.saturating_sub(1);
                        drop(this);
                        drop(item);
                        return Poll::Ready(None);
                    }
                    // The handed item leaves the buffer now: its room goes to a putter.
                    putter = this.pass_room();
                }
                drop(this);
                wake(putter);
                Poll::Ready(item)
            }
        }
    }

    /// Gives back a dropped getter's ticket, passing on an item it was handed.
    ///
    /// If the senders closed in between, other getters may already have returned `None`;
    /// the item is still there for the next get. That needs two concurrent `recv`s on one
    /// receiver, which single-consumer code does not do. Returns `true` when the item was
    /// dropped (the receiver is gone, or the queue was shut down at once) and that left no
    /// unfinished item, so that `Queue::join` waiters are due a wake-up.
    pub(crate) fn drop_get(cell: &RefCell<Self>, key: usize) -> bool {
        let mut this = cell.borrow_mut();
        let Some(item) = this.getters.remove(key).value else {
            return false;
        };
        this.handed -= 1;
        if this.rx_closed {
            // Dropped like the items the close drained: it counts as done.
            this.unfinished = this.unfinished.saturating_sub(1);
            let none_left = this.unfinished == 0;
            drop(this);
            drop(item);
            return none_left;
        } else if let Some((slot, waker)) = this.getters.notify_front() {
            *slot = Some(item);
            this.handed += 1;
            drop(this);
            wake(waker);
        } else {
            this.items.push_front(item);
        }
        false
    }

    /// Polls a put of `value` (taken on the first poll); `Err` gives the item back on close.
    pub(crate) fn poll_put(
        cell: &RefCell<Self>,
        key: &mut Option<usize>,
        value: &mut Option<T>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), T>> {
        let mut this = cell.borrow_mut();
        match *key {
            None => {
                let value = value.take().expect("put polled after completion");
                match this.try_put(value) {
                    Ok(waker) => {
                        drop(this);
                        wake(waker);
                        Poll::Ready(Ok(()))
                    }
                    Err(PutError::Closed(value)) => Poll::Ready(Err(value)),
                    Err(PutError::Full(value)) => {
                        *key = Some(this.putters.push_back(Some(value), cx.waker()));
                        Poll::Pending
                    }
                }
            }
            Some(k) => {
                if !this.putters.poll_notified(k, cx.waker()) {
                    return Poll::Pending;
                }
                *key = None;
                let value = this
                    .putters
                    .remove(k)
                    .value
                    .expect("a putter parks its item");
                // Notified by the close (a reservation made before it no longer matters).
                if this.refuses_puts() {
                    return Poll::Ready(Err(value));
                }
                // Room was reserved for this putter: use it.
                this.reserved -= 1;
                this.unfinished += 1;
                let (getter, putter) = match this.getters.notify_front() {
                    // Straight to a getter: it takes the room until it runs.
                    Some((slot, waker)) => {
                        *slot = Some(value);
                        this.handed += 1;
                        (waker, None)
                    }
                    None => {
                        this.items.push_back(value);
                        (None, None)
                    }
                };
                drop(this);
                wake(getter);
                wake(putter);
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Gives back a dropped putter's ticket; its item is dropped after the borrow ends. A
    /// putter that was notified held reserved room: it goes to the next putter.
    pub(crate) fn drop_put(cell: &RefCell<Self>, key: usize) {
        let mut this = cell.borrow_mut();
        let removed = this.putters.remove(key);
        let mut waker = None;
        if removed.notified && !this.refuses_puts() {
            this.reserved -= 1;
            waker = this.pass_room();
        }
        drop(this);
        drop(removed);
        wake(waker);
    }

    /// No sender is left: getters return `None` once the buffer is empty.
    pub(crate) fn close_tx(cell: &RefCell<Self>) {
        let wakers = {
            let mut this = cell.borrow_mut();
            this.tx_closed = true;
            // Getters only wait on an empty buffer: all of them get `None`.
            this.getters.notify_all()
        };
        super::waiters::wake_all(wakers);
    }

    /// `Queue::shutdown`: puts fail from now on (waiting ones get their items back) and gets
    /// fail once the buffer is empty; `immediate` also drops the buffered items, which count
    /// as done. Returns whether that left no unfinished item.
    pub(crate) fn shutdown(cell: &RefCell<Self>, immediate: bool) -> bool {
        let (wakers, items, none_left) = {
            let mut this = cell.borrow_mut();
            this.shut = true;
            this.tx_closed = true;
            let items = if immediate {
                this.rx_closed = true;
                this.items.take_all()
            } else {
                Vec::new()
            };
            this.unfinished = this.unfinished.saturating_sub(items.len());
            // Getters only wait on an empty buffer, and putters get their items back.
            let mut wakers = this.getters.notify_all();
            wakers.extend(this.putters.notify_all());
            (wakers, items, this.unfinished == 0)
        };
        drop(items);
        super::waiters::wake_all(wakers);
        none_left
    }

    /// No receiver is left: every put fails, and buffered items are dropped.
    pub(crate) fn close_rx(cell: &RefCell<Self>) {
        let (wakers, items) = {
            let mut this = cell.borrow_mut();
            this.rx_closed = true;
            (this.putters.notify_all(), this.items.take_all())
        };
        drop(items);
        super::waiters::wake_all(wakers);
    }
}

impl<T> Buffer<T> {
    /// Adds the buffer's lengths to a handle's `Debug` output.
    pub(crate) fn debug_fields(&self, d: &mut fmt::DebugStruct<'_, '_>) {
        // `len` here is the items nobody was handed yet (so "getters wait only beside an
        // empty buffer" reads off it); `Queue::len` also counts handed items.
        d.field("len", &self.items.len())
            .field("getters", &self.getters.len())
            .field("putters", &self.putters.len());
    }
}
