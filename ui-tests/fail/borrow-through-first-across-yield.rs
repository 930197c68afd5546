// `first()` on a local `Vec` returns a reference into it: held across a suspension point, the
// machine would store a borrow of its own local. The pass says so at the binding, with the
// remedy (own the value, keep an index).

#[corio::coroutine(yield = ())]
fn first_len(words: Vec<String>) -> usize {
    let words = words.into_iter().collect::<Vec<String>>();
    let w = words.first();
    yield_!(());
    w.map_or(0, |s| s.len())
}

fn main() {}
