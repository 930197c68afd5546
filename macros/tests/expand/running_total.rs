#[corio::coroutine(yield = i64, resume = i64)]
fn running_total() -> i64 {
    let mut total = 0;
    loop {
        let x = yield_!(total);
        if x == 0 {
            return total;
        }
        total += x;
    }
}
