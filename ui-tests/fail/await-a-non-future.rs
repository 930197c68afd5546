//! Awaiting a value that is not a future: rustc's own "`u32` is not a future" at the user's
//! code, without errors naming the pass's internals.
#[corio::coroutine]
async fn f() -> u32 {
    let v = 5u32.await;
    v
}

fn main() {}
