#[corio::coroutine(yield = u32, clone, clone)]
fn g() {
    yield_!(1);
}

fn main() {}
