//! The pipeline for one `#[corio::coroutine]` function: it runs the stages in order and
//! writes no tokens itself. On error, `expand::fallback` prints the original signature with
//! a `compile_error!`-only body, so callers still type-check.
//!
//! ```text
//! args, ItemFn ─ validate ─ signature ─ normalize ─ segment ─ analyze ─ layout ─ expand ─▶ tokens
//!                   (every stage collects its errors; the pipeline stops after a stage that has any)
//! ```

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{ItemFn, Type, parse_quote};

use crate::args::Args;
use crate::errors::Errors;
use crate::expand;
use crate::shape::{self, Flavor, Shape};
use crate::signature::{Inputs, return_type};
use crate::verbatim::Verbatim;
use crate::{analyze, layout, normalize, segment, signature, validate};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let span = syn::parse2::<syn::Item>(input.clone())
                .map(|i| first_token_span(&i))
                .unwrap_or_else(|_| Span::call_site());
            let err = syn::Error::new(
                span,
                "#[corio::coroutine] can only be applied to a fn (a free function or a method)",
            );
            let mut out = err.to_compile_error();
            out.extend(input);
            return out;
        }
    };
    let args: Args = match syn::parse2(args) {
        Ok(args) => args,
        Err(err) => return expand::fallback(&item, &Args::default(), err),
    };
    match pipeline(&args, &item) {
        Ok(tokens) => tokens,
        Err(err) => expand::fallback(&item, &args, err),
    }
}

fn first_token_span(item: &syn::Item) -> Span {
    item.to_token_stream()
        .into_iter()
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site)
}

fn pipeline(args: &Args, item: &ItemFn) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let sig = &item.sig;
    let flavor = validate::signature(sig, args, &mut errors);
    let is_async = sig.asyncness.is_some();
    let unit: Type = parse_quote!(());
    let yield_ty = args.yield_ty.as_ref().unwrap_or(&unit);
    validate::body(
        &item.block,
        is_async,
        flavor == Flavor::AsyncFn,
        &mut errors,
    );
    crate::deferred_in_macro::check(&item.block, &mut errors);
    errors.propagate()?;

    // `self` cannot be a closure's local: the body calls it `__corio_self`.
    let mut block = (*item.block).clone();
    let mut rename_self = Verbatim::renaming(vec![("self".into(), "__corio_self".into())]);
    rename_self.visit_block_mut(&mut block);
    crate::local_macros::rename_local_macros(&mut block);
    if flavor == Flavor::AsyncFn {
        crate::recursion::erase_recursive_awaits(&mut block, &sig.ident);
    }

    let Inputs {
        inputs,
        lets,
        args: arg_bindings,
    } = signature::inputs(sig);
    let ret_ty = return_type(&sig.output);
    let body = normalize::normalize(&block, ret_ty.is_some(), &mut errors);
    errors.propagate()?;
    let mut nodes = lets;
    nodes.extend(body.nodes);
    let awaits: Vec<bool> = body.points.iter().map(|p| p.is_await).collect();
    let mut plan = segment::segment(nodes, &arg_bindings, &body.targets, &awaits, &mut errors);
    analyze::analyze(&mut plan, arg_bindings.len(), &mut errors);
    errors.propagate()?;

    let resume_ty = args.resume_ty.as_ref().unwrap_or(&unit);
    let shape = Shape {
        flavor,
        name: &sig.ident,
        method: sig.receiver().is_some(),
        yield_ty,
        resume_ty,
        ret_ty: ret_ty.as_ref(),
        anchors: &body.anchors,
        fall_off_cfgs: &body.fall_off_cfgs,
        expect: shape::expect_fn(ret_ty.as_ref(), &sig.generics),
    };
    let layout = layout::layout(&plan, &shape);
    let body = expand::generator(&plan, &layout, &body.points, &shape);

    Ok(expand::function(item, args, &shape, &inputs, body))
}
