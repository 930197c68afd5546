#[corio::coroutine(yield = u32, yield = u64)]
fn numbers() {
    yield_!(1);
}

fn main() {}
