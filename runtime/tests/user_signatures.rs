//! Signatures users write, each as a coroutine: const generics, `impl Trait` arguments,
//! associated-type bounds, `dyn Fn` arguments, lifetimes of borrowed arguments, "yield from"
//! through a boxed generator, trait and generic impls.

use corio::{Coroutine, CoroutineState};
use std::fmt::Display;
use std::ops::AddAssign;

#[corio::coroutine(yield = [u8; N])]
fn chunks<const N: usize>(data: Vec<u8>) -> Vec<u8> {
    let mut it = data.into_iter();
    loop {
        let mut chunk = [0u8; N];
        for i in 0..N {
            match it.next() {
                Some(b) => chunk[i] = b,
                None => return chunk[..i].to_vec(),
            }
        }
        yield_!(chunk);
    }
}

#[corio::coroutine(yield = String)]
fn labelled<I>(items: I, prefix: impl AsRef<str>) -> usize
where
    I: IntoIterator,
    I::Item: Display,
{
    let mut n = 0;
    for item in items {
        n += 1;
        yield_!(format!("{}{n}: {item}", prefix.as_ref()));
    }
    n
}

#[corio::coroutine(yield = T)]
fn running<T: Default + AddAssign + Copy>(values: impl IntoIterator<Item = T>) -> T {
    let mut acc = T::default();
    for v in values {
        acc += v;
        yield_!(acc);
    }
    acc
}

#[corio::coroutine(yield = u32)]
fn flatten_nested(depth: u32) {
    yield_!(depth);
    if depth > 0 {
        // "yield from"
        for v in flatten_nested_box(depth - 1) {
            yield_!(v * 10);
        }
    }
}

fn flatten_nested_box(depth: u32) -> Box<dyn Iterator<Item = u32>> {
    Box::new(flatten_nested(depth))
}

#[corio::coroutine(yield = &'a str)]
fn longest_runs<'a>(text: &'a str, pred: &'a dyn Fn(char) -> bool) -> Option<&'a str> {
    let mut best: Option<&'a str> = None;
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), '\0')))
    {
        match (pred(c) && i < text.len(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let run = &text[s..i];
                yield_!(run);
                if best.is_none_or(|b| run.len() > b.len()) {
                    best = Some(run);
                }
                start = None;
            }
            _ => {}
        }
    }
    best
}

#[corio::coroutine]
async fn shout(s: impl AsRef<str> + 'static) -> String {
    corio::yield_now().await;
    s.as_ref().to_uppercase()
}

#[corio::coroutine]
async fn first_longer<'a>(words: &'a [String], n: usize) -> Option<&'a str> {
    for w in words {
        corio::yield_now().await;
        if w.len() > n {
            return Some(w.as_str());
        }
    }
    None
}

#[test]
fn signatures_users_write_compile_and_run() {
    let mut g = chunks::<3>(vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [[1, 2, 3], [4, 5, 6]]);
    assert_eq!(g.take_return(), Some(vec![7]));
    assert_eq!(
        labelled(vec![1.5, 2.0], "#").collect::<Vec<_>>(),
        ["#1: 1.5", "#2: 2"]
    );
    assert_eq!(running([1u8, 2, 3]).collect::<Vec<_>>(), [1, 3, 6]);
    assert_eq!(flatten_nested(2).collect::<Vec<_>>(), [2, 10, 0]);
    let digits = |c: char| c.is_ascii_digit();
    let mut g = longest_runs("a12b3456c7", &digits);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["12", "3456", "7"]);
    assert_eq!(g.take_return(), Some(Some("3456")));
    assert_eq!(corio::run(shout("hi")), "HI");
    let words = vec!["a".to_string(), "abc".to_string()];
    assert_eq!(corio::run(first_longer(&words, 1)), Some("abc"));
    let _ = CoroutineState::<u8, u8>::Yielded(1);
    let _: Option<&dyn Coroutine<Yield = u8, Return = ()>> = None;
}

trait Source {
    fn items(&self) -> impl Iterator<Item = u32>;
}

struct Nums(Vec<u32>);

impl Source for Nums {
    #[corio::coroutine(yield = u32)]
    fn items(&self) {
        for &n in self.0.iter() {
            yield_!(n * 2);
        }
    }
}

trait Fetch {
    async fn get(&self, k: u32) -> u32;
}

struct Store;

impl Fetch for Store {
    #[corio::coroutine]
    async fn get(&self, k: u32) -> u32 {
        corio::yield_now().await;
        k + 1
    }
}

struct Wrapper<T>(T);

impl<T: Display + Clone + 'static> Wrapper<T> {
    /// A doc comment and a second attribute on a generic method with its own where-clause.
    #[corio::coroutine(yield = String)]
    #[allow(clippy::needless_range_loop)]
    pub(crate) fn lines(&self, n: usize) -> usize
    where
        T: PartialEq,
    {
        for i in 0..n {
            yield_!(format!("{i}: {}", self.0));
        }
        n
    }
}

#[test]
fn coroutines_implement_trait_methods_and_generic_impl_methods() {
    let v: Vec<u32> = Nums(vec![1, 2]).items().collect();
    assert_eq!(v, [2, 4]);
    assert_eq!(corio::run(Store.get(1)), 2);
    let f = Store.get(5);
    assert_eq!(corio::Inspect::status(&f), corio::Status::Created);
    let w = Wrapper("x".to_string());
    assert_eq!(w.lines(2).collect::<Vec<_>>(), ["0: x", "1: x"]);
}
