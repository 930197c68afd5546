use corio::yield_;

fn main() {
    yield_!(1);
}
