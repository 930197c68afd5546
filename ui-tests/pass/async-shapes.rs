//! Async coroutines that must keep compiling: generics, `?`, nested coroutines, async blocks.
#![forbid(unsafe_code)]
#![deny(warnings)]

use std::future::Future;

#[corio::coroutine]
async fn twice<F: Future<Output = u32> + Unpin>(fut: F) -> u32 {
    let v = fut.await;
    v * 2
}

#[corio::coroutine]
async fn parse(s: String) -> Result<u32, std::num::ParseIntError> {
    let n: u32 = s.parse()?;
    let m = twice(std::future::ready(n)).await;
    let borrowed = async move { s.len() as u32 }.await;
    Ok(m + borrowed)
}

#[corio::coroutine(yield = u32)]
async fn stream(n: u32) {
    for i in 0..n {
        yield_!(std::future::ready(i).await);
    }
}

fn main() {
    let _ = parse("1".into());
    let _ = stream(3);
}
