//! The coroutine half of DESIGN.md's contract, checked the way a user calls it: every public
//! name and promise of "The coroutine API" and "Macro forms", one short test each.
//!
//! Positions of suspension points are checked against this file's own text (the oracle is
//! where `yield_!` / the awaited expression stands in the source, found by searching it).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use corio::inspect::{
    CORO_CLOSED, CORO_CREATED, CORO_RUNNING, CORO_SUSPENDED, GEN_CLOSED, GEN_CREATED, GEN_RUNNING,
    GEN_SUSPENDED, getcoroutinelocals, getcoroutinestate, getgeneratorlocals, getgeneratorstate,
};
use corio::{
    Coroutine, CoroutineState, Inspect, Local, PointKind, ResumeError, Status, Stream, SuspendPoint,
};

const SOURCE: &str = include_str!("user_contract_coroutines.rs");

/// The 1-based (line, column) of the only line of this file that ends in `// marker`, and of
/// `token` within it: what `line!()`/`column!()` would give at that token.
fn position_of(marker: &str, token: &str) -> (u32, u32) {
    let hits: Vec<(usize, &str)> = SOURCE
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with(&format!("// {marker}")))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "marker {marker:?} must be on exactly one line"
    );
    let (i, line) = hits[0];
    let col = line.find(token).expect("token on the marker's line");
    (i as u32 + 1, col as u32 + 1)
}

fn strings(locals: &[Local]) -> Vec<String> {
    locals.iter().map(|l| l.to_string()).collect()
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

fn poll_next_once<S: Stream + Unpin>(s: &mut S) -> Poll<Option<S::Item>> {
    Pin::new(s).poll_next(&mut Context::from_waker(Waker::noop()))
}

// ---------------------------------------------------------------------------------------------
// DESIGN's own example generator.

#[corio::coroutine(yield = u64)]
fn fib(limit: u64) -> &'static str {
    let (mut a, mut b) = (0, 1);
    while a < limit {
        yield_!(a); // MARK-fib-yield
        (a, b) = (b, a + b);
    }
    "done"
}

#[test]
fn status_names_match_pythons_inspect_module() {
    assert_eq!(Status::Created.to_string(), "GEN_CREATED");
    assert_eq!(Status::Running.to_string(), "GEN_RUNNING");
    assert_eq!(Status::Suspended.to_string(), "GEN_SUSPENDED");
    assert_eq!(Status::Closed.to_string(), "GEN_CLOSED");
    assert_eq!(
        [GEN_CREATED, GEN_RUNNING, GEN_SUSPENDED, GEN_CLOSED],
        [
            Status::Created,
            Status::Running,
            Status::Suspended,
            Status::Closed
        ]
    );
    assert_eq!(
        [CORO_CREATED, CORO_RUNNING, CORO_SUSPENDED, CORO_CLOSED],
        [GEN_CREATED, GEN_RUNNING, GEN_SUSPENDED, GEN_CLOSED]
    );
}

#[test]
fn a_generator_walks_through_its_states_and_reports_where_it_is() {
    let mut g = fib(10);
    assert_eq!(getgeneratorstate(&g), GEN_CREATED);
    assert_eq!(g.suspended_at(), None);
    assert_eq!(g.name(), "user_contract_coroutines::fib");

    assert_eq!(g.resume(()), CoroutineState::Yielded(0));
    assert_eq!(getgeneratorstate(&g), GEN_SUSPENDED);
    let at: &'static SuspendPoint = g.suspended_at().unwrap();
    assert_eq!(at.kind, PointKind::Yield);
    assert_eq!(at.source, "yield_!(a)");
    assert_eq!(at.index, 0);
    assert!(
        at.file.ends_with("user_contract_coroutines.rs"),
        "{}",
        at.file
    );
    assert_eq!(
        (at.line, at.column),
        position_of("MARK-fib-yield", "yield_!")
    );
    assert_eq!(
        strings(&getgeneratorlocals(&g)),
        ["limit = 10", "a = 0", "b = 1"]
    );

    // The same point gives the same &'static record each time.
    assert_eq!(g.resume(()), CoroutineState::Yielded(1));
    assert!(std::ptr::eq(at, g.suspended_at().unwrap()));

    let rest: Vec<u64> = g.by_ref().collect();
    assert_eq!(rest, [1, 2, 3, 5, 8]);
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(g.suspended_at(), None);
    assert!(g.locals().is_empty());
    // Fused, and the return value was kept for take_return.
    assert_eq!(g.next(), None);
    assert_eq!(g.next(), None);
    assert_eq!(g.take_return(), Some("done"));
    assert_eq!(g.take_return(), None);
}

#[test]
fn the_iterator_matches_the_plain_loop() {
    let plain = {
        let (mut a, mut b, mut out) = (0u64, 1u64, Vec::new());
        while a < 1000 {
            out.push(a);
            (a, b) = (b, a + b);
        }
        out
    };
    assert_eq!(fib(1000).collect::<Vec<_>>(), plain);
    // Iterator adaptors work on it like on any iterator.
    let evens: Vec<u64> = fib(1000).filter(|x| x % 2 == 0).skip(1).take(3).collect();
    assert_eq!(evens, [2, 8, 34]);
    assert_eq!(fib(1000).zip(fib(1000).skip(1)).last(), Some((610, 987)));
}

/// Python's `inspect.getgeneratorlocals(fib(10))` on a generator that has not started gives
/// its arguments, `{'limit': 10}`.
#[test]
fn a_created_generator_shows_its_arguments_as_locals_like_python() {
    let g = fib(10);
    assert_eq!(strings(&getgeneratorlocals(&g)), ["limit = 10"]);
}

// ---------------------------------------------------------------------------------------------
// Several points: indices in source order, kinds, positions.

#[corio::coroutine(yield = &'static str)]
fn three_points() {
    yield_!("one"); // MARK-three-0
    let two = "two";
    yield_!(two); // MARK-three-1
    for word in ["three", "four"] {
        yield_!(word); // MARK-three-2
    }
}

#[test]
fn suspension_points_are_numbered_in_source_order_and_positioned_at_their_first_token() {
    let mut g = three_points();
    let mut seen = Vec::new();
    while let CoroutineState::Yielded(v) = g.resume(()) {
        let p = g.suspended_at().unwrap();
        seen.push((v, p.index, p.line, p.column, p.source));
    }
    let at = |m| position_of(m, "yield_!");
    assert_eq!(
        seen,
        [
            (
                "one",
                0,
                at("MARK-three-0").0,
                at("MARK-three-0").1,
                "yield_!(\"one\")"
            ),
            (
                "two",
                1,
                at("MARK-three-1").0,
                at("MARK-three-1").1,
                "yield_!(two)"
            ),
            (
                "three",
                2,
                at("MARK-three-2").0,
                at("MARK-three-2").1,
                "yield_!(word)"
            ),
            (
                "four",
                2,
                at("MARK-three-2").0,
                at("MARK-three-2").1,
                "yield_!(word)"
            ),
        ]
    );
    assert_eq!(
        SuspendPoint {
            index: 0,
            kind: PointKind::Yield,
            file: "f.rs",
            line: 3,
            column: 5,
            source: "yield_!(x)"
        }
        .to_string(),
        "f.rs:3:5 `yield_!(x)`"
    );
}

// ---------------------------------------------------------------------------------------------
// send(): resume values.

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
fn send_passes_values_in_and_the_first_one_is_discarded() {
    let mut g = running_total();
    assert_eq!(g.resume(1_000_000), CoroutineState::Yielded(0));
    assert_eq!(g.resume(5), CoroutineState::Yielded(5));
    assert_eq!(g.resume(-2), CoroutineState::Yielded(3));
    assert_eq!(strings(&g.locals()), ["total = 3"]);
    assert_eq!(g.resume(0), CoroutineState::Complete(3));
    assert_eq!(g.status(), Status::Closed);
    // resume hands out the return value itself; nothing is kept for take_return.
    assert_eq!(g.take_return(), None);
    assert_eq!(g.try_resume(1), Err(ResumeError::Closed));
    assert_eq!(
        ResumeError::Closed.to_string(),
        "coroutine resumed after completion"
    );
}

#[test]
#[should_panic(expected = "coroutine resumed after completion")]
fn resuming_a_finished_generator_panics_with_the_documented_message() {
    let mut g = running_total();
    g.resume(0);
    assert_eq!(g.resume(0), CoroutineState::Complete(0));
    g.resume(1);
}

// ---------------------------------------------------------------------------------------------
// Panics, close(), drops.

struct Noisy(&'static str, Rc<RefCell<Vec<&'static str>>>);
impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

#[corio::coroutine(yield = u32)]
fn holds_three(log: Rc<RefCell<Vec<&'static str>>>) -> u32 {
    let first = Noisy("first", log.clone());
    let second = Noisy("second", log.clone());
    yield_!(1);
    let third = Noisy("third", log);
    yield_!(2);
    drop((first, second, third));
    3
}

#[test]
fn close_drops_live_locals_in_reverse_declaration_order_like_a_plain_scope() {
    let oracle = Rc::new(RefCell::new(Vec::new()));
    {
        let _first = Noisy("first", oracle.clone());
        let _second = Noisy("second", oracle.clone());
        let _third = Noisy("third", oracle.clone());
    }

    let log = Rc::new(RefCell::new(Vec::new()));
    let mut g = holds_three(log.clone());
    g.resume(());
    g.resume(());
    assert_eq!(g.locals().len(), 3);
    assert!(log.borrow().is_empty());
    g.close();
    assert_eq!(*log.borrow(), *oracle.borrow());
    assert_eq!(g.status(), Status::Closed);
    assert!(g.locals().is_empty());
    g.close(); // closing a closed coroutine does nothing
    assert_eq!(log.borrow().len(), 3);
    assert_eq!(g.try_resume(()), Err(ResumeError::Closed));

    // Dropping is the same drop.
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut g = holds_three(log.clone());
    g.resume(());
    g.resume(());
    drop(g);
    assert_eq!(*log.borrow(), *oracle.borrow());

    // Closing one that never started drops its arguments only.
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut g = holds_three(log.clone());
    g.close();
    assert_eq!(g.status(), Status::Closed);
    assert!(log.borrow().is_empty());
    assert_eq!(Rc::strong_count(&log), 1);
}

#[corio::coroutine(yield = u32)]
fn fails_on_second(log: Rc<RefCell<Vec<&'static str>>>) {
    let _held = Noisy("held", log);
    yield_!(1);
    panic!("boom in body");
}

#[test]
fn a_panic_in_the_body_leaves_the_generator_closed_and_drops_its_locals() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut g = fails_on_second(log.clone());
    assert_eq!(g.resume(()), CoroutineState::Yielded(1));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(())))
        .expect_err("the body panics");
    assert_eq!(err.downcast_ref::<&str>(), Some(&"boom in body"));
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(*log.borrow(), ["held"]);
    assert_eq!(g.try_resume(()), Err(ResumeError::Closed));
    assert_eq!(g.next(), None);
}

#[corio::coroutine(yield = usize)]
fn guarded(log: Rc<RefCell<Vec<&'static str>>>) {
    {
        let _guard = Noisy("guard", log.clone());
        yield_!(1); // `_guard` is unused after this point but stays to the end of its block
        log.borrow_mut().push("after first");
        yield_!(2);
    }
    log.borrow_mut().push("block ended");
    yield_!(3);
}

#[test]
fn an_underscore_binding_lives_to_the_end_of_its_block() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut g = guarded(log.clone());
    g.resume(());
    assert_eq!(g.locals().iter().filter(|l| l.name == "_guard").count(), 1);
    g.resume(());
    assert_eq!(*log.borrow(), ["after first"]);
    g.resume(());
    assert_eq!(*log.borrow(), ["after first", "guard", "block ended"]);
}

// ---------------------------------------------------------------------------------------------
// Locals: Debug, or the type name.

struct Opaque;

#[corio::coroutine(yield = ())]
fn shows_locals() {
    let text = String::from("hi \"there\"");
    let pair = (1u8, 'x');
    let opaque = Opaque;
    yield_!(());
    drop((text, pair, opaque));
}

#[test]
fn locals_are_debug_rendered_or_named_by_type() {
    let mut g = shows_locals();
    g.resume(());
    let locals = g.locals();
    let names: Vec<&str> = locals.iter().map(|l| l.name).collect();
    assert_eq!(names, ["text", "pair", "opaque"]);
    assert_eq!(locals[0].value, format!("{:?}", "hi \"there\""));
    assert_eq!(locals[1].value, format!("{:?}", (1u8, 'x')));
    assert_eq!(
        locals[2].value,
        format!("<{}>", std::any::type_name::<Opaque>())
    );
    // Debug of the machine shows where it is.
    let shown = format!("{g:?}");
    assert!(shown.contains("GEN_SUSPENDED"), "{shown}");
    assert!(shown.contains("yield_!(())"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Movable, Clone with `clone`, methods, generics.

#[corio::coroutine(yield = u32, clone)]
fn countdown(mut n: u32) {
    while n > 0 {
        yield_!(n);
        n -= 1;
    }
}

#[test]
fn a_suspended_generator_moves_and_clones_into_independent_machines() {
    let mut g = countdown(4);
    g.next();
    let mut boxed: Box<dyn Iterator<Item = u32>> = Box::new(g.clone());
    let moved = vec![g];
    let mut g = moved.into_iter().next().unwrap();
    assert_eq!(g.next(), Some(3));
    assert_eq!(boxed.next(), Some(3));
    assert_eq!(g.collect::<Vec<_>>(), [2, 1]);
    assert_eq!(boxed.collect::<Vec<_>>(), [2, 1]);
}

struct Tokens {
    text: String,
}

impl Tokens {
    #[corio::coroutine(yield = String)]
    fn words(&self) -> usize {
        let mut n = 0;
        for w in self.text.split_whitespace() {
            n += 1;
            yield_!(w.to_uppercase());
        }
        n
    }

    #[corio::coroutine(yield = String)]
    fn drain(self) {
        for w in self.text.split(',').map(str::to_owned).collect::<Vec<_>>() {
            yield_!(w);
        }
    }
}

#[test]
fn methods_by_reference_and_by_value() {
    let t = Tokens {
        text: "a bb  ccc".into(),
    };
    let mut g = t.words();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), ["A", "BB", "CCC"]);
    assert_eq!(g.take_return(), Some(3));
    assert!(g.name().ends_with("words"), "{}", g.name());
    let d = Tokens {
        text: "x,y,,z".into(),
    }
    .drain();
    assert_eq!(d.collect::<Vec<_>>(), ["x", "y", "", "z"]);
}

#[corio::coroutine(yield = T)]
fn pairs_summed<T, I>(items: I) -> Option<T>
where
    T: std::ops::Add<Output = T> + Copy,
    I: IntoIterator<Item = T>,
{
    let mut last = None;
    let mut it = items.into_iter();
    while let Some(a) = it.next() {
        let Some(b) = it.next() else {
            last = Some(a);
            break;
        };
        yield_!(a + b);
    }
    last
}

#[test]
fn a_generic_generator_with_a_where_clause() {
    let mut g = pairs_summed(vec![1, 2, 3, 4, 5]);
    assert_eq!(g.by_ref().collect::<Vec<i32>>(), [3, 7]);
    assert_eq!(g.take_return(), Some(Some(5)));
    let mut f = pairs_summed([0.5f64, 0.25]);
    assert_eq!(f.resume(()), CoroutineState::Yielded(0.75));
    assert_eq!(f.resume(()), CoroutineState::Complete(None));
}

// ---------------------------------------------------------------------------------------------
// Async coroutines: Future + Inspect + Unpin; cr_await.

#[corio::coroutine]
async fn leaf(rx: corio::sync::oneshot::Receiver<u32>) -> u32 {
    let got = rx.await.unwrap_or(0); // MARK-leaf-await
    got * 2
}

#[corio::coroutine]
async fn middle(rx: corio::sync::oneshot::Receiver<u32>) -> u32 {
    let before = 1;
    let v = leaf(rx).await; // MARK-middle-await
    v + before
}

#[test]
fn an_async_coroutine_reports_its_state_and_the_coroutine_it_awaits() {
    let (tx, rx) = corio::sync::oneshot::channel();
    let mut outer = middle(rx);
    fn assert_unpin<T: Unpin + Future + Inspect>(_: &T) {}
    assert_unpin(&outer);
    assert_eq!(getcoroutinestate(&outer), CORO_CREATED);
    assert!(outer.awaiting().is_none());

    assert_eq!(poll_once(&mut outer), Poll::Pending);
    assert_eq!(getcoroutinestate(&outer), CORO_SUSPENDED);
    let at = outer.suspended_at().unwrap();
    assert_eq!(at.kind, PointKind::Await);
    assert_eq!(at.source, "leaf(rx).await");
    assert_eq!(
        (at.line, at.column),
        position_of("MARK-middle-await", "leaf(rx)")
    );
    assert_eq!(strings(&getcoroutinelocals(&outer)), ["before = 1"]);
    let inner = outer.awaiting().expect("awaiting the inner coroutine");
    assert_eq!(inner.name(), "user_contract_coroutines::leaf");
    assert_eq!(inner.status(), Status::Suspended);
    let inner_at = inner.suspended_at().unwrap();
    assert_eq!(
        (inner_at.line, inner_at.column),
        position_of("MARK-leaf-await", "rx.await")
    );
    // A oneshot receiver is not a coroutine: the chain ends there.
    assert!(inner.awaiting().is_none());

    // Debug shows the chain, like a one-line `cr_await` walk.
    let (ml, mc) = position_of("MARK-middle-await", "leaf(rx)");
    let (ll, lc) = position_of("MARK-leaf-await", "rx.await");
    let file = at.file;
    assert_eq!(
        format!("{outer:?}"),
        format!(
            "user_contract_coroutines::middle (CORO_SUSPENDED at {file}:{ml}:{mc} `leaf(rx).await`, \
             before = 1, awaiting user_contract_coroutines::leaf (CORO_SUSPENDED at \
             {file}:{ll}:{lc} `rx.await`))"
        )
    );

    // The machine moves while suspended (Unpin), then completes.
    let mut moved = Box::new(outer);
    tx.send(20).unwrap();
    assert_eq!(poll_once(&mut *moved), Poll::Ready(41));
    assert_eq!(moved.status(), Status::Closed);
    assert!(moved.awaiting().is_none());
}

// ---------------------------------------------------------------------------------------------
// Async generators: Stream + Inspect + Unpin.

#[corio::coroutine(yield = u32)]
async fn ticks(rx: corio::sync::mpsc::Receiver<u32>) {
    while let Some(v) = rx.recv().await {
        if v == 0 {
            continue;
        }
        yield_!(v * 10);
    }
}

#[test]
fn an_async_generator_is_a_stream() {
    let (tx, rx) = corio::sync::mpsc::channel(4);
    let mut s = ticks(rx);
    assert_eq!(s.status(), Status::Created);
    assert_eq!(poll_next_once(&mut s), Poll::Pending);
    assert_eq!(s.suspended_at().unwrap().kind, PointKind::Await);
    tx.try_send(0).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!(poll_next_once(&mut s), Poll::Ready(Some(20)));
    assert_eq!(s.suspended_at().unwrap().kind, PointKind::Yield);
    assert_eq!(s.suspended_at().unwrap().source, "yield_!(v * 10)");
    assert_eq!(poll_next_once(&mut s), Poll::Pending);
    drop(tx);
    assert_eq!(poll_next_once(&mut s), Poll::Ready(None));
    assert_eq!(s.status(), Status::Closed);
    assert_eq!(poll_next_once(&mut s), Poll::Ready(None));
}

#[test]
fn async_coroutines_run_on_the_loop_and_a_generator_feeds_a_coroutine() {
    #[corio::coroutine]
    async fn total(mut g: corio::SharedStream<ticks_stream::Ticks>) -> u32 {
        let mut sum = 0;
        while let Some(v) = g.next().await {
            sum += v;
        }
        sum
    }
    mod ticks_stream {
        pub(super) type Ticks = std::pin::Pin<Box<dyn corio::Stream<Item = u32>>>;
    }
    let got = corio::run(async {
        let (tx, rx) = corio::sync::mpsc::channel(1);
        let producer = corio::spawn(async move {
            for i in 0..5 {
                tx.send(i).await.unwrap();
            }
        });
        let stream: ticks_stream::Ticks = Box::pin(ticks(rx));
        let sum = total(corio::SharedStream::new(stream)).await;
        producer.await.unwrap();
        sum
    });
    assert_eq!(got, (1..5).map(|i| i * 10).sum::<u32>());
}

#[corio::coroutine(yield = u32)]
async fn doubled_leaves(rxs: Vec<corio::sync::oneshot::Receiver<u32>>) {
    for rx in rxs {
        let v = leaf(rx).await; // MARK-gen-await
        yield_!(v);
    }
}

#[test]
fn an_async_generator_shows_the_coroutine_it_awaits() {
    let (tx1, rx1) = corio::sync::oneshot::channel();
    let (tx2, rx2) = corio::sync::oneshot::channel();
    let mut s = doubled_leaves(vec![rx1, rx2]);
    assert_eq!(s.name(), "user_contract_coroutines::doubled_leaves");
    assert_eq!(poll_next_once(&mut s), Poll::Pending);
    let at = s.suspended_at().unwrap();
    assert_eq!(
        (at.line, at.column),
        position_of("MARK-gen-await", "leaf(rx)")
    );
    let inner = s.awaiting().expect("awaiting leaf");
    assert_eq!(inner.name(), "user_contract_coroutines::leaf");
    assert_eq!(inner.suspended_at().unwrap().source, "rx.await");
    tx1.send(1).unwrap();
    assert_eq!(poll_next_once(&mut s), Poll::Ready(Some(2)));
    assert!(
        s.awaiting().is_none(),
        "suspended at a yield_!, awaiting nothing"
    );
    tx2.send(5).unwrap();
    assert_eq!(poll_next_once(&mut s), Poll::Ready(Some(10)));
    assert_eq!(poll_next_once(&mut s), Poll::Ready(None));
    assert_eq!(s.status(), Status::Closed);
}

/// DESIGN.md: `name()` is the function's path; a method's path includes its type (Python's
/// `__qualname__` is `Tokens.words`), so that a dump tells `Client::handle` from
/// `Upstream::handle`.
#[test]
fn a_methods_name_includes_its_type() {
    let t = Tokens { text: "a".into() };
    assert_eq!(t.words().name(), "user_contract_coroutines::Tokens::words");
}
