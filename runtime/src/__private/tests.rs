//! The wrapper driven by hand-written frames of exactly the shape the macro emits: a generic
//! frame enum, a non-capturing step closure and a describe closure.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::ResumeError;

/// A value that logs its drop, to count and order destructor runs.
#[derive(Debug, Clone)]
struct Noisy(&'static str, Rc<RefCell<Vec<&'static str>>>);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.1.borrow_mut().push(self.0);
    }
}

// The user would write:
//
//     #[corio::coroutine(yield = u32)]
//     fn count(n: u32, a: Noisy, b: Noisy) -> &'static str {
//         let mut i = 0;
//         while i < n { yield_!(i); i += 1; }
//         if n == 99 { panic!("boom") }
//         drop(a); "done"
//     }
//
// `b` is kept to the end of the body, as if it were `_b`: it is live at the yield.
#[derive(Clone)]
enum CountFrame<N, A, B, I, R> {
    Start { b: B, a: A, n: N },
    Point0 { i: I, b: B, a: A, n: N },
    Running,
    Done(Option<R>),
}

impl<N, A, B, I, R> Frame for CountFrame<N, A, B, I, R> {
    const NAME: &'static str = "tests::count";
    type Return = R;
    fn status(&self) -> Status {
        match self {
            Self::Start { .. } => Status::Created,
            Self::Running => Status::Running,
            Self::Done(_) => Status::Closed,
            _ => Status::Suspended,
        }
    }
    fn done(ret: Option<R>) -> Self {
        Self::Done(ret)
    }
    fn take_return(&mut self) -> Option<R> {
        match self {
            Self::Done(r) => r.take(),
            _ => None,
        }
    }
}

static POINT0: SuspendPoint = SuspendPoint {
    index: 0,
    kind: PointKind::Yield,
    file: file!(),
    line: 14,
    column: 29,
    source: "yield_!(i)",
};

fn count(
    n: u32,
    a: Noisy,
    b: Noisy,
) -> impl Coroutine<Yield = u32, Return = &'static str>
+ Inspect
+ Iterator<Item = u32>
+ Clone
+ core::fmt::Debug {
    generator(
        CountFrame::Start { b, a, n },
        |frame, _arg: ()| {
            let mut state = core::mem::replace(frame, CountFrame::Running);
            loop {
                match state {
                    CountFrame::Start { b, a, n } => {
                        let i = 0;
                        if i < n {
                            *frame = CountFrame::Point0 { i, b, a, n };
                            return Step::some(CoroutineState::Yielded(i));
                        }
                        state = CountFrame::Point0 { i, b, a, n };
                    }
                    CountFrame::Point0 { mut i, b, a, n } => {
                        i += 1;
                        if i < n {
                            *frame = CountFrame::Point0 { i, b, a, n };
                            return Step::some(CoroutineState::Yielded(i));
                        }
                        if n == 99 {
                            panic!("boom");
                        }
                        drop(a);
                        drop(b);
                        *frame = CountFrame::Done(None);
                        return Step::some(CoroutineState::Complete("done"));
                    }
                    CountFrame::Running | CountFrame::Done(_) => {
                        *frame = state;
                        return Step(None);
                    }
                }
            }
        },
        |frame, out| match frame {
            CountFrame::Point0 { i, b, a, n } => {
                out("n", (&&Probe(n)).__corio_debug());
                out("a", (&&Probe(a)).__corio_debug());
                out("b", (&&Probe(b)).__corio_debug());
                out("i", (&&Probe(i)).__corio_debug());
                Described::at(&POINT0)
            }
            _ => Described::NONE,
        },
    )
}

fn log() -> Rc<RefCell<Vec<&'static str>>> {
    Rc::default()
}

#[test]
fn status_moves_created_suspended_closed() {
    let l = log();
    let mut g = count(2, Noisy("a", l.clone()), Noisy("b", l.clone()));
    assert_eq!(g.status(), Status::Created);
    assert_eq!(g.suspended_at(), None);
    assert_eq!(g.resume(()), CoroutineState::Yielded(0));
    assert_eq!(g.status(), Status::Suspended);
    assert_eq!(g.suspended_at(), Some(&POINT0));
    assert!(core::ptr::eq(g.suspended_at().unwrap(), &POINT0));
    assert_eq!(g.resume(()), CoroutineState::Yielded(1));
    assert_eq!(g.resume(()), CoroutineState::Complete("done"));
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(g.suspended_at(), None);
    assert!(g.locals().is_empty());
    assert_eq!(*l.borrow(), ["a", "b"]);
    assert_eq!(g.name(), "tests::count");
}

#[test]
fn locals_render_debug_in_declaration_order() {
    let l = log();
    let mut g = count(3, Noisy("a", l.clone()), Noisy("b", l.clone()));
    g.resume(());
    g.resume(());
    let locals = g.locals();
    let names: Vec<_> = locals.iter().map(|l| l.name).collect();
    assert_eq!(names, ["n", "a", "b", "i"]);
    assert_eq!(locals[0].value, "3");
    assert_eq!(locals[3].value, "1");
    assert!(locals[1].value.starts_with("Noisy(\"a\""));
}

#[test]
fn debug_names_status_point_and_locals() {
    let l = log();
    let mut g = count(3, Noisy("a", l.clone()), Noisy("b", l.clone()));
    assert_eq!(format!("{g:?}"), "tests::count (GEN_CREATED)");
    g.resume(());
    let text = format!("{g:?}");
    assert!(
        text.starts_with("tests::count (GEN_SUSPENDED at runtime/src/__private/tests.rs:14:29 `yield_!(i)`, n = 3, a = Noisy("),
        "{text}"
    );
    assert!(text.ends_with(", i = 0)"), "{text}");
}

#[test]
fn resume_after_completion_panics() {
    let l = log();
    let mut g = count(0, Noisy("a", l.clone()), Noisy("b", l.clone()));
    assert_eq!(g.resume(()), CoroutineState::Complete("done"));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(())))
        .expect_err("must panic");
    assert_eq!(
        err.downcast_ref::<&str>(),
        Some(&"coroutine resumed after completion")
    );
}

#[test]
fn try_resume_reports_closed() {
    let l = log();
    let mut g = count(1, Noisy("a", l.clone()), Noisy("b", l.clone()));
    assert_eq!(g.try_resume(()), Ok(CoroutineState::Yielded(0)));
    assert_eq!(g.try_resume(()), Ok(CoroutineState::Complete("done")));
    assert_eq!(g.try_resume(()), Err(ResumeError::Closed));
    assert_eq!(
        ResumeError::Closed.to_string(),
        "coroutine resumed after completion"
    );
}

#[test]
fn panic_in_body_closes_and_drops_locals_once() {
    let l = log();
    let mut g = count(99, Noisy("a", l.clone()), Noisy("b", l.clone()));
    for i in 0..99 {
        assert_eq!(g.resume(()), CoroutineState::Yielded(i));
    }
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.resume(())));
    assert!(r.is_err());
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(
        l.borrow().len(),
        2,
        "each local dropped once: {:?}",
        l.borrow()
    );
    assert_eq!(g.try_resume(()), Err(ResumeError::Closed));
    drop(g);
    assert_eq!(l.borrow().len(), 2);
}

#[test]
fn drop_while_suspended_drops_live_locals_once_in_reverse_order() {
    let l = log();
    let mut g = count(5, Noisy("a", l.clone()), Noisy("b", l.clone()));
    g.resume(());
    assert!(l.borrow().is_empty());
    drop(g);
    // Declared n, a, b, i: dropped b then a.
    assert_eq!(*l.borrow(), ["b", "a"]);
}

#[test]
fn close_drops_locals_and_closes() {
    let l = log();
    let mut g = count(5, Noisy("a", l.clone()), Noisy("b", l.clone()));
    g.resume(());
    g.close();
    assert_eq!(*l.borrow(), ["b", "a"]);
    assert_eq!(g.status(), Status::Closed);
    g.close();
    drop(g);
    assert_eq!(l.borrow().len(), 2);
}

#[test]
fn close_before_start_drops_arguments() {
    let l = log();
    let mut g = count(5, Noisy("a", l.clone()), Noisy("b", l.clone()));
    g.close();
    assert_eq!(*l.borrow(), ["b", "a"]);
    assert_eq!(g.next(), None);
}

#[test]
fn clones_are_independent() {
    let l = log();
    let mut g = count(4, Noisy("a", l.clone()), Noisy("b", l.clone()));
    g.resume(());
    let mut h = g.clone();
    assert_eq!(g.resume(()), CoroutineState::Yielded(1));
    assert_eq!(g.resume(()), CoroutineState::Yielded(2));
    assert_eq!(h.resume(()), CoroutineState::Yielded(1));
    assert_eq!(h.locals()[3].value, "1");
    assert_eq!(g.locals()[3].value, "2");
    drop(g);
    assert_eq!(l.borrow().len(), 2);
    drop(h);
    assert_eq!(l.borrow().len(), 4);
}

#[test]
fn iterator_is_fused_and_keeps_the_return_value() {
    let l = log();
    let mut g = count(3, Noisy("a", l.clone()), Noisy("b", l.clone()));
    assert_eq!(g.by_ref().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(g.next(), None);
    assert_eq!(g.next(), None);
    assert_eq!(g.status(), Status::Closed);
    assert_eq!(g.take_return(), Some("done"));
    assert_eq!(g.take_return(), None);
}

#[test]
fn resume_hands_out_the_return_value_directly() {
    let l = log();
    let mut g = count(0, Noisy("a", l.clone()), Noisy("b", l.clone()));
    assert_eq!(g.resume(()), CoroutineState::Complete("done"));
    assert_eq!(g.take_return(), None);
}
