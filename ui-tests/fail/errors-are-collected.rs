#[corio::coroutine(yield = u32, resume = u32)]
fn many() {
    let f = || yield_!(1);
    println!("{}", yield_!(2));
    let g = async { yield_!(3) };
}

fn main() {}
