//! What a generator says about itself: status, suspension points, locals, name, Debug,
//! Clone, close, and a panic in the body.

use corio::inspect::{
    GEN_CLOSED, GEN_CREATED, GEN_SUSPENDED, getgeneratorlocals, getgeneratorstate,
};
use corio::{Coroutine, CoroutineState, Inspect, PointKind, ResumeError, Status};
use corio_tests::Log;

#[corio::coroutine(yield = u64)]
fn fib(limit: u64) -> &'static str {
    let (mut a, mut b) = (0, 1);
    while a < limit {
        yield_!(a);
        (a, b) = (b, a + b);
    }
    "done"
}

/// The 1-based (line, column) of the first occurrence of `needle` in this file.
fn position_of(needle: &str) -> (u32, u32) {
    let source = include_str!("inspect.rs");
    let (line, text) = source
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(needle))
        .unwrap();
    (line as u32 + 1, text.find(needle).unwrap() as u32 + 1)
}

#[test]
fn status_goes_created_suspended_closed() {
    let mut g = fib(3);
    assert_eq!(g.status(), Status::Created);
    assert_eq!(getgeneratorstate(&g), GEN_CREATED);
    assert_eq!(g.resume(()), CoroutineState::Yielded(0));
    assert_eq!(getgeneratorstate(&g), GEN_SUSPENDED);
    while let CoroutineState::Yielded(_) = g.resume(()) {}
    assert_eq!(getgeneratorstate(&g), GEN_CLOSED);
    assert_eq!(g.to_string_status(), "GEN_CLOSED");
}

trait StatusText {
    fn to_string_status(&self) -> String;
}

impl<T: Inspect> StatusText for T {
    fn to_string_status(&self) -> String {
        self.status().to_string()
    }
}

#[test]
fn suspended_at_gives_file_line_column_and_source() {
    let mut g = fib(10);
    assert_eq!(g.suspended_at(), None);
    g.resume(());
    let p = g.suspended_at().unwrap();
    assert_eq!(p.index, 0);
    assert_eq!(p.kind, PointKind::Yield);
    assert_eq!(p.file, file!());
    assert_eq!((p.line, p.column), position_of("yield_!(a);"));
    assert_eq!(p.source, "yield_!(a)");
    g.resume(());
    assert!(
        std::ptr::eq(p, g.suspended_at().unwrap()),
        "the same point is the same static record"
    );
}

#[corio::coroutine(yield = &'static str)]
fn two_points(n: u32) {
    let s = String::from("kept");
    yield_!("first");
    let v = vec![n; 2];
    yield_!(if s.is_empty() { "x" } else { "second" });
    drop((s, v));
}

#[test]
fn points_are_numbered_in_source_order_with_exact_source() {
    let mut g = two_points(7);
    g.resume(());
    let p0 = *g.suspended_at().unwrap();
    g.resume(());
    let p1 = *g.suspended_at().unwrap();
    let (line0, column0) = position_of("yield_!(\"first\")");
    let (line1, column1) = position_of("yield_!(if s.is_empty()");
    assert_eq!(
        (p0.index, p0.line, p0.column, p0.source),
        (0, line0, column0, "yield_!(\"first\")")
    );
    assert_eq!(
        (p1.index, p1.line, p1.column, p1.source),
        (
            1,
            line1,
            column1,
            "yield_!(if s.is_empty() { \"x\" } else { \"second\" })"
        )
    );
}

#[test]
fn locals_show_live_bindings_with_debug_in_declaration_order() {
    let mut g = two_points(7);
    g.resume(());
    let names: Vec<String> = getgeneratorlocals(&g)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(names, ["n = 7", "s = \"kept\""]);
    g.resume(());
    let names: Vec<String> = g.locals().iter().map(ToString::to_string).collect();
    assert_eq!(names, ["s = \"kept\"", "v = [7, 7]"]);
}

struct Opaque;

#[corio::coroutine(yield = ())]
fn opaque() {
    let o = Opaque;
    yield_!();
    drop(o);
}

#[test]
fn locals_without_debug_show_their_type_name() {
    let mut g = opaque();
    g.resume(());
    assert_eq!(g.locals()[0].value, "<integration::inspect::Opaque>");
    assert_eq!(g.locals()[0].name, "o");
}

#[test]
fn name_and_debug() {
    let mut g = fib(10);
    assert_eq!(g.name(), "integration::inspect::fib");
    // Created: the arguments, as Python's frame of a generator that has not run shows them.
    assert_eq!(
        format!("{g:?}"),
        "integration::inspect::fib (GEN_CREATED, limit = 10)"
    );
    g.resume(());
    g.resume(());
    assert_eq!(
        format!("{g:?}"),
        format!(
            "integration::inspect::fib (GEN_SUSPENDED at {}:{}:{} `yield_!(a)`, limit = 10, a = 1, b = 1)",
            file!(),
            position_of("yield_!(a);").0,
            position_of("yield_!(a);").1,
        )
    );
}

#[corio::coroutine(yield = u32, clone)]
fn countdown(from: u32) {
    let mut i = from;
    while i > 0 {
        yield_!(i);
        i -= 1;
    }
}

#[test]
fn clone_of_a_suspended_generator_is_independent() {
    let mut g = countdown(5);
    g.resume(());
    g.resume(());
    let h = g.clone();
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(h.collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(g.status(), Status::Closed);
}

#[corio::coroutine(yield = u32)]
fn logged(log: Log) -> u32 {
    let _a = log.noisy("a");
    yield_!(1);
    let b = log.noisy("b");
    yield_!(2);
    if b.name == "b" {
        panic!("boom");
    }
    3
}

#[test]
fn close_drops_live_locals_and_closes() {
    let log = Log::new();
    let mut g = logged(log.clone());
    g.resume(());
    g.resume(());
    g.close();
    assert_eq!(log.events(), ["drop b", "drop a"]);
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(g.try_resume(()), Err(ResumeError::Closed));
    drop(g);
    assert_eq!(log.events().len(), 2);
}

#[test]
fn a_panic_in_the_body_closes_the_generator() {
    let log = Log::new();
    let mut g = logged(log.clone());
    g.resume(());
    g.resume(());
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(()))).unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"boom"));
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(log.events(), ["drop b", "drop a"]);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(()))).unwrap_err();
    assert_eq!(
        err.downcast_ref::<&str>(),
        Some(&"coroutine resumed after completion")
    );
}

#[test]
fn iteration_keeps_the_return_value() {
    let mut g = fib(4);
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [0, 1, 1, 2, 3]);
    assert_eq!(g.next(), None);
    assert_eq!(g.take_return(), Some("done"));
}
