//! A tour of corio: coroutines you can look inside while they run.
//!
//! Run it with `cargo run --release --example tour`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corio::{Coroutine, CoroutineState, Inspect};

/// A generator: Python's `def fib(limit): ... yield a ...`.
#[corio::coroutine(yield = u64)]
fn fib(limit: u64) -> &'static str {
    let (mut a, mut b) = (0, 1);
    while a < limit {
        yield_!(a);
        (a, b) = (b, a + b);
    }
    "done"
}

/// A generator that receives values: Python's `x = yield total` with `send(x)`.
#[corio::coroutine(yield = i64, resume = i64)]
fn running_total() -> i64 {
    let mut total = 0;
    loop {
        let x = yield_!(total);
        if x == 0 {
            return total;
        }
        total += x;
    }
}

/// A future that is pending once, like a timer that has not fired yet.
struct NotYet(bool);

impl Future for NotYet {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(())
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[corio::coroutine]
async fn fetch(url: String) -> usize {
    let retries = 3;
    NotYet(false).await;
    url.len() * retries
}

#[corio::coroutine]
async fn handler(id: u32) -> usize {
    let request = format!("https://example.com/item/{id}");
    let size = fetch(request.clone()).await;
    size + request.len()
}

fn section(title: &str) {
    println!("\n== {title}");
}

fn main() {
    section("a generator, step by step (inspect.getgeneratorstate / getgeneratorlocals)");
    let mut g = fib(10);
    println!("created:   {g:?}");
    for _ in 0..3 {
        let CoroutineState::Yielded(v) = g.resume(()) else {
            unreachable!()
        };
        let locals: Vec<String> = g.locals().iter().map(ToString::to_string).collect();
        println!(
            "yielded {v}: {} at {}  locals [{}]",
            g.status(),
            g.suspended_at().unwrap(),
            locals.join(", ")
        );
    }
    let rest: Vec<u64> = g.by_ref().collect();
    println!(
        "the rest:  {rest:?}, returned {:?}, now {}",
        g.take_return(),
        g.status()
    );

    section("send(): resume arguments");
    let mut t = running_total();
    for x in [0, 5, 7, 0] {
        println!("send({x:>2}) -> {:?}   {t:?}", t.resume(x));
    }

    section("an async coroutine awaiting another one (cr_await)");
    let mut h = handler(7);
    let waker = Waker::noop();
    let mut cx = Context::from_waker(waker);
    println!("before the first poll: {h:?}");
    assert!(Pin::new(&mut h).poll(&mut cx).is_pending());
    let mut level: Option<&dyn Inspect> = Some(&h);
    let mut depth = 0;
    while let Some(c) = level {
        let locals: Vec<String> = c.locals().iter().map(ToString::to_string).collect();
        println!(
            "{:indent$}{} {} at {}  locals [{}]",
            "",
            c.name(),
            c.status().coro_name(),
            c.suspended_at()
                .map(ToString::to_string)
                .unwrap_or_default(),
            locals.join(", "),
            indent = depth * 2
        );
        level = c.awaiting();
        depth += 1;
    }
    let Poll::Ready(n) = Pin::new(&mut h).poll(&mut cx) else {
        unreachable!()
    };
    println!("ready: {n}, now {}", h.status().coro_name());
}
