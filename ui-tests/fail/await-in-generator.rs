#[corio::coroutine(yield = u32)]
fn numbers() {
    std::future::ready(1).await;
    yield_!(1);
}

fn main() {}
