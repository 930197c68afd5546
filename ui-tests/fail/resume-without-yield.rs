#[corio::coroutine(resume = u32)]
fn g() {}

fn main() {}
