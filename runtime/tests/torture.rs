//! Socket torture (issue 16): many loopback connections (TCP and Unix) on one seeded loop,
//! each direction driven by several tasks that read and write through clones of the stream
//! with random sizes, shut down their write half, drop handles, and have their pending
//! operations cancelled (by a chaos task, and by cutting single operations short). Checked
//! against a model of each direction:
//!
//! * the model records every byte a write reports as written, in the order of the writes
//!   (a write's system call and the model update happen in the same poll, so the order is
//!   exact even with several writers); a cancelled pending write wrote nothing, a cancelled
//!   pending read read nothing;
//! * every read returns exactly the next bytes of that record: nothing lost, duplicated or
//!   reordered, across several readers;
//! * end of stream comes exactly after the last byte, once the writers shut down, and a read
//!   after it returns 0 again at once; a peer that vanished early gives end of stream or a
//!   reset, never a hang;
//! * the whole run is bounded: a real-time watchdog per seed.
//!
//! `CORIO_TORTURE_SEEDS` (default 6, the CI slice) and `CORIO_TORTURE_BASE` choose the seeds;
//! each seed runs `CORIO_TORTURE_CONNS` connections (default 12). `CORIO_TORTURE_VIRTUAL=1`
//! keeps the seeded loop's clock paused (virtual time) instead of real time.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::Shutdown;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use corio::net::{TcpListener, TcpStream, UnixStream};
use corio::{Either, Task};

/// A test-side xorshift generator (the scenario's own choices replay with the seed).
struct Rng(Cell<u64>);

impl Rng {
    fn new(seed: u64) -> Rc<Self> {
        Rc::new(Self(Cell::new(
            (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D) | 1,
        )))
    }

    fn below(&self, n: u64) -> u64 {
        let mut x = self.0.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0.set(x);
        x % n.max(1)
    }

    fn chance(&self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }

    fn bytes(&self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.below(256) as u8).collect()
    }
}

/// Either kind of stream, through the API both share.
#[derive(Clone)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

type IoFuture = Pin<Box<dyn Future<Output = (io::Result<usize>, Vec<u8>)>>>;

impl Stream {
    fn read(&self, buf: Vec<u8>) -> IoFuture {
        match self {
            Self::Tcp(s) => Box::pin(s.read(buf)),
            Self::Unix(s) => Box::pin(s.read(buf)),
        }
    }

    fn write(&self, buf: Vec<u8>) -> IoFuture {
        match self {
            Self::Tcp(s) => Box::pin(s.write(buf)),
            Self::Unix(s) => Box::pin(s.write(buf)),
        }
    }

    fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Write),
            Self::Unix(s) => s.shutdown(Shutdown::Write),
        }
    }
}

/// Returns `Pending` (waking itself) `n` times, then `Ready`: lets an operation raced
/// against it run for `n` turns of the loop before it is cancelled.
struct Turns(u64);

impl Future for Turns {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Awaits `fut`, or one time in `one_in` races it against a few turns of the loop and
/// cancels it if it is still pending then.
async fn maybe_cut<F: Future + Unpin>(rng: &Rng, one_in: u64, fut: F) -> Option<F::Output> {
    if rng.chance(one_in) {
        match corio::select(fut, Turns(rng.below(6))).await {
            Either::Left(v) => Some(v),
            Either::Right(()) => None,
        }
    } else {
        Some(fut.await)
    }
}

async fn wander(rng: &Rng) {
    for _ in 0..rng.below(3) {
        corio::yield_now().await;
    }
}

/// One direction of one connection: what the writers sent, in order, and how it ended.
#[derive(Default)]
struct Direction {
    sent: RefCell<Vec<u8>>,
    /// How many bytes the readers have taken.
    read: Cell<usize>,
    /// The target length the writers stop at.
    target: Cell<usize>,
    /// Writer tasks still running; the last one shuts the write half down.
    writers: Cell<usize>,
    /// Readers still running (the chaos task never cancels the last one).
    readers: Cell<usize>,
    shut: Cell<bool>,
    /// The writing side dropped everything early: the reader may see a reset.
    aborted: Cell<bool>,
    eof_seen: Cell<bool>,
    /// "tcp" or "unix", for failure messages.
    kind: Cell<&'static str>,
}

/// Counts a writer down when its task ends or is cancelled; the last one shuts down.
struct WriterGuard {
    dir: Rc<Direction>,
    stream: Stream,
}

impl Drop for WriterGuard {
    fn drop(&mut self) {
        let left = self.dir.writers.get() - 1;
        self.dir.writers.set(left);
        if left == 0 && !self.dir.aborted.get() {
            self.dir.shut.set(true);
            // The peer may be gone already (an aborted side): that is an error to ignore.
            let _ = self.stream.shutdown_write();
        }
    }
}

struct ReaderGuard(Rc<Direction>);

impl Drop for ReaderGuard {
    fn drop(&mut self) {
        self.0.readers.set(self.0.readers.get() - 1);
    }
}

fn peer_gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted
    )
}

/// `guard` is made at spawn time, so that a writer cancelled before it first ran still
/// counts down (and its stream clone still goes).
async fn writer(rng: Rc<Rng>, guard: WriterGuard) {
    let (stream, dir) = (guard.stream.clone(), guard.dir.clone());
    loop {
        let sent = dir.sent.borrow().len();
        if sent >= dir.target.get() {
            return;
        }
        wander(&rng).await;
        let n = 1 + rng.below(1 << (4 + rng.below(13))) as usize;
        let n = n.min(
            dir.target
                .get()
                .saturating_sub(dir.sent.borrow().len())
                .max(1),
        );
        let chunk = rng.bytes(n);
        match maybe_cut(&rng, 4, stream.write(chunk)).await {
            None => {} // cancelled while pending: nothing written
            Some((Ok(n), chunk)) => dir.sent.borrow_mut().extend_from_slice(&chunk[..n]),
            Some((Err(e), _)) if peer_gone(&e) => return,
            Some((Err(e), _)) => panic!("write failed: {e}"),
        }
    }
}

async fn reader(rng: Rc<Rng>, stream: Stream, guard: ReaderGuard) {
    let dir = guard.0.clone();
    loop {
        wander(&rng).await;
        let cap = 1 + rng.below(1 << (4 + rng.below(13))) as usize;
        let buf = Vec::with_capacity(cap);
        match maybe_cut(&rng, 4, stream.read(buf)).await {
            None => {}
            Some((Ok(0), _)) => {
                let (read, sent) = (dir.read.get(), dir.sent.borrow().len());
                if !dir.aborted.get() {
                    assert!(
                        dir.shut.get(),
                        "{}: end of stream before the writers shut down ({read} of {sent} \
                         bytes read, target {}, {} writers left)",
                        dir.kind.get(),
                        dir.target.get(),
                        dir.writers.get()
                    );
                    assert_eq!(read, sent, "end of stream after {read} of {sent} bytes");
                }
                dir.eof_seen.set(true);
                // A read after end of stream returns 0 again, at once: it must beat a
                // race against one turn of the loop.
                match corio::select(stream.read(vec![0; 8]), Turns(1)).await {
                    Either::Left((Ok(0), _)) => {}
                    Either::Left((Err(e), _)) if dir.aborted.get() && peer_gone(&e) => {}
                    Either::Left((other, _)) => panic!("a read after end of stream gave {other:?}"),
                    Either::Right(()) => panic!("a read after end of stream is pending"),
                }
                return;
            }
            Some((Ok(n), got)) => {
                let at = dir.read.get();
                let sent = dir.sent.borrow();
                assert!(at + n <= sent.len(), "read past what was written");
                assert!(
                    got[..n] == sent[at..at + n],
                    "bytes {at}..{} differ from what was written",
                    at + n
                );
                drop(sent);
                dir.read.set(at + n);
            }
            Some((Err(e), _)) if dir.aborted.get() && peer_gone(&e) => return,
            Some((Err(e), _)) => panic!("read failed: {e} (aborted: {})", dir.aborted.get()),
        }
    }
}

/// One side of a connection: its writer tasks feed `out`, its readers drain `inc`.
struct Side {
    tasks: Vec<(Task<()>, Rc<Direction>, bool)>, // (task, direction, is_reader)
    handles: Vec<Stream>,
}

fn start_side(rng: &Rc<Rng>, stream: Stream, out: &Rc<Direction>, inc: &Rc<Direction>) -> Side {
    // A few clones of the stream; the tasks use them at random.
    let mut handles = vec![stream];
    for _ in 0..rng.below(3) {
        handles.push(handles[0].clone());
    }
    let pick = |rng: &Rng| handles[rng.below(handles.len() as u64) as usize].clone();
    let mut tasks = Vec::new();
    let writers = 1 + rng.below(2) as usize;
    out.writers.set(out.writers.get() + writers);
    for _ in 0..writers {
        let guard = WriterGuard {
            dir: out.clone(),
            stream: pick(rng),
        };
        let task = corio::spawn(writer(rng.clone(), guard));
        tasks.push((task, out.clone(), false));
    }
    let readers = 1 + rng.below(3) as usize;
    inc.readers.set(inc.readers.get() + readers);
    for _ in 0..readers {
        let task = corio::spawn(reader(rng.clone(), pick(rng), ReaderGuard(inc.clone())));
        tasks.push((task, inc.clone(), true));
    }
    Side { tasks, handles }
}

/// A connected pair: TCP through a listener, or a Unix socket pair.
async fn connect(rng: &Rng, listener: &TcpListener) -> (Stream, Stream) {
    if rng.chance(2) {
        let (a, b) = UnixStream::pair().unwrap();
        (Stream::Unix(a), Stream::Unix(b))
    } else {
        let addr = listener.local_addr().unwrap();
        let accept = listener.accept();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = accept.await.unwrap();
        (Stream::Tcp(client), Stream::Tcp(server))
    }
}

fn torture(seed: u64, conns: usize) {
    let rng = Rng::new(seed);
    let rt = corio::Runtime::builder().seed(seed).build();
    rt.run(async move {
        run_on_chosen_clock();
        let body = async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let mut sides = Vec::new();
            let mut dirs = Vec::new();
            for _ in 0..conns {
                let (a, b) = connect(&rng, &listener).await;
                let (ab, ba) = (Rc::new(Direction::default()), Rc::new(Direction::default()));
                for d in [&ab, &ba] {
                    d.target.set(rng.below(1 << (8 + rng.below(12))) as usize);
                    d.kind.set(match a {
                        Stream::Tcp(_) => "tcp",
                        Stream::Unix(_) => "unix",
                    });
                }
                sides.push(start_side(&rng, a, &ab, &ba));
                sides.push(start_side(&rng, b, &ba, &ab));
                dirs.push((ab, ba));
            }
            // Chaos: cancel random writers, and readers when another reader remains; now
            // and then drop a whole side at once (its peer sees a reset or end of stream).
            for _ in 0..conns * 2 {
                wander(&rng).await;
                let s = rng.below(sides.len() as u64) as usize;
                if rng.chance(8) {
                    // The side vanishes: both directions it writes are aborted.
                    let side = &mut sides[s];
                    for (_, dir, _) in &side.tasks {
                        dir.aborted.set(true);
                    }
                    let peer = s ^ 1; // sides come in pairs: 2k and 2k + 1
                    for (_, dir, _) in &sides[peer].tasks {
                        dir.aborted.set(true);
                    }
                    let side = &mut sides[s];
                    for (task, _, _) in &side.tasks {
                        task.cancel();
                    }
                    side.handles.clear();
                    continue;
                }
                let side = &sides[s];
                if side.tasks.is_empty() {
                    continue;
                }
                let (task, dir, is_reader) =
                    &side.tasks[rng.below(side.tasks.len() as u64) as usize];
                if task.is_finished() || (*is_reader && dir.readers.get() <= 1) {
                    continue;
                }
                task.cancel();
            }
            for side in &mut sides {
                // Random drops of the side's own handles; the tasks hold their own clones.
                if rng.chance(2) {
                    side.handles.clear();
                }
            }
            for side in sides {
                for (task, _, _) in side.tasks {
                    match task.await {
                        Ok(()) => {}
                        Err(e) if e.is_cancelled() => {}
                        Err(e) => std::panic::resume_unwind(Box::new(format!("{e}"))),
                    }
                }
            }
            for (ab, ba) in dirs {
                for d in [ab, ba] {
                    if !d.aborted.get() {
                        assert!(d.eof_seen.get(), "a reader never saw end of stream");
                        assert_eq!(d.read.get(), d.sent.borrow().len());
                    }
                }
            }
        };
        match corio::timeout(Duration::from_secs(60), body).await {
            Ok(()) => {}
            Err(_) => panic!("seed {seed}: the torture run hangs"),
        }
    });
}

/// Seeded order on real time, so that the watchdog bounds the run in real seconds; with
/// `CORIO_TORTURE_VIRTUAL=1` the clock stays paused as the seed left it (auto-advance then
/// gives socket waits their grace of real time before it jumps).
fn run_on_chosen_clock() {
    if std::env::var_os("CORIO_TORTURE_VIRTUAL").is_none() {
        corio::time::resume();
    }
}

fn var(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn loopback_socket_torture() {
    let base = var("CORIO_TORTURE_BASE", 0);
    let seeds = var("CORIO_TORTURE_SEEDS", 6);
    let conns = var("CORIO_TORTURE_CONNS", 12) as usize;
    let started = std::time::Instant::now();
    for seed in base..base + seeds {
        let outcome = std::panic::catch_unwind(|| torture(seed, conns));
        if let Err(payload) = outcome {
            eprintln!(
                "torture: seed {seed} failed (replay: CORIO_TORTURE_BASE={seed} CORIO_TORTURE_SEEDS=1)"
            );
            std::panic::resume_unwind(payload);
        }
    }
    eprintln!(
        "torture: {seeds} seeds ({base}..{}), {conns} connections each, 0 failed, {:?}",
        base + seeds,
        started.elapsed()
    );
}

/// UDP under the same treatment: two connected sockets on loopback, several sender and
/// receiver tasks per socket on clones, sends and receives cut short while pending. Every
/// datagram sent is received exactly once, intact, in each sender task's order (loopback
/// neither drops a few hundred small datagrams nor reorders them), and nobody hangs.
fn udp_torture(seed: u64) {
    use corio::net::UdpSocket;

    let rng = Rng::new(seed);
    let rt = corio::Runtime::builder().seed(seed).build();
    rt.run(async move {
        run_on_chosen_clock();
        let body = async {
            let a = UdpSocket::bind("127.0.0.1:0").unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").unwrap();
            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            // Per direction: what was sent (sender task, seq), and how many were received.
            let mut tasks = Vec::new();
            let mut senders_of = Vec::new();
            let mut expect = Vec::new();
            for (from, to) in [(a.clone(), b.clone()), (b.clone(), a.clone())] {
                let sent: Rc<RefCell<Vec<(u8, u32)>>> = Rc::default();
                let got: Rc<RefCell<Vec<(u8, u32)>>> = Rc::default();
                let senders = 1 + rng.below(3) as u8;
                for s in 0..senders {
                    let (from, rng, sent) = (from.clone(), rng.clone(), sent.clone());
                    let count = rng.below(60) as u32;
                    senders_of.push(corio::spawn(async move {
                        let mut seq = 0;
                        while seq < count {
                            wander(&rng).await;
                            let mut dgram = vec![s];
                            dgram.extend_from_slice(&seq.to_le_bytes());
                            dgram.extend(rng.bytes(rng.below(64) as usize));
                            let sum = dgram.iter().map(|&x| u32::from(x)).sum::<u32>();
                            dgram.extend_from_slice(&sum.to_le_bytes());
                            match maybe_cut(&rng, 4, from.send(dgram)).await {
                                None => {} // pending when cut: not sent
                                Some((Ok(_), _)) => {
                                    sent.borrow_mut().push((s, seq));
                                    seq += 1;
                                }
                                Some((Err(e), _)) => panic!("send failed: {e}"),
                            }
                        }
                    }));
                }
                let receivers = 1 + rng.below(3);
                let done = Rc::new(Cell::new(false));
                for _ in 0..receivers {
                    let (to, rng, got, done) = (to.clone(), rng.clone(), got.clone(), done.clone());
                    tasks.push(corio::spawn(async move {
                        while !done.get() {
                            wander(&rng).await;
                            let buf = Vec::with_capacity(128);
                            match maybe_cut(&rng, 3, to.recv(buf)).await {
                                None => {}
                                Some((Ok(n), d)) => {
                                    assert!(n >= 9, "a datagram of {n} bytes");
                                    let sum = u32::from_le_bytes(d[n - 4..n].try_into().unwrap());
                                    let body =
                                        d[..n - 4].iter().map(|&x| u32::from(x)).sum::<u32>();
                                    assert_eq!(sum, body, "a corrupt datagram");
                                    let seq = u32::from_le_bytes(d[1..5].try_into().unwrap());
                                    got.borrow_mut().push((d[0], seq));
                                }
                                Some((Err(e), _)) => panic!("recv failed: {e}"),
                            }
                        }
                    }));
                }
                expect.push((sent, got, done));
            }
            // Wait until each direction received everything its senders sent.
            for sender in senders_of {
                sender.await.unwrap();
            }
            loop {
                corio::yield_now().await;
                if expect
                    .iter()
                    .all(|(sent, got, _)| got.borrow().len() == sent.borrow().len())
                {
                    break;
                }
                corio::sleep(Duration::from_micros(200)).await;
            }
            for (sent, got, done) in &expect {
                done.set(true);
                let (sent, got) = (sent.borrow(), got.borrow());
                for s in 0..3u8 {
                    let mine: Vec<_> = got.iter().filter(|d| d.0 == s).map(|d| d.1).collect();
                    let want: Vec<_> = sent.iter().filter(|d| d.0 == s).map(|d| d.1).collect();
                    assert_eq!(mine, want, "sender {s}'s datagrams");
                }
            }
            // Wake the receivers that wait for a datagram, so that they see `done`.
            for t in tasks {
                t.cancel();
            }
        };
        match corio::timeout(Duration::from_secs(60), body).await {
            Ok(()) => {}
            Err(_) => panic!("seed {seed}: the UDP torture run hangs"),
        }
    });
}

#[test]
fn loopback_udp_torture() {
    let base = var("CORIO_TORTURE_BASE", 0);
    let seeds = var("CORIO_TORTURE_SEEDS", 6) * 4;
    for seed in base..base + seeds {
        if let Err(payload) = std::panic::catch_unwind(|| udp_torture(seed)) {
            eprintln!(
                "udp torture: seed {seed} failed (replay: CORIO_TORTURE_BASE={seed} CORIO_TORTURE_SEEDS=1)"
            );
            std::panic::resume_unwind(payload);
        }
    }
    eprintln!(
        "udp torture: {seeds} seeds ({base}..{}), 0 failed",
        base + seeds
    );
}
