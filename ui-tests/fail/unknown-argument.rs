#[corio::coroutine(yield = u32, speed = fast)]
fn numbers() {
    yield_!(1);
}

fn main() {}
