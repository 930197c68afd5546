//! `#[corio::coroutine] async fn` against rustc's own `async fn` lowering of the same body:
//! frame size (`size_of_val` of the future) for a corpus of bodies, and the time of a million
//! ready awaits.
//!
//! Run: `cargo bench -p corio --bench async_fns`.

use std::future::{Future, ready};
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// A leaf future that is pending `n` times before it is ready (a lock or a partial read).
struct TickN(u32);

impl Future for TickN {
    type Output = u64;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if self.0 == 0 {
            Poll::Ready(1)
        } else {
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A leaf future that is pending once (as a timer or a socket would be).
struct Tick(bool);

impl Future for Tick {
    type Output = u64;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u64> {
        if std::mem::replace(&mut self.0, true) {
            Poll::Ready(1)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// Defines the same body twice: `$corio` with `#[corio::coroutine]`, `$native` as a plain
/// `async fn`, so both lower exactly the same code.
macro_rules! corpus {
    ($( $corio:ident / $native:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty $body:block )*) => {
        $(
            #[corio::coroutine]
            async fn $corio($($arg: $ty),*) -> $ret $body
            async fn $native($($arg: $ty),*) -> $ret $body
        )*
    };
}

corpus! {
    one_await / one_await_native(x: u64) -> u64 {
        let v = Tick(false).await;
        x + v
    }
    two_locals / two_locals_native(x: u64) -> u64 {
        let a = x * 2;
        let b = Tick(false).await;
        let c = Tick(false).await;
        a + b + c
    }
    loop_await / loop_await_native(n: u64) -> u64 {
        let mut total = 0;
        let mut i = 0;
        while i < n {
            total += black_box(Tick(false)).await;
            i += 1;
        }
        total
    }
    match_arms / match_arms_native(k: u64) -> u64 {
        match k % 3 {
            0 => Tick(false).await,
            1 => Tick(false).await + Tick(false).await,
            _ => ready(7).await,
        }
    }
    string_local / string_local_native(name: String) -> usize {
        let greeting = format!("hello {name}");
        Tick(false).await;
        greeting.len()
    }
    vec_loop / vec_loop_native(items: Vec<u64>) -> u64 {
        let mut sum = 0;
        for x in items {
            sum += x * Tick(false).await;
        }
        sum
    }
    chain_leaf / chain_leaf_native(x: u64) -> u64 {
        let v = Tick(false).await;
        x + v
    }
    held_buffer / held_buffer_native(n: u64) -> u64 {
        // A buffer held across awaits whose futures are pending four times each.
        let buf = [black_box(3u64); 32];
        let mut total = 0u64;
        let mut i = 0;
        while i < n {
            total += black_box(TickN(4)).await * buf[(i % 32) as usize];
            i += 1;
        }
        total
    }
    ready_loop / ready_loop_native(n: u64) -> u64 {
        let mut total = 0u64;
        for i in 0..n {
            total = total.wrapping_add(black_box(ready(i)).await);
        }
        total
    }
}

#[corio::coroutine]
async fn chain_middle(x: u64) -> u64 {
    let v = chain_leaf(x).await;
    v + 1
}

#[corio::coroutine]
async fn chain_top(x: u64) -> u64 {
    let v = chain_middle(x).await;
    v * 2
}

async fn chain_middle_native(x: u64) -> u64 {
    let v = chain_leaf_native(x).await;
    v + 1
}

async fn chain_top_native(x: u64) -> u64 {
    let v = chain_middle_native(x).await;
    v * 2
}

fn main() {
    println!("{:<26} {:>8} {:>8}", "frame bytes", "corio", "rustc");
    let rows: Vec<(&str, usize, usize)> = vec![
        (
            "one await",
            size_of_val(&one_await(1)),
            size_of_val(&one_await_native(1)),
        ),
        (
            "locals across awaits",
            size_of_val(&two_locals(1)),
            size_of_val(&two_locals_native(1)),
        ),
        (
            "loop with an await",
            size_of_val(&loop_await(1)),
            size_of_val(&loop_await_native(1)),
        ),
        (
            "match, awaits in arms",
            size_of_val(&match_arms(1)),
            size_of_val(&match_arms_native(1)),
        ),
        (
            "String local",
            size_of_val(&string_local(String::new())),
            size_of_val(&string_local_native(String::new())),
        ),
        (
            "for over a Vec",
            size_of_val(&vec_loop(vec![])),
            size_of_val(&vec_loop_native(vec![])),
        ),
        (
            "chain of three coroutines",
            size_of_val(&chain_top(1)),
            size_of_val(&chain_top_native(1)),
        ),
        (
            "ready awaits in a loop",
            size_of_val(&ready_loop(1)),
            size_of_val(&ready_loop_native(1)),
        ),
    ];
    for (name, corio, native) in &rows {
        println!(
            "{name:<26} {corio:>8} {native:>8}{}",
            if corio > native { "   (larger)" } else { "" }
        );
    }
    // Same results from both lowerings.
    assert_eq!(block_on(match_arms(1)), block_on(match_arms_native(1)));
    assert_eq!(block_on(chain_top(5)), block_on(chain_top_native(5)));
    assert_eq!(
        block_on(vec_loop(vec![1, 2])),
        block_on(vec_loop_native(vec![1, 2]))
    );

    let n: u64 = std::env::var("CORIO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // How many times `label` (`row/corio` or `row/rustc`) runs: 7, or with `CORIO_BENCH_ONLY`
    // (a comma-separated list of labels) `CORIO_BENCH_REPS` times if listed and else not at
    // all: `instructions.sh async-<row>` counts each lowering alone under cachegrind.
    let reps = |label: &str| match std::env::var("CORIO_BENCH_ONLY") {
        Ok(only) if !only.split(',').any(|l| l == label) => 0,
        Ok(_) => std::env::var("CORIO_BENCH_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(7),
        Err(_) => 7,
    };
    // `black_box` around each awaited future keeps the optimiser from folding the loops away.
    let time = |label: &str, f: &dyn Fn() -> u64| {
        let mut best = f64::NAN;
        for _ in 0..reps(label) {
            let start = Instant::now();
            black_box(f());
            best = best.min(start.elapsed().as_secs_f64());
        }
        best
    };
    // Times corio's and rustc's lowering of one body and prints the throughput ratio.
    let compare =
        |(row, what): (&str, String), corio: &dyn Fn() -> u64, native: &dyn Fn() -> u64| {
            let corio = time(&format!("{row}/corio"), corio);
            let native = time(&format!("{row}/rustc"), native);
            println!(
                "{what}: corio {:.2} ms, rustc {:.2} ms: corio throughput {:.2}x native",
                corio * 1e3,
                native * 1e3,
                native / corio
            );
        };
    println!();
    compare(
        ("ready", format!("{n} ready awaits")),
        &|| block_on(ready_loop(black_box(n))),
        &|| block_on(ready_loop_native(black_box(n))),
    );
    compare(
        (
            "held",
            format!(
                "{} awaits pending 4 times with a 256-byte buffer held",
                n / 10
            ),
        ),
        &|| block_on(held_buffer(black_box(n / 10))),
        &|| block_on(held_buffer_native(black_box(n / 10))),
    );
    compare(
        ("pending", format!("{} pending-once awaits", n / 10)),
        &|| block_on(loop_await(black_box(n / 10))),
        &|| block_on(loop_await_native(black_box(n / 10))),
    );
}
