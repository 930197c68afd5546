use corio::Coroutine;

#[corio::coroutine(yield = u32)]
fn broken() {
    let f = || yield_!(1);
}

fn main() {
    // The call site type-checks: only the macro's own error is reported.
    let mut g = broken();
    let _ = g.resume(());
}
