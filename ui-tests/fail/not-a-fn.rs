#[corio::coroutine(yield = u32)]
struct Numbers;

fn main() {}
