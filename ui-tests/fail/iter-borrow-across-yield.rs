#[corio::coroutine(yield = u8)]
fn bytes() {
    let data = vec![1u8, 2, 3];
    for b in data.iter() {
        yield_!(*b);
    }
}

fn main() {}
