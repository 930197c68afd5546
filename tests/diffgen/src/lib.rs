//! Random `#[corio::coroutine]` generator and `async fn` bodies for differential testing.
//!
//! [`program`] writes one body, deterministically from `(seed, index)`, over a small
//! language: `let`s with shadowing (often of a visible binding) and tuple patterns; `i64`,
//! `String`, `Vec<i64>`, `(i64, i64)` (field places), `N` (a value whose `Drop` logs an
//! event), `Vec<N>`, `move` closures, nested `fn` items and `_`-prefixed guard locals;
//! `if`/`else`, `if let` and let chains; `match` on integers with guards and or-patterns, and
//! on `Option`s; `matches!` with a pattern binding and a guard; `let … else`; `loop`/`while`/`while let`/`for` with labels, fuel counters,
//! `break` (with a value) and `continue`; labeled blocks; early `return`; `?` on `Result`
//! (also inside `vec!`/`format!`); deferred initialisation; blocks, `if`s, `match`es and
//! `loop`s used as values; moves (`drop`, `let m = n`, by-value calls, `for` over a `Vec`);
//! and `yield_!` in statement position and inside expressions (call and method arguments,
//! binary operators, conditions, scrutinees, iterables, ranges, array and tuple elements,
//! `break`/`return` values, nested `yield_!`s), whose resume arguments flow into the
//! arithmetic. Operands that assign a place read by an earlier operand (`add3(x, { x = …; x
//! }, yield_!(…))`) check the evaluation order.
//!
//! [`async_program`] writes an `async fn` body over the same language in which every
//! suspension point is an `.await` instead: on `ctx.ready(v)` (ready when first polled),
//! `ctx.pending(k, v)` (`Pending` k times, waking the task in a scripted way),
//! `ctx.later(k, v)` (the same, with an `N` as its output), `std::future::ready(v)` and
//! `Box::pin(…)`; on `nestedK(ctx.clone(), v).await?` (0–2 smaller `async fn`s of the
//! program, which may await the ones before them); on `async move` blocks (which rustc lowers
//! and corio boxes); and on futures bound to a local earlier (`let f = ctx.pending(k, v);` …
//! `f.await`, or moved, or dropped unawaited).
//!
//! Every program is valid Rust both as a `#[corio::coroutine]` fn and as the oracle: a plain
//! fn in which `yield_!` is an ordinary function call, or a plain `async fn` that rustc
//! lowers. Every program terminates deterministically: every loop is bounded, and arithmetic
//! is wrapping or on masked operands. What the generator avoids because corio rejects it by
//! design (see DESIGN.md): a suspension point in a match guard, in another macro's arguments,
//! in a closure or in the `else` of a `let … else`; borrows of the coroutine's own locals held
//! across a suspension point; moving a `_`-prefixed binding. And what rustc rejects in both
//! forms: mutating or moving the receiver of a method call inside its arguments
//! (`w.get({ w.push(1); 0 })`, E0502).
//!
//! The program's environment (provided by the test crate): `ctx: Ctx` (the event log:
//! `ctx.noisy(v)`, `ctx.guard(v)`, `ctx.tick(v)`, `ctx.consume(n)`, and the scripted futures
//! `ctx.ready(v)` and `ctx.pending(k, v)`), `p: i64` (`z` in a nested async fn), the helpers
//! `add3`, `mix`, `chk` and the type `N` (`n.val()`).

use std::collections::HashSet;
use std::fmt::Write as _;

mod forms;

/// splitmix64: small, fast and good enough to pick program shapes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
}

/// The splitmix64 finaliser.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of program `index` of the set `seed`.
pub fn case_seed(seed: u64, index: usize) -> u64 {
    mix64(seed ^ mix64(index as u64 ^ 0x00C0_0210_D1FF_0000))
}

/// One generated program.
#[derive(Debug, Clone)]
pub struct Program {
    /// The body, braces included, the same text for both forms.
    pub body: String,
    /// The value of the argument `p`.
    pub p: i64,
    /// Seeds the scripted resume arguments.
    pub salt: u64,
    /// How many `yield_!`s the text contains.
    pub yields: usize,
    /// How the coroutine is declared and called.
    pub sig: Sig,
    /// Whether `yield_!` evaluates to a resume argument (`resume = i64`) or to `()`.
    pub resume: bool,
}

/// The signature of a program and whether its generator takes resume values, from a sequence
/// of their own (so that a program's body does not depend on the features that pick them).
fn pick_sig(s: u64, features: Features) -> (Sig, bool) {
    let mut rng = Rng::new(s ^ 0x5167_5167_0000_0001);
    let sig = if features.has("generics") && rng.chance(40) {
        Sig::ALL[1 + rng.below(Sig::ALL.len() - 1)]
    } else {
        Sig::Plain
    };
    let resume = !(features.has("no_resume") && rng.chance(25));
    (sig, resume)
}

/// Program `index` of the set `seed`, in the CI's language ([`Features::ci`]).
pub fn program(seed: u64, index: usize) -> Program {
    program_with(seed, index, Features::ci())
}

/// Program `index` of the set `seed`, using the forms `features` enables.
pub fn program_with(seed: u64, index: usize, features: Features) -> Program {
    let s = case_seed(seed, index);
    let (sig, resume) = pick_sig(s, features);
    let mut g = Gen::new(s, Mode::Generator, features);
    g.sig = sig;
    g.resume = resume;
    let p = g.rng.range(-20, 40);
    let salt = g.rng.next_u64();
    g.budget = g.main_budget();
    let body = g.body();
    Program {
        body,
        p,
        salt,
        yields: g.yields,
        sig,
        resume,
    }
}

/// One generated async program: a body that awaits, and the `async fn`s it may await.
#[derive(Debug, Clone)]
pub struct AsyncProgram {
    /// The bodies of `nested1`, `nested2`, … (`async fn nestedK(ctx: Ctx, z: i64) ->
    /// Result<i64, i64>`), in order; `nestedK` may await the ones before it.
    pub nested: Vec<String>,
    /// The body of the program, braces included, the same text for both forms.
    pub body: String,
    /// The value of the argument `p`.
    pub p: i64,
    /// Seeds the outputs of the awaited futures and how they wake.
    pub salt: u64,
    /// How many `.await`s the text contains (nested fns included).
    pub awaits: usize,
    /// How the program's `async fn` is declared and called.
    pub sig: Sig,
}

/// Async program `index` of the set `seed` (a sequence of its own: the generator program
/// with the same index is unrelated), in the CI's language ([`Features::ci`]).
pub fn async_program(seed: u64, index: usize) -> AsyncProgram {
    async_program_with(seed, index, Features::ci())
}

/// Async program `index` of the set `seed`, using the forms `features` enables.
pub fn async_program_with(seed: u64, index: usize, features: Features) -> AsyncProgram {
    let s = case_seed(seed ^ 0xA5A5_0000_A5A5_0000, index);
    let (sig, _) = pick_sig(s, features);
    let mut rng = Rng::new(s);
    let p = rng.range(-20, 40);
    let salt = rng.next_u64();
    let count = match rng.below(10) {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let mut awaits = 0;
    let mut nested = Vec::new();
    for k in 0..count {
        let mut g = Gen::new(rng.next_u64(), Mode::Async { nested: k }, features);
        g.param = "z";
        g.budget = g.rng.range(2, 12) as usize;
        nested.push(g.body());
        awaits += g.yields;
    }
    let mut g = Gen::new(rng.next_u64(), Mode::Async { nested: count }, features);
    g.sig = sig;
    g.budget = g.main_budget();
    let body = g.body();
    awaits += g.yields;
    AsyncProgram {
        nested,
        body,
        p,
        salt,
        awaits,
        sig,
    }
}

/// The forms the generator may write beyond the CI's language, each a name for
/// [`Features::parse`] (`corio-diffrun --features`), with what it adds.
pub const FEATURES: &[(&str, &str)] = &[
    (
        "bare_arms",
        "match arms that are bare expressions (calls, method calls, assignments, compound \
         assignments, break, continue, return, macros, unreachable panic!) next to arms that \
         suspend",
    ),
    (
        "deferred",
        "`let x: i64; let y;` declared before a suspension point and assigned after it",
    ),
    (
        "diverging_tail",
        "a body or block whose last statement diverges (return, panic!/unreachable! behind a \
         condition, loop without break) after a suspension point",
    ),
    (
        "generics",
        "generic coroutines (bounds, where clauses, const generics, impl Trait arguments) and \
         methods (&self, &mut self, self)",
    ),
    (
        "let_else_suspend",
        "a suspension point in the `else` of a `let … else`",
    ),
    (
        "typed_by_break",
        "labeled blocks whose type comes from `break 'l Some(..)` and a `None` tail",
    ),
    (
        "borrow_call",
        "borrows that end before a suspension point: `let k = f(&x);` (owned result) kept \
         across it, and references to outside data (statics, `&'a [i64]` arguments) kept \
         across it",
    ),
    (
        "patterns",
        "match on enums, structs, tuples and arrays: struct/tuple-struct/enum patterns, \
         `x @ pat`, ranges, or-patterns, slice patterns `[a, .., z]`; `if let … else if let \
         … else`; let chains of several `let`s",
    ),
    (
        "exprs",
        "struct literals with `..base`, `[x; n]`, ranges, casts, unary minus, indexing, \
         closures borrowing locals (called before the next suspension point), move closures \
         called after one, diverging expressions as operands, suspension points in more \
         operand positions",
    ),
    (
        "no_resume",
        "generators without resume values (`yield = i64` only: `yield_!` is `()`)",
    ),
    (
        "rules",
        "programs where a documented rule applies (a borrow of a local or a closure borrowing \
         one held across a suspension point, a partial move before one): corio's spanned \
         error or rustc's partial-move error is the expected outcome",
    ),
    (
        "borrow_branch",
        "a value construct (`if`, `match`, `let … else`) that suspends in one branch while \
         another branch's value, or the let-else pattern's bindings, borrow a local (F-diag-2), \
         used before the next suspension point",
    ),
    (
        "deferred_borrow",
        "with `borrow_branch`, the construct may instead assign a deferred `let b;` (declared \
         first, maybe before a suspension point) in each branch (F-diag-2d); off, the programs \
         are those of the generator before it",
    ),
];

/// A set of [`FEATURES`]: which forms a program may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Features(u64);

impl Features {
    /// The language of the CI slice: the forms that corio compiles today.
    pub fn ci() -> Self {
        Features(0)
    }

    /// Every form the generator knows.
    pub fn all() -> Self {
        Features((1u64 << FEATURES.len()) - 1)
    }

    /// `all`, `ci`, or `ci`/`all` followed by `,+name` / `,-name` / `,name` items.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Features::ci();
        for (i, item) in list.split(',').map(str::trim).enumerate() {
            match item {
                "all" if i == 0 => out = Features::all(),
                "ci" | "" if i == 0 => {}
                _ => {
                    let (add, name) = match item.strip_prefix('-') {
                        Some(n) => (false, n),
                        None => (true, item.trim_start_matches('+')),
                    };
                    let bit = Self::bit(name).ok_or_else(|| {
                        let names: Vec<&str> = FEATURES.iter().map(|f| f.0).collect();
                        format!("unknown feature `{name}`; known: {}", names.join(", "))
                    })?;
                    if add {
                        out.0 |= bit;
                    } else {
                        out.0 &= !bit;
                    }
                }
            }
        }
        Ok(out)
    }

    fn bit(name: &str) -> Option<u64> {
        FEATURES.iter().position(|f| f.0 == name).map(|i| 1 << i)
    }

    /// Whether the form `name` (one of [`FEATURES`]) is enabled.
    pub fn has(self, name: &str) -> bool {
        let bit = Self::bit(name).unwrap_or_else(|| panic!("no feature named {name}"));
        self.0 & bit != 0
    }

    /// The test's `label_features("…");` call, or nothing for the CI language.
    fn label_call(self) -> String {
        if self == Features::ci() {
            String::new()
        } else {
            format!("label_features(\"{}\");\n", self.names())
        }
    }

    /// The names of the enabled forms, comma-separated (`ci` when none is).
    pub fn names(self) -> String {
        let names: Vec<&str> = FEATURES
            .iter()
            .filter(|f| self.has(f.0))
            .map(|f| f.0)
            .collect();
        if names.is_empty() {
            "ci".into()
        } else {
            names.join(",")
        }
    }
}

/// How the coroutine of a program is declared and called: the body may use what the
/// signature provides (`f`, `tw`, `K`, `data`, `self.k`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Sig {
    /// `fn coro(ctx: Ctx, p: i64) -> Result<i64, i64>`.
    Plain,
    /// `fn coro<F: Fn(i64) -> i64>(…, f: F)`, called with a closure (a generic parameter
    /// without an `Unpin` bound).
    Generic,
    /// `fn coro<T>(…, tw: T) where T: Copy + Into<i64>`, called with an `i32`.
    Where,
    /// `fn coro<const K: usize>(…)`, called as `coro::<3>`.
    Const,
    /// `fn coro(…, f: impl Fn(i64) -> i64)`.
    ImplTrait,
    /// `fn coro<'a>(…, data: &'a [i64])`, called with `&TABLE`: references to outside data.
    OutsideRef,
    /// `fn coro(&self, …)` on `S { k: i64 }`.
    RefSelf,
    /// `fn coro(&mut self, …)`.
    MutSelf,
    /// `fn coro(mut self, …)`.
    OwnedSelf,
}

impl Sig {
    const ALL: [Sig; 9] = [
        Sig::Plain,
        Sig::Generic,
        Sig::Where,
        Sig::Const,
        Sig::ImplTrait,
        Sig::OutsideRef,
        Sig::RefSelf,
        Sig::MutSelf,
        Sig::OwnedSelf,
    ];

    fn is_method(self) -> bool {
        matches!(self, Sig::RefSelf | Sig::MutSelf | Sig::OwnedSelf)
    }

    /// The generics, the parameters after `p`, and the where clause, for fn `name`.
    fn parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        // (generics, receiver, extra params, where)
        match self {
            Sig::Plain => ("", "", "", ""),
            Sig::Generic => ("<F: Fn(i64) -> i64>", "", ", f: F", ""),
            Sig::Where => ("<T>", "", ", tw: T", " where T: Copy + Into<i64>"),
            Sig::Const => ("<const K: usize>", "", "", ""),
            Sig::ImplTrait => ("", "", ", f: impl Fn(i64) -> i64", ""),
            Sig::OutsideRef => ("<'a>", "", ", data: &'a [i64]", ""),
            Sig::RefSelf => ("", "&self, ", "", ""),
            Sig::MutSelf => ("", "&mut self, ", "", ""),
            Sig::OwnedSelf => ("", "mut self, ", "", ""),
        }
    }

    /// `fn name…(…) -> Result<i64, i64> where …` (without `async`).
    fn header(self, name: &str) -> String {
        let (generics, recv, extra, wh) = self.parts();
        format!("fn {name}{generics}({recv}ctx: Ctx, p: i64{extra}) -> Result<i64, i64>{wh}")
    }

    /// A call of fn `name` with `ctx` and `p` in scope (`s` a local `S` for methods).
    fn call(self, name: &str) -> String {
        match self {
            Sig::Plain => format!("{name}(ctx.clone(), p)"),
            Sig::Generic | Sig::ImplTrait => {
                format!("{name}(ctx.clone(), p, |z: i64| z.wrapping_mul(3) ^ 5i64)")
            }
            Sig::Where => format!("{name}(ctx.clone(), p, 7i32)"),
            Sig::Const => format!("{name}::<3>(ctx.clone(), p)"),
            Sig::OutsideRef => format!("{name}(ctx.clone(), p, &TABLE[..])"),
            Sig::RefSelf | Sig::MutSelf | Sig::OwnedSelf => format!("s.{name}(ctx.clone(), p)"),
        }
    }
}

/// The Rust source of programs `first..first + cases` of the set `seed`, for `include!` into
/// the test crate's `diff` module (which provides `Ctx`, `N`, `check` … as described in
/// [`case_source`]).
pub fn cases_file(seed: u64, first: usize, cases: usize) -> String {
    cases_file_with(seed, first, cases, Features::ci(), "case")
}

/// [`cases_file`] for programs using the forms `features` enables, named `{prefix}_N`.
pub fn cases_file_with(
    seed: u64,
    first: usize,
    cases: usize,
    features: Features,
    prefix: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by corio-diffgen: seed {seed}, programs {first}..{}, features {}. One program:\n\
         //   cargo run -p corio-diffgen -- --features {} --seed {seed} --case <index>\n",
        first + cases,
        features.names(),
        features.names()
    );
    // The width of the largest index of the set, so that a program keeps its name when only a
    // part of the set is generated.
    let width = (first + cases).saturating_sub(1).to_string().len().max(3);
    for index in first..first + cases {
        let name = format!("{prefix}_{index:0width$}");
        out.push_str(&case_source_with(&name, seed, index, features));
    }
    out
}

/// The Rust source of async programs `first..first + cases` of the set `seed`, like
/// [`cases_file`] (see [`async_case_source`]).
pub fn async_cases_file(seed: u64, first: usize, cases: usize) -> String {
    async_cases_file_with(seed, first, cases, Features::ci(), "async_case")
}

/// [`async_cases_file`] for programs using the forms `features` enables, named `{prefix}_N`.
pub fn async_cases_file_with(
    seed: u64,
    first: usize,
    cases: usize,
    features: Features,
    prefix: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by corio-diffgen: seed {seed}, async programs {first}..{}, features {}. \
         One program:\n//   cargo run -p corio-diffgen -- --async --features {} --seed {seed} --case <index>\n",
        first + cases,
        features.names(),
        features.names()
    );
    let width = (first + cases).saturating_sub(1).to_string().len().max(3);
    for index in first..first + cases {
        let name = format!("{prefix}_{index:0width$}");
        out.push_str(&async_case_source_with(&name, seed, index, features));
    }
    out
}

/// The struct of method programs, and the impl blocks of the coroutine and of the oracle.
fn method_items(sig: Sig) -> &'static str {
    if sig.is_method() {
        "struct S { k: i64 }\n"
    } else {
        ""
    }
}

/// `#[corio::coroutine…] [async] fn coro… {body}` for `sig`, as an item or inside `impl S`.
fn coro_item(attr: &str, asyncness: &str, sig: Sig, body: &str) -> String {
    let item = format!("{attr}\n{asyncness}{} {body}\n", sig.header("coro"));
    if sig.is_method() {
        format!("impl S {{\n{item}}}\n")
    } else {
        item
    }
}

/// The oracle: `pub(super) [async] fn run(ctx: Ctx, p: i64)`, calling the body as `run_body`
/// (a method of `S`, or a fn with `sig`'s signature) when `sig` is not `Plain`.
fn plain_items(asyncness: &str, sig: Sig, body: &str) -> String {
    let run = "pub(super) ";
    if sig == Sig::Plain {
        return format!("{run}{asyncness}{} {body}\n", sig.header("run"));
    }
    let aw = if asyncness.is_empty() { "" } else { ".await" };
    let setup = match sig {
        Sig::RefSelf => "let s = super::S { k: 3 };",
        Sig::MutSelf | Sig::OwnedSelf => "let mut s = super::S { k: 3 };",
        _ => "",
    };
    let inner = if sig.is_method() {
        format!(
            "impl super::S {{\n{asyncness}{} {body}\n}}\n",
            sig.header("run_body")
        )
    } else {
        format!("{asyncness}{} {body}\n", sig.header("run_body"))
    };
    format!(
        "{inner}{run}{asyncness}fn run(ctx: Ctx, p: i64) -> Result<i64, i64> {{ {setup} {}{aw} }}\n",
        sig.call("run_body")
    )
}

/// One async program as a module `name`: the `#[corio::coroutine] async fn` form, the plain
/// `async fn` form (the oracle, lowered by rustc) and a `#[test]` that drives both with the
/// same scripted executor.
///
/// The generated code names `super::support::*`: `Ctx`, `N`, `add3`, `mix`, `chk`,
/// `drive_future`, `inspect_future`, `check_runs`, `Case` and `Outcome`.
pub fn async_case_source(name: &str, seed: u64, index: usize) -> String {
    async_case_source_with(name, seed, index, Features::ci())
}

/// [`async_case_source`] for a program using the forms `features` enables.
pub fn async_case_source_with(name: &str, seed: u64, index: usize, features: Features) -> String {
    let prog = async_program_with(seed, index, features);
    let feats = features.label_call();
    let body = &prog.body;
    let (p, salt, sig) = (prog.p, prog.salt, prog.sig);
    let mut coro_nested = String::new();
    let mut plain_nested = String::new();
    for (k, b) in prog.nested.iter().enumerate() {
        let k = k + 1;
        let _ = writeln!(
            coro_nested,
            "#[corio::coroutine]\nasync fn nested{k}(ctx: Ctx, z: i64) -> Result<i64, i64> {b}"
        );
        let _ = writeln!(
            plain_nested,
            "async fn nested{k}(ctx: Ctx, z: i64) -> Result<i64, i64> {b}"
        );
    }
    let items = method_items(sig);
    let coro = coro_item("#[corio::coroutine]", "async ", sig, body);
    let plain = plain_items("async ", sig, body);
    let setup = match sig {
        Sig::RefSelf => "let s = S { k: 3 }; ",
        Sig::MutSelf | Sig::OwnedSelf => "let mut s = S { k: 3 }; ",
        _ => "",
    };
    let call = sig
        .call("coro")
        .replace("(ctx.clone(), p", &format!("(ctx.clone(), {p}"));
    format!(
        "#[allow(warnings, clippy::all)]\n\
         mod {name} {{\n\
         use super::support::*;\n\
         {items}\
         {coro_nested}\
         {coro}\
         mod plain {{\n\
         use super::super::support::*;\n\
         {plain_nested}\
         {plain}\
         }}\n\
         #[test]\n\
         fn {name}() {{\n\
         {feats}let case = Case {{ program: Some(({seed}, {index})), is_async: true, p: {p}, salt: {salt} }};\n\
         check_runs(\n\
         &case,\n\
         |ctx, stop| drive_future(plain::run(ctx.clone(), {p}), ctx, stop, |_, _| {{}}),\n\
         |ctx, stop| {{ {setup}drive_future({call}, ctx, stop, inspect_future) }},\n\
         );\n\
         }}\n\
         }}\n"
    )
}

/// One program as a module `name` holding the coroutine form, the plain form and a `#[test]`.
///
/// The generated code names `super::support::*`: `Ctx`, `N`, `add3`, `mix`, `chk`,
/// `oracle_yield`, `drive`, `check`, `Case` and `Outcome`.
pub fn case_source(name: &str, seed: u64, index: usize) -> String {
    case_source_with(name, seed, index, Features::ci())
}

/// [`case_source`] for a program using the forms `features` enables.
pub fn case_source_with(name: &str, seed: u64, index: usize, features: Features) -> String {
    let prog = program_with(seed, index, features);
    let feats = features.label_call();
    let body = &prog.body;
    let (p, salt, sig) = (prog.p, prog.salt, prog.sig);
    let (attr, oracle, drive) = if prog.resume {
        (
            "#[corio::coroutine(yield = i64, resume = i64)]",
            "oracle_yield($e)",
            "drive",
        )
    } else {
        (
            "#[corio::coroutine(yield = i64)]",
            "{ oracle_yield($e); }",
            "drive_unit",
        )
    };
    let items = method_items(sig);
    let coro = coro_item(attr, "", sig, body);
    let plain = plain_items("", sig, body);
    let setup = match sig {
        Sig::RefSelf => "let s = S { k: 3 }; ",
        Sig::MutSelf | Sig::OwnedSelf => "let mut s = S { k: 3 }; ",
        _ => "",
    };
    let call = sig.call("coro");
    format!(
        "#[allow(warnings, clippy::all)]\n\
         mod {name} {{\n\
         use super::support::*;\n\
         {items}\
         {coro}\
         mod plain {{\n\
         use super::super::support::*;\n\
         macro_rules! yield_ {{ ($e:expr) => {{ {oracle} }}; }}\n\
         {plain}\
         }}\n\
         fn drive_coro(ctx: Ctx, p: i64, stop: Option<usize>, salt: u64) -> Outcome {{\n\
         {setup}{drive}({call}, &ctx, stop, salt)\n\
         }}\n\
         #[test]\n\
         fn {name}() {{\n\
         {feats}check(&Case {{ program: Some(({seed}, {index})), is_async: false, p: {p}, salt: {salt} }}, plain::run, drive_coro);\n\
         }}\n\
         }}\n"
    )
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Int,
    Str,
    Vec,
    Noisy,
    Guard,
    Bag,
    /// `(i64, i64)`: field places.
    Pair,
    /// `move |z: i64| …`: a closure local.
    Closure,
    /// `fn hN(z: i64) -> i64`: an item declared in the body.
    Func,
    /// An awaitable (`ctx.pending(k, v)`) bound to a local, awaited later (a move) or dropped.
    Fut,
    /// `&[i64]` borrowing data outside the coroutine (`&TABLE[..]`, `&data[1..]`): at least
    /// two elements.
    Slice,
    /// `Pt { x, y }` (`Copy`): fields, struct literals with `..base`, struct patterns.
    Point,
}

#[derive(Debug)]
struct Var {
    name: String,
    kind: Kind,
    mutable: bool,
    /// How many loops enclose the declaration: a value can only be moved at the same depth.
    loop_depth: usize,
    moved: bool,
    /// How many enclosing method calls borrow it as their receiver while their arguments are
    /// generated (`w.get(…)`, `w.push(…)`): rustc rejects a mutation or a move of `w` in them
    /// (E0502/E0505; a two-phase borrow allows only reads), so it may not be assigned,
    /// mutated or moved there.
    borrowed: usize,
}

#[derive(Debug)]
struct Breakable {
    label: Option<String>,
    is_loop: bool,
    /// `break` needs a value (a `loop` or labeled block used as a value).
    value: bool,
    /// The value of a `break` is `Some(..)` (a labeled block typed by its breaks).
    wrap: bool,
}

const NAMES: &[&str] = &[
    "a", "b", "c", "d", "s", "t", "v", "w", "n", "m", "x", "y", "q",
];
const GUARDS: &[&str] = &["_g", "_h", "_guard"];

/// Expression context: what a sub-expression may contain.
#[derive(Clone, Copy)]
struct Cx {
    /// `yield_!` allowed (not in a guard, a closure or another macro's arguments).
    y: bool,
    /// Moves allowed (not in a match guard).
    mv: bool,
}

const YES: Cx = Cx { y: true, mv: true };
const PURE: Cx = Cx {
    y: false,
    mv: false,
};

/// What a suspension point is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `yield_!(v)`, in a `#[corio::coroutine(yield = i64, resume = i64)]` fn.
    Generator,
    /// `.await` on a scripted future, in an `async fn` that may await `nested1` … `nested{n}`.
    Async { nested: usize },
}

struct Gen {
    rng: Rng,
    mode: Mode,
    /// The `i64` parameter: `p`, or `z` in a nested async fn.
    param: &'static str,
    vars: Vec<Var>,
    scopes: Vec<Vec<usize>>,
    breakables: Vec<Breakable>,
    loop_depth: usize,
    depth: usize,
    budget: usize,
    counter: usize,
    yields: usize,
    /// The forms this program may use.
    feat: Features,
    /// The coroutine's signature: what the body may use besides `ctx` and `p`.
    sig: Sig,
    /// `yield_!` evaluates to the resume argument (else to `()`).
    resume: bool,
    /// A `rules` statement was written (at most one per program).
    ruled: bool,
}

impl Gen {
    fn new(seed: u64, mode: Mode, feat: Features) -> Self {
        Gen {
            rng: Rng::new(seed),
            mode,
            feat,
            sig: Sig::Plain,
            resume: true,
            ruled: false,
            param: "p",
            vars: Vec::new(),
            scopes: vec![Vec::new()],
            breakables: Vec::new(),
            loop_depth: 0,
            depth: 0,
            budget: 0,
            counter: 0,
            yields: 0,
        }
    }

    /// The number of statements of a program's body.
    fn main_budget(&mut self) -> usize {
        (match self.rng.below(10) {
            0..=2 => self.rng.range(4, 15),
            3..=7 => self.rng.range(15, 40),
            _ => self.rng.range(40, 60),
        }) as usize
    }

    fn next_id(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    // ----- environment -------------------------------------------------------------------

    fn declare(&mut self, name: &str, kind: Kind, mutable: bool) {
        self.vars.push(Var {
            name: name.to_string(),
            kind,
            mutable,
            loop_depth: self.loop_depth,
            moved: false,
            borrowed: 0,
        });
        let id = self.vars.len() - 1;
        self.scopes.last_mut().unwrap().push(id);
    }

    fn push_scope(&mut self) {
        self.scopes.push(Vec::new());
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// The binding each name refers to here.
    fn visible(&self) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for scope in self.scopes.iter().rev() {
            for &id in scope.iter().rev() {
                if seen.insert(self.vars[id].name.clone()) {
                    out.push(id);
                }
            }
        }
        out
    }

    fn pick(&mut self, pred: impl Fn(&Var) -> bool) -> Option<usize> {
        let found: Vec<usize> = self
            .visible()
            .into_iter()
            .filter(|&id| !self.vars[id].moved && pred(&self.vars[id]))
            .collect();
        if found.is_empty() {
            None
        } else {
            Some(found[self.rng.below(found.len())])
        }
    }

    fn pick_kind(&mut self, kind: Kind) -> Option<String> {
        self.pick(|v| v.kind == kind)
            .map(|id| self.vars[id].name.clone())
    }

    fn pick_mut(&mut self, kind: Kind) -> Option<String> {
        self.pick_place(|v| v.kind == kind)
            .map(|id| self.vars[id].name.clone())
    }

    /// A `mut` binding that may be assigned or mutated here (not a borrowed receiver).
    fn pick_place(&mut self, pred: impl Fn(&Var) -> bool) -> Option<usize> {
        self.pick(|v| v.mutable && v.borrowed == 0 && pred(v))
    }

    /// Generates `f` (the arguments of a method call on `id`) with `id` borrowed.
    fn borrowing<T>(&mut self, id: usize, f: impl FnOnce(&mut Self) -> T) -> T {
        self.vars[id].borrowed += 1;
        let out = f(self);
        self.vars[id].borrowed -= 1;
        out
    }

    /// A binding that may be moved here; marks it moved.
    fn take(&mut self, kinds: &[Kind], cx: Cx) -> Option<String> {
        if !cx.mv {
            return None;
        }
        let depth = self.loop_depth;
        let id =
            self.pick(|v| kinds.contains(&v.kind) && v.loop_depth == depth && v.borrowed == 0)?;
        self.vars[id].moved = true;
        Some(self.vars[id].name.clone())
    }

    /// A name for a new binding: often one that is visible, to shadow it.
    fn fresh_name(&mut self) -> String {
        if self.rng.chance(35) {
            let visible: Vec<usize> = self
                .visible()
                .into_iter()
                .filter(|&id| NAMES.contains(&self.vars[id].name.as_str()))
                .collect();
            if !visible.is_empty() {
                let id = visible[self.rng.below(visible.len())];
                return self.vars[id].name.clone();
            }
        }
        NAMES[self.rng.below(NAMES.len())].to_string()
    }

    fn moved_flags(&self) -> Vec<bool> {
        self.vars.iter().map(|v| v.moved).collect()
    }

    fn set_moved(&mut self, flags: &[bool]) {
        for (v, &m) in self.vars.iter_mut().zip(flags) {
            v.moved = m;
        }
    }

    /// Runs each branch from the same moved-state; afterwards a binding counts as moved when
    /// any branch moved it (a maybe-moved value cannot be used).
    fn branches<T>(&mut self, n: usize, mut f: impl FnMut(&mut Self, usize) -> T) -> Vec<T> {
        let before = self.moved_flags();
        let mut merged = before.clone();
        let mut out = Vec::new();
        for i in 0..n {
            self.set_moved(&before);
            out.push(f(self, i));
            for (m, v) in merged.iter_mut().zip(&self.vars) {
                *m |= v.moved;
            }
        }
        self.set_moved(&merged);
        out
    }

    // ----- expressions -------------------------------------------------------------------

    fn lit(&mut self) -> String {
        let v = match self.rng.below(10) {
            0..=5 => self.rng.range(0, 9),
            6..=7 => self.rng.range(-9, 20),
            8 => self.rng.range(100, 5000),
            _ => self.rng.range(-100_000, 100_000),
        };
        if v < 0 {
            format!("({v}i64)")
        } else {
            format!("{v}i64")
        }
    }

    fn yield_expr(&mut self, d: usize, cx: Cx) -> String {
        let inner = if self.rng.chance(60) {
            self.int_leaf(Cx { y: false, ..cx })
        } else {
            self.int(d + 1, cx)
        };
        self.suspend(inner, cx)
    }

    /// A suspension point whose operand is `inner` (already generated): `yield_!(inner)`,
    /// or in an async program an `.await` on a future of `inner` that is ready at once or
    /// pending a few times, a nested async fn, an async block, or a future bound earlier
    /// (then `inner` is evaluated first, as an operand).
    fn suspend(&mut self, inner: String, cx: Cx) -> String {
        self.yields += 1;
        let Mode::Async { nested } = self.mode else {
            if !self.resume {
                // `yield_!` is `()`: an operand that suspends, then is a literal.
                let k = self.rng.range(0, 9);
                return format!("{{ yield_!({inner}); {k}i64 }}");
            }
            return format!("yield_!({inner})");
        };
        loop {
            match self.rng.below(100) {
                0..=34 => {
                    let k = self.rng.range(1, 3);
                    return format!("ctx.pending({k}, {inner}).await");
                }
                35..=54 => return format!("ctx.ready({inner}).await"),
                55..=61 => return format!("std::future::ready({inner}).await"),
                62..=79 if nested > 0 => {
                    let k = self.rng.below(nested) + 1;
                    return format!("nested{k}(ctx.clone(), {inner}).await?");
                }
                80..=91 => {
                    if let Some(f) = self.take(&[Kind::Fut], cx) {
                        return format!("mix({inner}, {f}.await)");
                    }
                }
                // rustc lowers the block; corio boxes it (it is not `Unpin`). Only a copy of
                // a literal or an `i64` local moves into it (a `ctx.…` call would move `ctx`),
                // and a clone of `ctx` (shadowing it: no generated name is `ctx`) for a block
                // that awaits a scripted future itself.
                92..=94 if is_simple(&inner) => {
                    return format!("(async move {{ {inner} }}).await");
                }
                98..=99 => {
                    // A boxed future: `Unpin`, so corio stores it as it is.
                    let k = self.rng.range(0, 2);
                    return format!("Box::pin(ctx.pending({k}, {inner})).await");
                }
                95..=97 if is_simple(&inner) => {
                    let k = self.rng.range(0, 2);
                    return format!(
                        "({{ let ctx = ctx.clone(); async move {{ ctx.pending({k}, {inner}).await }} }}).await"
                    );
                }
                _ => {}
            }
        }
    }

    fn int_leaf(&mut self, cx: Cx) -> String {
        if self.wide()
            && self.rng.chance(15)
            && let Some(l) = self.wide_leaf()
        {
            return l;
        }
        loop {
            match self.rng.below(14) {
                0..=2 => return self.lit(),
                3..=6 => {
                    if let Some(v) = self.pick_kind(Kind::Int) {
                        return v;
                    }
                    if self.rng.chance(50) {
                        return self.param.into();
                    }
                }
                7 if cx.y => {
                    let inner = if self.rng.chance(50) {
                        self.lit()
                    } else {
                        self.pick_kind(Kind::Int)
                            .unwrap_or_else(|| self.param.into())
                    };
                    return self.suspend(inner, cx);
                }
                8 => {
                    if let Some(n) = self.pick(|v| matches!(v.kind, Kind::Noisy | Kind::Guard)) {
                        return format!("{}.val()", self.vars[n].name);
                    }
                }
                9 => {
                    if let Some(s) = self.pick_kind(Kind::Str) {
                        return format!("({s}.len() as i64)");
                    }
                }
                10 => {
                    if let Some(v) = self.pick(|v| matches!(v.kind, Kind::Vec | Kind::Bag)) {
                        return format!("({}.len() as i64)", self.vars[v].name);
                    }
                }
                11 | 12 => {
                    if let Some(t) = self.pick_kind(Kind::Pair) {
                        return format!("{t}.{}", self.rng.below(2));
                    }
                }
                _ => return self.param.into(),
            }
        }
    }

    /// An `i64` expression. Arithmetic wraps or works on masked operands, so it never overflows.
    fn int(&mut self, d: usize, cx: Cx) -> String {
        if d >= 3 || self.rng.chance(30 + 10 * d) {
            return self.int_leaf(cx);
        }
        let d = d + 1;
        if self.wide()
            && self.rng.chance(15)
            && let Some(e) = self.wide_int(d, cx)
        {
            return e;
        }
        match self.rng.below(32) {
            0..=2 if cx.y => self.yield_expr(d, cx),
            3 => {
                let op = ["+", "-", "*"][self.rng.below(3)];
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                format!("(({a} & 1023i64) {op} ({b} & 1023i64))")
            }
            4..=5 => {
                let op = ["^", "|", "&"][self.rng.below(3)];
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                format!("({a} {op} {b})")
            }
            6 => {
                let a = self.int(d, cx);
                if self.rng.chance(50) {
                    format!("({a} % 7i64)")
                } else {
                    format!("({a} / 3i64)")
                }
            }
            7 => {
                let m = ["wrapping_add", "wrapping_sub", "wrapping_mul"][self.rng.below(3)];
                // A place receiver with a suspension point in the argument, or any receiver.
                let recv = match self.pick_kind(Kind::Int) {
                    Some(v) if self.rng.chance(60) => v,
                    _ => format!("({})", self.int(d, cx)),
                };
                let arg = self.int(d, cx);
                format!("{recv}.{m}({arg})")
            }
            8..=9 => {
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                let c = self.int(d, cx);
                format!("add3({a}, {b}, {c})")
            }
            10 => {
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                format!("mix({a}, {b})")
            }
            11..=12 => {
                let a = self.int(d, cx);
                format!("ctx.tick({a})")
            }
            13 => {
                let a = self.int(d, cx);
                if self.mode != Mode::Generator && cx.y && self.rng.chance(40) {
                    // A temporary `N` produced by an await: rustc keeps it to the end of the
                    // statement, corio may drop it earlier.
                    self.yields += 1;
                    let k = self.rng.range(0, 2);
                    format!("ctx.later({k}, {a}).await.val()")
                } else {
                    format!("ctx.noisy({a}).val()")
                }
            }
            14 => match self.take(&[Kind::Noisy], cx) {
                Some(n) => format!("ctx.consume({n})"),
                None => self.int_leaf(cx),
            },
            15 => {
                let a = self.int(d, cx);
                format!("chk({a})?")
            }
            16 => {
                let a = self.int(d, cx);
                format!("(({a}) as u8 as i64)")
            }
            17 => {
                let a = self.int(d, cx);
                format!("(!{a})")
            }
            18 => {
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                format!("({a}, {b}).{}", self.rng.below(2))
            }
            19 => {
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                let c = self.int(d, cx);
                let i = self.int(d, cx);
                format!("[{a}, {b}, {c}][(({i}) & 1i64) as usize]")
            }
            20 => {
                let c = self.cond(d, cx);
                let (a, b) = {
                    let mut out = self.branches(2, |g, _| g.int(d, cx));
                    let b = out.pop().unwrap();
                    (out.pop().unwrap(), b)
                };
                format!("(if {c} {{ {a} }} else {{ {b} }})")
            }
            21 => self.match_expr(d, cx),
            22..=23 => self.block_expr(d, cx),
            24 => match self.pick(|v| v.kind == Kind::Vec) {
                Some(v) => {
                    let name = self.vars[v].name.clone();
                    // `name` is borrowed while the index is evaluated.
                    let i = self.borrowing(v, |g| g.int(d, cx));
                    format!("{name}.get((({i}) & 3i64) as usize).copied().unwrap_or(-1i64)")
                }
                None => self.int_leaf(cx),
            },
            25 => match self.pick(|v| v.kind == Kind::Vec) {
                // The closure and the receiver's borrow never hold a suspension point.
                Some(v) => format!(
                    "{}.iter().fold(0i64, |acc, e| acc.wrapping_mul(3).wrapping_add(*e))",
                    self.vars[v].name
                ),
                None => self.int_leaf(cx),
            },
            26 => {
                // A mutation of a place between its read and a later suspension point.
                match self.pick_mut(Kind::Int) {
                    Some(x) if cx.mv => {
                        let a = self.int(d, cx);
                        let b = self.int(d, cx);
                        format!("add3({x}, {{ {x} = {x} ^ {a}; {x} }}, {b})")
                    }
                    _ => self.int_leaf(cx),
                }
            }
            28 => match self.pick(|v| matches!(v.kind, Kind::Closure | Kind::Func)) {
                Some(f) => {
                    let f = self.vars[f].name.clone();
                    let a = self.int(d, cx);
                    format!("{f}({a})")
                }
                None => self.int_leaf(cx),
            },
            29 => match self.pick_mut(Kind::Pair) {
                // A field read, then written by a later operand.
                Some(t) if cx.mv => {
                    let i = self.rng.below(2);
                    let a = self.int(d, cx);
                    let b = self.int(d, cx);
                    format!("mix({t}.{i}, {{ {t}.{i} = {a}; {b} }})")
                }
                _ => self.int_leaf(cx),
            },
            27 if cx.y => {
                // A suspension point as the operand of a suspension point.
                let a = self.yield_expr(d, cx);
                self.suspend(format!("{a} ^ 1i64"), cx)
            }
            _ => self.int_leaf(cx),
        }
    }

    fn match_expr(&mut self, d: usize, cx: Cx) -> String {
        let scrutinee = self.int(d, cx);
        let bind = self.fresh_name();
        let arms = self.branches(4, |g, i| match i {
            0 => format!("0 => {},", g.int(d, cx)),
            1 => format!("1 | 2 => {},", g.int(d, cx)),
            2 => {
                g.push_scope();
                g.declare(&bind, Kind::Int, false);
                let guard = g.cond(d + 1, PURE);
                let body = g.int(d, cx);
                g.pop_scope();
                format!("{bind} if {guard} => {body},")
            }
            _ => format!("_ => {},", g.int(d, cx)),
        });
        format!("(match ({scrutinee}) & 7i64 {{ {} }})", arms.join(" "))
    }

    fn block_expr(&mut self, d: usize, cx: Cx) -> String {
        if !cx.mv || !cx.y {
            // Only the tail: statements could move or suspend.
            let e = self.int(d, cx);
            return format!("{{ {e} }}");
        }
        self.push_scope();
        let saved_budget = self.budget;
        self.budget = self.rng.below(3) + 1;
        self.depth += 1;
        let mut stmts = String::new();
        let n = self.rng.below(3);
        for _ in 0..n {
            if self.depth > 5 {
                break;
            }
            stmts.push_str(&self.simple_stmt());
            stmts.push(' ');
        }
        let tail = self.int(d, cx);
        self.depth -= 1;
        self.budget = saved_budget;
        self.pop_scope();
        format!("{{ {stmts}{tail} }}")
    }

    fn cond(&mut self, d: usize, cx: Cx) -> String {
        let d = d + 1;
        match self.rng.below(12) {
            0..=4 => {
                let op = ["<", ">", "<=", ">=", "==", "!="][self.rng.below(6)];
                let a = self.int(d, cx);
                let b = self.int(d, cx);
                format!("({a} {op} {b})")
            }
            5 if d < 3 => {
                let a = self.cond(d, cx);
                let b = self.cond(d, cx);
                format!("({a} && {b})")
            }
            6 if d < 3 => {
                let a = self.cond(d, cx);
                let b = self.cond(d, cx);
                format!("({a} || {b})")
            }
            7 => {
                let a = self.cond(d, cx);
                format!("!{a}")
            }
            8 => match self.pick(|v| matches!(v.kind, Kind::Vec | Kind::Bag | Kind::Str)) {
                Some(v) => format!("{}.is_empty()", self.vars[v].name),
                None => "true".into(),
            },
            9 if d < 3 => {
                // A pattern binding inside a macro's arguments (no suspension point there),
                // often with the name of a visible binding.
                let a = self.int(d, PURE);
                let bind = self.fresh_name();
                self.push_scope();
                self.declare(&bind, Kind::Int, false);
                let g = self.cond(d, PURE);
                self.pop_scope();
                format!("matches!(chk({a}), Ok({bind}) if {g})")
            }
            _ => {
                let a = self.int(d, cx);
                format!("((({a}) & 1i64) == 0i64)")
            }
        }
    }

    // ----- statements --------------------------------------------------------------------

    fn body(&mut self) -> String {
        self.declare(self.param, Kind::Int, false);
        let mut out = String::from("{\n");
        while self.budget > 0 {
            let s = self.stmt();
            out.push_str(&s);
            out.push('\n');
        }
        if self.rng.chance(50)
            && let Some(s) = self.use_values()
        {
            out.push_str(&s);
        }
        if self.f("diverging_tail") && self.rng.chance(30) {
            out.push_str(&self.diverging_tail());
            return out;
        }
        let tail = self.int(0, YES);
        let _ = writeln!(out, "Ok({tail})\n}}");
        out
    }

    /// `ctx.tick(a.val() ^ b.val() …);` over every `N` in scope: they stay live across every
    /// suspension point before it, so that a coroutine dropped there holds several values and
    /// the order in which it drops them is checked.
    fn use_values(&mut self) -> Option<String> {
        let names: Vec<String> = self
            .visible()
            .into_iter()
            .filter(|&id| {
                let v = &self.vars[id];
                !v.moved && matches!(v.kind, Kind::Noisy | Kind::Guard)
            })
            .map(|id| format!("{}.val()", self.vars[id].name))
            .collect();
        if names.is_empty() {
            None
        } else {
            Some(format!("ctx.tick({});\n", names.join(" ^ ")))
        }
    }

    /// `n` statements (not braced) in the current scope: the caller opens the block's scope,
    /// so that what follows them in the block sees their bindings.
    fn stmts(&mut self, n: usize) -> String {
        self.depth += 1;
        let mut out = String::new();
        for _ in 0..n {
            if self.budget == 0 {
                break;
            }
            out.push_str(&self.stmt());
            out.push('\n');
        }
        self.depth -= 1;
        out
    }

    fn inner_len(&mut self) -> usize {
        let max = self.budget.clamp(1, 6);
        self.rng.below(max) + 1
    }

    /// A statement that does not nest statements.
    fn simple_stmt(&mut self) -> String {
        self.budget = self.budget.saturating_sub(1);
        let rolls = if self.mode == Mode::Generator { 26 } else { 28 };
        loop {
            let roll = self.rng.below(rolls);
            let s = match roll {
                0..=3 => Some(self.let_int()),
                4 => Some(self.let_tuple()),
                5..=6 => self.let_other(),
                7..=8 => Some(self.let_noisy()),
                9..=10 => self.assign_int(),
                11 => self.mutate_other(),
                12 => self.move_stmt(),
                13..=14 => {
                    let e = self.int(0, YES);
                    Some(format!("ctx.tick({e});"))
                }
                15..=18 => Some(self.yield_stmt()),
                19 => Some(self.try_stmt()),
                20 => Some(format!("let _ = ctx.noisy({});", self.int(1, YES))),
                26 | 27 => Some(self.let_future()),
                _ => Some(self.let_int()),
            };
            if let Some(s) = s {
                return s;
            }
        }
    }

    fn stmt(&mut self) -> String {
        if self.depth >= 5 || self.budget <= 1 {
            return self.simple_stmt();
        }
        let roll = self.rng.below(100);
        match roll {
            0..=44 => self.simple_stmt(),
            45..=54 => self.if_stmt(),
            55..=57 => self.if_let_stmt(),
            58..=62 => self.match_stmt(),
            63..=67 => self.loop_stmt(),
            68..=70 => self.while_stmt(),
            71..=75 => self.for_stmt(),
            76..=78 => self.block_stmt(),
            79..=83 => self.let_value(),
            84..=85 => self.deferred_init(),
            86..=87 => self.match_option(),
            88..=89 => self.let_else(),
            90..=99 if self.wide() => self.wide_stmt(),
            _ => self.simple_stmt(),
        }
    }

    fn let_int(&mut self) -> String {
        let e = self.int(0, YES);
        let name = self.fresh_name();
        let mutable = self.rng.chance(50);
        let m = if mutable { "mut " } else { "" };
        let ty = if self.rng.chance(50) { ": i64" } else { "" };
        self.declare(&name, Kind::Int, mutable);
        format!("let {m}{name}{ty} = {e};")
    }

    fn let_tuple(&mut self) -> String {
        let a = self.int(0, YES);
        let b = self.int(0, YES);
        let n1 = self.fresh_name();
        let mut n2 = self.fresh_name();
        while n2 == n1 {
            n2 = self.fresh_name();
        }
        let m2 = self.rng.chance(50);
        self.declare(&n1, Kind::Int, false);
        self.declare(&n2, Kind::Int, m2);
        let m = if m2 { "mut " } else { "" };
        format!("let ({n1}, {m}{n2}) = ({a}, {b});")
    }

    fn let_noisy(&mut self) -> String {
        let e = self.int(0, YES);
        if self.mode != Mode::Generator && self.rng.chance(25) {
            // An `N` that an await produces.
            self.yields += 1;
            let k = self.rng.range(0, 2);
            let name = self.fresh_name();
            self.declare(&name, Kind::Noisy, false);
            format!("let {name} = ctx.later({k}, {e}).await;")
        } else if self.rng.chance(25) {
            let name = GUARDS[self.rng.below(GUARDS.len())];
            self.declare(name, Kind::Guard, false);
            format!("let {name} = ctx.guard({e});")
        } else {
            let name = self.fresh_name();
            self.declare(&name, Kind::Noisy, false);
            format!("let {name} = ctx.noisy({e});")
        }
    }

    /// `String`, `Vec<i64>` and `Vec<N>` locals.
    fn let_other(&mut self) -> Option<String> {
        let name = self.fresh_name();
        let mutable = self.rng.chance(70);
        let m = if mutable { "mut " } else { "" };
        let (init, kind) = match self.rng.below(14) {
            0 => ("String::from(\"ab\")".to_string(), Kind::Str),
            1 => {
                let e = self.int(0, YES);
                (format!("{e}.to_string()"), Kind::Str)
            }
            2 => {
                // Names in format strings count as uses.
                let v = self.pick(|v| matches!(v.kind, Kind::Int | Kind::Str))?;
                let v = self.vars[v].name.clone();
                let e = self.int(1, PURE);
                (format!("format!(\"{{{v}}}-{{}}\", {e})"), Kind::Str)
            }
            3 => {
                let s = self.pick_kind(Kind::Str)?;
                (format!("{s}.clone()"), Kind::Str)
            }
            4 => {
                let a = self.int(1, PURE);
                let b = self.int(1, PURE);
                (format!("vec![{a}, {b}]"), Kind::Vec)
            }
            5 => {
                let a = self.int(1, YES);
                let b = self.int(1, YES);
                (format!("Vec::from([{a}, {b}])"), Kind::Vec)
            }
            6 => ("Vec::<i64>::new()".to_string(), Kind::Vec),
            7 => {
                let v = self.pick_kind(Kind::Vec)?;
                (format!("{v}.clone()"), Kind::Vec)
            }
            8 => ("Vec::<N>::new()".to_string(), Kind::Bag),
            9 => {
                let a = self.int(1, PURE);
                (format!("vec![ctx.noisy({a})]"), Kind::Bag)
            }
            10 | 11 => {
                let a = self.int(1, YES);
                let b = self.int(1, YES);
                (format!("({a}, {b})"), Kind::Pair)
            }
            12 => {
                // Captures by copy: a closure that borrowed a local could not be kept.
                let x = self
                    .pick_kind(Kind::Int)
                    .unwrap_or_else(|| self.param.into());
                let k = self.lit();
                (format!("move |z: i64| mix(z, {x}) ^ {k}"), Kind::Closure)
            }
            _ => {
                let id = self.next_id();
                let name = format!("h{id}");
                let k = self.rng.range(1, 9);
                self.declare(&name, Kind::Func, false);
                return Some(format!(
                    "fn {name}(z: i64) -> i64 {{ z.wrapping_mul({k}) ^ {id} }}"
                ));
            }
        };
        self.declare(&name, kind, mutable);
        Some(format!("let {m}{name} = {init};"))
    }

    fn assign_int(&mut self) -> Option<String> {
        let x = self.pick_mut(Kind::Int)?;
        let e = self.int(0, YES);
        Some(match self.rng.below(5) {
            0 | 1 => format!("{x} = {e};"),
            2 => {
                let op = ["^=", "|=", "&="][self.rng.below(3)];
                format!("{x} {op} {e};")
            }
            3 => format!("{x} = {x}.wrapping_mul({e});"),
            _ => format!("{x} = {x}.wrapping_add({e});"),
        })
    }

    fn mutate_other(&mut self) -> Option<String> {
        let id =
            self.pick_place(|v| matches!(v.kind, Kind::Str | Kind::Vec | Kind::Bag | Kind::Pair))?;
        let name = self.vars[id].name.clone();
        Some(match self.vars[id].kind {
            Kind::Pair => {
                let i = self.rng.below(2);
                let e = self.int(0, YES);
                match self.rng.below(4) {
                    0 => format!("{name}.{i} = {e};"),
                    1 => format!("{name}.{i} ^= {e};"),
                    2 => {
                        let y = self.suspend(e, YES);
                        format!("{name}.{i} = {y};")
                    }
                    _ => {
                        let f = self.int(0, YES);
                        format!("{name} = ({e}, {f});")
                    }
                }
            }
            Kind::Str => match self.rng.below(4) {
                0 => format!("{name}.push_str(\"z\");"),
                1 => {
                    let e = self.borrowing(id, |g| g.int(1, YES));
                    format!("{name}.push_str(&{e}.to_string());")
                }
                2 => format!("{name} = {name} + \"q\";"),
                _ => format!("{name}.truncate(1);"),
            },
            Kind::Vec => match self.rng.below(4) {
                0 | 1 => {
                    let e = self.borrowing(id, |g| g.int(0, YES));
                    format!("{name}.push({e});")
                }
                2 => format!("{name}.pop();"),
                _ => {
                    let a = self.borrowing(id, |g| g.int(1, YES));
                    format!("{name}.extend([{a}, 1i64]);")
                }
            },
            _ => match self.rng.below(4) {
                0 | 1 => {
                    let e = self.borrowing(id, |g| g.int(0, YES));
                    format!("{name}.push(ctx.noisy({e}));")
                }
                2 => match self.take(&[Kind::Noisy], YES) {
                    Some(n) => format!("{name}.push({n});"),
                    None => format!("drop({name}.pop());"),
                },
                _ => format!("{name}.truncate(1);"),
            },
        })
    }

    fn move_stmt(&mut self) -> Option<String> {
        let id = {
            let depth = self.loop_depth;
            self.pick(|v| {
                matches!(
                    v.kind,
                    Kind::Noisy | Kind::Str | Kind::Vec | Kind::Bag | Kind::Fut
                ) && v.loop_depth == depth
                    && v.borrowed == 0
            })?
        };
        self.vars[id].moved = true;
        let name = self.vars[id].name.clone();
        let kind = self.vars[id].kind;
        Some(match self.rng.below(3) {
            0 => format!("drop({name});"),
            1 if kind == Kind::Noisy => {
                let e = self.int(1, YES);
                format!("ctx.tick(ctx.consume({name}) ^ {e});")
            }
            _ => {
                let to = self.fresh_name();
                let mutable = kind != Kind::Noisy && self.rng.chance(50);
                self.declare(&to, kind, mutable);
                let m = if mutable { "mut " } else { "" };
                format!("let {m}{to} = {name};")
            }
        })
    }

    fn yield_stmt(&mut self) -> String {
        let e = self.int(0, YES);
        let y = self.suspend(e, YES);
        match self.rng.below(5) {
            0 | 1 => format!("{y};"),
            2 => {
                let name = self.fresh_name();
                let mutable = self.rng.chance(50);
                self.declare(&name, Kind::Int, mutable);
                let m = if mutable { "mut " } else { "" };
                format!("let {m}{name} = {y};")
            }
            3 => match self.pick_mut(Kind::Int) {
                Some(x) => format!("{x} = {y};"),
                None => format!("{y};"),
            },
            _ => match self.pick_mut(Kind::Int) {
                Some(x) => {
                    let op = ["^=", "|="][self.rng.below(2)];
                    format!("{x} {op} {y};")
                }
                None => format!("{y};"),
            },
        }
    }

    /// `let f = ctx.pending(k, e);`: a future awaited later, moved, or dropped unawaited.
    fn let_future(&mut self) -> String {
        let k = self.rng.range(0, 3);
        let init = if self.rng.chance(25) {
            // An async block bound to a local, boxed: a local that is not `Unpin` cannot be
            // kept across a suspension point, since corio's frames are `Unpin` (DESIGN.md;
            // rustc says "cannot be unpinned"). Values move into it as in `suspend`.
            let x = if self.rng.chance(50) {
                self.lit()
            } else {
                self.pick_kind(Kind::Int)
                    .unwrap_or_else(|| self.param.into())
            };
            format!(
                "Box::pin({{ let ctx = ctx.clone(); async move {{ ctx.pending({k}, {x}).await }} }})"
            )
        } else {
            let e = self.int(1, YES);
            format!("ctx.pending({k}, {e})")
        };
        let name = self.fresh_name();
        self.declare(&name, Kind::Fut, false);
        format!("let {name} = {init};")
    }

    fn try_stmt(&mut self) -> String {
        let e = self.int(1, YES);
        match self.rng.below(3) {
            0 => {
                let name = self.fresh_name();
                self.declare(&name, Kind::Int, false);
                format!("let {name} = chk({e})?;")
            }
            1 => match self.pick_mut(Kind::Int) {
                Some(x) => format!("{x} = chk({e})?;"),
                None => format!("ctx.tick(chk({e})?);"),
            },
            _ => format!("ctx.tick(chk({e})?);"),
        }
    }

    /// A `return`, `break` or `continue` that ends a branch, if one is possible.
    fn diverge(&mut self, cx: Cx) -> Option<String> {
        let roll = self.rng.below(10);
        if roll < 3 || self.breakables.is_empty() {
            let e = self.int(1, cx);
            return Some(if self.rng.chance(70) {
                format!("return Ok({e});")
            } else {
                format!("return Err({e});")
            });
        }
        let i = self.rng.below(self.breakables.len());
        let top = i + 1 == self.breakables.len();
        let b = &self.breakables[i];
        let (label, is_loop, value, wrap) = (b.label.clone(), b.is_loop, b.value, b.wrap);
        let unlabeled_ok = top && is_loop;
        let label = match label {
            Some(l) if !(unlabeled_ok && self.rng.chance(40)) => format!(" {l}"),
            Some(_) => String::new(),
            None if unlabeled_ok => String::new(),
            None => return None,
        };
        if is_loop && self.rng.chance(40) {
            return Some(format!("continue{label};"));
        }
        if value && wrap {
            let e = self.int(1, cx);
            Some(format!("break{label} Some({e});"))
        } else if value {
            let e = self.int(1, cx);
            Some(format!("break{label} {};", break_value(e)))
        } else {
            Some(format!("break{label};"))
        }
    }

    /// `{ statements [diverge] }`.
    fn branch_block(&mut self, may_diverge: bool) -> String {
        let n = self.inner_len();
        self.push_scope();
        let mut body = self.stmts(n);
        if self.rng.chance(20)
            && let Some(s) = self.use_values()
        {
            body.push_str(&s);
        }
        let end = if may_diverge && self.rng.chance(30) {
            self.diverge(YES)
        } else {
            None
        };
        self.pop_scope();
        match end {
            Some(end) => format!("{{\n{body}{end}\n}}"),
            None => format!("{{\n{body}}}"),
        }
    }

    fn if_stmt(&mut self) -> String {
        self.budget -= 1;
        let c = self.cond(0, YES);
        let arms = 1 + self.rng.below(3);
        let conds: Vec<String> = (1..arms).map(|_| self.cond(1, YES)).collect();
        // The conditions of `else if`s run only when the earlier ones were false: generate
        // them first but evaluate them inside the branch structure; moves inside them are
        // merged conservatively by `branches` below.
        let has_else = self.rng.chance(60);
        let total = arms + usize::from(has_else);
        let blocks = self.branches(total, |g, _| g.branch_block(true));
        let mut out = format!("if {c} {}", blocks[0]);
        for i in 1..arms {
            let _ = write!(out, " else if {} {}", conds[i - 1], blocks[i]);
        }
        if has_else {
            let _ = write!(out, " else {}", blocks[arms]);
        }
        out
    }

    fn if_let_stmt(&mut self) -> String {
        self.budget -= 1;
        let Some(id) = self.pick_place(|v| matches!(v.kind, Kind::Vec | Kind::Bag)) else {
            return self.if_stmt();
        };
        let name = self.vars[id].name.clone();
        let kind = if self.vars[id].kind == Kind::Vec {
            Kind::Int
        } else {
            Kind::Noisy
        };
        let bind = self.fresh_name();
        // A let chain: a condition on the binding, possibly with a suspension point. It runs
        // before either branch, so its moves count in both; a move of the binding itself
        // (`&& (ctx.consume(x) < p)`) counts in the then-branch, where the binding lives on
        // (seed 1017 case 44: the branch used the moved `x`, E0382 in the plain form).
        self.push_scope();
        self.declare(&bind, kind, false);
        let bind_id = self.vars.len() - 1;
        let chain = if self.rng.chance(40) {
            let c = self.cond(1, YES);
            format!(" && {c}")
        } else {
            String::new()
        };
        let bind_moved = self.vars[bind_id].moved;
        self.pop_scope();
        let blocks = self.branches(2, |g, i| {
            if i == 0 {
                g.push_scope();
                g.declare(&bind, kind, false);
                let id = g.vars.len() - 1;
                g.vars[id].moved = bind_moved;
                let b = g.branch_block(true);
                g.pop_scope();
                b
            } else {
                g.branch_block(true)
            }
        });
        let mut out = format!("if let Some({bind}) = {name}.pop(){chain} {}", blocks[0]);
        if self.rng.chance(50) {
            let _ = write!(out, " else {}", blocks[1]);
        }
        out
    }

    fn match_stmt(&mut self) -> String {
        self.budget -= 1;
        let scrutinee = self.int(0, YES);
        let bind = self.fresh_name();
        let arms = self.branches(4, |g, i| match i {
            0 => format!("0 => {}", g.branch_block(true)),
            1 => format!("1 | 5 => {}", g.branch_block(true)),
            2 => {
                g.push_scope();
                g.declare(&bind, Kind::Int, false);
                let guard = g.cond(1, PURE);
                let body = g.branch_block(true);
                g.pop_scope();
                format!("{bind} if {guard} => {body}")
            }
            _ => format!("_ => {}", g.branch_block(true)),
        });
        format!("match ({scrutinee}) & 7i64 {{\n{}\n}}", arms.join("\n"))
    }

    /// `match v.pop() { Some(x) if … => …, Some(x) => …, None => … }`, on `Vec<i64>` or `Vec<N>`.
    fn match_option(&mut self) -> String {
        let Some(id) = self.pick_place(|v| matches!(v.kind, Kind::Vec | Kind::Bag)) else {
            return self.match_stmt();
        };
        self.budget -= 1;
        let name = self.vars[id].name.clone();
        let kind = if self.vars[id].kind == Kind::Vec {
            Kind::Int
        } else {
            Kind::Noisy
        };
        let bind = self.fresh_name();
        let arms = self.branches(3, |g, i| match i {
            0 if kind == Kind::Int => {
                g.push_scope();
                g.declare(&bind, kind, false);
                let guard = g.cond(1, PURE);
                let body = g.branch_block(true);
                g.pop_scope();
                format!("Some({bind}) if {guard} => {body}")
            }
            0 | 1 => {
                g.push_scope();
                g.declare(&bind, kind, false);
                let body = g.branch_block(true);
                g.pop_scope();
                format!("Some({bind}) => {body}")
            }
            _ => format!("None => {}", g.branch_block(true)),
        });
        format!("match {name}.pop() {{\n{}\n}}", arms.join("\n"))
    }

    /// `let Some(x) = … else { diverge };`
    fn let_else(&mut self) -> String {
        self.budget -= 1;
        let (init, kind) = match self.pick_place(|v| matches!(v.kind, Kind::Vec | Kind::Bag)) {
            Some(id) if self.rng.chance(60) => {
                let kind = if self.vars[id].kind == Kind::Vec {
                    Kind::Int
                } else {
                    Kind::Noisy
                };
                (format!("{}.pop()", self.vars[id].name), kind)
            }
            _ => {
                let e = self.int(1, YES);
                (format!("chk({e}).ok()"), Kind::Int)
            }
        };
        // No suspension point in the `else`, but with `let_else_suspend`.
        let suspend = self.f("let_else_suspend") && self.rng.chance(60);
        let no_yield = Cx {
            y: suspend,
            mv: true,
        };
        self.push_scope();
        let before = if suspend {
            self.yield_stmt() + "\n"
        } else {
            String::new()
        };
        let end = match self.diverge(no_yield) {
            Some(d) => d,
            None => {
                let e = self.int(1, no_yield);
                format!("return Ok({e});")
            }
        };
        self.pop_scope();
        let end = before + &end;
        let bind = self.fresh_name();
        self.declare(&bind, kind, false);
        format!("let Some({bind}) = {init} else {{ {end} }};")
    }

    fn fuel(&mut self) -> i64 {
        match self.loop_depth {
            0 => self.rng.range(1, 4),
            1 => self.rng.range(1, 3),
            _ => self.rng.range(1, 2),
        }
    }

    /// The body of a loop: fuel bookkeeping is the caller's.
    fn loop_body(&mut self, label: Option<String>, value: bool, head: &str) -> String {
        self.breakables.push(Breakable {
            label,
            is_loop: true,
            value,
            wrap: false,
        });
        self.loop_depth += 1;
        let n = self.inner_len();
        self.push_scope();
        let body = self.stmts(n);
        self.pop_scope();
        self.loop_depth -= 1;
        self.breakables.pop();
        format!("{{\n{head}{body}}}")
    }

    fn label(&mut self, prefix: &str, percent: usize) -> Option<String> {
        if self.rng.chance(percent) {
            let id = self.next_id();
            Some(format!("'{prefix}{id}"))
        } else {
            None
        }
    }

    fn loop_stmt(&mut self) -> String {
        self.budget -= 1;
        let id = self.next_id();
        let fuel = format!("fuel{id}");
        let k = self.fuel();
        let value = self.rng.chance(40);
        let label = self.label("l", 70);
        let brk = match (&label, value) {
            (Some(l), true) => {
                let e = self.int(1, YES);
                format!("break {l} {};", break_value(e))
            }
            (Some(l), false) => format!("break {l};"),
            (None, true) => {
                let e = self.int(1, YES);
                format!("break {};", break_value(e))
            }
            (None, false) => "break;".into(),
        };
        // The break value is evaluated inside the loop.
        let head = format!("{fuel} += 1;\nif {fuel} > {k} {{ {brk} }}\n");
        let lbl = label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
        let body = self.loop_body(label, value, &head);
        if value {
            let name = self.fresh_name();
            self.declare(&name, Kind::Int, false);
            format!("let mut {fuel} = 0i64;\nlet {name} = {lbl}loop {body};")
        } else {
            format!("let mut {fuel} = 0i64;\n{lbl}loop {body}")
        }
    }

    fn while_stmt(&mut self) -> String {
        self.budget -= 1;
        let id = self.next_id();
        let fuel = format!("fuel{id}");
        let k = self.fuel();
        let label = self.label("w", 50);
        let lbl = label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
        // The condition runs on every iteration: generate it inside the loop.
        self.loop_depth += 1;
        let while_let = self.pick_place(|v| v.kind == Kind::Vec);
        let (cond, bind) = match while_let {
            Some(v) if self.rng.chance(40) => {
                let name = self.vars[v].name.clone();
                let bind = self.fresh_name();
                (
                    format!("{fuel} < {k} && let Some({bind}) = {name}.pop()"),
                    Some(bind),
                )
            }
            _ => {
                let c = self.cond(1, YES);
                (format!("{fuel} < {k} && {c}"), None)
            }
        };
        self.loop_depth -= 1;
        self.push_scope();
        if let Some(b) = &bind {
            // Declared at the loop's depth + 1: it is bound anew on each iteration.
            self.loop_depth += 1;
            self.declare(b, Kind::Int, false);
            self.loop_depth -= 1;
        }
        let body = self.loop_body(label, false, &format!("{fuel} += 1;\n"));
        self.pop_scope();
        format!("let mut {fuel} = 0i64;\n{lbl}while {cond} {body}")
    }

    fn for_stmt(&mut self) -> String {
        self.budget -= 1;
        let label = self.label("f", 50);
        let lbl = label.as_ref().map(|l| format!("{l}: ")).unwrap_or_default();
        let k = self.fuel();
        let (iter, kind) = match self.rng.below(7) {
            0 | 1 => (format!("0i64..{k}"), Kind::Int),
            2 => {
                let e = self.int(1, YES);
                (format!("0i64..(({e}) & {k})"), Kind::Int)
            }
            3 => match self.pick_kind(Kind::Vec) {
                Some(v) => (format!("{v}.clone().into_iter().take({k})"), Kind::Int),
                None => (format!("0i64..{k}"), Kind::Int),
            },
            4 => match self.take(&[Kind::Vec], YES) {
                Some(v) => (v, Kind::Int),
                None => (format!("0i64..{k}"), Kind::Int),
            },
            5 => match self.take(&[Kind::Bag], YES) {
                Some(v) => (v, Kind::Noisy),
                None => (format!("0i64..{k}"), Kind::Int),
            },
            _ => {
                let a = self.int(1, YES);
                let b = self.int(1, YES);
                (format!("[{a}, {b}]"), Kind::Int)
            }
        };
        let bind = self.fresh_name();
        self.push_scope();
        self.loop_depth += 1;
        self.declare(&bind, kind, false);
        self.loop_depth -= 1;
        let body = self.loop_body(label, false, "");
        self.pop_scope();
        format!("{lbl}for {bind} in {iter} {body}")
    }

    fn block_stmt(&mut self) -> String {
        self.budget -= 1;
        let label = self.label("b", 50);
        let Some(l) = label else {
            return self.branch_block(false);
        };
        self.breakables.push(Breakable {
            label: Some(l.clone()),
            is_loop: false,
            value: false,
            wrap: false,
        });
        let b = self.branch_block(false);
        self.breakables.pop();
        format!("{l}: {b}")
    }

    /// `let x = <if | match | block | labeled block>;` with statements inside.
    fn let_value(&mut self) -> String {
        self.budget -= 1;
        let name = self.fresh_name();
        let init = match self.rng.below(4) {
            0 => {
                let c = self.cond(0, YES);
                let diverging = self.f("diverging_tail") && self.rng.chance(30);
                let arms = self.branches(2, |g, i| {
                    if i == 1 && diverging {
                        g.diverging_block()
                    } else {
                        g.value_block()
                    }
                });
                format!("if {c} {} else {}", arms[0], arms[1])
            }
            1 => {
                let scrutinee = self.int(0, YES);
                let bind = self.fresh_name();
                let arms = self.branches(3, |g, i| match i {
                    0 => format!("0 | 3 => {},", g.value_block()),
                    1 => {
                        g.push_scope();
                        g.declare(&bind, Kind::Int, false);
                        let guard = g.cond(1, PURE);
                        let b = g.value_block();
                        g.pop_scope();
                        format!("{bind} if {guard} => {b},")
                    }
                    _ => format!("_ => {},", g.value_block()),
                });
                format!("match ({scrutinee}) & 7i64 {{\n{}\n}}", arms.join("\n"))
            }
            2 => self.value_block(),
            _ => {
                let id = self.next_id();
                let l = format!("'v{id}");
                self.breakables.push(Breakable {
                    label: Some(l.clone()),
                    is_loop: false,
                    value: true,
                    wrap: false,
                });
                let b = self.value_block();
                self.breakables.pop();
                format!("{l}: {b}")
            }
        };
        let mutable = self.rng.chance(30);
        self.declare(&name, Kind::Int, mutable);
        let m = if mutable { "mut " } else { "" };
        format!("let {m}{name} = {init};")
    }

    /// `{ statements [if c { diverge }] tail }`.
    fn value_block(&mut self) -> String {
        let n = self.inner_len();
        self.push_scope();
        let body = self.stmts(n);
        let early = if self.rng.chance(30) {
            let c = self.cond(1, YES);
            self.diverge(YES).map(|d| format!("if {c} {{ {d} }}\n"))
        } else {
            None
        };
        let tail = self.int(0, YES);
        self.pop_scope();
        format!("{{\n{body}{}{tail}\n}}", early.unwrap_or_default())
    }

    fn deferred_init(&mut self) -> String {
        self.budget -= 1;
        // A name of its own: a `let` in a branch must not shadow it before its assignment.
        let name = format!("d{}", self.next_id());
        let c = self.cond(0, YES);
        let arms = self.branches(2, |g, _| {
            let n = g.inner_len();
            g.push_scope();
            let body = g.stmts(n);
            let e = g.int(0, YES);
            g.pop_scope();
            (body, e)
        });
        self.declare(&name, Kind::Int, false);
        format!(
            "let {name}: i64;\nif {c} {{\n{}{name} = {};\n}} else {{\n{}{name} = {};\n}}",
            arms[0].0, arms[0].1, arms[1].0, arms[1].1
        )
    }
}

/// A literal or a name: what may be copied into an `async move` block. Not a call such as
/// `f(6i64)`: that would move the signature's `impl Fn` parameter `f` into the block, and a
/// later `f(..)` would not compile (corio-diffrun, seed 999 async case 58).
fn is_simple(e: &str) -> bool {
    e.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '(' | ')' | '-'))
        && !e
            .as_bytes()
            .windows(2)
            .any(|w| (w[0].is_ascii_alphanumeric() || w[0] == b'_') && w[1] == b'(')
}

/// `break 'a { … }` reads as a labeled block: parenthesize (rustc's break_with_label_and_loop).
fn break_value(e: String) -> String {
    if e.starts_with('{') {
        format!("({e})")
    } else {
        e
    }
}

/// Whether `code` reads the `Noisy` binding `name`: `name.val()`, `&name`, or a move
/// (`consume(name)`, `push(name)`, `drop(name)`). A pattern's `name` is an `i64`, which none
/// of these fit, so a pattern that reuses the name is not a read.
fn reads_noisy(code: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let field_or_ref = code.match_indices(name).any(|(at, _)| {
        let (before, after) = (&code[..at], &code[at + name.len()..]);
        !before.ends_with(word)
            && !after.starts_with(word)
            && (after.starts_with(".val()") || before.ends_with('&'))
    });
    field_or_ref
        || ["consume", "push", "drop"]
            .iter()
            .any(|f| code.contains(&format!("{f}({name})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_and_names_move_into_async_blocks() {
        assert!(is_simple("(-3i64)"));
        assert!(is_simple("x"));
        assert!(!is_simple("f(6i64)"));
        assert!(!is_simple("ctx.tick(1i64)"));
    }

    /// Whether `text` assigns to `name` (`name = …`, `name ^= …`, …) outside the blocks that
    /// declare a `name` of their own.
    fn assigns_outer(text: &str, name: &str) -> bool {
        let mut tokens = Vec::new();
        let mut word = String::new();
        for c in text.chars().chain([' ']) {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
        // Per open block: whether it declared its own `name`.
        let mut shadowed = vec![false];
        for (i, t) in tokens.iter().enumerate() {
            match t.as_str() {
                "{" => shadowed.push(false),
                "}" => {
                    shadowed.pop();
                }
                _ if t == name => {
                    let prev = i.checked_sub(1).map(|j| tokens[j].as_str());
                    if matches!(prev, Some("let" | "mut")) {
                        *shadowed.last_mut().unwrap() = true;
                        continue;
                    }
                    let next = tokens.get(i + 1).map(String::as_str);
                    let after = tokens.get(i + 2).map(String::as_str);
                    let assigns = match next {
                        Some("=") => after != Some("=") && after != Some(">"),
                        Some("^" | "|" | "+" | "-" | "*" | "&") => after == Some("="),
                        _ => false,
                    };
                    if assigns && !shadowed.iter().any(|&s| s) {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Whether `text` uses `name` after `ctx.consume(name)` moved it (outside the blocks that
    /// declare a `name` of their own).
    fn uses_after_move(text: &str, name: &str) -> bool {
        let moved = format!("ctx.consume({name})");
        let Some(at) = text.find(&moved) else {
            return false;
        };
        let rest = &text[at + moved.len()..];
        // A use is `name` as a whole word: `name.val()`, `&name`, `(name)`, …
        let mut depth_shadowed = vec![false];
        let bytes: Vec<char> = rest.chars().collect();
        let word = |c: char| c.is_alphanumeric() || c == '_';
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c == '{' {
                depth_shadowed.push(false);
            } else if c == '}' {
                depth_shadowed.pop();
                if depth_shadowed.is_empty() {
                    return false;
                }
            } else if word(c) && (i == 0 || !word(bytes[i - 1])) {
                let end = (i..bytes.len())
                    .find(|&j| !word(bytes[j]))
                    .unwrap_or(bytes.len());
                let w: String = bytes[i..end].iter().collect();
                let before: String = bytes[..i].iter().collect();
                let before = before.trim_end();
                let after: String = bytes[end..].iter().take(2).collect();
                // A field (`Pt { x: … }`, `p.x`) is not the binding.
                let field = before.ends_with('.') || (after.starts_with(':') && after != "::");
                if w == name && !field {
                    if before.ends_with("let") || before.ends_with("let mut") {
                        *depth_shadowed.last_mut().unwrap() = true;
                    } else if !depth_shadowed.iter().any(|&s| s) {
                        return true;
                    }
                }
                i = end;
                continue;
            }
            i += 1;
        }
        false
    }

    /// The text from `open` (an opening bracket's index) to its closing bracket, inclusive.
    fn balanced(text: &str, open: usize) -> &str {
        let mut depth = 0;
        for (i, c) in text[open..].char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return &text[open..=open + i];
                    }
                }
                _ => {}
            }
        }
        &text[open..]
    }

    /// The operands of `mix(measure(&[a, b]), later)` are generated in the order of the text:
    /// `later` does not use what `a` or `b` moved (seed 1012 async case 34:
    /// `mix(measure(&[ctx.consume(x), …]), x.val())`, E0382 in the plain form).
    #[test]
    fn a_later_operand_sees_what_a_borrowed_array_moved() {
        let mut checked = 0;
        for seed in 0..20000 {
            let mut g = Gen::new(seed, Mode::Async { nested: 0 }, Features::all());
            g.budget = 4;
            g.declare("x", Kind::Noisy, false);
            let text = g.int(0, YES);
            for (at, _) in text.match_indices("mix(measure(&[") {
                let call = balanced(&text, at + 3);
                let array = balanced(call, "(measure(&".len());
                if !array.contains("ctx.consume(x)") {
                    continue;
                }
                let later = &call["(measure(&".len() + array.len()..];
                assert!(
                    !uses_after_move(&format!("ctx.consume(x){later}"), "x"),
                    "seed {seed}: `x` is used after its move:\n{call}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 4, "only {checked} borrowed arrays move `x`");
    }

    /// A diverging tail `if c { return Ok(tail); }` whose condition moves a binding
    /// (`ctx.consume(q)`) never reads it in the tail (seed 1072 case 213: `return
    /// Ok(yield_!(q.val()))` after the move, E0382 in the plain form).
    #[test]
    fn a_diverging_tail_never_reads_what_its_condition_moved() {
        let mut checked = 0;
        for seed in 0..20000 {
            for mode in [Mode::Generator, Mode::Async { nested: 0 }] {
                let mut g = Gen::new(seed, mode, Features::all());
                g.budget = 4;
                for name in ["q", "r"] {
                    g.declare(name, Kind::Noisy, false);
                }
                let text = g.diverging_tail();
                let Some(rest) = text.strip_prefix("if ") else {
                    continue;
                };
                let Some((cond, tail)) = rest.split_once(" { return Ok(") else {
                    continue;
                };
                let tail = tail.lines().next().unwrap_or_default();
                for name in ["q", "r"] {
                    if cond.contains(&format!("ctx.consume({name})")) {
                        let read = reads_noisy(tail, name);
                        assert!(
                            !read,
                            "seed {seed}: `{name}` is read after its move:\n{text}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(
            checked >= 4,
            "only {checked} tails move a binding in their condition"
        );
    }

    /// A let chain's conjunct that moves the chain's binding (`if let Some(x) = n.pop() &&
    /// (ctx.consume(x) < p) { … }`) leaves it moved in the then-branch: the branch never uses
    /// it (seed 1017 case 44: `ctx.tick(x.val())` after the move, E0382 in the plain form).
    #[test]
    fn a_let_chain_that_moves_its_binding_leaves_it_moved() {
        let mut checked = 0;
        for seed in 0..20000 {
            for mode in [Mode::Generator, Mode::Async { nested: 0 }] {
                let mut g = Gen::new(seed, mode, Features::all());
                g.budget = 4;
                g.declare("n", Kind::Bag, true);
                let text = g.if_let_stmt();
                let Some(rest) = text.strip_prefix("if let Some(") else {
                    continue;
                };
                let bind = rest.split(')').next().unwrap_or_default();
                let after_pop = text.find(".pop()").unwrap() + ".pop()".len();
                // The then-block is the first `{` outside the chain's brackets.
                let mut depth = 0i32;
                let mut open = None;
                for (i, c) in text[after_pop..].char_indices() {
                    match c {
                        '(' | '[' => depth += 1,
                        ')' | ']' => depth -= 1,
                        '{' if depth == 0 => {
                            open = Some(after_pop + i);
                            break;
                        }
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                let open = open.expect("a then-block");
                let chain = &text[after_pop..open];
                let moved = format!("ctx.consume({bind})");
                if !chain.contains(&moved) {
                    continue;
                }
                let block = balanced(&text, open);
                // The first whole-word `bind` in the block: a use of the moved binding unless
                // it declares a new one (`let`, a pattern); those programs are not counted.
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let Some(at) = block.match_indices(bind).map(|(i, _)| i).find(|&i| {
                    !block[..i].ends_with(word) && !block[i + bind.len()..].starts_with(word)
                }) else {
                    checked += 1;
                    continue;
                };
                let (before, after) = (&block[..at], &block[at + bind.len()..]);
                let uses = after.starts_with(".val()")
                    || (after.starts_with(')')
                        && ["consume(", "push(", "drop("]
                            .iter()
                            .any(|f| before.ends_with(f)));
                assert!(
                    !uses,
                    "seed {seed}: `{bind}` is used after its move:\n{text}"
                );
                checked += 1;
            }
        }
        assert!(checked >= 20, "only {checked} chains move their binding");
    }

    /// A body's diverging tail is generated after the yield statement in front of it, so it
    /// never assigns to a binding that statement declared immutable (seed 1009 async case 19:
    /// `let b = …await; if … { return Ok({ b = …; … }) }`, E0384 in the plain form).
    #[test]
    fn diverging_tail_sees_the_bindings_of_its_yield_statement() {
        let mut checked = 0;
        for seed in 0..8000 {
            for mode in [Mode::Generator, Mode::Async { nested: 0 }] {
                let mut g = Gen::new(seed, mode, Features::all());
                g.budget = 4;
                for name in NAMES {
                    g.declare(name, Kind::Int, true);
                }
                let text = g.diverging_tail();
                let first = text.lines().next().unwrap_or_default();
                let Some(rest) = first.strip_prefix("let ") else {
                    continue;
                };
                if rest.starts_with("mut ") {
                    continue;
                }
                let name = rest.split(' ').next().unwrap_or_default();
                let after = text.split_once('\n').map_or("", |(_, a)| a);
                assert!(
                    !assigns_outer(after, name),
                    "seed {seed}: `{name}` is immutable here:\n{text}"
                );
                checked += 1;
            }
        }
        assert!(
            checked > 100,
            "only {checked} tails after an immutable `let`"
        );
    }

    /// `borrow_branch` writes F-diag-2's shape in generators and async fns: a value `if`/`match`
    /// with a branch that suspends and one whose value borrows a local, and a `let … else`
    /// binding borrows whose `else` suspends; and the CI's languages never do.
    #[test]
    fn borrow_branch_writes_a_borrowed_branch_value_beside_a_suspending_branch() {
        let borrows = [".as_str()", "&", ".trim_start_matches('-')", ".as_slice()"];
        let mut shapes = [0usize; 4];
        for i in 0..400 {
            let bodies = [
                (0, program_with(1, i, Features::all()).body),
                (1, async_program_with(1, i, Features::all()).body),
            ];
            for (is_async, body) in bodies {
                let suspends = |t: &str| t.contains("yield_!(") || t.contains(".await");
                for (at, _) in body.match_indices("let ") {
                    let stmt = &body[at..];
                    if ["let Some(br", "let Some((br", "let [br"]
                        .iter()
                        .any(|p| stmt.starts_with(p))
                    {
                        let els = stmt.split(" else {\n").nth(1).unwrap_or_default();
                        let els = els.split("\n};").next().unwrap_or_default();
                        if suspends(els) {
                            shapes[2 + is_async] += 1;
                        }
                        continue;
                    }
                    let Some(head) = stmt.split_once(" = ") else {
                        continue;
                    };
                    if !(head.0.starts_with("let br") || head.0.starts_with("let (br")) {
                        continue;
                    }
                    let value = head.1.split("\n};\nctx.tick(").next().unwrap_or_default();
                    let branches: Vec<&str> = value.split("\n},\n").collect();
                    let lends = branches.iter().any(|b| {
                        let tail = b.lines().last().unwrap_or_default();
                        borrows.iter().any(|f| tail.contains(f)) && !tail.contains("TABLE")
                    });
                    if lends && branches.iter().any(|b| suspends(b)) {
                        shapes[is_async] += 1;
                    }
                }
            }
        }
        assert!(
            shapes.iter().all(|&n| n >= 10),
            "value constructs (generator, async), let-elses (generator, async): {shapes:?}"
        );
        for i in 0..100 {
            assert!(!program_with(0, i, Features::ci()).body.contains("let br"));
            let wide = Features::parse("all,-patterns,-rules,-borrow_branch").unwrap();
            assert!(!async_program_with(0, i, wide).body.contains("let br"));
        }
    }

    /// `deferred_borrow` writes F-diag-2d's shape: `let brN;` (maybe typed), then the
    /// construct assigns `brN` in every branch, one branch suspending and one borrowing; some
    /// with a suspension point between the `let` and the construct. Off, the programs are
    /// those of the generator without it (the scale runs' programs stay reproducible).
    #[test]
    fn deferred_borrow_assigns_a_deferred_let_in_every_branch() {
        let mut shapes = [0usize; 2];
        let mut after_a_point = 0;
        for i in 0..600 {
            let bodies = [
                (0, program_with(2, i, Features::all()).body),
                (1, async_program_with(2, i, Features::all()).body),
            ];
            for (is_async, body) in bodies {
                let lines: Vec<&str> = body.lines().collect();
                for (at, line) in lines.iter().enumerate() {
                    let Some(name) = line
                        .strip_prefix("let ")
                        .and_then(|l| l.strip_suffix(';'))
                        .map(|l| l.split(':').next().unwrap_or_default())
                        .filter(|n| n.starts_with("br") && !n.contains(' '))
                    else {
                        continue;
                    };
                    let rest = lines[at + 1..].join("\n");
                    let construct = rest.split("\nctx.tick(").next().unwrap_or_default();
                    let assigned = construct.matches(&format!("\n{name} = ")).count()
                        + usize::from(construct.starts_with(&format!("{name} = ")));
                    let suspends = construct.contains("yield_!(") || construct.contains(".await");
                    if assigned >= 2 && suspends {
                        shapes[is_async] += 1;
                        let next = lines.get(at + 1).copied().unwrap_or_default();
                        if next.contains("yield_!(") || next.contains(".await") {
                            after_a_point += 1;
                        }
                    }
                }
            }
        }
        assert!(
            shapes.iter().all(|&n| n >= 5) && after_a_point >= 3,
            "deferred constructs (generator, async): {shapes:?}, after a point: {after_a_point}"
        );
        let without = Features::parse("all,-deferred_borrow").unwrap();
        for i in 0..100 {
            let body = program_with(2, i, without).body;
            assert!(
                !body
                    .lines()
                    .any(|l| l.starts_with("let br") && !l.contains('='))
            );
        }
    }

    #[test]
    fn deterministic() {
        for i in 0..20 {
            assert_eq!(program(7, i).body, program(7, i).body);
        }
        assert_ne!(program(7, 0).body, program(8, 0).body);
    }
}
