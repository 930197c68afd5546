//! `TaskGroup`: structured concurrency, as asyncio's `TaskGroup`.

use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture, poll_fn};
use std::panic::{AssertUnwindSafe, Location, catch_unwind, resume_unwind};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::rt::await_chain::{self as trace, WaitingOn};
use crate::rt::executor;
#[cfg(doc)]
use crate::rt::task::TaskError;
use crate::rt::task::{Panic, Task, TaskId};
use crate::waker::TaskRef;

/// A set of tasks that finish together: asyncio's `TaskGroup` (3.11 semantics).
///
/// [`spawn`](TaskGroup::spawn) starts a child task; [`join`](TaskGroup::join) waits until
/// every child has finished. A child **fails** when it panics, or, when it was started with
/// [`spawn_try`](TaskGroup::spawn_try), when it returns `Err`. The first failure cancels all
/// the other children at once, and `join` then reports every failure in a [`GroupError`]
/// (asyncio's `ExceptionGroup`); cancelled children are not failures. Dropping the group (or
/// the `join` future, for example because the task awaiting it was cancelled) cancels the
/// children still running, so no child outlives the group.
///
/// Children (or anyone) can add siblings through a [`GroupHandle`] from
/// [`handle`](TaskGroup::handle): a cheap, cloneable handle with the same `spawn` methods.
/// A child spawned after the group has failed, or after `join` has returned, is cancelled
/// at once (asyncio raises `RuntimeError` there).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let group = corio::TaskGroup::new();
///     let a = group.spawn(async { corio::sleep(Duration::from_millis(2)).await; 1 });
///     let b = group.spawn(async { 2 });
///     group.join().await.unwrap();
///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
/// });
/// ```
///
/// An `Err` cancels the siblings, and `join` reports it:
///
/// ```
/// use std::time::Duration;
///
/// corio::run(async {
///     let group = corio::TaskGroup::new();
///     let slow = group.spawn(corio::sleep(Duration::from_secs(3600)));
///     let bad = group.spawn_try(async {
///         "12x".parse::<u32>()
///     });
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.to_string(), "1 child task failed: invalid digit found in string");
///     assert!(err.errors()[0].downcast_ref::<std::num::ParseIntError>().is_some());
///     assert!(slow.await.unwrap_err().is_cancelled());
///     assert!(bad.await.unwrap_err().is_failed());
/// });
/// ```
#[must_use = "dropping a TaskGroup cancels its tasks; await `.join()`"]
pub struct TaskGroup {
    inner: Rc<GroupInner>,
}

/// A cloneable handle that spawns children into a [`TaskGroup`], from inside its children
/// or anywhere else: the `TaskGroup.create_task` that asyncio code calls on a group it was
/// passed.
///
/// The handle does not keep the group open: when the group's owner drops it, the children
/// are cancelled, handles or not.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use std::cell::RefCell;
///
/// corio::run(async {
///     let seen = Rc::new(RefCell::new(Vec::new()));
///     let group = corio::TaskGroup::new();
///     let handle = group.handle();
///     let log = seen.clone();
///     let _parent = group.spawn(async move {
///         log.borrow_mut().push("parent");
///         let log = log.clone();
///         let _child = handle.spawn(async move { log.borrow_mut().push("sibling") });
///     });
///     group.join().await.unwrap(); // waits for the sibling too
///     assert_eq!(*seen.borrow(), ["parent", "sibling"]);
/// });
/// ```
#[derive(Clone)]
pub struct GroupHandle {
    inner: Rc<GroupInner>,
}

struct GroupInner {
    children: RefCell<Vec<(TaskRef, TaskId)>>,
    running: Cell<usize>,
    errors: RefCell<Vec<ChildError>>,
    failed: Cell<bool>,
    /// `join` has returned: no child may be added any more.
    closed: Cell<bool>,
    joiner: RefCell<Option<Waker>>,
}

impl GroupInner {
    fn cancel_all(&self) {
        let children = std::mem::take(&mut *self.children.borrow_mut());
        executor::try_with_current(|l| {
            for &(task, id) in &children {
                l.cancel(task, id);
            }
        });
    }

    fn fail(&self, error: ChildError) {
        self.errors.borrow_mut().push(error);
        self.failed.set(true);
        self.cancel_all();
    }

    #[track_caller]
    fn spawn<F>(self: &Rc<Self>, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        let group = self.clone();
        group.running.set(group.running.get() + 1);
        let member = Member(group.clone());
        let child = async move {
            let _member = member;
            let mut fut = pin!(fut.into_future());
            poll_fn(
                |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                    Ok(poll) => poll,
                    Err(payload) => {
                        group.fail(ChildError::Panicked(Panic::from_payload(&*payload)));
                        resume_unwind(payload)
                    }
                },
            )
            .await
        };
        let task = executor::with_current(|l| crate::rt::task::spawn_on(l, None, child, at));
        if self.failed.get() || self.closed.get() {
            task.cancel();
        } else {
            self.children
                .borrow_mut()
                .push((task.task_ref(), task.id()));
        }
        task
    }

    #[track_caller]
    fn spawn_try<F, T, E>(self: &Rc<Self>, fut: F) -> Task<T>
    where
        F: IntoFuture<Output = Result<T, E>> + 'static,
        T: 'static,
        E: Into<Box<dyn Error>> + 'static,
    {
        // The child learns its own handle once it is spawned, to end itself as `Failed`.
        let me: Rc<Cell<Option<(TaskRef, TaskId)>>> = Rc::new(Cell::new(None));
        let whoami = me.clone();
        let group = self.clone();
        let task = self.spawn(async move {
            match fut.into_future().await {
                Ok(value) => value,
                Err(error) => {
                    if let Some((task, id)) = whoami.get() {
                        executor::with_current(|l| l.fail(task, id));
                    }
                    group.fail(ChildError::Failed(error.into()));
                    // Ended as `Failed` once this poll returns.
                    std::future::pending().await
                }
            }
        });
        me.set(Some((task.task_ref(), task.id())));
        task
    }
}

/// Counts a child out of the group when its future ends: completed, cancelled or panicked.
struct Member(Rc<GroupInner>);

impl Drop for Member {
    fn drop(&mut self) {
        self.0.running.set(self.0.running.get() - 1);
        if self.0.running.get() == 0 {
            let joiner = self.0.joiner.borrow_mut().take();
            if let Some(joiner) = joiner {
                joiner.wake();
            }
        }
    }
}

impl TaskGroup {
    /// Creates an empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     corio::TaskGroup::new().join().await.unwrap();
    /// });
    /// ```
    pub fn new() -> Self {
        Self {
            inner: Rc::new(GroupInner {
                children: RefCell::new(Vec::new()),
                running: Cell::new(0),
                errors: RefCell::new(Vec::new()),
                failed: Cell::new(false),
                closed: Cell::new(false),
                joiner: RefCell::new(None),
            }),
        }
    }

    /// Spawns a child task in the group: asyncio's `TaskGroup.create_task`.
    ///
    /// The child runs like any task (see [`spawn`](crate::spawn)) and its handle works the
    /// same way. A panic is the child's failure; its output, whatever it is, is not looked
    /// at (use [`spawn_try`](TaskGroup::spawn_try) for a child whose `Err` should fail the
    /// group). A child spawned after the group has failed or finished is cancelled at once.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let child = group.spawn(async { "hi" });
    ///     group.join().await.unwrap();
    ///     assert_eq!(child.await.unwrap(), "hi");
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics outside a running loop.
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        self.inner.spawn(fut)
    }

    /// Spawns a child whose `Err` fails the group: the `raise` of an asyncio child.
    ///
    /// On `Ok(v)` the child's handle gives `v`. On `Err(e)` the error goes to the group (as
    /// a `Box<dyn Error>`, which [`GroupError`] hands back and you can downcast), the
    /// siblings are cancelled, and the child's own handle gives [`TaskError::Failed`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let ok = group.spawn_try(async { Ok::<_, io::Error>(1) });
    ///     let _bad = group.spawn_try(async {
    ///         Err::<u8, _>(io::Error::new(io::ErrorKind::NotFound, "no such user"))
    ///     });
    ///     let err = group.join().await.unwrap_err();
    ///     let io = err.errors()[0].downcast_ref::<io::Error>().unwrap();
    ///     assert_eq!(io.kind(), io::ErrorKind::NotFound);
    ///     assert_eq!(ok.await.unwrap(), 1); // it had finished before the failure
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics outside a running loop.
    #[track_caller]
    pub fn spawn_try<F, T, E>(&self, fut: F) -> Task<T>
    where
        F: IntoFuture<Output = Result<T, E>> + 'static,
        T: 'static,
        E: Into<Box<dyn Error>> + 'static,
    {
        self.inner.spawn_try(fut)
    }

    /// A cloneable handle that spawns into this group.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let handle = group.handle();
    ///     let _child = handle.spawn(async {});
    ///     group.join().await.unwrap();
    /// });
    /// ```
    pub fn handle(&self) -> GroupHandle {
        GroupHandle {
            inner: self.inner.clone(),
        }
    }

    /// Cancels every child still running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let child = group.spawn(corio::sleep(Duration::from_secs(3600)));
    ///     group.cancel();
    ///     group.join().await.unwrap();
    ///     assert!(child.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        self.inner.cancel_all();
    }

    /// Waits until every child has finished: the end of asyncio's `async with TaskGroup()`.
    ///
    /// Children spawned while it waits (through a [`GroupHandle`]) are waited for too.
    ///
    /// # Errors
    ///
    /// A [`GroupError`] with every failure, in the order they happened, when a child
    /// panicked or (started with [`spawn_try`](TaskGroup::spawn_try)) returned `Err`; the
    /// others were then cancelled. Cancelled children are not failures.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     for i in 0..3 {
    ///         let _ = group.spawn(async move { i * 2 });
    ///     }
    ///     assert!(group.join().await.is_ok());
    /// });
    /// ```
    pub async fn join(self) -> Result<(), GroupError> {
        poll_fn(|cx| {
            if let Some(traced) = trace::traced(|| JOINING) {
                return traced;
            }
            if self.inner.running.get() == 0 {
                self.inner.closed.set(true);
                let errors = std::mem::take(&mut *self.inner.errors.borrow_mut());
                return Poll::Ready(if errors.is_empty() {
                    Ok(())
                } else {
                    Err(GroupError { errors })
                });
            }
            let old = self.inner.joiner.borrow_mut().replace(cx.waker().clone());
            drop(old);
            trace::pending(JOINING)
        })
        .await
    }
}

impl GroupHandle {
    /// Spawns a child into the group; see [`TaskGroup::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let handle = group.handle();
    ///     let child = handle.spawn(async { 5 });
    ///     group.join().await.unwrap();
    ///     assert_eq!(child.await.unwrap(), 5);
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics outside a running loop.
    #[track_caller]
    pub fn spawn<F>(&self, fut: F) -> Task<F::Output>
    where
        F: IntoFuture + 'static,
        F::Output: 'static,
    {
        self.inner.spawn(fut)
    }

    /// Spawns a child whose `Err` fails the group; see [`TaskGroup::spawn_try`].
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let _bad = group.handle().spawn_try(async { Err::<(), _>("no") });
    ///     assert_eq!(group.join().await.unwrap_err().to_string(), "1 child task failed: no");
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// Panics outside a running loop.
    #[track_caller]
    pub fn spawn_try<F, T, E>(&self, fut: F) -> Task<T>
    where
        F: IntoFuture<Output = Result<T, E>> + 'static,
        T: 'static,
        E: Into<Box<dyn Error>> + 'static,
    {
        self.inner.spawn_try(fut)
    }

    /// Cancels every child still running; see [`TaskGroup::cancel`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let child = group.spawn(corio::sleep(Duration::from_secs(3600)));
    ///     group.handle().cancel();
    ///     group.join().await.unwrap();
    ///     assert!(child.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        self.inner.cancel_all();
    }
}

impl fmt::Debug for GroupHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupHandle")
            .field("running", &self.inner.running.get())
            .field("failed", &self.inner.failed.get())
            .finish()
    }
}

/// One failed child of a [`TaskGroup`].
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let group = corio::TaskGroup::new();
///     let _ = group.spawn(async { panic!("boom") });
///     let err = group.join().await.unwrap_err();
///     match &err.errors()[0] {
///         corio::ChildError::Panicked(panic) => assert_eq!(panic.message(), "boom"),
///         corio::ChildError::Failed(error) => unreachable!("{error}"),
///     }
/// });
/// ```
#[derive(Debug)]
pub enum ChildError {
    /// The child panicked.
    Panicked(Panic),
    /// The child, started with [`TaskGroup::spawn_try`], returned this `Err`.
    Failed(Box<dyn Error>),
}

impl ChildError {
    /// The error as a `T`, when the child returned an `Err` of type `T`: asyncio's
    /// `except* T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    ///
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let _ = group.spawn_try(async { Err::<(), _>(io::Error::other("disk")) });
    ///     let err = group.join().await.unwrap_err();
    ///     assert!(err.errors()[0].downcast_ref::<io::Error>().is_some());
    /// });
    /// ```
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        match self {
            Self::Panicked(_) => None,
            Self::Failed(error) => error.downcast_ref(),
        }
    }
}

impl fmt::Display for ChildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Panicked(panic) => write!(f, "panicked: {panic}"),
            Self::Failed(error) => fmt::Display::fmt(error, f),
        }
    }
}

/// The failures of a [`TaskGroup`]'s children: asyncio's `ExceptionGroup`.
///
/// # Examples
///
/// ```
/// corio::run(async {
///     let group = corio::TaskGroup::new();
///     let _ = group.spawn_try(async { Err::<(), _>("first") });
///     let err: corio::GroupError = group.join().await.unwrap_err();
///     assert_eq!(err.errors().len(), 1);
///     assert_eq!(err.to_string(), "1 child task failed: first");
/// });
/// ```
#[derive(Debug)]
pub struct GroupError {
    errors: Vec<ChildError>,
}

impl GroupError {
    /// Every failure, in the order the children failed.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let _ = group.spawn(async { panic!("a") });
    ///     assert!(group.join().await.unwrap_err().errors()[0].to_string().contains("a"));
    /// });
    /// ```
    pub fn errors(&self) -> &[ChildError] {
        &self.errors
    }

    /// The failures, by value.
    ///
    /// # Examples
    ///
    /// ```
    /// corio::run(async {
    ///     let group = corio::TaskGroup::new();
    ///     let _ = group.spawn_try(async { Err::<(), _>("x") });
    ///     let errors = group.join().await.unwrap_err().into_errors();
    ///     assert_eq!(errors.len(), 1);
    /// });
    /// ```
    pub fn into_errors(self) -> Vec<ChildError> {
        self.errors
    }
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "{n} child task{} failed", if n == 1 { "" } else { "s" })?;
        for (i, error) in self.errors.iter().enumerate() {
            write!(f, "{}{error}", if i == 0 { ": " } else { "; " })?;
        }
        Ok(())
    }
}

impl Error for GroupError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self.errors.first()? {
            ChildError::Failed(error) => Some(&**error),
            ChildError::Panicked(_) => None,
        }
    }
}

/// What a task dump says about a pending `TaskGroup::join`.
const JOINING: WaitingOn = WaitingOn::Static(&"TaskGroup::join");

impl Default for TaskGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        if self.inner.running.get() > 0 {
            self.inner.cancel_all();
        }
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("running", &self.inner.running.get())
            .field("failed", &self.inner.failed.get())
            .finish()
    }
}
