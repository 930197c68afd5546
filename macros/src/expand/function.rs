//! The printed function: the signature as written, returning `impl Coroutine`/`Future`/
//! `Stream` (+ `Inspect`, `Debug`, …) around the state machine the rest of `expand` writes;
//! or, on error, a body that only reports the errors.
//!
//! Input: the `ItemFn`, the attribute's arguments, the [`Shape`] and the printed body.
//! Output: the fn item's tokens.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, ItemFn, Type, parse_quote};

use crate::args::Args;
use crate::shape::{Flavor, Shape};
use crate::signature::{return_type, with_implied_bounds};

/// The coroutine's fn: `inputs` as the pass declares them, `body` the state machine.
pub(crate) fn function(
    item: &ItemFn,
    args: &Args,
    shape: &Shape<'_>,
    inputs: &[FnArg],
    body: TokenStream,
) -> TokenStream {
    let sig = &item.sig;
    let unit: Type = parse_quote!(());
    let (flavor, yield_ty, resume_ty, ret_ty) =
        (shape.flavor, shape.yield_ty, shape.resume_ty, shape.ret_ty);
    let ret = ret_ty.unwrap_or(&unit);
    let clone = args.clone.then(|| quote!(+ ::core::clone::Clone));
    let output = match flavor {
        Flavor::Generator => {
            let iter = args.resume_ty.is_none().then(|| {
                // `Gen` is fused: after `None` it keeps returning `None` (DESIGN.md). An
                // `Iterator` through its subtrait (a separate `+ Iterator` is clippy's
                // `implied_bounds_in_impls` in the user's crate).
                quote!(+ ::core::iter::FusedIterator<Item = #yield_ty>)
            });
            quote! {
                impl ::corio::__private::Coroutine<#resume_ty, Yield = #yield_ty, Return = #ret>
                    + ::corio::__private::Inspect + ::core::fmt::Debug #iter #clone
            }
        }
        Flavor::AsyncFn => quote! {
            impl ::core::future::Future<Output = #ret>
                + ::corio::__private::Inspect + ::core::marker::Unpin + ::core::fmt::Debug #clone
        },
        Flavor::AsyncGen => quote! {
            impl ::corio::__private::Stream<Item = #yield_ty>
                + ::corio::__private::Inspect + ::core::marker::Unpin + ::core::fmt::Debug #clone
        },
    };
    let attrs = &item.attrs;
    let vis = &item.vis;
    let ident = &sig.ident;
    let generics = &sig.generics;
    let where_clause = with_implied_bounds(sig.generics.where_clause.clone(), ret_ty);
    let unsafety = &sig.unsafety;
    quote! {
        #(#attrs)*
        #vis #unsafety fn #ident #generics (#(#inputs),*) -> #output
            #where_clause
        {
            #body
        }
    }
}

/// On error: the signature as written, returning the type a caller expects, with a body
/// that only reports the errors.
pub(crate) fn fallback(item: &ItemFn, args: &Args, err: syn::Error) -> TokenStream {
    let attrs = &item.attrs;
    let vis = &item.vis;
    let mut sig = item.sig.clone();
    sig.asyncness = None;
    sig.constness = None;
    sig.abi = None;
    let unit: Type = parse_quote!(());
    let ret = return_type(&item.sig.output).unwrap_or_else(|| unit.clone());
    let yield_ty = args.yield_ty.as_ref().unwrap_or(&unit);
    let resume_ty = args.resume_ty.as_ref().unwrap_or(&unit);
    // What the coroutine would have been, so that callers (`.await`, `for`) type-check.
    sig.output = match (item.sig.asyncness.is_some(), &args.yield_ty) {
        (true, None) => parse_quote! {
            -> impl ::core::future::Future<Output = #ret>
                + ::corio::__private::Inspect + ::core::marker::Unpin + ::core::fmt::Debug
                + ::core::clone::Clone
        },
        (true, Some(_)) => parse_quote! {
            -> impl ::corio::__private::Stream<Item = #yield_ty>
                + ::corio::__private::Inspect + ::core::marker::Unpin + ::core::fmt::Debug
                + ::core::clone::Clone
        },
        (false, _) => parse_quote! {
            -> impl ::corio::__private::Coroutine<#resume_ty, Yield = #yield_ty, Return = #ret>
                + ::corio::__private::Inspect + ::core::fmt::Debug
                + ::core::iter::FusedIterator<Item = #yield_ty>
                + ::core::clone::Clone
        },
    };
    let errors = err.to_compile_error();
    quote! {
        #(#attrs)*
        #[allow(unused_variables, unreachable_code)]
        #vis #sig {
            #errors
            ::corio::__private::Unreachable::new()
        }
    }
}
