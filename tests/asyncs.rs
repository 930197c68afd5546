//! `#[corio::coroutine] async fn` and async generators: ordinary `std` futures and streams,
//! inspectable while they wait.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use corio::{Inspect, PointKind, Status};
use corio_tests::{Log, PendingThen, block_on};
use futures_core::Stream;

#[corio::coroutine]
async fn add_later(a: u32, b: u32) -> u32 {
    let x = PendingThen::new(2, a).await;
    let y = std::future::ready(b).await;
    x + y
}

#[test]
fn an_async_fn_is_a_std_future() {
    assert_eq!(block_on(add_later(1, 2)), 3);
}

#[test]
fn it_runs_under_tokio_current_thread() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let v = rt.block_on(async {
        let a = add_later(1, 2).await;
        let b = tokio::spawn(add_later(3, 4)).await.unwrap();
        a + b
    });
    assert_eq!(v, 10);
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn status_created_suspended_closed_and_poll_after_ready_panics() {
    let mut f = add_later(5, 6);
    assert_eq!(f.status(), Status::Created);
    assert_eq!(
        format!("{f:?}"),
        "integration::asyncs::add_later (CORO_CREATED, a = 5, b = 6)"
    );
    assert_eq!(poll_once(&mut f), Poll::Pending);
    assert_eq!(f.status(), Status::Suspended);
    let p = f.suspended_at().unwrap();
    assert_eq!(
        (p.index, p.kind, p.source),
        (0, PointKind::Await, "PendingThen::new(2, a).await")
    );
    assert_eq!(poll_once(&mut f), Poll::Pending);
    assert_eq!(poll_once(&mut f), Poll::Ready(11));
    assert_eq!(f.status(), Status::Closed);
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll_once(&mut f))).unwrap_err();
    assert_eq!(
        err.downcast_ref::<&str>(),
        Some(&"`async fn` resumed after completion")
    );
}

#[corio::coroutine]
async fn leaf(n: u32) -> u32 {
    let waited = PendingThen::new(1, n).await;
    waited * 2
}

#[corio::coroutine]
async fn middle(n: u32) -> u32 {
    let label = format!("middle {n}");
    let v = leaf(n + 1).await;
    v + label.len() as u32
}

#[corio::coroutine]
async fn outer() -> u32 {
    let total = middle(1).await;
    total + 1
}

#[test]
fn an_await_chain_can_be_walked_like_cr_await() {
    let mut f = outer();
    assert_eq!(poll_once(&mut f), Poll::Pending);
    let mut chain = Vec::new();
    let mut level: Option<&dyn Inspect> = Some(&f);
    while let Some(c) = level {
        chain.push((
            c.name().rsplit("::").next().unwrap().to_string(),
            c.suspended_at().map(|p| p.source),
        ));
        level = c.awaiting();
    }
    assert_eq!(
        chain,
        [
            ("outer".to_string(), Some("middle(1).await")),
            ("middle".to_string(), Some("leaf(n + 1).await")),
            ("leaf".to_string(), Some("PendingThen::new(1, n).await")),
        ]
    );
    let middle_locals: Vec<String> = f
        .awaiting()
        .unwrap()
        .locals()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(middle_locals, ["label = \"middle 1\""]);
    assert_eq!(poll_once(&mut f), Poll::Ready(4 + 8 + 1));
}

#[test]
fn awaiting_another_coroutine_never_boxes() {
    // The inner coroutine is stored in place: the outer frame is bigger than the inner one.
    let inner = size_of_val(&middle(1));
    let outer = size_of_val(&outer());
    assert!(outer >= inner, "outer {outer} < inner {inner}");
}

#[corio::coroutine]
async fn awaits_in_expressions(v: Vec<u32>) -> Vec<u32> {
    fn add(a: u32, b: u32) -> u32 {
        a + b
    }
    let call = add(PendingThen::new(1, 1).await, std::future::ready(2).await);
    let bin = PendingThen::new(2, 3).await * 10 + std::future::ready(4).await;
    let cond = if PendingThen::new(1, true).await {
        1
    } else {
        0
    };
    let idx = v[std::future::ready(1).await];
    let mut looped = 0;
    for i in 0..3 {
        looped += PendingThen::new(i, i).await;
    }
    let matched = match PendingThen::new(1, 7).await {
        7 => PendingThen::new(1, 70).await,
        _ => 0,
    };
    vec![call, bin, cond, idx, looped, matched]
}

#[test]
fn awaits_stand_wherever_yields_do() {
    assert_eq!(
        block_on(awaits_in_expressions(vec![5, 6])),
        [3, 34, 1, 6, 3, 70]
    );
}

#[corio::coroutine]
async fn parse_later(text: &'static str) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = std::future::ready(text).await.parse()?;
    let m = PendingThen::new(1, n).await;
    Ok(m + 1)
}

#[test]
fn question_mark_in_async_bodies() {
    assert_eq!(block_on(parse_later("41")), Ok(42));
    assert!(block_on(parse_later("x")).is_err());
}

#[corio::coroutine]
async fn with_async_block(log: Log) -> usize {
    let data = vec![1u8, 2, 3, 4];
    // A borrow across an await lives in a nested async block, which rustc lowers.
    let sum = async move {
        let view = &data[1..];
        PendingThen::new(1, ()).await;
        view.iter().map(|&b| b as usize).sum::<usize>()
    }
    .await;
    let _guard = log.noisy("guard");
    PendingThen::new(1, ()).await;
    sum
}

#[test]
fn nested_async_move_blocks_may_borrow_and_are_boxed_once() {
    let log = Log::new();
    assert_eq!(block_on(with_async_block(log.clone())), 9);
    assert_eq!(log.events(), ["drop guard"]);
}

#[test]
fn dropping_a_pending_coroutine_drops_its_locals_and_inner_future() {
    let log = Log::new();
    let mut f = with_async_block(log.clone());
    assert_eq!(poll_once(&mut f), Poll::Pending);
    assert_eq!(poll_once(&mut f), Poll::Pending);
    assert_eq!(f.suspended_at().unwrap().index, 1);
    assert_eq!(log.events(), Vec::<String>::new());
    drop(f);
    assert_eq!(log.events(), ["drop guard"]);
}

#[corio::coroutine(yield = u32)]
async fn ticks(n: u32) {
    for i in 0..n {
        let v = PendingThen::new(1, i).await;
        yield_!(v * 10);
    }
}

fn poll_next<S: Stream + Unpin>(s: &mut S) -> Poll<Option<S::Item>> {
    Pin::new(s).poll_next(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn an_async_generator_is_a_fused_stream() {
    let mut s = ticks(2);
    assert_eq!(poll_next(&mut s), Poll::Pending);
    assert_eq!(s.suspended_at().unwrap().kind, PointKind::Await);
    assert_eq!(poll_next(&mut s), Poll::Ready(Some(0)));
    assert_eq!(s.suspended_at().unwrap().kind, PointKind::Yield);
    assert_eq!(poll_next(&mut s), Poll::Pending);
    assert_eq!(poll_next(&mut s), Poll::Ready(Some(10)));
    assert_eq!(poll_next(&mut s), Poll::Ready(None));
    assert_eq!(poll_next(&mut s), Poll::Ready(None));
    assert_eq!(s.status(), Status::Closed);
}

#[corio::coroutine]
async fn closure_after_ready_await() -> u32 {
    let a = std::future::ready(1).await;
    let f = move |x: u32| x + a;
    let b = PendingThen::new(1, 2).await;
    f(b)
}

// The code after a ready await runs inline; a closure there must not be copied into two
// different closure types for one frame field.
#[test]
fn closures_after_ready_awaits_keep_one_type() {
    assert_eq!(block_on(closure_after_ready_await()), 3);
}

/// Pending once, then panics when polled again.
struct PanicsOnSecondPoll(bool);

impl Future for PanicsOnSecondPoll {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
        assert!(!std::mem::replace(&mut self.0, true), "inner future failed");
        Poll::Pending
    }
}

#[corio::coroutine]
async fn awaits_a_failing_future(log: Log) -> u32 {
    let _guard = log.noisy("guard");
    let v = PanicsOnSecondPoll(false).await;
    v + 1
}

#[test]
fn a_panic_in_a_future_polled_in_place_closes_the_coroutine_and_drops_its_locals() {
    let log = Log::default();
    let mut f = awaits_a_failing_future(log.clone());
    assert_eq!(poll_once(&mut f), Poll::Pending);
    assert_eq!(f.status(), Status::Suspended);
    assert!(log.events().is_empty());
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| poll_once(&mut f))).unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"inner future failed"));
    assert_eq!(f.status(), Status::Closed);
    assert_eq!(log.events(), ["drop guard"]);
    drop(f);
    assert_eq!(log.events(), ["drop guard"]);
}

#[corio::coroutine]
async fn awaits_pending_three_times_in_a_loop(rounds: u32) -> u32 {
    let mut total = 0;
    for i in 0..rounds {
        // Pending three times each: the re-polls happen in place.
        total += PendingThen::new(3, i).await;
    }
    total
}

#[test]
fn a_future_pending_several_times_is_polled_in_place_until_ready() {
    let mut f = awaits_pending_three_times_in_a_loop(4);
    let mut pendings = 0;
    let total = loop {
        match poll_once(&mut f) {
            Poll::Pending => {
                pendings += 1;
                assert_eq!(f.status(), Status::Suspended);
                assert_eq!(f.suspended_at().unwrap().kind, PointKind::Await);
            }
            Poll::Ready(v) => break v,
        }
    };
    assert_eq!((total, pendings), (6, 12));
}
