// `return` and `?` inside a `macro_rules!` macro that the body calls: the pass cannot see into
// the macro, so they would return from the state machine's step closure. rustc reports both
// inside the macro (the step returns `corio::__private::Step`), instead of the `?` silently
// closing the coroutine. README, "What the pass rejects", gives the remedy: write the `match`
// in the body, or move the code that returns into a helper function.

macro_rules! get_or_return {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return 0,
        }
    };
}

macro_rules! get {
    ($e:expr) => {
        $e?
    };
}

#[corio::coroutine(yield = ())]
fn first(v: Option<u32>) -> u32 {
    let x = get_or_return!(v);
    yield_!(());
    x
}

#[corio::coroutine(yield = ())]
fn second(v: Option<u32>) -> Option<u32> {
    yield_!(());
    let x = get!(v);
    Some(x)
}

fn main() {}
