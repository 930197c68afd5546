//! An argument the coroutine owns (`grid: Vec<_>`) is a local of the frame: iterating over a
//! borrow of it across a suspension point is the borrowing rule, reported by the pass.
#[corio::coroutine(yield = usize)]
fn rows(grid: Vec<Vec<i32>>) {
    for (r, row) in grid.iter().enumerate() {
        if row.is_empty() {
            yield_!(r);
        }
    }
}

fn main() {}
