//! Generator bodies written once and compiled twice by `gen_twin!`: as a
//! `#[corio::coroutine(yield = T)]` generator and as a plain function whose `yield_!` pushes
//! to a list (the oracle). Yields and return value must be equal.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

use corio::{Coroutine, CoroutineState};

thread_local! {
    static YIELDED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The plain twin's `yield_!`: records the value (rendered) and goes on.
macro_rules! plain_yield {
    ($e:expr) => {
        YIELDED.with(|y| y.borrow_mut().push(format!("{:?}", $e)))
    };
}

macro_rules! gen_twin {
    ($co:ident, $plain:ident, yield = $y:ty, ($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        #[corio::coroutine(yield = $y)]
        fn $co($($arg: $ty),*) -> $ret $body

        fn $plain($($arg: $ty),*) -> $ret {
            macro_rules! yield_ {
                ($e:expr) => { plain_yield!($e) };
            }
            $body
        }
    };
}

fn run_co<G: Coroutine<Yield = Y>, Y: std::fmt::Debug>(mut g: G) -> (Vec<String>, G::Return) {
    let mut out = Vec::new();
    loop {
        match g.resume(()) {
            CoroutineState::Yielded(y) => out.push(format!("{y:?}")),
            CoroutineState::Complete(r) => return (out, r),
        }
    }
}

fn run_plain<R>(f: impl FnOnce() -> R) -> (Vec<String>, R) {
    YIELDED.with(|y| y.borrow_mut().clear());
    let r = f();
    (YIELDED.with(|y| y.take()), r)
}

macro_rules! same {
    ($co:ident, $plain:ident, $($input:expr),*) => {{
        let ours = run_co($co($($input.clone()),*));
        let theirs = run_plain(|| $plain($($input.clone()),*));
        assert_eq!(ours, theirs, "{}", stringify!($co));
        ours
    }};
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Num(i64),
    Neg(Box<Expr>),
    Add(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Var(String),
}

fn num(n: i64) -> Box<Expr> {
    Box::new(Expr::Num(n))
}

// Post-order evaluation with an explicit stack, yielding every intermediate value.
gen_twin!(eval_co, eval_plain, yield = (String, i64), (e: Expr, env: BTreeMap<String, i64>) -> Option<i64> {
    enum Work { Visit(Expr), Apply(char) }
    let mut work = vec![Work::Visit(e)];
    let mut values: Vec<i64> = Vec::new();
    while let Some(item) = work.pop() {
        match item {
            Work::Visit(Expr::Num(n)) => values.push(n),
            Work::Visit(Expr::Var(name)) => {
                let v = *env.get(&name)?;
                yield_!((name, v));
                values.push(v);
            }
            Work::Visit(Expr::Neg(inner)) => {
                work.push(Work::Apply('~'));
                work.push(Work::Visit(*inner));
            }
            Work::Visit(Expr::Add(a, b)) | Work::Visit(Expr::Mul(a, b)) if false => {
                drop((a, b));
            }
            Work::Visit(Expr::Add(a, b)) => {
                work.push(Work::Apply('+'));
                work.push(Work::Visit(*b));
                work.push(Work::Visit(*a));
            }
            Work::Visit(Expr::Mul(a, b)) => {
                work.push(Work::Apply('*'));
                work.push(Work::Visit(*b));
                work.push(Work::Visit(*a));
            }
            Work::Apply(op) => {
                let v = match op {
                    '~' => -values.pop()?,
                    _ => {
                        let b = values.pop()?;
                        let a = values.pop()?;
                        if op == '+' { a.checked_add(b)? } else { a.checked_mul(b)? }
                    }
                };
                yield_!((op.to_string(), v));
                values.push(v);
            }
        }
    }
    values.pop()
});

#[test]
fn an_expression_evaluator_with_an_explicit_stack() {
    let env: BTreeMap<String, i64> = [("x".to_string(), 4), ("y".to_string(), -2)].into();
    let e = Expr::Add(
        Box::new(Expr::Mul(num(3), Box::new(Expr::Var("x".into())))),
        Box::new(Expr::Neg(Box::new(Expr::Var("y".into())))),
    );
    assert_eq!(same!(eval_co, eval_plain, e, env).1, Some(14));
    let missing = Expr::Add(num(1), Box::new(Expr::Var("z".into())));
    assert_eq!(same!(eval_co, eval_plain, missing, env).1, None);
    let overflow = Expr::Mul(num(i64::MAX), num(2));
    assert_eq!(same!(eval_co, eval_plain, overflow, env).1, None);
}

// BFS over a grid with a queue, yielding the frontier as it grows; labelled continue out of a
// match inside a for.
gen_twin!(bfs_co, bfs_plain, yield = (usize, usize, u32), (grid: Vec<&'static str>) -> Option<u32> {
    let rows: Vec<Vec<u8>> = grid.iter().map(|r| r.bytes().collect()).collect();
    let h = rows.len();
    let w = rows.first().map_or(0, Vec::len);
    let start = rows.iter().enumerate().find_map(|(r, row)| {
        row.iter().position(|&c| c == b'S').map(|c| (r, c))
    })?;
    let mut seen = vec![vec![false; w]; h];
    let mut queue = VecDeque::from([(start.0, start.1, 0u32)]);
    seen[start.0][start.1] = true;
    'cells: while let Some((r, c, d)) = queue.pop_front() {
        yield_!((r, c, d));
        for (dr, dc) in [(0i32, 1i32), (1, 0), (0, -1), (-1, 0)] {
            let (nr, nc) = (r as i32 + dr, c as i32 + dc);
            if nr < 0 || nc < 0 || nr as usize >= h || nc as usize >= w {
                continue;
            }
            let (nr, nc) = (nr as usize, nc as usize);
            match rows[nr][nc] {
                b'#' => continue,
                b'E' => {
                    yield_!((nr, nc, d + 1));
                    return Some(d + 1);
                }
                b'!' => continue 'cells,
                _ if seen[nr][nc] => {}
                _ => {
                    seen[nr][nc] = true;
                    queue.push_back((nr, nc, d + 1));
                }
            }
        }
    }
    None
});

#[test]
fn a_breadth_first_search_with_labelled_continue() {
    let maze = vec!["S..#", ".#.#", "...E"];
    assert_eq!(same!(bfs_co, bfs_plain, maze).1, Some(5));
    let walled = vec!["S#", "#E"];
    assert_eq!(same!(bfs_co, bfs_plain, walled).1, None);
    let trap = vec!["S.!", "..E"];
    same!(bfs_co, bfs_plain, trap);
    assert_eq!(same!(bfs_co, bfs_plain, Vec::<&'static str>::new()).1, None);
}

// Word wrapping: a String built char by char, yields at line breaks, shadowing, a mutable
// reference argument that outlives the generator.
gen_twin!(wrap_co, wrap_plain, yield = String, (text: &'static str, width: usize) -> usize {
    let mut line = String::new();
    let mut lines = 0;
    for word in text.split_whitespace() {
        let word = if word.len() > width { &word[..width] } else { word };
        let needed = if line.is_empty() { word.len() } else { line.len() + 1 + word.len() };
        if needed > width {
            let full = std::mem::take(&mut line);
            yield_!(full);
            lines += 1;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        yield_!(line);
        lines += 1;
    }
    lines
});

#[test]
fn word_wrapping_matches_the_plain_function() {
    let text = "the quick brown fox jumps over the extraordinarily lazy dog";
    for width in [1, 4, 10, 80] {
        same!(wrap_co, wrap_plain, text, width);
    }
    assert_eq!(same!(wrap_co, wrap_plain, "", 5).1, 0);
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Stats {
    count: usize,
    sum: i64,
    max: Option<i64>,
}

// Items and consts inside the body, a local struct mutated field by field across yields,
// values of `if`/`match` that suspend, and a histogram array.
gen_twin!(stats_co, stats_plain, yield = i64, (data: &'static [i64]) -> (Stats, [u32; 4]) {
    const BUCKETS: usize = 4;
    fn bucket(v: i64) -> usize {
        (v.unsigned_abs() as usize).min(BUCKETS - 1)
    }
    let mut stats = Stats::default();
    let mut hist = [0u32; BUCKETS];
    let mut it = data.iter().copied();
    loop {
        let v = match it.next() {
            Some(v) if v == i64::MIN => continue,
            Some(v) => v,
            None => break,
        };
        let shown = if v < 0 {
            yield_!(v);
            -v
        } else {
            v
        };
        stats.count += 1;
        stats.sum += shown;
        stats.max = Some(match stats.max {
            Some(m) if m >= shown => m,
            _ => {
                yield_!(shown * 100);
                shown
            }
        });
        hist[bucket(v)] += 1;
    }
    (stats, hist)
});

#[test]
fn local_structs_consts_nested_fns_and_suspending_values() {
    let data: &'static [i64] = &[3, -1, i64::MIN, 7, 0, -9, 2];
    let (_, (stats, hist)) = same!(stats_co, stats_plain, data);
    assert_eq!(stats.count, 6);
    assert_eq!(hist, [1, 1, 1, 3]);
    same!(stats_co, stats_plain, &[] as &'static [i64]);
}

// A windowed moving average over an argument slice, with slice patterns on the argument and
// an early return from inside a match inside a loop.
gen_twin!(windows_co, windows_plain, yield = f64, (xs: &'static [f64], k: usize) -> Result<usize, String> {
    match xs {
        [] => return Err("empty".to_string()),
        [only] => {
            yield_!(*only);
            return Ok(1);
        }
        [first, .., last] if first > last => {
            yield_!(first - last);
        }
        _ => {}
    }
    if k == 0 {
        return Err("k = 0".into());
    }
    let mut emitted = 0;
    for i in 0..xs.len().saturating_sub(k - 1) {
        let window = &xs[i..i + k];
        let avg = window.iter().sum::<f64>() / k as f64;
        match avg.partial_cmp(&0.0) {
            None => return Err(format!("NaN at {i}")),
            Some(std::cmp::Ordering::Less) => continue,
            _ => {
                yield_!(avg);
                emitted += 1;
            }
        }
    }
    Ok(emitted)
});

#[test]
fn slice_patterns_and_early_returns_over_an_argument_slice() {
    let cases: [(&'static [f64], usize); 6] = [
        (&[], 2),
        (&[4.0], 2),
        (&[5.0, 1.0, -9.0, 2.0, 3.0], 2),
        (&[1.0, 2.0, 3.0], 0),
        (&[1.0, f64::NAN, 3.0], 2),
        (&[1.0, 2.0, 3.0, 4.0], 3),
    ];
    let ends: Vec<Result<usize, String>> = cases
        .iter()
        .map(|&(xs, k)| same!(windows_co, windows_plain, xs, k).1)
        .collect();
    assert_eq!(
        ends,
        [
            Err("empty".to_string()),
            Ok(1),
            Ok(2),
            Err("k = 0".to_string()),
            Err("NaN at 0".to_string()),
            Ok(2)
        ]
    );
}
