#[corio::coroutine(yield = u32)]
async fn ticks() -> u32 {
    yield_!(1);
    2
}

fn main() {}
