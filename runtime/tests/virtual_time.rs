//! Virtual time and seeded schedules (issues 16 and 18): `time::pause`, `advance`, `resume`,
//! auto-advance, and `Builder::seed`, used from `#[corio::coroutine]` bodies as users would.
//! The oracle for timers is the order of their deadlines and the arithmetic of the virtual
//! clock; the oracle for schedules is replaying the same seed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use corio::sync::Queue;
use corio::time;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Fails if a test that should take no real time takes long: virtual time must not sleep.
fn quick<T>(f: impl FnOnce() -> T) -> T {
    let real = Instant::now();
    let out = f();
    assert!(
        real.elapsed() < Duration::from_secs(10),
        "virtual time slept for real: {:?}",
        real.elapsed()
    );
    out
}

#[corio::coroutine]
async fn nap_then_log(log: Rc<RefCell<Vec<(u64, &'static str)>>>, d: Duration, what: &'static str) {
    let start = time::now();
    corio::sleep(d).await;
    log.borrow_mut()
        .push(((time::now() - start).as_secs(), what));
}

#[corio::coroutine]
async fn advance_by(d: Duration) {
    time::advance(d).await;
}

#[test]
fn auto_advance_fires_timers_in_deadline_order_without_sleeping() {
    let log = quick(|| {
        corio::run(async {
            time::pause();
            let log = Rc::new(RefCell::new(Vec::new()));
            let tasks: Vec<_> = [(30, "c"), (10, "a"), (3600, "d"), (20, "b")]
                .into_iter()
                .map(|(s, w)| corio::spawn(nap_then_log(log.clone(), secs(s), w)))
                .collect();
            corio::join_all(tasks).await;
            log.take()
        })
    });
    assert_eq!(log, [(10, "a"), (20, "b"), (30, "c"), (3600, "d")]);
}

#[test]
fn advance_fires_what_falls_due_and_nothing_later() {
    corio::run(async {
        time::pause();
        let t0 = time::now();
        let log = Rc::new(RefCell::new(Vec::new()));
        let early = corio::spawn(nap_then_log(log.clone(), secs(5), "early"));
        let late = corio::spawn(nap_then_log(log.clone(), secs(50), "late"));
        corio::yield_now().await; // both start sleeping
        advance_by(secs(5)).await;
        assert_eq!(time::now() - t0, secs(5));
        assert!(early.is_finished(), "a timer due at the new instant fires");
        assert!(!late.is_finished());
        advance_by(Duration::from_millis(44_999)).await;
        assert!(!late.is_finished(), "a timer never fires early");
        advance_by(Duration::from_millis(1)).await;
        assert!(late.is_finished());
        assert_eq!(*log.borrow(), [(5, "early"), (50, "late")]);
    });
}

#[test]
fn timeouts_elapse_in_virtual_time_and_fast_work_wins() {
    quick(|| {
        corio::run(async {
            time::pause();
            let queue = Queue::<u32>::new(0);
            let t0 = time::now();
            // Nobody puts: the get times out after exactly 30 virtual seconds.
            let res = corio::timeout(secs(30), queue.get()).await;
            assert!(res.is_err());
            assert_eq!(time::now() - t0, secs(30));
            // A producer 10 s away beats a 30 s timeout.
            let producer = corio::spawn({
                let queue = queue.clone();
                async move {
                    corio::sleep(secs(10)).await;
                    queue.put_nowait(7).unwrap();
                }
            });
            assert_eq!(corio::timeout(secs(30), queue.get()).await, Ok(Ok(7)));
            assert_eq!(time::now() - t0, secs(40));
            producer.await.unwrap();
        });
    });
}

#[test]
fn resume_runs_on_from_the_virtual_instant() {
    corio::run(async {
        time::pause();
        let t0 = time::now();
        time::advance(secs(100)).await;
        time::resume();
        corio::sleep(Duration::from_millis(3)).await;
        let passed = time::now() - t0;
        assert!(passed >= Duration::from_millis(100_003) && passed < secs(110));
    });
}

#[test]
fn a_blocking_job_holds_auto_advance_back() {
    corio::run(async {
        time::pause();
        let job = corio::spawn_blocking(|| std::thread::sleep(Duration::from_millis(50)));
        // The job takes 50 real ms; a 1 s virtual timeout must not fire before it is done.
        assert!(corio::timeout(secs(1), job).await.is_ok());
    });
}

#[test]
fn io_gets_real_time_before_the_clock_jumps() {
    use corio::net::UnixStream;
    corio::run(async {
        time::pause();
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        let ours = UnixStream::from_std(ours).unwrap();
        // The peer, on another thread, answers as soon as it runs (the loop gives a socket
        // wait 50 ms of real time before it jumps: ample for a thread that is not starved).
        let peer = std::thread::spawn(move || {
            std::io::Write::write_all(&mut &theirs, b"pong").unwrap();
            theirs
        });
        let (res, buf) = corio::timeout(secs(3600), ours.read_exact(vec![0; 4]))
            .await
            .expect("the clock jumped past I/O in flight");
        res.unwrap();
        assert_eq!(buf, b"pong");
        drop(peer.join().unwrap());
    });
}

#[test]
#[should_panic(expected = "corio::time::advance needs a paused clock")]
fn advance_on_a_running_clock_says_to_pause_first() {
    corio::run(async {
        time::advance(secs(1)).await;
    });
}

#[test]
#[should_panic(expected = "no running corio loop")]
fn pause_outside_a_loop_says_so() {
    time::pause();
}

/// The order in which `n` tasks, each yielding a few times, take turns under `seed`.
fn schedule_of(seed: u64, n: u32) -> Vec<u32> {
    let rt = corio::Runtime::builder().seed(seed).build();
    rt.run(async move {
        let log = Rc::new(RefCell::new(Vec::new()));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let log = log.clone();
                corio::spawn(async move {
                    for _ in 0..3 {
                        log.borrow_mut().push(i);
                        corio::yield_now().await;
                    }
                })
            })
            .collect();
        corio::join_all(tasks).await;
        log.take()
    })
}

#[test]
fn a_seed_replays_its_schedule_and_seeds_differ() {
    let a = schedule_of(1, 6);
    assert_eq!(a, schedule_of(1, 6));
    let distinct: std::collections::HashSet<_> = (0..20).map(|s| schedule_of(s, 6)).collect();
    assert!(distinct.len() > 10, "only {} schedules", distinct.len());
    let mut counts = [0; 6];
    for i in a {
        counts[i as usize] += 1;
    }
    assert_eq!(counts, [3; 6]);
}

#[test]
fn a_seeded_loop_starts_on_virtual_time() {
    quick(|| {
        let rt = corio::Runtime::builder().seed(9).build();
        rt.run(async {
            let t0 = time::now();
            corio::sleep(secs(24 * 3600)).await;
            assert_eq!(time::now() - t0, secs(24 * 3600));
        });
    });
}

#[corio::coroutine]
async fn retry_with_backoff(attempts: u32) -> Duration {
    let start = time::now();
    let mut delay = Duration::from_secs(1);
    for _ in 0..attempts {
        corio::sleep(delay).await;
        delay *= 2;
    }
    time::now() - start
}

#[test]
fn start_paused_runs_a_backoff_in_virtual_time() {
    let waited = quick(|| {
        corio::Runtime::builder()
            .start_paused(true)
            .build()
            .run(retry_with_backoff(10))
    });
    assert_eq!(waited, secs(1023));
}

#[corio::coroutine]
async fn paused_deadline_check(limit: Duration) -> bool {
    time::pause();
    let queue = Queue::<u8>::new(0);
    corio::timeout(limit, queue.get()).await.is_err()
}

#[test]
fn pause_from_a_coroutine() {
    let timed_out = quick(|| corio::run(paused_deadline_check(secs(7200))));
    assert!(timed_out);
}
