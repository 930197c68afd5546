//! Ordinary programs a Rust user writes, each as a `#[corio::coroutine]` and checked against
//! an oracle: the same body as a plain function (generators) or as rustc's own `async fn`
//! (async coroutines, both run on corio's loop, which is tested against tokio elsewhere).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use corio::{Coroutine, CoroutineState, Inspect, yield_now};

// ---------------------------------------------------------------------------------------------
// A generic async fn with a where-clause: merge two sorted runs by a key, yielding to the loop
// every few items.

#[corio::coroutine]
async fn merge_by<T, K, F>(a: Vec<T>, b: Vec<T>, key: F, every: usize) -> Vec<T>
where
    T: Clone + Debug,
    K: Ord,
    F: Fn(&T) -> K,
{
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if key(&a[i]) <= key(&b[j]) {
            out.push(a[i].clone());
            i += 1;
        } else {
            out.push(b[j].clone());
            j += 1;
        }
        if out.len() % every == 0 {
            yield_now().await;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

async fn merge_by_rustc<T, K, F>(a: Vec<T>, b: Vec<T>, key: F, every: usize) -> Vec<T>
where
    T: Clone + Debug,
    K: Ord,
    F: Fn(&T) -> K,
{
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if key(&a[i]) <= key(&b[j]) {
            out.push(a[i].clone());
            i += 1;
        } else {
            out.push(b[j].clone());
            j += 1;
        }
        if out.len() % every == 0 {
            yield_now().await;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[test]
fn a_generic_async_fn_with_a_where_clause_matches_rustc() {
    let a: Vec<(u32, &str)> = vec![(1, "a"), (4, "d"), (4, "e"), (9, "i")];
    let b: Vec<(u32, &str)> = vec![(0, "z"), (4, "x"), (10, "y")];
    let (ours, theirs) = corio::run(async move {
        let ours = corio::spawn(merge_by(a.clone(), b.clone(), |p| p.0, 2));
        let theirs = corio::spawn(merge_by_rustc(a, b, |p| p.0, 2));
        (ours.await.unwrap(), theirs.await.unwrap())
    });
    assert_eq!(ours, theirs);
    let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let ours = corio::run(merge_by(words("b dd fff"), words("a cc"), |s| s.len(), 1));
    let theirs = corio::run(merge_by_rustc(
        words("b dd fff"),
        words("a cc"),
        |s| s.len(),
        1,
    ));
    assert_eq!(ours, theirs);
}

// ---------------------------------------------------------------------------------------------
// Async methods on a struct: &self, &mut self and self.

#[derive(Debug)]
#[allow(dead_code)] // the fields are read through Debug
enum BankError {
    Overdrawn { wanted: i64, had: i64 },
    Closed,
}

#[derive(Debug, Default)]
struct Account {
    balance: i64,
    history: Vec<String>,
    open: bool,
}

impl Account {
    #[corio::coroutine]
    async fn deposit(&mut self, amount: i64) -> Result<i64, BankError> {
        if !self.open {
            return Err(BankError::Closed);
        }
        yield_now().await;
        self.balance += amount;
        self.history.push(format!("+{amount}"));
        Ok(self.balance)
    }

    #[corio::coroutine]
    async fn withdraw(&mut self, amount: i64) -> Result<i64, BankError> {
        let had = self.balance;
        yield_now().await;
        if amount > had {
            return Err(BankError::Overdrawn {
                wanted: amount,
                had,
            });
        }
        self.balance -= amount;
        self.history.push(format!("-{amount}"));
        Ok(self.balance)
    }

    #[corio::coroutine]
    async fn report(&self) -> String {
        yield_now().await;
        format!("{} after {}", self.balance, self.history.join(" "))
    }

    #[corio::coroutine]
    async fn close(mut self) -> Vec<String> {
        yield_now().await;
        self.open = false;
        self.history.push("closed".into());
        self.history
    }
}

struct AccountR {
    balance: i64,
    history: Vec<String>,
    open: bool,
}

impl AccountR {
    async fn deposit(&mut self, amount: i64) -> Result<i64, BankError> {
        if !self.open {
            return Err(BankError::Closed);
        }
        yield_now().await;
        self.balance += amount;
        self.history.push(format!("+{amount}"));
        Ok(self.balance)
    }

    async fn withdraw(&mut self, amount: i64) -> Result<i64, BankError> {
        let had = self.balance;
        yield_now().await;
        if amount > had {
            return Err(BankError::Overdrawn {
                wanted: amount,
                had,
            });
        }
        self.balance -= amount;
        self.history.push(format!("-{amount}"));
        Ok(self.balance)
    }

    async fn report(&self) -> String {
        yield_now().await;
        format!("{} after {}", self.balance, self.history.join(" "))
    }

    async fn close(mut self) -> Vec<String> {
        yield_now().await;
        self.open = false;
        self.history.push("closed".into());
        self.history
    }
}

/// Awaiting `acct.deposit(op)` directly in the body would keep a borrow of the local `acct`
/// across the await (the borrowing rule; finding F-probe-2 is about rustc's error there):
/// the documented remedy is a nested `async move` block that owns the account.
#[corio::coroutine]
async fn banking(ops: Vec<i64>) -> (Vec<String>, String, Vec<String>) {
    let acct = Account {
        open: true,
        ..Account::default()
    };
    let (results, acct) = async move {
        let mut acct = acct;
        let mut results = Vec::new();
        for op in ops {
            let r = if op >= 0 {
                acct.deposit(op).await
            } else {
                acct.withdraw(-op).await
            };
            results.push(format!("{r:?}"));
        }
        (results, acct)
    }
    .await;
    let report = async move {
        let report = acct.report().await;
        (report, acct)
    }
    .await;
    let (report, acct) = report;
    let history = acct.close().await;
    (results, report, history)
}

async fn banking_rustc(ops: Vec<i64>) -> (Vec<String>, String, Vec<String>) {
    let mut acct = AccountR {
        balance: 0,
        history: Vec::new(),
        open: true,
    };
    let mut results = Vec::new();
    for op in ops {
        let r = if op >= 0 {
            acct.deposit(op).await
        } else {
            acct.withdraw(-op).await
        };
        results.push(format!("{r:?}"));
    }
    let report = acct.report().await;
    let history = acct.close().await;
    (results, report, history)
}

#[test]
fn async_methods_by_ref_mut_ref_and_value_match_rustc() {
    let ops = vec![10, -3, -20, 5, 0, -12];
    let ours = corio::run(banking(ops.clone()));
    assert_eq!(ours, corio::run(banking_rustc(ops)));
    assert_eq!(ours.1, "0 after +10 -3 +5 +0 -12");
}

// ---------------------------------------------------------------------------------------------
// `?` across `.await` with `From` conversions.

#[derive(Debug, PartialEq)]
enum AppError {
    Parse(String),
    Negative(i64),
    Empty,
}

impl From<std::num::ParseIntError> for AppError {
    fn from(e: std::num::ParseIntError) -> Self {
        AppError::Parse(e.to_string())
    }
}

async fn fetch_line(lines: Rc<Vec<String>>, i: usize) -> Option<String> {
    yield_now().await;
    lines.get(i).cloned()
}

fn check(v: i64) -> Result<i64, AppError> {
    if v < 0 {
        Err(AppError::Negative(v))
    } else {
        Ok(v)
    }
}

#[corio::coroutine]
async fn total_of(lines: Rc<Vec<String>>) -> Result<i64, AppError> {
    let mut total = 0;
    let mut i = 0;
    loop {
        let Some(line) = fetch_line(lines.clone(), i).await else {
            break;
        };
        i += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        total += check(trimmed.parse::<i64>()?)?;
    }
    if i == 0 {
        return Err(AppError::Empty);
    }
    Ok(total)
}

async fn total_of_rustc(lines: Rc<Vec<String>>) -> Result<i64, AppError> {
    let mut total = 0;
    let mut i = 0;
    loop {
        let Some(line) = fetch_line(lines.clone(), i).await else {
            break;
        };
        i += 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        total += check(trimmed.parse::<i64>()?)?;
    }
    if i == 0 {
        return Err(AppError::Empty);
    }
    Ok(total)
}

#[corio::coroutine]
async fn first_word_len(lines: Rc<Vec<String>>, i: usize) -> Option<usize> {
    let line = fetch_line(lines, i).await?;
    let word = line.split_whitespace().next()?.to_owned();
    yield_now().await;
    Some(word.len())
}

#[test]
fn question_mark_across_await_matches_rustc() {
    let inputs: Vec<Vec<&str>> = vec![
        vec!["1", " 2 ", "# c", "", "40"],
        vec!["1", "x2", "3"],
        vec!["5", "-6", "7"],
        vec![],
        vec!["99999999999999999999"],
    ];
    for input in inputs {
        let lines = Rc::new(input.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let ours = corio::run(total_of(lines.clone()));
        let theirs = corio::run(total_of_rustc(lines));
        assert_eq!(ours, theirs, "{input:?}");
    }
    let lines = Rc::new(vec!["hello world".to_string(), "   ".to_string()]);
    assert_eq!(corio::run(first_word_len(lines.clone(), 0)), Some(5));
    assert_eq!(corio::run(first_word_len(lines.clone(), 1)), None);
    assert_eq!(corio::run(first_word_len(lines, 2)), None);
}

// ---------------------------------------------------------------------------------------------
// Recursion through a boxed future.

struct Tree {
    value: u64,
    children: Vec<Rc<Tree>>,
}

fn tree(value: u64, children: Vec<Rc<Tree>>) -> Rc<Tree> {
    Rc::new(Tree { value, children })
}

#[corio::coroutine]
async fn tree_sum(t: Rc<Tree>, depth: u32, log: Rc<RefCell<Vec<(u32, u64)>>>) -> u64 {
    log.borrow_mut().push((depth, t.value));
    let mut sum = t.value;
    for child in t.children.clone() {
        // `Box::pin(tree_sum(..)).await`, as for rustc's async fn, is E0720 (F-probe-3).
        let sub: Pin<Box<dyn Future<Output = u64>>> =
            Box::pin(tree_sum(child, depth + 1, log.clone()));
        sum += sub.await;
        yield_now().await;
    }
    sum
}

fn tree_sum_plain(t: &Tree, depth: u32, log: &mut Vec<(u32, u64)>) -> u64 {
    log.push((depth, t.value));
    t.value
        + t.children
            .iter()
            .map(|c| tree_sum_plain(c, depth + 1, log))
            .sum::<u64>()
}

#[test]
fn recursion_through_a_boxed_dyn_future_matches_the_plain_function() {
    let t = tree(
        1,
        vec![
            tree(2, vec![tree(4, vec![]), tree(5, vec![tree(8, vec![])])]),
            tree(3, vec![tree(6, vec![]), tree(7, vec![])]),
        ],
    );
    let log = Rc::new(RefCell::new(Vec::new()));
    let ours = corio::run(tree_sum(t.clone(), 0, log.clone()));
    let mut plain_log = Vec::new();
    assert_eq!(ours, tree_sum_plain(&t, 0, &mut plain_log));
    assert_eq!(*log.borrow(), plain_log);
}

// ---------------------------------------------------------------------------------------------
// Trait objects of generators.

#[corio::coroutine(yield = u32)]
fn evens(below: u32) {
    let mut n = 0;
    while n < below {
        yield_!(n);
        n += 2;
    }
}

#[corio::coroutine(yield = u32)]
fn squares(count: u32) {
    for i in 1..=count {
        yield_!(i * i);
    }
}

#[corio::coroutine(yield = i64, resume = i64)]
fn accumulate(start: i64) -> i64 {
    let mut acc = start;
    loop {
        let x = yield_!(acc);
        if x == 0 {
            return acc;
        }
        acc += x;
    }
}

#[corio::coroutine(yield = i64, resume = i64)]
fn maximum() -> i64 {
    let mut best = i64::MIN;
    loop {
        let x = yield_!(best);
        if x == 0 {
            return best;
        }
        best = best.max(x);
    }
}

#[test]
fn generators_behind_trait_objects() {
    // Round-robin over boxed iterators, like itertools' interleave.
    let mut sources: Vec<Box<dyn Iterator<Item = u32>>> =
        vec![Box::new(evens(7)), Box::new(squares(5)), Box::new(0..2)];
    let mut out = Vec::new();
    while !sources.is_empty() {
        sources.retain_mut(|s| match s.next() {
            Some(v) => {
                out.push(v);
                true
            }
            None => false,
        });
    }
    assert_eq!(out, [0, 1, 0, 2, 4, 1, 4, 9, 6, 16, 25]);

    // Boxed `Coroutine`s with resume values, driven through one interface.
    type Machine = Box<dyn Coroutine<i64, Yield = i64, Return = i64>>;
    let mut machines: Vec<Machine> = vec![Box::new(accumulate(100)), Box::new(maximum())];
    let inputs = [0, 3, -1, 7, 2, 0];
    let mut results = Vec::new();
    for m in &mut machines {
        let mut trace = Vec::new();
        for &x in &inputs {
            match m.resume(x) {
                CoroutineState::Yielded(y) => trace.push(y),
                CoroutineState::Complete(r) => {
                    trace.push(r);
                    break;
                }
            }
        }
        results.push(trace);
    }
    assert_eq!(results[0], [100, 103, 102, 109, 111, 111]);
    assert_eq!(results[1], [i64::MIN, 3, 3, 7, 7, 7]);
}

// ---------------------------------------------------------------------------------------------
// A push parser driven by resume values: bytes in, HTTP-ish header lines out.

#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Need,
    RequestLine { method: String, path: String },
    Header(String, String),
    Bad(String),
}

#[corio::coroutine(yield = Parsed, resume = u8)]
fn request_parser() -> BTreeMap<String, String> {
    let mut headers = BTreeMap::new();
    let mut line = Vec::new();
    let mut first = true;
    let mut byte = yield_!(Parsed::Need);
    'lines: loop {
        // Collect one line.
        loop {
            match byte {
                b'\r' => {}
                b'\n' => break,
                b => line.push(b),
            }
            byte = yield_!(Parsed::Need);
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        line.clear();
        if text.is_empty() {
            break 'lines;
        }
        let event = if first {
            first = false;
            let mut parts = text.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(m), Some(p), Some(v)) if v.starts_with("HTTP/") => Parsed::RequestLine {
                    method: m.to_string(),
                    path: p.to_string(),
                },
                _ => Parsed::Bad(text),
            }
        } else if let Some((name, value)) = text.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            headers.insert(name.clone(), value.clone());
            Parsed::Header(name, value)
        } else {
            Parsed::Bad(text)
        };
        let bad = matches!(event, Parsed::Bad(_));
        byte = yield_!(event);
        if bad {
            return headers;
        }
    }
    headers
}

fn parse_plain(input: &[u8]) -> (Vec<Parsed>, Option<BTreeMap<String, String>>) {
    let mut events = Vec::new();
    let mut headers = BTreeMap::new();
    let text = String::from_utf8_lossy(input);
    let mut first = true;
    let mut rest: &str = &text;
    loop {
        let Some(nl) = rest.find('\n') else {
            return (events, None);
        };
        let line: String = rest[..nl].chars().filter(|&c| c != '\r').collect();
        rest = &rest[nl + 1..];
        if line.is_empty() {
            return (events, Some(headers));
        }
        let event = if first {
            first = false;
            let mut parts = line.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(m), Some(p), Some(v)) if v.starts_with("HTTP/") => Parsed::RequestLine {
                    method: m.to_string(),
                    path: p.to_string(),
                },
                _ => Parsed::Bad(line),
            }
        } else if let Some((name, value)) = line.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            headers.insert(name.clone(), value.clone());
            Parsed::Header(name, value)
        } else {
            Parsed::Bad(line)
        };
        let bad = matches!(event, Parsed::Bad(_));
        events.push(event);
        if bad {
            // The machine returns after the next byte it is given.
            return (events, if rest.is_empty() { None } else { Some(headers) });
        }
    }
}

fn drive(input: &[u8]) -> (Vec<Parsed>, Option<BTreeMap<String, String>>) {
    let mut p = request_parser();
    assert_eq!(p.resume(0), CoroutineState::Yielded(Parsed::Need));
    let mut events = Vec::new();
    for &b in input {
        match p.resume(b) {
            CoroutineState::Yielded(Parsed::Need) => {}
            CoroutineState::Yielded(e) => events.push(e),
            CoroutineState::Complete(h) => return (events, Some(h)),
        }
    }
    (events, None)
}

#[test]
fn a_push_parser_fed_byte_by_byte_matches_the_plain_parser() {
    let cases: [&[u8]; 5] = [
        b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept:  */*\r\n\r\n",
        b"POST /x HTTP/1.0\nContent-Length: 3\n\n",
        b"GARBAGE\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon here\r\nX: y\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: unfinished",
    ];
    for case in cases {
        assert_eq!(
            drive(case),
            parse_plain(case),
            "{}",
            String::from_utf8_lossy(case)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Early exits from nested loops, shadowing, closures kept across yields, Option/Result
// combinators, slices and strings: one generator and its plain twin each.

#[corio::coroutine(yield = (usize, usize))]
fn find_pairs(grid: Vec<Vec<i32>>, target: i32, max: usize) -> Option<(usize, usize)> {
    let mut found = 0;
    'rows: for (r, row) in grid.into_iter().enumerate() {
        for (c, v) in row.into_iter().enumerate() {
            if v < 0 {
                continue 'rows;
            }
            if v == target {
                yield_!((r, c));
                found += 1;
                if found == max {
                    return Some((r, c));
                }
            }
            if v > 100 {
                break 'rows;
            }
        }
    }
    None
}

fn find_pairs_plain(
    grid: Vec<Vec<i32>>,
    target: i32,
    max: usize,
) -> (Vec<(usize, usize)>, Option<(usize, usize)>) {
    let mut out = Vec::new();
    let mut found = 0;
    'rows: for (r, row) in grid.into_iter().enumerate() {
        for (c, v) in row.into_iter().enumerate() {
            if v < 0 {
                continue 'rows;
            }
            if v == target {
                out.push((r, c));
                found += 1;
                if found == max {
                    return (out, Some((r, c)));
                }
            }
            if v > 100 {
                break 'rows;
            }
        }
    }
    (out, None)
}

fn collect_all<G, Y>(mut g: G) -> (Vec<Y>, G::Return)
where
    G: Coroutine<Yield = Y>,
{
    let mut ys = Vec::new();
    loop {
        match g.resume(()) {
            CoroutineState::Yielded(y) => ys.push(y),
            CoroutineState::Complete(r) => return (ys, r),
        }
    }
}

#[test]
fn labelled_breaks_and_early_returns_across_yields() {
    let grid = vec![
        vec![1, 7, 3, 7],
        vec![7, -1, 7],
        vec![2, 7, 200, 7],
        vec![7],
    ];
    for max in 1..6 {
        assert_eq!(
            collect_all(find_pairs(grid.clone(), 7, max)),
            find_pairs_plain(grid.clone(), 7, max),
            "max {max}"
        );
    }
}

#[corio::coroutine(yield = String)]
fn shadowed(input: &'static str) -> usize {
    let x = input;
    yield_!(x.to_string());
    let x = x.trim();
    yield_!(format!("[{x}]"));
    let x: Vec<&str> = x.split(',').map(str::trim).collect();
    yield_!(x.join("|"));
    let x = x.len();
    yield_!(x.to_string());
    let x = {
        let x = x * 10;
        yield_!(format!("inner {x}"));
        x + 1
    };
    x
}

fn shadowed_plain(input: &'static str) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let x = input;
    out.push(x.to_string());
    let x = x.trim();
    out.push(format!("[{x}]"));
    let x: Vec<&str> = x.split(',').map(str::trim).collect();
    out.push(x.join("|"));
    let x = x.len();
    out.push(x.to_string());
    let x = {
        let x = x * 10;
        out.push(format!("inner {x}"));
        x + 1
    };
    (out, x)
}

#[test]
fn shadowing_across_yields() {
    for input in ["  a, b ,c  ", "", "single"] {
        assert_eq!(collect_all(shadowed(input)), shadowed_plain(input));
    }
}

#[corio::coroutine(yield = i64)]
fn with_closures(values: Vec<i64>, factor: i64) -> String {
    let scale = move |v: i64| v * factor;
    let label = String::from("sum");
    let describe = move |total: i64| format!("{label}={total}");
    let mut count = 0;
    let mut counted = move || {
        count += 1;
        count
    };
    let mut total = 0;
    for v in values {
        let scaled = scale(v);
        yield_!(scaled);
        total += scaled;
        counted();
    }
    let n = counted() - 1;
    format!("{} over {n}", describe(total))
}

fn with_closures_plain(values: Vec<i64>, factor: i64) -> (Vec<i64>, String) {
    let mut out = Vec::new();
    let scale = move |v: i64| v * factor;
    let label = String::from("sum");
    let describe = move |total: i64| format!("{label}={total}");
    let mut count = 0;
    let mut counted = move || {
        count += 1;
        count
    };
    let mut total = 0;
    for v in values {
        let scaled = scale(v);
        out.push(scaled);
        total += scaled;
        counted();
    }
    let n = counted() - 1;
    (out, format!("{} over {n}", describe(total)))
}

#[test]
fn closures_kept_across_yields() {
    assert_eq!(
        collect_all(with_closures(vec![1, -2, 30], 3)),
        with_closures_plain(vec![1, -2, 30], 3)
    );
    assert_eq!(
        collect_all(with_closures(vec![], 3)),
        with_closures_plain(vec![], 3)
    );
}

#[corio::coroutine(yield = Result<u16, String>)]
fn ports(spec: &'static str) -> Option<u16> {
    let mut highest: Option<u16> = None;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part
            .strip_prefix(':')
            .ok_or_else(|| format!("{part}: no colon"))
            .and_then(|p| p.parse::<u16>().map_err(|e| format!("{part}: {e}")));
        yield_!(parsed.clone());
        highest = parsed.ok().max(highest).or(highest);
    }
    let top = highest?;
    Some(top.checked_add(1).unwrap_or(top))
}

fn ports_plain(spec: &'static str) -> (Vec<Result<u16, String>>, Option<u16>) {
    let mut out = Vec::new();
    let mut highest: Option<u16> = None;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let parsed = part
            .strip_prefix(':')
            .ok_or_else(|| format!("{part}: no colon"))
            .and_then(|p| p.parse::<u16>().map_err(|e| format!("{part}: {e}")));
        out.push(parsed.clone());
        highest = parsed.ok().max(highest).or(highest);
    }
    let Some(top) = highest else {
        return (out, None);
    };
    (out, Some(top.checked_add(1).unwrap_or(top)))
}

#[test]
fn option_and_result_combinators_and_question_mark_on_option() {
    for spec in [":80, :443,8080, :x, :65535", "", "nope", " , :1 ,"] {
        assert_eq!(collect_all(ports(spec)), ports_plain(spec), "{spec:?}");
    }
}

#[corio::coroutine(yield = &'a [u8])]
fn records<'a>(data: &'a [u8], sep: u8) -> usize {
    let mut start = 0;
    let mut n = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == sep {
            yield_!(&data[start..i]);
            n += 1;
            start = i + 1;
        }
    }
    if start < data.len() {
        yield_!(&data[start..]);
        n += 1;
    }
    n
}

#[corio::coroutine(yield = String)]
fn title_words<'a>(text: &'a str) {
    for word in text.split_whitespace() {
        let mut chars = word.chars();
        let Some(first) = chars.next() else { continue };
        let titled: String = first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect();
        yield_!(titled);
    }
}

#[test]
fn slices_and_strings_borrowed_from_arguments() {
    let data = b"alpha;beta;;gamma".to_vec();
    let (got, n) = collect_all(records(&data, b';'));
    let expect: Vec<&[u8]> = data.split(|&b| b == b';').collect();
    assert_eq!(got, expect);
    assert_eq!(n, expect.len());
    let (got, n) = collect_all(records(b"a;b;", b';'));
    assert_eq!((got, n), (vec![&b"a"[..], b"b"], 2));

    let text = String::from("hELLO wORLD  ÉCOLE ß");
    let ours: Vec<String> = title_words(&text).collect();
    let plain: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            let mut cs = w.chars();
            let f = cs.next().unwrap();
            f.to_uppercase()
                .chain(cs.flat_map(char::to_lowercase))
                .collect()
        })
        .collect();
    assert_eq!(ours, plain);
}

#[test]
fn iterator_adaptors_over_generators() {
    let zipped: Vec<(u32, u32)> = evens(10).zip(squares(10)).collect();
    assert_eq!(
        zipped,
        (0..10)
            .step_by(2)
            .zip((1..=10).map(|i| i * i))
            .collect::<Vec<_>>()
    );
    let chained: u32 = evens(5).chain(squares(3)).sum();
    assert_eq!(chained, [0, 2, 4, 1, 4, 9].iter().sum::<u32>());
    let nested: Vec<u32> = squares(3).flat_map(evens).collect();
    assert_eq!(nested, [0, 0, 2, 0, 2, 4, 6, 8]);
    let mut peek = squares(4).peekable();
    let mut runs = Vec::new();
    while let Some(v) = peek.next() {
        runs.push((v, peek.peek().copied()));
    }
    assert_eq!(
        runs,
        [(1, Some(4)), (4, Some(9)), (9, Some(16)), (16, None)]
    );
    let (small, big): (Vec<u32>, Vec<u32>) = squares(6).partition(|&v| v < 10);
    assert_eq!((small, big), (vec![1, 4, 9], vec![16, 25, 36]));
    assert_eq!(squares(100).position(|v| v > 50), Some(7));
    assert_eq!(evens(1000).rev_collect_last(), Some(998));
}

trait LastExt: Iterator + Sized {
    fn rev_collect_last(self) -> Option<Self::Item> {
        self.fold(None, |_, x| Some(x))
    }
}
impl<I: Iterator> LastExt for I {}

// ---------------------------------------------------------------------------------------------
// Python's `generator.throw(exc)`, the Rust way: the resume type carries the error.

#[derive(Debug, Clone, PartialEq)]
enum Signal {
    Reset,
    Fail(String),
}

/// A running average that a caller can reset or abort, as a Python generator would with
/// `gen.throw(Reset())` / `gen.throw(ValueError(...))`.
#[corio::coroutine(yield = f64, resume = Result<f64, Signal>)]
fn averager() -> Result<usize, String> {
    let (mut sum, mut n) = (0.0, 0usize);
    let mut seen = 0;
    let mut next = yield_!(f64::NAN);
    loop {
        match next {
            Ok(x) => {
                sum += x;
                n += 1;
                seen += 1;
            }
            Err(Signal::Reset) => (sum, n) = (0.0, 0),
            Err(Signal::Fail(why)) => return Err(format!("{why} after {seen}")),
        }
        let avg = if n == 0 { f64::NAN } else { sum / n as f64 };
        next = yield_!(avg);
        if matches!(next, Ok(x) if x.is_nan()) {
            return Ok(seen);
        }
    }
}

fn averager_plain(inputs: &[Result<f64, Signal>]) -> (Vec<String>, Option<Result<usize, String>>) {
    let (mut sum, mut n, mut seen) = (0.0, 0usize, 0);
    let mut out = vec![format!("{:?}", f64::NAN)];
    for (i, next) in inputs.iter().enumerate() {
        if i > 0 && matches!(next, Ok(x) if x.is_nan()) {
            return (out, Some(Ok(seen)));
        }
        match next {
            Ok(x) => {
                sum += x;
                n += 1;
                seen += 1;
            }
            Err(Signal::Reset) => (sum, n) = (0.0, 0),
            Err(Signal::Fail(why)) => return (out, Some(Err(format!("{why} after {seen}")))),
        }
        out.push(format!(
            "{:?}",
            if n == 0 { f64::NAN } else { sum / n as f64 }
        ));
    }
    (out, None)
}

#[test]
fn a_result_resume_type_stands_in_for_throw() {
    let scripts: Vec<Vec<Result<f64, Signal>>> = vec![
        vec![Ok(1.0), Ok(3.0), Err(Signal::Reset), Ok(10.0), Ok(f64::NAN)],
        vec![Ok(2.0), Err(Signal::Fail("bad sensor".into())), Ok(1.0)],
        vec![Err(Signal::Reset), Err(Signal::Reset), Ok(4.0)],
    ];
    for script in scripts {
        let mut g = averager();
        let mut out = Vec::new();
        let mut end = None;
        // The first resume only starts it (its argument is discarded).
        if let CoroutineState::Yielded(y) = g.resume(Ok(0.0)) {
            out.push(format!("{y:?}"));
        }
        for input in script.iter().cloned() {
            match g.resume(input) {
                CoroutineState::Yielded(y) => out.push(format!("{y:?}")),
                CoroutineState::Complete(r) => {
                    end = Some(r);
                    break;
                }
            }
        }
        assert_eq!((out, end), averager_plain(&script), "{script:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// `clone` on an async coroutine, async generators through `futures::StreamExt`.

/// A retry loop with a back-off: cloning it while it sleeps gives a second attempt sequence
/// from the same point (its awaits, `sleep` and `yield_now`, are `Clone`).
#[corio::coroutine(clone)]
async fn backoff(attempts: Rc<RefCell<Vec<(char, u32)>>>, who: char, fail_until: u32) -> u32 {
    let mut delay_ms = 1;
    let mut attempt = 0;
    loop {
        attempt += 1;
        attempts.borrow_mut().push((who, attempt));
        if attempt >= fail_until {
            return attempt;
        }
        corio::sleep(std::time::Duration::from_millis(delay_ms)).await;
        delay_ms *= 2;
        yield_now().await;
    }
}

#[test]
fn a_cloned_async_coroutine_runs_on_independently() {
    use std::task::{Context, Poll, Waker};
    let log = Rc::new(RefCell::new(Vec::new()));
    let got = corio::run({
        let log = log.clone();
        async move {
            let mut a = backoff(log.clone(), 'a', 3);
            let mut cx = Context::from_waker(Waker::noop());
            assert_eq!(Pin::new(&mut a).poll(&mut cx), Poll::Pending); // asleep after attempt 1
            let b = a.clone();
            assert_eq!(
                corio::inspect::getcoroutinestate(&b),
                corio::inspect::CORO_SUSPENDED
            );
            assert_eq!(b.suspended_at(), a.suspended_at());
            corio::join!(a, b).await
        }
    });
    assert_eq!(got, (3, 3));
    // The clone shares the `Rc` (a clone of the local) and writes as `'a'` too: attempts 2
    // and 3 twice, after the first.
    assert_eq!(
        *log.borrow(),
        [('a', 1), ('a', 2), ('a', 2), ('a', 3), ('a', 3)]
    );
}

#[corio::coroutine(yield = String)]
async fn numbered_lines(text: String, pause_every: usize) {
    for (i, line) in text
        .lines()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
        .enumerate()
    {
        if i % pause_every == 0 {
            yield_now().await;
        }
        if line.trim().is_empty() {
            continue;
        }
        yield_!(format!("{:>3} {line}", i + 1));
    }
}

#[test]
fn an_async_generator_with_futures_stream_combinators() {
    use futures::StreamExt;
    let text = "alpha\n\nbeta\n  \ngamma\ndelta".to_string();
    let plain: Vec<String> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| format!("{:>3} {l}", i + 1))
        .collect();
    let got = corio::run(numbered_lines(text.clone(), 2).collect::<Vec<_>>());
    assert_eq!(got, plain);
    let lens = corio::run(
        numbered_lines(text, 1)
            .map(|l| l.len())
            .filter(|n| std::future::ready(*n > 8))
            .collect::<Vec<_>>(),
    );
    let plain_lens: Vec<usize> = plain.iter().map(|l| l.len()).filter(|n| *n > 8).collect();
    assert_eq!(lens, plain_lens);
    assert_eq!(lens.len(), 3);
}

// ---------------------------------------------------------------------------------------------
// David Beazley's coroutine pipelines ("A Curious Course on Coroutines"), ported: push-based
// stages that receive with `send` (a resume value) and forward to the next stage.

type Sink = Box<dyn Coroutine<Option<String>, Yield = (), Return = Vec<String>>>;

/// `@coroutine def grep(pattern, target): while True: line = (yield); if pattern in line: target.send(line)`
#[corio::coroutine(yield = (), resume = Option<String>)]
fn grep(pattern: String, mut target: Sink) -> Vec<String> {
    loop {
        let Some(line) = yield_!(()) else {
            // close(): pass it on and hand back what the end of the pipeline collected.
            return match target.resume(None) {
                CoroutineState::Complete(out) => out,
                CoroutineState::Yielded(()) => Vec::new(),
            };
        };
        if line.contains(pattern.as_str()) {
            target.resume(Some(line));
        }
    }
}

/// A stage that fans out to several targets.
#[corio::coroutine(yield = (), resume = Option<String>)]
fn broadcast(mut targets: Vec<Sink>) -> Vec<String> {
    while let Some(line) = yield_!(()) {
        for t in targets.iter_mut() {
            t.resume(Some(line.clone()));
        }
    }
    let mut all = Vec::new();
    for mut t in targets {
        if let CoroutineState::Complete(out) = t.resume(None) {
            all.extend(out);
        }
    }
    all
}

/// The end of a pipeline: collects what reaches it, tagged.
#[corio::coroutine(yield = (), resume = Option<String>)]
fn collect_into(tag: &'static str) -> Vec<String> {
    let mut got = Vec::new();
    while let Some(line) = yield_!(()) {
        got.push(format!("{tag}: {line}"));
    }
    got
}

fn primed(mut stage: Sink) -> Sink {
    stage.resume(None); // Python's @coroutine decorator: advance to the first yield
    stage
}

#[test]
fn beazley_pipelines_push_lines_through_grep_and_broadcast() {
    let lines = [
        "python is fun",
        "rust is fast",
        "python and rust",
        "neither",
        "corio: python's coroutines in rust",
    ];
    let pipeline = primed(Box::new(broadcast(vec![
        primed(Box::new(grep(
            "python".into(),
            primed(Box::new(collect_into("py"))),
        ))),
        primed(Box::new(grep(
            "rust".into(),
            primed(Box::new(grep(
                "python".into(),
                primed(Box::new(collect_into("both"))),
            ))),
        ))),
    ])));
    let mut pipeline = pipeline;
    for line in lines {
        pipeline.resume(Some(line.to_string()));
    }
    let CoroutineState::Complete(got) = pipeline.resume(None) else {
        panic!("the pipeline did not finish when closed");
    };
    // The plain functions' answer.
    let mut expected: Vec<String> = lines
        .iter()
        .filter(|l| l.contains("python"))
        .map(|l| format!("py: {l}"))
        .collect();
    expected.extend(
        lines
            .iter()
            .filter(|l| l.contains("rust") && l.contains("python"))
            .map(|l| format!("both: {l}")),
    );
    assert_eq!(got, expected);
}

// ---------------------------------------------------------------------------------------------
// The concurrent prime sieve (Go's classic, also a Python asyncio exercise): a generator task
// feeds a chain of filter tasks joined by bounded channels, one task per prime found.

#[corio::coroutine]
async fn numbers_from(start: u32, out: corio::sync::mpsc::Sender<u32>) {
    let mut n = start;
    while out.send(n).await.is_ok() {
        n += 1;
    }
}

#[corio::coroutine]
async fn keep_if_not_multiple(
    prime: u32,
    input: corio::sync::mpsc::Receiver<u32>,
    out: corio::sync::mpsc::Sender<u32>,
) {
    while let Some(n) = input.recv().await {
        if n % prime != 0 && out.send(n).await.is_err() {
            return;
        }
    }
}

#[corio::coroutine]
async fn first_primes(count: usize) -> (Vec<u32>, usize, usize) {
    let (tx, mut rx) = corio::sync::mpsc::channel(1);
    let mut tasks = vec![corio::spawn(numbers_from(2, tx))];
    let mut primes = Vec::new();
    while primes.len() < count {
        let prime = rx.recv().await.expect("the chain never ends");
        primes.push(prime);
        let (tx, next) = corio::sync::mpsc::channel(1);
        tasks.push(corio::spawn(keep_if_not_multiple(prime, rx, tx)));
        rx = next;
    }
    // Dropping the last receiver ends the chain from its end, one task after another.
    drop(rx);
    let spawned = tasks.len();
    for t in tasks {
        t.await.unwrap();
    }
    (primes, spawned, corio::tasks().len())
}

async fn first_primes_tokio(count: usize) -> Vec<u32> {
    use tokio::sync::mpsc;
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let mut tasks = vec![tokio::task::spawn_local(async move {
        let mut n = 2;
        while tx.send(n).await.is_ok() {
            n += 1;
        }
    })];
    let mut primes = Vec::new();
    while primes.len() < count {
        let prime = rx.recv().await.unwrap();
        primes.push(prime);
        let (tx, next) = mpsc::channel::<u32>(1);
        let mut input = rx;
        tasks.push(tokio::task::spawn_local(async move {
            while let Some(n) = input.recv().await {
                if n % prime != 0 && tx.send(n).await.is_err() {
                    return;
                }
            }
        }));
        rx = next;
    }
    drop(rx);
    for t in tasks {
        t.await.unwrap();
    }
    primes
}

#[test]
fn the_concurrent_prime_sieve_matches_tokio_and_the_plain_sieve() {
    let (ours, spawned, left) = corio::run(first_primes(60));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let theirs = tokio::task::LocalSet::new().block_on(&rt, first_primes_tokio(60));
    let plain: Vec<u32> = (2..)
        .filter(|n| (2..*n).take_while(|d| d * d <= *n).all(|d| n % d != 0))
        .take(60)
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(ours, plain);
    assert_eq!(spawned, 61);
    assert_eq!(
        left, 1,
        "only the main future is left once the chain has ended"
    );
}

// ---------------------------------------------------------------------------------------------
// A command dispatcher: `match cmd.as_str()` (a borrow of a local in the scrutinee) with
// awaits inside the arms, the way line-protocol servers are written.

#[corio::coroutine]
async fn dispatch(cmds: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for cmd in cmds {
        match cmd.as_str() {
            "ping" => {
                corio::yield_now().await;
                out.push("pong".to_string());
            }
            "echo" => out.push(cmd.clone()),
            other if other.starts_with("say ") => {
                let said = other[4..].to_string();
                corio::yield_now().await;
                out.push(said);
            }
            _ => {
                corio::yield_now().await;
                out.push(format!("? {cmd}"));
            }
        }
        out.push(cmd.len().to_string());
    }
    out
}
#[corio::coroutine]
async fn dispatch2(cmd: String, parts: Vec<String>) -> usize {
    match (cmd.as_str(), parts.as_slice()) {
        ("add", [a, b]) => {
            let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
            corio::yield_now().await;
            a + b
        }
        ("len", _) => {
            corio::yield_now().await;
            parts.len()
        }
        _ => 0,
    }
}
#[test]
fn command_dispatch_matching_on_as_str_with_awaits_in_the_arms() {
    let cmds = ["ping", "echo", "say hi", "zz"].map(String::from).to_vec();
    let got = corio::run(dispatch(cmds));
    assert_eq!(got, ["pong", "4", "echo", "4", "hi", "6", "? zz", "2"]);
    let add = vec!["2".to_string(), "3".to_string()];
    assert_eq!(corio::run(dispatch2("add".into(), add)), 5);
    assert_eq!(corio::run(dispatch2("len".into(), vec!["2".into()])), 1);
    assert_eq!(corio::run(dispatch2("nope".into(), Vec::new())), 0);
}

// ---------------------------------------------------------------------------------------------
// Callbacks that return futures: `move |x| async move { … }` and a generic `F: Fn(u32) -> Fut`
// parameter, called and awaited several times. (A Rust 2024 `async |x| …` closure cannot be:
// its call borrows the closure, a local, across the await; README lists it.)

#[corio::coroutine]
async fn uses_closure_returning_future() -> u32 {
    let base = 10;
    let fetch = move |x: u32| async move {
        corio::yield_now().await;
        x + base
    };
    let a = fetch(1).await;
    let b = fetch(2).await;
    a + b
}
#[corio::coroutine]
async fn calls_generic<F, Fut>(f: F) -> u32
where
    F: Fn(u32) -> Fut,
    Fut: Future<Output = u32>,
{
    let a = f(1).await;
    a + f(2).await
}
#[test]
fn closures_that_return_futures_are_called_and_awaited_repeatedly() {
    assert_eq!(corio::run(uses_closure_returning_future()), 23);
    assert_eq!(corio::run(calls_generic(|x| async move { x * 3 })), 9);
}
