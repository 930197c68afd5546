// `break` and `continue` that have nowhere to go, in code after a suspension point (where the
// pass, not rustc, decides where they lead). Each error points at the `break`/`continue` as
// written, with its label, and says what to do; the coroutine's callers still type-check.

#[corio::coroutine(yield = u32)]
fn unlabelled(n: u32) {
    yield_!(n);
    if n > 3 {
        break;
    }
}

#[corio::coroutine(yield = u32)]
fn misspelled(n: u32) {
    'outer: loop {
        yield_!(n);
        break 'outr;
    }
}

#[corio::coroutine(yield = u32)]
fn continue_outside(n: u32) {
    yield_!(n);
    continue;
}

#[corio::coroutine(yield = u32)]
fn continue_to_a_block(n: u32) {
    'block: {
        yield_!(n);
        if n > 3 {
            continue 'block;
        }
    }
}

fn main() {
    for _ in unlabelled(1).chain(misspelled(2)).chain(continue_outside(3)) {}
    let _ = continue_to_a_block(4).count();
}
