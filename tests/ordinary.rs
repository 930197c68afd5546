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
pub(crate) fn trace(event: impl Debug) {
    TRACE.with(|t| t.borrow_mut().push(format!("{event:?}")));
}

pub(crate) fn take_trace() -> Vec<String> {
    TRACE.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<panic>".into())
}

/// Runs `f` and returns its events and its result (`Err(message)` when it panicked).
pub(crate) fn outcome<R: Debug>(f: impl FnOnce() -> R) -> (Vec<String>, Result<String, String>) {
    take_trace();
    let r = catch_unwind(AssertUnwindSafe(f))
        .map(|r| format!("{r:?}"))
        .map_err(panic_message);
    (take_trace(), r)
}

/// Drives a generator to the end, tracing its yields.
pub(crate) fn drain<G: Coroutine<Yield = Y, Return = R>, Y: Debug, R>(mut g: G) -> R {
    loop {
        match g.resume(()) {
            CoroutineState::Yielded(y) => trace(("yield", y)),
            CoroutineState::Complete(r) => return r,
        }
    }
}

/// A twin's result as the tests compare it (`Ok(Debug)` or `Err(panic message)`).
pub(crate) fn shown(r: &Result<String, String>) -> String {
    format!("{r:?}")
}

/// The plain form's `yield_!`.
pub(crate) fn plain_yield<Y: Debug>(y: Y) {
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

// Findings of the compile corpus and the program generator (/work/notes/pass-findings.md).

// F1: a bare-expression arm next to an arm that suspends, in a loop of an `async fn`.
async fn part(n: u8) -> std::io::Result<u8> {
    if n == 0 {
        Err(std::io::Error::other("zero"))
    } else {
        Ok(n)
    }
}

twin! {
    async fn match_in_a_loop_with_an_expression_arm[](xs: Vec<u8>, x: u8) -> std::io::Result<u8> {
        let mut parts = Vec::new();
        let mut i = 0;
        loop {
            match part(xs[i]).await {
                Ok(p) => parts.push(p),
                Err(_) => {
                    let r = part(xs[i + 1]).await?;
                    return Ok(r + x + parts.len() as u8);
                }
            }
            i += 1;
        }
    }
}

#[test]
fn match_in_a_loop_with_an_expression_arm() {
    same_async!(match_in_a_loop_with_an_expression_arm(vec![1, 2, 0, 4], 10));
    same_async!(match_in_a_loop_with_an_expression_arm(vec![1, 0, 0], 10));
}

// F2: suspension points inside `unsafe { … }`, as a statement, a value and an operand. Each
// piece of user code between the points is wrapped in `unsafe` again.
twin! {
    yield = u8;
    fn suspension_inside_unsafe[](v: Vec<u8>) -> u8 {
        let p = v.as_ptr();
        let mut out = Vec::new();
        unsafe {
            yield_!(*p);
            let second = *p.add(1);
            yield_!(second);
            out.push(*v.get_unchecked({ yield_!(0); 1 }));
        }
        let first = unsafe {
            yield_!(*v.get_unchecked(2));
            *p
        };
        out.push(first);
        let last = unsafe { *p.add(v.len() - 1) } + unsafe { yield_!(1); *p.add(1) };
        out.push(last);
        if unsafe { yield_!(2); *p > 0 } {
            out.push(unsafe { *p.add(2) });
        }
        // `p` points into `v`'s buffer: `v` must stay alive (a coroutine drops a binding at
        // the first suspension point after its last use).
        drop(v);
        out.iter().sum()
    }
}

#[test]
fn suspension_inside_unsafe() {
    same!(suspension_inside_unsafe(vec![3, 5, 7]));
}

// F4: a function returning `!`.
twin! {
    yield = ();
    fn returns_never[](msg: &'static str) -> ! {
        yield_!(());
        panic!("{msg}")
    }
}

#[test]
fn returns_never() {
    let coro = outcome(|| drain(returns_never::coro("never returns")));
    let plain = outcome(|| {
        returns_never::plain::run("never returns");
    });
    assert_eq!(coro.0, plain.0);
    assert_eq!(coro.1, Err("never returns".into()));
    assert_eq!(plain.1, Err("never returns".into()));
}

// F6: an attribute on a block's value after a suspension point.
twin! {
    yield = ();
    fn attribute_on_a_tail[](big: bool) -> usize {
        if { yield_!(()); big } {
            1
        } else {
            yield_!(());
            #[allow(clippy::legacy_numeric_constants)]
            usize::MAX
        }
    }
}

#[test]
fn attribute_on_a_tail() {
    same!(attribute_on_a_tail(true));
    same!(attribute_on_a_tail(false));
}

// F9 (tooltasks): only the scrutinee suspends; the arms are a compound assignment and `break`.
twin! {
    async fn scrutinee_suspends_with_expression_arms[](x: Vec<Option<u32>>) -> u32 {
        let mut total = 0;
        let mut i = 0;
        loop {
            match std::future::ready(x[i]).await {
                Some(n) => total += n,
                None => break,
            }
            i += 1;
        }
        total
    }
}

#[test]
fn scrutinee_suspends_with_expression_arms() {
    same_async!(scrutinee_suspends_with_expression_arms(vec![
        Some(1),
        Some(2),
        None
    ]));
}

// F9 (gen): a shorthand field pattern whose binding the pass renames (it is shadowed after a
// suspension point) names its field: `Pt { x: 0, y: __corio_y_2 }`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pt {
    pub(crate) x: i64,
    pub(crate) y: i64,
}

twin! {
    yield = i64;
    fn renamed_shorthand_field_pattern[](p: i64) -> i64 {
        match (Pt { x: 0, y: p }) {
            Pt { x: 0, y } => {
                loop {
                    yield_!(y);
                    let y = (p, p);
                    trace(y);
                    break;
                }
                let q = Pt { x: 1, y };
                q.y + y
            }
            _ => 0,
        }
    }
}

#[test]
fn renamed_shorthand_field_pattern() {
    same!(renamed_shorthand_field_pattern(4));
}

// F10 (gen): an `if` operand whose one branch diverges after a suspension point.
twin! {
    yield = i64;
    fn operand_if_with_a_diverging_branch[](p: i64) -> Result<i64, i64> {
        let a = 3 ^ (if p > 0 { return Ok({ yield_!(p); p + 1 }) } else { yield_!(4); 5 });
        Ok(a)
    }
}

#[test]
fn operand_if_with_a_diverging_branch() {
    same!(operand_if_with_a_diverging_branch(1));
    same!(operand_if_with_a_diverging_branch(-1));
}

// F11 (gen): a bare-expression arm in a rewritten `match` inside a labelled block.
twin! {
    yield = i64;
    fn expression_arm_in_a_labelled_block[](p: i64) -> i64 {
        let mut x = 0;
        'b1: {
            match p {
                0 => {
                    yield_!(1);
                }
                _ => x = p,
            }
            if x > 10 {
                break 'b1;
            }
            x += 1;
        }
        x
    }
}

#[test]
fn expression_arm_in_a_labelled_block() {
    for p in [0, 3, 20] {
        same!(expression_arm_in_a_labelled_block(p));
    }
}

// F9 (corpus): `break` inside the arguments of a macro that writes its own loop.
macro_rules! my_loop {
    ($body:block) => {
        loop $body
    };
}

twin! {
    yield = ();
    fn break_inside_a_looping_macro[](n: u32) -> u32 {
        let mut n = n;
        yield_!(());
        my_loop!({
            n += 1;
            if n > 3 {
                break;
            }
        });
        n
    }
}

#[test]
fn break_inside_a_looping_macro() {
    same!(break_inside_a_looping_macro(0));
}

// F13 (corpus): a `#[cfg]` arm that does not suspend, in a `match` the pass rewrites.
#[derive(Debug)]
pub(crate) enum Either {
    A(u32),
    #[cfg(any())]
    B,
}

twin! {
    yield = ();
    fn cfg_arm_that_does_not_suspend[](e: Either) -> u32 {
        match e {
            Either::A(x) => {
                yield_!(());
                x
            }
            #[cfg(any())]
            Either::B => unreachable!(),
        }
    }
}

#[test]
fn cfg_arm_that_does_not_suspend() {
    same!(cfg_arm_that_does_not_suspend(Either::A(3)));
}

// F11 (corpus): a lifetime that only the return type relates to a type parameter; the plain
// fn gets `K: 'a` from its signature, the coroutine from a written-out bound.
pub(crate) struct Slice<K> {
    k: [K],
}

impl<K> Slice<K> {
    fn from_slice(_: &[K]) -> &Self {
        unimplemented!()
    }

    #[allow(dead_code)]
    #[corio::coroutine(yield = ())]
    fn empty<'a>() -> &'a Self {
        corio::yield_!(());
        Self::from_slice(&[])
    }

    fn first_len(&self) -> usize {
        self.k.len()
    }
}

// A method returning `&'a T` of a generic `T`, run.
pub(crate) struct Holder<T>(Vec<T>);

impl<T: Debug> Holder<T> {
    #[corio::coroutine(yield = usize)]
    fn last<'a>(&'a self) -> Option<&'a T> {
        corio::yield_!(self.0.len());
        self.0.last()
    }
}

#[test]
fn return_type_implied_bounds() {
    let h = Holder(vec![1, 2]);
    assert_eq!(outcome(|| drain(h.last())).1, Ok("Some(2)".into()));
    let _ = Slice::<u8>::first_len;
}

// F14 (corpus): a value that suspends and needs a coercion to the declared type: returned
// (`return { …; Some(&[]) }`), as the body's value, and bound by a typed `let`.
twin! {
    yield = ();
    fn coercion_to_the_declared_type[](n: usize) -> Option<&'static [u8]> {
        if n == 0 {
            return {
                yield_!(());
                Some(&[])
            };
        }
        let v: &[u8] = if n == 1 {
            yield_!(());
            &[1, 2]
        } else {
            &[3]
        };
        let w: Option<&[u8]> = 'w: {
            if n == 2 {
                yield_!(());
                break 'w Some(&[9, 9, 9]);
            }
            None
        };
        trace((v, w));
        {
            yield_!(());
            Some(&[4, 5, 6])
        }
    }
}

#[test]
fn coercion_to_the_declared_type() {
    for n in 0..3 {
        same!(coercion_to_the_declared_type(n));
    }
}

// F12 (corpus): a returned closure whose parameter types come from `-> impl Fn(&u32) -> u32`.
#[corio::coroutine(yield = ())]
fn returns_a_closure(n: u32) -> impl Fn(&u32) -> u32 {
    corio::yield_!(());
    move |&x| x + n
}

#[corio::coroutine(yield = ())]
fn returns_a_closure_with_a_lifetime<'a>(s: &'a str) -> impl Fn(&str) -> bool + 'a {
    corio::yield_!(());
    move |x| x == s
}

#[test]
fn returned_closure_gets_its_signature_from_the_return_type() {
    let f = drain(returns_a_closure(2));
    assert_eq!(f(&3), 5);
    let g = drain(returns_a_closure_with_a_lifetime("a"));
    assert!(g("a") && !g("b"));
}

fn chk(v: i64) -> Result<i64, i64> {
    if v % 13 == 0 { Err(v) } else { Ok(v) }
}

// F13 (gen): a let chain whose `let` scrutinee suspends and whose next conjunct suspends too:
// the chain's bindings stay in scope in its body (they were lost: E0425 `w`).
twin! {
    yield = i64;
    fn let_chain_suspending_in_two_conjuncts[](p: i64) -> Result<i64, i64> {
        let mut out = 0;
        'l7: loop {
            if let Some(y) = chk(p).ok() && let Ok(w) = chk(y ^ { yield_!(y); 5 }) && { yield_!(3); w > 0 } {
                if { yield_!(2); p > 3 } {
                    yield_!(1009);
                    let w: i64 = p ^ w;
                    out = w;
                }
            }
            break 'l7;
        }
        Ok(out)
    }
}

// F12 (gen): a let chain whose second `let`'s scrutinee holds a block that declares a binding
// and suspends.
twin! {
    yield = i64;
    fn let_chain_with_a_suspending_block_in_a_scrutinee[](p: i64) -> Result<i64, i64> {
        if let Some(y) = chk({ yield_!(3); p }).ok()
            && let Ok(c) = chk(y ^ { let y = { yield_!(p); 6 }; chk(p + y)? })
            && !(14 == 16)
        {
            if y == p {
                yield_!(c);
            }
        }
        Ok(1)
    }
}

// F-scale-1 (diffrun): a `return a` in a conjunct after the chain's `let Some(a)`, where the
// chain's `a` shadows an outer `a` (a closure) and is renamed because the body shadows it
// again across a point: the `return`'s value named the outer closure (E0308).
twin! {
    yield = i64;
    fn return_in_a_let_chain_names_the_chains_binding[](p: i64) -> i64 {
        let a = |z: i64| z * 7;
        if let Some(a) = Some(p + 1) && p != (if a == 1 { return a } else { 9 }) {
            let mut n = 0;
            loop {
                if a != p + 1 || n == 3 { return a * 100 + n }
                let a = p;
                yield_!(a);
                n += 1;
            }
        }
        a(p)
    }
}

// F15 (corpus): a suspending `loop` used as a value, as the right operand of `||`.
twin! {
    yield = ();
    fn suspending_loop_as_an_or_operand[](b: bool) -> bool {
        b || loop {
            yield_!(());
            break false;
        }
    }
}

#[test]
fn let_chains_and_short_circuits_that_suspend() {
    for p in [4, 2, 13] {
        same!(let_chain_suspending_in_two_conjuncts(p));
        same!(let_chain_with_a_suspending_block_in_a_scrutinee(p));
    }
    for p in [0, 9, 4] {
        same!(return_in_a_let_chain_names_the_chains_binding(p));
    }
    same!(suspending_loop_as_an_or_operand(true));
    same!(suspending_loop_as_an_or_operand(false));
}

// F10 (corpus): a local whose type holds the intersection of two arguments' lifetimes cannot
// be kept across a point (rustc's E0700 at the attribute; README lists it); with one named
// lifetime for both arguments it can.
pub(crate) struct Core {
    entries: Vec<u32>,
}

fn equivalent<'a>(key: &'a u32, entries: &'a [u32]) -> impl Fn(&usize) -> bool + use<'a> {
    move |&i| entries[i] == *key
}

impl Core {
    #[corio::coroutine(yield = ())]
    fn index_of<'a>(&'a self, key: &'a u32) -> Option<usize> {
        let eq = equivalent(key, &self.entries);
        corio::yield_!(());
        (0..self.entries.len()).find(|i| eq(i))
    }
}

#[test]
fn one_named_lifetime_for_a_value_kept_across_a_point() {
    let core = Core {
        entries: vec![4, 7, 9],
    };
    assert_eq!(drain(core.index_of(&7)), Some(1));
}

// F14 (gen, seed 1000 case 143): an `if` used as an operand whose one branch jumps out of the
// enclosing loop, with a method call on its value: the jump assigned the value temporary, so
// the code after the `if`, copied into that branch's arm, called a method on a type only a
// later arm fixed (E0282).
twin! {
    yield = i64;
    fn operand_if_whose_branch_breaks_out[](p: i64) -> i64 {
        let mut out = 0;
        'f1: for m in 0i64..3 {
            out += (if p > m { break 'f1 } else { yield_!(m); m ^ 1 }).wrapping_sub(1);
            out += (match m { 0 => { yield_!(0); 5i64 } 1 => continue, _ => panic!("m = {m}") }).wrapping_add(1);
        }
        out
    }
}

#[test]
fn operand_if_whose_branch_breaks_out() {
    for p in [-1, 0, 1] {
        same!(operand_if_whose_branch_breaks_out(p));
    }
}

// F16 (userlike): a macro that expands to an `async` block (`corio::join!`) after an earlier
// await: the code after an await is also copied into the await's ready path, and two copies
// of the macro were two types for one frame field. Code with such a macro is not copied.
async fn op(n: u32) -> u32 {
    n
}

twin! {
    async fn join_after_an_await[](x: Option<u32>) -> u32 {
        let n = std::future::ready(x).await.unwrap_or(0);
        let all = corio::join!(op(1), op(2));
        let (a, b) = all.await;
        a + b + n
    }
}

// F17 (userlike): `*count.lock().await += 1;`, the suspension point in the place of a compound
// assignment whose right operand is a literal; the guard is dropped at the end of the
// statement, so locking again right after does not deadlock.
twin! {
    async fn compound_assignment_through_an_awaited_guard[](n: u32) -> u32 {
        let count = corio::sync::Lock::new(n);
        *count.lock().await += 1;
        let step = 2;
        *count.lock().await *= step;
        let v = *count.lock().await;
        v
    }
}

#[test]
fn macros_and_places_that_await() {
    same_async!(join_after_an_await(Some(4)));
    same_async!(compound_assignment_through_an_awaited_guard(3));
}

// F19 (corpus): a binding used only as a format width or precision (`{:width$}`, `{:.prec$}`)
// is a use, so it is kept across the suspension point.
twin! {
    yield = ();
    fn format_width_and_precision_are_uses[](n: usize) -> String {
        let width = n + 2;
        let prec = n;
        yield_!(());
        format!("{:width$}|{:.prec$}|{x:>width$.prec$}", "", 1.23456, x = 2.5)
    }
}

#[test]
fn format_width_and_precision_are_uses() {
    same!(format_width_and_precision_are_uses(1));
}

/// `method_twin! { impl Type { yield = Y; fn coro / plain (params) -> Ret { body } } }`: a
/// method (`&self`, `&mut self`, …) as a generator named `coro` and as a plain method named
/// `plain`, whose `yield_!(v)` traces `v`.
macro_rules! method_twin {
    (
        impl $ty:ty {
            yield = $y:ty;
            fn $coro:ident / $plain:ident ($($params:tt)*) -> $ret:ty $body:block
        }
    ) => {
        #[allow(unused, unreachable_code, clippy::all)]
        mod $coro {
            use super::*;
            use corio::yield_;
            impl $ty {
                #[corio::coroutine(yield = $y)]
                pub(crate) fn $coro($($params)*) -> $ret $body
            }
            mod plain {
                use super::super::*;
                macro_rules! yield_ {
                    ($e:expr) => {
                        plain_yield($e)
                    };
                }
                impl $ty {
                    pub(crate) fn $plain($($params)*) -> $ret $body
                }
            }
        }
    };
}

// F20 (corpus): a `ref`/`ref mut` binding on a place behind a reference (`self.field` with
// `&self` or `&mut self`, a field of a `&T` argument) kept across a suspension point borrows
// data outside the coroutine, which the frame may hold; only a `ref` on a place of the frame
// (an owned local, `ref-pattern-across-yield`) is the borrowing rule.
#[derive(Debug)]
pub(crate) struct Lits {
    literals: Option<Vec<u32>>,
    name: String,
}

method_twin! {
    impl Lits {
        yield = usize;
        fn total_coro / total_plain(&self) -> usize {
            match self.literals {
                Some(ref lits) => {
                    yield_!(lits.len());
                    let Lits { ref name, .. } = *self;
                    yield_!(name.len());
                    lits.iter().map(|&l| l as usize).sum::<usize>() + name.len()
                }
                None => 0,
            }
        }
    }
}

method_twin! {
    impl Lits {
        yield = usize;
        fn sort_coro / sort_plain(&mut self) -> usize {
            let n = self.name.len();
            if let Some(ref mut lits) = self.literals {
                yield_!(lits.len());
                lits.sort();
                lits.dedup();
                yield_!(lits.len());
                return lits.len() + n;
            }
            match self.name {
                ref mut s if s.is_empty() => {
                    s.push('?');
                    s.len()
                }
                ref mut s => {
                    yield_!(s.len());
                    s.push('!');
                    s.len()
                }
            }
        }
    }
}

twin! {
    yield = u32;
    fn ref_behind_a_reference_argument[](lits: &Lits, pairs: &mut [(u32, String)]) -> usize {
        let mut n = 0;
        if let Some(ref v) = lits.literals {
            for &x in v {
                yield_!(x);
            }
            n += v.len();
        }
        for pair in pairs.iter_mut() {
            let (ref mut k, ref s) = *pair;
            yield_!(*k);
            *k += s.len() as u32;
        }
        let Lits { ref name, .. } = *lits;
        yield_!(name.len() as u32);
        n + name.len()
    }
}

#[test]
fn ref_on_a_place_behind_a_reference() {
    let new = |l: Option<Vec<u32>>, name: &str| Lits {
        literals: l,
        name: name.into(),
    };
    for l in [None, Some(vec![3, 1, 3, 2])] {
        for name in ["", "ab"] {
            let s = new(l.clone(), name);
            let coro = outcome(|| drain(s.total_coro()));
            assert_eq!(coro, outcome(|| s.total_plain()));
            let (mut a, mut b) = (new(l.clone(), name), new(l.clone(), name));
            let coro = outcome(|| drain(a.sort_coro()));
            assert_eq!(coro, outcome(|| b.sort_plain()));
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
            let mut p = [(1, "x".to_string()), (2, "yz".to_string())];
            let mut q = p.clone();
            let coro = outcome(|| drain(ref_behind_a_reference_argument::coro(&s, &mut p)));
            let plain = outcome(|| ref_behind_a_reference_argument::plain::run(&s, &mut q));
            assert_eq!((coro, p), (plain, q));
        }
    }
}

// F17 (corpus): a `let … else` whose `else` diverges through a block that suspends and ends
// in a call returning `!` (`unsafe { …; yield_!(()); unreachable_unchecked() };`, or a fn of
// the user's): the split block lost its `!` type (E0308 "expected `(u32,)`, found `()`").
twin! {
    yield = u32;
    fn let_else_diverging_through_a_suspending_block[](v: Option<u32>, w: Result<u32, u32>) -> u32 {
        let Some(x) = v else {
            {
                yield_!(0);
                fail(1)
            };
        };
        let Ok(y) = w else {
            unsafe {
                yield_!(x);
                // SAFETY: never reached: the test only passes `Err` with `v == None`, which
                // diverged above.
                core::hint::unreachable_unchecked()
            };
        };
        let z = {
            {
                yield_!(y);
                x + y
            };
        };
        trace(z);
        x + y
    }
}

#[test]
fn let_else_diverging_through_a_suspending_block() {
    for (v, w) in [(Some(1), Ok(2)), (None, Ok(2)), (None, Err(3))] {
        same!(let_else_diverging_through_a_suspending_block(v, w));
    }
}

// F18 (corpus): a lifetime bound that a plain fn gets from its generic return type's fields
// (`Iter<'a, &'new str>` holds a `&'a &'new str`, so `'new: 'a`) is lost inside `impl
// Coroutine<Return = …>` (rustc: "lifetime may not live long enough … `'new` must outlive
// `'a`"); README lists it, with the remedy of writing the bound out, as here.
pub(crate) struct Keys<'a, T>(std::slice::Iter<'a, T>);

twin! {
    yield = usize;
    fn implied_bound_written_out['a, 'new: 'a](v: Keys<'a, &'static str>) -> Keys<'a, &'new str> {
        yield_!(v.0.len());
        v
    }
}

#[test]
fn implied_bound_of_a_generic_return_type_written_out() {
    let words = ["a", "b"];
    let coro = outcome(|| {
        drain(implied_bound_written_out::coro(Keys(words.iter())))
            .0
            .count()
    });
    let plain = outcome(|| {
        implied_bound_written_out::plain::run(Keys(words.iter()))
            .0
            .count()
    });
    assert_eq!(coro, plain);
}

// F-probe-3: recursion through `Box::pin(self_fn(..)).await`, the shape rustc's E0733 asks
// for. The frame would hold its own type (E0720 "cannot resolve opaque type"); the box is
// erased to a `dyn Future + Inspect`, so the await chain still reaches the innermost call.
pub(crate) struct Tree {
    value: u64,
    children: Vec<std::rc::Rc<Tree>>,
}

#[corio::coroutine]
async fn tree_sum(t: std::rc::Rc<Tree>) -> u64 {
    let mut sum = t.value;
    for child in t.children.clone() {
        sum += Box::pin(tree_sum(child)).await;
    }
    corio_tests::PendingThen::new(1, ()).await;
    trace(("visited", t.value));
    sum
}

async fn tree_sum_plain(t: std::rc::Rc<Tree>) -> u64 {
    let mut sum = t.value;
    for child in t.children.clone() {
        sum += Box::pin(tree_sum_plain(child)).await;
    }
    corio_tests::PendingThen::new(1, ()).await;
    trace(("visited", t.value));
    sum
}

impl Tree {
    #[corio::coroutine]
    async fn depth(&self) -> usize {
        let mut deepest = 0;
        for child in &self.children {
            deepest = deepest.max(Box::pin(child.depth()).await);
        }
        corio_tests::PendingThen::new(1, ()).await;
        deepest + 1
    }
}

#[test]
fn recursion_through_a_boxed_call() {
    use corio::Inspect;
    use std::rc::Rc;
    let leaf = |value| {
        Rc::new(Tree {
            value,
            children: Vec::new(),
        })
    };
    let tree = Rc::new(Tree {
        value: 1,
        children: vec![
            leaf(2),
            Rc::new(Tree {
                value: 3,
                children: vec![leaf(4)],
            }),
        ],
    });
    let coro = outcome(|| corio_tests::block_on(tree_sum(tree.clone())));
    let plain = outcome(|| corio_tests::block_on(tree_sum_plain(tree.clone())));
    assert_eq!(coro, plain);
    assert_eq!(coro.1, Ok("10".into()));
    assert_eq!(corio_tests::block_on(tree.depth()), 3);

    // Suspended in the leaf `4`: three coroutines deep, each seen through the erased box.
    fn depth_after_a_poll<F: std::future::Future + Inspect + Unpin>(f: &mut F) -> usize {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let _ = std::future::Future::poll(std::pin::Pin::new(&mut *f), &mut cx);
        let mut depth = 0;
        let mut c: Option<&dyn Inspect> = Some(&*f);
        while let Some(i) = c {
            assert_eq!(i.name(), "integration::ordinary::tree_sum");
            depth += 1;
            c = i.awaiting();
        }
        depth
    }
    let mut outer = tree_sum(tree.clone());
    // In the leaf `2` (two deep), in the leaf `4` under `3` (three deep), in `3`, at the root.
    let depths: Vec<usize> = (0..4).map(|_| depth_after_a_poll(&mut outer)).collect();
    assert_eq!(depths, [2, 3, 2, 1]);
}

// Corpus (bytes' `abort`): a body whose tail is `#[cfg(…)]`'d out ends with no tail; its type
// is `!` because a statement before the last suspension point diverges, but the arm that falls
// off the end returned `()` (E0308 "expected `u32`, found `()`"). The cfg'd tail is now
// `#[cfg(…)] { return tail; }`, and falling off a body whose return type is not `()` is
// `FallOff`, unreachable as in the plain fn; an alias of `()` still returns `()`.
twin! {
    yield = u32;
    fn tail_compiled_out_after_a_diverging_block[](v: u32) -> u32 {
        if v == 0 {
            return 7;
        }
        yield_!(v);
        {
            fail(v);
        }
        yield_!(v + 1);
        #[cfg(any())]
        {
            v + 2
        }
    }
}

twin! {
    yield = u32;
    fn tail_compiled_in[](v: u32) -> u32 {
        yield_!(v);
        #[cfg(all())]
        {
            v + 1
        }
    }
}

twin! {
    yield = u32;
    fn generic_body_that_returns_before_its_end[T: Debug](v: T, n: u32) -> T {
        yield_!(n);
        {
            return v;
        }
        yield_!(n + 1);
    }
}

// Corpus (http's `StatusCode::as_str`): two `#[cfg]`'d blocks at the end of the body, one
// for each configuration; whichever is compiled in is the tail (the first one was a statement
// of the wrong type). A block before a cfg'd tail that is also compiled in stays a statement.
twin! {
    yield = u32;
    fn first_of_two_cfg_tails[](v: u32) -> u32 {
        yield_!(v);
        #[cfg(all())]
        {
            v + 1
        }
        #[cfg(any())]
        {
            v + 2
        }
    }
}

twin! {
    yield = u32;
    fn cfg_statement_before_a_cfg_tail[](v: u32) -> u32 {
        yield_!(v);
        #[cfg(all())]
        {
            trace(v);
        }
        #[cfg(all())]
        #[allow(unused_parens)]
        {
            (v + 2)
        }
    }
}

// F-corpus-8 (winnow's `trace`): `-> impl Trait` whose body ends only in `#[cfg]`'d
// alternatives. Each became `#[cfg(..)] { return e; };` and the body fell off after them with
// `()`, which the opaque type cannot take (E0308): the fall-off is now unreachable exactly when
// one of them is compiled in. Both polarities: the compiled-in candidate first, and last.
twin! {
    yield = u32;
    fn cfg_tails_behind_impl_trait_first_on[](v: u32) -> impl std::fmt::Debug {
        yield_!(v);
        #[cfg(all())]
        {
            v + 1
        }
        #[cfg(not(all()))]
        {
            v + 100
        }
    }
}

twin! {
    yield = u32;
    fn cfg_tails_behind_impl_trait_last_on[](v: u32) -> impl std::fmt::Debug {
        yield_!(v);
        #[cfg(any())]
        {
            v + 100
        }
        #[cfg(not(any()))]
        {
            v + 2
        }
    }
}

// F-corpus-6 (num-bigint's `div_wide`): a deferred `let` assigned only inside a macro call is
// our spanned error in a block that suspends (ui-test `deferred-let-assigned-in-a-macro`); its
// remedy, a block without a suspension point that declares and assigns it, is kept verbatim.
macro_rules! read_into {
    ($x:ident, $v:expr) => {
        $x = $v;
    };
}

twin! {
    yield = u32;
    fn deferred_let_assigned_in_a_macro_inside_a_plain_block[](v: u32) -> u32 {
        yield_!(v);
        let (x, y): (u32, u32) = {
            let (x, y): (u32, u32);
            read_into!(x, v * 2);
            read_into!(y, v + 1);
            (x, y)
        };
        yield_!(x);
        x + y
    }
}

#[test]
fn deferred_let_assigned_in_a_macro_inside_a_block_without_a_point() {
    assert_eq!(
        same!(deferred_let_assigned_in_a_macro_inside_a_plain_block(3)),
        r#"Ok("10")"#
    );
}

pub(crate) type Unit = ();

twin! {
    yield = u32;
    fn unit_alias_falls_off[](v: u32) -> Unit {
        yield_!(v);
        trace(v + 1);
    }
}

#[test]
fn fall_off_after_a_statement_that_diverged() {
    assert_eq!(
        same!(tail_compiled_out_after_a_diverging_block(0)),
        r#"Ok("7")"#
    );
    assert_eq!(
        same!(tail_compiled_out_after_a_diverging_block(3)),
        r#"Err("fail 3")"#
    );
    assert_eq!(same!(tail_compiled_in(4)), r#"Ok("5")"#);
    assert_eq!(
        same!(generic_body_that_returns_before_its_end("x", 1)),
        r#"Ok("\"x\"")"#
    );
    assert_eq!(same!(unit_alias_falls_off(2)), r#"Ok("()")"#);
    assert_eq!(same!(first_of_two_cfg_tails(1)), r#"Ok("2")"#);
    assert_eq!(same!(cfg_statement_before_a_cfg_tail(1)), r#"Ok("3")"#);
    assert_eq!(same!(cfg_tails_behind_impl_trait_first_on(1)), r#"Ok("2")"#);
    assert_eq!(same!(cfg_tails_behind_impl_trait_last_on(1)), r#"Ok("3")"#);
}

// Corpus (time's `SignedDuration::fmt`): a `macro_rules!` of the same name defined in each
// branch of an `if`. The pass hoists the body's items to the top of the step closure, so the
// first branch's uses saw the second definition (E0308 "expected `f64`, found integer"); they
// are renamed apart now, and so is a local macro that shadows an outer one used before it.
macro_rules! describe {
    ($v:expr) => {
        format!("outer {}", $v)
    };
}

twin! {
    yield = String;
    fn same_macro_name_in_two_branches[](v: f64) -> String {
        yield_!(describe!(v));
        let s = if v > 1.0 {
            macro_rules! describe {
                ($x:expr) => {
                    format!("big {:.1}", $x)
                };
            }
            yield_!(describe!(v));
            vec![describe!(v * 2.0)]
        } else {
            macro_rules! describe {
                ($x:expr) => {
                    match $x as u32 {
                        0 => String::from("zero"),
                        n => format!("small {n}"),
                    }
                };
            }
            yield_!(describe!(v));
            vec![describe!(v * 2.0)]
        };
        s.concat()
    }
}

#[test]
fn local_macros_keep_their_textual_scope() {
    assert_eq!(
        same!(same_macro_name_in_two_branches(2.5)),
        r#"Ok("\"big 5.0\"")"#
    );
    assert_eq!(
        same!(same_macro_name_in_two_branches(0.5)),
        r#"Ok("\"small 1\"")"#
    );
}

// Corpus (hashbrown's `equivalent_key`, `make_hasher`): a closure returned through `-> impl
// Fn(&(K, V)) -> bool + '_` by a generic fn. `__corio_expect`, which gives the closure its
// signature from the bound, was left out when the fn had type parameters (E0282 "type
// annotations needed", "implementation of `Fn` is not general enough"); it now repeats the
// fn's generics and is named with them.
twin! {
    yield = u32;
    fn returned_closure_of_a_generic_fn[Q: PartialEq<K> + ?Sized, K, V](k: &Q) -> impl Fn(&(K, V)) -> bool + '_ {
        yield_!(1);
        move |x| *k == x.0
    }
}

twin! {
    yield = u32;
    fn returned_closure_with_a_const_parameter[const N: usize, T: Clone](k: [T; N]) -> impl Fn(&[T; N]) -> usize {
        yield_!(N as u32);
        move |x| x.len() + k.len()
    }
}

#[test]
fn returned_closure_of_a_generic_fn_gets_its_signature() {
    let pair = (3u32, "v");
    let coro =
        outcome(|| drain(returned_closure_of_a_generic_fn::coro::<u32, u32, &str>(&3))(&pair));
    let plain =
        outcome(|| returned_closure_of_a_generic_fn::plain::run::<u32, u32, &str>(&3)(&pair));
    assert_eq!(coro, plain);
    assert_eq!(coro.1, Ok("true".into()));
    let coro = outcome(|| drain(returned_closure_with_a_const_parameter::coro([1, 2]))(&[3, 4]));
    let plain = outcome(|| returned_closure_with_a_const_parameter::plain::run([1, 2])(&[3, 4]));
    assert_eq!(coro, plain);
    assert_eq!(coro.1, Ok("4".into()));
}

// Corpus (num-bigint's `div_three_halves_by_two`): deferred bindings assigned by a
// destructuring assignment, `let (q, r1); … (q, r1) = f();`, across a suspension point
// (E0425 "cannot find value `r1`": the assignment was not seen as assigning them).
twin! {
    yield = u32;
    fn deferred_bindings_assigned_by_destructuring[](a: u32, b: u32) -> u32 {
        let (mut q, r, d);
        yield_!(a);
        if a < b {
            (q, r) = (a / 2, a % 2);
            yield_!(q);
            d = q * 3;
        } else {
            [q, _] = [b, a];
            yield_!(q);
            (r, (d, _)) = (b + 1, (a - b, ()));
        }
        yield_!(r);
        q += 1;
        q + r + d
    }
}

#[test]
fn deferred_bindings_assigned_by_a_destructuring_assignment() {
    assert_eq!(
        same!(deferred_bindings_assigned_by_destructuring(5, 9)),
        r#"Ok("10")"#
    );
    assert_eq!(
        same!(deferred_bindings_assigned_by_destructuring(9, 5)),
        r#"Ok("16")"#
    );
}

// Corpus (serde_json's `Map::remove`): `#[cfg(x)] return a; #[cfg(not(x))] return b;` lost
// the `#[cfg]` of each `return` (E0599 for the method only the other configuration has).
twin! {
    yield = u32;
    fn cfg_on_returns[](v: u32) -> u32 {
        yield_!(v);
        #[cfg(any())]
        return v.no_such_method();
        #[cfg(all())]
        return v + 1;
    }
}

#[test]
fn cfg_on_a_return_statement_is_kept() {
    assert_eq!(same!(cfg_on_returns(1)), r#"Ok("2")"#);
}

// F-diag-2: a value construct suspends in one branch while another branch's value borrows a
// local (an `if`, a `match`, a deferred `let`, a let-else whose pattern borrows). The join
// after it went through the dispatcher, so the borrowed value became a frame field, whose
// type cannot borrow a local of the step: E0597 where the plain fn compiles.
twin! {
    yield = u32;
    fn borrowed_branch_values[](c: u8, line: String) -> usize {
        let s = if c == 0 { yield_!(1); "x" } else { &line[..3] };
        let a = s.len();
        let t: &str = match c {
            1 => {
                yield_!(2);
                "yz"
            }
            2 => &line[1..],
            _ => line.as_str(),
        };
        let b = t.len();
        let u;
        if c == 2 {
            yield_!(3);
            u = "q";
        } else {
            u = &line[..1];
        }
        let d = u.len();
        let Some((k, v)) = line.split_once(':') else {
            yield_!(4);
            return a + b + d;
        };
        a * 1000 + b * 100 + d * 10 + k.len() + v.len()
    }
}

twin! {
    async fn borrowed_branch_values_async[](c: u8, line: String) -> usize {
        let s = if c == 0 { corio::yield_now().await; "x" } else { &line[..3] };
        let a = s.len();
        let t: &str = match c {
            1 => {
                corio::yield_now().await;
                "yz"
            }
            2 => &line[1..],
            _ => line.as_str(),
        };
        let b = t.len();
        let Some((k, v)) = line.split_once(':') else {
            corio::yield_now().await;
            return a + b;
        };
        a * 1000 + b * 100 + k.len() + v.len()
    }
}

#[test]
fn a_branch_value_that_borrows_a_local_next_to_a_branch_that_suspends() {
    for c in 0..4 {
        for line in ["key:value", "no colon here"] {
            same!(borrowed_branch_values(c, line.to_string()));
            same_async!(borrowed_branch_values_async(c, line.to_string()));
        }
    }
    assert_eq!(
        same!(borrowed_branch_values(2, "ab:cdef".to_string())),
        r#"Ok("3616")"#
    );
}

// F-diag-2d (session 8, found from the outside): the same with a deferred `let u;` declared
// before an earlier suspension point. The pass drops that `let` from the state before the
// point (the state after it declares `u` again), and the join was not copied: `u` borrowed
// `line`, which the join's follower block outlived (E0597 at `&line[..3]`).
twin! {
    yield = usize;
    fn deferred_borrow_assigned_after_a_yield[](c: bool) -> usize {
        let u: &str;
        yield_!(1);
        let line = String::from("abcdef");
        if c {
            yield_!(2);
            u = "x";
        } else {
            u = &line[..3];
        }
        u.len() + line.len()
    }
}

twin! {
    async fn deferred_borrow_assigned_after_an_await[](c: bool) -> usize {
        let u: &str;
        corio::yield_now().await;
        let line = String::from("abcdef");
        if c {
            corio::yield_now().await;
            u = "x";
        } else {
            u = &line[..3];
        }
        u.len() + line.len()
    }
}

twin! {
    yield = usize;
    fn deferred_borrows_in_match_arms[](words: Vec<String>, k: usize) -> usize {
        let first: &str;
        let (lo, hi);
        yield_!(0);
        let line = words.join(" ");
        match k {
            0 => {
                yield_!(1);
                first = "none";
                lo = 7;
                hi = 0;
            }
            1 => {
                first = line.split(' ').next().unwrap_or("");
                lo = 1;
                hi = 2;
            }
            _ => {
                yield_!(2);
                first = &line[..1];
                lo = 3;
                hi = 4;
            }
        }
        first.len() * 100 + lo * 10 + hi
    }
}

twin! {
    async fn deferred_borrow_in_a_loop[](lines: Vec<String>) -> usize {
        let mut total = 0;
        for l in lines {
            let head: &str;
            corio::yield_now().await;
            let owned = l.to_uppercase();
            if owned.is_empty() {
                corio::yield_now().await;
                head = "-";
            } else {
                head = owned.split(',').next().unwrap();
            }
            total += head.len();
        }
        total
    }
}

#[test]
fn a_deferred_let_before_a_suspension_point_assigned_a_borrow_after_it() {
    for c in [false, true] {
        same!(deferred_borrow_assigned_after_a_yield(c));
        same_async!(deferred_borrow_assigned_after_an_await(c));
    }
    for k in 0..3 {
        same!(deferred_borrows_in_match_arms(
            vec!["hello".into(), "world".into()],
            k
        ));
    }
    same_async!(deferred_borrow_in_a_loop(vec![
        "ab,c".into(),
        String::new(),
        "xyz".into()
    ]));
    assert_eq!(
        same!(deferred_borrow_assigned_after_a_yield(false)),
        r#"Ok("9")"#
    );
}

// F-deferred-loop (session 8, found from the outside): a deferred `let x;` assigned inside a
// loop that suspends, on the path that breaks out, and read after the loop. The `if` that
// assigns and breaks is one verbatim step, which reads everything it mentions, so `x` looked
// live at the loop's suspension point and the frame kept a value it never had (E0425).
twin! {
    yield = u32;
    fn deferred_let_assigned_in_a_suspending_loop[](n: u32) -> u32 {
        let x;
        let label: &str;
        let mut i = 0;
        loop {
            yield_!(i);
            i += 1;
            if i >= n {
                x = i * 10;
                label = if i % 2 == 0 { "even" } else { "odd" };
                break;
            }
        }
        x + label.len() as u32
    }
}

twin! {
    async fn deferred_let_assigned_in_an_awaiting_loop[](items: Vec<u32>) -> u32 {
        let found: u32;
        let mut it = items.into_iter();
        loop {
            corio::yield_now().await;
            match it.next() {
                Some(v) if v > 2 => {
                    found = v;
                    break;
                }
                Some(_) => continue,
                None => {
                    found = 0;
                    break;
                }
            }
        }
        found * 2
    }
}

// The same with `let mut`: a value assigned before the loop is kept, one assigned only in
// it is not (`maybe_unset`).
twin! {
    yield = u32;
    fn deferred_let_mut_assigned_in_a_suspending_loop[](n: u32) -> u32 {
        let mut x;
        let mut y;
        y = n;
        let mut i = 0;
        loop {
            yield_!(i);
            i += 1;
            if i >= n {
                x = i;
                y += i;
                break;
            }
            y *= 2;
        }
        x += 1;
        x * 1000 + y
    }
}

#[test]
fn a_deferred_let_assigned_in_a_suspending_loop_then_read_after_it() {
    for n in 0..4 {
        same!(deferred_let_mut_assigned_in_a_suspending_loop(n));
    }
    for n in 0..4 {
        same!(deferred_let_assigned_in_a_suspending_loop(n));
    }
    for items in [&[][..], &[1, 5, 7], &[1, 2]] {
        same_async!(deferred_let_assigned_in_an_awaiting_loop(items.to_vec()));
    }
    assert_eq!(
        same!(deferred_let_assigned_in_a_suspending_loop(3)),
        r#"Ok("33")"#
    );
}

// F-diag-2b: the same, with a closure, an or-pattern or an `if let` after the construct in
// the code that is copied (their types go nowhere the copies share).
static TABLE: [i64; 4] = [1, 2, 3, 4];

twin! {
    yield = i64;
    fn borrowed_branch_value_then_a_closure[](p: i64) -> i64 {
        let q = vec![p, 8i64];
        let s = if p == 0 { yield_!(2); &TABLE[..3] } else { &q[..1] };
        let n = s.len() as i64;
        let m = match q.len() {
            1 | 5 => 0,
            _ => 1,
        };
        if let Some(f) = q.first().map(|e| e * 2) {
            yield_!(f);
        }
        q.iter().map(|e| e + 1).sum::<i64>() + n + m
    }
}

twin! {
    async fn borrowed_branch_value_then_a_closure_async[](line: String) -> usize {
        let s = if line.is_empty() { corio::yield_now().await; "x" } else { &line[..1] };
        let n = s.len();
        let Some(rest) = line.strip_prefix('a') else {
            corio::yield_now().await;
            return n + [1usize].iter().map(|e| e + 1).sum::<usize>();
        };
        n + rest.len() + [1usize, 2].iter().map(|e| e * 3).sum::<usize>()
    }
}

#[test]
fn a_branch_value_that_borrows_a_local_then_a_closure_or_an_or_pattern() {
    for p in [0, 1, 5] {
        same!(borrowed_branch_value_then_a_closure(p));
    }
    for line in ["", "abc", "xyz"] {
        same_async!(borrowed_branch_value_then_a_closure_async(line.to_string()));
    }
    assert_eq!(
        same!(borrowed_branch_value_then_a_closure(5)),
        r#"Ok("17")"#
    );
}

// Not copied: a closure bound to a `let` no state keeps, then moved into a binding that is
// kept across a point (`pk`'s type holds the closure's): two copies would be two types. The
// join after the value construct stays a follower, as before F-diag-2's copies.
twin! {
    yield = i64;
    fn value_join_then_a_closure_kept_through_another_binding[](v: Vec<i64>, c: bool) -> i64 {
        let x = if c { yield_!(1); 10 } else { 20 };
        let it = v.clone().into_iter().map(move |e| e + x);
        let mut pk = it.peekable();
        yield_!(2);
        let first = pk.next().unwrap_or(0);
        first + pk.count() as i64 + v.iter().fold(0, |a, e| a + e)
    }
}

#[test]
fn a_closure_that_reaches_a_kept_binding_keeps_the_join_a_follower() {
    for c in [false, true] {
        same!(value_join_then_a_closure_kept_through_another_binding(
            vec![3, 4],
            c
        ));
    }
}

// F-diag-2c: a deferred `let` assigned after a construct whose value borrows a local (a
// let-else whose pattern borrows, a value `if`): the join that assigns it is in scope of the
// `let` but the binding is dead at its entry, so a copy of the join declares it again.
twin! {
    yield = i64;
    fn deferred_let_after_a_borrowing_let_else[](p: i64, words: Vec<String>) -> i64 {
        let total: i64;
        let d = vec![p, p + 1, p + 2];
        let [first, .., last] = d.as_slice() else {
            yield_!(p);
            return 0;
        };
        total = first + last;
        yield_!(total);
        let mut longest = 0;
        for w in words.clone() {
            let n: usize;
            let Some((head, _)) = w.split_once('=') else {
                yield_!(-1);
                break;
            };
            n = head.len();
            yield_!(n as i64);
            longest = longest.max(n);
        }
        total + longest as i64
    }
}

twin! {
    async fn deferred_let_after_a_borrowing_let_else_async[](line: String) -> usize {
        let width: usize;
        let Some((key, value)) = line.split_once(':') else {
            corio::yield_now().await;
            return 0;
        };
        width = key.len().max(value.len());
        corio::yield_now().await;
        width
    }
}

#[test]
fn a_deferred_let_assigned_after_a_let_else_that_borrows() {
    for p in [0, 3] {
        for words in [
            vec![],
            vec!["ab=1".to_string(), "abcd=2".to_string()],
            vec!["x".to_string()],
        ] {
            same!(deferred_let_after_a_borrowing_let_else(p, words.clone()));
        }
    }
    for line in ["", "k:vvv", "nothing"] {
        same_async!(deferred_let_after_a_borrowing_let_else_async(
            line.to_string()
        ));
    }
    assert_eq!(
        same!(deferred_let_after_a_borrowing_let_else(
            1,
            vec!["ab=1".to_string(), "abcd=2".to_string()]
        )),
        r#"Ok("8")"#
    );
}

// After a construct whose value borrows a local, the next statements make a closure or an
// `async` block that is kept across a suspension point: the join is copied only up to them,
// and the rest is one join of its own (each copy of a closure is a type of its own).
twin! {
    yield = usize;
    fn borrowed_branch_value_then_a_kept_closure[](line: String, scale: usize) -> usize {
        let word = if line.is_empty() { yield_!(0); "none" } else { &line[..1] };
        let n = word.len();
        let weigh = move |w: usize| w * scale + n;
        yield_!(weigh(1));
        let key = match line.find(' ') {
            Some(i) => &line[..i],
            None => {
                yield_!(99);
                "-"
            }
        };
        let k = key.len();
        let grow = move |w: usize| w + k;
        yield_!(grow(2));
        weigh(grow(3))
    }
}

twin! {
    async fn borrowed_branch_value_then_an_awaited_async_block[](line: String) -> usize {
        let head = if line.len() < 2 { corio::yield_now().await; "" } else { &line[..2] };
        let n = head.len();
        let doubled = async move {
            corio::yield_now().await;
            n * 2
        }
        .await;
        let later = Box::pin(async move { doubled + 1 });
        corio::yield_now().await;
        later.await + n
    }
}

#[test]
fn a_branch_value_that_borrows_a_local_then_a_kept_closure_or_async_block() {
    for line in ["", "a b", "abc"] {
        for scale in [1, 3] {
            same!(borrowed_branch_value_then_a_kept_closure(
                line.to_string(),
                scale
            ));
        }
        same_async!(borrowed_branch_value_then_an_awaited_async_block(
            line.to_string()
        ));
    }
    assert_eq!(
        same!(borrowed_branch_value_then_a_kept_closure(
            "a b".to_string(),
            3
        )),
        r#"Ok("13")"#
    );
}

// Value constructs in a row within one resume nest their copies: the borrowing `let … else`
// after five of them is a copy six deep. Deeper than four, a join is copied while the copies
// stay few (the product of the ways into the joins, `layout::MAX_COPY_WEIGHT`).
twin! {
    yield = u32;
    fn value_constructs_in_a_row_then_a_borrowing_let_else[](a: u32, b: u32, line: String) -> usize {
        let x = match a % 4 {
            0 => 1,
            1 => 2,
            2 => {
                yield_!(1);
                3
            }
            _ => 4,
        };
        let y = match b % 4 {
            0 => x,
            1 => x + 1,
            2 => {
                yield_!(2);
                5
            }
            _ => 6,
        };
        let z = if x > y { yield_!(3); x } else { y };
        let w = match (x + y) % 3 {
            0 => 7,
            1 => {
                yield_!(4);
                8
            }
            _ => 9,
        };
        let v = if w > 7 { w } else { yield_!(5); 1 };
        let Some((k, rest)) = line.split_once(' ') else {
            yield_!(6);
            return 0;
        };
        (x + y + z + w + v) as usize + k.len() * 100 + rest.len() * 1000
    }
}

#[test]
fn value_constructs_in_a_row_nest_their_copies() {
    for a in 0..4 {
        for b in 0..4 {
            for line in ["ab cde", "nospace"] {
                same!(value_constructs_in_a_row_then_a_borrowing_let_else(
                    a,
                    b,
                    line.to_string()
                ));
            }
        }
    }
    assert_eq!(
        same!(value_constructs_in_a_row_then_a_borrowing_let_else(
            0,
            0,
            "ab cde".to_string()
        )),
        r#"Ok("3221")"#
    );
}
