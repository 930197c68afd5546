//! Writing a state's code: each `Emit` as tokens, user code ([`Code`]) with its names as
//! the bindings' generated names and its exits as transitions, and the transitions
//! themselves.
//!
//! Input: `Emit`s and exits of the analysed `Plan`, and the copy of code being written (its
//! state and routes). Output: tokens. Nothing here looks into user syntax: every place to
//! fill in is a [`Part`] of the code.
//!
//! ```text
//! [Tokens(if), Name(x), Tokens(== 0), Group({ [Exit(1), Tokens(;)] })]
//!     → if x == 0 { { let __corio_ret: i64 = total; …; return …Complete(__corio_ret); } ; }
//! ```

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Ident, Pat};

use super::arm::{follow_label, loop_label};
use super::{Printer, early_ident, state_ident};
use crate::layout::{Placement, Route};
use crate::plan::{Code, Emit, ExitKind, Id, Kind, Part};
use crate::shape::{Flavor, has_impl_trait, is_unit};
use crate::syntax::rename_pat;
use crate::verbatim::format;

impl Printer<'_> {
    /// The binding's identifier, with the span (and so the hygiene) of the user's own.
    pub(super) fn name_of(&self, b: Id) -> Ident {
        Ident::new(&self.plan.rust_name(b), self.plan.bindings[b].span)
    }

    /// A binding as a pattern binds it: `mut` as the user wrote it, and its name.
    pub(super) fn bind_pat(&self, b: Id) -> TokenStream {
        let name = self.name_of(b);
        let m = self.plan.bindings[b].mutable.then(|| quote!(mut));
        quote!(#m #name)
    }

    /// Where the store of state `s` is spanned: at its suspension point (for rustc's errors),
    /// resolved like our own tokens.
    pub(super) fn point_span(&self, s: usize) -> Span {
        match self.plan.states[s].kind {
            Kind::Point(k) => Span::call_site().located_at(self.points[k].span),
            _ => Span::call_site(),
        }
    }

    pub(super) fn code(&self, code: &[Emit], at: &Placement) -> TokenStream {
        code.iter().map(|e| self.emit(e, at)).collect()
    }

    /// A piece of user code, its parts filled in for the copy `at`.
    fn user(&self, code: &Code, at: &Placement) -> TokenStream {
        let mut out = TokenStream::new();
        for part in &code.0 {
            match part {
                Part::Tokens(t) => out.extend(t.clone()),
                Part::Group(d, span, inner) => {
                    let mut g = Group::new(*d, self.user(inner, at));
                    g.set_span(*span);
                    out.extend([TokenTree::Group(g)]);
                }
                Part::Exit(k) => out.extend(self.exit(*k, at)),
                Part::Resume => out.extend(self.resume(at)),
                Part::Name(ident, b) => match b {
                    Some(b) if self.plan.renamed.contains(b) => out.extend([TokenTree::Ident(
                        Ident::new(&self.plan.rust_name(*b), ident.span()),
                    )]),
                    _ => out.extend([TokenTree::Ident(ident.clone())]),
                },
                Part::Field(ident, b) => match b {
                    Some(b) if self.plan.renamed.contains(b) => {
                        let to = Ident::new(&self.plan.rust_name(*b), ident.span());
                        out.extend(quote!(#ident: #to));
                    }
                    _ => out.extend([TokenTree::Ident(ident.clone())]),
                },
                Part::Format { lit, text, names } => {
                    let renames: Vec<(usize, usize, String)> = names
                        .iter()
                        .filter_map(|&(start, end, b)| {
                            let b = b.filter(|b| self.plan.renamed.contains(b))?;
                            Some((start, end, self.plan.rust_name(b)))
                        })
                        .collect();
                    let lit = if renames.is_empty() {
                        lit.clone()
                    } else {
                        let mut new =
                            proc_macro2::Literal::string(&format::rewrite(text, &renames));
                        new.set_span(lit.span());
                        new
                    };
                    out.extend([TokenTree::Literal(lit)]);
                }
                Part::Pattern(pat, binds) => self.pat(pat, binds).to_tokens(&mut out),
                Part::ElseInit(inner) => {
                    let init = self.user(inner, at);
                    let brace = matches!(init.clone().into_iter().last(),
                        Some(TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Brace);
                    if brace {
                        let g = Group::new(proc_macro2::Delimiter::Parenthesis, init);
                        out.extend([TokenTree::Group(g)]);
                    } else {
                        out.extend(init);
                    }
                }
            }
        }
        out
    }

    /// The value a resume brings (`__corio_resume!()` in `normalize`'s output).
    fn resume(&self, at: &Placement) -> TokenStream {
        let at_await = match self.plan.states[at.state].kind {
            Kind::Point(k) => self.points[k].is_await,
            _ => false,
        };
        if at_await {
            quote!(__corio_ready)
        } else if is_unit(self.shape.resume_ty) {
            quote!(())
        } else {
            quote_spanned!(Span::call_site()=> match __corio_arg.take() {
                ::core::option::Option::Some(arg) => arg,
                ::core::option::Option::None => ::core::unreachable!(),
            })
        }
    }

    fn pat(&self, pat: &Pat, binds: &[Id]) -> Pat {
        let mut pat = pat.clone();
        let renames: Vec<(String, String)> = binds
            .iter()
            .filter(|b| self.plan.renamed.contains(b))
            .map(|&b| (self.plan.bindings[b].name.clone(), self.plan.rust_name(b)))
            .collect();
        if !renames.is_empty() {
            rename_pat(&mut pat, &|n| {
                renames.iter().find(|(f, _)| f == n).map(|(_, t)| t.clone())
            });
        }
        pat
    }

    fn emit(&self, e: &Emit, at: &Placement) -> TokenStream {
        match e {
            Emit::Stmt { stmt, .. } => self.user(stmt, at),
            Emit::Let { local, .. } => self.user(local, at),
            Emit::Await {
                value, fut, span, ..
            } => {
                let value = self.user(value, at);
                let f = self.name_of(*fut);
                // The future is stored in place, or boxed when it is not `Unpin` (the kind
                // is chosen by autoref specialisation on `__corio_await_kind`).
                quote_spanned! {*span=>
                    let mut #f = {
                        let __corio_into = ::core::future::IntoFuture::into_future(#value);
                        (&__corio_into).__corio_await_kind().store(__corio_into)
                    };
                }
            }
            Emit::If {
                cond, then, els, ..
            } => {
                let cond = self.user(cond, at);
                let then = self.code(then, at);
                let els = self.code(els, at);
                quote!(if #cond { #then } else { #els })
            }
            Emit::Match {
                scrutinee, arms, ..
            } => {
                let scrutinee = self.user(scrutinee, at);
                let arms = arms.iter().map(|arm| {
                    let pat = self.pat(&arm.pat, &arm.binds);
                    let guard = arm.guard.as_ref().map(|g| {
                        let g = self.user(g, at);
                        quote!(if #g)
                    });
                    let body = self.code(&arm.body, at);
                    let attrs = &arm.attrs;
                    quote!(#(#attrs)* #pat #guard => { #body })
                });
                quote!(match #scrutinee { #(#arms)* })
            }
            Emit::Block(inner) => {
                let inner = self.code(inner, at);
                quote!({ #inner })
            }
            Emit::Exit(k) => self.exit(*k, at),
            Emit::Poll { fut, state, .. } => {
                let f = self.name_of(*fut);
                let span = self.point_span(*state);
                let st = self.construct(*state);
                let store = quote_spanned!(span=> *__corio_frame = #st;);
                // Resumed here, the future was polled in place before the state was taken out
                // (see `poll_in_place`); entered from the dispatcher, it is polled now.
                let poll = quote! {
                    match ::core::future::Future::poll(::core::pin::Pin::new(&mut #f), __corio_cx) {
                        ::core::task::Poll::Ready(__corio_value) => __corio_value,
                        ::core::task::Poll::Pending => {
                            #store
                            return ::corio::__private::Step::some(::core::task::Poll::Pending);
                        }
                    }
                };
                let ready = match self.plan.states[*state].kind {
                    Kind::Point(k) => {
                        let early = early_ident(k);
                        quote! {
                            match #early.take() {
                                ::core::option::Option::Some(__corio_value) => __corio_value,
                                ::core::option::Option::None => #poll,
                            }
                        }
                    }
                    _ => poll,
                };
                quote! {
                    let __corio_ready = #ready;
                    ::core::mem::drop(#f);
                }
            }
            Emit::Yield { value, next, .. } => {
                let value = self.user(value, at);
                let y = self.shape.yield_ty;
                let state = self.construct(*next);
                // Spanned at the point, so that rustc's borrow errors name the `yield_!`.
                let span = self.point_span(*next);
                let store = quote_spanned!(span=> *__corio_frame = #state;);
                let yielded = match self.shape.flavor {
                    Flavor::Generator => {
                        quote!(return ::corio::__private::Step::some(::corio::__private::CoroutineState::Yielded(__corio_y));)
                    }
                    _ => {
                        quote!(return ::corio::__private::Step::some(::core::task::Poll::Ready(::core::option::Option::Some(__corio_y)));)
                    }
                };
                quote! {
                    let __corio_y: #y = #value;
                    #store
                    #yielded
                }
            }
        }
    }

    pub(super) fn construct(&self, s: usize) -> TokenStream {
        let ident = state_ident(self.plan, s);
        let fields = self.plan.states[s].saved.iter().rev().map(|&b| {
            let f = &self.layout.fields[b];
            let name = self.name_of(b);
            quote!(#f: #name)
        });
        quote!(__CorioFrame::#ident { #(#fields,)* })
    }

    fn exit(&self, k: usize, at: &Placement) -> TokenStream {
        let exit = &self.plan.exits[k];
        let assign = exit.assign.as_ref().map(|(t, v)| {
            let v = self.user(v, at);
            // A construct with a `break` value assigns a value temporary with a type anchor,
            // or the `bool` temporary of `a || loop { … break true; }`.
            let anchored = self.shape.anchors.contains(&crate::normalize::anchor(t));
            let set = crate::normalize::set_value(t, &v, anchored);
            quote!(#set)
        });
        match (&at.routes[&k], &exit.kind) {
            (Route::Continue(s), _) => {
                let label = loop_label(*s);
                quote!({ #assign continue #label; })
            }
            (Route::Break(s), _) => {
                let label = follow_label(*s);
                let values = self.plan.states[*s].saved.iter().map(|&b| self.name_of(b));
                quote!({ #assign break #label (#(#values,)*); })
            }
            (Route::Inline(inner), _) => self.inline_await(inner, assign),
            (Route::Copy(inner), _) => {
                let redeclare = self.redeclare(inner.state);
                let code = self.code(&self.plan.states[inner.state].code, inner);
                quote!({ #assign #redeclare #code })
            }
            (Route::Dispatch(s), _) => {
                let state = self.construct(*s);
                quote!({ #assign __corio_state = #state; continue '__corio_dispatch; })
            }
            (Route::Return, ExitKind::Goto(_)) => unreachable!("a goto routed as a return"),
            (Route::Return, ExitKind::Return(value)) => {
                let value = match value {
                    Some(v) => self.user(v, at),
                    // The end of a body without a tail (or a bare `return;`): `()`, or, when
                    // the declared return type is another, unreachable as in the plain fn,
                    // whose statement that diverged may be in an earlier arm (`FallOff`).
                    None => match self.shape.ret_ty {
                        Some(ty) if !has_impl_trait(ty) && !is_unit(ty) => quote!({
                            use ::corio::__private::FallOffNever as _;
                            ::corio::__private::FallOff::<#ty>::new().value()
                        }),
                        // `-> impl Trait` cannot name the type for `FallOff`; a body that ends
                        // in `#[cfg]`'d candidates returned one of them when every run has
                        // one compiled in, and its end is then unreachable (F-corpus-8).
                        Some(_) if !self.shape.fall_off_cfgs.is_empty() => {
                            let cfgs = self.shape.fall_off_cfgs;
                            quote!({
                                #[cfg(all(#(#cfgs),*))]
                                {
                                    ::core::unreachable!()
                                }
                                #[cfg(not(all(#(#cfgs),*)))]
                                {}
                            })
                        }
                        _ => quote!(()),
                    },
                };
                let complete = match self.shape.flavor {
                    Flavor::Generator => {
                        quote!(return ::corio::__private::Step::some(::corio::__private::CoroutineState::Complete(__corio_ret));)
                    }
                    Flavor::AsyncFn => {
                        quote!(return ::corio::__private::Step::some(::core::task::Poll::Ready(__corio_ret));)
                    }
                    Flavor::AsyncGen => {
                        quote!(return ::corio::__private::Step::some(::core::task::Poll::Ready(::core::option::Option::None));)
                    }
                };
                let ty = match self.shape.ret_ty {
                    Some(ty) if !has_impl_trait(ty) => quote!(: #ty),
                    Some(_) => quote!(),
                    None => quote!(: ()),
                };
                // `-> impl Fn(&u32) -> u32`: the returned closure gets its signature from the
                // bound, as in the plain fn (else it is not inferred higher-ranked).
                let value = match &self.shape.expect {
                    Some(expect) => quote!({ #expect __corio_expect(#value) }),
                    None => value,
                };
                quote!({
                    #assign
                    let __corio_ret #ty = #value;
                    *__corio_frame = __CorioFrame::Done(::core::option::Option::None);
                    #complete
                })
            }
        }
    }
}
