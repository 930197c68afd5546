//! Time per yield of four generators, each against the same work (the same statements in
//! the same order) as a hand-written
//! `Iterator`, `genawaiter`, and a generator built on a rustc `async` block; also frame sizes
//! and the cost behind `Box<dyn Iterator>` (a resume the optimiser cannot see through).
//!
//! Run: `cargo bench -p corio --bench generators` (`CORIO_BENCH_N` sets the yields per run).
//! Times are thread CPU time. One binary's ratios move with code placement; for ratios that
//! mean something run `runtime/benches/placements.sh`, which builds this bench in several link
//! orders and reads its `CORIO_BENCH_RAW=1` lines (one `raw <label> <ns>` per contender).
//! `CORIO_BENCH_ONLY=<row>/<contender>[,…]` (e.g. `spans/corio`) runs only those contenders,
//! `CORIO_BENCH_REPS` times (default 5): `runtime/benches/instructions.sh` runs each under
//! cachegrind at two repetition counts, so the difference is instructions per item, a measure
//! the machine's load does not change.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

// ---- corio ---------------------------------------------------------------------------------

#[corio::coroutine(yield = u64)]
fn counter(n: u64) {
    let mut i = 0;
    while i < n {
        yield_!(i);
        i += 1;
    }
}

#[corio::coroutine(yield = u64)]
fn fib(n: u64) {
    let (mut a, mut b) = (0u64, 1u64);
    let mut i = 0;
    while i < n {
        yield_!(a);
        (a, b) = (b, a.wrapping_add(b));
        i += 1;
    }
}

#[corio::coroutine(yield = &'a str)]
fn tokens<'a>(text: &'a str) {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric());
        if rest.is_empty() {
            return;
        }
        let end = rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(rest.len());
        let token = &rest[..end];
        rest = &rest[end..];
        yield_!(token);
    }
}

/// The tokenizer of issue 20: byte offsets of the space-separated words, with the loops that
/// find them in the body (no library search).
#[corio::coroutine(yield = (usize, usize))]
fn spans(text: &str) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b' ' {
            i += 1;
        }
        if i > start {
            yield_!((start, i));
        }
    }
}

// ---- hand-written iterators ----------------------------------------------------------------

struct HandCounter {
    i: u64,
    n: u64,
}

impl Iterator for HandCounter {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        if self.i < self.n {
            self.i += 1;
            Some(self.i - 1)
        } else {
            None
        }
    }
}

struct HandFib {
    a: u64,
    b: u64,
    i: u64,
    n: u64,
}

impl Iterator for HandFib {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        if self.i < self.n {
            let a = self.a;
            (self.a, self.b) = (self.b, self.a.wrapping_add(self.b));
            self.i += 1;
            Some(a)
        } else {
            None
        }
    }
}

struct HandTokens<'a> {
    rest: &'a str,
}

impl<'a> Iterator for HandTokens<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.rest = self.rest.trim_start_matches(|c: char| !c.is_alphanumeric());
        if self.rest.is_empty() {
            return None;
        }
        let end = self
            .rest
            .find(|c: char| !c.is_alphanumeric())
            .unwrap_or(self.rest.len());
        let token = &self.rest[..end];
        self.rest = &self.rest[end..];
        Some(token)
    }
}

/// Keeps its position in a local while it scans (what one writes by hand; working on
/// `self.i` directly costs 68 instructions per span instead of 56).
struct HandSpans<'a> {
    bytes: &'a [u8],
    i: usize,
}

impl Iterator for HandSpans<'_> {
    type Item = (usize, usize);
    fn next(&mut self) -> Option<(usize, usize)> {
        let bytes = self.bytes;
        let mut i = self.i;
        while i < bytes.len() {
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
            if i > start {
                self.i = i;
                return Some((start, i));
            }
        }
        self.i = i;
        None
    }
}

/// The counter as a state machine would write it by hand: a state tag (created, suspended,
/// done) that every resume checks and stores, as corio's frame does. Behind `Box<dyn>` this
/// shows what the tag store alone costs.
struct HandTagged {
    tag: u8,
    i: u64,
    n: u64,
}

impl Iterator for HandTagged {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        let i = match self.tag {
            0 => 0,
            1 => self.i + 1,
            _ => return None,
        };
        if i < self.n {
            self.tag = 1;
            self.i = i;
            Some(i)
        } else {
            self.tag = 2;
            None
        }
    }
}

// ---- genawaiter ----------------------------------------------------------------------------

fn genawaiter_counter(n: u64) -> impl Iterator<Item = u64> {
    genawaiter::rc::Gen::new(move |co| async move {
        let mut i = 0;
        while i < n {
            co.yield_(i).await;
            i += 1;
        }
    })
    .into_iter()
}

fn genawaiter_fib(n: u64) -> impl Iterator<Item = u64> {
    genawaiter::rc::Gen::new(move |co| async move {
        let (mut a, mut b) = (0u64, 1u64);
        for _ in 0..n {
            co.yield_(a).await;
            (a, b) = (b, a.wrapping_add(b));
        }
    })
    .into_iter()
}

fn genawaiter_tokens(text: &str) -> impl Iterator<Item = &str> + '_ {
    genawaiter::rc::Gen::new(move |co| async move {
        let mut rest = text;
        loop {
            rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric());
            if rest.is_empty() {
                return;
            }
            let end = rest
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(rest.len());
            let token = &rest[..end];
            rest = &rest[end..];
            co.yield_(token).await;
        }
    })
    .into_iter()
}

fn genawaiter_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    genawaiter::rc::Gen::new(move |co| async move {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
            if i > start {
                co.yield_((start, i)).await;
            }
        }
    })
    .into_iter()
}

// ---- a generator on a rustc async block ----------------------------------------------------

/// The smallest generator rustc's own lowering gives on stable: an `async` block that parks
/// each value in a shared slot and returns `Pending` once.
struct AsyncGen<T, F> {
    slot: Rc<Cell<Option<T>>>,
    fut: Pin<Box<F>>,
}

struct YieldNow<T> {
    slot: Rc<Cell<Option<T>>>,
    value: Option<T>,
}

impl<T: Unpin> Future for YieldNow<T> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        match self.value.take() {
            Some(v) => {
                self.slot.set(Some(v));
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

fn async_gen<T, F: Future<Output = ()>>(
    body: impl FnOnce(Rc<Cell<Option<T>>>) -> F,
) -> AsyncGen<T, F> {
    let slot = Rc::new(Cell::new(None));
    AsyncGen {
        fut: Box::pin(body(slot.clone())),
        slot,
    }
}

impl<T, F: Future<Output = ()>> Iterator for AsyncGen<T, F> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        match self
            .fut
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(()) => None,
            Poll::Pending => self.slot.take(),
        }
    }
}

fn async_counter(n: u64) -> AsyncGen<u64, impl Future<Output = ()>> {
    async_gen(move |slot| async move {
        let mut i = 0;
        while i < n {
            YieldNow {
                slot: slot.clone(),
                value: Some(i),
            }
            .await;
            i += 1;
        }
    })
}

fn async_fib(n: u64) -> AsyncGen<u64, impl Future<Output = ()>> {
    async_gen(move |slot| async move {
        let (mut a, mut b) = (0u64, 1u64);
        for _ in 0..n {
            YieldNow {
                slot: slot.clone(),
                value: Some(a),
            }
            .await;
            (a, b) = (b, a.wrapping_add(b));
        }
    })
}

fn async_tokens(text: &str) -> AsyncGen<&str, impl Future<Output = ()>> {
    async_gen(move |slot| async move {
        let mut rest = text;
        loop {
            rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric());
            if rest.is_empty() {
                return;
            }
            let end = rest
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(rest.len());
            let token = &rest[..end];
            rest = &rest[end..];
            YieldNow {
                slot: slot.clone(),
                value: Some(token),
            }
            .await;
        }
    })
}

fn async_spans(text: &str) -> AsyncGen<(usize, usize), impl Future<Output = ()>> {
    async_gen(move |slot| async move {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            while i < bytes.len() && bytes[i] == b' ' {
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
            if i > start {
                YieldNow {
                    slot: slot.clone(),
                    value: Some((start, i)),
                }
                .await;
            }
        }
    })
}

// ---- harness -------------------------------------------------------------------------------

/// Whether `label` (`row/contender`) runs, and how many times: every contender 5 times, or
/// only those `CORIO_BENCH_ONLY` names (a comma-separated list), `CORIO_BENCH_REPS` times.
fn reps(label: &str) -> usize {
    match std::env::var("CORIO_BENCH_ONLY") {
        Ok(only) if !only.split(',').any(|l| l == label) => 0,
        Ok(_) => std::env::var("CORIO_BENCH_REPS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5),
        Err(_) => 5,
    }
}

/// This thread's CPU time in ns. The bench times with it rather than the wall clock: on a
/// shared machine a run of a few ms is often taken off its CPU, and the wall clock counts
/// that wait; on a quiet machine the two agree. `CORIO_BENCH_CLOCK=wall` takes the wall
/// clock instead (ns since the first call): `instructions.sh` sets it, because rustix's
/// `clock_gettime` reads the vDSO, which valgrind does not give the way rustix expects
/// (it crashes there).
fn cpu_ns() -> f64 {
    static WALL: std::sync::OnceLock<Option<std::time::Instant>> = std::sync::OnceLock::new();
    let wall = WALL.get_or_init(|| {
        (std::env::var("CORIO_BENCH_CLOCK").as_deref() == Ok("wall")).then(std::time::Instant::now)
    });
    match wall {
        Some(origin) => origin.elapsed().as_nanos() as f64,
        None => {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
        }
    }
}

/// With `CORIO_BENCH_RAW` set, one `raw <label> <ns>` line per contender that ran, for
/// `placements.sh`, which reads these lines from many builds of this bench.
fn report(label: &str, ns: f64) -> f64 {
    if !ns.is_nan() && std::env::var_os("CORIO_BENCH_RAW").is_some() {
        println!("raw {label} {ns:.4}");
    }
    ns
}

/// Best of the runs, in ns per item; every item passes through `black_box`. NaN when the
/// contender does not run.
///
/// `#[inline(never)]` (here and in `time_dyn`, `time_with`): each contender's timing loop is
/// a function of its own, one per instance of the generic, so that the linker places each
/// loop as a unit. Inlined into `main`, every loop's address depended on all the code before
/// it, and a change anywhere in the file moved the rows by up to a third (README
/// "Performance"); `placements.sh` now links this bench in several function orders and
/// reports the spread.
#[inline(never)]
fn time<I: Iterator>(label: &str, items: u64, make: impl Fn() -> I) -> f64 {
    let mut best = f64::NAN;
    for _ in 0..reps(label) {
        let start = cpu_ns();
        let mut count = 0u64;
        for x in make() {
            black_box(x);
            count += 1;
        }
        assert_eq!(count, items);
        best = best.min((cpu_ns() - start) / items as f64);
    }
    report(label, best)
}

/// Like [`time`], but every `next` goes through an opaque `&mut dyn Iterator`.
#[inline(never)]
fn time_dyn(label: &str, items: u64, make: impl Fn() -> Box<dyn Iterator<Item = u64>>) -> f64 {
    let mut best = f64::NAN;
    for _ in 0..reps(label) {
        let mut it = make();
        let start = cpu_ns();
        let mut count = 0u64;
        while let Some(x) = black_box(&mut *it).next() {
            black_box(x);
            count += 1;
        }
        assert_eq!(count, items);
        best = best.min((cpu_ns() - start) / items as f64);
    }
    report(label, best)
}

/// The byte spans summed by a consumer in a function of its own (`#[inline(never)]`): the
/// step is inlined into a smaller loop than `time`'s, so its registers are allocated
/// differently (see README "Performance": instruction counts per consumer shape).
#[inline(never)]
fn sum_spans<I: Iterator<Item = (usize, usize)>>(spans: I) -> u64 {
    let mut total = 0u64;
    for (start, end) in spans {
        total += (end - start) as u64 + 1;
    }
    total
}

/// Like [`time`], with another consumer: `consume` takes the iterator, and what it returns
/// must be `expect`; the time is per `items`.
#[inline(never)]
fn time_with<I: Iterator>(
    label: &str,
    (items, expect): (u64, u64),
    make: impl Fn() -> I,
    consume: impl Fn(I) -> u64,
) -> f64 {
    let mut best = f64::NAN;
    for _ in 0..reps(label) {
        let start = cpu_ns();
        let got = black_box(consume(make()));
        assert_eq!(got, expect);
        best = best.min((cpu_ns() - start) / items as f64);
    }
    report(label, best)
}

fn row(name: &str, hand: f64, corio: f64, gena: f64, rustc: f64) {
    println!(
        "{name:<22} {hand:>8.2} {corio:>8.2} {gena:>11.2} {rustc:>11.2}   {:>5.2}x",
        corio / hand
    );
}

fn main() {
    let n: u64 = std::env::var("CORIO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000_000);
    let words = n / 50;
    let text: String = (0..words).map(|i| format!("word{} ", i % 1000)).collect();
    println!("ns per yield (best of 5)   hand    corio  genawaiter  async-block   corio/hand");
    row(
        "counter",
        time("counter/hand", n, || HandCounter {
            i: 0,
            n: black_box(n),
        }),
        time("counter/corio", n, || counter(black_box(n))),
        time("counter/genawaiter", n, || genawaiter_counter(black_box(n))),
        time("counter/async", n, || async_counter(black_box(n))),
    );
    row(
        "fibonacci",
        time("fib/hand", n, || HandFib {
            a: 0,
            b: 1,
            i: 0,
            n: black_box(n),
        }),
        time("fib/corio", n, || fib(black_box(n))),
        time("fib/genawaiter", n, || genawaiter_fib(black_box(n))),
        time("fib/async", n, || async_fib(black_box(n))),
    );
    row(
        "tokenizer (per token)",
        time("tokens/hand", words, || HandTokens {
            rest: black_box(&text),
        }),
        time("tokens/corio", words, || tokens(black_box(&text))),
        time("tokens/genawaiter", words, || {
            genawaiter_tokens(black_box(&text))
        }),
        time("tokens/async", words, || async_tokens(black_box(&text))),
    );
    row(
        "byte spans (per span)",
        time("spans/hand", words, || HandSpans {
            bytes: black_box(&text).as_bytes(),
            i: 0,
        }),
        time("spans/corio", words, || spans(black_box(&text))),
        time("spans/genawaiter", words, || {
            genawaiter_spans(black_box(&text))
        }),
        time("spans/async", words, || async_spans(black_box(&text))),
    );
    // The same two byte-spans contenders under other consumers: `.count()`, and a summing
    // loop in a function of its own (the sum of the words' lengths plus one each).
    let sum: u64 = text
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.len() as u64 + 1)
        .sum();
    for (label, hand, corio) in [
        (
            "count",
            time_with(
                "spans-count/hand",
                (words, words),
                || HandSpans {
                    bytes: black_box(&text).as_bytes(),
                    i: 0,
                },
                |it| it.count() as u64,
            ),
            time_with(
                "spans-count/corio",
                (words, words),
                || spans(black_box(&text)),
                |it| it.count() as u64,
            ),
        ),
        (
            "sum in a fn",
            time_with(
                "spans-fn/hand",
                (words, sum),
                || HandSpans {
                    bytes: black_box(&text).as_bytes(),
                    i: 0,
                },
                sum_spans,
            ),
            time_with(
                "spans-fn/corio",
                (words, sum),
                || spans(black_box(&text)),
                sum_spans,
            ),
        ),
    ] {
        println!(
            "  byte spans, consumer {label}: hand {hand:.2} ns, corio {corio:.2} ns ({:.2}x hand)",
            corio / hand
        );
    }
    let dyn_hand = time_dyn("dyn/hand", n, || {
        Box::new(HandCounter {
            i: 0,
            n: black_box(n),
        })
    });
    let dyn_corio = time_dyn("dyn/corio", n, || Box::new(counter(black_box(n))));
    let dyn_gena = time_dyn("dyn/genawaiter", n, || {
        Box::new(genawaiter_counter(black_box(n)))
    });
    let dyn_rustc = time_dyn("dyn/async", n, || Box::new(async_counter(black_box(n))));
    row(
        "counter, Box<dyn>",
        dyn_hand,
        dyn_corio,
        dyn_gena,
        dyn_rustc,
    );
    let dyn_tagged = time_dyn("dyn/tagged", n, || {
        Box::new(HandTagged {
            tag: 0,
            i: 0,
            n: black_box(n),
        })
    });
    println!(
        "  hand-written with a state tag stored per resume, Box<dyn>: {dyn_tagged:.2} ns ({:.2}x hand)",
        dyn_tagged / dyn_hand
    );
    println!();
    println!("frame bytes            hand    corio  async-block (boxed future + slot)");
    println!(
        "counter              {:>6} {:>8} {:>8}",
        size_of::<HandCounter>(),
        size_of_val(&counter(1)),
        size_of_val(&*async_counter(1).fut)
    );
    println!(
        "fibonacci            {:>6} {:>8} {:>8}",
        size_of::<HandFib>(),
        size_of_val(&fib(1)),
        size_of_val(&*async_fib(1).fut)
    );
    println!(
        "tokenizer            {:>6} {:>8} {:>8}",
        size_of::<HandTokens<'_>>(),
        size_of_val(&tokens("")),
        size_of_val(&*async_tokens("").fut)
    );
    println!(
        "byte spans           {:>6} {:>8} {:>8}",
        size_of::<HandSpans<'_>>(),
        size_of_val(&spans("")),
        size_of_val(&*async_spans("").fut)
    );
}
