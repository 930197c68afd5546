//! The `#[corio::coroutine]` compiler pass. Use it through the `corio` crate.
#![forbid(unsafe_code)]

use proc_macro::TokenStream;

/// Rewrites a function into an inspectable, resumable state machine.
#[proc_macro_attribute]
pub fn coroutine(args: TokenStream, input: TokenStream) -> TokenStream {
    let _ = args;
    input
}
