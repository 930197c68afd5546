//! Generators as Rust users write them with `#[corio::coroutine(yield = T)]`: a tokenizer, a
//! tree walk with an explicit stack, a push parser fed through resume values, `?` in a
//! generator returning `Result`, methods (`&self`, `&mut self`, `self`), generic functions
//! with bounds and `impl Trait` arguments, closures, early returns, and drop order. Each is
//! checked against the obvious oracle: the same logic as a plain function or a hand-written
//! `Iterator`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::rc::Rc;

use corio::{Coroutine, CoroutineState, Inspect, Status};

// ---------------------------------------------------------------------------------------
// A tokenizer over a borrowed &str.

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Num(i64),
    Ident(&'a str),
    Punct(char),
    Str(String),
}

#[corio::coroutine(yield = Token<'a>)]
fn tokens<'a>(src: &'a str) -> Result<usize, String> {
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut count = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let n = src[start..i].parse::<i64>().map_err(|e| e.to_string())?;
            yield_!(Token::Num(n));
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            yield_!(Token::Ident(&src[start..i]));
        } else if c == '"' {
            i += 1;
            let mut s = String::new();
            loop {
                match bytes.get(i) {
                    None => return Err(format!("unterminated string at {start}")),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        i += 1;
                        s.push(*bytes.get(i).ok_or("dangling escape")? as char);
                    }
                    Some(&b) => s.push(b as char),
                }
                i += 1;
            }
            i += 1;
            yield_!(Token::Str(s));
        } else {
            i += 1;
            yield_!(Token::Punct(c));
        }
        count += 1;
    }
    Ok(count)
}

/// The oracle: the same tokenizer as a plain function.
fn tokens_plain(src: &str) -> (Vec<Token<'_>>, Result<usize, String>) {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            match src[start..i].parse::<i64>() {
                Ok(n) => out.push(Token::Num(n)),
                Err(e) => return (out, Err(e.to_string())),
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push(Token::Ident(&src[start..i]));
        } else if c == '"' {
            i += 1;
            let mut s = String::new();
            loop {
                match bytes.get(i) {
                    None => return (out, Err(format!("unterminated string at {start}"))),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        i += 1;
                        match bytes.get(i) {
                            Some(&b) => s.push(b as char),
                            None => return (out, Err("dangling escape".into())),
                        }
                    }
                    Some(&b) => s.push(b as char),
                }
                i += 1;
            }
            i += 1;
            out.push(Token::Str(s));
        } else {
            i += 1;
            out.push(Token::Punct(c));
        }
    }
    let n = out.len();
    (out, Ok(n))
}

#[test]
fn tokenizer_matches_the_plain_function() {
    let inputs = [
        "let x_1 = 42 + foo(7, \"a \\\"q\\\" b\");",
        "",
        "   ",
        "99999999999999999999 overflow",
        "\"never closed",
        "ends with escape \"abc\\",
        "a.b.c 1 2 3 {}[]",
    ];
    for src in inputs {
        let mut g = tokens(src);
        let got: Vec<Token<'_>> = g.by_ref().collect();
        let ret = g.take_return();
        let (want, want_ret) = tokens_plain(src);
        assert_eq!(got, want, "{src:?}");
        assert_eq!(ret, Some(want_ret), "{src:?}");
        assert_eq!(g.status(), Status::Closed);
    }
}

// ---------------------------------------------------------------------------------------
// A tree walk with an explicit stack, yielding references into the tree.

#[derive(Debug)]
struct Node {
    value: i32,
    children: Vec<Node>,
}

fn node(value: i32, children: Vec<Node>) -> Node {
    Node { value, children }
}

#[corio::coroutine(yield = (usize, &'t i32))]
fn preorder<'t>(root: &'t Node) {
    let mut stack = vec![(0usize, root)];
    while let Some((depth, n)) = stack.pop() {
        yield_!((depth, &n.value));
        for child in n.children.iter().rev() {
            stack.push((depth + 1, child));
        }
    }
}

fn preorder_plain<'t>(n: &'t Node, depth: usize, out: &mut Vec<(usize, &'t i32)>) {
    out.push((depth, &n.value));
    for c in &n.children {
        preorder_plain(c, depth + 1, out);
    }
}

#[test]
fn tree_walk_with_an_explicit_stack_matches_recursion() {
    let tree = node(
        1,
        vec![
            node(2, vec![node(4, vec![]), node(5, vec![node(8, vec![])])]),
            node(3, vec![node(6, vec![]), node(7, vec![])]),
        ],
    );
    let got: Vec<_> = preorder(&tree).collect();
    let mut want = Vec::new();
    preorder_plain(&tree, 0, &mut want);
    assert_eq!(got, want);
    // Lazy: taking two items visits two nodes, and the walk is suspended with its stack.
    let mut g = preorder(&tree);
    assert_eq!(g.next(), Some((0, &1)));
    assert_eq!(g.next(), Some((1, &2)));
    assert!(
        g.locals().iter().any(|l| l.name == "stack"),
        "{:?}",
        g.locals()
    );
}

// ---------------------------------------------------------------------------------------
// A push parser: chunks of text come in through resume, complete lines come out.

#[corio::coroutine(yield = Option<String>, resume = Option<String>)]
fn line_assembler() -> usize {
    let mut pending = String::new();
    let mut lines = 0;
    let mut out: Option<String> = None;
    loop {
        let chunk = yield_!(out.take());
        let Some(chunk) = chunk else {
            break;
        };
        pending.push_str(&chunk);
        if let Some(pos) = pending.find('\n') {
            let line: String = pending.drain(..=pos).collect();
            lines += 1;
            out = Some(line.trim_end().to_string());
        }
    }
    if !pending.is_empty() {
        // the last line without a newline
        let last = std::mem::take(&mut pending);
        yield_!(Some(last));
        lines += 1;
    }
    lines
}

#[test]
fn push_parser_with_resume_values() {
    let chunks = ["hel", "lo\nwor", "ld\n", "", "tail"];
    let mut p = line_assembler();
    // The first resume value is discarded (Python's send(None)).
    assert_eq!(
        p.resume(Some("ignored".into())),
        CoroutineState::Yielded(None)
    );
    let mut lines = Vec::new();
    for c in chunks {
        match p.resume(Some(c.to_string())) {
            CoroutineState::Yielded(Some(line)) => lines.push(line),
            CoroutineState::Yielded(None) => {}
            CoroutineState::Complete(_) => panic!("ended early"),
        }
    }
    match p.resume(None) {
        CoroutineState::Yielded(Some(last)) => lines.push(last),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.resume(None), CoroutineState::Complete(3));
    let joined: String = chunks.concat();
    let want: Vec<String> = joined.lines().map(str::to_string).collect();
    assert_eq!(lines, want);
    assert_eq!(p.status(), Status::Closed);
    assert!(p.try_resume(None).is_err());
}

// ---------------------------------------------------------------------------------------
// `?` in a generator returning Result.

#[derive(Debug, PartialEq)]
enum ParseError {
    Empty,
    Bad(String),
}

impl From<std::num::ParseIntError> for ParseError {
    fn from(e: std::num::ParseIntError) -> Self {
        ParseError::Bad(e.to_string())
    }
}

#[corio::coroutine(yield = u32)]
fn parse_all(csv: String) -> Result<u32, ParseError> {
    let mut sum = 0;
    for field in csv
        .split(',')
        .map(str::trim)
        .map(str::to_owned)
        .collect::<Vec<_>>()
    {
        if field.is_empty() {
            return Err(ParseError::Empty);
        }
        let n: u32 = field.parse()?;
        sum += n;
        yield_!(n);
    }
    Ok(sum)
}

fn parse_all_plain(csv: &str) -> (Vec<u32>, Result<u32, ParseError>) {
    let mut out = Vec::new();
    let mut sum = 0;
    for field in csv.split(',').map(str::trim) {
        if field.is_empty() {
            return (out, Err(ParseError::Empty));
        }
        match field.parse::<u32>() {
            Ok(n) => {
                sum += n;
                out.push(n);
            }
            Err(e) => return (out, Err(e.into())),
        }
    }
    (out, Ok(sum))
}

#[test]
fn question_mark_in_a_generator_matches_the_plain_function() {
    for csv in ["1, 2, 3", "4,x,5", "7,,8", "42", "-1", " 10 , 20 "] {
        let mut g = parse_all(csv.to_string());
        let got: Vec<u32> = g.by_ref().collect();
        let (want, want_ret) = parse_all_plain(csv);
        assert_eq!(got, want, "{csv}");
        assert_eq!(g.take_return(), Some(want_ret), "{csv}");
    }
}

// ---------------------------------------------------------------------------------------
// Methods: &self, &mut self, self.

#[derive(Debug, Clone)]
struct Inventory {
    items: BTreeMap<String, u32>,
    log: Vec<String>,
}

impl Inventory {
    fn new(items: &[(&str, u32)]) -> Self {
        Inventory {
            items: items.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            log: vec![],
        }
    }

    /// Items at or below `threshold`, in name order.
    #[corio::coroutine(yield = (String, u32))]
    fn low_stock(&self, threshold: u32) {
        for (name, &count) in &self.items {
            if count <= threshold {
                yield_!((name.clone(), count));
            }
        }
    }

    /// Takes one of each item while stock lasts, yielding what it took; logs each round.
    #[corio::coroutine(yield = String)]
    fn take_round(&mut self, rounds: u32) -> u32 {
        let mut taken = 0;
        for round in 0..rounds {
            let names: Vec<String> = self.items.keys().cloned().collect();
            for name in names {
                let count = self.items.get_mut(&name).unwrap();
                if *count > 0 {
                    *count -= 1;
                    taken += 1;
                    yield_!(name);
                }
            }
            self.log.push(format!("round {round}"));
        }
        taken
    }

    /// Consumes the inventory, yielding each item name `count` times.
    #[corio::coroutine(yield = String)]
    fn into_units(self) -> usize {
        let log_len = self.log.len();
        for (name, count) in self.items {
            for _ in 0..count {
                yield_!(name.clone());
            }
        }
        log_len
    }
}

#[test]
fn methods_with_self_mut_self_and_self() {
    let inv = Inventory::new(&[("apple", 2), ("pear", 0), ("plum", 5), ("fig", 1)]);
    let low: Vec<_> = inv.low_stock(1).collect();
    let want: Vec<_> = inv
        .items
        .iter()
        .filter(|(_, c)| **c <= 1)
        .map(|(k, c)| (k.clone(), *c))
        .collect();
    assert_eq!(low, want);

    let mut a = inv.clone();
    let mut b = inv.clone();
    let mut g = a.take_round(2);
    let got: Vec<String> = g.by_ref().collect();
    let taken = g.take_return().unwrap();
    drop(g);
    // oracle: the same rounds by hand
    let mut want = Vec::new();
    for round in 0..2 {
        for (name, count) in b.items.iter_mut() {
            if *count > 0 {
                *count -= 1;
                want.push(name.clone());
            }
        }
        b.log.push(format!("round {round}"));
    }
    assert_eq!(got, want);
    assert_eq!(taken as usize, want.len());
    assert_eq!(a.items, b.items);
    assert_eq!(a.log, b.log);

    let mut units = a.clone().into_units();
    let got: Vec<String> = units.by_ref().collect();
    let want: Vec<String> = a
        .items
        .iter()
        .flat_map(|(k, &c)| std::iter::repeat_n(k.clone(), c as usize))
        .collect();
    assert_eq!(got, want);
    assert_eq!(units.take_return(), Some(2));
}

// ---------------------------------------------------------------------------------------
// Generics with bounds, impl Trait arguments, closures.

/// Drops consecutive duplicates, like `Vec::dedup` on a stream.
#[corio::coroutine(yield = T)]
fn dedup<T: PartialEq + Clone, I: IntoIterator<Item = T>>(items: I) -> usize {
    let mut last: Option<T> = None;
    let mut dropped = 0;
    for item in items {
        if last.as_ref() == Some(&item) {
            dropped += 1;
            continue;
        }
        last = Some(item.clone());
        yield_!(item);
    }
    dropped
}

/// Runs of an `impl Iterator` grouped by a key closure: yields (key, count).
#[corio::coroutine(yield = (K, usize))]
fn runs_by<K: PartialEq + Debug, T>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> K) {
    let mut current: Option<(K, usize)> = None;
    for item in items {
        let k = key(&item);
        match current.take() {
            Some((ck, n)) if ck == k => current = Some((ck, n + 1)),
            Some(done) => {
                current = Some((k, 1));
                yield_!(done);
            }
            None => current = Some((k, 1)),
        }
    }
    if let Some(last) = current {
        yield_!(last);
    }
}

#[corio::coroutine(yield = u64)]
fn scaled(values: Vec<u64>, factor: u64) {
    // `move`: a closure borrowing `factor` across the yield is the borrowing rule (pass
    // finding F19: rustc's error, not the pass's)
    let scale = move |v: u64| v * factor;
    let keep = move |v: &u64| v % 2 == 0;
    for v in values {
        if keep(&v) {
            yield_!(scale(v));
        }
    }
}

#[test]
fn generic_generators_match_iterator_adapters() {
    let data = vec![1, 1, 2, 3, 3, 3, 1, 4, 4];
    let mut g = dedup(data.clone());
    let got: Vec<i32> = g.by_ref().collect();
    let mut want = data.clone();
    want.dedup();
    assert_eq!(got, want);
    assert_eq!(g.take_return(), Some(data.len() - want.len()));

    let words = [
        "apple",
        "avocado",
        "banana",
        "blueberry",
        "cherry",
        "apricot",
    ];
    let got: Vec<(char, usize)> = runs_by(words.iter(), |w| w.chars().next().unwrap()).collect();
    // oracle: a fold
    let mut want: Vec<(char, usize)> = Vec::new();
    for w in words {
        let c = w.chars().next().unwrap();
        match want.last_mut() {
            Some((k, n)) if *k == c => *n += 1,
            _ => want.push((c, 1)),
        }
    }
    assert_eq!(got, want);

    let v: Vec<u64> = (0..20).collect();
    let got: Vec<u64> = scaled(v.clone(), 3).collect();
    let want: Vec<u64> = v.iter().filter(|v| *v % 2 == 0).map(|v| v * 3).collect();
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------------------
// Early return, and drop order of a suspended generator.

struct Noisy {
    name: &'static str,
    log: Rc<RefCell<Vec<&'static str>>>,
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.name);
    }
}

fn noisy(name: &'static str, log: &Rc<RefCell<Vec<&'static str>>>) -> Noisy {
    Noisy {
        name,
        log: log.clone(),
    }
}

#[corio::coroutine(yield = u32)]
fn first_over(limit: u32, values: Vec<u32>, log: Rc<RefCell<Vec<&'static str>>>) -> Option<u32> {
    let _a = noisy("a", &log);
    let _b = noisy("b", &log);
    for v in values {
        let _c = noisy("c", &log);
        if v > limit {
            return Some(v);
        }
        yield_!(v);
    }
    None
}

fn first_over_plain(
    limit: u32,
    values: Vec<u32>,
    log: Rc<RefCell<Vec<&'static str>>>,
) -> (Vec<u32>, Option<u32>) {
    let _a = noisy("a", &log);
    let _b = noisy("b", &log);
    let mut out = Vec::new();
    for v in values {
        let _c = noisy("c", &log);
        if v > limit {
            return (out, Some(v));
        }
        out.push(v);
    }
    (out, None)
}

#[test]
fn early_return_and_drop_order_match_the_plain_function() {
    for values in [vec![1, 2, 9, 3], vec![1, 2], vec![]] {
        let log = Rc::default();
        let mut g = first_over(5, values.clone(), Rc::clone(&log));
        let got: Vec<u32> = g.by_ref().collect();
        let ret = g.take_return().unwrap();
        let got_log = log.borrow().clone();

        let log2 = Rc::default();
        let (want, want_ret) = first_over_plain(5, values, Rc::clone(&log2));
        assert_eq!((got, ret), (want, want_ret));
        assert_eq!(got_log, *log2.borrow());
    }
}

#[test]
fn dropping_a_suspended_generator_drops_its_locals_in_reverse_order() {
    // Suspended inside the loop with _a, _b and _c alive: rustc drops c, b, a (reverse
    // declaration), the same order as a plain function returning at that point.
    let log = Rc::default();
    let mut g = first_over(5, vec![1, 2, 3], Rc::clone(&log));
    assert_eq!(g.next(), Some(1));
    assert_eq!(g.next(), Some(2)); // the first `_c` was dropped at the end of its iteration
    assert_eq!(*log.borrow(), ["c"]);
    drop(g);
    assert_eq!(*log.borrow(), ["c", "c", "b", "a"]);

    let log = Rc::default();
    let mut g = first_over(5, vec![1, 2, 3], Rc::clone(&log));
    assert_eq!(g.next(), Some(1));
    g.close();
    assert_eq!(*log.borrow(), ["c", "b", "a"]);
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(g.next(), None);
}

// ---------------------------------------------------------------------------------------
// A clone of a suspended generator runs on independently (`clone`).

#[corio::coroutine(yield = u64, clone)]
fn collatz(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        yield_!(n);
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

#[test]
fn a_cloned_generator_continues_from_the_same_point() {
    let mut g = collatz(27);
    let head: Vec<u64> = g.by_ref().take(10).collect();
    let mut h = g.clone();
    let rest_g: Vec<u64> = g.by_ref().collect();
    let rest_h: Vec<u64> = h.by_ref().collect();
    assert_eq!(rest_g, rest_h);
    assert_eq!(g.take_return(), h.take_return());
    // oracle
    let mut want = Vec::new();
    let mut n = 27u64;
    while n != 1 {
        want.push(n);
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
    }
    assert_eq!([head, rest_g].concat(), want);
}

// ---------------------------------------------------------------------------------------
// An async generator of lines, consumed from a coroutine and from a plain async fn.

#[corio::coroutine(yield = String)]
async fn lines_of(reader: corio::io::BufReader<corio::net::UnixStream>) {
    loop {
        let line = reader.read_line().await.expect("read_line");
        if line.is_empty() {
            break;
        }
        yield_!(String::from_utf8_lossy(&line).trim_end().to_string());
    }
}

/// `futures::StreamExt::next(&mut s)` borrows the stream across the await, which a coroutine
/// cannot keep: `SharedStream::next(&self)` is the form it can (found here: an async
/// generator could not be consumed inside a `#[corio::coroutine]` body at all).
#[corio::coroutine]
async fn longest_line(reader: corio::io::BufReader<corio::net::UnixStream>) -> (usize, String) {
    let lines = corio::SharedStream::new(lines_of(reader));
    let mut count = 0;
    let mut longest = String::new();
    while let Some(line) = lines.next().await {
        count += 1;
        if line.len() > longest.len() {
            longest = line;
        }
    }
    (count, longest)
}

async fn longest_line_plain(
    reader: corio::io::BufReader<corio::net::UnixStream>,
) -> (usize, String) {
    use futures::StreamExt;
    let mut lines = lines_of(reader);
    let mut count = 0;
    let mut longest = String::new();
    while let Some(line) = lines.next().await {
        count += 1;
        if line.len() > longest.len() {
            longest = line;
        }
    }
    (count, longest)
}

#[test]
fn an_async_generator_is_consumed_from_a_coroutine() {
    let text = "short\na much longer line\n\nmid length\nlast without newline";
    let want = (
        text.lines().count(),
        text.lines().max_by_key(|l| l.len()).unwrap().to_string(),
    );
    for coroutine in [false, true] {
        let got = corio::run(async move {
            let (a, b) = corio::net::UnixStream::pair().unwrap();
            let writer = corio::io::BufWriter::new(a);
            writer.write(text);
            writer.close().await.unwrap();
            let reader = corio::io::BufReader::new(b);
            if coroutine {
                longest_line(reader).await
            } else {
                longest_line_plain(reader).await
            }
        });
        assert_eq!(got, want);
    }
}
