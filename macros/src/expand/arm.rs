//! Writing one arm of the dispatch `match`, as the layout placed it: the state's code, its
//! followers' code after labelled blocks, and inline copies of await states' code.
//!
//! Input: an [`ArmLayout`] (and the [`Placement`]s inside its routes). Output: tokens.
//!
//! ```text
//! ArmLayout { chain: [Suspend0, Loop2] }      Suspend0 { i, n } => {
//!                                                 let (i, n) = '__corio_to2: {
//!                                                     let i = i; let n = n; <Suspend0's code>
//!                                                 };
//!                                                 '__corio_loop2: loop { <Loop2's code> }
//!                                             }
//! ```

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};

use super::{Printer, state_ident};
use crate::layout::{ArmLayout, Placement};
use crate::plan::Kind;

/// The label of the block after which a follower's code runs.
pub(super) fn follow_label(s: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__corio_to{s}"), Span::call_site())
}

/// The label of the Rust `loop` a loop head's code runs in.
pub(super) fn loop_label(s: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__corio_loop{s}"), Span::call_site())
}

impl Printer<'_> {
    pub(super) fn arm(&self, arm: &ArmLayout) -> TokenStream {
        let s = arm.chain[0].state;
        let ident = state_ident(self.plan, s);
        // Bound in declaration order, so that unwinding out of the arm drops them in reverse.
        let binds = self.binds(s);
        let code = self.run(arm);
        quote! {
            __CorioFrame::#ident { #(#binds,)* } => { #code }
        }
    }

    /// The step's dispatch when every arm shares its followers (`Layout::shared`): one
    /// `match` gives the first follower's bindings (`Start`'s arm in a cold call), then one
    /// copy of the followers runs.
    ///
    /// ```text
    /// let (bytes, mut i) = '__corio_to1: { match __corio_state {
    ///     Start { text } => cold(move || '__corio_to1: { let text = text; …; break '__corio_to1 (bytes, i) }),
    ///     Suspend0 { bytes, i } => { let bytes = bytes; let mut i = i; break '__corio_to1 (bytes, i) }
    ///     Running | Done(_) => { … return }
    /// } };
    /// '__corio_loop1: loop { <Loop1's code> }
    /// ```
    pub(super) fn shared(&self, arms: &[ArmLayout], closed: TokenStream) -> TokenStream {
        let first = &arms[0].chain[1];
        let label = follow_label(first.state);
        let pat = self.plan.states[first.state]
            .saved
            .iter()
            .map(|&b| self.bind_pat(b));
        let entries = arms.iter().map(|arm| {
            let at = &arm.chain[0];
            let ident = state_ident(self.plan, at.state);
            let binds = self.binds(at.state);
            let rebind = self.rebind(at.state);
            let code = self.state_code(at);
            if self.plan.states[at.state].kind == Kind::Start {
                // A closure's body has labels of its own: the `break` to the follower's
                // block gives the closure's value.
                quote! {
                    __CorioFrame::#ident { #(#binds,)* } => ::corio::__private::cold(
                        move || #label: { #rebind #code }
                    ),
                }
            } else {
                quote!(__CorioFrame::#ident { #(#binds,)* } => { #rebind #code })
            }
        });
        let mut code = quote! {
            #[allow(unreachable_code)]
            let (#(#pat,)*) = #label: {
                match __corio_state {
                    #(#entries)*
                    #closed
                }
            };
        };
        code.extend(self.state_code(first));
        self.wrap_followers(code, &arms[0].chain[2..])
    }

    /// `field: pattern` for each of the state's bindings, in declaration order.
    fn binds(&self, s: usize) -> Vec<TokenStream> {
        self.plan.states[s]
            .saved
            .iter()
            .map(|&b| {
                let f = &self.layout.fields[b];
                let pat = self.bind_pat(b);
                quote!(#f: #pat)
            })
            .collect()
    }

    /// `code`, then each of `followers`' code after a labelled block around what came
    /// before.
    fn wrap_followers(&self, mut code: TokenStream, followers: &[Placement]) -> TokenStream {
        for p in followers {
            let label = follow_label(p.state);
            let pat = self.plan.states[p.state]
                .saved
                .iter()
                .map(|&b| self.bind_pat(b));
            let next = self.state_code(p);
            code = quote! {
                #[allow(unreachable_code)]
                let (#(#pat,)*) = #label: { #code };
                #next
            };
        }
        code
    }

    /// The arm's state's code, then each follower's after a labelled block that the code
    /// before it breaks out of with the follower's bindings (see `layout::Layouter::arm`).
    /// The `let x = x;` of the arm's bindings move them into the innermost block, so they drop
    /// when it is left, before a follower's code runs; the follower sees only its own.
    fn run(&self, arm: &ArmLayout) -> TokenStream {
        let first = &arm.chain[0];
        let rebind = if arm.chain.len() > 1 {
            self.rebind(first.state)
        } else {
            quote!()
        };
        let mut code = quote!(#rebind);
        code.extend(self.state_code(first));
        self.wrap_followers(code, &arm.chain[1..])
    }

    /// `let x = x;` for the arm's bindings, in their order.
    fn rebind(&self, s: usize) -> TokenStream {
        self.plan.states[s]
            .saved
            .iter()
            .map(|&b| {
                let pat = self.bind_pat(b);
                let name = self.name_of(b);
                quote!(let #pat = #name;)
            })
            .collect()
    }

    /// A state's code, with its bindings in scope. A loop head runs its body as a Rust loop:
    /// going round again is a `continue`, not a trip through the dispatcher.
    fn state_code(&self, at: &Placement) -> TokenStream {
        let st = &self.plan.states[at.state];
        let redeclare = self.redeclare(at.state);
        let code = self.code(&st.code, at);
        if st.kind != Kind::Head {
            return quote!(#redeclare #code);
        }
        let label = loop_label(at.state);
        quote!(#label: loop { #redeclare #code })
    }

    /// `let x;` for bindings in scope at the state's entry that its code assigns.
    pub(super) fn redeclare(&self, s: usize) -> TokenStream {
        let plan = self.plan;
        plan.states[s]
            .redeclare
            .iter()
            .map(|&b| {
                let pat = self.bind_pat(b);
                match &plan.bindings[b].ty {
                    Some(ty) => quote!(let #pat: #ty;),
                    None => quote!(let #pat;),
                }
            })
            .collect()
    }

    /// An exit to an await state that the layout inlined: poll the future where it stands;
    /// `Pending` stores the state, a ready value runs the state's code (after its poll) here.
    pub(super) fn inline_await(&self, at: &Placement, assign: Option<TokenStream>) -> TokenStream {
        let s = at.state;
        let fut = self.name_of(self.plan.states[s].awaiting.expect("an await state"));
        let span = self.point_span(s);
        let st = self.construct(s);
        let store = quote_spanned!(span=> *__corio_frame = #st;);
        let rest = self.code(&self.plan.states[s].code[1..], at);
        quote!({
            #assign
            let __corio_poll = ::core::future::Future::poll(::core::pin::Pin::new(&mut #fut), __corio_cx);
            match __corio_poll {
                ::core::task::Poll::Ready(__corio_value) => {
                    let __corio_ready = __corio_value;
                    ::core::mem::drop(#fut);
                    #rest
                }
                ::core::task::Poll::Pending => {
                    #store
                    return ::corio::__private::Step::some(::core::task::Poll::Pending);
                }
            }
        })
    }
}
