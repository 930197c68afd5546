//! Observability: task listings and dumps (`tasks`, `dump`, `current_task`) and the debug-mode
//! diagnostics (`corio::debug`).
//!
//! These sit above the loop's core (`rt/`): they read its state through `LoopInner`'s small
//! read interface (`task_views`, `trace_task`, `task_name`) and the await chains in
//! `rt::await_chain`, and the core never imports them. See `docs/runtime-map.md`.

pub mod debug;
pub(crate) mod tasks;
