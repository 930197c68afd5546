// A deferred `let` assigned only inside a macro call (here a `macro_rules!` that expands to the
// assignment; num-bigint's `div_wide` does it through `asm!` outputs), with a suspension point
// in its block. The pass declares a deferred binding where it sees it assigned, and it cannot
// see into the macro, so it reports the `let` here with the remedy: declare and assign it in a
// block without a suspension point (which the pass keeps as written).

// (unused once the error replaces the body)
#[allow(unused_macros)]
macro_rules! read_into {
    ($x:ident, $v:expr) => {
        $x = $v;
    };
}

#[corio::coroutine(yield = u32)]
fn doubled(v: u32) -> u32 {
    let (x, y): (u32, u32);
    yield_!(v);
    read_into!(x, v * 2);
    read_into!(y, v + 1);
    yield_!(x);
    x + y
}

fn main() {}
