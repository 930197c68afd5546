//! Stage 1b: the function's signature as the pass sees it. Arguments become `Start`'s fields
//! (a pattern argument is bound by a `let` at the top of the body), `self` is called
//! `__corio_self` (it cannot be a closure's local), and `!` returns `Infallible`.
//!
//! Input: the `syn::Signature`. Output: [`Inputs`] and the return type. Pure.
//!
//! ```text
//! fn f(&mut self, mut n: u32, (a, b): (u8, u8))      fn f(&mut self, n: u32, __corio_arg2: (u8, u8))
//!                                                     args: [__corio_self (shown `self`), mut n, __corio_arg2]
//!                                                     lets: [let (a, b) = __corio_arg2;]
//! ```

use proc_macro2::Span;
use quote::format_ident;
use syn::{FnArg, Pat, ReturnType, Type, parse_quote};

use crate::ir::Node;
use crate::plan::Arg;

/// The arguments, as the generated fn declares them and as the body binds them.
pub(crate) struct Inputs {
    /// The generated fn's inputs: `mut` dropped (the frame owns the values), patterns named.
    pub(crate) inputs: Vec<FnArg>,
    /// `let pattern = __corio_argN;` for each pattern argument, run first.
    pub(crate) lets: Vec<Node>,
    /// `Start`'s fields.
    pub(crate) args: Vec<Arg>,
}

pub(crate) fn inputs(sig: &syn::Signature) -> Inputs {
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
                    r.mutability = sig.inputs.iter().find_map(|a| match a {
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

    Inputs {
        inputs,
        lets,
        args: arg_bindings,
    }
}

/// The body's return type, if it has one. `!` is `Infallible`: the `Return` of the
/// coroutine's trait is an associated type, where `!` is not stable, and a body of type `!`
/// coerces to any type.
pub(crate) fn return_type(output: &ReturnType) -> Option<Type> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) if is_never(ty) => Some(parse_quote!(::core::convert::Infallible)),
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    }
}

/// The bounds a plain fn's return type implies (`-> &'a T` gives `T: 'a`), written out: inside
/// the coroutine's `impl Coroutine<Return = &'a T>` they are not implied.
pub(crate) fn with_implied_bounds(
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
