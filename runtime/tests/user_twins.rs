//! Ordinary async bodies, each written once and compiled twice by `twin!`: as a
//! `#[corio::coroutine] async fn` and as rustc's own `async fn` (the oracle). Both run on a
//! seeded corio loop against the same scripted inputs; outputs and the order of side effects
//! must be equal.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use corio::sync::{Queue, mpsc};
use corio::yield_now;

/// The trace both twins write to: what happened, in order.
type Trace = Rc<RefCell<Vec<String>>>;

fn t(trace: &Trace, what: impl Into<String>) {
    trace.borrow_mut().push(what.into());
}

/// An awaitable that logs when it is evaluated and when it completes, then yields once.
async fn val<T: std::fmt::Debug>(trace: Trace, v: T) -> T {
    t(&trace, format!("start {v:?}"));
    yield_now().await;
    t(&trace, format!("end {v:?}"));
    v
}

macro_rules! twin {
    ($co:ident, $plain:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        #[corio::coroutine]
        async fn $co($($arg: $ty),*) -> $ret $body
        async fn $plain($($arg: $ty),*) -> $ret $body
    };
}

/// Runs both twins on fresh loops with the same input and compares output and trace.
macro_rules! check {
    ($co:ident, $plain:ident, $($input:expr),*) => {{
        let (a, ta) = {
            let trace: Trace = Rc::default();
            let out = corio::run($co(trace.clone(), $($input.clone()),*));
            (out, trace.take())
        };
        let (b, tb) = {
            let trace: Trace = Rc::default();
            let out = corio::run($plain(trace.clone(), $($input.clone()),*));
            (out, trace.take())
        };
        assert_eq!(a, b, "output of {}", stringify!($co));
        assert_eq!(ta, tb, "trace of {}", stringify!($co));
        a
    }};
}

twin!(operands_co, operands_rs, (tr: Trace, k: i64) -> (i64, [i64; 2], i64, String) {
    let sum = val(tr.clone(), 1).await + val(tr.clone(), k).await * val(tr.clone(), 3).await;
    let arr = [val(tr.clone(), 10).await, val(tr.clone(), 20).await];
    let maxed = sum.max(val(tr.clone(), 7).await).min(val(tr.clone(), 100).await);
    let text = val(tr.clone(), " padded ".to_string()).await.trim().to_uppercase();
    (sum, arr, maxed, text)
});

#[test]
fn awaits_inside_operands_and_method_chains_evaluate_in_rusts_order() {
    assert_eq!(check!(operands_co, operands_rs, 5).0, 16);
    check!(operands_co, operands_rs, -5);
}

twin!(conditions_co, conditions_rs, (tr: Trace, items: Vec<i32>) -> Vec<String> {
    let q: Queue<i32> = Queue::new(0);
    for i in items {
        q.put_nowait(i).unwrap();
    }
    q.put_nowait(0).unwrap();
    let mut out = Vec::new();
    while q.get().await.inspect(|v| t(&tr, format!("got {v}"))).unwrap_or(0) != 0 {
        let n = q.len();
        if val(tr.clone(), n).await % 2 == 0 {
            out.push(format!("even {n}"));
        } else if let Some(x) = Some(val(tr.clone(), n * 10).await).filter(|x| *x > 10) {
            out.push(format!("big {x}"));
        } else {
            out.push(format!("odd {n}"));
        }
        match val(tr.clone(), n % 3).await {
            0 => out.push("m0".into()),
            r @ 1..=2 if n > 1 => out.push(format!("m{r}")),
            _ => {}
        }
    }
    out
});

#[test]
fn awaits_in_while_if_else_if_let_and_match_scrutinees() {
    check!(conditions_co, conditions_rs, vec![3, 1, 4, 1, 5]);
    check!(conditions_co, conditions_rs, vec![]);
}

twin!(exits_co, exits_rs, (tr: Trace, grid: Vec<Vec<i32>>) -> Result<i32, String> {
    let mut total = 0;
    let found = 'search: {
        for (r, row) in grid.into_iter().enumerate() {
            let mut c = 0;
            while let Some(&v) = row.get(c) {
                c += 1;
                let v = val(tr.clone(), v).await;
                if v < 0 {
                    return Err(format!("negative at {r}"));
                }
                if v == 0 {
                    continue;
                }
                if v > 50 {
                    break 'search Some((r, c));
                }
                total += v;
            }
        }
        None
    };
    let (r, c) = found.ok_or_else(|| format!("none over 50, total {total}"))?;
    Ok(total * 100 + (r * 10 + c) as i32)
});

#[test]
fn return_break_with_value_continue_and_question_mark_out_of_nested_loops() {
    assert_eq!(
        check!(exits_co, exits_rs, vec![vec![1, 0, 2], vec![3, 70, 4]]),
        Ok(612)
    );
    assert_eq!(
        check!(exits_co, exits_rs, vec![vec![1, 2], vec![3]]),
        Err("none over 50, total 6".to_string())
    );
    assert_eq!(
        check!(exits_co, exits_rs, vec![vec![1], vec![-3, 70]]),
        Err("negative at 1".to_string())
    );
}

#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Circle { r: u32 },
    Rect(u32, u32),
    Group(Vec<Shape>),
}

twin!(patterns_co, patterns_rs, (tr: Trace, shapes: Vec<Shape>) -> (u32, Vec<String>) {
    let mut stack: VecDeque<Shape> = shapes.into();
    let mut area = 0;
    let mut seen = Vec::new();
    while let Some(shape) = stack.pop_front() {
        match shape {
            Shape::Circle { r } if r > 10 => {
                seen.push("big circle".to_string());
                area += val(tr.clone(), 3 * r * r).await;
            }
            Shape::Circle { r: radius @ 0..=10 } => {
                area += val(tr.clone(), 3 * radius * radius).await;
                seen.push(format!("circle {radius}"));
            }
            Shape::Circle { .. } => unreachable!(),
            Shape::Rect(w, h) => {
                let (w, h) = (val(tr.clone(), w).await, h);
                area += w * h;
                seen.push(format!("rect {w}x{h}"));
            }
            Shape::Group(children) => {
                let [first, .., last] = children.as_slice() else {
                    seen.push(format!("small group of {}", children.len()));
                    for c in children.into_iter().rev() {
                        stack.push_front(c);
                    }
                    continue;
                };
                seen.push(format!("group {:?}..{:?}", first, last));
                yield_now().await;
                stack.extend(children);
            }
        }
    }
    (area, seen)
});

#[test]
fn patterns_with_guards_bindings_and_slices_around_awaits() {
    let shapes = vec![
        Shape::Circle { r: 2 },
        Shape::Group(vec![Shape::Rect(2, 3)]),
        Shape::Circle { r: 11 },
        Shape::Group(vec![
            Shape::Rect(1, 1),
            Shape::Circle { r: 1 },
            Shape::Group(vec![]),
        ]),
    ];
    check!(patterns_co, patterns_rs, shapes);
}

twin!(closures_co, closures_rs, (tr: Trace, words: Vec<String>) -> BTreeMap<usize, Vec<String>> {
    let min = 2;
    let keep = move |w: &String| w.len() >= min;
    let mut groups: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    // A closure kept across an await must own what it uses (`move`): README's rule.
    let mut calls = 0;
    let mut add = move |groups: &mut BTreeMap<usize, Vec<String>>, w: String| {
        calls += 1;
        groups.entry(w.len()).or_default().push(w);
        calls
    };
    let mut added = 0;
    for w in words {
        let w = val(tr.clone(), w).await;
        if keep(&w) {
            added = add(&mut groups, w);
        }
    }
    calls += added;
    let normalize = |s: &str| -> String { s.chars().rev().collect() };
    // `groups.values_mut()` would borrow a local across the await: own the entries instead.
    for (len, mut list) in std::mem::take(&mut groups) {
        list.sort();
        yield_now().await;
        groups.insert(len, list.iter().map(|s| normalize(s)).collect());
    }
    groups.insert(0, vec![calls.to_string()]);
    groups
});

#[test]
fn closures_fnmut_and_borrowed_arguments_across_awaits() {
    let words = ["a", "bb", "ccc", "dd", "e", "fff"]
        .map(String::from)
        .to_vec();
    check!(closures_co, closures_rs, words);
}

twin!(channels_co, channels_rs, (tr: Trace, n: u32) -> Vec<u32> {
    let (tx, rx) = mpsc::channel::<u32>(2);
    let producer = corio::spawn({
        let tr = tr.clone();
        async move {
            for i in 0..n {
                t(&tr, format!("send {i}"));
                if tx.send(i * i).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut got = Vec::new();
    loop {
        match rx.recv().await {
            Some(v) if v % 2 == 1 => {
                t(&tr, format!("odd {v}"));
                got.push(v);
            }
            Some(v) => {
                t(&tr, format!("even {v}"));
                if v > 30 {
                    break;
                }
            }
            None => break,
        }
    }
    drop(rx);
    producer.await.unwrap();
    got
});

#[test]
fn a_receive_loop_with_guards_and_an_early_break() {
    check!(channels_co, channels_rs, 10);
    check!(channels_co, channels_rs, 3);
}

/// A body that builds values with struct literals, tuples, arrays and ranges from awaits.
#[derive(Debug, PartialEq)]
struct Report {
    name: String,
    counts: [usize; 3],
    span: std::ops::Range<usize>,
    extra: Option<Box<Report>>,
}

twin!(literals_co, literals_rs, (tr: Trace, depth: usize) -> Report {
    let extra = if depth > 0 {
        let inner = Box::pin(literals_plain_helper(tr.clone(), depth - 1));
        Some(Box::new(inner.await))
    } else {
        None
    };
    Report {
        name: val(tr.clone(), format!("level {depth}")).await,
        counts: [val(tr.clone(), 1).await, depth, val(tr.clone(), 3).await],
        span: val(tr.clone(), depth).await..val(tr.clone(), depth + 5).await,
        extra,
    }
});

async fn literals_plain_helper(tr: Trace, depth: usize) -> Report {
    let extra = if depth > 0 {
        Some(Box::new(
            Box::pin(literals_plain_helper(tr.clone(), depth - 1)).await,
        ))
    } else {
        None
    };
    Report {
        name: val(tr.clone(), format!("level {depth}")).await,
        counts: [val(tr.clone(), 1).await, depth, val(tr.clone(), 3).await],
        span: val(tr.clone(), depth).await..val(tr.clone(), depth + 5).await,
        extra,
    }
}

#[test]
fn struct_array_and_range_literals_built_from_awaits() {
    check!(literals_co, literals_rs, 2);
}
