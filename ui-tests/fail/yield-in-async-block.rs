#[corio::coroutine(yield = u32)]
fn numbers() {
    let fut = async {
        yield_!(1);
    };
    drop(fut);
}

fn main() {}
