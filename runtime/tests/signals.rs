//! `signal::signal(kind)` (issue 18): arrivals counted one by one, several listeners, a
//! `#[corio::coroutine]` listener, `SIGCHLD`, and signals that cannot be listened for.
//!
//! Signals are process-wide and the tests of this binary run in parallel threads, so each test
//! uses a signal of its own.

use std::io::{self, ErrorKind};
use std::time::Duration;

use corio::signal::{SignalKind, signal};
use futures::StreamExt;
use signal_hook::low_level::raise;

const LIMIT: Duration = Duration::from_secs(30);

fn run<T>(fut: impl Future<Output = T> + 'static) -> T {
    corio::run(async move { corio::timeout(LIMIT, fut).await.expect("test timed out") })
}

#[test]
fn every_arrival_is_one_item() {
    run(async {
        let mut usr1 = signal(SignalKind::SIGUSR1)?;
        for _ in 0..5 {
            raise(libc::SIGUSR1)?;
        }
        for _ in 0..5 {
            assert_eq!(usr1.next().await, Some(()));
        }
        let more = corio::timeout(Duration::from_millis(50), usr1.recv()).await;
        assert!(more.is_err(), "a sixth arrival out of nowhere");
        io::Result::Ok(())
    })
    .unwrap();
}

#[corio::coroutine]
async fn count_hangups(hangups: corio::signal::Signals, want: usize) -> io::Result<usize> {
    let mut seen = 0;
    while seen < want {
        hangups.recv().await?;
        seen += 1;
    }
    Ok(seen)
}

#[test]
fn a_coroutine_waits_for_hangups_while_the_loop_runs() {
    run(async {
        let listener = corio::spawn(count_hangups(signal(SignalKind::SIGHUP)?, 3));
        for _ in 0..3 {
            corio::sleep(Duration::from_millis(5)).await;
            raise(libc::SIGHUP)?;
        }
        assert_eq!(listener.await.unwrap()?, 3);
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn two_listeners_each_see_every_arrival() {
    run(async {
        let a = signal(SignalKind::SIGUSR2)?;
        let b = signal(SignalKind::SIGUSR2)?;
        raise(libc::SIGUSR2)?;
        raise(libc::SIGUSR2)?;
        for s in [&a, &b] {
            s.recv().await?;
            s.recv().await?;
        }
        drop(a); // stops listening; b goes on
        raise(libc::SIGUSR2)?;
        b.recv().await?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_real_time_signal_works_too() {
    let kind = SignalKind::from_raw(libc::SIGRTMIN() + 2);
    run(async move {
        let rt = signal(kind)?;
        raise(kind.as_raw())?;
        rt.recv().await
    })
    .unwrap();
}

#[test]
fn sigchld_arrives_when_a_child_exits() {
    run(async {
        let chld = signal(SignalKind::SIGCHLD)?;
        let status = std::process::Command::new("true").status()?;
        assert!(status.success());
        corio::timeout(Duration::from_secs(10), chld.recv())
            .await
            .expect("no SIGCHLD")?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn signals_that_cannot_be_caught_are_clear_errors() {
    for (kind, name) in [
        (SignalKind::from_raw(libc::SIGKILL), "SIGKILL"),
        (SignalKind::from_raw(libc::SIGSTOP), "SIGSTOP"),
        (SignalKind::from_raw(libc::SIGSEGV), "SIGSEGV"),
    ] {
        let err = signal(kind).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(name), "{err}");
    }
    let err = signal(SignalKind::from_raw(4242)).unwrap_err();
    assert!(err.to_string().contains("signal 4242"), "{err}");
}
