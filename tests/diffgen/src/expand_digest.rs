//! Not a module of `corio-diffgen`: `corio-diffrun --digest` writes this file into a copy of a
//! checkout's `macros/src` (as `corio_digest.rs`, declared by a line it appends to `lib.rs`)
//! and runs it as an ignored test of that copy, so that the pass of any checkout expands the
//! programs without rustc — the way `expand_one` in `macros/src/tests.rs` prints one file.
//! It uses only `crate::coroutine::expand`, which every checkout since the pass was split has.
//!
//! For every file `NAME.rs` of `$CORIO_DIGEST_IN` (one generated program each) it writes a
//! line `NAME <tab> hash of the program's text <tab> hash of every coroutine's expansion` to
//! `$CORIO_DIGEST_OUT`.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// FNV-1a, 64 bits: the same on every toolchain (`DefaultHasher` promises no such thing).
fn fnv(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Removes a `#[coroutine(...)]` / `#[corio::coroutine(...)]` attribute; its arguments.
fn coroutine_args(attrs: &mut Vec<syn::Attribute>) -> Option<proc_macro2::TokenStream> {
    let i = attrs.iter().position(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "coroutine")
    })?;
    Some(match attrs.remove(i).meta {
        syn::Meta::List(l) => l.tokens,
        _ => proc_macro2::TokenStream::new(),
    })
}

/// The pass's output for one function, as the attribute would receive it (a panic of the
/// pass is recorded as such: it is part of what the pass does).
fn expand(args: proc_macro2::TokenStream, input: proc_macro2::TokenStream, out: &mut String) {
    match catch_unwind(AssertUnwindSafe(|| crate::coroutine::expand(args, input))) {
        Ok(tokens) => {
            let _ = writeln!(out, "{tokens}");
        }
        Err(_) => out.push_str("<the pass panicked>\n"),
    }
}

/// Expands every coroutine of `items`, in modules and `impl` blocks too, in order.
fn expand_items(items: &mut [syn::Item], out: &mut String) {
    for item in items {
        match item {
            syn::Item::Fn(f) => {
                if let Some(args) = coroutine_args(&mut f.attrs) {
                    expand(args, quote::quote!(#f), out);
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &mut m.content {
                    expand_items(items, out);
                }
            }
            syn::Item::Impl(i) => {
                for it in &mut i.items {
                    if let syn::ImplItem::Fn(f) = it
                        && let Some(args) = coroutine_args(&mut f.attrs)
                    {
                        expand(args, quote::quote!(#f), out);
                    }
                }
            }
            _ => {}
        }
    }
}

#[test]
#[ignore = "a tool of corio-diffrun --digest"]
fn corio_digest() {
    let (Some(input), Some(output)) = (
        std::env::var_os("CORIO_DIGEST_IN"),
        std::env::var_os("CORIO_DIGEST_OUT"),
    ) else {
        return;
    };
    let mut paths: Vec<_> = std::fs::read_dir(input)
        .expect("the programs")
        .map(|e| e.expect("a program").path())
        .collect();
    paths.sort();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut out = String::new();
    for path in paths {
        let source = std::fs::read_to_string(&path).expect("a program's text");
        let name = path.file_stem().expect("a name").to_string_lossy();
        let mut expansion = String::new();
        match syn::parse_file(&source) {
            Ok(mut file) => expand_items(&mut file.items, &mut expansion),
            Err(e) => expansion = format!("<not Rust: {e}>"),
        }
        let _ = writeln!(
            out,
            "{name}\t{:016x}\t{:016x}",
            fnv(&source),
            fnv(&expansion)
        );
    }
    std::panic::set_hook(hook);
    std::fs::write(output, out).expect("write the digests");
}
