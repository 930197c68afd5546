#[corio::coroutine]
async fn sum() -> usize {
    let data = vec![1, 2, 3];
    let view = &data;
    std::future::ready(()).await;
    view.len()
}

fn main() {}
