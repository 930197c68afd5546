#[corio::coroutine(yield = u8)]
fn bytes() {
    let data = vec![1u8, 2, 3];
    for b in &data {
        yield_!(*b);
    }
}

#[corio::coroutine(yield = u8)]
fn bump() {
    let mut data = vec![1u8, 2, 3];
    for b in &mut data {
        *b += 1;
        yield_!(*b);
    }
}

fn main() {}
