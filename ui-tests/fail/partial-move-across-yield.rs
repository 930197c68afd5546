// A binding partially moved before a suspension point and used after it: the frame keeps
// whole bindings, so rustc rejects the move of `pair` into the suspended state. README,
// "What a suspended coroutine keeps", gives the remedy (destructure the pair). rustc names
// the binding and the partial move.

#[corio::coroutine(yield = usize)]
fn lengths() -> usize {
    let pair = (String::from("a"), String::from("bc"));
    let first = pair.0;
    yield_!(first.len());
    pair.1.len()
}

fn main() {}
