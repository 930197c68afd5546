//! Await chains, recorded as a poll unwinds.
//!
//! A spawned future is generic, so the loop cannot ask it for [`Inspect`](crate::Inspect).
//! Instead, while this thread *records*, every `#[corio::coroutine]` that returns `Pending`
//! pushes one entry (its name and suspension point) onto a thread-local arena, and corio's
//! leaf futures (`sleep`, `Task`, the `sync` waits, `spawn_blocking`, …) push a [`WaitingOn`]
//! description. Inner futures return first, so one poll leaves its chain in **post-order**:
//! each coroutine entry comes after the entries of what it awaits and says how many those are
//! (`inner`). That is enough to rebuild the await *tree*, branches of `join!` included.
//!
//! Recording is off for ordinary task polls: then a coroutine's poll costs one load of a
//! global counter ([`mark`] gives `INACTIVE`). It is on
//!
//! * during a **trace poll** ([`begin_trace`]): `tasks()`/`dump()` poll each idle task once
//!   while corio's leaf futures, seeing [`traced`], record themselves and return `Pending`
//!   without touching their state, so a suspended coroutine re-polls the future it awaits
//!   and the task does not advance;
//! * for every poll of the **main future** (it lives on `run`'s stack and cannot be traced
//!   later), and of every task in **debug mode**, where each coroutine entry also keeps its
//!   rendered locals. [`end_poll`] files the entries above the poll's mark as the task's
//!   record (`start`, `len`); the previous record becomes garbage, and the arena is compacted
//!   once the garbage outweighs the live records, so a task pays no allocation of its own.
//!
//! Nothing is rendered until somebody asks.
//!
//! ## Approximations
//!
//! * A combinator that drops a pending future when another one finishes (`select`,
//!   `timeout`) cuts the dropped future's entries back; corio's own do, and so does a
//!   coroutine that completes. A foreign combinator of that kind may leave stale entries under
//!   the coroutine that awaits it.
//! * A combinator that polls only the futures that were woken (`FuturesUnordered`, a large
//!   [`join_all`](crate::join_all)) shows only those in a recorded chain; `join_all` shows a
//!   count instead.
//! * A foreign leaf future knows nothing of trace polls: one that became ready without waking
//!   its task lets a trace poll advance the task (an ordinary spurious poll, by the `Future`
//!   contract). Tasks already woken are not traced.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::task::Poll;
use std::time::Instant;

use crate::rt::id::TaskId;
use crate::status::{Local, SuspendPoint};

/// What a leaf future waits for: cheap to record (`Copy`, no allocation), rendered on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitingOn {
    /// `sleep`/`sleep_until`/`interval.tick()`: "sleep until +1.2s".
    Sleep(Instant),
    /// The timer of `timeout`: "timeout at +1.2s".
    Timeout(Instant),
    /// Awaiting a [`Task`](crate::Task) handle: "task 7 (worker)".
    Task(TaskId),
    /// A fixed description, e.g. "Queue::get (empty)".
    Static(&'static &'static str),
    /// A large `join_all`: "join_all (3 of 100 pending)".
    JoinAll { pending: u32, total: u32 },
    /// A socket's readiness: "readable on fd 7 (127.0.0.1:7000, peer 127.0.0.1:53412)" (the
    /// addresses are looked up when the dump is rendered).
    Io { write: bool, fd: i32 },
    /// A child process's exit (`corio::process`): "exit of process 1234".
    ChildExit { pid: u32 },
}

/// One recorded level of an await chain.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entry {
    /// A `#[corio::coroutine]` suspended at `point`; the `inner` entries before it are what it
    /// awaits (a subtree in post-order).
    Coroutine {
        name: &'static &'static str,
        point: Option<&'static SuspendPoint>,
        inner: u32,
    },
    // A leaf future: the variants of `WaitingOn`, flat, so that an entry takes 24 bytes
    // (a nested `WaitingOn` would make it 32).
    Sleep(Instant),
    Timeout(Instant),
    Task(TaskId),
    Static(&'static &'static str),
    JoinAll {
        pending: u32,
        total: u32,
    },
    Io {
        write: bool,
        fd: i32,
    },
    ChildExit {
        pid: u32,
    },
}

impl Entry {
    fn leaf(what: WaitingOn) -> Self {
        match what {
            WaitingOn::Sleep(t) => Self::Sleep(t),
            WaitingOn::Timeout(t) => Self::Timeout(t),
            WaitingOn::Task(id) => Self::Task(id),
            WaitingOn::Static(text) => Self::Static(text),
            WaitingOn::JoinAll { pending, total } => Self::JoinAll { pending, total },
            WaitingOn::Io { write, fd } => Self::Io { write, fd },
            WaitingOn::ChildExit { pid } => Self::ChildExit { pid },
        }
    }

    /// What a leaf entry waits on; `None` for a coroutine.
    pub(crate) fn waiting_on(self) -> Option<WaitingOn> {
        Some(match self {
            Self::Coroutine { .. } => return None,
            Self::Sleep(t) => WaitingOn::Sleep(t),
            Self::Timeout(t) => WaitingOn::Timeout(t),
            Self::Task(id) => WaitingOn::Task(id),
            Self::Static(text) => WaitingOn::Static(text),
            Self::JoinAll { pending, total } => WaitingOn::JoinAll { pending, total },
            Self::Io { write, fd } => WaitingOn::Io { write, fd },
            Self::ChildExit { pid } => WaitingOn::ChildExit { pid },
        })
    }
}

/// Where a task's chain sits in the arena.
#[derive(Debug, Clone, Copy, Default)]
struct Record {
    tag: u32,
    start: u32,
    len: u32,
}

/// Marks `TOP` while this thread records nothing.
pub(crate) const INACTIVE: u32 = u32::MAX;

/// How many threads record right now. A plain load of this global, not a thread-local, is
/// what a coroutine's poll costs when nobody records (the common case outside debug mode).
static RECORDERS: AtomicU32 = AtomicU32::new(0);
/// How many threads run a trace poll right now: the leaf futures' fast check.
static TRACERS: AtomicU32 = AtomicU32::new(0);

/// Sets `TOP`, keeping `RECORDERS` in step.
fn set_top(top: u32) {
    let was = TOP.replace(top);
    match (was == INACTIVE, top == INACTIVE) {
        (true, false) => {
            RECORDERS.fetch_add(1, Relaxed);
        }
        (false, true) => {
            RECORDERS.fetch_sub(1, Relaxed);
        }
        _ => {}
    }
}

thread_local! {
    /// The arena's length while a loop runs on this thread, else `INACTIVE`. Kept apart from
    /// `STATE` so that the hot path (a coroutine's poll) is one plain thread-local read.
    static TOP: Cell<u32> = const { Cell::new(INACTIVE) };
    static STATE: RefCell<State> = const { RefCell::new(State::new()) };
    /// 0: no loop runs on this thread; 1: a loop runs; 2: a loop runs in debug mode.
    static LOOP_DEBUG: Cell<u8> = const { Cell::new(0) };
    /// The id and `run` location of the loop's main future.
    static MAIN: Cell<Option<(TaskId, &'static Location<'static>)>> = const { Cell::new(None) };
}

/// The id and `run` location of the main future of this thread's loop.
pub(crate) fn main_task() -> Option<(TaskId, &'static Location<'static>)> {
    MAIN.try_with(Cell::get).ok().flatten()
}

/// Before a poll whose chain is to be recorded: starts recording and returns the mark its
/// entries start at. [`end_poll`] files them.
pub(crate) fn begin_poll() -> u32 {
    let len = STATE
        .try_with(|s| s.try_borrow().map(|s| s.entries.len() as u32).ok())
        .ok()
        .flatten()
        .unwrap_or(INACTIVE);
    set_top(len);
    len
}

thread_local! {
    /// A trace poll is running: corio's leaf futures record what they wait on and return
    /// `Pending` at once, without touching their state.
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

/// For the top of a leaf future's `poll`: during a trace poll, records `what` and gives the
/// `Pending` to return, so that tracing never changes the leaf's state.
#[inline(always)]
pub(crate) fn traced<T>(what: impl FnOnce() -> WaitingOn) -> Option<Poll<T>> {
    if TRACERS.load(Relaxed) != 0 {
        traced_slow(what)
    } else {
        None
    }
}

#[cold]
#[inline(never)]
fn traced_slow<T>(what: impl FnOnce() -> WaitingOn) -> Option<Poll<T>> {
    TRACING.get().then(|| pending(what()))
}

/// What a trace poll saved of the thread's recording state.
#[derive(Debug)]
pub(crate) struct Trace {
    top: u32,
    tracing: bool,
    mark: u32,
}

/// Starts a trace poll (nested ones are fine).
pub(crate) fn begin_trace() -> Trace {
    let top = TOP.get();
    let tracing = TRACING.replace(true);
    if !tracing {
        TRACERS.fetch_add(1, Relaxed);
    }
    Trace {
        top,
        tracing,
        mark: begin_poll(),
    }
}

/// Ends a trace poll: returns what it recorded, in post-order, and restores the state.
pub(crate) fn end_trace(trace: Trace) -> Vec<Entry> {
    let chain = STATE
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            let from = (trace.mark as usize).min(s.entries.len());
            let chain = s.entries[from..].to_vec();
            s.truncate(trace.mark);
            Some(chain)
        })
        .ok()
        .flatten()
        .unwrap_or_default();
    set_top(trace.top);
    if !trace.tracing {
        TRACING.set(false);
        TRACERS.fetch_sub(1, Relaxed);
    }
    chain
}

struct State {
    entries: Vec<Entry>,
    garbage: usize,
    /// Records by slot index.
    records: Vec<Record>,
    main: Record,
    debug: bool,
    /// Debug mode: the locals of the coroutine entries pushed in this poll, by arena position.
    scratch: Vec<(u32, Vec<Local>)>,
    /// Debug mode: locals by slot index, positions relative to the record's start.
    locals: Vec<Vec<(u32, Vec<Local>)>>,
    main_locals: Vec<(u32, Vec<Local>)>,
}

impl State {
    const fn new() -> Self {
        Self {
            entries: Vec::new(),
            garbage: 0,
            records: Vec::new(),
            main: Record {
                tag: 0,
                start: 0,
                len: 0,
            },
            debug: false,
            scratch: Vec::new(),
            locals: Vec::new(),
            main_locals: Vec::new(),
        }
    }

    fn truncate(&mut self, mark: u32) {
        self.entries.truncate(mark as usize);
        while self.scratch.last().is_some_and(|(at, _)| *at >= mark) {
            self.scratch.pop();
        }
        if TOP.get() != INACTIVE {
            set_top(mark);
        }
    }

    /// Copies the live records into a fresh arena.
    fn compact(&mut self) {
        let live: usize =
            self.records.iter().map(|r| r.len as usize).sum::<usize>() + self.main.len as usize;
        let mut entries = Vec::with_capacity(live.max(64));
        for record in self
            .records
            .iter_mut()
            .chain(std::iter::once(&mut self.main))
        {
            let from = record.start as usize..(record.start + record.len) as usize;
            record.start = entries.len() as u32;
            entries.extend_from_slice(&self.entries[from]);
        }
        self.entries = entries;
        self.garbage = 0;
    }

    fn chain(&self, record: Record) -> &[Entry] {
        self.entries
            .get(record.start as usize..(record.start + record.len) as usize)
            .unwrap_or(&[])
    }
}

/// The arena's length, where what is polled next records, or `INACTIVE` when this thread
/// records nothing.
#[inline(always)]
pub(crate) fn mark() -> u32 {
    if RECORDERS.load(Relaxed) == 0 {
        INACTIVE
    } else {
        TOP.get()
    }
}

/// Whether this thread records.
#[inline(always)]
pub(crate) fn recording() -> bool {
    mark() != INACTIVE
}

/// Whether coroutine entries should carry their locals (the loop runs in debug mode).
pub(crate) fn wants_locals() -> bool {
    LOOP_DEBUG.try_with(Cell::get).unwrap_or(0) == 2
}

/// Debug mode of the loop running on this thread: `None` when no loop runs here.
pub(crate) fn loop_debug() -> Option<bool> {
    match LOOP_DEBUG.try_with(Cell::get).unwrap_or(0) {
        0 => None,
        n => Some(n == 2),
    }
}

/// Forgets what was recorded since `mark`: the futures that pushed it have finished or were
/// dropped.
#[inline(always)]
pub(crate) fn discard(mark: u32) {
    if mark != INACTIVE && TOP.get() > mark {
        discard_slow(mark);
    }
}

#[cold]
#[inline(never)]
fn discard_slow(mark: u32) {
    let _ = STATE.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.truncate(mark);
        }
    });
}

/// Records a leaf future that is about to return `Pending`.
#[inline]
pub(crate) fn waiting_on(what: WaitingOn) {
    if recording() {
        push(Entry::leaf(what), None);
    }
}

/// Records `what` and returns `Pending`: `return trace::pending(…)` in a leaf future.
#[inline]
pub(crate) fn pending<T>(what: WaitingOn) -> Poll<T> {
    waiting_on(what);
    Poll::Pending
}

/// Records `what` when `poll` is `Pending`, and passes `poll` on.
#[inline]
pub(crate) fn note<T>(poll: Poll<T>, what: WaitingOn) -> Poll<T> {
    if poll.is_pending() {
        waiting_on(what);
    }
    poll
}

/// Records a coroutine that returns `Pending`, above the entries pushed since `mark`.
pub(crate) fn coroutine(
    mark: u32,
    name: &'static &'static str,
    point: Option<&'static SuspendPoint>,
    locals: Option<Vec<Local>>,
) {
    let inner = TOP.get().saturating_sub(mark);
    push(Entry::Coroutine { name, point, inner }, locals);
}

#[inline(never)]
fn push(entry: Entry, locals: Option<Vec<Local>>) {
    let _ = STATE.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            let at = s.entries.len() as u32;
            if at == INACTIVE - 1 {
                return;
            }
            s.entries.push(entry);
            if let Some(locals) = locals {
                s.scratch.push((at, locals));
            }
            set_top(at + 1);
        }
    });
}

/// Starts recording for a loop on this thread; stops (and frees the arena) when dropped.
pub(crate) struct Recording {
    previous: u32,
    previous_debug: u8,
}

impl Recording {
    pub(crate) fn start(debug: bool, main: Option<(TaskId, &'static Location<'static>)>) -> Self {
        let previous = TOP.get();
        set_top(INACTIVE);
        let previous_debug = LOOP_DEBUG.replace(if debug { 2 } else { 1 });
        MAIN.set(main);
        STATE.with_borrow_mut(|s| {
            *s = State::new();
            s.debug = debug;
        });
        Self {
            previous,
            previous_debug,
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        let old = STATE.try_with(|s| {
            s.try_borrow_mut()
                .map(|mut s| std::mem::replace(&mut *s, State::new()))
        });
        set_top(self.previous);
        let _ = LOOP_DEBUG.try_with(|d| d.set(self.previous_debug));
        let _ = MAIN.try_with(|m| m.set(None));
        drop(old);
    }
}

/// Which record a poll writes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Whose {
    Main,
    Task { index: u32, tag: u32 },
}

/// The chain a task had before a poll and the one it has after, for a slow-poll warning.
#[derive(Debug, Default)]
pub(crate) struct Moved {
    pub(crate) resumed: Option<String>,
    pub(crate) suspended: Option<String>,
}

/// Files the entries recorded since `mark` as `whose` chain (or drops them, when `done`).
/// With `describe`, also tells where the poll resumed and where it suspended.
pub(crate) fn end_poll(whose: Whose, mark: u32, done: bool, describe: bool) -> Option<Moved> {
    if mark == INACTIVE {
        return describe.then(Moved::default);
    }
    let moved = STATE
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            let s = &mut *s;
            let top = s.entries.len() as u32;
            let mark = mark.min(top);
            let old = match whose {
                Whose::Main => s.main,
                Whose::Task { index, tag } => match s.records.get(index as usize) {
                    Some(r) if r.tag == tag => *r,
                    Some(r) => Record { len: 0, ..*r },
                    None => Record::default(),
                },
            };
            let moved = describe.then(|| Moved {
                resumed: innermost(s.chain(old)),
                suspended: if done {
                    None
                } else {
                    innermost(&s.entries[mark as usize..])
                },
            });
            let len = if done { 0 } else { top - mark };
            if done {
                s.truncate(mark);
            }
            let scratch = if s.debug {
                let base = mark;
                let mut scratch = std::mem::take(&mut s.scratch);
                for (at, _) in &mut scratch {
                    *at -= base;
                }
                scratch
            } else {
                Vec::new()
            };
            let record = Record {
                tag: match whose {
                    Whose::Main => 0,
                    Whose::Task { tag, .. } => tag,
                },
                start: mark,
                len,
            };
            match whose {
                Whose::Main => {
                    s.garbage += s.main.len as usize;
                    s.main = record;
                    if s.debug {
                        s.main_locals = scratch;
                    }
                }
                Whose::Task { index, .. } => {
                    let i = index as usize;
                    if len > 0 || s.records.get(i).is_some_and(|r| r.len > 0) {
                        if s.records.len() <= i {
                            s.records.resize(i + 1, Record::default());
                        }
                        s.garbage += s.records[i].len as usize;
                        s.records[i] = record;
                    }
                    if s.debug {
                        if s.locals.len() <= i {
                            s.locals.resize_with(i + 1, Vec::new);
                        }
                        s.locals[i] = scratch;
                    }
                }
            }
            if s.garbage > 1024 && s.garbage > s.entries.len() / 2 {
                s.compact();
            }
            moved
        })
        .ok()
        .flatten();
    set_top(INACTIVE);
    moved
}

/// "app::inner at src/x.rs:3:5 `sleep(d).await`" for the deepest coroutine of the first branch.
fn innermost(chain: &[Entry]) -> Option<String> {
    chain.iter().find_map(|e| match e {
        Entry::Coroutine { name, point, .. } => Some(match point {
            Some(p) => format!("{name} {p}"),
            None => (**name).to_owned(),
        }),
        _ => None,
    })
}

/// A copy of a task's chain (post-order) and, in debug mode, its locals by position.
pub(crate) type Snapshot = (Vec<Entry>, Vec<(u32, Vec<Local>)>);

/// The chain recorded at the task's last suspension.
pub(crate) fn snapshot(whose: Whose) -> Snapshot {
    STATE
        .try_with(|s| {
            let Ok(s) = s.try_borrow() else {
                return (Vec::new(), Vec::new());
            };
            let (record, locals) = match whose {
                Whose::Main => (s.main, Some(&s.main_locals)),
                Whose::Task { index, tag } => match s.records.get(index as usize) {
                    Some(r) if r.tag == tag => (*r, s.locals.get(index as usize)),
                    _ => return (Vec::new(), Vec::new()),
                },
            };
            let chain = s.chain(record).to_vec();
            let locals = if s.debug {
                locals.cloned().unwrap_or_default()
            } else {
                Vec::new()
            };
            (chain, locals)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_stay_small() {
        assert!(
            std::mem::size_of::<Entry>() <= 24,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }

    #[test]
    fn nothing_is_recorded_outside_a_loop() {
        assert!(!recording());
        waiting_on(WaitingOn::Static(&"x"));
        assert_eq!(mark(), INACTIVE);
    }

    fn begin(_whose: Whose) -> u32 {
        begin_poll()
    }

    #[test]
    fn a_poll_files_its_entries_and_compaction_keeps_them() {
        let _rec = Recording::start(false, None);
        let task = Whose::Task { index: 3, tag: 9 };
        for round in 0..2000u32 {
            let m = begin(task);
            waiting_on(WaitingOn::JoinAll {
                pending: round,
                total: 1,
            });
            coroutine(m, &"outer", None, None);
            end_poll(task, m, false, false);
        }
        let (chain, _) = snapshot(task);
        assert_eq!(chain.len(), 2);
        assert!(matches!(chain[0], Entry::JoinAll { pending: 1999, .. }));
        assert!(matches!(chain[1], Entry::Coroutine { inner: 1, .. }));
        STATE.with_borrow(|s| assert!(s.entries.len() < 3000, "{}", s.entries.len()));
        let m = begin(task);
        end_poll(task, m, true, false);
        assert!(snapshot(task).0.is_empty());
    }

    #[test]
    fn discard_cuts_back_stale_entries() {
        let _rec = Recording::start(false, None);
        let m = begin(Whose::Main);
        waiting_on(WaitingOn::Static(&"stale"));
        discard(m);
        assert_eq!(mark(), m);
        end_poll(Whose::Main, m, false, false);
        assert!(!recording());
    }
}
