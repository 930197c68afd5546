//! Ordinary Rust that rustc accepts, as a new user writes it (issue 15): each body is compiled
//! twice by `twin!`, as a `#[corio::coroutine]` and as a plain function in which `yield_!(v)`
//! records `v`, and both runs must give the same yields, the same return value (or the same
//! panic message) and the same events.

use std::cell::RefCell;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use corio::{Coroutine, CoroutineState};

thread_local! {
    static TRACE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// An event of either form: a yield, or something the body logs.
fn trace(event: impl Debug) {
    TRACE.with(|t| t.borrow_mut().push(format!("{event:?}")));
}

fn take_trace() -> Vec<String> {
    TRACE.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<panic>".into())
}

/// Runs `f` and returns its events and its result (`Err(message)` when it panicked).
fn outcome<R: Debug>(f: impl FnOnce() -> R) -> (Vec<String>, Result<String, String>) {
    take_trace();
    let r = catch_unwind(AssertUnwindSafe(f))
        .map(|r| format!("{r:?}"))
        .map_err(panic_message);
    (take_trace(), r)
}

/// Drives a generator to the end, tracing its yields.
fn drain<G: Coroutine<Yield = Y, Return = R>, Y: Debug, R>(mut g: G) -> R {
    loop {
        match g.resume(()) {
            CoroutineState::Yielded(y) => trace(("yield", y)),
            CoroutineState::Complete(r) => return r,
        }
    }
}

/// A twin's result as the tests compare it (`Ok(Debug)` or `Err(panic message)`).
fn shown(r: &Result<String, String>) -> String {
    format!("{r:?}")
}

/// The plain form's `yield_!`.
fn plain_yield<Y: Debug>(y: Y) {
    trace(("yield", y));
}

/// `twin! { yield = Y; fn name[generics](params) -> Ret { body } }`: the body as a generator
/// (`name::coro`) and as a plain fn (`name::plain::run`).
macro_rules! twin {
    (
        yield = $y:ty;
        fn $name:ident [$($gen:tt)*] ($($params:tt)*) -> $ret:ty $body:block
    ) => {
        #[allow(unused, unreachable_code, clippy::all)]
        mod $name {
            use super::*;
            use corio::yield_;
            #[corio::coroutine(yield = $y)]
            pub(super) fn coro<$($gen)*>($($params)*) -> $ret $body
            pub(super) mod plain {
                use super::super::*;
                macro_rules! yield_ {
                    ($e:expr) => {
                        plain_yield($e)
                    };
                }
                pub(crate) fn run<$($gen)*>($($params)*) -> $ret $body
            }
        }
    };
    (
        async fn $name:ident [$($gen:tt)*] ($($params:tt)*) -> $ret:ty $body:block
    ) => {
        #[allow(unused, unreachable_code, clippy::all)]
        mod $name {
            use super::*;
            #[corio::coroutine]
            pub(super) async fn coro<$($gen)*>($($params)*) -> $ret $body
            pub(super) mod plain {
                use super::super::*;
                pub(crate) async fn run<$($gen)*>($($params)*) -> $ret $body
            }
        }
    };
}

/// Both forms of generator twin `$name` on the same arguments must agree.
macro_rules! same {
    ($name:ident ($($arg:expr),*)) => {{
        let coro = outcome(|| drain($name::coro($($arg),*)));
        let plain = outcome(|| $name::plain::run($($arg),*));
        assert_eq!(coro, plain, "{} on {}", stringify!($name), stringify!($($arg),*));
        shown(&coro.1)
    }};
}

/// Both forms of async twin `$name`, run on corio's loop, must agree.
macro_rules! same_async {
    ($name:ident ($($arg:expr),*)) => {{
        let coro = outcome(|| corio::run($name::coro($($arg),*)));
        let plain = outcome(|| corio::run($name::plain::run($($arg),*)));
        assert_eq!(coro, plain, "{} on {}", stringify!($name), stringify!($($arg),*));
        shown(&coro.1)
    }};
}

// 1. A `match` the pass rewrites (an arm suspends) whose other arms are bare expressions: a
// method call, a compound assignment, an assignment and `panic!`. The arm's expression was
// emitted in front of the transition's block ("expected one of `.`, `;` … found `{`").
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cmd {
    Push(i64),
    Add,
    Print,
    Fail,
}

fn make(v: i64) -> i64 {
    v * 10
}

twin! {
    yield = i64;
    fn match_arms_that_are_bare_expressions[](cmds: Vec<Cmd>) -> i64 {
        let mut stack = Vec::new();
        let mut total = 0;
        let mut x = 0;
        for c in cmds {
            match c {
                Cmd::Push(v) => stack.push(v),
                Cmd::Add => total += stack.pop().unwrap_or(0),
                Cmd::Print => yield_!(*stack.last().unwrap_or(&-1)),
                Cmd::Fail => panic!("failed at {total}"),
            }
            match stack.last().copied() {
                Some(v) if v > 100 => x = make(v),
                Some(v) => yield_!(v),
                None => trace("empty"),
            }
        }
        total + x
    }
}

#[test]
fn match_arms_that_are_bare_expressions() {
    use Cmd::*;
    let r = same!(match_arms_that_are_bare_expressions(vec![
        Push(1),
        Print,
        Push(200),
        Add,
        Push(3),
        Print,
        Add
    ]));
    assert_eq!(r, r#"Ok("2203")"#);
    let r = same!(match_arms_that_are_bare_expressions(vec![
        Push(5),
        Print,
        Fail
    ]));
    assert_eq!(r, r#"Err("failed at 0")"#);
}

// The same in an `async fn`, where `Complete(()) => panic!(…)` stood next to an await.
twin! {
    async fn async_match_arms_that_are_bare_expressions[](n: i64) -> i64 {
        let mut total = 0;
        match n {
            0 => panic!("zero"),
            1 => total += 1,
            n => total = std::future::ready(n).await,
        }
        total
    }
}

#[test]
fn async_match_arms_that_are_bare_expressions() {
    for n in [0, 1, 7] {
        same_async!(async_match_arms_that_are_bare_expressions(n));
    }
}

// 2. Deferred initialisation across a suspension point, assigned in both branches of an `if`
// (or all arms of a `match`) after it: the declarations were dropped (E0425).
twin! {
    yield = u32;
    fn deferred_init_across_a_point[](p: u32) -> u32 {
        let x: u32;
        let y;
        let z;
        yield_!(1);
        if p > 2 {
            x = 1;
            y = 2;
        } else {
            x = 3;
            y = 4;
        }
        match p {
            0 => z = 10,
            1 => {
                z = 20;
            }
            _ => {
                trace("other");
                z = p;
            }
        }
        x + y + z
    }
}

#[test]
fn deferred_init_across_a_point() {
    for p in [0, 1, 3] {
        same!(deferred_init_across_a_point(p));
    }
}

// 3. The last statement diverges after a suspension point: the body's type is `!`, and the
// expansion returned `()` from the end of it (E0308).
twin! {
    yield = u32;
    fn last_statement_panics[](p: u32) -> u32 {
        yield_!(p);
        panic!("boom {p}");
    }
}

twin! {
    yield = u32;
    fn last_statement_is_unreachable[](p: u32) -> u32 {
        if p > 0 {
            yield_!(p);
            return p;
        }
        yield_!(0);
        unreachable!();
    }
}

twin! {
    yield = u32;
    fn last_statement_is_a_loop_without_break[](p: u32) -> u32 {
        yield_!(p);
        let mut i = 0;
        loop {
            i += 1;
            if i == p {
                return i * 2;
            }
        };
    }
}

twin! {
    yield = u32;
    fn last_statement_is_a_suspending_loop[](p: u32) -> u32 {
        let mut i = 0;
        loop {
            yield_!(i);
            i += 1;
            if i == p {
                return i;
            }
        };
    }
}

twin! {
    yield = u32;
    fn last_statement_is_return[](p: u32) -> u32 {
        yield_!(p);
        return p + 1;
    }
}

fn fail(p: u32) -> ! {
    panic!("fail {p}")
}

twin! {
    yield = u32;
    fn last_statement_calls_a_diverging_fn[](p: u32) -> u32 {
        yield_!(p);
        fail(p);
    }
}

twin! {
    yield = u32;
    fn branch_value_ends_in_a_panic[](p: u32) -> u32 {
        let v = if p > 1 {
            yield_!(p);
            p
        } else {
            yield_!(0);
            panic!("small {p}");
        };
        v + 1
    }
}

#[test]
fn last_statement_diverges() {
    same!(last_statement_panics(4));
    same!(last_statement_is_unreachable(0));
    same!(last_statement_is_unreachable(2));
    same!(last_statement_is_a_loop_without_break(3));
    same!(last_statement_is_a_suspending_loop(3));
    same!(last_statement_is_return(3));
    same!(last_statement_calls_a_diverging_fn(3));
    same!(branch_value_ends_in_a_panic(0));
    same!(branch_value_ends_in_a_panic(5));
}

twin! {
    async fn async_last_statement_panics[](p: u32) -> u32 {
        corio::yield_now().await;
        panic!("async boom {p}");
    }
}

#[test]
fn async_last_statement_diverges() {
    same_async!(async_last_statement_panics(1));
}

// `std::process::exit` as the last statement: compiled (in both forms), not run.
#[allow(dead_code)]
#[corio::coroutine(yield = u32)]
fn last_statement_exits(p: u32) -> u32 {
    corio::yield_!(p);
    std::process::exit(3);
}

// `pending().await; panic!(…)`: compiled, and pending forever.
#[allow(dead_code)]
#[corio::coroutine]
async fn pending_then_panic() -> u32 {
    std::future::pending::<()>().await;
    panic!("never");
}

// 4. Generic parameters without an `Unpin` bound: the wrapper is `Unpin` whatever the frame
// holds (E0277 "`T` cannot be unpinned").
twin! {
    async fn generic_without_unpin[T](d: std::time::Duration, v: T) -> T {
        corio::sleep(d).await;
        v
    }
}

twin! {
    yield = T;
    fn generic_generator_without_unpin[T: Clone + Debug](v: T, n: usize) -> Vec<T> {
        let mut out = Vec::new();
        for _ in 0..n {
            yield_!(v.clone());
            out.push(v.clone());
        }
        out
    }
}

#[test]
fn generics_without_unpin() {
    use std::marker::PhantomPinned;
    #[derive(Debug)]
    #[allow(dead_code, reason = "shown by Debug")]
    struct Pinned(u8, PhantomPinned);
    let r = same_async!(generic_without_unpin(
        std::time::Duration::from_millis(1),
        Pinned(7, PhantomPinned)
    ));
    assert_eq!(r, r#"Ok("Pinned(7, PhantomPinned)")"#);
    same!(generic_generator_without_unpin(String::from("a"), 2));
    // The generic async fn's future is `Unpin` even for a `!Unpin` value.
    fn unpin<F: Unpin>(_: &F) {}
    let f = generic_without_unpin::coro(std::time::Duration::ZERO, Pinned(1, PhantomPinned));
    unpin(&f);
}

// 5. `let … else` whose `else` suspends.
twin! {
    yield = i64;
    fn let_else_that_suspends[](v: Option<i64>, w: Result<(i64, i64), String>) -> i64 {
        let Some(mut x) = v else {
            yield_!(-1);
            return 0;
        };
        x += 1;
        yield_!(x);
        let Ok((a, b)): Result<(i64, i64), String> = w else {
            trace("not ok");
            yield_!(-2);
            panic!("no pair");
        };
        x + a + b
    }
}

#[test]
fn let_else_that_suspends() {
    same!(let_else_that_suspends(None, Ok((1, 2))));
    same!(let_else_that_suspends(Some(3), Ok((1, 2))));
    same!(let_else_that_suspends(Some(3), Err("e".into())));
}

// 6. A labelled block that suspends, whose type comes only from `break 'found Some(..)` and a
// `None` tail, and is used only by a method call: the code after the block was copied into the
// arm that assigns `None`, where nothing said what `Option<_>` holds (E0282).
twin! {
    yield = i64;
    fn labelled_block_typed_by_its_breaks[](v: Vec<i64>) -> bool {
        let found = 'found: {
            for x in v {
                if x > 3 {
                    break 'found Some(x);
                }
            }
            yield_!(0);
            None
        };
        found.is_some()
    }
}

twin! {
    yield = i64;
    fn labelled_block_with_a_suspending_break[](p: i64) -> bool {
        let found = 'found: {
            if p > 3 {
                yield_!(p);
                break 'found Some(p);
            }
            None
        };
        found.is_some()
    }
}

twin! {
    yield = i64;
    fn labelled_block_in_a_loop[](v: Vec<i64>) -> usize {
        let found = 'found: {
            for x in v {
                yield_!(x);
                if x > 3 {
                    break 'found Some(x);
                }
            }
            None
        };
        let twice = match 'again: {
            yield_!(1);
            if found.is_some() {
                break 'again Ok(2);
            }
            Err(())
        } {
            Ok(n) => n,
            Err(_) => 0,
        };
        twice + usize::from(found.is_some())
    }
}

twin! {
    async fn async_labelled_block_typed_by_its_breaks[](v: Vec<i64>) -> bool {
        let found = 'found: {
            for x in v {
                std::future::ready(()).await;
                if x > 3 {
                    break 'found Some(x);
                }
            }
            None
        };
        found.is_some()
    }
}

#[test]
fn labelled_block_typed_by_its_breaks() {
    for v in [vec![1, 5, 2], vec![1, 2]] {
        same!(labelled_block_typed_by_its_breaks(v.clone()));
        same!(labelled_block_in_a_loop(v.clone()));
        same_async!(async_labelled_block_typed_by_its_breaks(v.clone()));
    }
    same!(labelled_block_with_a_suspending_break(1));
    same!(labelled_block_with_a_suspending_break(5));
}

// 7. A borrow that ends before the suspension point: `key(&item)` returns an owned value, and
// was rejected as "`k` borrows the local `item`".
fn key(s: &str) -> usize {
    s.len()
}

#[derive(Debug)]
pub(crate) struct Bag(Vec<u8>);

impl Bag {
    /// A method called `iter` that returns an owned value.
    fn iter(&self) -> Vec<u8> {
        self.0.clone()
    }
}

twin! {
    yield = usize;
    fn borrow_that_ends_before_the_point[](item: String, bag: Bag) -> usize {
        let k = key(&item);
        yield_!(k);
        let owned: Bag = bag;
        let copy = owned.iter();
        yield_!(copy.len());
        k + item.len() + copy.len() + owned.0.len()
    }
}

#[test]
fn borrow_that_ends_before_the_point() {
    same!(borrow_that_ends_before_the_point(
        "abc".into(),
        Bag(vec![1, 2])
    ));
}
