//! Ordinary Rust written the way users write it (issue 15, diag's probe): trait impls, generic
//! fns with `where` clauses and const generics, borrowed input yielded back, error enums with
//! `From` and `?`, closures and iterator chains next to suspension points, string parsing,
//! nested loops left early, recursion and coroutines awaiting each other. Each body is
//! compared with the plain fn (`twin!`, `same!`) or rustc's own `async fn`.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::iter::FusedIterator;

use corio::{Coroutine, CoroutineState, Inspect};

use crate::ordinary::{drain, outcome, plain_yield, shown, trace};

/// F-probe-7: a generator without a resume type is a `FusedIterator` by its signature.
#[corio::coroutine(yield = u32)]
fn upto(n: u32) {
    for i in 0..n {
        yield_!(i);
    }
}

fn sum_fused<I: FusedIterator<Item = u32>>(mut it: I) -> (u32, Option<u32>) {
    let s = it.by_ref().sum();
    (s, it.next())
}

#[test]
fn generator_is_a_fused_iterator() {
    assert_eq!(sum_fused(upto(4)), (6, None));
    let mut g = upto(1);
    assert_eq!((g.next(), g.next(), g.next()), (Some(0), None, None));
}

// Error enums with `From` and `?`, string parsing.
#[derive(Debug, PartialEq)]
pub(crate) enum ConfError {
    Missing(String),
    Number(std::num::ParseIntError),
}

impl From<std::num::ParseIntError> for ConfError {
    fn from(e: std::num::ParseIntError) -> Self {
        ConfError::Number(e)
    }
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfError::Missing(k) => write!(f, "missing {k}"),
            ConfError::Number(e) => write!(f, "bad number: {e}"),
        }
    }
}

impl Error for ConfError {}

twin! {
    yield = (String, u32);
    fn parse_conf[](text: &'static str) -> Result<BTreeMap<String, u32>, ConfError> {
        let mut out = BTreeMap::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let Some((k, v)) = line.split_once('=') else {
                return Err(ConfError::Missing(line.to_string()));
            };
            let v: u32 = v.trim().parse()?;
            yield_!((k.trim().to_string(), v));
            out.insert(k.trim().to_owned(), v);
        }
        let port = *out.get("port").ok_or_else(|| ConfError::Missing("port".into()))?;
        yield_!(("port".to_string(), port));
        Ok(out.into_iter().filter(|(k, _)| k != "debug").collect())
    }
}

#[test]
fn error_enum_with_from_and_question_mark() {
    same!(parse_conf("port = 80\n# c\n\nworkers=4\n"));
    same!(parse_conf("port = x"));
    same!(parse_conf("workers = 2"));
    same!(parse_conf("port"));
}

twin! {
    yield = i64;
    fn boxed_errors[](words: Vec<&'static str>) -> Result<i64, Box<dyn Error>> {
        let mut total = 0i64;
        for w in words {
            let n: i64 = w.parse()?;
            if n < 0 {
                return Err(format!("negative: {n}").into());
            }
            total += n;
            yield_!(total);
        }
        if total > 100 {
            Err(Box::new(ConfError::Missing("room".into())))?;
        }
        Ok(total)
    }
}

#[test]
fn box_dyn_error_with_question_mark() {
    same!(boxed_errors(vec!["1", "2", "3"]));
    same!(boxed_errors(vec!["1", "x"]));
    same!(boxed_errors(vec!["1", "-4"]));
    same!(boxed_errors(vec!["99", "4"]));
}

// Lifetimes: slices of borrowed input yielded back, `impl Iterator` over borrowed input.
#[corio::coroutine(yield = &'a str)]
fn words<'a>(text: &'a str) -> usize {
    let mut n = 0;
    for w in text.split_whitespace() {
        if w.len() > 1 {
            yield_!(w);
            n += 1;
        }
    }
    n
}

#[corio::coroutine(yield = (usize, &'a T))]
fn evens<'a, T: PartialEq>(items: &'a [T], skip: &T) {
    for (i, item) in items.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        if item == skip {
            continue;
        }
        yield_!((i, item));
    }
}

#[test]
fn borrowed_input_yielded_back() {
    let text = String::from("a bc def g hi");
    let got: Vec<&str> = words(&text).collect();
    assert_eq!(got, ["bc", "def", "hi"]);
    let mut g = words(&text);
    while g.next().is_some() {}
    assert_eq!(g.take_return(), Some(3));
    let items = vec!['a', 'b', 'c', 'd', 'e'];
    let got: Vec<_> = evens(&items, &'c')
        .map(|(i, c)| format!("{i}{c}"))
        .collect();
    assert_eq!(got, ["0a", "4e"]);
}

// Generic fns with `where` clauses, const generics, `impl Trait` arguments.
#[corio::coroutine(yield = T)]
fn chunk_sums<T, const N: usize>(values: impl IntoIterator<Item = T>) -> usize
where
    T: Copy + Default + std::ops::Add<Output = T>,
{
    let mut buf = [T::default(); N];
    let mut filled = 0;
    let mut chunks = 0;
    for v in values {
        buf[filled] = v;
        filled += 1;
        if filled == N {
            yield_!(buf.iter().copied().fold(T::default(), |a, b| a + b));
            filled = 0;
            chunks += 1;
        }
    }
    chunks
}

#[test]
fn const_generics_where_clauses_and_impl_trait_args() {
    let got: Vec<u32> = chunk_sums::<u32, 3>(1..=7).collect();
    assert_eq!(got, [6, 15]);
    let mut g = chunk_sums::<f64, 2>(vec![0.5, 0.25, 1.0]);
    assert_eq!(g.next(), Some(0.75));
    assert_eq!(g.next(), None);
    assert_eq!(g.take_return(), Some(1));
}

// Trait impls with coroutine methods; `self` by value; struct update syntax.
pub(crate) trait Source {
    fn items(&self) -> Vec<u32>;
    fn scaled(&self, k: u32) -> impl Iterator<Item = u32> + '_;
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Bag {
    items: Vec<u32>,
    scale: u32,
    label: String,
}

impl Source for Bag {
    fn items(&self) -> Vec<u32> {
        self.items.clone()
    }

    #[corio::coroutine(yield = u32)]
    fn scaled(&self, k: u32) {
        for &i in &self.items {
            yield_!(i * k * self.scale);
        }
    }
}

impl Bag {
    #[corio::coroutine(yield = String)]
    fn into_labels(self) -> Bag {
        let Bag { items, label, .. } = self.clone();
        for i in items {
            yield_!(format!("{label}{i}"));
        }
        Bag {
            label: label.to_uppercase(),
            ..self
        }
    }
}

#[test]
fn trait_impls_self_by_value_and_struct_update() {
    let bag = Bag {
        items: vec![1, 2],
        scale: 10,
        label: "x".into(),
    };
    let got: Vec<u32> = bag.scaled(3).collect();
    assert_eq!(got, [30, 60]);
    assert_eq!(bag.items(), [1, 2]);
    let mut g = bag.into_labels();
    let labels: Vec<String> = g.by_ref().collect();
    assert_eq!(labels, ["x1", "x2"]);
    let back = g.take_return().unwrap();
    assert_eq!(
        (back.label.as_str(), back.scale, back.items.len()),
        ("X", 10, 2)
    );
}

// Closures captured across points, iterator chains next to points, shadowing.
twin! {
    yield = usize;
    fn closures_and_chains[](text: String, min: usize) -> Vec<String> {
        let long = move |w: &str| w.len() >= min;
        let mut seen = 0;
        let mut count = move |w: &str| { seen += 1; seen * 10 + w.len() };
        let words: Vec<String> =
            text.split(',').map(str::trim).filter(|w| long(w)).map(String::from).collect();
        yield_!(words.len());
        let words: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
        for w in words.clone() {
            yield_!(count(&w));
        }
        let text = text.len();
        yield_!(text);
        words.into_iter().rev().filter(|w| long(w)).collect()
    }
}

#[test]
fn closures_iterator_chains_and_shadowing() {
    same!(closures_and_chains("ab, cde, f, ghij".to_string(), 2));
    same!(closures_and_chains(String::new(), 0));
}

// `match` on tuples, slices and references with guards and bindings.
twin! {
    yield = String;
    fn matches_of_all_kinds[](pairs: Vec<(i32, &'static str)>, data: &'static [u8]) -> i32 {
        let mut acc = 0;
        for pair in pairs.clone() {
            // By value: `match &pair` would bind `n: &i32` into the frame's own local, which
            // the borrowing rule forbids across the `yield_!` below.
            match pair {
                (0, _) => continue,
                (n, s) if s.is_empty() => acc -= n,
                (n @ 1..=9, s) => {
                    yield_!(format!("small {n} {s}"));
                    acc += n;
                }
                (n, "big") | (n, "huge") => acc += 2 * n,
                (n, s) => yield_!(format!("{s}={n}")),
            }
        }
        match data {
            [] => yield_!("empty".to_string()),
            [one] => acc += *one as i32,
            [first, .., last] if first == last => {
                yield_!(format!("same ends {first}"));
            }
            [first, rest @ ..] => {
                yield_!(format!("{first} then {}", rest.len()));
                acc += rest.iter().map(|&b| b as i32).sum::<i32>();
            }
        }
        match (acc % 2 == 0, acc.signum()) {
            (true, 1) => acc / 2,
            (_, -1) => {
                yield_!("negative".to_string());
                -acc
            }
            _ => acc,
        }
    }
}

#[test]
fn match_on_tuples_slices_and_references() {
    same!(matches_of_all_kinds(
        vec![(0, "a"), (3, ""), (4, "x"), (20, "big"), (30, "y")],
        b""
    ));
    same!(matches_of_all_kinds(vec![(5, "q")], b"a"));
    same!(matches_of_all_kinds(vec![], b"aba"));
    same!(matches_of_all_kinds(vec![(100, "")], b"abc"));
}

// Early `return` and labelled `break` out of nested loops that suspend; `while let` on a stack;
// `let else`.
twin! {
    yield = (usize, usize);
    fn find_pair[](grid: Vec<Vec<i32>>, target: i32) -> Option<(usize, usize)> {
        let mut found = None;
        'rows: for (r, row) in grid.into_iter().enumerate() {
            let mut c = 0;
            while c < row.len() {
                yield_!((r, c));
                if row[c] == target {
                    found = Some((r, c));
                    break 'rows;
                }
                if row[c] < 0 {
                    continue 'rows;
                }
                if row[c] == 99 {
                    return None;
                }
                c += 1;
            }
        }
        let Some((r, c)) = found else {
            yield_!((usize::MAX, 0));
            return None;
        };
        Some((c, r))
    }
}

twin! {
    yield = u32;
    fn depth_first[](edges: Vec<(u32, u32)>, start: u32) -> Vec<u32> {
        let mut stack = vec![start];
        let mut seen = Vec::new();
        while let Some(node) = stack.pop() {
            if seen.contains(&node) {
                continue;
            }
            yield_!(node);
            seen.push(node);
            stack.extend(edges.iter().filter(|&&(a, _)| a == node).map(|&(_, b)| b));
        }
        seen
    }
}

#[test]
fn nested_loops_left_early_while_let_and_let_else() {
    let grid = vec![vec![1, 2], vec![-1, 5], vec![3, 4]];
    same!(find_pair(grid.clone(), 4));
    same!(find_pair(grid.clone(), 7));
    same!(find_pair(vec![vec![99]], 1));
    same!(depth_first(vec![(1, 2), (1, 3), (2, 4), (3, 4), (4, 1)], 1));
}

// Async: nested coroutines awaiting each other, recursion with `Box::pin`, `?` through awaits.
#[corio::coroutine]
async fn fetch(key: &'static str) -> Result<u32, ConfError> {
    corio::sleep(std::time::Duration::from_millis(1)).await;
    match key.strip_prefix("n:") {
        Some(n) => Ok(n.parse()?),
        None => Err(ConfError::Missing(key.into())),
    }
}

#[corio::coroutine]
async fn total(keys: Vec<&'static str>) -> Result<u32, ConfError> {
    let mut sum = 0;
    for k in keys {
        sum += fetch(k).await?;
    }
    Ok(sum)
}

async fn total_plain(keys: Vec<&'static str>) -> Result<u32, ConfError> {
    let mut sum = 0;
    for k in keys {
        sum += fetch(k).await?;
    }
    Ok(sum)
}

#[corio::coroutine]
async fn countdown(n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    corio::sleep(std::time::Duration::from_millis(0)).await;
    let rest: std::pin::Pin<Box<dyn std::future::Future<Output = u32>>> =
        Box::pin(countdown(n - 1));
    n + rest.await
}

#[test]
fn nested_coroutines_and_boxed_recursion() {
    for keys in [vec!["n:1", "n:2"], vec!["n:1", "x"], vec!["n:q"]] {
        let coro = corio::run(total(keys.clone()));
        let plain = corio::run(total_plain(keys));
        assert_eq!(coro, plain);
    }
    assert_eq!(corio::run(countdown(4)), 10);
}

// F-probe-8: a method's `name()`.
pub(crate) struct Tokens;

impl Tokens {
    #[corio::coroutine(yield = u8)]
    fn words(&self) {
        yield_!(1);
    }
}

pub(crate) struct Wrapper<T>(T);

impl<T: Clone + fmt::Debug> Wrapper<T> {
    #[corio::coroutine]
    async fn get(&self) -> T {
        corio::sleep(std::time::Duration::from_millis(0)).await;
        self.0.clone()
    }
}

pub(crate) trait Describe {
    #[corio::coroutine(yield = String)]
    fn lines(&self) {
        yield_!(String::new());
    }
}

impl Describe for Tokens {}
impl Describe for u8 {}

#[corio::coroutine(yield = u8)]
fn free() {
    yield_!(0);
}

#[test]
fn method_names_include_their_type() {
    assert_eq!(
        Tokens.words().name(),
        "integration::user_style::Tokens::words"
    );
    // Every instance of a generic impl has one name, as in Python's `__qualname__`.
    assert_eq!(
        Wrapper(1u8).get().name(),
        "integration::user_style::Wrapper::get"
    );
    assert_eq!(
        Wrapper("s").get().name(),
        "integration::user_style::Wrapper::get"
    );
    // A trait's default method is named for the type it runs on.
    assert_eq!(
        Tokens.lines().name(),
        "integration::user_style::Tokens::lines"
    );
    assert_eq!(7u8.lines().name(), "u8::lines");
    // The same `&'static str` each time (joined once), and free fns keep their path.
    assert!(std::ptr::eq(Tokens.words().name(), Tokens.words().name()));
    assert_eq!(free().name(), "integration::user_style::free");
    let g = Tokens.words();
    assert!(format!("{g:?}").contains("Tokens::words"), "{g:?}");
    assert_eq!(corio::run(Wrapper(5u32).get()), 5);
}

#[test]
fn twins_agree_through_drain() {
    // The harness itself: a coroutine driven by hand gives the same events as `drain`.
    let (events, r) = outcome(|| drain(upto(2)));
    assert_eq!(events, ["(\"yield\", 0)", "(\"yield\", 1)"]);
    assert_eq!(shown(&r), "Ok(\"()\")");
    let mut g = upto(1);
    assert!(matches!(g.resume(()), CoroutineState::Yielded(0)));
    plain_yield(0);
    trace("done");
}

// Async fns as users write them: lifetimes in arguments and returns, `where` clauses,
// `impl Trait` arguments, `?` on `Option`, `let else` and labelled breaks around awaits.
async fn tick() {
    corio::sleep(std::time::Duration::from_millis(0)).await;
}

twin! {
    async fn longest_word['a](text: &'a str, min: usize) -> Option<&'a str> {
        let mut best: Option<&'a str> = None;
        'lines: for line in text.lines() {
            for word in line.split(' ') {
                tick().await;
                if word == "stop" {
                    break 'lines;
                }
                if word.len() < min {
                    continue 'lines;
                }
                if best.is_none_or(|b| word.len() > b.len()) {
                    best = Some(word);
                }
            }
        }
        let first = best?.chars().next()?;
        tick().await;
        if first == 'x' {
            return None;
        }
        best
    }
}

#[corio::coroutine]
async fn summed<I>(items: I, scale: impl Fn(u32) -> u32) -> u32
where
    I: IntoIterator<Item = u32>,
{
    let mut total = 0;
    for i in items {
        tick().await;
        total += scale(i);
    }
    total
}

async fn summed_plain<I>(items: I, scale: impl Fn(u32) -> u32) -> u32
where
    I: IntoIterator<Item = u32>,
{
    let mut total = 0;
    for i in items {
        tick().await;
        total += scale(i);
    }
    total
}

twin! {
    async fn parse_pairs[](text: String) -> Result<Vec<(String, i32)>, String> {
        let mut out = Vec::new();
        for line in text.lines().map(str::to_owned).collect::<Vec<_>>() {
            // An await in the `else` while the pattern borrows `line` (F-diag-2: this was a
            // false borrow error).
            let Some((k, v)) = line.split_once(':') else {
                tick().await;
                return Err(format!("no colon in {line:?}"));
            };
            let v: i32 = v.trim().parse().map_err(|e| format!("{k}: {e}"))?;
            // Owned before the await: `k` borrows `line`, a local of the frame (the borrowing
            // rule; rustc reports E0505/E0597 at `line` if `k` is kept across it).
            let k = k.to_string();
            tick().await;
            out.push((k, v));
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }
}

#[test]
fn async_fns_with_lifetimes_bounds_and_early_exits() {
    for (text, min) in [
        ("ab abc\nxyzzy q", 2),
        ("aaaa stop bbbbbbb", 1),
        ("", 0),
        ("xylophone", 1),
    ] {
        let s = text.to_string();
        let coro = corio::run(longest_word::coro(&s, min));
        let plain = corio::run(longest_word::plain::run(&s, min));
        assert_eq!(coro, plain, "{text:?}");
    }
    let coro = corio::run(summed(vec![1, 2, 3], |x| x * 10));
    assert_eq!(coro, corio::run(summed_plain(vec![1, 2, 3], |x| x * 10)));
    same_async!(parse_pairs("a: 1\nb: 3\nc:3".to_string()));
    same_async!(parse_pairs("a: 1\nb".to_string()));
    same_async!(parse_pairs("a: x".to_string()));
}
