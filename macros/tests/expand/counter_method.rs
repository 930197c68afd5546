#[corio::coroutine(yield = u32, clone)]
fn count(&self, n: u32) -> u32 {
    let mut i = 0;
    while i < n {
        yield_!(i * self.step);
        i += 1;
    }
    i
}
