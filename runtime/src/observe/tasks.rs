//! Task listings and async stack traces: asyncio's `current_task()`, `all_tasks()` and
//! `Task.print_stack()`, with the await chain recorded by `crate::rt::await_chain`.

use std::fmt;
use std::panic::Location;
use std::time::{Duration, Instant};

use crate::rt::await_chain::{self, Entry, WaitingOn, Whose};
use crate::rt::executor::{self, LoopId, LoopInner};
use crate::rt::task::TaskId;
use crate::status::{Local, Status, SuspendPoint};

/// A snapshot of one task: what [`tasks`] and [`current_task`] return.
///
/// The future passed to [`run`](crate::run) is listed too, first, under the name `"main"`
/// (asyncio's main task); its `spawned_at` is where `run` was called.
///
/// `status` is `Created` before the task's first poll, `Running` for the task that asked
/// (and for the main future while it runs), `Suspended` for a task waiting to be polled again
/// (woken or not). A task that finished (completed, panicked or was cancelled) is no longer
/// listed, even while its [`Task`](crate::Task) handle still holds its output: asyncio's
/// `all_tasks()` lists only tasks that are not done.
///
/// `chain` is the await chain recorded when the task last suspended, outermost first: one
/// [`Frame`] per `#[corio::coroutine]` it was awaiting through, down to what the innermost
/// one waits on. It is empty for a task that is not suspended. A future that is not a
/// `#[corio::coroutine]` (an `async` block, a hand-written future) does not appear itself,
/// but the coroutines and corio futures it awaits do; where such a future is the task's root
/// and awaits several things at once, a frame named `<future>` stands for it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use corio::Status;
///
/// #[corio::coroutine]
/// async fn nap(d: Duration) {
///     corio::sleep(d).await;
/// }
///
/// corio::run(async {
///     let task = corio::spawn_named("napper", nap(Duration::from_secs(60)));
///     corio::yield_now().await; // let it start and suspend
///     let info = corio::tasks().into_iter().find(|t| t.id == task.id()).unwrap();
///     assert_eq!(info.name.as_deref(), Some("napper"));
///     assert_eq!(info.status, Status::Suspended);
///     assert!(info.chain[0].function.ends_with("::nap"));
///     assert!(info.chain[0].waiting_on.as_deref().unwrap().starts_with("sleep until +"));
///     println!("{info}");
///     task.cancel();
/// });
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's id (the main future has one too).
    pub id: TaskId,
    /// The name given to [`spawn_named`](crate::spawn_named); `"main"` for the main future.
    pub name: Option<String>,
    /// Created, running or suspended (see above; finished tasks are not listed).
    pub status: Status,
    /// Where the task was spawned (or where `run` was called, for the main future).
    pub spawned_at: &'static Location<'static>,
    /// The await chain at the last suspension, outermost first.
    pub chain: Vec<Frame>,
    /// The loop the task runs on (task ids are unique in the process; this says where).
    pub loop_id: LoopId,
}

/// One level of a task's await chain.
///
/// A frame is a `#[corio::coroutine]` suspended at `point`, or (`<future>`, no point) the
/// task's own future when that is not a coroutine. `waiting_on` describes the corio futures
/// the level awaits directly: `"sleep until +1.2s"`, `"Queue::get (empty)"`, `"task 7
/// (worker)"` …, joined by `", "` when there are several (a `timeout`, a `join!`). `locals`
/// are the coroutine's live locals at that point; they are recorded only in
/// [debug mode](crate::debug) and empty otherwise.
///
/// `depth` is the nesting level: frames are listed depth-first, so a plain chain has depths
/// 0, 1, 2, … and the branches of a `join!` of two coroutines are two frames of the same depth.
///
/// # Examples
///
/// ```
/// #[corio::coroutine]
/// async fn wait(event: corio::sync::Event) {
///     event.wait().await;
/// }
///
/// corio::run(async {
///     let event = corio::sync::Event::new();
///     let task = corio::spawn(wait(event.clone()));
///     corio::yield_now().await;
///     let info = corio::tasks().into_iter().find(|t| t.id == task.id()).unwrap();
///     let frame = &info.chain[0];
///     assert_eq!(frame.depth, 0);
///     assert_eq!(frame.point.unwrap().source, "event.wait().await");
///     assert_eq!(frame.waiting_on.as_deref(), Some("Event::wait"));
///     event.set();
///     task.await.unwrap();
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Frame {
    /// The coroutine's path, e.g. `"app::handle"`, or `"<future>"`.
    pub function: &'static str,
    /// Where the coroutine is suspended.
    pub point: Option<&'static SuspendPoint>,
    /// What this level waits on directly, rendered when the snapshot was taken.
    pub waiting_on: Option<String>,
    /// The live locals at `point` (debug mode only).
    pub locals: Vec<Local>,
    /// Nesting level, 0 for the outermost frame.
    pub depth: usize,
}

/// The function name of a frame that stands for a task's own, non-coroutine future.
const OPAQUE: &str = "<future>";

impl fmt::Display for Frame {
    /// `app::handle at src/app.rs:10:9 `reader.read(buf).await`, waiting on …`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.function)?;
        if let Some(point) = self.point {
            write!(f, " at {point}")?;
        }
        if let Some(waiting) = &self.waiting_on {
            write!(f, ", waiting on {waiting}")?;
        }
        Ok(())
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Created => "created",
        Status::Running => "running",
        Status::Suspended => "suspended",
        Status::Closed => "closed",
    }
}

impl fmt::Display for TaskInfo {
    /// A block like asyncio's `Task.print_stack()`: a header line, then one line per frame
    /// (indented by depth), each followed by its locals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task {}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        writeln!(
            f,
            " {}, spawned at {}",
            status_word(self.status),
            self.spawned_at
        )?;
        for frame in &self.chain {
            let indent = 2 + 2 * frame.depth;
            writeln!(f, "{:indent$}{frame}", "")?;
            for local in &frame.locals {
                writeln!(f, "{:indent$}    {local}", "")?;
            }
        }
        Ok(())
    }
}

/// Returns the task being polled: asyncio's `current_task()`.
///
/// Inside the main future of [`run`](crate::run) it returns the main future's entry (named
/// `"main"`); outside a loop, `None`. The returned chain is empty: the task is running.
///
/// # Examples
///
/// ```
/// use corio::Status;
///
/// assert!(corio::current_task().is_none());
/// corio::run(async {
///     let task = corio::spawn_named("me", async {
///         let me = corio::current_task().unwrap();
///         assert_eq!(me.status, Status::Running);
///         me.name
///     });
///     assert_eq!(task.await.unwrap().as_deref(), Some("me"));
///     assert_eq!(corio::current_task().unwrap().name.as_deref(), Some("main"));
/// });
/// ```
pub fn current_task() -> Option<TaskInfo> {
    let (id, spawned_at) = executor::try_with_current(LoopInner::current).flatten()?;
    let name = if is_main(id) {
        Some("main".to_owned())
    } else {
        executor::try_with_current(|l| l.task_name(id).map(|n| n.to_string())).flatten()
    };
    let loop_id = executor::try_with_current(|l| l.id())?;
    Some(TaskInfo {
        id,
        name,
        status: Status::Running,
        spawned_at,
        chain: Vec::new(),
        loop_id,
    })
}

fn is_main(id: TaskId) -> bool {
    await_chain::main_task().is_some_and(|(main, _)| main == id)
}

/// Returns every task of the running loop, oldest first, the main future included:
/// asyncio's `all_tasks()` with each task's await chain.
///
/// Outside a loop it returns an empty `Vec`. Only tasks that have not finished are listed
/// (asyncio's `all_tasks()`): a task leaves the listing when it completes, panics or is
/// cancelled, whether or not its [`Task`](crate::Task) handle is still held.
///
/// # Examples
///
/// ```
/// use corio::Status;
///
/// corio::run(async {
///     let task = corio::spawn(async {});
///     let all = corio::tasks();
///     assert_eq!(all.len(), 2); // main, and the task
///     assert_eq!(all[1].status, Status::Created);
///     task.await.unwrap();
/// });
/// ```
pub fn tasks() -> Vec<TaskInfo> {
    executor::try_with_current(collect).unwrap_or_default()
}

fn collect(l: &LoopInner) -> Vec<TaskInfo> {
    let now = l.clock.now();
    let current = l.current();
    let mut out = Vec::new();
    if let Some((id, spawned_at)) = await_chain::main_task() {
        let running = matches!(current, Some((c, _)) if c == id);
        out.push(info(
            l,
            now,
            Whose::Main,
            id,
            Some("main".to_owned()),
            if running {
                Status::Running
            } else {
                Status::Suspended
            },
            spawned_at,
        ));
    }
    let debug = await_chain::loop_debug().unwrap_or(false);
    for view in l.task_views() {
        let spawned_at = match view.spawned_at {
            Some(at) => at,
            None => match current {
                Some((id, at)) if id == view.id => at,
                _ => Location::caller(),
            },
        };
        let whose = Whose::Task {
            index: view.index,
            tag: view.id.tag(),
        };
        let chain = match view.status {
            Status::Suspended if debug => Some(await_chain::snapshot(whose)),
            // A woken task is about to run: tracing it could run it early.
            Status::Suspended if view.scheduled => None,
            Status::Suspended => Some((
                l.trace_task(whose_ref(view.index, view.id), view.id),
                Vec::new(),
            )),
            _ => None,
        };
        out.push(TaskInfo {
            id: view.id,
            name: view.name.map(|n| n.to_string()),
            status: view.status,
            spawned_at,
            chain: chain
                .map(|(entries, locals)| frames(&entries, &locals, &|w| render(l, now, w)))
                .unwrap_or_default(),
            loop_id: l.id(),
        });
    }
    out
}

fn whose_ref(index: u32, id: TaskId) -> crate::rt::waker::TaskRef {
    crate::rt::waker::TaskRef {
        index,
        tag: id.tag(),
    }
}

fn info(
    l: &LoopInner,
    now: Instant,
    whose: Whose,
    id: TaskId,
    name: Option<String>,
    status: Status,
    spawned_at: &'static Location<'static>,
) -> TaskInfo {
    let chain = if status == Status::Suspended {
        let (entries, locals) = await_chain::snapshot(whose);
        frames(&entries, &locals, &|w| render(l, now, w))
    } else {
        Vec::new()
    };
    TaskInfo {
        id,
        name,
        status,
        spawned_at,
        chain,
        loop_id: l.id(),
    }
}

/// Writes every task of the running loop as asyncio's `Task.print_stack()` would, with
/// locals in debug mode.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// #[corio::coroutine]
/// async fn inner(d: Duration) {
///     corio::sleep(d).await;
/// }
///
/// #[corio::coroutine]
/// async fn outer(d: Duration) {
///     inner(d).await;
/// }
///
/// corio::run(async {
///     let task = corio::spawn_named("sleeper", outer(Duration::from_secs(5)));
///     corio::yield_now().await;
///     let dump = corio::dump();
///     println!("{dump}");
///     // task 2 "sleeper" suspended, spawned at src/lib.rs:16:16
///     //   rust_out::outer at src/lib.rs:11:5 `inner(d).await`
///     //     rust_out::inner at src/lib.rs:6:5 `corio::sleep(d).await`, waiting on sleep until +5.0s
///     assert!(dump.contains("\"sleeper\" suspended"));
///     assert!(dump.contains("`inner(d).await`"));
///     assert!(dump.contains("waiting on sleep until +"));
///     task.cancel();
/// });
/// ```
pub fn dump() -> String {
    executor::try_with_current(|l| {
        let tasks = collect(l);
        let mut out = format!("loop {}: {} tasks\n", l.id(), tasks.len());
        for task in tasks {
            out.push_str(&task.to_string());
        }
        out
    })
    .unwrap_or_else(|| "no corio loop is running on this thread\n".to_owned())
}

/// "task 7 (worker)" or "the main future", for warnings about what is being polled.
#[cfg_attr(
    not(debug_assertions),
    allow(
        dead_code,
        reason = "the \"never awaited\" warning is in debug builds only"
    )
)]
pub(crate) fn current_ids() -> Option<String> {
    let (id, _) = executor::try_with_current(LoopInner::current).flatten()?;
    Some(if is_main(id) {
        "the main future".to_owned()
    } else {
        describe_task(id)
    })
}

/// "task 7 (worker)" or "task 7".
pub(crate) fn describe_task(id: TaskId) -> String {
    match executor::try_with_current(|l| l.task_name(id)).flatten() {
        Some(name) => format!("task {id} ({name})"),
        None => format!("task {id}"),
    }
}

fn render(l: &LoopInner, now: Instant, what: WaitingOn) -> String {
    match what {
        WaitingOn::Sleep(deadline) => format!("sleep until {}", relative(deadline, now)),
        WaitingOn::Timeout(deadline) => format!("timeout at {}", relative(deadline, now)),
        WaitingOn::Task(id) => match l.task_name(id) {
            Some(name) => format!("task {id} ({name})"),
            None => format!("task {id}"),
        },
        WaitingOn::Static(text) => (*text).to_owned(),
        WaitingOn::JoinAll { pending, total } => {
            format!("join_all ({pending} of {total} pending)")
        }
        WaitingOn::Io { write, fd } => {
            let ready = if write { "writable" } else { "readable" };
            #[cfg(unix)]
            let addresses = crate::rt::reactor::sys::describe_socket(fd);
            #[cfg(not(unix))]
            let addresses = "";
            format!("{ready} on fd {fd}{addresses}")
        }
        WaitingOn::ChildExit { pid } => format!("exit of process {pid}"),
    }
}

/// "+1.2s", "+850ms", "-3ms (due)".
fn relative(deadline: Instant, now: Instant) -> String {
    fn short(d: Duration) -> String {
        if d >= Duration::from_secs(1) {
            format!("{:.1}s", d.as_secs_f64())
        } else if d >= Duration::from_millis(1) {
            format!("{}ms", d.as_millis())
        } else {
            format!("{}µs", d.as_micros())
        }
    }
    match deadline.checked_duration_since(now) {
        Some(ahead) => format!("+{}", short(ahead)),
        None => format!("-{} (due)", short(now - deadline)),
    }
}

/// Rebuilds the await tree from a post-order chain and lists it depth-first.
fn frames(
    chain: &[Entry],
    locals: &[(u32, Vec<Local>)],
    render: &dyn Fn(WaitingOn) -> String,
) -> Vec<Frame> {
    let mut out = Vec::new();
    let roots = children(chain, 0, chain.len());
    match roots.as_slice() {
        [] => {}
        [only] if matches!(chain[*only], Entry::Coroutine { .. }) => {
            walk(chain, locals, render, *only, 0, &mut out);
        }
        _ => {
            let waiting = leaves(chain, &roots, render);
            out.push(Frame {
                function: OPAQUE,
                point: None,
                waiting_on: waiting,
                locals: Vec::new(),
                depth: 0,
            });
            for &node in &roots {
                if matches!(chain[node], Entry::Coroutine { .. }) {
                    walk(chain, locals, render, node, 1, &mut out);
                }
            }
        }
    }
    out
}

/// The nodes in `chain[begin..end]` whose parents lie outside it, in poll order.
fn children(chain: &[Entry], begin: usize, end: usize) -> Vec<usize> {
    let mut nodes = Vec::new();
    let mut i = end;
    while i > begin {
        let node = i - 1;
        let size = match chain[node] {
            Entry::Coroutine { inner, .. } => inner as usize + 1,
            _ => 1,
        };
        nodes.push(node);
        i -= size.min(i - begin);
    }
    nodes.reverse();
    nodes
}

fn leaves(
    chain: &[Entry],
    nodes: &[usize],
    render: &dyn Fn(WaitingOn) -> String,
) -> Option<String> {
    let texts: Vec<String> = nodes
        .iter()
        .filter_map(|&n| chain[n].waiting_on().map(render))
        .collect();
    (!texts.is_empty()).then(|| texts.join(", "))
}

fn walk(
    chain: &[Entry],
    locals: &[(u32, Vec<Local>)],
    render: &dyn Fn(WaitingOn) -> String,
    node: usize,
    depth: usize,
    out: &mut Vec<Frame>,
) {
    let Entry::Coroutine { name, point, inner } = chain[node] else {
        return;
    };
    let begin = node.saturating_sub(inner as usize);
    let kids = children(chain, begin, node);
    out.push(Frame {
        function: name,
        point,
        waiting_on: leaves(chain, &kids, render),
        locals: locals
            .iter()
            .find(|(at, _)| *at as usize == node)
            .map(|(_, l)| l.clone())
            .unwrap_or_default(),
        depth,
    });
    for kid in kids {
        walk(chain, locals, render, kid, depth + 1, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::PointKind;

    static P: SuspendPoint = SuspendPoint {
        index: 0,
        kind: PointKind::Await,
        file: "f.rs",
        line: 1,
        column: 1,
        source: "x.await",
    };

    fn co(name: &'static &'static str, inner: u32) -> Entry {
        Entry::Coroutine {
            name,
            point: Some(&P),
            inner,
        }
    }

    fn leaf(text: &'static &'static str) -> Entry {
        Entry::Static(text)
    }

    fn shape(chain: &[Entry]) -> Vec<(usize, &'static str, Option<String>)> {
        frames(chain, &[], &|w| match w {
            WaitingOn::Static(t) => (*t).to_owned(),
            _ => "?".to_owned(),
        })
        .into_iter()
        .map(|f| (f.depth, f.function, f.waiting_on))
        .collect()
    }

    #[test]
    fn a_plain_chain_lists_outer_to_inner() {
        let chain = [leaf(&"sleep"), co(&"c", 1), co(&"b", 2), co(&"a", 3)];
        assert_eq!(
            shape(&chain),
            [
                (0, "a", None),
                (1, "b", None),
                (2, "c", Some("sleep".to_owned()))
            ]
        );
    }

    #[test]
    fn join_branches_share_a_depth() {
        // a awaits join!(b, c); b waits on x, c on y; a's timeout timer is a leaf too.
        let chain = [
            leaf(&"x"),
            co(&"b", 1),
            leaf(&"y"),
            co(&"c", 1),
            leaf(&"t"),
            co(&"a", 5),
        ];
        assert_eq!(
            shape(&chain),
            [
                (0, "a", Some("t".to_owned())),
                (1, "b", Some("x".to_owned())),
                (1, "c", Some("y".to_owned()))
            ]
        );
    }

    #[test]
    fn an_opaque_root_gets_a_frame() {
        assert_eq!(shape(&[leaf(&"q")]), [(0, OPAQUE, Some("q".to_owned()))]);
        assert_eq!(
            shape(&[co(&"a", 0), leaf(&"q")]),
            [(0, OPAQUE, Some("q".to_owned())), (1, "a", None)]
        );
    }

    #[test]
    fn relative_times_read_well() {
        let now = Instant::now();
        assert_eq!(relative(now + Duration::from_millis(1200), now), "+1.2s");
        assert_eq!(relative(now + Duration::from_millis(850), now), "+850ms");
        assert_eq!(relative(now, now + Duration::from_millis(3)), "-3ms (due)");
    }
}
