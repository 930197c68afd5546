//! What the function becomes: its [`Flavor`] (from the signature and the attribute) and
//! the [`Shape`] of the wrapper the printer writes around the state machine.
//!
//! Input: the signature and `args`. Output: data only; no stage logic.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
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
    /// The runs of `#[cfg]`'d tail candidates (see `ir::Body::fall_off_cfgs`).
    pub(crate) fall_off_cfgs: &'a [TokenStream],
    /// For `-> impl Fn…`: `fn __corio_expect<F: Fn…>(f: F) -> F`, which the returned value
    /// goes through (see [`expect_fn`]).
    pub(crate) expect: Option<TokenStream>,
}

/// `fn __corio_expect<'a, …, __CorioF: Bounds>(f: __CorioF) -> __CorioF { f }` for a return
/// type `impl Bounds` that names a closure trait, so that a returned closure is inferred
/// against the bounds (higher-ranked `Fn(&u32)`), as the plain fn's tail is. The nested fn
/// repeats the outer fn's generics and `where` clause (`impl Fn(&(K, V)) -> bool + '_` in
/// hashbrown's `equivalent_key<Q, K, V>`), and with type or const parameters is bound by
/// `let __corio_expect = __corio_expect::<Q, K, V, _>;`, since only the closure's type is
/// inferred at the call. Lifetime bounds of the `impl` (`+ '_`, `+ 'a`) are left out: the
/// return type checks them, and they do not shape the closure's signature. Not when the
/// bounds or generics mention `Self`, `'_` inside the trait bounds, or a nested `impl Trait`.
pub(crate) fn expect_fn(ret: Option<&Type>, generics: &syn::Generics) -> Option<TokenStream> {
    let mut ty = ret?;
    while let Type::Group(g) = ty {
        ty = &g.elem;
    }
    let Type::ImplTrait(it) = ty else {
        return None;
    };
    let bounds: Vec<&syn::TypeParamBound> = it
        .bounds
        .iter()
        .filter(|b| matches!(b, syn::TypeParamBound::Trait(_)))
        .collect();
    let tokens = quote!(#(#bounds)+*);
    let closure_trait = mentions(
        &tokens,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Fn" || i == "FnMut" || i == "FnOnce"),
    );
    let params = &generics.params;
    let where_clause = &generics.where_clause;
    let outer = quote!(#params #where_clause);
    let writable = !mentions(
        &tokens,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Self" || i == "impl" || i == "_"),
    ) && !mentions(
        &outer,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Self" || i == "impl"),
    );
    if !closure_trait || !writable {
        return None;
    }
    let args: Vec<TokenStream> = params
        .iter()
        .filter_map(|p| match p {
            syn::GenericParam::Type(t) => Some(t.ident.to_token_stream()),
            syn::GenericParam::Const(c) => Some(c.ident.to_token_stream()),
            syn::GenericParam::Lifetime(_) => None,
        })
        .collect();
    let params = params.iter();
    let function = quote! {
        fn __corio_expect<#(#params,)* __CorioF: #tokens>(f: __CorioF) -> __CorioF #where_clause { f }
    };
    Some(if args.is_empty() {
        function
    } else {
        quote! {
            #function
            let __corio_expect = __corio_expect::<#(#args,)* _>;
        }
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
