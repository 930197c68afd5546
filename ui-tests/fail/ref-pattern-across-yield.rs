#[corio::coroutine(yield = usize)]
fn lengths(pair: (String, String)) {
    let (ref a, _) = pair;
    yield_!(1);
    yield_!(a.len());
}

fn main() {}
