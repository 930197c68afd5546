//! `corio::process` (issue 18): 200 concurrent children from coroutines with no thread per
//! child, pipes as streams (checked against the bytes sent, and `output()` against std's
//! `Command::output`, the oracle), `kill`, `kill_on_drop` and orphan reaping, and bad input (a
//! program that does not exist, a signal to a child already waited for). The whole suite runs
//! a second time with `CORIO_CHILD_WATCH=sigchld`, the fallback for kernels without pidfds.

use std::io::{self, ErrorKind};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use corio::io::{BufReader, BufWriter};
use corio::process::{Command, Stdio};

const LIMIT: Duration = Duration::from_secs(60);

fn run<T>(fut: impl Future<Output = T> + 'static) -> T {
    corio::run(async move { corio::timeout(LIMIT, fut).await.expect("test timed out") })
}

fn threads_of_this_process() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// One child: prints its number, sleeps a little, exits with `i % 7`.
#[corio::coroutine]
async fn child_job(i: u32) -> io::Result<(u32, Vec<u8>, Option<i32>)> {
    let script = format!("echo child {i}; sleep 0.{:02}; exit {}", i % 50, i % 7);
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()?;
    let out = BufReader::new(child.stdout.take().expect("piped"));
    let line = out.read_line().await?;
    let status = child.wait().await?;
    Ok((i, line, status.code()))
}

#[test]
fn two_hundred_children_at_once_without_a_thread_each() {
    let before = threads_of_this_process();
    let (results, peak) = run(async {
        let tasks: Vec<_> = (0..200).map(|i| corio::spawn(child_job(i))).collect();
        // While they run, count this process's threads.
        corio::sleep(Duration::from_millis(100)).await;
        let peak = threads_of_this_process();
        let results = corio::join_all(tasks).await;
        (results, peak)
    });
    for (i, res) in results.into_iter().enumerate() {
        let (n, line, code) = res.expect("task").expect("child");
        assert_eq!(n as usize, i);
        assert_eq!(line, format!("child {i}\n").as_bytes());
        assert_eq!(code, Some(i as i32 % 7));
    }
    // Other tests of this binary run meanwhile; a thread per child would add 200.
    assert!(
        peak < before + 40,
        "{before} threads before, {peak} with 200 children waiting"
    );
}

#[test]
fn output_agrees_with_std() {
    let script = "echo out; printf 'e1\\ne2' >&2; echo more; exit 3";
    let expected = std::process::Command::new("sh")
        .args(["-c", script])
        .output()
        .unwrap();
    let got = run(async move { Command::new("sh").args(["-c", script]).output().await }).unwrap();
    assert_eq!(got, expected);
}

#[corio::coroutine]
async fn through_cat(data: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let stdin = BufWriter::new(child.stdin.take().expect("piped"));
    let stdout = BufReader::new(child.stdout.take().expect("piped"));
    // Write and read at once: cat blocks once its output pipe is full.
    let writer = corio::spawn(async move {
        for chunk in data.chunks(10_000) {
            stdin.write(chunk);
            stdin.drain().await?;
        }
        io::Result::Ok(()) // dropping `stdin` closes the pipe
    });
    let mut got = Vec::new();
    loop {
        let chunk = stdout.read(65_536).await?;
        if chunk.is_empty() {
            break;
        }
        got.extend(chunk);
    }
    writer.await.expect("writer")?;
    let status = child.wait().await?;
    assert!(status.success());
    Ok(got)
}

#[test]
fn a_megabyte_round_trips_through_cat_from_a_coroutine() {
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 241) as u8).collect();
    let got = run(through_cat(data.clone())).unwrap();
    assert_eq!(got.len(), data.len());
    assert!(got == data);
}

#[test]
fn a_program_that_does_not_exist_is_not_found() {
    let err = run(async { Command::new("no-such-program-corio").spawn().map(drop) }).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("no-such-program-corio"), "{err}");
    let err = run(Command::new("/nonexistent/dir/prog").output()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = run(Command::new("no-such-program-corio").status()).unwrap_err();
    assert!(err.to_string().contains("no-such-program-corio"), "{err}");
}

#[test]
fn spawning_outside_a_loop_is_an_error_and_starts_nothing() {
    let err = Command::new("true").spawn().unwrap_err();
    assert!(err.to_string().contains("no running corio loop"), "{err}");
}

#[test]
fn signalling_a_child_that_was_waited_for_is_an_error_naming_it() {
    run(async {
        let child = Command::new("true").spawn()?;
        let pid = child.id();
        assert!(child.wait().await?.success());
        let err = child.kill().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.to_string()
                .contains(&format!("process {pid} has already exited")),
            "{err}"
        );
        assert_eq!(child.wait().await?.code(), Some(0), "the status is kept");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn kill_and_terminate_end_a_child() {
    run(async {
        let child = Command::new("sleep").arg("60").spawn()?;
        child.terminate()?;
        assert_eq!(child.wait().await?.signal(), Some(libc::SIGTERM));
        let child = Command::new("sleep").arg("60").spawn()?;
        child.kill()?;
        assert_eq!(child.wait().await?.signal(), Some(libc::SIGKILL));
        io::Result::Ok(())
    })
    .unwrap();
}

/// Whether `pid` still exists (running or a zombie nobody reaped).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Spawns and waits for `true` until `pid` is gone (each exit reaps the orphans).
async fn until_gone(pid: u32) -> io::Result<()> {
    let started = Instant::now();
    while exists(pid) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "process {pid} is still there"
        );
        Command::new("true").status().await?;
        corio::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

#[test]
fn kill_on_drop_kills_and_dropped_children_are_reaped() {
    run(async {
        let doomed = Command::new("sleep").arg("60").kill_on_drop(true).spawn()?;
        let pid = doomed.id();
        drop(doomed);
        until_gone(pid).await?;
        // Without kill_on_drop the child runs to its end, and is reaped afterwards.
        let free = Command::new("sleep").arg("0.5").spawn()?;
        let pid = free.id();
        drop(free);
        corio::sleep(Duration::from_millis(50)).await;
        assert!(
            exists(pid),
            "a dropped child was killed without kill_on_drop"
        );
        until_gone(pid).await?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn a_sigchld_listener_and_child_waits_coexist() {
    run(async {
        let chld = corio::signal::signal(corio::signal::SignalKind::SIGCHLD)?;
        let child = Command::new("true").spawn()?;
        assert!(child.wait().await?.success());
        corio::timeout(Duration::from_secs(10), chld.recv())
            .await
            .expect("the listener saw no SIGCHLD")?;
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn the_suite_passes_with_the_sigchld_fallback() {
    if std::env::var_os("CORIO_CHILD_WATCH").is_some() {
        return; // already the child
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--skip", "the_suite_passes_with_the_sigchld_fallback"])
        .env("CORIO_CHILD_WATCH", "sigchld")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SIGCHLD run failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("two_hundred_children_at_once_without_a_thread_each ... ok"));
}

#[test]
fn the_exit_is_watched_by_pidfd_or_by_the_sigchld_fallback() {
    let want = if std::env::var_os("CORIO_CHILD_WATCH").is_some() {
        "Some(\"SIGCHLD\")"
    } else {
        "Some(\"pidfd\")" // this kernel has pidfds (Linux 5.3+)
    };
    run(async move {
        let child = Command::new("sleep").arg("0.2").spawn()?;
        let waiting = corio::spawn(child.wait());
        corio::sleep(Duration::from_millis(20)).await;
        let shown = format!("{child:?}");
        assert!(shown.contains(&format!("watch: {want}")), "{shown}");
        assert!(waiting.await.unwrap()?.success());
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn status_closes_pipes_it_does_not_read() {
    // `yes` would fill a pipe nobody reads and block forever; closed, it gets EPIPE and exits.
    let status = run(Command::new("yes").stdout(Stdio::piped()).status()).unwrap();
    assert!(!status.success());
}

#[test]
fn a_child_reaped_behind_corios_back_is_an_error_naming_its_pid() {
    run(async {
        let child = Command::new("true").spawn()?;
        let pid = child.id();
        // Someone else (a careless SIGCHLD handler, say) reaps it first.
        let raw = rustix::process::Pid::from_raw(pid as i32).expect("a real pid");
        rustix::process::waitpid(Some(raw), rustix::process::WaitOptions::empty())?;
        let err = child.wait().await.unwrap_err();
        assert!(err.to_string().contains(&format!("process {pid}")), "{err}");
        io::Result::Ok(())
    })
    .unwrap();
}

#[corio::coroutine]
async fn outputs_and_kills() -> io::Result<(Vec<u8>, Option<i32>)> {
    let out = Command::new("sh").args(["-c", "echo hi"]).output().await?;
    let sleeper = Command::new("sleep").arg("60").spawn()?;
    sleeper.kill()?;
    let status = sleeper.wait().await?;
    Ok((out.stdout, status.signal()))
}

#[test]
fn output_and_kill_from_a_coroutine() {
    let (stdout, signal) = run(outputs_and_kills()).unwrap();
    assert_eq!(stdout, b"hi\n");
    assert_eq!(signal, Some(libc::SIGKILL));
}

#[corio::coroutine]
async fn supervise(child: corio::process::Child) -> io::Result<Option<i32>> {
    let status = child.wait().await?;
    Ok(status.code())
}

#[test]
fn a_task_dump_shows_which_process_a_coroutine_waits_for() {
    run(async {
        let child = Command::new("sleep").arg("30").spawn()?;
        let pid = child.id();
        let handle = corio::spawn_named("supervisor", supervise(child));
        corio::sleep(Duration::from_millis(20)).await;
        let dump = corio::dump();
        assert!(dump.contains(&format!("exit of process {pid}")), "{dump}");
        assert!(dump.contains("supervise"), "{dump}");
        let raw = rustix::process::Pid::from_raw(pid as i32).expect("a real pid");
        rustix::process::kill_process(raw, rustix::process::Signal::KILL)?;
        assert_eq!(handle.await.unwrap()?, None);
        io::Result::Ok(())
    })
    .unwrap();
}
