//! What the function becomes: its [`Flavor`] (from the signature and the attribute) and
//! the [`Shape`] of the wrapper the printer writes around the state machine.
//!
//! Input: the signature and `args`. Output: data only; no stage logic.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::{Ident, Type};

use crate::syntax::mentions;

/// What the function becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `fn` with `yield = T`: a `Coroutine` (+ `Iterator` when the resume type is `()`).
    Generator,
    /// `async fn`: a `Future`.
    AsyncFn,
    /// `async fn` with `yield = T`: a `Stream`.
    AsyncGen,
}

pub(crate) struct Shape<'a> {
    pub(crate) flavor: Flavor,
    pub(crate) name: &'a Ident,
    /// A fn with a receiver: `name()` includes its `Self` type (`app::Tokens::words`).
    pub(crate) method: bool,
    pub(crate) yield_ty: &'a Type,
    pub(crate) resume_ty: &'a Type,
    pub(crate) ret_ty: Option<&'a Type>,
    /// The type anchors of value temporaries (see `normalize::anchor`).
    pub(crate) anchors: &'a [Ident],
    /// For `-> impl Fn…`: `fn __corio_expect<F: Fn…>(f: F) -> F`, which the returned value
    /// goes through (see [`expect_fn`]).
    pub(crate) expect: Option<TokenStream>,
}

/// `fn __corio_expect<'a, …, __CorioF: Bounds>(f: __CorioF) -> __CorioF { f }` for a return
/// type `impl Bounds` that names a closure trait, so that a returned closure is inferred
/// against the bounds (higher-ranked `Fn(&u32)`), as the plain fn's tail is. Only when the
/// bounds can be written on a nested fn: no type or const parameters of the outer fn (a
/// nested fn cannot use them), no `Self`, no `'_`, no nested `impl Trait`.
pub(crate) fn expect_fn(ret: Option<&Type>, generics: &syn::Generics) -> Option<TokenStream> {
    let mut ty = ret?;
    while let Type::Group(g) = ty {
        ty = &g.elem;
    }
    let Type::ImplTrait(it) = ty else {
        return None;
    };
    if generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    {
        return None;
    }
    let bounds: Vec<&syn::TypeParamBound> = it
        .bounds
        .iter()
        .filter(|b| !matches!(b, syn::TypeParamBound::PreciseCapture(_)))
        .collect();
    let tokens = quote!(#(#bounds)+*);
    let closure_trait = mentions(
        &tokens,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Fn" || i == "FnMut" || i == "FnOnce"),
    );
    let writable = !mentions(
        &tokens,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Self" || i == "impl" || i == "_"),
    );
    if !closure_trait || !writable {
        return None;
    }
    let lifetimes = generics.lifetimes();
    Some(quote! {
        fn __corio_expect<#(#lifetimes,)* __CorioF: #tokens>(f: __CorioF) -> __CorioF { f }
    })
}

pub(crate) fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

pub(crate) fn has_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl syn::visit::Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}
