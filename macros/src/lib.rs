//! The `#[corio::coroutine]` compiler pass. Use it through the `corio` crate, whose docs
//! describe the language it accepts; this crate's internals are one module per stage, each
//! a function from the previous stage's data to its own, and no stage imports a later one:
//!
//! 1. `args` + `signature`: parse the attribute and the function's inputs and return type;
//!    `coroutine` runs the stages;
//! 2. `validate`: reject a bad signature and misplaced suspension points, with spans and
//!    remedies (`shape::Flavor` is what the signature makes);
//! 3. `normalize`: put every suspension point at statement level (`ir`);
//! 4. `segment`: cut the body into states (`plan`), resolving names as it goes
//!    (`analyze::scope`);
//! 5. `analyze`: liveness, what each state keeps, renames, and the borrowing rule;
//! 6. `layout`: decide, from data only, which arms and variants exist and in what order,
//!    which code follows in another state's arm, which awaits run inline, and how each
//!    exit is taken;
//! 7. `expand`: print the frame enum and the step and describe closures, as laid out.
//!
//! `docs/pass-map.md` walks one coroutine through the stages.
//!
//! Shared helpers: `verbatim` (what a piece of user code reads, assigns and where it leaves,
//! and cutting it into `plan::Code`, whose parts the printer fills in),
//! `syntax` (pattern names, macro arguments), `suspend` (finding suspension points).
#![forbid(unsafe_code)]

mod analyze;
mod args;
mod coroutine;
mod deferred_in_macro;
mod errors;
mod expand;
mod ir;
mod layout;
mod local_macros;
mod main_attr;
mod normalize;
mod plan;
mod recursion;
mod segment;
mod shape;
mod signature;
mod suspend;
mod syntax;
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
