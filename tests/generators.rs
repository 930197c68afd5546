//! The language of `#[corio::coroutine]` generators: exact yields, resume results, return
//! values and drop events.

use corio::{Coroutine, CoroutineState};
use corio_tests::{Log, Noisy};

/// Drives a generator to the end: (yields, return value).
pub(crate) fn drain<G: Coroutine<Yield = Y, Return = R>, Y, R>(mut g: G) -> (Vec<Y>, R) {
    let mut ys = Vec::new();
    loop {
        match g.resume(()) {
            CoroutineState::Yielded(y) => ys.push(y),
            CoroutineState::Complete(r) => return (ys, r),
        }
    }
}

#[corio::coroutine(yield = u64)]
fn fib(limit: u64) -> &'static str {
    let (mut a, mut b) = (0, 1);
    while a < limit {
        yield_!(a);
        (a, b) = (b, a + b);
    }
    "done"
}

#[test]
fn fibonacci_with_destructuring_assignment() {
    assert_eq!(drain(fib(20)), (vec![0, 1, 1, 2, 3, 5, 8, 13], "done"));
}

struct Point {
    x: i32,
    y: i32,
}

#[corio::coroutine(yield = i32)]
fn patterns(p: Point, pair: (i32, i32)) -> i32 {
    let Point { x, y: why } = p;
    let (first, mut second) = pair;
    let typed: i32 = x * 10;
    yield_!(x + why);
    second += 1;
    let later;
    yield_!(first + second);
    later = typed + 1;
    let Some(v) = Some(later) else { return -1 };
    yield_!(v);
    v * 2
}

#[test]
fn let_patterns_type_ascription_deferred_init_and_let_else() {
    assert_eq!(
        drain(patterns(Point { x: 1, y: 2 }, (3, 4))),
        (vec![3, 8, 11], 22)
    );
}

#[corio::coroutine(yield = String)]
fn shadowing() {
    let x = 1;
    yield_!(format!("a{x}"));
    let x = x + 1;
    yield_!(format!("b{x}"));
    {
        let x = "inner";
        yield_!(format!("c{x}"));
        yield_!(format!("d{x}"));
    }
    yield_!(format!("e{}", x));
    let x = String::from("last");
    yield_!(x);
}

#[test]
fn shadowing_before_and_after_points_and_in_nested_blocks() {
    let (ys, ()) = drain(shadowing());
    assert_eq!(ys, ["a1", "b2", "cinner", "dinner", "e2", "last"]);
}

#[corio::coroutine(yield = i32)]
fn control_flow(n: i32) -> i32 {
    let mut total = 0;
    'outer: for i in 0..n {
        if i % 2 == 0 {
            yield_!(i);
        } else if i == 3 {
            continue 'outer;
        } else {
            yield_!(-i);
        }
        let mut j = 0;
        while j < i {
            j += 1;
            if j == 2 {
                continue;
            }
            total += j;
            if total > 20 {
                break 'outer;
            }
        }
        match i {
            0 => {}
            k if k > 4 => {
                yield_!(100 + k);
            }
            1 | 2 => yield_!(50),
            _ => {}
        }
    }
    total
}

#[test]
fn if_else_chains_loops_labels_match_guards_and_or_patterns() {
    // Reference: the same body as a plain function.
    fn reference(n: i32) -> (Vec<i32>, i32) {
        let mut ys = Vec::new();
        let mut total = 0;
        'outer: for i in 0..n {
            if i % 2 == 0 {
                ys.push(i);
            } else if i == 3 {
                continue 'outer;
            } else {
                ys.push(-i);
            }
            let mut j = 0;
            while j < i {
                j += 1;
                if j == 2 {
                    continue;
                }
                total += j;
                if total > 20 {
                    break 'outer;
                }
            }
            match i {
                0 => {}
                k if k > 4 => ys.push(100 + k),
                1 | 2 => ys.push(50),
                _ => {}
            }
        }
        (ys, total)
    }
    for n in 0..9 {
        assert_eq!(drain(control_flow(n)), reference(n), "n = {n}");
    }
}

#[corio::coroutine(yield = i32)]
fn values(flag: bool) -> i32 {
    let a = if flag {
        yield_!(1);
        10
    } else {
        20
    };
    let b = match a {
        0 => 0,
        _ => {
            yield_!(2);
            a * 2
        }
    };
    let c = loop {
        yield_!(3);
        break b + 1;
    };
    let d = 'blk: {
        if c > 10 {
            yield_!(4);
            break 'blk c;
        }
        0
    };
    let e = {
        yield_!(5);
        d
    } + 1;
    a + b + c + d + e
}

#[test]
fn if_match_loop_and_blocks_as_values() {
    let (ys, r) = drain(values(false));
    assert_eq!(ys, [2, 3, 4, 5]);
    // a = 20, b = 40, c = 41, d = 41, e = 42
    assert_eq!(r, 20 + 40 + 41 + 41 + 42);
}

#[corio::coroutine(yield = i64, resume = i64)]
fn running_total() -> i64 {
    let mut total = 0;
    loop {
        let x = yield_!(total);
        if x == 0 {
            return total;
        }
        total += x;
    }
}

#[test]
fn resume_arguments_first_discarded() {
    let mut g = running_total();
    assert_eq!(g.resume(99), CoroutineState::Yielded(0));
    assert_eq!(g.resume(5), CoroutineState::Yielded(5));
    assert_eq!(g.resume(7), CoroutineState::Yielded(12));
    assert_eq!(g.resume(0), CoroutineState::Complete(12));
}

#[corio::coroutine(yield = &'static str, resume = i32)]
fn expressions(v: Vec<i32>) -> Vec<i32> {
    fn add(a: i32, b: i32) -> i32 {
        a + b
    }
    let sum = add(yield_!("a"), yield_!("b"));
    let bin = yield_!("c") * 10 + yield_!("d");
    let neg = -yield_!("e");
    let cast = yield_!("f") as u8 as i32;
    let tuple = (yield_!("g"), 1);
    let arr = [yield_!("h"), yield_!("i")];
    let idx = v[(yield_!("j") as usize) % 3];
    let and = sum > 0 && yield_!("k") > 0;
    let or = sum > 0 || yield_!("never") > 0;
    let nested = yield_!(if yield_!("l") > 0 { "m" } else { "n" });
    let method = v
        .clone()
        .into_iter()
        .map(|x| x * 2)
        .nth((yield_!("o") as usize) % 3)
        .unwrap();
    vec![
        sum,
        bin,
        neg,
        cast,
        tuple.0 + tuple.1,
        arr[0] + arr[1],
        idx,
        and as i32,
        or as i32,
        nested,
        method,
    ]
}

#[test]
fn suspension_points_inside_expressions_in_rust_order() {
    let mut g = expressions(vec![10, 20, 30]);
    let mut seen = Vec::new();
    let mut next = 0;
    let r = loop {
        match g.resume(next) {
            CoroutineState::Yielded(tag) => {
                seen.push(tag);
                next = seen.len() as i32;
            }
            CoroutineState::Complete(r) => break r,
        }
    };
    assert_eq!(
        seen,
        [
            "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "o"
        ]
    );
    // Each yield evaluates to the next resume argument: a = 1, b = 2, c = 3, ...
    assert_eq!(
        r,
        vec![1 + 2, 3 * 10 + 4, -5, 6, 7 + 1, 8 + 9, 20, 1, 1, 13, 60]
    );
}

#[derive(Debug)]
struct Error(String);

impl From<std::num::ParseIntError> for Error {
    fn from(e: std::num::ParseIntError) -> Self {
        Error(e.to_string())
    }
}

#[corio::coroutine(yield = i32)]
fn parse_all(items: Vec<&'static str>) -> Result<i32, Error> {
    let mut sum = 0;
    for s in items {
        let n: i32 = s.parse()?;
        yield_!(n);
        sum += n;
    }
    Ok(sum)
}

#[corio::coroutine(yield = u8)]
fn first_even(items: Vec<u8>) -> Option<u8> {
    let first = *items.first()?;
    yield_!(first);
    let even = items.into_iter().find(|x| x % 2 == 0)?;
    Some(even)
}

#[test]
fn question_mark_on_result_with_from_and_on_option() {
    assert_eq!(drain(parse_all(vec!["1", "2"])).1.unwrap(), 3);
    let (ys, r) = drain(parse_all(vec!["1", "x", "3"]));
    assert_eq!(ys, [1]);
    assert_eq!(r.unwrap_err().0, "invalid digit found in string");
    assert_eq!(drain(first_even(vec![])), (vec![], None));
    assert_eq!(drain(first_even(vec![1, 3, 4])), (vec![1], Some(4)));
    assert_eq!(drain(first_even(vec![1, 3])), (vec![1], None));
}

#[corio::coroutine(yield = usize)]
fn tokens<'a>(text: &'a str) -> usize {
    let mut count = 0;
    for word in text.split_whitespace() {
        yield_!(word.len());
        count += 1;
    }
    count
}

#[corio::coroutine(yield = T)]
fn repeat<T: Clone + std::fmt::Debug>(value: T, times: usize) -> usize
where
    usize: Copy,
{
    for _ in 0..times {
        yield_!(value.clone());
    }
    times
}

#[corio::coroutine(yield = u32)]
fn doubled(items: impl IntoIterator<Item = u32>) {
    for x in items {
        yield_!(x * 2);
    }
}

#[test]
fn lifetimes_generics_and_impl_trait_arguments() {
    assert_eq!(drain(tokens("hello big world")), (vec![5, 3, 5], 3));
    assert_eq!(drain(repeat("x", 3)), (vec!["x"; 3], 3));
    assert_eq!(doubled(vec![1, 2, 3]).collect::<Vec<_>>(), [2, 4, 6]);
}

#[corio::coroutine(yield = String)]
fn closures_and_macros(prefix: String) {
    let add = move |s: &str| format!("{prefix}{s}");
    yield_!(add("a"));
    let v = vec![1, 2, 3];
    yield_!(format!("{:?}", v));
    assert!(v.len() == 3, "len {}", v.len());
    let mut out = String::new();
    use std::fmt::Write;
    write!(out, "{}-{}", add(""), v[0]).unwrap();
    yield_!(out);
    if matches!(v.as_slice(), [1, ..]) {
        yield_!(add("m"));
    }
    struct Local(u8);
    const K: u8 = 7;
    yield_!(Local(K).0.to_string());
}

#[test]
fn closures_macros_and_nested_items() {
    let ys: Vec<String> = closures_and_macros("p".into()).collect();
    assert_eq!(ys, ["pa", "[1, 2, 3]", "p-1", "pm", "7"]);
}

struct Counter {
    step: u32,
}

impl Counter {
    #[corio::coroutine(yield = u32)]
    fn by_ref(&self, n: u32) {
        for i in 0..n {
            yield_!(i * self.step);
        }
    }

    #[corio::coroutine(yield = u32)]
    fn by_mut(&mut self) {
        self.step += 1;
        yield_!(self.step);
        self.step += 1;
        yield_!(self.step);
    }

    #[corio::coroutine(yield = u32)]
    fn by_value(self) -> u32 {
        yield_!(self.step);
        self.step
    }
}

#[test]
fn methods_take_self_by_ref_mut_and_value() {
    let mut c = Counter { step: 3 };
    assert_eq!(c.by_ref(3).collect::<Vec<_>>(), [0, 3, 6]);
    assert_eq!(c.by_mut().collect::<Vec<_>>(), [4, 5]);
    assert_eq!(c.step, 5);
    assert_eq!(drain(c.by_value()), (vec![5], 5));
}

#[corio::coroutine(yield = u32)]
fn drops(log: Log) {
    let a = log.noisy("a");
    let b = log.noisy("b");
    yield_!(1);
    drop(a);
    yield_!(2);
    let _c = log.noisy("c");
    yield_!(3);
    let _ = &b;
    yield_!(4);
}

#[test]
fn dropping_a_suspended_generator_drops_live_locals_once_in_reverse_order() {
    for k in 0..=5 {
        let log = Log::new();
        let mut g = drops(log.clone());
        for _ in 0..k {
            g.resume(());
        }
        log.push("dropping");
        drop(g);
        let events = log.events();
        let after: Vec<_> = events
            .iter()
            .skip_while(|e| *e != "dropping")
            .skip(1)
            .cloned()
            .collect();
        let expected: &[&str] = match k {
            0 => &[],
            1 => &["drop b", "drop a"],
            2 => &["drop b"],
            3 => &["drop c", "drop b"],
            4 => &["drop c"],
            _ => &[],
        };
        assert_eq!(after, expected, "after {k} resumes: {events:?}");
        let mut all: Vec<_> = events.iter().filter(|e| e.starts_with("drop ")).collect();
        all.sort();
        all.dedup();
        assert_eq!(
            all.len(),
            events.iter().filter(|e| e.starts_with("drop ")).count(),
            "dropped twice: {events:?}"
        );
    }
}

#[corio::coroutine(yield = u32)]
fn guard_kept(log: Log) {
    let _guard = log.noisy("guard");
    yield_!(1);
    yield_!(2);
    log.push("end of body");
}

#[corio::coroutine(yield = u32)]
fn moved_before_point(log: Log) {
    let s = log.noisy("s");
    let t = s;
    drop(t);
    yield_!(1);
}

#[test]
fn underscore_guard_lives_to_end_of_scope_and_moved_values_are_not_saved() {
    let log = Log::new();
    let mut g = guard_kept(log.clone());
    g.resume(());
    g.resume(());
    assert!(log.events().is_empty());
    g.resume(());
    assert_eq!(log.events(), ["end of body", "drop guard"]);
    let log = Log::new();
    assert_eq!(moved_before_point(log.clone()).collect::<Vec<_>>(), [1]);
    assert_eq!(log.events(), ["drop s"]);
}

#[allow(dead_code)]
fn _noisy_is_used(n: Noisy) -> Noisy {
    n
}

#[corio::coroutine(yield = i32)]
fn let_chains_and_while_let(items: Vec<Option<i32>>) -> i32 {
    let mut it = items.into_iter();
    let mut seen = 0;
    while let Some(item) = it.next() {
        if let Some(x) = item
            && x > 0
        {
            yield_!(x);
            seen += 1;
        } else if let Some(y) = item {
            yield_!(y * 100);
        } else {
            continue;
        }
    }
    seen
}

#[test]
fn let_chains_if_let_and_while_let() {
    assert_eq!(
        drain(let_chains_and_while_let(vec![
            Some(1),
            None,
            Some(-2),
            Some(3)
        ])),
        (vec![1, -200, 3], 2)
    );
}

#[corio::coroutine(yield = u32)]
fn breaks_from_plain_loops(rows: Vec<Vec<u32>>) -> u32 {
    let mut found = 0;
    'rows: for row in rows {
        yield_!(row.len() as u32);
        // A loop without a suspension point, leaving the outer (suspending) loop.
        for x in row.clone() {
            if x == 0 {
                continue 'rows;
            }
            if x == 99 {
                break 'rows;
            }
            found += x;
        }
    }
    let total = loop {
        if found > 0 {
            yield_!(found);
            break found * 2;
        }
        break 0;
    };
    total
}

#[test]
fn continue_and_break_to_suspending_loops_from_plain_ones() {
    assert_eq!(
        drain(breaks_from_plain_loops(vec![
            vec![1, 2],
            vec![0, 5],
            vec![3, 99, 7],
            vec![4]
        ])),
        (vec![2, 2, 3, 6], 12)
    );
}

/// The byte spans' shape: every resume enters one loop and the yield is the last thing in its
/// body, so the step runs `Start`'s code (up to the loop) in a cold call and has one copy of
/// the loop (`layout::shared_followers`). Drops and a panic before the loop must be as in
/// the plain function.
#[corio::coroutine(yield = usize)]
fn one_loop_copy(log: Log, n: usize, fail: bool) {
    let _first = log.noisy("first");
    let _second = log.noisy("second");
    assert!(!fail, "before the loop");
    let mut i = 0;
    while i < n {
        i += 1;
        if i % 2 == 1 {
            yield_!(i);
        }
    }
}

#[test]
fn one_loop_copy_keeps_values_drop_order_and_panics() {
    let log = Log::new();
    assert_eq!(
        drain(one_loop_copy(log.clone(), 6, false)),
        (vec![1, 3, 5], ())
    );
    assert_eq!(log.events(), ["drop second", "drop first"]);

    for k in 0..=2 {
        let log = Log::new();
        let mut g = one_loop_copy(log.clone(), 6, false);
        for _ in 0..k {
            g.resume(());
        }
        log.push("dropping");
        drop(g);
        let expected: &[&str] = if k == 0 {
            &["dropping"]
        } else {
            &["dropping", "drop second", "drop first"]
        };
        assert_eq!(log.events(), expected, "after {k} resumes");
    }

    let log = Log::new();
    let mut g = one_loop_copy(log.clone(), 6, true);
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(())));
    assert!(unwound.is_err());
    assert_eq!(log.events(), ["drop second", "drop first"]);
    assert!(
        g.try_resume(()).is_err(),
        "a generator that panicked is closed"
    );
}
