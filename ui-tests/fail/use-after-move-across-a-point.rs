//! A use after move across a suspension point: rustc's E0382 at the user's tokens.
#[corio::coroutine]
async fn f() -> usize {
    let s = String::from("a");
    drop(s);
    std::future::ready(()).await;
    s.len()
}

fn main() {}
