#[corio::coroutine(yield = u32, resume = u32)]
fn sums(mut v: Vec<u32>) {
    fn slot(v: &mut Vec<u32>) -> &mut u32 {
        &mut v[0]
    }
    *slot(&mut v) += yield_!(1);
}

fn main() {}
