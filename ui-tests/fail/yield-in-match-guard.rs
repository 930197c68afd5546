#[corio::coroutine(yield = u32, resume = u32)]
fn numbers(n: u32) {
    match n {
        x if x > yield_!(1) => {}
        _ => {}
    }
}

fn main() {}
