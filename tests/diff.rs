//! Differential testing of the `#[corio::coroutine]` transform against direct-style execution.
//!
//! `tests/build.rs` asks `corio-diffgen` (tests/diffgen) for random generator bodies and writes
//! each one twice into `$OUT_DIR/diff_cases.rs`: as a `#[corio::coroutine(yield = i64, resume =
//! i64)]` fn, and as a plain fn (the oracle) in which `yield_!(v)` is a call that records `v`
//! and returns the next scripted resume argument. Both run with the same script and log their
//! side effects (ticks, creations and drops of `N` values, yields) into one event list, which
//! [`support::check`] compares, for the full run and for the generator dropped after k resumes.
//!
//! ```text
//! cargo test -p corio-tests diff::                                   # the CI set: seed 0, 300 programs
//! CORIO_DIFF_CASES=1000 CORIO_DIFF_SEED=7 cargo test -p corio-tests diff::   # more, another seed
//! cargo test -p corio-tests diff::case_042                           # one program
//! cargo run -p corio-diffgen -- --seed 7 --case 42                   # print it (to minimise it)
//! ```
//!
//! What is compared, per run (see DESIGN.md, "Rules the pass follows"):
//!
//! * the yielded values, the return value, and every other side effect in order (ticks,
//!   creations of `N`s, yields): the coroutine evaluates exactly what the plain fn evaluates;
//! * every `N` is dropped exactly once;
//! * drop *timing*: a binding is dropped at the first suspension point after its last use, so
//!   the coroutine may drop a value earlier than the plain fn, never later: each drop happens
//!   after no more yields than in the plain fn. `_`-prefixed bindings (`ctx.guard(..)`) are
//!   kept to the end of their block, as in Rust: the same number of yields precede their drop;
//! * dropped after k resumes (the plain fn unwinds from its k-th `yield_!`): the same values
//!   are dropped, and what the suspended generator still holds is dropped in the order the
//!   plain fn's unwinding drops it (reverse order of declaration).

#[allow(warnings, clippy::all, unreachable_pub)]
mod cases {
    use super::support;
    include!(concat!(env!("OUT_DIR"), "/diff_cases.rs"));
}

pub(crate) mod support;

/// One hand-written program in both forms, checked like the generated ones (`regressions.rs`):
///
/// ```text
/// diff_case! {
///     #[corio::coroutine(yield = i64, resume = i64)]
///     fn name(ctx: Ctx, p: i64) -> Result<i64, i64> { body }
///     p = 3, salt = 1
/// }
/// ```
///
/// The attribute and the parameters are written by the caller, so that the body's identifiers
/// and the expansion's share the caller's hygiene.
macro_rules! diff_case {
    (
        $hash:tt $attr:tt
        fn $name:ident($ctx:ident: Ctx, $p:ident: i64) -> Result<i64, i64> $body:block
        p = $pv:expr, salt = $salt:expr
    ) => {
        #[allow(unused, clippy::all)]
        mod $name {
            use $crate::diff::support::*;
            $hash $attr
            fn coro($ctx: Ctx, $p: i64) -> Result<i64, i64> $body
            mod plain {
                use $crate::diff::support::*;
                macro_rules! yield_ {
                    ($e:expr) => {
                        oracle_yield($e)
                    };
                }
                pub(super) fn run($ctx: Ctx, $p: i64) -> Result<i64, i64> $body
            }
            fn drive_coro(ctx: Ctx, p: i64, stop: Option<usize>, salt: u64) -> Outcome {
                drive(coro(ctx.clone(), p), &ctx, stop, salt)
            }
            #[test]
            fn $name() {
                let case = Case { seed: 0, index: 0, p: $pv, salt: $salt };
                check(&case, plain::run, drive_coro);
            }
        }
    };
}
pub(crate) use diff_case;
