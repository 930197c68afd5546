//! The C10K echo benchmark: corio's `examples/echo_server.rs` against tokio (current_thread),
//! smol (one `LocalExecutor`) and a raw edge-triggered loop on `polling`, all driven by
//! `examples/echo_client.rs` (closed loop, one request in flight per connection).
//!
//! The server runs pinned to CPU 0 and the load generator to CPU 1 (`taskset`), each in its
//! own process (this binary, re-executed with `--server KIND` or `--client`). Each cell is the
//! median of the repetitions; memory per connection is the server's peak RSS growth
//! (`VmHWM` at the end minus `VmRSS` before the clients came) divided by the connections.
//!
//! ```text
//! cargo bench -p corio --bench echo                      # short: 100 and 1,000 × 64 B, 1 rep
//! CORIO_BENCH_FULL=1 cargo bench -p corio --bench echo   # 100/1,000/10,000 × 64 B/4 KiB, 3 reps
//! ```
//!
//! Knobs: `CORIO_BENCH_CONNS=100,1000`, `CORIO_BENCH_SIZES=64,4096`, `CORIO_BENCH_SECS=5`,
//! `CORIO_BENCH_REPS=3`, `CORIO_BENCH_SERVERS=corio,corio-busy,tokio,smol,raw`, and
//! `CORIO_BENCH_SYSCALLS=1` to count the server's system calls per request with
//! `perf stat -e raw_syscalls:sys_enter` during the measured window (divided by the server's
//! `sendto` calls in that window: one per echoed request). The server
//! `corio-polling` is corio's server on the portable reactor (`CORIO_REACTOR=polling`, which
//! waits with `Poller::wait`), and `corio-busy` corio's server with
//! `Builder::busy_poll(CORIO_BENCH_BUSY_US µs)` (default 5), both against the same client.

#[allow(
    dead_code,
    reason = "only `serve` is used here; `main` is the example's"
)]
#[path = "../examples/echo_server.rs"]
mod echo_server;

#[allow(dead_code, reason = "only `load` and `Options` are used here")]
#[path = "../examples/echo_client.rs"]
mod echo_client;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name).map_or_else(
        |_| default.to_vec(),
        |v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
    )
}

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--server") => serve(&args[1]),
        Some("--client") => {
            let options = echo_client::Options::parse(args[1..].iter().cloned()).unwrap();
            let report = corio::run(echo_client::load(options)).unwrap();
            println!("{report}");
        }
        _ => orchestrate(),
    }
}

/// Binds 127.0.0.1:0, prints `PORT n`, and echoes with the server `kind` until killed.
fn serve(kind: &str) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    println!("PORT {}", listener.local_addr().unwrap().port());
    io::stdout().flush().unwrap();
    match kind {
        // The orchestrator sets `CORIO_REACTOR=polling` for `corio-polling`.
        "corio" | "corio-polling" => corio::run(async move {
            let listener = corio::net::TcpListener::from_std(listener)?;
            echo_server::serve(listener).await
        })
        .unwrap(),
        "corio-busy" => {
            let spin = env_num("CORIO_BENCH_BUSY_US", 5.0);
            corio::Runtime::builder()
                .busy_poll(Duration::from_secs_f64(spin / 1e6))
                .build()
                .run(async move {
                    let listener = corio::net::TcpListener::from_std(listener)?;
                    echo_server::serve(listener).await
                })
                .unwrap()
        }
        "tokio" => tokio_server(listener),
        "smol" => smol_server(listener),
        "raw" => raw_server(listener),
        other => panic!("unknown server {other}"),
    }
}

/// The canonical tokio echo: a task per connection with a 4 KiB buffer.
fn tokio_server(listener: std::net::TcpListener) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    listener.set_nonblocking(true).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::task::spawn_local(async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
}

/// The canonical smol echo: a task per connection with a 4 KiB buffer, one thread.
fn smol_server(listener: std::net::TcpListener) {
    use smol::io::{AsyncReadExt, AsyncWriteExt};
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let listener = smol::Async::new(listener).unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            stream.get_ref().set_nodelay(true).unwrap();
            ex.spawn(async move {
                let mut stream = stream;
                let mut buf = vec![0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            })
            .detach();
        }
    }));
}

/// A hand-written edge-triggered loop on `polling` with one shared buffer: the floor.
fn raw_server(listener: std::net::TcpListener) {
    use polling::{Event, Events, PollMode, Poller};
    use std::collections::HashMap;

    struct Conn {
        stream: std::net::TcpStream,
        /// Bytes the peer was too slow to take.
        backlog: Vec<u8>,
    }

    listener.set_nonblocking(true).unwrap();
    let poller = Poller::new().unwrap();
    // SAFETY: the listener outlives the poller's use of it (both live to the end of the fn).
    #[allow(unsafe_code)]
    unsafe {
        poller
            .add_with_mode(&listener, Event::readable(0), PollMode::Edge)
            .unwrap();
    }
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next = 1usize;
    let mut buf = vec![0u8; 64 * 1024];
    let mut events = Events::new();
    loop {
        events.clear();
        poller.wait(&mut events, None).unwrap();
        for ev in events.iter() {
            if ev.key == 0 {
                while let Ok((stream, _)) = listener.accept() {
                    stream.set_nonblocking(true).unwrap();
                    stream.set_nodelay(true).unwrap();
                    // SAFETY: the stream is deleted from the poller before it is dropped.
                    #[allow(unsafe_code)]
                    unsafe {
                        poller
                            .add_with_mode(&stream, Event::all(next), PollMode::Edge)
                            .unwrap();
                    }
                    conns.insert(
                        next,
                        Conn {
                            stream,
                            backlog: Vec::new(),
                        },
                    );
                    next += 1;
                }
                continue;
            }
            let Some(conn) = conns.get_mut(&ev.key) else {
                continue;
            };
            let mut closed = false;
            if ev.writable && !conn.backlog.is_empty() {
                match (&conn.stream).write(&conn.backlog) {
                    Ok(n) => drop(conn.backlog.drain(..n)),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => closed = true,
                }
            }
            if ev.readable && conn.backlog.is_empty() {
                loop {
                    match (&conn.stream).read(&mut buf) {
                        Ok(0) => {
                            closed = true;
                            break;
                        }
                        Ok(n) => {
                            let sent = match (&conn.stream).write(&buf[..n]) {
                                Ok(m) => m,
                                Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                                Err(_) => {
                                    closed = true;
                                    break;
                                }
                            };
                            if sent < n {
                                conn.backlog.extend_from_slice(&buf[sent..n]);
                                break;
                            }
                            if n < buf.len() {
                                break; // a short read drained the socket
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => {
                            closed = true;
                            break;
                        }
                    }
                }
            }
            if closed && let Some(conn) = conns.remove(&ev.key) {
                let _ = poller.delete(&conn.stream);
            }
        }
    }
}

/// One measured run.
struct Sample {
    req_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    bytes_per_conn: Option<f64>,
    syscalls_per_req: Option<f64>,
}

fn pinned(cpu: &str, exe: &str) -> Command {
    if Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let mut c = Command::new("taskset");
        c.args(["-c", cpu, exe]);
        c
    } else {
        Command::new(exe)
    }
}

fn status_kib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn run_once(kind: &str, conns: usize, size: usize, secs: f64, syscalls: bool) -> Sample {
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_str().unwrap();
    let mut server = pinned("0", exe);
    if kind == "corio-polling" {
        server.env("CORIO_REACTOR", "polling");
    }
    let mut server = server
        .args(["--server", kind])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line.trim().trim_start_matches("PORT ").parse().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let base = status_kib(server.id(), "VmRSS:");
    let warmup = 1.0;
    let mut client = pinned("1", exe)
        .arg("--client")
        .args(["-c", &conns.to_string(), "-s", &size.to_string()])
        .args(["-d", &secs.to_string(), "-w", &warmup.to_string()])
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let window = (secs - 0.3).max(0.1);
    let server_pid = server.id();
    let stderr = client.stderr.take().unwrap();
    // Counts the server's system calls inside the client's measured window only.
    let perf = std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        let started = lines
            .by_ref()
            .any(|l| l.is_ok_and(|l| l.starts_with("measuring")));
        let count = (syscalls && started)
            .then(|| {
                let out = Command::new("perf")
                    .args(["stat", "-x,", "-e", "raw_syscalls:sys_enter"])
                    .args(["-e", "syscalls:sys_enter_sendto", "-p"])
                    .arg(server_pid.to_string())
                    .args(["--", "sleep", &window.to_string()])
                    .stderr(Stdio::piped())
                    .stdout(Stdio::null())
                    .output()
                    .ok()?;
                let text = String::from_utf8_lossy(&out.stderr).into_owned();
                let counter = |event: &str| {
                    text.lines().find_map(|l| {
                        let mut fields = l.split(',');
                        let value = fields.next()?.parse::<f64>().ok()?;
                        fields.nth(1).filter(|e| *e == event).map(|_| value)
                    })
                };
                Some((
                    counter("raw_syscalls:sys_enter")?,
                    counter("syscalls:sys_enter_sendto"),
                ))
            })
            .flatten();
        lines.for_each(drop);
        count
    });
    let mut out = String::new();
    client
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = client.wait().unwrap();
    let peak = status_kib(server.id(), "VmHWM:");
    kill(&mut server);
    assert!(status.success(), "client failed against {kind}: {out}");
    let field = |name: &str| -> f64 {
        out.split_whitespace()
            .find_map(|w| w.strip_prefix(name)?.strip_prefix('=')?.parse().ok())
            .unwrap_or(f64::NAN)
    };
    let req_per_s = field("req_per_s");
    // Each request is echoed with one `sendto` by every server here, counted in the same
    // window as the other calls; the client's rate covers a slightly different window, and
    // is only the fallback.
    let syscalls_per_req = perf.join().unwrap().map(|(count, sends)| match sends {
        Some(sends) if sends > 0.0 => count / sends,
        _ => count / (req_per_s * window),
    });
    Sample {
        req_per_s,
        p50_us: field("p50_us"),
        p99_us: field("p99_us"),
        bytes_per_conn: base
            .zip(peak)
            .map(|(b, p)| (p - b).max(0.0) * 1024.0 / conns as f64),
        syscalls_per_req,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `min-max` of `v`, or `-` when it is empty.
fn range(v: &[f64], digits: usize) -> String {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if v.is_empty() {
        "-".to_owned()
    } else {
        format!("{lo:.digits$}-{hi:.digits$}")
    }
}

/// `median [min-max]` of `v`, each followed by `unit`.
fn spread(v: &[f64], digits: usize, unit: &str) -> String {
    format!(
        "{:.digits$}{unit} [{}]",
        median(v.to_vec()),
        range(v, digits)
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn orchestrate() {
    let full = std::env::var_os("CORIO_BENCH_FULL").is_some();
    let conns = env_list(
        "CORIO_BENCH_CONNS",
        if full {
            &[100, 1000, 10_000]
        } else {
            &[100, 1000]
        },
    );
    let sizes = env_list("CORIO_BENCH_SIZES", if full { &[64, 4096] } else { &[64] });
    let secs = env_num("CORIO_BENCH_SECS", if full { 5.0 } else { 2.0 });
    let reps = env_num("CORIO_BENCH_REPS", if full { 3.0 } else { 1.0 }) as usize;
    let syscalls = std::env::var_os("CORIO_BENCH_SYSCALLS").is_some();
    let servers: Vec<String> = std::env::var("CORIO_BENCH_SERVERS")
        .unwrap_or_else(|_| "corio,corio-busy,tokio,smol,raw".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    println!(
        "echo benchmark: server on CPU 0, client on CPU 1; {secs} s per run, median of {reps}; \
         load average {}",
        load_average()
    );
    println!(
        "{:>6} {:>6} {:>13} {:>10} {:>9} {:>9} {:>10} {:>9}   {:<15} {:<11} {:<16} {:<16}",
        "conns",
        "bytes",
        "server",
        "req/s",
        "p50 µs",
        "p99 µs",
        "B/conn",
        "sys/req",
        "req/s range",
        "sys range",
        "vs tokio",
        "vs raw"
    );
    for &size in &sizes {
        for &n in &conns {
            // Interleave the servers within each repetition so that noise from other work on
            // the machine spreads over all of them.
            let mut samples: Vec<Vec<Sample>> = servers.iter().map(|_| Vec::new()).collect();
            for _ in 0..reps {
                for (kind, out) in servers.iter().zip(&mut samples) {
                    out.push(run_once(kind, n, size, secs, syscalls));
                }
            }
            println!("# load average after {n} × {size} B: {}", load_average());
            // Ratios are taken run by run against the peer run next to it, which shared its
            // share of the machine's noise.
            let peer = |name: &str| servers.iter().position(|k| k == name).map(|i| &samples[i]);
            for (kind, samples) in servers.iter().zip(&samples) {
                let pick =
                    |f: fn(&Sample) -> Option<f64>| median(samples.iter().filter_map(f).collect());
                let show = |x: f64, digits: usize| {
                    if x.is_nan() {
                        "-".to_owned()
                    } else {
                        format!("{x:.digits$}")
                    }
                };
                let ratio = |name: &str| match peer(name) {
                    Some(other) if name != kind => {
                        let r: Vec<f64> = samples
                            .iter()
                            .zip(other)
                            .map(|(a, b)| a.req_per_s / b.req_per_s)
                            .collect();
                        spread(&r, 2, "x")
                    }
                    _ => String::new(),
                };
                let req: Vec<f64> = samples.iter().map(|s| s.req_per_s).collect();
                let sys: Vec<f64> = samples.iter().filter_map(|s| s.syscalls_per_req).collect();
                println!(
                    "{:>6} {:>6} {:>13} {:>10.0} {:>9.0} {:>9.0} {:>10} {:>9}   {:<15} {:<11} {:<16} {:<16}",
                    n,
                    size,
                    kind,
                    pick(|s| Some(s.req_per_s)),
                    pick(|s| Some(s.p50_us)),
                    pick(|s| Some(s.p99_us)),
                    show(pick(|s| s.bytes_per_conn), 0),
                    show(pick(|s| s.syscalls_per_req), 2),
                    range(&req, 0),
                    range(&sys, 2),
                    ratio("tokio"),
                    ratio("raw"),
                );
            }
        }
    }
}
