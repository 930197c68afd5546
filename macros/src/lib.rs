//! The `#[corio::coroutine]` compiler pass. Use it through the `corio` crate, whose docs
//! describe the language it accepts; this crate's internals are one module per stage:
//!
//! 1. `args` + `coroutine`: parse the attribute and the function;
//! 2. `validate`: reject misplaced suspension points, with spans and remedies;
//! 3. `normalize`: put every suspension point at statement level (`ir`);
//! 4. + 5. `lower`: cut the body into states, resolve bindings, compute liveness;
//! 6. `expand`: write the frame enum and the step and describe closures.
#![forbid(unsafe_code)]

mod args;
mod coroutine;
mod errors;
mod expand;
mod ir;
mod lower;
mod main_attr;
mod normalize;
mod ref_place;
mod suspend;
mod test_attr;
mod validate;
mod verbatim;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Rewrites a function into an inspectable, resumable state machine. See `corio::coroutine`.
#[proc_macro_attribute]
pub fn coroutine(args: TokenStream, input: TokenStream) -> TokenStream {
    coroutine::expand(args.into(), input.into()).into()
}

/// Runs an `async fn main` on corio's loop. See `corio::main`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, input: TokenStream) -> TokenStream {
    main_attr::expand(args.into(), input.into()).into()
}

/// Runs an `async fn` test on a fresh corio loop. See `corio::test`.
#[proc_macro_attribute]
pub fn test(args: TokenStream, input: TokenStream) -> TokenStream {
    test_attr::expand(args.into(), input.into()).into()
}
