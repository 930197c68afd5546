//! A `?` whose error the return type cannot convert from is rustc's own "`?` couldn't convert
//! the error" at the user's `?`, as in the plain fn: in async fns and generators, with and
//! without a suspension point next to it.

#[corio::coroutine]
async fn no_point() -> std::io::Result<u32> {
    let x: u32 = "1".parse()?;
    Ok(x)
}

#[corio::coroutine]
async fn after_a_point() -> std::io::Result<u32> {
    std::future::ready(()).await;
    let x = "1".parse::<u32>()?;
    Ok(x)
}

#[corio::coroutine]
async fn awaited_operand() -> Result<u8, String> {
    let v = std::future::ready("x".parse::<u8>()).await?;
    Ok(v)
}

#[corio::coroutine(yield = u32)]
fn generator(text: &'static str) -> Result<(), std::fmt::Error> {
    for word in text.split(' ') {
        yield_!(word.parse::<u32>()?);
    }
    Ok(())
}

#[corio::coroutine]
async fn option_in_result(v: Vec<u8>) -> Result<u8, String> {
    std::future::ready(()).await;
    Ok(*v.first()?)
}

fn main() {}
