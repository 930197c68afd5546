//! Expansions compile cleanly under strict lints, name only `::corio::…` and `::core::…`
//! (a local `mod core` does not confuse them), and contain no `unsafe`.

#![deny(warnings, unused_qualifications, unsafe_code)]
#![deny(clippy::pedantic)]
#![allow(clippy::missing_panics_doc, reason = "test helpers")]

// Hygiene: the expansion must not resolve `core::…` to this module.
#[allow(dead_code)]
mod core {}

#[corio::coroutine(yield = u32, clone)]
pub fn strict(n: u32) -> u32 {
    let mut total = 0;
    for i in 0..n {
        let doubled = i * 2;
        yield_!(doubled);
        total += doubled;
    }
    total
}

#[corio::coroutine]
pub async fn strict_async(n: u32) -> u32 {
    let v = ::core::future::ready(n).await;
    v + 1
}

#[corio::coroutine(yield = u32)]
pub async fn strict_stream(n: u32) {
    for i in 0..n {
        yield_!(i);
    }
}

#[test]
fn strict_expansions_run() {
    assert_eq!(strict(3).collect::<Vec<_>>(), [0, 2, 4]);
    assert_eq!(corio_tests::block_on(strict_async(1)), 2);
    let _ = strict_stream(2);
}
