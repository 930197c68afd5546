//! asyncio programs a Python user ports, each inside `#[corio::coroutine] async fn` bodies:
//! `gather` with a failing task, `shield`, `call_at`, a `Semaphore`-bounded crawler over local
//! sockets, a line server read with `readline` and half-closed, a connect to a closed port,
//! cancelling a task blocked in a socket read, and `to_thread`. (Queues with `task_done`/
//! `join`, `wait_for`, `TaskGroup`, `Event`/`Condition`, `call_later` and `as_completed` are
//! in `user_asyncio_ports.rs`.)
//!
//! Each corio port prints what the Python program prints; the expected output is checked in
//! beside the Python source (the ports run in CI without Python), and
//! `cargo test -p corio --test user_asyncio_toolbox -- --ignored` runs the Python originals
//! under python3 (3.11) and checks that they still print exactly that. Every test is bounded
//! in time: a hang fails after 30 s.

mod user_common;

use std::cell::Cell;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use corio::io::BufReader;
use corio::net::{TcpListener, TcpStream};
use corio::sync::{Event, Semaphore};
use corio::{
    ReturnWhen, TaskError, as_completed, call_at, call_later, gather, run_in_thread, sleep, spawn,
    timeout, yield_now,
};
use user_common::{Log, asyncio_oracle, run_real, run_virtual, secs};

/// Says `what` when dropped (Python's `finally:`), unless disarmed.
struct Finally {
    log: Log,
    what: Option<String>,
}

impl Finally {
    fn new(log: &Log, what: impl Into<String>) -> Self {
        Finally {
            log: log.clone(),
            what: Some(what.into()),
        }
    }

    fn disarm(&mut self) {
        self.what = None;
    }
}

impl Drop for Finally {
    fn drop(&mut self) {
        if let Some(what) = self.what.take() {
            self.log.say(what);
        }
    }
}

/// Lines printed without a time stamp (the socket programs run on the real clock).
#[derive(Clone, Default)]
struct Out(Rc<std::cell::RefCell<Vec<String>>>);

impl Out {
    fn print(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Python's `repr()` of a `bytes` value.
fn py_bytes(b: &[u8]) -> String {
    let mut s = String::from("b'");
    for &c in b {
        match c {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\'"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('\'');
    s
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn assert_lines(got: &[String], want: &str) {
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(
        got,
        want.as_slice(),
        "corio (left) and the checked-in asyncio output (right) disagree\n--- corio:\n{}",
        got.join("\n")
    );
}

/// Reads `reader` to the end of the stream: asyncio's `reader.read()`.
#[corio::coroutine]
async fn read_to_eof(reader: BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut all = Vec::new();
    loop {
        let chunk = reader.read(64 * 1024).await?;
        if chunk.is_empty() {
            return Ok(all);
        }
        all.extend_from_slice(&chunk);
    }
}

// ---------------------------------------------------------------------------------------
// gather with a failing task: with return_exceptions the error takes its place among the
// results; without, the first error reaches the caller at once and the other tasks run on.

const GATHER_PY: &str = r#"
    async def work(name, d, fail):
        await asyncio.sleep(d)
        if fail:
            raise ValueError(f"{name} failed")
        say(f"{name} done")
        return name.upper()

    async def main():
        res = await asyncio.gather(work("a", 2, False), work("b", 1, True), work("c", 3, False), return_exceptions=True)
        say(f"results {res!r}")
        tasks = [asyncio.create_task(work(n, d, f)) for n, d, f in [("x", 2, False), ("y", 1, True)]]
        try:
            await asyncio.gather(*tasks)
        except ValueError as e:
            say(f"caught {e}")
        await asyncio.sleep(2)
        say(f"x finished anyway: {tasks[0].result()}")

    run(main())
"#;
const GATHER_OUT: &str = "\
t=2000 a done
t=3000 c done
t=3000 results ['A', ValueError('b failed'), 'C']
t=4000 caught y failed
t=5000 x done
t=6000 x finished anyway: X
";

#[corio::coroutine]
async fn work(log: Log, name: &'static str, d: u64, fail: bool) -> Result<String, String> {
    sleep(secs(d)).await;
    if fail {
        return Err(format!("{name} failed"));
    }
    log.say(format!("{name} done"));
    Ok(name.to_uppercase())
}

#[corio::coroutine]
async fn gather_main(log: Log) -> Vec<String> {
    let results = gather([
        work(log.clone(), "a", 2, false),
        work(log.clone(), "b", 1, true),
        work(log.clone(), "c", 3, false),
    ])
    .await;
    let shown: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok(v) => format!("'{v}'"),
            Err(e) => format!("ValueError('{e}')"),
        })
        .collect();
    log.say(format!("results [{}]", shown.join(", ")));
    // Without return_exceptions: results in completion order, stop at the first error.
    let x = spawn(work(log.clone(), "x", 2, false));
    let y = spawn(work(log.clone(), "y", 1, true));
    let finished = as_completed([x, y]);
    loop {
        match finished.next().await {
            Some(Ok(Err(e))) => {
                log.say(format!("caught {e}"));
                break;
            }
            Some(_) => {}
            None => panic!("no task failed"),
        }
    }
    sleep(secs(2)).await;
    let x = finished.next().await;
    let Some(Ok(Ok(x))) = x else {
        panic!("x did not finish: {x:?}");
    };
    log.say(format!("x finished anyway: {x}"));
    log.lines()
}

#[test]
fn gather_with_a_failing_task() {
    let got = run_virtual(|| gather_main(Log::new()));
    assert_lines(&got, GATHER_OUT);
}

// ---------------------------------------------------------------------------------------
// shield: a wait that gives up leaves the task running (corio: `wait(...).timeout(d)` hands
// the task back; a dropped `Task` runs on); a bare wait_for cancels what it waits for.

const SHIELD_PY: &str = r#"
    async def save(log):
        try:
            await asyncio.sleep(3)
            say("saved")
            return "ok"
        finally:
            say("save cleanup")

    async def main():
        task = asyncio.create_task(save(None))
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=1)
        except asyncio.TimeoutError:
            say(f"gave up waiting; task done: {task.done()}")
        r = await task
        say(f"task result {r}")
        unshielded = asyncio.create_task(save(None))
        try:
            await asyncio.wait_for(unshielded, timeout=1)
        except asyncio.TimeoutError:
            say(f"unshielded cancelled: {unshielded.cancelled()}")

    run(main())
"#;
const SHIELD_OUT: &str = "\
t=1000 gave up waiting; task done: False
t=3000 saved
t=3000 save cleanup
t=3000 task result ok
t=4000 save cleanup
t=4000 unshielded cancelled: True
";

#[corio::coroutine]
async fn save(log: Log) -> &'static str {
    let _cleanup = Finally::new(&log, "save cleanup");
    sleep(secs(3)).await;
    log.say("saved");
    "ok"
}

#[corio::coroutine]
async fn shield_main(log: Log) -> Vec<String> {
    let task = spawn(save(log.clone()));
    let (done, mut pending) = corio::wait([task], ReturnWhen::AllCompleted)
        .timeout(secs(1))
        .await;
    assert!(done.is_empty());
    let task = pending.pop().expect("the task is still pending");
    log.say(format!(
        "gave up waiting; task done: {}",
        py_bool(task.is_finished())
    ));
    let r = task.await.expect("the shielded task finished");
    log.say(format!("task result {r}"));
    let unshielded = timeout(secs(1), save(log.clone())).await;
    log.say(format!(
        "unshielded cancelled: {}",
        py_bool(unshielded.is_err())
    ));
    log.lines()
}

#[test]
fn shield_keeps_the_task_and_wait_for_cancels() {
    let got = run_virtual(|| shield_main(Log::new()));
    assert_lines(&got, SHIELD_OUT);
}

/// The porting trap next to it: `timeout(d, task)` gives up on a spawned `Task` but leaves it
/// running (a dropped `Task` detaches), where asyncio's `wait_for(task, d)` cancels it; the
/// `timeout` docs say so and show the ports above.
#[test]
fn a_timeout_around_a_spawned_task_does_not_cancel_it() {
    let got = run_virtual(|| {
        #[corio::coroutine]
        async fn main_co(log: Log) -> Vec<String> {
            let task = spawn(save(log.clone()));
            let waited = timeout(secs(1), task).await;
            log.say(format!("timed out: {}", py_bool(waited.is_err())));
            sleep(secs(5)).await;
            log.lines()
        }
        main_co(Log::new())
    });
    assert_eq!(
        got,
        [
            "t=1000 timed out: True",
            "t=3000 saved",
            "t=3000 save cleanup"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// call_at next to call_later, on the loop's clock, with a cancelled handle.

const CALLAT_PY: &str = r#"
    async def main():
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        done = loop.create_future()
        loop.call_at(t0 + 2, say, "at +2")
        loop.call_later(1, say, "later 1")
        loop.call_at(t0 + 2.5, say, "at +2.5")
        h = loop.call_at(t0 + 3, say, "at +3 (cancelled)")
        loop.call_at(t0 + 4, done.set_result, None)
        loop.call_at(t0 - 5, say, "in the past: runs soon")
        h.cancel()
        await asyncio.sleep(0)
        say("after first yield")
        await done
        say("end")

    run(main())
"#;
/// asyncio runs a deadline in the past after the task that yields with `sleep(0)` (it goes
/// through the timer heap on the next turn); corio runs it on the loop's next turn too, in
/// the order it was scheduled, so it comes first. The ports compare the rest; the test says
/// which line moves.
const CALLAT_OUT: &str = "\
t=0 after first yield
t=0 in the past: runs soon
t=1000 later 1
t=2000 at +2
t=2500 at +2.5
t=4000 end
";

#[corio::coroutine]
async fn call_at_main(log: Log) -> Vec<String> {
    let t0 = corio::time::now();
    let (tx, rx) = corio::sync::oneshot::channel();
    let l = log.clone();
    call_at(t0 + secs(2), move || l.say("at +2"));
    let l = log.clone();
    call_later(secs(1), move || l.say("later 1"));
    let l = log.clone();
    call_at(t0 + Duration::from_millis(2500), move || l.say("at +2.5"));
    let l = log.clone();
    let h = call_at(t0 + secs(3), move || l.say("at +3 (cancelled)"));
    call_at(t0 + secs(4), move || {
        let _ = tx.send(());
    });
    let l = log.clone();
    call_at(t0.checked_sub(secs(5)).unwrap_or(t0), move || {
        l.say("in the past: runs soon")
    });
    h.cancel();
    yield_now().await;
    log.say("after first yield");
    rx.await.expect("the callback sent");
    log.say("end");
    log.lines()
}

#[test]
fn call_at_and_call_later_on_the_loop_clock() {
    let got = run_virtual(|| call_at_main(Log::new()));
    let mut want: Vec<String> = CALLAT_OUT.lines().map(str::to_owned).collect();
    // corio: the past deadline first (see CALLAT_OUT).
    want.swap(0, 1);
    assert_eq!(got, want);
}

// ---------------------------------------------------------------------------------------
// A crawler bounded by a Semaphore, over a local server that answers later pages sooner.

const CRAWLER_PY: &str = r#"
    PAGES = {f"/p{i}": f"page {i} " + "x" * (i * 1000) for i in range(8)}

    async def handle(reader, writer):
        line = await reader.readline()
        path = line.decode().split()[1]
        body = PAGES.get(path, "missing").encode()
        await asyncio.sleep(0.01 * (8 - int(path[2:])))
        writer.write(f"{len(body)}\n".encode() + body)
        await writer.drain()
        writer.close()

    async def fetch(port, path, sem, stats):
        async with sem:
            stats["active"] += 1
            stats["peak"] = max(stats["peak"], stats["active"])
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path}\n".encode())
            await writer.drain()
            n = int(await reader.readline())
            body = await reader.readexactly(n)
            rest = await reader.read()
            writer.close()
            stats["active"] -= 1
            return f"{path} {len(body)} bytes, starts {body[:7].decode()!r}, then EOF {rest == b''}"

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        sem = asyncio.Semaphore(3)
        stats = {"active": 0, "peak": 0}
        results = await asyncio.gather(*(fetch(port, f"/p{i}", sem, stats) for i in range(8)))
        for r in results:
            print(r)
        print(f"peak concurrency {stats['peak']}")
        server.close()
        await server.wait_closed()

    asyncio.run(main())
"#;
const CRAWLER_OUT: &str = "\
/p0 7 bytes, starts 'page 0 ', then EOF True
/p1 1007 bytes, starts 'page 1 ', then EOF True
/p2 2007 bytes, starts 'page 2 ', then EOF True
/p3 3007 bytes, starts 'page 3 ', then EOF True
/p4 4007 bytes, starts 'page 4 ', then EOF True
/p5 5007 bytes, starts 'page 5 ', then EOF True
/p6 6007 bytes, starts 'page 6 ', then EOF True
/p7 7007 bytes, starts 'page 7 ', then EOF True
peak concurrency 3
";

#[corio::coroutine]
async fn page_handler(stream: TcpStream) -> std::io::Result<()> {
    let reader = BufReader::new(stream.clone());
    let line = reader.read_line().await?;
    let line = String::from_utf8_lossy(&line).into_owned();
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let i: usize = path.get(2..).and_then(|n| n.parse().ok()).unwrap_or(0);
    let body = if path.starts_with("/p") && i < 8 {
        format!("page {i} {}", "x".repeat(i * 1000))
    } else {
        "missing".to_owned()
    };
    sleep(Duration::from_millis(10 * (8 - i as u64))).await;
    let mut reply = format!("{}\n", body.len()).into_bytes();
    reply.extend_from_slice(body.as_bytes());
    stream.write_all(reply).await.0
    // dropping the stream closes the connection: the client reads EOF
}

#[corio::coroutine]
async fn serve_pages(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let _detached = spawn(page_handler(stream)); // runs on when dropped, as create_task
    }
}

#[corio::coroutine]
async fn fetch_page(
    addr: SocketAddr,
    path: String,
    sem: Semaphore,
    active: Rc<Cell<usize>>,
    peak: Rc<Cell<usize>>,
) -> std::io::Result<String> {
    let _permit = sem.acquire().await;
    active.set(active.get() + 1);
    peak.set(peak.get().max(active.get()));
    let stream = TcpStream::connect(addr).await?;
    let reader = BufReader::new(stream.clone());
    stream
        .write_all(format!("GET {path}\n").into_bytes())
        .await
        .0?;
    let n = reader.read_line().await?;
    let n: usize = String::from_utf8_lossy(&n)
        .trim()
        .parse()
        .expect("a length");
    let body = reader.read_exactly(n).await?;
    let rest = read_to_eof(reader).await?;
    active.set(active.get() - 1);
    Ok(format!(
        "{path} {} bytes, starts '{}', then EOF {}",
        body.len(),
        String::from_utf8_lossy(&body[..7]),
        py_bool(rest.is_empty())
    ))
}

#[corio::coroutine]
async fn crawler_main() -> Vec<String> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = spawn(serve_pages(listener));
    let sem = Semaphore::new(3);
    let (active, peak) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let results = gather((0..8).map(|i| {
        fetch_page(
            addr,
            format!("/p{i}"),
            sem.clone(),
            active.clone(),
            peak.clone(),
        )
    }))
    .await;
    let out = Out::default();
    for r in results {
        out.print(r.expect("the fetch worked"));
    }
    out.print(format!("peak concurrency {}", peak.get()));
    server.cancel();
    out.lines()
}

#[test]
fn semaphore_bounded_crawler_over_local_sockets() {
    let got = run_real(crawler_main);
    assert_lines(&got, CRAWLER_OUT);
}

// ---------------------------------------------------------------------------------------
// A line server read with readline, a client that half-closes and reads to EOF, and a
// connect to a closed port.

const LINES_PY: &str = r#"
    async def handle(reader, writer):
        n = 0
        while True:
            line = await reader.readline()
            if not line:
                break
            n += 1
            writer.write(line.upper())
        writer.write(f"bye after {n} lines\n".encode())
        await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\nsplit ")
        await writer.drain()
        print(repr(await reader.readline()))
        writer.write(b"line\nlast without newline")
        await writer.drain()
        print(repr(await reader.readline()))
        writer.write_eof()
        rest = await reader.read()
        print(repr(rest))
        print(repr(await reader.readline()))
        writer.close()
        try:
            await asyncio.open_connection("127.0.0.1", port_closed)
        except ConnectionRefusedError:
            print("closed port: ConnectionRefusedError")
        server.close()
        await server.wait_closed()

    import socket
    _s = socket.socket(); _s.bind(("127.0.0.1", 0)); port_closed = _s.getsockname()[1]; _s.close()
    asyncio.run(main())
"#;
const LINES_OUT: &str = "\
b'HELLO\\n'
b'SPLIT LINE\\n'
b'LAST WITHOUT NEWLINEbye after 3 lines\\n'
b''
closed port: ConnectionRefusedError
";

#[corio::coroutine]
async fn upper_handler(stream: TcpStream) -> std::io::Result<()> {
    let reader = BufReader::new(stream.clone());
    let mut n = 0;
    loop {
        let line = reader.read_line().await?;
        if line.is_empty() {
            break;
        }
        n += 1;
        stream.write_all(line.to_ascii_uppercase()).await.0?;
    }
    stream
        .write_all(format!("bye after {n} lines\n").into_bytes())
        .await
        .0
}

#[corio::coroutine]
async fn lines_main() -> Vec<String> {
    let out = Out::default();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        upper_handler(stream).await
    });
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let stream = TcpStream::connect(addr).await.expect("connect");
    let reader = BufReader::new(stream.clone());
    stream
        .write_all(b"hello\nsplit ".to_vec())
        .await
        .0
        .expect("write");
    out.print(py_bytes(&reader.read_line().await.expect("line")));
    stream
        .write_all(b"line\nlast without newline".to_vec())
        .await
        .0
        .expect("write");
    out.print(py_bytes(&reader.read_line().await.expect("line")));
    stream.shutdown(Shutdown::Write).expect("half-close");
    let rest = read_to_eof(reader.clone()).await.expect("read to EOF");
    out.print(py_bytes(&rest));
    out.print(py_bytes(&reader.read_line().await.expect("at EOF")));
    server.await.expect("server task").expect("server I/O");
    match TcpStream::connect(closed_port).await {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            out.print("closed port: ConnectionRefusedError")
        }
        other => panic!("connect to a closed port: {other:?}"),
    }
    out.lines()
}

#[test]
fn line_server_readline_half_close_and_a_closed_port() {
    let got = run_real(lines_main);
    assert_lines(&got, LINES_OUT);
}

// ---------------------------------------------------------------------------------------
// Cancelling a task blocked in a socket read: its cleanup runs, and the reader is as good
// as before (the next read gets what arrives afterwards), also after a timed-out read.

const CANCELREAD_PY: &str = r#"
    async def reader_task(reader, log):
        try:
            data = await reader.read(100)
            log.append(f"read {data!r}")
        except asyncio.CancelledError:
            log.append("reader cancelled")
            raise
        finally:
            log.append("reader finally")

    async def main():
        got = asyncio.Event()
        conns = []
        async def handle(r, w):
            conns.append((r, w))
            got.set()
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await got.wait()
        log = []
        t = asyncio.create_task(reader_task(reader, log))
        await asyncio.sleep(0.05)
        t.cancel()
        try:
            await t
        except asyncio.CancelledError:
            print(f"task cancelled: {t.cancelled()}")
        print(log)
        conns[0][1].write(b"after the cancel")
        await conns[0][1].drain()
        print(repr(await reader.read(100)))
        t2 = asyncio.create_task(reader.read(100))
        try:
            await asyncio.wait_for(t2, 0.05)
        except asyncio.TimeoutError:
            print("read with wait_for timed out")
        conns[0][1].write(b"still works")
        await conns[0][1].drain()
        print(repr(await reader.read(100)))
        writer.close(); conns[0][1].close()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
"#;
const CANCELREAD_OUT: &str = "\
task cancelled: True
['reader cancelled', 'reader finally']
b'after the cancel'
read with wait_for timed out
b'still works'
";

#[corio::coroutine]
async fn blocked_reader(reader: BufReader<TcpStream>, log: Log) {
    let _finally = Finally::new(&log, "reader finally");
    let mut _cancelled = Finally::new(&log, "reader cancelled");
    let data = reader.read(100).await;
    _cancelled.disarm();
    log.say(format!("read {data:?}"));
}

#[corio::coroutine]
async fn cancel_read_main() -> Vec<String> {
    let out = Out::default();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = TcpStream::connect(addr).await.expect("connect");
    let (server_side, _) = listener.accept().await.expect("accept");
    let reader = BufReader::new(client.clone());
    let log = Log::new();
    let task = spawn(blocked_reader(reader.clone(), log.clone()));
    sleep(Duration::from_millis(50)).await;
    task.cancel();
    if let Err(e) = task.await {
        out.print(format!("task cancelled: {}", py_bool(e.is_cancelled())));
    }
    let said: Vec<String> = log
        .lines()
        .iter()
        .map(|l| format!("'{}'", l.split_once(' ').map_or(&l[..], |(_, s)| s)))
        .collect();
    out.print(format!("[{}]", said.join(", ")));
    server_side
        .write_all(b"after the cancel".to_vec())
        .await
        .0
        .expect("write");
    out.print(py_bytes(&reader.read(100).await.expect("read")));
    if timeout(Duration::from_millis(50), reader.read(100))
        .await
        .is_err()
    {
        out.print("read with wait_for timed out");
    }
    server_side
        .write_all(b"still works".to_vec())
        .await
        .0
        .expect("write");
    out.print(py_bytes(&reader.read(100).await.expect("read")));
    out.lines()
}

#[test]
fn cancelling_a_task_blocked_in_a_read_leaves_the_reader_usable() {
    let got = run_real(cancel_read_main);
    assert_lines(&got, CANCELREAD_OUT);
}

// ---------------------------------------------------------------------------------------
// to_thread: blocking work off the loop, the loop ticking meanwhile, results gathered, and
// an error (a Rust panic) coming back to the awaiting task.

const THREAD_PY: &str = r#"
    import time, threading
    def blocking(n):
        time.sleep(0.2)
        return sum(range(n)), threading.current_thread() is threading.main_thread()

    async def ticker(stop, ticks):
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0.02)

    async def main():
        stop = asyncio.Event(); ticks = []
        t = asyncio.create_task(ticker(stop, ticks))
        total, on_main = await asyncio.to_thread(blocking, 1001)
        stop.set(); await t
        print(f"sum {total}, ran on the loop's thread: {on_main}")
        print(f"the loop kept running meanwhile: {len(ticks) >= 3}")
        results = await asyncio.gather(*(asyncio.to_thread(blocking, n) for n in (10, 20, 30)))
        print([r[0] for r in results])
        def boom():
            raise RuntimeError("in the thread")
        try:
            await asyncio.to_thread(boom)
        except RuntimeError as e:
            print(f"error crosses back: {e}")

    asyncio.run(main())
"#;
const THREAD_OUT: &str = "\
sum 500500, ran on the loop's thread: False
the loop kept running meanwhile: True
[45, 190, 435]
error crosses back: in the thread
";

fn blocking_sum(n: u64) -> (u64, std::thread::ThreadId) {
    std::thread::sleep(Duration::from_millis(200));
    ((0..n).sum(), std::thread::current().id())
}

#[corio::coroutine]
async fn ticker(stop: Event, ticks: Rc<Cell<usize>>) {
    while !stop.is_set() {
        ticks.set(ticks.get() + 1);
        sleep(Duration::from_millis(20)).await;
    }
}

#[corio::coroutine]
async fn thread_main() -> Vec<String> {
    let out = Out::default();
    let loop_thread = std::thread::current().id();
    let (stop, ticks) = (Event::new(), Rc::new(Cell::new(0)));
    let t = spawn(ticker(stop.clone(), ticks.clone()));
    let (total, ran_on) = run_in_thread(|| blocking_sum(1001)).await;
    stop.set();
    t.await.expect("ticker");
    out.print(format!(
        "sum {total}, ran on the loop's thread: {}",
        py_bool(ran_on == loop_thread)
    ));
    out.print(format!(
        "the loop kept running meanwhile: {}",
        py_bool(ticks.get() >= 3)
    ));
    let results = gather([10, 20, 30].map(|n| run_in_thread(move || blocking_sum(n)))).await;
    let sums: Vec<String> = results.iter().map(|r| r.0.to_string()).collect();
    out.print(format!("[{}]", sums.join(", ")));
    let failing = spawn(run_in_thread(|| -> u64 { panic!("in the thread") }));
    match failing.await {
        Err(TaskError::Panicked(p)) => out.print(format!("error crosses back: {}", p.message())),
        other => panic!("the panic did not come back: {other:?}"),
    }
    out.lines()
}

#[test]
fn run_in_thread_keeps_the_loop_running() {
    let got = run_real(thread_main);
    assert_lines(&got, THREAD_OUT);
}

// ---------------------------------------------------------------------------------------
// The oracle: the Python originals still print the checked-in output.

#[test]
#[ignore = "runs python3 (3.11): cargo test -p corio --test user_asyncio_toolbox -- --ignored"]
fn python_originals_print_the_checked_in_output() {
    for (name, program, want) in [
        ("gather", GATHER_PY, GATHER_OUT),
        ("shield", SHIELD_PY, SHIELD_OUT),
        ("call_at", CALLAT_PY, CALLAT_OUT),
        ("crawler", CRAWLER_PY, CRAWLER_OUT),
        ("lines", LINES_PY, LINES_OUT),
        ("cancel read", CANCELREAD_PY, CANCELREAD_OUT),
        ("to_thread", THREAD_PY, THREAD_OUT),
    ] {
        let got = asyncio_oracle(program).expect("python3 is installed");
        let want: Vec<&str> = want.lines().collect();
        assert_eq!(got, want, "{name}");
    }
}
