#[corio::coroutine(yield = u32)]
async fn ticks(n: u32) {
    for i in 0..n {
        let v = next_tick(i).await;
        yield_!(v);
    }
}
