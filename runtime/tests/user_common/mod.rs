//! What the `user_*` tests share: a log that stamps each line with the loop's (virtual) time,
//! and the oracle, the same program run by Python's asyncio.
//!
//! The Python programs run on a loop whose clock is virtual as well (`VirtualClockLoop`: when
//! nothing is ready it jumps to the next timer instead of sleeping), so both sides print the
//! same times and the same order however loaded the machine is.

#![allow(dead_code)] // each test binary uses a different part

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An append-only log of what a program did, each line stamped `t=<ms>` with the loop's time
/// since the log was made. A cheap handle: clone it into every task.
#[derive(Clone)]
pub(crate) struct Log {
    start: Instant,
    lines: Rc<RefCell<Vec<String>>>,
}

impl Log {
    /// A log whose time 0 is now (call it inside the loop, after `corio::time::pause()`).
    pub(crate) fn new() -> Self {
        Log {
            start: corio::time::now(),
            lines: Rc::default(),
        }
    }

    /// Appends `t=<ms> <line>`.
    pub(crate) fn say(&self, line: impl AsRef<str>) {
        let ms = (corio::time::now() - self.start).as_millis();
        self.lines
            .borrow_mut()
            .push(format!("t={ms} {}", line.as_ref()));
    }

    /// Everything said so far.
    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}

/// A Python 3.11 prelude: an event loop with a virtual clock, and `say(...)`, which prints
/// lines in the format of [`Log::say`]. A program ends with `run(main())`.
const PRELUDE: &str = r#"
import asyncio, sys

class VirtualClockLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__()
        self._vnow = 0.0
        real, loop = self._selector, self

        class Selector:
            def __getattr__(self, name):
                return getattr(real, name)

            def select(self, timeout=None):
                events = real.select(0)
                if events or (timeout is not None and timeout <= 0):
                    return events
                if timeout is None:
                    return real.select(None)
                loop._vnow += timeout
                return events

        self._selector = Selector()

    def time(self):
        return self._vnow

def say(line):
    ms = round(asyncio.get_running_loop().time() * 1000)
    print(f"t={ms} {line}", flush=True)

def run(coro):
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(coro)
"#;

/// Runs `program` (after [`PRELUDE`]) with `python3` and returns its output lines, or `None`
/// (saying so on stderr) when `python3` is not installed, so that the test can still check
/// what it can check without the oracle.
pub(crate) fn asyncio_oracle(program: &str) -> Option<Vec<String>> {
    // Each program runs once per test binary (starting Python is the slow part).
    static CACHE: Mutex<BTreeMap<String, Option<Vec<String>>>> = Mutex::new(BTreeMap::new());
    if let Some(out) = CACHE.lock().unwrap().get(program) {
        return out.clone();
    }
    let out = run_python(program);
    CACHE
        .lock()
        .unwrap()
        .insert(program.to_owned(), out.clone());
    out
}

fn run_python(program: &str) -> Option<Vec<String>> {
    let source = format!("{PRELUDE}\n{}", dedent(program));
    let out = match Command::new("python3")
        .arg("-c")
        .arg(&source)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("oracle skipped: python3 could not be started ({e})");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "the asyncio oracle failed: {}\n{source}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

/// Checks `got` against the oracle's output for `program`, when there is an oracle.
#[track_caller]
pub(crate) fn check_against_asyncio(program: &str, got: &[String]) {
    if let Some(want) = asyncio_oracle(program) {
        assert_eq!(
            got,
            want.as_slice(),
            "corio (left) and asyncio (right) disagree\n--- corio:\n{}\n--- asyncio:\n{}",
            got.join("\n"),
            want.join("\n")
        );
    }
}

fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the future that `make` builds on a fresh corio loop with its clock paused, on a
/// thread of its own, failing the test if it has not finished after 30 s of real time (a
/// hang, not a slow machine: the programs take milliseconds).
pub(crate) fn run_virtual<F, Fut>(make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    run_on_thread(move || {
        corio::run(async move {
            corio::time::pause();
            make().await
        })
    })
}

/// Runs the future that `make` builds on a fresh corio loop (real time), on a thread of its
/// own, failing the test after 30 s of real time.
pub(crate) fn run_real<F, Fut>(make: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
    Fut::Output: Send + 'static,
{
    run_on_thread(move || corio::run(async move { make().await }))
}

fn run_on_thread<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(body());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sent nothing and did not panic"),
        },
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("the program hung (30 s)"),
    }
}

/// A whole number of seconds.
pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}
