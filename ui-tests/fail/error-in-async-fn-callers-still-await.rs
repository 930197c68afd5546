// A `#[corio::coroutine] async fn` the pass rejects still has the signature of a future
// (`impl Future<Output = u32> + …`), so its callers' `.await` type-checks and the only error
// is the real one (here: a suspension point in a match guard).

#[corio::coroutine]
async fn guarded(x: u32) -> u32 {
    match x {
        n if n > std::future::ready(1).await => n,
        _ => 0,
    }
}

#[corio::coroutine]
async fn caller() -> u32 {
    guarded(3).await + 1
}

fn main() {
    let _ = corio::run(caller());
}
