//! Subprocess programs as asyncio users write them with `corio::process`: a three-stage
//! pipeline pumped by tasks (`seq | grep | sort`), `communicate`-style output capture, exit
//! codes and signals, a timeout that kills, and many children at once. The oracles are
//! `std::process` running the same commands and the same computation in Rust.

mod user_common;

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use corio::io::BufReader;
use corio::process::{ChildStdin, ChildStdout, Command};
use user_common::run_real;

/// Copies `from` into `to` until the end of `from`, then closes `to` (asyncio: a pump task
/// reading `p1.stdout` and writing `p2.stdin`, then `p2.stdin.close()`).
#[corio::coroutine]
async fn pump_co(from: ChildStdout, to: ChildStdin) -> usize {
    let mut total = 0;
    let mut buf = vec![0u8; 4096];
    loop {
        let (res, b) = from.read(buf).await;
        let n = res.expect("read");
        if n == 0 {
            break;
        }
        let (res, b) = to.write_all(b.slice_to(n)).await;
        res.expect("write_all");
        buf = b;
        total += n;
    }
    drop(to);
    total
}

async fn pump(from: ChildStdout, to: ChildStdin) -> usize {
    let mut total = 0;
    let mut buf = vec![0u8; 4096];
    loop {
        let (res, b) = from.read(buf).await;
        let n = res.expect("read");
        if n == 0 {
            break;
        }
        let (res, b) = to.write_all(b.slice_to(n)).await;
        res.expect("write_all");
        buf = b;
        total += n;
    }
    drop(to);
    total
}

trait SliceTo {
    fn slice_to(self, n: usize) -> Vec<u8>;
}

impl SliceTo for Vec<u8> {
    /// The first `n` bytes, as an owned buffer (what a coroutine can hand to `write_all`).
    fn slice_to(mut self, n: usize) -> Vec<u8> {
        self.truncate(n);
        self
    }
}

fn pipeline(coroutines: bool) -> (Vec<String>, usize, usize) {
    run_real(move || async move {
        let mut seq = Command::new("seq")
            .args(["1", "3000"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut grep = Command::new("grep")
            .arg("7")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut sort = Command::new("sort")
            .args(["-n", "-r"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (s_out, g_in) = (seq.stdout.take().unwrap(), grep.stdin.take().unwrap());
        let (g_out, o_in) = (grep.stdout.take().unwrap(), sort.stdin.take().unwrap());
        let (p1, p2) = if coroutines {
            (
                corio::spawn(pump_co(s_out, g_in)),
                corio::spawn(pump_co(g_out, o_in)),
            )
        } else {
            (
                corio::spawn(pump(s_out, g_in)),
                corio::spawn(pump(g_out, o_in)),
            )
        };
        let reader = BufReader::new(sort.stdout.take().unwrap());
        let mut lines = Vec::new();
        loop {
            let line = reader.read_line().await.unwrap();
            if line.is_empty() {
                break;
            }
            lines.push(String::from_utf8(line).unwrap().trim_end().to_string());
        }
        for child in [&seq, &grep, &sort] {
            assert!(child.wait().await.unwrap().success());
        }
        (lines, p1.await.unwrap(), p2.await.unwrap())
    })
}

#[test]
fn seq_grep_sort_pipeline_pumped_by_tasks() {
    let mut want: Vec<u32> = (1..=3000).filter(|n| n.to_string().contains('7')).collect();
    want.reverse();
    let want: Vec<String> = want.iter().map(|n| n.to_string()).collect();
    let seq_bytes: usize = (1..=3000).map(|n: u32| n.to_string().len() + 1).sum();
    let grep_bytes: usize = want.iter().map(|l| l.len() + 1).sum();
    for coroutines in [false, true] {
        let (lines, pumped1, pumped2) = pipeline(coroutines);
        assert_eq!(lines, want);
        assert_eq!((pumped1, pumped2), (seq_bytes, grep_bytes));
    }
}

#[corio::coroutine]
async fn capture(script: &'static str, input: &'static str) -> std::process::Output {
    let mut child = Command::new("sh")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    let (res, _) = stdin.write_all(input.as_bytes()).await;
    res.unwrap();
    drop(stdin); // EOF for the child
    child.wait_with_output().await.unwrap()
}

#[test]
fn output_and_exit_status_match_std_process() {
    let cases = [
        ("tr a-z A-Z; echo err >&2; exit 3", "hello\nworld\n"),
        ("wc -l; exit 0", "a\nb\nc\n"),
        ("cat >/dev/null; kill -TERM $$", "ignored"),
        ("head -c 0", ""),
    ];
    for (script, input) in cases {
        let got = run_real(move || capture(script, input));
        let want = {
            use std::io::Write;
            let mut child = std::process::Command::new("sh")
                .args(["-c", script])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        };
        assert_eq!(got.status.code(), want.status.code(), "{script}");
        assert_eq!(got.status.signal(), want.status.signal(), "{script}");
        assert_eq!(got.stdout, want.stdout, "{script}");
        assert_eq!(got.stderr, want.stderr, "{script}");
    }
}

#[test]
fn a_timeout_kills_a_hung_child() {
    let (timed_out, status) = run_real(|| async {
        let child = Command::new("sleep").arg("60").spawn().unwrap();
        let timed_out = corio::timeout(Duration::from_millis(50), child.wait())
            .await
            .is_err();
        child.kill().unwrap();
        (timed_out, child.wait().await.unwrap())
    });
    assert!(timed_out);
    assert_eq!(status.signal(), Some(libc::SIGKILL));
}

#[corio::coroutine]
async fn echo_child(i: u32) -> String {
    let out = Command::new("sh")
        .args(["-c", &format!("echo child {i}")])
        .output()
        .await
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn many_children_at_once_gathered_in_order() {
    let got = run_real(|| corio::join_all((0..24).map(echo_child)));
    let want: Vec<String> = (0..24).map(|i| format!("child {i}\n")).collect();
    assert_eq!(got, want);
}
