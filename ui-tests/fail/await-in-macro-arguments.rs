#[corio::coroutine]
async fn show() {
    println!("{}", std::future::ready(1).await);
}

fn main() {}
