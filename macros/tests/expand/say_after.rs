#[corio::coroutine]
async fn say_after(delay: Duration, what: &'static str) -> usize {
    sleep(delay).await;
    println!("{what}");
    what.len()
}
