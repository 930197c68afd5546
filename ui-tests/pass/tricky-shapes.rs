//! Shapes that must keep compiling: generics with bounds, early returns, nested blocks,
//! methods, `#![forbid(unsafe_code)]`, and an `async move` block awaited outside.
#![forbid(unsafe_code)]
#![deny(warnings)]

use corio::{Coroutine, CoroutineState};

#[corio::coroutine(yield = T)]
fn pairs<T, I>(items: I) -> usize
where
    I: IntoIterator<Item = T>,
    T: Clone,
{
    let mut n = 0;
    for item in items {
        if n > 100 {
            return n;
        }
        {
            let copy = item.clone();
            yield_!(copy);
        }
        yield_!(item);
        n += 1;
    }
    n
}

struct Buffer {
    data: Vec<u8>,
}

impl Buffer {
    #[corio::coroutine(yield = u8)]
    fn bytes(&self) {
        let mut i = 0;
        while i < self.data.len() {
            yield_!(self.data[i]);
            i += 1;
        }
    }
}

fn main() {
    let mut g = pairs(vec![1, 2]);
    let mut out = Vec::new();
    let n = loop {
        match g.resume(()) {
            CoroutineState::Yielded(v) => out.push(v),
            CoroutineState::Complete(n) => break n,
        }
    };
    assert_eq!((out, n), (vec![1, 1, 2, 2], 2));
    let b = Buffer { data: vec![7, 8] };
    assert_eq!(b.bytes().collect::<Vec<_>>(), [7, 8]);
}
