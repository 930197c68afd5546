#[corio::coroutine(yield = usize)]
fn lengths() {
    let words = vec![String::from("a"), String::from("bc")];
    let view = &words;
    yield_!(view.len());
    yield_!(view[1].len());
}

fn main() {}
