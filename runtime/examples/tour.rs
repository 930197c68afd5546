//! A tour of corio: coroutines you can look inside while they run.
//!
//! Run it with `cargo run --release --example tour`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use corio::net::{TcpListener, TcpStream};
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

/// The asyncio primer's coroutine, as a corio coroutine.
#[corio::coroutine]
async fn say_after(delay: Duration, what: &'static str) {
    corio::sleep(delay).await;
    println!("  {what}");
}

/// One connection of the echo server: read, write back, until the client closes.
#[corio::coroutine]
async fn echo(stream: TcpStream) -> io::Result<usize> {
    let mut echoed = 0;
    loop {
        let (res, buf) = stream.read(Vec::with_capacity(1024)).await;
        if res? == 0 {
            return Ok(echoed);
        }
        echoed += buf.len();
        let (res, _) = stream.write_all(buf).await;
        res?;
    }
}

/// The accept loop: one task per connection.
#[corio::coroutine]
async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        drop(corio::spawn_named(format!("echo {peer}"), echo(stream)));
    }
}

/// A client: says hello, reads the echo, stays connected a moment, and leaves.
#[corio::coroutine]
async fn client(addr: SocketAddr, id: u32) -> io::Result<String> {
    let stream = TcpStream::connect(addr).await?;
    let (res, _) = stream
        .write_all(format!("hello from client {id}").into_bytes())
        .await;
    res?;
    let (res, reply) = stream.read(Vec::with_capacity(64)).await;
    res?;
    corio::sleep(Duration::from_millis(100)).await;
    // Used after the sleep, so the connection stays open until here (a coroutine drops a
    // binding at the first suspension point after its last use).
    drop(stream);
    Ok(String::from_utf8_lossy(&reply).into_owned())
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

    section(
        "the asyncio primer on corio's loop: say_after(200 ms, Hello) and say_after(100 ms, World) gathered",
    );
    let started = Instant::now();
    corio::run(async {
        let hello = say_after(Duration::from_millis(200), "Hello");
        let world = say_after(Duration::from_millis(100), "World");
        println!("  before: {hello:?}, {world:?}");
        corio::join!(hello, world).await;
    });
    println!(
        "  finished after {:.2} s (the two sleeps overlap)",
        started.elapsed().as_secs_f64()
    );

    section("an echo server on 127.0.0.1 serving three clients, one coroutine per connection");
    let replies = corio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        println!("  listening on {addr}");
        let server = corio::spawn_named("accept loop", serve(listener));
        let clients: Vec<_> = (1..=3)
            .map(|id| corio::spawn_named(format!("client {id}"), client(addr, id)))
            .collect();
        corio::sleep(Duration::from_millis(30)).await;
        print_tasks();
        let mut replies = Vec::new();
        for c in clients {
            replies.push(c.await.expect("client task")?);
        }
        server.cancel();
        io::Result::Ok(replies)
    })
    .expect("echo round trips");
    for reply in replies {
        println!("  echoed back: {reply:?}");
    }
}

/// What the loop is running right now: every task's await chain (asyncio's
/// `Task.print_stack()` for all tasks).
fn print_tasks() {
    for line in corio::dump().lines() {
        println!("  {line}");
    }
}
