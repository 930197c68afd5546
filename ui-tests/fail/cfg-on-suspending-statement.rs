// A `#[cfg]` on a statement that contains a suspension point: which states the machine has
// would depend on it, and the pass cannot evaluate it. The error is at the attribute, with the
// remedy (keep the suspension point outside the cfg'd code, or `if cfg!(...)`).

#[corio::coroutine(yield = ())]
fn backend() -> u32 {
    #[cfg(target_arch = "aarch64")]
    let x = {
        yield_!(());
        1
    };
    #[cfg(not(target_arch = "aarch64"))]
    let x = 2;
    x
}

fn main() {}
