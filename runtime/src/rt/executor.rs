//! The single-threaded loop: a slab of tasks, a FIFO ready queue, and the tick.
//!
//! One tick runs up to `event_interval` ready tasks in FIFO order, takes the wake-ups other
//! threads queued, fires the timers that are due, and then looks at I/O. It waits for I/O
//! (`Reactor::wait`) when no task is ready (with the next timer deadline as its timeout), and
//! otherwise only once every `io_interval` ticks and only when a source is registered: every
//! wait is a system call (on Linux one `epoll_wait`; `Poller::wait` would make it five).
//!
//! The loop never holds a `RefCell` borrow while it runs user code (polling a future, dropping
//! one, waking a waker): cells are taken out of the slab while they run and put back after.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::num::NonZeroU64;
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use polling::Poller;

use crate::rt::await_chain::{self, Whose};
use crate::rt::clock::{Clock, Rng};
use crate::rt::config::Config;
use crate::rt::hooks::CoreEvent;
pub use crate::rt::id::LoopId;
pub(crate) use crate::rt::id::next_id;
use crate::rt::reactor::Reactor;
use crate::rt::task::{RawTask, TaskId};
use crate::rt::timer_queue::Timers;
use crate::rt::waker::{MAIN_INDEX, Shared, TaskRef, TaskWaker};
use crate::status::Status;

thread_local! {
    static CURRENT: RefCell<Option<Rc<LoopInner>>> = const { RefCell::new(None) };
}

/// Every running loop of the process, for `dump_all`: its id and its thread-safe part.
static LOOPS: Mutex<Vec<(LoopId, Weak<Shared>)>> = Mutex::new(Vec::new());

/// A new loop's id, with the loop entered in [`LOOPS`].
fn register(shared: &Arc<Shared>) -> LoopId {
    let id = LoopId(next_id());
    let mut loops = LOOPS.lock().unwrap_or_else(PoisonError::into_inner);
    loops.push((id, Arc::downgrade(shared)));
    id
}

fn unregister(id: LoopId) {
    LOOPS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|(l, _)| *l != id);
}

/// The loops of the process that are running now, oldest first.
pub(crate) fn all_loops() -> Vec<(LoopId, Arc<Shared>)> {
    let loops = LOOPS.lock().unwrap_or_else(PoisonError::into_inner);
    loops
        .iter()
        .filter_map(|(id, shared)| Some((*id, shared.upgrade()?)))
        .collect()
}

/// Runs `f` with the running loop of this thread.
///
/// # Panics
///
/// Panics when no loop is running on this thread.
#[track_caller]
pub(crate) fn with_current<R>(f: impl FnOnce(&LoopInner) -> R) -> R {
    match try_with_current(f) {
        Some(r) => r,
        None => panic!(
            "there is no running corio loop on this thread: call this inside `corio::run(...)`"
        ),
    }
}

/// Runs `f` with the running loop of this thread, if there is one.
pub(crate) fn try_with_current<R>(f: impl FnOnce(&LoopInner) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_deref().map(f))
        .ok()
        .flatten()
}

/// Returns a handle to the running loop.
pub(crate) fn current() -> Option<Rc<LoopInner>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Wakes `task` through the thread-local loop when `shared` belongs to it.
pub(crate) fn wake_local(shared: &Arc<Shared>, task: TaskRef) -> bool {
    try_with_current(|l| {
        let mine = Arc::ptr_eq(&l.shared, shared);
        if mine {
            l.schedule(task);
        }
        mine
    })
    .unwrap_or(false)
}

const SCHEDULED: u64 = 1 << 63;
const DONE: u64 = 1 << 62;
const DETACHED: u64 = 1 << 61;
const CANCEL: u64 = 1 << 60;
/// The task's handle is waiting for it: its waker is in `LoopInner::awaiters`.
const AWAITED: u64 = 1 << 59;
/// With `CANCEL`: the task is to end as [`TaskError::Failed`](crate::TaskError::Failed).
const FAILED: u64 = 1 << 58;
const ID_MASK: u64 = (1 << 56) - 1;

/// Hashes slot indices for the awaiter table: they are small, distinct integers already.
#[derive(Default)]
struct IndexHasher(u64);

impl Hasher for IndexHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// One slab entry: the task id and its flags packed in a word, and the cell.
///
/// `cell` is `None` while the task runs (the loop holds it) and in vacant slots (`word == 0`).
struct Slot {
    word: u64,
    cell: Option<Pin<Box<dyn RawTask>>>,
}

impl Slot {
    fn id(&self) -> u64 {
        self.word & ID_MASK
    }

    fn matches(&self, task: TaskRef) -> bool {
        self.word != 0 && self.id() as u32 == task.tag
    }

    fn is(&self, flag: u64) -> bool {
        self.word & flag != 0
    }
}

/// The task slab: slots plus a free list.
#[derive(Default)]
struct Slab {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
}

impl Slab {
    fn get(&mut self, task: TaskRef) -> Option<&mut Slot> {
        self.slots
            .get_mut(task.index as usize)
            .filter(|s| s.matches(task))
    }

    fn insert(&mut self, id: u64, cell: Pin<Box<dyn RawTask>>) -> u32 {
        self.live += 1;
        let slot = Slot {
            word: id | SCHEDULED,
            cell: Some(cell),
        };
        if let Some(index) = self.free.pop() {
            self.slots[index as usize] = slot;
            index
        } else {
            let index = u32::try_from(self.slots.len())
                .ok()
                .filter(|&i| i < MAIN_INDEX)
                .expect("too many live tasks");
            self.slots.push(slot);
            index
        }
    }

    fn remove(&mut self, index: u32) -> Option<Pin<Box<dyn RawTask>>> {
        let slot = &mut self.slots[index as usize];
        slot.word = 0;
        self.free.push(index);
        self.live -= 1;
        slot.cell.take()
    }
}

/// A loop: everything `run` owns while it runs, shared with handles through an `Rc`.
pub(crate) struct LoopInner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) reactor: Rc<Reactor>,
    pub(crate) timers: RefCell<Timers>,
    /// The clock as of the last timer check: never ahead of `clock`.
    pub(crate) now: Cell<Instant>,
    /// Real time, or virtual time while paused (`corio::time::pause`, `Builder::seed`).
    pub(crate) clock: Clock,
    /// `Builder::seed`: picks the next ready task.
    schedule: Option<Rng>,
    pub(crate) config: Config,
    slab: RefCell<Slab>,
    ready: RefCell<VecDeque<TaskRef>>,
    main_scheduled: Cell<bool>,
    names: RefCell<HashMap<u64, Rc<str>>>,
    awaiters: RefCell<HashMap<u32, Waker, BuildHasherDefault<IndexHasher>>>,
    closed: Cell<bool>,
    /// The task being polled (the main future's id while it is polled), and its spawn location.
    current_task: Cell<Option<TaskId>>,
    current_at: Cell<Option<&'static Location<'static>>>,
    id: LoopId,
}

impl fmt::Debug for LoopInner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let live = self.slab.try_borrow().map(|s| s.live);
        let mut d = f.debug_struct("Loop");
        d.field("id", &self.id);
        match live {
            Ok(live) => d.field("tasks", &live),
            Err(_) => d.field("tasks", &"<borrowed>"),
        };
        d.field("closed", &self.closed.get()).finish()
    }
}

/// A task as `corio::tasks()` sees it.
#[derive(Debug)]
pub(crate) struct TaskView {
    pub(crate) index: u32,
    pub(crate) id: TaskId,
    pub(crate) status: Status,
    /// Woken: in the ready queue.
    pub(crate) scheduled: bool,
    /// `None` for the running task (the loop holds its cell).
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    pub(crate) name: Option<Rc<str>>,
}

impl LoopInner {
    fn new(config: Config) -> Self {
        let poller = Poller::new()
            .unwrap_or_else(|e| panic!("corio: cannot create the I/O poller of the loop: {e}"));
        let shared = Arc::new(Shared::new(poller));
        let shared_for_registry = shared.clone();
        let clock = Clock::new();
        // A seeded schedule runs on virtual time from the start: timers then fire in the
        // same order, at the same virtual instants, whatever the machine's load.
        if config.seed.is_some() || config.start_paused {
            clock.pause();
        }
        Self {
            reactor: Rc::new(Reactor::new(shared.clone())),
            shared,
            timers: RefCell::new(Timers::new(Instant::now())),
            now: Cell::new(clock.now()),
            schedule: config.seed.map(Rng::new),
            clock,
            config,
            slab: RefCell::new(Slab::default()),
            ready: RefCell::new(VecDeque::new()),
            main_scheduled: Cell::new(false),
            names: RefCell::new(HashMap::new()),
            awaiters: RefCell::new(HashMap::default()),
            closed: Cell::new(false),
            current_task: Cell::new(None),
            current_at: Cell::new(None),
            id: register(&shared_for_registry),
        }
    }

    pub(crate) fn id(&self) -> LoopId {
        self.id
    }

    /// The task being polled right now (or the main future), and where it was spawned.
    pub(crate) fn current(&self) -> Option<(TaskId, &'static Location<'static>)> {
        self.current_task.get().zip(self.current_at.get())
    }

    /// The name given to `spawn_named`.
    pub(crate) fn task_name(&self, id: TaskId) -> Option<Rc<str>> {
        self.names.borrow().get(&id.as_u64()).cloned()
    }

    /// Puts a new task in the slab and at the back of the ready queue.
    pub(crate) fn insert(
        &self,
        cell: Pin<Box<dyn RawTask>>,
        name: Option<String>,
    ) -> (TaskRef, TaskId) {
        let id = TaskId(next_id());
        assert!(id.as_u64() <= ID_MASK, "task ids exhausted");
        let index = self.slab.borrow_mut().insert(id.as_u64(), cell);
        let task = TaskRef {
            index,
            tag: id.tag(),
        };
        self.ready.borrow_mut().push_back(task);
        if let Some(name) = name {
            self.names.borrow_mut().insert(id.as_u64(), name.into());
        }
        (task, id)
    }

    /// Puts `task` at the back of the ready queue unless it is already there or done.
    pub(crate) fn schedule(&self, task: TaskRef) {
        if task.index == MAIN_INDEX {
            if !self.main_scheduled.replace(true) {
                self.ready.borrow_mut().push_back(task);
            }
            return;
        }
        let mut slab = self.slab.borrow_mut();
        if let Some(slot) = slab.get(task)
            && slot.word & (SCHEDULED | DONE) == 0
        {
            slot.word |= SCHEDULED;
            self.ready.borrow_mut().push_back(task);
        }
    }

    /// Polls one task taken from the ready queue.
    fn run_task(&self, task: TaskRef) {
        let (mut cell, id) = {
            let mut slab = self.slab.borrow_mut();
            let Some(slot) = slab.get(task) else { return };
            if !slot.is(SCHEDULED) {
                return;
            }
            slot.word &= !SCHEDULED;
            if slot.is(DONE) {
                return;
            }
            let Some(cell) = slot.cell.take() else { return };
            (cell, slot.id())
        };
        let id = TaskId(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN));
        self.current_task.set(Some(id));
        self.current_at.set(Some(cell.spawned_at()));
        let done = if self.config.debug {
            // Debug mode records every chain; otherwise a dump traces the tasks it lists.
            let whose = Whose::Task {
                index: task.index,
                tag: task.tag,
            };
            let mark = await_chain::begin_poll();
            let first = !cell.started();
            let started = Instant::now();
            let done = cell.as_mut().poll(task, &self.shared);
            self.end_poll(whose, mark, done, Some(started), Some(id), first);
            done
        } else {
            cell.as_mut().poll(task, &self.shared)
        };
        self.current_task.set(None);
        self.after_poll(task, cell, done);
    }

    /// Puts a polled task back, or records that it finished (or was cancelled meanwhile).
    #[inline(always)]
    fn after_poll(&self, task: TaskRef, mut cell: Pin<Box<dyn RawTask>>, done: bool) {
        if !done {
            // The common case, a task that stays pending, takes one borrow.
            let mut slab = self.slab.borrow_mut();
            let failed = match slab.get(task) {
                Some(slot) if !slot.is(CANCEL) => {
                    slot.cell = Some(cell);
                    return;
                }
                Some(slot) => slot.is(FAILED),
                // Nothing frees the slot of a running task; be safe anyway.
                None => {
                    drop(slab);
                    drop(cell);
                    return;
                }
            };
            drop(slab);
            cell.as_mut().cancel(failed);
        }
        self.complete(task, cell, !done);
    }

    /// Records that the task in `cell` finished: wakes its awaiter, or frees the slot when no
    /// handle is left. `cell` is dropped (if it is) after every borrow is released.
    ///
    /// A `cancelled` task keeps the `CANCEL` flag with `DONE`. Either way `DONE` takes it out
    /// of `tasks()` and dumps (asyncio's `all_tasks()` lists only tasks that are not done).
    fn complete(&self, task: TaskRef, cell: Pin<Box<dyn RawTask>>, cancelled: bool) {
        let mut awaiter = None;
        let dropped = {
            let mut slab = self.slab.borrow_mut();
            if let Some(slot) = slab.get(task)
                && slot.is(AWAITED)
            {
                slot.word &= !AWAITED;
                awaiter = self.awaiters.borrow_mut().remove(&task.index);
            }
            match slab.get(task) {
                Some(slot) if slot.is(DETACHED) => {
                    let id = slot.id();
                    slab.remove(task.index);
                    Some((Some(id), cell))
                }
                Some(slot) => {
                    slot.word = (slot.word & !CANCEL) | DONE | if cancelled { CANCEL } else { 0 };
                    slot.cell = Some(cell);
                    None
                }
                None => Some((None, cell)),
            }
        };
        if let Some((id, cell)) = dropped {
            if let Some(id) = id {
                self.discard(id, &*cell);
            }
            drop(cell);
        }
        if let Some(awaiter) = awaiter {
            awaiter.wake();
        }
    }

    fn forget_name(&self, id: u64) {
        if let Ok(mut names) = self.names.try_borrow_mut()
            && !names.is_empty()
        {
            names.remove(&id);
        }
    }

    /// Files the await chain a poll recorded; in debug mode, warns when the poll was slow.
    fn end_poll(
        &self,
        whose: Whose,
        mark: u32,
        done: bool,
        started: Option<Instant>,
        id: Option<TaskId>,
        first: bool,
    ) {
        let took = started.map(|s| s.elapsed());
        let slow = took.is_some_and(|t| t >= self.config.slow_poll_threshold);
        let moved = await_chain::end_poll(whose, mark, done, slow);
        if let (Some(took), Some(moved)) = (took, moved) {
            self.warn_slow(took, id, moved, done, first);
        }
    }

    fn warn_slow(
        &self,
        took: Duration,
        id: Option<TaskId>,
        moved: await_chain::Moved,
        done: bool,
        first: bool,
    ) {
        if let Some(listener) = self.config.listener {
            let event = CoreEvent::SlowPoll {
                task: id.map(|id| (id, self.task_name(id))),
                took,
                threshold: self.config.slow_poll_threshold,
                moved,
                done,
                first,
            };
            listener(event);
        }
    }

    /// A finished task leaves the slab without anyone taking its output: in debug mode, say
    /// so when that output is a panic (asyncio's "Task exception was never retrieved").
    fn discard(&self, id: u64, cell: &dyn RawTask) {
        if self.config.debug
            && let Some(listener) = self.config.listener
            && let Some(panic) = cell.panic()
        {
            let task = TaskId(NonZeroU64::new(id).unwrap_or(NonZeroU64::MIN));
            let event = CoreEvent::PanicNeverRetrieved {
                task,
                spawned_at: cell.spawned_at(),
                message: panic.message(),
            };
            listener(event);
        }
        self.forget_name(id);
    }

    /// Polls a suspended, unscheduled task once in trace mode and returns the await chain it
    /// recorded (post-order). corio's leaf futures return `Pending` at once in trace mode, so
    /// the task does not advance, unless it awaits a foreign future that became ready without
    /// waking it; such a poll is an ordinary (spurious) poll and is handled as one.
    pub(crate) fn trace_task(&self, task: TaskRef, id: TaskId) -> Vec<await_chain::Entry> {
        let cell = {
            let Ok(mut slab) = self.slab.try_borrow_mut() else {
                return Vec::new();
            };
            let Some(slot) = slab.get(task).filter(|s| s.id() == id.as_u64()) else {
                return Vec::new();
            };
            if slot.word & (SCHEDULED | DONE | CANCEL) != 0 {
                return Vec::new();
            }
            match slot.cell.take() {
                Some(cell) if cell.started() => cell,
                Some(cell) => {
                    slot.cell = Some(cell);
                    return Vec::new();
                }
                None => return Vec::new(),
            }
        };
        let mut cell = cell;
        let trace = await_chain::begin_trace();
        let outer = self.current_task.replace(Some(id));
        let outer_at = self.current_at.replace(Some(cell.spawned_at()));
        let done = cell.as_mut().poll(task, &self.shared);
        self.current_task.set(outer);
        self.current_at.set(outer_at);
        let chain = await_chain::end_trace(trace);
        self.after_poll(task, cell, done);
        if done { Vec::new() } else { chain }
    }

    /// The tasks in the slab, oldest first, for `corio::tasks()`.
    pub(crate) fn task_views(&self) -> Vec<TaskView> {
        let Ok(slab) = self.slab.try_borrow() else {
            return Vec::new();
        };
        let names = self.names.try_borrow().ok();
        let mut views: Vec<TaskView> = slab
            .slots
            .iter()
            .enumerate()
            // A finished task is gone from the listing, even while its handle is held:
            // asyncio's `all_tasks()` lists only tasks that are not done (issue 16 for a
            // cancelled one; a completed one too since the probe session).
            .filter(|(_, s)| s.word != 0 && !s.is(DONE))
            .map(|(index, s)| {
                let id = TaskId(NonZeroU64::new(s.id()).unwrap_or(NonZeroU64::MIN));
                let status = match &s.cell {
                    None => Status::Running,
                    Some(cell) if cell.started() => Status::Suspended,
                    Some(_) => Status::Created,
                };
                TaskView {
                    index: index as u32,
                    id,
                    status,
                    scheduled: s.is(SCHEDULED),
                    spawned_at: s.cell.as_ref().map(|c| c.spawned_at()),
                    name: names.as_ref().and_then(|n| n.get(&s.id()).cloned()),
                }
            })
            .collect();
        views.sort_by_key(|v| v.id);
        views
    }

    /// Cancels a task: drops its future now, or after its poll if it is the one running.
    pub(crate) fn cancel(&self, task: TaskRef, id: TaskId) {
        self.end(task, id, false);
    }

    /// Ends a task as [`TaskError::Failed`](crate::TaskError::Failed) (its error went to its
    /// `TaskGroup`), the way `cancel` ends it as cancelled.
    pub(crate) fn fail(&self, task: TaskRef, id: TaskId) {
        self.end(task, id, true);
    }

    fn end(&self, task: TaskRef, id: TaskId, failed: bool) {
        let cell = {
            let mut slab = self.slab.borrow_mut();
            let Some(slot) = slab.get(task).filter(|s| s.id() == id.as_u64()) else {
                return;
            };
            if slot.is(DONE) {
                return;
            }
            match slot.cell.take() {
                Some(cell) => cell,
                None => {
                    slot.word |= CANCEL;
                    if failed {
                        slot.word |= FAILED;
                    }
                    return;
                }
            }
        };
        let mut cell = cell;
        cell.as_mut().cancel(failed);
        self.complete(task, cell, true);
    }

    pub(crate) fn is_finished(&self, task: TaskRef, id: TaskId) -> bool {
        // Never panics (`Task`'s `Debug` calls this): a busy slab answers "not finished".
        let Ok(mut slab) = self.slab.try_borrow_mut() else {
            return false;
        };
        slab.get(task)
            .filter(|s| s.id() == id.as_u64())
            .is_none_or(|s| s.is(DONE))
    }

    /// Polls a task's completion for its handle; on `Ready` the output is in `out`.
    pub(crate) fn poll_join(
        &self,
        task: TaskRef,
        id: TaskId,
        cx: &mut Context<'_>,
        out: &mut dyn Any,
    ) -> Poll<()> {
        let mut slab = self.slab.borrow_mut();
        let Some(slot) = slab.get(task).filter(|s| s.id() == id.as_u64()) else {
            return Poll::Ready(());
        };
        if slot.is(DONE) {
            let cell = slab.remove(task.index);
            drop(slab);
            self.forget_name(id.as_u64());
            if let Some(mut cell) = cell {
                cell.as_mut().take_output(out);
            }
            return Poll::Ready(());
        }
        slot.word |= AWAITED;
        drop(slab);
        let old = {
            let mut awaiters = self.awaiters.borrow_mut();
            match awaiters.get_mut(&task.index) {
                Some(w) if w.will_wake(cx.waker()) => None,
                Some(w) => Some(std::mem::replace(w, cx.waker().clone())),
                None => awaiters.insert(task.index, cx.waker().clone()),
            }
        };
        drop(old);
        Poll::Pending
    }

    /// Polls whether a task has finished without taking its output (for `corio::wait`):
    /// `Ready(true)` when it finished with a failure (it panicked, or its error went to its
    /// `TaskGroup`), `Ready(false)` when it
    /// completed or was cancelled (or is unknown to this loop). Registers `cx`'s waker as
    /// the task's awaiter while it runs.
    pub(crate) fn poll_finished(
        &self,
        task: TaskRef,
        id: TaskId,
        cx: &mut Context<'_>,
    ) -> Poll<bool> {
        let mut slab = self.slab.borrow_mut();
        let Some(slot) = slab.get(task).filter(|s| s.id() == id.as_u64()) else {
            return Poll::Ready(false);
        };
        if slot.is(DONE) {
            return Poll::Ready(slot.cell.as_ref().is_some_and(|c| c.failed()));
        }
        slot.word |= AWAITED;
        drop(slab);
        let old = {
            let mut awaiters = self.awaiters.borrow_mut();
            match awaiters.get_mut(&task.index) {
                Some(w) if w.will_wake(cx.waker()) => None,
                Some(w) => Some(std::mem::replace(w, cx.waker().clone())),
                None => awaiters.insert(task.index, cx.waker().clone()),
            }
        };
        drop(old);
        Poll::Pending
    }

    /// The handle was dropped: free the slot now if the task is done, else when it is.
    pub(crate) fn detach(&self, task: TaskRef, id: TaskId) {
        let cell = {
            let mut slab = self.slab.borrow_mut();
            let Some(slot) = slab.get(task).filter(|s| s.id() == id.as_u64()) else {
                return;
            };
            if !slot.is(DONE) {
                slot.word |= DETACHED;
                return;
            }
            slab.remove(task.index)
        };
        if let Some(cell) = &cell {
            self.discard(id.as_u64(), &**cell);
        } else {
            self.forget_name(id.as_u64());
        }
        drop(cell);
    }

    fn pop_ready(&self) -> Option<TaskRef> {
        let mut ready = self.ready.borrow_mut();
        match &self.schedule {
            None => ready.pop_front(),
            // Seeded: any ready task may run next, chosen by the seed.
            Some(rng) if ready.len() > 1 => {
                let i = rng.below(ready.len());
                ready.remove(i)
            }
            Some(_) => ready.pop_front(),
        }
    }

    fn has_ready(&self) -> bool {
        !self.ready.borrow().is_empty()
    }

    /// Schedules the tasks that other threads woke.
    fn drain_remote(&self, buf: &mut Vec<TaskRef>) {
        // `Vec::new` does not allocate: the common turn, with no jobs, costs nothing here.
        let mut jobs = Vec::new();
        self.shared.take_remote(buf, &mut jobs);
        for task in buf.drain(..) {
            self.schedule(task);
        }
        for job in jobs {
            job();
        }
    }

    /// Wakes every timer that is due.
    /// Reads the clock once per tick, for the timers and for `Sleep`'s first poll.
    pub(crate) fn fire_timers(&self, wakers: &mut Vec<Waker>) {
        let now = self.clock.now();
        self.now.set(now);
        {
            let mut timers = self.timers.borrow_mut();
            if timers.is_empty() {
                return;
            }
            if self.clock.is_paused() {
                timers.fire_due_exact(now, wakers);
            } else {
                timers.fire_due(now, wakers);
            }
        }
        for waker in wakers.drain(..) {
            waker.wake();
        }
    }

    /// No task is ready and the clock is paused: takes what already happened outside the
    /// loop, and when nothing did, moves the clock to the next timer's deadline and fires it
    /// (tokio's auto-advance). Work in flight outside the loop holds the jump back: while a
    /// `spawn_blocking` job runs the loop waits for it, and while a task waits on a socket the
    /// loop first gives the I/O [`IO_GRACE`] of real time (loopback data written by this loop
    /// is there at once; the grace is for peers on other threads). Returns how many tasks the
    /// I/O waits woke.
    fn idle_paused(&self, wakers: &mut Vec<Waker>, remote: &mut Vec<TaskRef>) -> usize {
        let mut woke = self.reactor.wait(Some(Duration::ZERO), wakers);
        self.drain_remote(remote);
        if self.has_ready() {
            return woke;
        }
        let deadline = self.timers.borrow().earliest();
        let Some(deadline) = deadline.filter(|_| !self.shared.blocking_in_flight()) else {
            // Nothing to advance to (or a blocking job to wait for): block until something
            // from outside arrives.
            woke += self.reactor.wait(None, wakers);
            self.drain_remote(remote);
            self.fire_timers(wakers);
            return woke;
        };
        if self.reactor.has_waiters() {
            woke += self.reactor.wait(Some(IO_GRACE), wakers);
            self.drain_remote(remote);
            if self.has_ready() {
                return woke;
            }
        }
        self.clock.advance_to(deadline);
        self.fire_timers(wakers);
        woke
    }

    /// `Builder::busy_poll`: busy-waits up to `spin` before the loop blocks, so that the I/O
    /// that arrives meanwhile is taken by the one wait that follows. Stops early at a timer's
    /// deadline or a wake-up from another thread, which the wait would otherwise see at once.
    fn spin(&self, spin: Duration, deadline: Option<Instant>) {
        let start = Instant::now();
        let mut until = start + spin;
        if let Some(deadline) = deadline {
            // The deadline is on the loop's clock; the spin runs on the real one.
            until = until.min(start + deadline.saturating_duration_since(self.clock.now()));
        }
        while !self.shared.has_remote() && Instant::now() < until {
            std::hint::spin_loop();
        }
    }

    /// Cancels and drops every task, repeating while destructors spawn new ones.
    fn shutdown(&self) {
        self.closed.set(true);
        unregister(self.id);
        // Jobs other threads sent and the loop never ran: dropping them tells their senders
        // (a remote join handle then reports `Cancelled`).
        drop(self.shared.close_jobs());
        loop {
            let victims: Vec<(TaskRef, TaskId)> = {
                let slab = self.slab.borrow();
                slab.slots
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.word != 0 && !s.is(DONE))
                    .map(|(i, s)| {
                        let id = TaskId(NonZeroU64::new(s.id()).unwrap_or(NonZeroU64::MIN));
                        (
                            TaskRef {
                                index: i as u32,
                                tag: id.tag(),
                            },
                            id,
                        )
                    })
                    .collect()
            };
            if victims.is_empty() {
                break;
            }
            for (task, id) in victims {
                self.cancel(task, id);
            }
        }
        self.ready.borrow_mut().clear();
        // Finished outputs nobody awaited, timers and wakers go with the slab; take them out
        // first so their destructors run without a borrow held.
        let slab = std::mem::take(&mut *self.slab.borrow_mut());
        if self.config.debug {
            for slot in &slab.slots {
                if let Some(cell) = &slot.cell
                    && slot.word != 0
                {
                    self.discard(slot.id(), &**cell);
                }
            }
        }
        drop(slab);
        let awaiters = std::mem::take(&mut *self.awaiters.borrow_mut());
        drop(awaiters);
        let timers = std::mem::replace(&mut *self.timers.borrow_mut(), Timers::new(Instant::now()));
        drop(timers);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }
}

/// How long a paused clock waits for I/O that a task waits on before it jumps to the next
/// timer (see `LoopInner::idle_paused`).
const IO_GRACE: Duration = Duration::from_millis(50);

/// Clears the thread-local loop on every way out of `block_on`, unwinding included.
struct ResetCurrent;

impl Drop for ResetCurrent {
    fn drop(&mut self) {
        Reactor::set_current(None);
        let old = CURRENT.try_with(|c| c.borrow_mut().take()).ok().flatten();
        drop(old);
    }
}

/// Builds a loop, drives `fut` to completion on it, then cancels what is left.
pub(crate) fn block_on<F: Future>(config: Config, fut: F) -> F::Output {
    if current().is_some() {
        panic!(
            "corio::run() cannot be called while a corio loop is running on this thread: \
             `.await` the future instead, or `corio::spawn` it"
        );
    }
    let main = (TaskId(next_id()), config.main_at);
    let _recording = await_chain::Recording::start(config.debug, Some(main));
    let inner = Rc::new(LoopInner::new(config));
    CURRENT.with(|c| *c.borrow_mut() = Some(inner.clone()));
    Reactor::set_current(Some(inner.reactor.clone()));
    let _reset = ResetCurrent;
    let outcome = drive(&inner, fut, main);
    inner.shutdown();
    match outcome {
        Ok(value) => value,
        Err(payload) => resume_unwind(payload),
    }
}

type Outcome<T> = Result<T, Box<dyn Any + Send>>;

fn drive<F: Future>(
    l: &LoopInner,
    fut: F,
    main: (TaskId, &'static Location<'static>),
) -> Outcome<F::Output> {
    let mut fut = pin!(fut);
    let main_waker = Waker::from(Arc::new(TaskWaker::new(TaskRef::MAIN, l.shared.clone())));
    let mut cx = Context::from_waker(&main_waker);
    let mut remote = Vec::new();
    let mut wakers = Vec::new();
    let mut ticks: u32 = 0;
    // How many tasks the last wait for I/O woke: the loop spins before blocking only after a
    // wait that found several (requests arriving faster than one at a time), so that a loop
    // serving one request at a time never spins.
    let mut io_woke = 0;
    l.schedule(TaskRef::MAIN);
    loop {
        for _ in 0..l.config.event_interval {
            let Some(task) = l.pop_ready() else { break };
            if task.index == MAIN_INDEX {
                l.main_scheduled.set(false);
                // The main future cannot be traced later (it lives on this stack): its chain
                // is recorded at every poll.
                l.current_task.set(Some(main.0));
                l.current_at.set(Some(main.1));
                let mark = await_chain::begin_poll();
                let started = l.config.debug.then(Instant::now);
                let poll = catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
                let done = !matches!(poll, Ok(Poll::Pending));
                l.end_poll(Whose::Main, mark, done, started, None, false);
                l.current_task.set(None);
                match poll {
                    Ok(Poll::Pending) => {}
                    Ok(Poll::Ready(value)) => return Ok(value),
                    Err(payload) => return Err(payload),
                }
            } else {
                l.run_task(task);
            }
        }
        l.drain_remote(&mut remote);
        l.fire_timers(&mut wakers);
        ticks = ticks.wrapping_add(1);
        if !l.has_ready() && l.clock.is_paused() {
            io_woke = l.idle_paused(&mut wakers, &mut remote);
        } else if !l.has_ready() {
            let deadline = l.timers.borrow().next_deadline();
            if io_woke >= 2 && !l.config.busy_poll.is_zero() {
                l.spin(l.config.busy_poll, deadline);
            }
            // On the loop's clock: after `time::resume` it is shifted from the real one.
            let timeout = deadline.map(|d| d.saturating_duration_since(l.clock.now()));
            io_woke = l.reactor.wait(timeout, &mut wakers);
            l.drain_remote(&mut remote);
            l.fire_timers(&mut wakers);
        } else if ticks.is_multiple_of(l.config.io_interval) && l.reactor.has_sources() {
            io_woke = l.reactor.wait(Some(Duration::ZERO), &mut wakers);
        }
    }
}

/// Spawns on the running loop, with the caller's location.
#[track_caller]
pub(crate) fn spawn_current<F>(name: Option<String>, fut: F) -> crate::Task<F::Output>
where
    F: std::future::IntoFuture + 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    match try_with_current(|l| crate::rt::task::spawn_on(l, name, fut, at)) {
        Some(task) => task,
        None => panic!(
            "corio::spawn() needs a running loop: call it inside `corio::run(...)` (at {at})"
        ),
    }
}
