//! The loop's core: tasks, the ready queue, wakers, timers, the reactor and the clock.
//!
//! Nothing in here knows about observability (task dumps, diagnostics, `corio::debug`): the
//! modules under `observe/` sit above this one and read its state through the small
//! interface `executor::LoopInner` exposes (`task_views`, `trace_task`, `task_name`), and
//! the core raises its diagnostics through `hooks` without knowing who listens. See
//! `docs/runtime-map.md` for which module may import which.
pub(crate) mod await_chain;
pub(crate) mod clock;
pub(crate) mod config;
pub(crate) mod executor;
pub(crate) mod hooks;
pub(crate) mod id;
pub(crate) mod reactor;
pub(crate) mod task;
pub(crate) mod timer_queue;
pub(crate) mod waker;
