//! Generators written the way users write them, session 8's outside probe: items declared
//! inside the body, a Fibonacci with destructuring assignment, word splitting with
//! `mem::take` and let chains, early returns from nested loops, `HashMap` counting, Python's
//! running averager, a `&mut self` tokenizer, `?` with `From` out of a labelled block, slice
//! and `@` patterns in suspending arms, a depth-first walk over a boxed tree, a `Peekable`
//! kept across yields, `yield from` by hand, drop order on `close()` and on an early return,
//! and struct update syntax. Each checks the values the plain function would produce.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;
use std::rc::Rc;

use corio::{Coroutine, CoroutineState};

use crate::generators::drain;

// 1. local struct/enum/fn/const items in the body, used across yields
#[corio::coroutine(yield = u32)]
fn local_items(n: u32) -> String {
    #[derive(Debug, Clone)]
    struct P {
        x: u32,
        name: String,
    }
    enum Kind {
        Small,
        Big(u32),
    }
    const LIMIT: u32 = 3;
    fn classify(v: u32) -> Kind {
        if v < LIMIT { Kind::Small } else { Kind::Big(v) }
    }
    use std::fmt::Write;
    let mut p = P {
        x: 0,
        name: String::from("p"),
    };
    let mut out = String::new();
    while p.x < n {
        match classify(p.x) {
            Kind::Small => yield_!(p.x),
            Kind::Big(v) => {
                yield_!(v * 10);
                write!(out, "{}", v).unwrap();
            }
        }
        p.x += 1;
    }
    format!("{}:{}:{:?}", p.name, out, p.clone())
}

#[test]
fn t_local_items() {
    let (ys, r) = drain(local_items(5));
    assert_eq!(ys, vec![0, 1, 2, 30, 40]);
    assert_eq!(r, "p:34:P { x: 5, name: \"p\" }");
}

// 2. Fibonacci with destructuring assignment
#[corio::coroutine(yield = u64)]
fn fib(n: usize) {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        yield_!(a);
        (a, b) = (b, a + b);
    }
}

#[test]
fn t_fib() {
    assert_eq!(drain(fib(8)).0, vec![0, 1, 1, 2, 3, 5, 8, 13]);
}

// 3. word splitting with mem::take, let chains, matches!
#[corio::coroutine(yield = String)]
fn words(s: &str) -> usize {
    let mut buf = String::new();
    let mut count = 0;
    for c in s.chars() {
        if c.is_whitespace() && !buf.is_empty() {
            count += 1;
            yield_!(std::mem::take(&mut buf));
        } else if !c.is_whitespace() {
            buf.push(c);
        }
    }
    if let Some(first) = buf.chars().next()
        && matches!(first, 'a'..='z')
    {
        count += 1;
        yield_!(buf);
    }
    count
}

#[test]
fn t_words() {
    let (ys, r) = drain(words("hello  big world"));
    assert_eq!(ys, vec!["hello", "big", "world"]);
    assert_eq!(r, 3);
}

// 4. Generic Display + format, where clause, early return in nested loop
#[corio::coroutine(yield = String)]
fn grid<T>(rows: Vec<Vec<T>>, stop: T) -> Option<(usize, usize)>
where
    T: Display + PartialEq,
{
    for (i, row) in rows.into_iter().enumerate() {
        for (j, cell) in row.into_iter().enumerate() {
            if cell == stop {
                return Some((i, j));
            }
            yield_!(format!("{i},{j}={cell}"));
        }
    }
    None
}

#[test]
fn t_grid() {
    let (ys, r) = drain(grid(vec![vec![1, 2], vec![3, 4]], 4));
    assert_eq!(ys, vec!["0,0=1", "0,1=2", "1,0=3"]);
    assert_eq!(r, Some((1, 1)));
}

// 5. HashMap entry API, sorted output, closures called after yield
#[corio::coroutine(yield = (String, usize))]
fn freq(text: String) -> usize {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for w in text.split_whitespace() {
        *counts.entry(w.to_lowercase()).or_insert(0) += 1;
    }
    let mut pairs: Vec<_> = counts.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = pairs.len();
    let fmt = move |s: &str| s.to_uppercase();
    for (w, n) in pairs {
        yield_!((fmt(&w), n));
    }
    total
}

#[test]
fn t_freq() {
    let (ys, r) = drain(freq("a b A c b a".into()));
    assert_eq!(ys, vec![("A".into(), 3), ("B".into(), 2), ("C".into(), 1)]);
    assert_eq!(r, 3);
}

// 6. resume values: a running-average coroutine (Python classic)
#[corio::coroutine(yield = f64, resume = f64)]
fn averager() -> usize {
    let mut total = 0.0;
    let mut count = 0;
    let mut average = 0.0;
    loop {
        let term = yield_!(average);
        if term.is_nan() {
            break count;
        }
        total += term;
        count += 1;
        average = total / count as f64;
    }
}

#[test]
fn t_averager() {
    let mut g = averager();
    assert_eq!(g.resume(0.0), CoroutineState::Yielded(0.0));
    assert_eq!(g.resume(10.0), CoroutineState::Yielded(10.0));
    assert_eq!(g.resume(30.0), CoroutineState::Yielded(20.0));
    assert_eq!(g.resume(f64::NAN), CoroutineState::Complete(2));
}

// 7. struct with &mut self generator method, self fields mutated across yields
struct Tokenizer {
    src: Vec<u8>,
    pos: usize,
}

impl Tokenizer {
    #[corio::coroutine(yield = &'a [u8])]
    fn tokens<'a>(&'a mut self) -> usize {
        let mut n = 0;
        while self.pos < self.src.len() {
            while self.pos < self.src.len() && self.src[self.pos] == b' ' {
                self.pos += 1;
            }
            let start = self.pos;
            while self.pos < self.src.len() && self.src[self.pos] != b' ' {
                self.pos += 1;
            }
            if self.pos > start {
                n += 1;
                yield_!(if self.pos - start > 1 {
                    &b"long"[..]
                } else {
                    &b"tok"[..]
                });
            }
        }
        n
    }
}

#[test]
fn t_tokenizer() {
    let mut t = Tokenizer {
        src: b" ab  cd e".to_vec(),
        pos: 0,
    };
    let (ys, r) = drain(t.tokens());
    assert_eq!(ys, [&b"long"[..], &b"long"[..], &b"tok"[..]]);
    assert_eq!(r, 3);
    assert_eq!(t.pos, 9);
}

// 8. Option/Result ? in generator returning Result; labeled break with value
#[derive(Debug, PartialEq)]
enum E {
    Parse(String),
    Neg(i64),
}

impl From<std::num::ParseIntError> for E {
    fn from(e: std::num::ParseIntError) -> Self {
        E::Parse(e.to_string())
    }
}

#[corio::coroutine(yield = i64)]
fn parse_all(lines: Vec<&'static str>) -> Result<i64, E> {
    let mut sum = 0;
    let found = 'search: {
        for l in lines {
            let v: i64 = l.trim().parse()?;
            if v < 0 {
                break 'search Some(v);
            }
            sum += v;
            yield_!(v);
        }
        None
    };
    if let Some(v) = found {
        return Err(E::Neg(v));
    }
    Ok(sum)
}

#[test]
fn t_parse_all() {
    assert_eq!(
        drain(parse_all(vec!["1", " 2 ", "3"])),
        (vec![1, 2, 3], Ok(6))
    );
    assert_eq!(
        drain(parse_all(vec!["1", "-2", "3"])),
        (vec![1], Err(E::Neg(-2)))
    );
    assert!(matches!(
        drain(parse_all(vec!["1", "x"])).1,
        Err(E::Parse(_))
    ));
}

// 9. Box<dyn Fn>, Vec of closures, iterator adaptors after yield
#[corio::coroutine(yield = i32)]
fn pipeline(input: Vec<i32>) -> i32 {
    let stages: Vec<Box<dyn Fn(i32) -> i32>> = vec![Box::new(|x| x + 1), Box::new(|x| x * 2)];
    let mut last = 0;
    for x in input {
        let y = stages.iter().fold(x, |acc, f| f(acc));
        yield_!(y);
        last = y;
    }
    let evens: i32 = (0..last).filter(|v| v % 2 == 0).sum();
    evens
}

#[test]
fn t_pipeline() {
    assert_eq!(drain(pipeline(vec![1, 2])), (vec![4, 6], 2 + 4));
}

// 10. slice patterns, @ bindings, ranges in match with yields in arms
#[corio::coroutine(yield = &'static str)]
fn classify(v: Vec<u8>) -> u32 {
    let mut score = 0;
    match v.as_slice() {
        [] => yield_!("empty"),
        [one] => {
            score += *one as u32;
            yield_!("one")
        }
        [first, .., last] if first == last => {
            yield_!("same ends");
            score += 100;
        }
        [n @ 0..=9, rest @ ..] => {
            score += *n as u32 + rest.len() as u32;
            yield_!("small first")
        }
        _ => score = 7,
    }
    score
}

#[test]
fn t_classify() {
    assert_eq!(drain(classify(vec![])), (vec!["empty"], 0));
    assert_eq!(drain(classify(vec![5])), (vec!["one"], 5));
    assert_eq!(drain(classify(vec![3, 4, 3])), (vec!["same ends"], 100));
    assert_eq!(drain(classify(vec![3, 4, 5])), (vec!["small first"], 5));
    assert_eq!(drain(classify(vec![30, 4, 5])), (vec![], 7));
}

#[derive(Debug)]
enum Tree {
    Leaf(u32),
    Node(Box<Tree>, Box<Tree>),
}

#[corio::coroutine(yield = u32)]
fn dfs(root: Tree) -> usize {
    let mut stack = vec![root];
    let mut visited = 0;
    while let Some(t) = stack.pop() {
        visited += 1;
        match t {
            Tree::Leaf(v) => yield_!(v),
            Tree::Node(l, r) => {
                stack.push(*r);
                stack.push(*l);
            }
        }
    }
    visited
}

#[test]
fn t_dfs() {
    let t = Tree::Node(
        Box::new(Tree::Leaf(1)),
        Box::new(Tree::Node(Box::new(Tree::Leaf(2)), Box::new(Tree::Leaf(3)))),
    );
    assert_eq!(drain(dfs(t)), (vec![1, 2, 3], 5));
}

#[corio::coroutine(yield = u32)]
fn filtered(v: Vec<u32>) -> Option<u32> {
    let mut it = v.into_iter().peekable();
    let mut last = None;
    loop {
        match it.next() {
            Some(x) if x > 2 => {
                if let Some(&nx) = it.peek() {
                    yield_!(x + nx)
                } else {
                    yield_!(x)
                }
            }
            Some(x) => {
                last = Some(x);
                continue;
            }
            None => break,
        }
    }
    let l = last?;
    Some(l * 100)
}

#[test]
fn t_filtered() {
    assert_eq!(drain(filtered(vec![1, 3, 4, 2])), (vec![7, 6], Some(200)));
    assert_eq!(drain(filtered(vec![5])), (vec![5], None));
}

#[corio::coroutine(yield = u32)]
fn inner(n: u32) -> u32 {
    for i in 0..n {
        yield_!(i);
    }
    n * 10
}

#[corio::coroutine(yield = u32)]
fn outer() -> u32 {
    let mut total = 0;
    for n in 1..=2 {
        let mut g = inner(n);
        let r = loop {
            match g.resume(()) {
                CoroutineState::Yielded(y) => yield_!(y + 100),
                CoroutineState::Complete(r) => break r,
            }
        };
        total += r;
    }
    total
}

#[test]
fn t_yield_from() {
    assert_eq!(drain(outer()), (vec![100, 100, 101], 30));
}

struct Guard(&'static str, Rc<RefCell<Vec<String>>>);
impl Drop for Guard {
    fn drop(&mut self) {
        self.1.borrow_mut().push(format!("drop {}", self.0));
    }
}

#[corio::coroutine(yield = u32, resume = bool)]
fn guarded(log: Rc<RefCell<Vec<String>>>) -> &'static str {
    let _a = Guard("a", log.clone());
    let go = yield_!(1);
    if !go {
        return yield_!(2).then_some("yes").unwrap_or("no");
    }
    {
        let _b = Guard("b", log.clone());
        let v = if yield_!(3) { yield_!(4) } else { false };
        log.borrow_mut().push(format!("v={v}"));
    }
    let _c = Guard("c", log.clone());
    yield_!(5);
    "end"
}

#[test]
fn t_guarded() {
    let log = Rc::new(RefCell::new(vec![]));
    let mut g = guarded(log.clone());
    assert_eq!(g.resume(false), CoroutineState::Yielded(1));
    assert_eq!(g.resume(true), CoroutineState::Yielded(3));
    assert_eq!(g.resume(true), CoroutineState::Yielded(4));
    assert_eq!(g.resume(false), CoroutineState::Yielded(5));
    assert_eq!(*log.borrow(), vec!["v=false", "drop b"]);
    g.close();
    assert_eq!(*log.borrow(), vec!["v=false", "drop b", "drop c", "drop a"]);
    let log2 = Rc::new(RefCell::new(vec![]));
    let mut g = guarded(log2.clone());
    g.resume(true);
    assert_eq!(g.resume(false), CoroutineState::Yielded(2));
    assert_eq!(g.resume(true), CoroutineState::Complete("yes"));
    assert_eq!(*log2.borrow(), vec!["drop a"]);
    let log3 = Rc::new(RefCell::new(vec![]));
    drop(guarded(log3.clone()));
    assert!(log3.borrow().is_empty());
}

#[derive(Clone, Debug, PartialEq, Default)]
struct Config {
    name: String,
    retries: u32,
    verbose: bool,
}

#[corio::coroutine(yield = Config)]
fn configs(base: Config) -> [u8; 4] {
    let arr = [0u8; 4];
    for r in 1..=2u32 {
        yield_!(Config {
            retries: r,
            ..base.clone()
        });
    }
    let c = Config {
        verbose: true,
        ..Default::default()
    };
    yield_!(c);
    let x = 3.7f64 as u8;
    let mut out = arr;
    out[x as usize] = b'z';
    out
}

#[test]
fn t_configs() {
    let base = Config {
        name: "n".into(),
        retries: 0,
        verbose: false,
    };
    let (ys, r) = drain(configs(base));
    assert_eq!(ys.len(), 3);
    assert_eq!(ys[1].retries, 2);
    assert_eq!(ys[1].name, "n");
    assert!(ys[2].verbose);
    assert_eq!(r, [0, 0, 0, b'z']);
}
