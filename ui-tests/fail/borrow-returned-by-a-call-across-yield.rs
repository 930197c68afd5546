// A call that takes `&local` may return an owned value (then the code is fine) or a borrow of
// the local (then it is not): the pass cannot tell without types, so rustc judges. Here
// `first_word` returns a `&str` into `text`, held across the suspension point: rustc reports
// that `text` is moved into the suspended state while borrowed, at the `yield_!`.

fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

#[corio::coroutine(yield = usize)]
fn words(text: String) -> usize {
    let w = first_word(&text);
    yield_!(w.len());
    w.len() + text.len()
}

fn main() {}
