//! The generator wrapper against a hand-written `Iterator`, with a hand-written frame of the
//! shape the macro emits (so this measures `__private::Gen` alone, without the pass).
//!
//! Run: `cargo bench -p corio --bench wrapper` (prints ns per yield and the ratio).

use std::hint::black_box;
use std::time::Instant;

use corio::__private::{CoroutineState, Described, Frame, Status, Step, generator};

enum CounterFrame<N, I> {
    Start { n: N },
    Point0 { i: I, n: N },
    Running,
    Done(Option<()>),
}

impl<N, I> Frame for CounterFrame<N, I> {
    const NAME: &'static str = "bench::counter";
    type Return = ();
    fn status(&self) -> Status {
        match self {
            Self::Start { .. } => Status::Created,
            Self::Running => Status::Running,
            Self::Done(_) => Status::Closed,
            _ => Status::Suspended,
        }
    }
    fn done(ret: Option<()>) -> Self {
        Self::Done(ret)
    }
    fn take_return(&mut self) -> Option<()> {
        match self {
            Self::Done(r) => r.take(),
            _ => None,
        }
    }
}

fn counter(n: u64) -> impl Iterator<Item = u64> {
    generator(
        CounterFrame::Start { n },
        |frame, _: ()| {
            let mut state = std::mem::replace(frame, CounterFrame::Running);
            loop {
                match state {
                    CounterFrame::Start { n } => {
                        state = CounterFrame::Point0 {
                            i: 0u64.wrapping_sub(1),
                            n,
                        };
                    }
                    CounterFrame::Point0 { mut i, n } => {
                        i = i.wrapping_add(1);
                        if i < n {
                            *frame = CounterFrame::Point0 { i, n };
                            return Step::some(CoroutineState::Yielded(i));
                        }
                        *frame = CounterFrame::Done(None);
                        return Step::some(CoroutineState::Complete(()));
                    }
                    CounterFrame::Running | CounterFrame::Done(_) => {
                        *frame = state;
                        return Step(None);
                    }
                }
            }
        },
        |_, _| Described::NONE,
    )
}

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

/// Sums with every item passing through `black_box`, so the loop cannot be folded away.
fn sum(it: impl Iterator<Item = u64>) -> u64 {
    let mut s = 0u64;
    for x in it {
        s = s.wrapping_add(black_box(x));
    }
    s
}

fn time(label: &str, n: u64, f: impl Fn(u64) -> u64) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        black_box(f(black_box(n)));
        best = best.min(start.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    println!("{label:<28} {best:>7.3} ns/yield");
    best
}

fn main() {
    let n: u64 = std::env::var("CORIO_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000_000);
    let hand = time("hand-written Iterator", n, |n| sum(HandCounter { i: 0, n }));
    let corio = time("corio Gen wrapper", n, |n| sum(counter(n)));
    println!("ratio corio / hand: {:.2}x", corio / hand);
    let dyn_hand = time("Box<dyn Iterator> hand", n, |n| {
        let mut it: Box<dyn Iterator<Item = u64>> = Box::new(HandCounter { i: 0, n });
        let mut s = 0u64;
        while let Some(x) = black_box(&mut it).next() {
            s = s.wrapping_add(x);
        }
        s
    });
    let dyn_corio = time("Box<dyn Iterator> corio", n, |n| {
        let mut it: Box<dyn Iterator<Item = u64>> = Box::new(counter(n));
        let mut s = 0u64;
        while let Some(x) = black_box(&mut it).next() {
            s = s.wrapping_add(x);
        }
        s
    });
    println!("ratio behind dyn: {:.2}x", dyn_corio / dyn_hand);
    println!(
        "frame size: corio {} B, hand {} B",
        size_of_val(&counter(1)),
        size_of::<HandCounter>()
    );
}
