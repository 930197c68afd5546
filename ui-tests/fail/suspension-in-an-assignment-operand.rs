//! An assignment used as an operand, with a suspension point inside it.
fn take(_: ()) {}

#[corio::coroutine(yield = u32, resume = u32)]
fn g() {
    let mut x = 0;
    take(x = yield_!(1));
    yield_!(x);
}

fn main() {}
