//! `break` with a value in a `while` after a suspension point: rustc's own E0571 at the `break`.
#[corio::coroutine(yield = u32)]
fn g(n: u32) -> u32 {
    yield_!(n);
    while n > 0 {
        break 5;
    }
    0
}

fn main() {}
