//! hyper's `rt::Executor`: background futures (HTTP/2 streams, client connection pools) become
//! corio tasks.

use std::future::Future;

/// Spawns hyper's background futures as tasks on the running corio loop.
///
/// hyper's [`Executor`](hyper::rt::Executor) trait does not ask for `Send`, and corio's loop is
/// single-threaded, so neither does this: futures that hold `Rc`s are fine. The task is
/// detached (a dropped [`corio::Task`] keeps running) and is named `hyper` in
/// [`corio::dump`], so that a task dump tells hyper's tasks from yours.
///
/// # Panics
///
/// `execute` panics when called outside a running loop, as [`corio::spawn`] does.
///
/// # Examples
///
/// ```
/// use hyper::rt::Executor;
///
/// corio::run(async {
///     let (tx, rx) = corio::sync::oneshot::channel();
///     let shared = std::rc::Rc::new(42); // !Send, and fine
///     corio_hyper::CorioExecutor.execute(async move {
///         let _ = tx.send(*shared);
///     });
///     assert_eq!(rx.await.unwrap(), 42);
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioExecutor;

impl<F> hyper::rt::Executor<F> for CorioExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, fut: F) {
        drop(corio::spawn_named("hyper", fut));
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use hyper::rt::Executor;

    use super::CorioExecutor;

    #[test]
    fn executes_on_the_loop_in_fifo_order_and_names_the_task() {
        let order = Rc::new(Cell::new(0));
        corio::run({
            let order = order.clone();
            async move {
                let (tx, rx) = corio::sync::oneshot::channel();
                for i in 1..=3 {
                    let order = order.clone();
                    CorioExecutor.execute(async move {
                        assert_eq!(order.get(), i - 1, "tasks run in spawn order");
                        order.set(i);
                    });
                }
                CorioExecutor.execute(async move {
                    let _ = tx.send(corio::current_task().and_then(|t| t.name));
                });
                assert_eq!(rx.await.unwrap().as_deref(), Some("hyper"));
            }
        });
        assert_eq!(order.get(), 3);
    }
}
