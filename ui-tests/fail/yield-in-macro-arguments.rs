#[corio::coroutine(yield = u32, resume = u32)]
fn numbers() {
    println!("{}", yield_!(1));
}

fn main() {}
