#[corio::coroutine(yield = u32)]
fn numbers() {
    let f = || {
        yield_!(1);
    };
    f();
}

fn main() {}
