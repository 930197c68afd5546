#[corio::coroutine(yield = u32)]
fn counter() {
    let mut n = 0;
    let r = &mut n;
    yield_!(1);
    *r += 1;
}

fn main() {}
