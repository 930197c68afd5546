//! Channels that cross loops and threads: `Send` twins of [`sync::mpsc`](super::mpsc) and
//! [`sync::oneshot`](super::oneshot).
//!
//! The rest of [`corio::sync`](super) is for tasks of one loop (its handles are `Rc`s, so
//! `!Send`). To hand values between loops on different threads (see
//! [`run_per_core`](crate::run_per_core) and [`RemoteHandle`](crate::RemoteHandle)), or
//! between a loop and a plain thread, use these:
//!
//! | corio | tokio | what |
//! | --- | --- | --- |
//! | [`mpsc::channel(cap)`](mpsc::channel) | `sync::mpsc::channel` | a bounded stream of items from several producers |
//! | [`mpsc::unbounded_channel()`](mpsc::unbounded_channel) | `sync::mpsc::unbounded_channel` | the same, never full |
//! | [`oneshot::channel()`](oneshot::channel) | `sync::oneshot::channel` | one value, the receiver awaited directly |
//!
//! They keep the local channels' shape and promises:
//!
//! * **Futures borrow nothing.** `send(&self, v)` and `recv(&self)` return `'static`,
//!   `Unpin`, `Send` futures that own a counted reference to the channel, so
//!   `tx.send(v).await` and `rx.recv().await` work on locals inside `#[corio::coroutine]`
//!   bodies (async-channel's and tokio's futures borrow the handle, which a coroutine body
//!   cannot hold across an await).
//! * **Cancellation loses nothing.** A `recv` woken for an item and dropped before it ran
//!   passes the wake-up to the next waiting `recv` (the item stays in the channel); a bounded
//!   `send` given room and dropped before it ran never lands its item, and passes the room on
//!   to the next waiting `send`. Dropping the last sender wakes every receiver (`recv` gives
//!   `None` once the buffer is drained); dropping the receiver fails every send, waiting or
//!   not, with its item given back.
//! * **Plain threads too**: `blocking_send` / `blocking_recv` wait by parking the thread
//!   (and panic on a loop's thread, where they could deadlock the loop: `.await` there).
//!
//! One difference from the local channels: waiters are woken in the order they came, but a
//! send or receive that arrives on another thread while a woken waiter has not run yet may
//! take the room or the item first (as with tokio's and async-channel's channels); a
//! cross-thread hand-off to one chosen waiter would cost a lock per operation. Nothing is
//! lost or duplicated either way.
//!
//! The channel is a lock-free queue ([`concurrent-queue`](https://docs.rs/concurrent-queue))
//! with two wait lists ([`event-listener`](https://docs.rs/event-listener)), the design of
//! async-channel, whose notification hand-on gives the cancellation guarantees above.
//!
//! # Examples
//!
//! A loop on another thread sends its results to the main loop:
//!
//! ```
//! use corio::sync::threadsafe::mpsc;
//!
//! let (tx, rx) = mpsc::channel::<u32>(4);
//! let worker = std::thread::spawn(move || {
//!     corio::run(async move {
//!         for i in 0..3 {
//!             tx.send(i * i).await.unwrap();
//!         }
//!     })
//! });
//! let got = corio::run(async move {
//!     let mut got = Vec::new();
//!     while let Some(v) = rx.recv().await {
//!         got.push(v);
//!     }
//!     got
//! });
//! worker.join().unwrap();
//! assert_eq!(got, [0, 1, 4]);
//! ```

mod block;
pub mod mpsc;
pub mod oneshot;
