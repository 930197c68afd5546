//! The pipeline for one `#[corio::coroutine]` function, and the fallback on error: the
//! original signature with a `compile_error!`-only body, so callers still type-check.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::visit_mut::VisitMut;
use syn::{FnArg, ItemFn, Pat, ReturnType, Type, parse_quote};

use crate::args::Args;
use crate::errors::Errors;
use crate::expand;
use crate::ir::Node;
use crate::plan::Arg;
use crate::shape::{self, Flavor, Shape};
use crate::verbatim::Verbatim;
use crate::{analyze, normalize, segment, validate};

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
        Err(err) => return fallback(&item, &Args::default(), err),
    };
    match pipeline(&args, &item) {
        Ok(tokens) => tokens,
        Err(err) => fallback(&item, &args, err),
    }
}

fn first_token_span(item: &syn::Item) -> Span {
    item.to_token_stream()
        .into_iter()
        .next()
        .map(|t| t.span())
        .unwrap_or_else(Span::call_site)
}

/// On error: the signature as written, returning the type a caller expects, with a body
/// that only reports the errors.
fn fallback(item: &ItemFn, args: &Args, err: syn::Error) -> TokenStream {
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
                + ::core::iter::Iterator<Item = #yield_ty> + ::core::clone::Clone
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
    errors.propagate()?;

    // `self` cannot be a closure's local: the body calls it `__corio_self`.
    let mut block = (*item.block).clone();
    let mut rename_self = Verbatim::renaming(vec![("self".into(), "__corio_self".into())]);
    rename_self.visit_block_mut(&mut block);
    if flavor == Flavor::AsyncFn {
        crate::recursion::erase_recursive_awaits(&mut block, &sig.ident);
    }

    let mut inputs = Vec::new();
    let mut lets = Vec::new();
    let mut arg_bindings = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate() {
        match input {
            FnArg::Receiver(r) => {
                let receiver_span = r.self_token.span;
                let mut r = r.clone();
                let mutable = r.mutability.take().is_some();
                if r.reference.is_some() {
                    r.mutability = item.sig.inputs.iter().find_map(|a| match a {
                        FnArg::Receiver(orig) => orig.mutability,
                        _ => None,
                    });
                    if let FnArg::Receiver(orig) = input {
                        r.mutability = orig.mutability;
                    }
                }
                inputs.push(FnArg::Receiver(r));
                arg_bindings.push(Arg {
                    name: "__corio_self".into(),
                    display: "self".into(),
                    mutable: mutable && input_is_value_receiver(input),
                    // `self` is hygienic: the frame's `self` and the body's renamed `self`
                    // must have the receiver's context (a method written by `macro_rules!`).
                    span: receiver_span,
                    ty: match input {
                        FnArg::Receiver(orig) => Some((*orig.ty).clone()),
                        FnArg::Typed(_) => None,
                    },
                });
            }
            FnArg::Typed(t) => match &*t.pat {
                Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    let mut t = t.clone();
                    let mut p = p.clone();
                    p.mutability = None;
                    *t.pat = Pat::Ident(p.clone());
                    inputs.push(FnArg::Typed(t));
                    arg_bindings.push(Arg {
                        name: p.ident.to_string(),
                        display: p.ident.to_string(),
                        mutable: matches!(&*t_pat(input), Pat::Ident(o) if o.mutability.is_some()),
                        span: p.ident.span(),
                        ty: match input {
                            FnArg::Typed(orig) => Some((*orig.ty).clone()),
                            FnArg::Receiver(_) => None,
                        },
                    });
                }
                pat => {
                    let name = format_ident!("__corio_arg{}", i);
                    let ty = &t.ty;
                    inputs.push(parse_quote!(#name: #ty));
                    let stmt: syn::Stmt = parse_quote!(let #pat = #name;);
                    let syn::Stmt::Local(local) = stmt else {
                        unreachable!()
                    };
                    lets.push(Node::Let(local));
                    arg_bindings.push(Arg {
                        name: name.to_string(),
                        display: name.to_string(),
                        mutable: false,
                        span: Span::call_site(),
                        ty: Some((**ty).clone()),
                    });
                }
            },
        }
    }

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
        yield_ty,
        resume_ty,
        ret_ty: ret_ty.as_ref(),
        anchors: &body.anchors,
        expect: shape::expect_fn(ret_ty.as_ref(), &sig.generics),
    };
    let body = expand::generator(&plan, &body.points, &shape);

    let ret = ret_ty.as_ref().unwrap_or(&unit);
    let clone = args.clone.then(|| quote!(+ ::core::clone::Clone));
    let output = match flavor {
        Flavor::Generator => {
            let iter = args
                .resume_ty
                .is_none()
                .then(|| quote!(+ ::core::iter::Iterator<Item = #yield_ty>));
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
    let where_clause = with_implied_bounds(sig.generics.where_clause.clone(), ret_ty.as_ref());
    let unsafety = &sig.unsafety;
    Ok(quote! {
        #(#attrs)*
        #vis #unsafety fn #ident #generics (#(#inputs),*) -> #output
            #where_clause
        {
            #body
        }
    })
}
/// The body's return type, if it has one. `!` is `Infallible`: the `Return` of the
/// coroutine's trait is an associated type, where `!` is not stable, and a body of type `!`
/// coerces to any type.
fn return_type(output: &ReturnType) -> Option<Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) if is_never(ty) => Some(parse_quote!(::core::convert::Infallible)),
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    }
}

/// The bounds a plain fn's return type implies (`-> &'a T` gives `T: 'a`), written out: inside
/// the coroutine's `impl Coroutine<Return = &'a T>` they are not implied.
fn with_implied_bounds(
    where_clause: Option<syn::WhereClause>,
    ret: Option<&Type>,
) -> Option<syn::WhereClause> {
    use syn::visit::Visit;
    struct Refs(Vec<(syn::Lifetime, Type)>);
    impl<'ast> Visit<'ast> for Refs {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if let Some(l) = &r.lifetime
                && l.ident != "_"
                && l.ident != "static"
                && nameable(&r.elem)
            {
                self.0.push((l.clone(), (*r.elem).clone()));
            }
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {}
    }
    /// No elided lifetime or `impl Trait` inside: the type can be written in a `where` clause.
    fn nameable(ty: &Type) -> bool {
        struct Elided(bool);
        impl<'ast> Visit<'ast> for Elided {
            fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
                self.0 |= r.lifetime.is_none();
                syn::visit::visit_type_reference(self, r);
            }
            fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
                self.0 |= l.ident == "_";
            }
            fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
                self.0 = true;
            }
            fn visit_type_bare_fn(&mut self, _: &'ast syn::TypeBareFn) {
                self.0 = true;
            }
        }
        let mut e = Elided(false);
        e.visit_type(ty);
        !e.0
    }
    let mut refs = Refs(Vec::new());
    if let Some(ret) = ret {
        refs.visit_type(ret);
    }
    if refs.0.is_empty() {
        return where_clause;
    }
    let mut wc = where_clause.unwrap_or_else(|| parse_quote!(where));
    for (l, ty) in refs.0 {
        wc.predicates.push(parse_quote!(#ty: #l));
    }
    Some(wc)
}

/// `!`, also as a `macro_rules!` `$t:ty` fragment.
fn is_never(ty: &Type) -> bool {
    match ty {
        Type::Never(_) => true,
        Type::Group(g) => is_never(&g.elem),
        Type::Paren(p) => is_never(&p.elem),
        _ => false,
    }
}

fn t_pat(input: &FnArg) -> Box<Pat> {
    match input {
        FnArg::Typed(t) => t.pat.clone(),
        FnArg::Receiver(_) => Box::new(parse_quote!(_)),
    }
}

fn input_is_value_receiver(input: &FnArg) -> bool {
    matches!(input, FnArg::Receiver(r) if r.reference.is_none())
}
