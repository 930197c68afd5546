//! What a coroutine can tell about itself: its [`Status`], where it is suspended
//! ([`SuspendPoint`]) and which locals it keeps there ([`Local`]).

use core::fmt;

/// The life-cycle state of a coroutine, as Python's `inspect.getgeneratorstate` reports it.
///
/// A coroutine starts `Created`, is `Running` while its body executes, `Suspended` at a
/// `yield_!` or a pending `.await`, and `Closed` once it returned, panicked or was closed.
///
/// `Display` prints Python's names (`GEN_CREATED`, …); [`Status::coro_name`] gives the
/// `CORO_*` spelling that `inspect.getcoroutinestate` uses.
///
/// # Examples
///
/// ```
/// use corio::Status;
/// assert_eq!(Status::Suspended.to_string(), "GEN_SUSPENDED");
/// assert_eq!(Status::Closed.coro_name(), "CORO_CLOSED");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Not started yet: the first `resume` (or poll) runs the body from the top.
    Created,
    /// The body is executing right now.
    Running,
    /// Stopped at a suspension point, waiting to be resumed.
    Suspended,
    /// Finished: returned, panicked, or closed. Its locals have been dropped.
    Closed,
}

impl Status {
    /// Python's generator spelling: `GEN_CREATED`, `GEN_RUNNING`, `GEN_SUSPENDED`, `GEN_CLOSED`.
    pub const fn gen_name(self) -> &'static str {
        match self {
            Status::Created => "GEN_CREATED",
            Status::Running => "GEN_RUNNING",
            Status::Suspended => "GEN_SUSPENDED",
            Status::Closed => "GEN_CLOSED",
        }
    }

    /// Python's coroutine spelling: `CORO_CREATED`, `CORO_RUNNING`, `CORO_SUSPENDED`, `CORO_CLOSED`.
    pub const fn coro_name(self) -> &'static str {
        match self {
            Status::Created => "CORO_CREATED",
            Status::Running => "CORO_RUNNING",
            Status::Suspended => "CORO_SUSPENDED",
            Status::Closed => "CORO_CLOSED",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.gen_name())
    }
}

/// Whether a suspension point is a `yield_!` or an `.await`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PointKind {
    /// A `yield_!(value)` in a generator.
    Yield,
    /// An `.await` in an async coroutine.
    Await,
}

impl fmt::Display for PointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PointKind::Yield => "yield",
            PointKind::Await => "await",
        })
    }
}

/// One suspension point of a coroutine, as written in the source.
///
/// `line` and `column` are 1-based and point at the first token of the `yield_!` or of the
/// awaited expression, as `line!()` / `column!()` would there. `index` numbers the points of
/// one coroutine in source order. The macro emits one `static` record per point, so the same
/// point always yields the same `&'static SuspendPoint`.
///
/// # Examples
///
/// ```
/// use corio::{PointKind, SuspendPoint};
/// let p = SuspendPoint {
///     index: 0, kind: PointKind::Yield, file: "src/fib.rs", line: 4, column: 9,
///     source: "yield_!(a)",
/// };
/// assert_eq!(p.to_string(), "src/fib.rs:4:9 `yield_!(a)`");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SuspendPoint {
    /// Position of this point among the coroutine's points, in source order, from 0.
    pub index: u32,
    /// `yield_!` or `.await`.
    pub kind: PointKind,
    /// The source file, as `file!()` gives it.
    pub file: &'static str,
    /// 1-based line of the point's first token.
    pub line: u32,
    /// 1-based column of the point's first token.
    pub column: u32,
    /// The source text of the point, e.g. `yield_!(up.clone())` or `sleep(d).await`.
    pub source: &'static str,
}

impl fmt::Display for SuspendPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{} `{}`",
            self.file, self.line, self.column, self.source
        )
    }
}

/// A live local of a suspended coroutine, as `inspect.getgeneratorlocals` reports it.
///
/// `value` is the local's `Debug` rendering, or `<type name>` when its type has no `Debug`.
/// Only locals the coroutine keeps across the suspension point are listed: corio drops a
/// local after its last use, where Python would still show it.
///
/// # Examples
///
/// ```
/// use corio::Local;
/// let l = Local { name: "count", value: "3".into() };
/// assert_eq!(l.to_string(), "count = 3");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Local {
    /// The binding's name as written in the source.
    pub name: &'static str,
    /// `Debug` rendering of the value, or `<type name>` without `Debug`.
    pub value: String,
}

impl fmt::Display for Local {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.name, self.value)
    }
}
