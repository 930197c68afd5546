//! `#[corio::test]`: runs an `async fn` test on a fresh corio loop, like `#[tokio::test]`.
//!
//! Input:
//!
//! ```text
//! #[corio::test(debug)] async fn reads_a_line() -> io::Result<()> { body }
//! ```
//!
//! Output:
//!
//! ```text
//! #[::core::prelude::v1::test]
//! fn reads_a_line() -> io::Result<()> {
//!     ::corio::Runtime::builder().debug(true).build().run(async move { body })
//! }
//! ```
//!
//! Every test gets its own loop (`run` builds one per call), so tests cannot see each other's
//! tasks or timers, and the tasks a test leaves behind are cancelled when it returns.
//! Other attributes (`#[should_panic]`, `#[ignore]`) are kept as written.
//!
//! `start_paused = true` starts the body with `::corio::time::pause();` (virtual time, tokio's
//! `start_paused`); `seed = N` builds the loop with `Builder::seed(N)` (a replayable
//! schedule, on virtual time).

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::errors::Errors;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let err = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[corio::test] can only be applied to an `async fn` test",
            );
            let mut out = err.to_compile_error();
            out.extend(input);
            return out;
        }
    };
    let mut errors = Errors::default();
    let mut debug = false;
    let mut start_paused = false;
    let mut seed: Option<syn::Expr> = None;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("debug") {
            debug = true;
            Ok(())
        } else if meta.path.is_ident("start_paused") {
            let value: syn::LitBool = meta.value()?.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `start_paused = true` or `start_paused = false`",
                )
            })?;
            start_paused = value.value;
            Ok(())
        } else if meta.path.is_ident("seed") {
            seed = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error(
                "unknown argument; expected `debug`, `start_paused = true` or `seed = <u64>`",
            ))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    if item.sig.asyncness.is_none() {
        errors.error(
            item.sig.fn_token,
            "#[corio::test] needs an `async fn`: write `async fn` (or use plain #[test])",
        );
    }
    if !item.sig.inputs.is_empty() {
        errors.error(
            &item.sig.inputs,
            "a test takes no arguments: build what it needs inside the body",
        );
    }
    if !item.sig.generics.params.is_empty() {
        errors.error(
            &item.sig.generics,
            "a test cannot be generic: call a generic helper from the test instead",
        );
    }
    let mut sig = item.sig.clone();
    sig.asyncness = None;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let body = &item.block;
    if let Err(err) = errors.propagate() {
        let errors = err.to_compile_error();
        return quote! { #(#attrs)* #vis #sig { #errors ::core::unreachable!() } };
    }
    let runtime = if debug || seed.is_some() {
        let debug = debug.then(|| quote!(.debug(true)));
        let seed = seed.map(|seed| quote!(.seed(#seed)));
        quote!(::corio::Runtime::builder() #debug #seed .build())
    } else {
        quote!(::corio::Runtime::new())
    };
    let body = if start_paused {
        quote!({ ::corio::time::pause(); #body })
    } else {
        quote!(#body)
    };
    quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis #sig {
            #runtime.run(async move #body)
        }
    }
}
