//! hyper's `rt::Timer` on corio's timers.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// hyper's timer on corio's loop: [`sleep`](hyper::rt::Timer::sleep) is [`corio::sleep`].
///
/// Give it to hyper's connection builders for the timeouts that need one, such as
/// `http1::Builder::header_read_timeout`. The sleeps it makes must be polled on a running corio
/// loop (hyper polls them from the connection future, which runs on one).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// use hyper::rt::Timer;
///
/// corio::run(async {
///     let started = Instant::now();
///     corio_hyper::CorioTimer.sleep(Duration::from_millis(5)).await;
///     assert!(started.elapsed() >= Duration::from_millis(5));
/// });
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CorioTimer;

impl hyper::rt::Timer for CorioTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep(corio::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(CorioSleep(corio::sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        // Re-arm in place when the sleep is ours (hyper resets its keep-alive and header
        // timers per request): no new box.
        match sleep.as_mut().downcast_mut_pin::<CorioSleep>() {
            Some(mut ours) => ours.set(CorioSleep(corio::sleep_until(new_deadline))),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// The future [`CorioTimer`] hands to hyper: a [`corio::Sleep`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use hyper::rt::Timer;
///
/// corio::run(async {
///     let sleep = corio_hyper::CorioTimer.sleep(Duration::from_millis(1));
///     assert!(sleep.is::<corio_hyper::CorioSleep>());
///     sleep.await;
/// });
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct CorioSleep(corio::Sleep);

impl CorioSleep {
    /// When this sleep ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// use hyper::rt::Timer;
    ///
    /// let at = Instant::now() + Duration::from_secs(1);
    /// let mut sleep = corio_hyper::CorioTimer.sleep_until(at);
    /// let ours = sleep.as_mut().downcast_mut_pin::<corio_hyper::CorioSleep>().unwrap();
    /// assert_eq!(ours.deadline(), at);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.0.deadline()
    }
}

impl Future for CorioSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for CorioSleep {}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use hyper::rt::Timer;

    use super::{CorioSleep, CorioTimer};

    #[test]
    fn reset_moves_the_deadline_in_place() {
        corio::run(async {
            let started = Instant::now();
            let mut sleep = CorioTimer.sleep(Duration::from_secs(3600));
            let before: *const () = std::ptr::from_ref(&*sleep).cast();
            CorioTimer.reset(&mut sleep, started + Duration::from_millis(5));
            let after: *const () = std::ptr::from_ref(&*sleep).cast();
            assert_eq!(before, after, "reset re-arms the same box");
            sleep.await;
            let waited = started.elapsed();
            assert!(waited >= Duration::from_millis(5), "{waited:?}");
            assert!(waited < Duration::from_secs(5), "{waited:?}");
        });
    }

    #[test]
    fn the_earlier_of_two_sleeps_ends_first() {
        corio::run(async {
            let long = CorioTimer.sleep(Duration::from_millis(200));
            let short = CorioTimer.sleep(Duration::from_millis(2));
            match corio::select(long, short).await {
                corio::Either::Right(()) => {}
                corio::Either::Left(()) => panic!("the 200 ms sleep ended before the 2 ms one"),
            }
        });
    }

    /// hyper's sleeps are `'static`, so a `#[corio::coroutine]` can keep one across an await
    /// and await it, and the task dump shows what it waits for.
    #[corio::coroutine]
    async fn nap(ms: u64) -> Duration {
        let started = Instant::now();
        let sleep = CorioTimer.sleep(Duration::from_millis(ms));
        corio::yield_now().await;
        sleep.await;
        started.elapsed()
    }

    #[test]
    fn a_coroutine_awaits_a_hyper_sleep() {
        corio::run(async {
            let task = corio::spawn(nap(20));
            corio::sleep(Duration::from_millis(5)).await;
            let dump = corio::dump();
            assert!(dump.contains("nap at "), "{dump}");
            assert!(
                dump.contains("`sleep.await`, waiting on sleep until"),
                "{dump}"
            );
            let waited = task.await.unwrap();
            assert!(waited >= Duration::from_millis(20), "{waited:?}");
        });
    }

    #[test]
    fn sleeps_are_send_and_sync_as_hyper_requires() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CorioSleep>();
        assert_send_sync::<CorioTimer>();
    }
}
