//! The differential tests' runtime: the event log, the plain fn's `yield_!`, the generator
//! driver, the scripted futures and executor of the async programs, and the comparison of two
//! runs.
#![allow(
    dead_code,
    reason = "what the generated programs use; CORIO_DIFF_CASES=0 generates none"
)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use corio::{Coroutine, CoroutineState, Inspect, PointKind, Status};

/// One observable side effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// `ctx.noisy(..)` (false) or `ctx.guard(..)` (true) created value number `id`.
    New(u32, bool),
    /// `ctx.tick(v)`.
    Tick(i64),
    /// `yield_!(v)`.
    Yield(i64),
    /// The scripted future number `id` was polled.
    Poll(u32),
    /// The async program returned `Pending` to the executor.
    Pending,
    /// After a `Pending`, the executor's waker had been woken `n` times.
    Woken(u32),
    /// The driver stops: the generator is dropped / the plain fn unwinds / the future is
    /// dropped.
    Stop,
    /// Value number `id` was dropped.
    Drop(u32),
}

struct Inner {
    events: RefCell<Vec<Ev>>,
    next: Cell<u32>,
    /// Seeds the outputs of scripted futures and how they wake.
    salt: u64,
    /// How many times scripted futures returned `Pending` so far.
    pendings: Cell<usize>,
    /// Wakers that scripted futures keep to be woken by the executor after the poll.
    parked: RefCell<Vec<Waker>>,
}

/// The programs' environment: the event log and constructors of logged values.
#[derive(Clone)]
pub(crate) struct Ctx(Rc<Inner>);

impl Ctx {
    pub(crate) fn new(salt: u64) -> Self {
        Ctx(Rc::new(Inner {
            events: RefCell::new(Vec::new()),
            next: Cell::new(0),
            salt,
            pendings: Cell::new(0),
            parked: RefCell::new(Vec::new()),
        }))
    }

    pub(crate) fn push(&self, e: Ev) {
        self.0.events.borrow_mut().push(e);
    }

    pub(crate) fn events(&self) -> Vec<Ev> {
        self.0.events.borrow().clone()
    }

    fn make(&self, v: i64, guard: bool) -> N {
        let id = self.0.next.get();
        self.0.next.set(id + 1);
        self.push(Ev::New(id, guard));
        N {
            id,
            v,
            ctx: self.clone(),
        }
    }

    /// A value whose drop is logged.
    pub(crate) fn noisy(&self, v: i64) -> N {
        self.make(v, false)
    }

    /// A value for a `_`-prefixed binding: its drop time is checked exactly.
    pub(crate) fn guard(&self, v: i64) -> N {
        self.make(v, true)
    }

    /// Logs `v` and returns it: the order of evaluation is observable.
    pub(crate) fn tick(&self, v: i64) -> i64 {
        self.push(Ev::Tick(v));
        v
    }

    /// Logs `v` like `tick`, returning `()`: a statement-like call (a bare match arm).
    pub(crate) fn emit(&self, v: i64) {
        self.push(Ev::Tick(v));
    }

    /// Takes a value by move.
    pub(crate) fn consume(&self, n: N) -> i64 {
        n.v
    }

    /// A future that is ready when first polled (with a scripted output, see [`Scripted`]).
    pub(crate) fn ready(&self, v: i64) -> Scripted {
        self.pending(0, v)
    }

    /// A future that returns `Pending` `k` times, then is ready (see [`Scripted`]).
    pub(crate) fn pending(&self, k: u32, v: i64) -> Scripted {
        Scripted {
            n: self.make(v, false),
            pending: k,
            done: false,
        }
    }

    /// A future like `pending(k, v)` whose output is an `N` (created when it is ready).
    pub(crate) fn later(&self, k: u32, v: i64) -> Later {
        Later(self.pending(k, v))
    }

    /// The wakers parked by scripted futures since the last call.
    fn take_parked(&self) -> Vec<Waker> {
        std::mem::take(&mut *self.0.parked.borrow_mut())
    }
}

/// The future of `ctx.pending(k, v)`: its creation and drop are logged like an `N`'s, each poll
/// is logged, and it is `Pending` `k` times before it is ready with `v` plus a scripted number
/// (so that the outputs differ from the operands). Each `Pending` wakes the task in a scripted
/// way: `wake_by_ref` at once, `wake` on a clone at once, or a clone parked for the executor to
/// wake after the poll (like a reactor). Polling it after it was ready panics.
pub(crate) struct Scripted {
    n: N,
    pending: u32,
    done: bool,
}

impl Future for Scripted {
    type Output = i64;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i64> {
        let ctx = self.n.ctx.clone();
        ctx.push(Ev::Poll(self.n.id));
        assert!(!self.done, "a future polled after it was ready");
        if self.pending == 0 {
            self.done = true;
            let out = resume_value(ctx.0.salt, self.n.id as usize);
            return Poll::Ready(self.n.v.wrapping_add(out));
        }
        self.pending -= 1;
        let i = ctx.0.pendings.get();
        ctx.0.pendings.set(i + 1);
        match resume_value(ctx.0.salt ^ 0x5CA1_AB1E, i).rem_euclid(3) {
            0 => cx.waker().wake_by_ref(),
            1 => {
                // An owned clone, woken by value later in the poll: what a leaf that keeps its
                // waker does.
                let waker = cx.waker().clone();
                waker.wake();
            }
            _ => ctx.0.parked.borrow_mut().push(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// A value whose `Drop` logs an event.
pub(crate) struct N {
    id: u32,
    v: i64,
    ctx: Ctx,
}

impl N {
    pub(crate) fn val(&self) -> i64 {
        self.v
    }
}

impl Drop for N {
    fn drop(&mut self) {
        self.ctx.push(Ev::Drop(self.id));
    }
}

pub(crate) fn add3(a: i64, b: i64, c: i64) -> i64 {
    a.wrapping_mul(7)
        .wrapping_add(b.wrapping_mul(3))
        .wrapping_add(c)
}

pub(crate) fn mix(a: i64, b: i64) -> i64 {
    a.wrapping_mul(31) ^ b
}

/// Fails for some values, so that `?` returns early now and then.
pub(crate) fn chk(v: i64) -> Result<i64, i64> {
    if v.rem_euclid(11) == 3 { Err(v) } else { Ok(v) }
}

/// What the `i`-th (0-based) `yield_!` evaluates to: the scripted resume arguments.
pub(crate) fn resume_value(salt: u64, i: usize) -> i64 {
    let mut z = salt ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z ^= z >> 29;
    match z % 10 {
        0 => 0,
        1..=6 => (z >> 8) as i64 % 21 - 10,
        7..=8 => (z >> 8) as i64 % 2000,
        _ => (z >> 8) as i64,
    }
}

/// More yields than any generated program makes: a runaway loop.
const MAX_YIELDS: usize = 100_000;

struct OracleRun {
    ctx: Ctx,
    salt: u64,
    count: usize,
    stop: Option<usize>,
}

thread_local! {
    static ORACLE: RefCell<Option<OracleRun>> = const { RefCell::new(None) };
}

/// The unwinding payload that stops the plain fn at its k-th `yield_!`.
struct StopHere;

/// `yield_!(v)` in the plain fn: records `v`, then returns the next resume argument, or
/// unwinds when this is the yield the generator is dropped at.
pub(crate) fn oracle_yield(v: i64) -> i64 {
    let stop = ORACLE.with(|o| {
        let mut o = o.borrow_mut();
        let run = o.as_mut().expect("oracle_yield outside an oracle run");
        run.ctx.push(Ev::Yield(v));
        run.count += 1;
        assert!(run.count <= MAX_YIELDS, "runaway program");
        if Some(run.count) == run.stop {
            run.ctx.push(Ev::Stop);
            None
        } else {
            Some(resume_value(run.salt, run.count - 1))
        }
    });
    match stop {
        Some(r) => r,
        // Not a panic: resume_unwind runs no panic hook.
        None => resume_unwind(Box::new(StopHere)),
    }
}

/// The future of `ctx.later(k, v)`: a [`Scripted`] future whose output becomes an `N`.
pub(crate) struct Later(Scripted);

impl Future for Later {
    type Output = N;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<N> {
        let ctx = self.0.n.ctx.clone();
        Pin::new(&mut self.0).poll(cx).map(|v| ctx.noisy(v))
    }
}

/// The executor's waker: counts wakes (a `Waker` must be `Send + Sync`, so it cannot log
/// into the `Rc` event list itself).
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Where a driven future is when [`drive_future`] lets the test look at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Before the first poll.
    Created,
    /// After a `Pending`.
    Suspended,
    /// After `Ready`.
    Done,
}

/// The scripted executor of the async programs: polls `fut` until it is ready, logging each
/// `Pending` and how many wakes the waker got by then (the wakers the scripted futures parked
/// are woken after the poll, as a reactor would). After `stop` `Pending`s it drops the future
/// (cancellation). `look` sees the future before the first poll, after every `Pending` and at
/// the end; it must not disturb anything.
pub(crate) fn drive_future<F>(
    fut: F,
    ctx: &Ctx,
    stop: Option<usize>,
    look: impl Fn(&F, Phase),
) -> Outcome
where
    F: Future<Output = Result<i64, i64>>,
{
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(wakes.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = Box::pin(fut);
    look(&fut, Phase::Created);
    let mut count = 0;
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(r) => {
                look(&fut, Phase::Done);
                return Some(r);
            }
            Poll::Pending => {
                ctx.push(Ev::Pending);
                count += 1;
                assert!(count <= MAX_YIELDS, "runaway program");
                for w in ctx.take_parked() {
                    w.wake();
                }
                let n = wakes.0.swap(0, Ordering::Relaxed);
                // Every scripted `Pending` wakes the task: a lost waker would hang a real
                // executor.
                assert!(n > 0, "Pending without a wake of the executor's waker");
                ctx.push(Ev::Woken(n as u32));
                look(&fut, Phase::Suspended);
                if Some(count) == stop {
                    ctx.push(Ev::Stop);
                    drop(fut);
                    return None;
                }
            }
        }
    }
}

/// What a `#[corio::coroutine] async fn` says about itself at each phase of [`drive_future`]:
/// created, suspended at an `.await` (inspectable all the way down the await chain, and
/// awaiting an inspectable coroutine exactly when the point awaits a `nestedK(…)`), closed.
/// `locals()` and `Debug` render at every step; none of it may panic.
pub(crate) fn inspect_future<F: Inspect + std::fmt::Debug>(f: &F, phase: Phase) {
    let _ = format!("{f:?}");
    let _ = f.locals();
    match phase {
        Phase::Created => {
            assert_eq!(f.status(), Status::Created);
            assert!(f.suspended_at().is_none() && f.awaiting().is_none());
        }
        Phase::Suspended => inspect_suspended(f, 0),
        Phase::Done => {
            assert_eq!(f.status(), Status::Closed);
            assert!(f.suspended_at().is_none() && f.awaiting().is_none());
        }
    }
}

fn inspect_suspended(f: &dyn Inspect, depth: usize) {
    assert_eq!(f.status(), Status::Suspended, "{}", f.name());
    let point = f
        .suspended_at()
        .unwrap_or_else(|| panic!("{} is suspended but not at a point", f.name()));
    assert_eq!(point.kind, PointKind::Await, "{point:?}");
    assert!(point.source.ends_with(".await"), "{point:?}");
    let _ = f.locals();
    let nested = point.source.starts_with("nested");
    match f.awaiting() {
        Some(inner) => {
            assert!(nested, "awaiting() is Some at {point:?}");
            assert!(depth < 8, "an await chain deeper than the program");
            inspect_suspended(inner, depth + 1);
        }
        None => assert!(!nested, "awaiting() is None at {point:?}"),
    }
}

/// The return value, or `None` when stopped after k resumes.
pub(crate) type Outcome = Option<Result<i64, i64>>;

/// Runs the plain fn with the script, stopping (unwinding) at yield number `stop`.
pub(crate) fn run_plain(
    f: fn(Ctx, i64) -> Result<i64, i64>,
    ctx: &Ctx,
    p: i64,
    stop: Option<usize>,
    salt: u64,
) -> Outcome {
    ORACLE.with(|o| {
        *o.borrow_mut() = Some(OracleRun {
            ctx: ctx.clone(),
            salt,
            count: 0,
            stop,
        })
    });
    let result = catch_unwind(AssertUnwindSafe(|| f(ctx.clone(), p)));
    ORACLE.with(|o| *o.borrow_mut() = None);
    match result {
        Ok(r) => Some(r),
        Err(payload) if payload.is::<StopHere>() => None,
        Err(payload) => resume_unwind(payload),
    }
}

/// Drives a generator with the script; after `stop` resumes, drops it (or, for odd `stop`,
/// closes it first: `close()` is the same drop). At each suspension point it also asks the
/// generator where it is and what it holds, which must not disturb anything.
pub(crate) fn drive<G>(g: G, ctx: &Ctx, stop: Option<usize>, salt: u64) -> Outcome
where
    G: Coroutine<i64, Yield = i64, Return = Result<i64, i64>> + Inspect,
{
    drive_with(g, ctx, stop, salt, |v| v)
}

/// [`drive`] for a generator without resume values (`yield_!` is `()`).
pub(crate) fn drive_unit<G>(g: G, ctx: &Ctx, stop: Option<usize>, salt: u64) -> Outcome
where
    G: Coroutine<(), Yield = i64, Return = Result<i64, i64>> + Inspect,
{
    drive_with(g, ctx, stop, salt, |_| ())
}

fn drive_with<G, R>(
    mut g: G,
    ctx: &Ctx,
    stop: Option<usize>,
    salt: u64,
    arg_of: fn(i64) -> R,
) -> Outcome
where
    G: Coroutine<R, Yield = i64, Return = Result<i64, i64>> + Inspect,
{
    assert_eq!(g.status(), Status::Created);
    // The first resume's argument is discarded.
    let mut arg = 0x5EED;
    let mut count = 0;
    loop {
        match g.resume(arg_of(arg)) {
            CoroutineState::Yielded(v) => {
                ctx.push(Ev::Yield(v));
                count += 1;
                assert!(count <= MAX_YIELDS, "runaway program");
                assert_eq!(g.status(), Status::Suspended);
                assert!(g.suspended_at().is_some());
                let _ = g.locals();
                if Some(count) == stop {
                    ctx.push(Ev::Stop);
                    if count % 2 == 1 {
                        g.close();
                        assert_eq!(g.status(), Status::Closed);
                    }
                    drop(g);
                    return None;
                }
                arg = resume_value(salt, count - 1);
            }
            CoroutineState::Complete(r) => {
                assert_eq!(g.status(), Status::Closed);
                return Some(r);
            }
        }
    }
}

/// A program's inputs, and where it comes from.
#[derive(Debug)]
pub(crate) struct Case {
    /// `(seed, index)` of a generated program; `None` for a hand-written one.
    pub(crate) program: Option<(u64, usize)>,
    /// An async program (`corio-diffgen --async`).
    pub(crate) is_async: bool,
    /// The argument `p`.
    pub(crate) p: i64,
    /// Seeds the scripted resume arguments.
    pub(crate) salt: u64,
}

thread_local! {
    /// The generator's features of the program this test thread checks (`label_features`).
    static FEATURES: Cell<&'static str> = const { Cell::new("") };
}

/// Records the generator features of the program about to be checked, so that a failure
/// prints the command that shows it (each test runs on a thread of its own).
pub(crate) fn label_features(features: &'static str) {
    FEATURES.with(|f| f.set(features));
}

/// Runs a generator program's both forms in full and dropped after several k, and panics on
/// any divergence.
pub(crate) fn check(
    case: &Case,
    plain: fn(Ctx, i64) -> Result<i64, i64>,
    coro: fn(Ctx, i64, Option<usize>, u64) -> Outcome,
) {
    check_runs(
        case,
        |ctx, stop| run_plain(plain, ctx, case.p, stop, case.salt),
        |ctx, stop| coro(ctx.clone(), case.p, stop, case.salt),
    );
}

/// Runs both forms (each given a fresh `Ctx` and where to stop) in full and stopped after
/// several k suspensions, and panics on any divergence.
pub(crate) fn check_runs(
    case: &Case,
    plain: impl Fn(&Ctx, Option<usize>) -> Outcome,
    coro: impl Fn(&Ctx, Option<usize>) -> Outcome,
) {
    let run = |stop: Option<usize>| {
        let ctx = Ctx::new(case.salt);
        let po = plain(&ctx, stop);
        let expected = (ctx.events(), po);
        let ctx = Ctx::new(case.salt);
        let co = coro(&ctx, stop);
        (expected, (ctx.events(), co))
    };
    let (expected, actual) = run(None);
    let yields = expected.0.iter().filter(|e| is_suspension(e)).count();
    let mut failures = Vec::new();
    if let Err(e) = compare(&expected, &actual) {
        failures.push(format!("full run: {e}"));
    }
    for k in stops(yields) {
        let (expected, actual) = run(Some(k));
        if let Err(e) = compare(&expected, &actual) {
            failures.push(format!("stopped after {k} suspensions: {e}"));
        }
    }
    if !failures.is_empty() {
        let origin = match case.program {
            Some((seed, index)) => {
                let (what, mut flag) = if case.is_async {
                    ("async program", "--async ".to_string())
                } else {
                    ("program", String::new())
                };
                let features = FEATURES.with(Cell::get);
                if !features.is_empty() {
                    flag = format!("{flag}--features {features} ");
                }
                format!(
                    "seed {seed}, {what} {index}; print it with \
                     `cargo run -p corio-diffgen -- {flag}--seed {seed} --case {index}`"
                )
            }
            None => "hand-written".to_string(),
        };
        panic!(
            "the coroutine diverges from the plain fn ({origin}):\n{}",
            failures.join("\n")
        );
    }
}

/// A `yield_!` of a generator, a `Pending` of an async program: what drop timing is counted in.
fn is_suspension(e: &Ev) -> bool {
    matches!(e, Ev::Yield(_) | Ev::Pending)
}

/// The k to drop the generator after: the first few, some in the middle, the last.
fn stops(yields: usize) -> Vec<usize> {
    let mut ks = vec![
        1,
        2,
        3,
        yields / 3,
        yields / 2,
        yields.saturating_sub(1),
        yields,
    ];
    ks.retain(|&k| k >= 1 && k <= yields);
    ks.sort_unstable();
    ks.dedup();
    ks
}

/// Checks one pair of runs; the error says what differs.
pub(crate) fn compare(
    expected: &(Vec<Ev>, Outcome),
    actual: &(Vec<Ev>, Outcome),
) -> Result<(), String> {
    let (pe, pr) = expected;
    let (ce, cr) = actual;
    let mut err = String::new();
    if pr != cr {
        let _ = writeln!(err, "return value: plain {pr:?}, coroutine {cr:?}");
    }
    let effects = |evs: &[Ev]| -> Vec<Ev> {
        evs.iter()
            .copied()
            .filter(|e| !matches!(e, Ev::Drop(_)))
            .collect()
    };
    let (pf, cf) = (effects(pe), effects(ce));
    if pf != cf {
        let at = pf.iter().zip(&cf).take_while(|(a, b)| a == b).count();
        let _ = writeln!(
            err,
            "side effects differ at #{at}: plain {:?}, coroutine {:?}",
            &pf[at..pf.len().min(at + 8)],
            &cf[at..cf.len().min(at + 8)]
        );
        return Err(err);
    }
    // For every value: the number of suspensions (yields or `Pending`s) before its drop.
    let drops = |evs: &[Ev]| -> Result<(HashMap<u32, usize>, Vec<u32>), String> {
        let mut yields = 0;
        let mut stopped = false;
        let mut at = HashMap::new();
        let mut after_stop = Vec::new();
        for e in evs {
            match *e {
                _ if is_suspension(e) => yields += 1,
                Ev::Stop => stopped = true,
                Ev::Drop(id) => {
                    if at.insert(id, yields).is_some() {
                        return Err(format!("N#{id} dropped twice"));
                    }
                    if stopped {
                        after_stop.push(id);
                    }
                }
                _ => {}
            }
        }
        Ok((at, after_stop))
    };
    let (p_at, p_after) = drops(pe).map_err(|e| format!("{err}plain fn: {e}"))?;
    let (c_at, c_after) = drops(ce).map_err(|e| format!("{err}coroutine: {e}"))?;
    for e in &pf {
        let &Ev::New(id, guard) = e else { continue };
        match (p_at.get(&id), c_at.get(&id)) {
            (Some(p), Some(c)) if guard && p != c => {
                let _ = writeln!(
                    err,
                    "guard N#{id} dropped after {c} suspensions, but at the end of its block after {p}"
                );
            }
            (Some(p), Some(c)) if c > p => {
                let _ = writeln!(
                    err,
                    "N#{id} dropped after {c} suspensions, later than the plain fn ({p})"
                );
            }
            (Some(_), Some(_)) => {}
            (p, c) => {
                let _ = writeln!(
                    err,
                    "N#{id} not dropped exactly once: plain {p:?}, coroutine {c:?}"
                );
            }
        }
    }
    for id in c_at.keys() {
        if !pf.iter().any(|e| matches!(e, Ev::New(i, _) if i == id)) {
            let _ = writeln!(err, "unknown N#{id} dropped");
        }
    }
    // What the suspended generator held: dropped in the plain fn's unwinding order.
    let order: Vec<u32> = p_after
        .iter()
        .copied()
        .filter(|id| c_after.contains(id))
        .collect();
    if order != c_after {
        let _ = writeln!(
            err,
            "dropping the suspended generator dropped {c_after:?}, in the plain fn's \
             unwinding order {order:?} (all it drops: {p_after:?})"
        );
    }
    if err.is_empty() { Ok(()) } else { Err(err) }
}

// ----- what the widened programs use (`corio-diffrun --features all`) ---------------------

/// Data outside the coroutine: programs borrow it (`&TABLE[..]` as an argument, `let r =
/// &TABLE;` kept across a suspension point), which the borrowing rule allows.
pub(crate) static TABLE: [i64; 4] = [3, -1, 7, 12];

/// A `Copy` struct: struct literals with `..base`, struct patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pt {
    pub(crate) x: i64,
    pub(crate) y: i64,
}

/// A tuple struct, for tuple-struct patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct W(pub(crate) i64);

/// An enum with unit, tuple and struct variants, one of them holding a logged value.
pub(crate) enum Cmd {
    Push(i64),
    Pop,
    Add { a: i64, b: i64 },
    Hold(N),
}

impl Ctx {
    /// One of `Cmd`'s variants, picked by `v`.
    pub(crate) fn cmd(&self, v: i64) -> Cmd {
        match v.rem_euclid(4) {
            0 => Cmd::Push(v),
            1 => Cmd::Pop,
            2 => Cmd::Add { a: v, b: v / 3 },
            _ => Cmd::Hold(self.noisy(v)),
        }
    }
}

/// Borrows a slice, returns an owned value: the borrow ends before the next suspension point.
pub(crate) fn measure(v: &[i64]) -> i64 {
    v.iter()
        .fold(1i64, |acc, e| acc.wrapping_mul(31).wrapping_add(*e))
}

/// Borrows a string, returns an owned value.
pub(crate) fn key(s: &str) -> i64 {
    s.bytes()
        .fold(7i64, |acc, b| acc.wrapping_mul(5) ^ i64::from(b))
}

/// Borrows a logged value, returns an owned value.
pub(crate) fn peek(n: &N) -> i64 {
    n.v.wrapping_add(1)
}
