#[corio::coroutine(yield = &'a str)]
fn tokens<'a>(text: &'a str) {
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| !c.is_alphanumeric());
        if rest.is_empty() {
            return;
        }
        let end = rest.find(|c: char| !c.is_alphanumeric()).unwrap_or(rest.len());
        yield_!(&rest[..end]);
        rest = &rest[end..];
    }
}
