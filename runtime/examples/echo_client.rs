//! A closed-loop load generator for echo servers, on one corio thread:
//!
//! ```text
//! cargo run --release --example echo_client -- --connections 1000 --size 64 --duration 5 7000
//! ```
//!
//! Each connection sends a message of `--size` bytes, waits for all of it to come back, and
//! sends the next: one request in flight per connection. After `--warmup` seconds (default 1)
//! it counts the round trips completed during `--duration` seconds and prints one line:
//! `requests=… req_per_s=… p50_us=… p99_us=…`. The port is the last argument; the host is
//! 127.0.0.1. Connections are opened at most 200 at a time, so a server's accept backlog is
//! not overrun. It prints `measuring …` on stderr when the measured window starts.

use std::cell::{Cell, RefCell};
use std::io::{self, ErrorKind};
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::net::TcpStream;

/// The command line.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) connections: usize,
    pub(crate) size: usize,
    pub(crate) duration: Duration,
    pub(crate) warmup: Duration,
    pub(crate) port: u16,
}

impl Options {
    pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> io::Result<Self> {
        let bad = |what: &str| io::Error::new(ErrorKind::InvalidInput, what.to_owned());
        let mut o = Options {
            connections: 100,
            size: 64,
            duration: Duration::from_secs(5),
            warmup: Duration::from_secs(1),
            port: 7000,
        };
        let mut args = args.into_iter().peekable();
        while let Some(arg) = args.next() {
            let mut value = || {
                args.next()
                    .ok_or_else(|| bad(&format!("{arg} needs a value")))
            };
            match arg.as_str() {
                "--connections" | "-c" => {
                    o.connections = value()?.parse().map_err(|_| bad("--connections"))?
                }
                "--size" | "-s" => o.size = value()?.parse().map_err(|_| bad("--size"))?,
                "--duration" | "-d" => {
                    o.duration =
                        Duration::from_secs_f64(value()?.parse().map_err(|_| bad("--duration"))?)
                }
                "--warmup" | "-w" => {
                    o.warmup =
                        Duration::from_secs_f64(value()?.parse().map_err(|_| bad("--warmup"))?)
                }
                port => {
                    o.port = port
                        .parse()
                        .map_err(|_| bad(&format!("unknown argument {port}")))?
                }
            }
        }
        Ok(o)
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) requests: u64,
    pub(crate) req_per_s: f64,
    pub(crate) p50_us: f64,
    pub(crate) p99_us: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "requests={} req_per_s={:.0} p50_us={:.1} p99_us={:.1}",
            self.requests, self.req_per_s, self.p50_us, self.p99_us
        )
    }
}

/// Shared by the connection tasks.
struct Stats {
    /// Round-trip times in nanoseconds, recorded inside the measuring window.
    samples: RefCell<Vec<u32>>,
    start: Cell<Option<Instant>>,
    stop: Cell<bool>,
}

async fn connection(stream: TcpStream, size: usize, stats: Rc<Stats>) -> io::Result<()> {
    let mut out = vec![b'x'; size];
    let mut back = vec![0u8; size];
    while !stats.stop.get() {
        let t0 = Instant::now();
        let (res, o) = stream.write_all(out).await;
        res?;
        out = o;
        let (res, b) = stream.read_exact(back).await;
        res?;
        back = b;
        if let Some(start) = stats.start.get()
            && t0 >= start
        {
            let rtt = t0.elapsed().as_nanos().min(u128::from(u32::MAX)) as u32;
            stats.samples.borrow_mut().push(rtt);
        }
    }
    Ok(())
}

/// Runs the load against 127.0.0.1:`port` on the current corio loop.
pub(crate) async fn load(o: Options) -> io::Result<Report> {
    let stats = Rc::new(Stats {
        samples: RefCell::new(Vec::with_capacity(1 << 20)),
        start: Cell::new(None),
        stop: Cell::new(false),
    });
    let mut streams = Vec::with_capacity(o.connections);
    let mut remaining = o.connections;
    while remaining > 0 {
        let batch = remaining.min(200);
        let connects = (0..batch).map(|_| TcpStream::connect(("127.0.0.1", o.port)));
        for s in corio::join_all(connects).await {
            let s = s?;
            s.set_nodelay(true)?;
            streams.push(s);
        }
        remaining -= batch;
    }
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|s| corio::spawn(connection(s, o.size, stats.clone())))
        .collect();
    corio::sleep(o.warmup).await;
    eprintln!("measuring for {:.1} s", o.duration.as_secs_f64());
    let start = Instant::now();
    stats.start.set(Some(start));
    corio::sleep(o.duration).await;
    let elapsed = start.elapsed();
    let mut samples = std::mem::take(&mut *stats.samples.borrow_mut());
    stats.stop.set(true);
    for t in tasks {
        t.cancel();
    }
    samples.sort_unstable();
    let pct = |p: f64| {
        samples
            .get(((samples.len() as f64 * p) as usize).min(samples.len().saturating_sub(1)))
            .map_or(0.0, |&ns| f64::from(ns) / 1000.0)
    };
    Ok(Report {
        requests: samples.len() as u64,
        req_per_s: samples.len() as f64 / elapsed.as_secs_f64(),
        p50_us: pct(0.50),
        p99_us: pct(0.99),
    })
}

#[allow(
    dead_code,
    reason = "the echo benchmark includes this file as a module"
)]
fn main() -> io::Result<()> {
    let options = Options::parse(std::env::args().skip(1))?;
    let report = corio::run(load(options))?;
    println!("{report}");
    Ok(())
}
