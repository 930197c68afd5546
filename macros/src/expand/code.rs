//! Writing a state's code: each `Emit` as tokens, user code with its bindings renamed and
//! its exit markers replaced by transitions, and the transitions themselves.
//!
//! Input: `Emit`s and exits of the analysed `Plan`. Output: tokens.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Pat};

use super::arm::{follow_label, loop_label};
use super::{Printer, early_ident, state_ident};
use crate::layout::{Placement, Route};
use crate::plan::{Emit, ExitKind, Id, Kind};
use crate::shape::{Flavor, has_impl_trait, is_unit};
use crate::syntax::{mentions, pat_names, rename_pat, visit_macro_args};
use crate::verbatim::Verbatim;

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

    /// Renames, exit markers and the resume placeholder, applied to a piece of user code.
    fn finish_piece<T>(
        &self,
        at: &Placement,
        scope: &[Id],
        node: &mut T,
        visit: impl Fn(&mut dyn VisitMut, &mut T),
    ) {
        self.finish_inner(at, scope, &[], node, visit);
    }

    /// [`finish_piece`](Self::finish_piece) for code taken out of a piece (an exit's value):
    /// `inner` are the names the piece declares around it, which hide the bindings outside.
    fn finish_inner<T>(
        &self,
        at: &Placement,
        scope: &[Id],
        inner: &[String],
        node: &mut T,
        visit: impl Fn(&mut dyn VisitMut, &mut T),
    ) {
        let renames = self.plan.renames_in(scope, inner);
        if !renames.is_empty() {
            let mut v = Verbatim::renaming(renames);
            visit(&mut v, node);
        }
        let mut m = Markers { printer: self, at };
        visit(&mut m, node);
    }

    /// A condition, conjunct by conjunct: what a `let` of a let chain binds is in scope (and
    /// renamed, if it must be) in the conjuncts after it. `next`: the first of `binds` (the
    /// chain's bindings in order) not yet bound.
    fn finish_cond(
        &self,
        at: &Placement,
        scope: &mut Vec<Id>,
        binds: &[Id],
        next: &mut usize,
        e: &mut Expr,
    ) {
        match e {
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.finish_cond(at, scope, binds, next, &mut b.left);
                self.finish_cond(at, scope, binds, next, &mut b.right);
            }
            Expr::Let(l) => {
                self.finish_piece(at, scope, &mut *l.expr, |v, e| v.visit_expr_mut(e));
                let mut names = Vec::new();
                pat_names(&l.pat, &mut names);
                let end = (*next + names.len()).min(binds.len());
                let mine = &binds[*next..end];
                *next = end;
                *l.pat = self.pat(&l.pat, mine);
                scope.extend(mine);
            }
            other => self.finish_piece(at, scope, other, |v, e| v.visit_expr_mut(e)),
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
            Emit::Stmt { stmt, piece, .. } => {
                let mut stmt = stmt.clone();
                self.finish_piece(at, &piece.scope, &mut stmt, |v, s| v.visit_stmt_mut(s));
                quote!(#stmt)
            }
            Emit::Let {
                local,
                piece,
                binds,
            } => {
                let mut local = local.clone();
                if let Some(init) = &mut local.init {
                    self.finish_piece(at, &piece.scope, &mut *init.expr, |v, e| {
                        v.visit_expr_mut(e)
                    });
                    if let Some((_, d)) = &mut init.diverge {
                        self.finish_piece(at, &piece.scope, &mut **d, |v, e| v.visit_expr_mut(e));
                    }
                }
                local.pat = self.pat(&local.pat, binds);
                quote!(#local)
            }
            Emit::Await {
                value,
                piece,
                fut,
                span,
            } => {
                let mut value = value.clone();
                self.finish_piece(at, &piece.scope, &mut value, |v, e| v.visit_expr_mut(e));
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
                cond,
                piece,
                binds,
                then,
                els,
            } => {
                let mut cond = cond.clone();
                let mut scope = piece.scope.clone();
                self.finish_cond(at, &mut scope, binds, &mut 0, &mut cond);
                let then = self.code(then, at);
                let els = self.code(els, at);
                quote!(if #cond { #then } else { #els })
            }
            Emit::Match {
                scrutinee,
                piece,
                arms,
            } => {
                let mut scrutinee = scrutinee.clone();
                self.finish_piece(at, &piece.scope, &mut scrutinee, |v, e| v.visit_expr_mut(e));
                let arms = arms.iter().map(|arm| {
                    let pat = self.pat(&arm.pat, &arm.binds);
                    let guard = arm.guard.as_ref().map(|g| {
                        let mut g = g.clone();
                        self.finish_piece(at, &arm.piece.scope, &mut g, |v, e| v.visit_expr_mut(e));
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
            Emit::Yield { value, piece, next } => {
                let mut value = value.clone();
                self.finish_piece(at, &piece.scope, &mut value, |v, e| v.visit_expr_mut(e));
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
            let mut v = v.clone();
            self.finish_inner(at, &exit.scope, &exit.inner, &mut v, |vis, e| {
                vis.visit_expr_mut(e)
            });
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
            (Route::Dispatch(s), _) => {
                let state = self.construct(*s);
                quote!({ #assign __corio_state = #state; continue '__corio_dispatch; })
            }
            (Route::Return, ExitKind::Goto(_)) => unreachable!("a goto routed as a return"),
            (Route::Return, ExitKind::Return(value)) => {
                let value = match value {
                    Some(v) => {
                        let mut v = v.clone();
                        self.finish_inner(at, &exit.scope, &exit.inner, &mut v, |vis, e| {
                            vis.visit_expr_mut(e)
                        });
                        quote!(#v)
                    }
                    // The end of a body without a tail (or a bare `return;`): `()`, or, when
                    // the declared return type is another, unreachable as in the plain fn,
                    // whose statement that diverged may be in an earlier arm (`FallOff`).
                    None => match self.shape.ret_ty {
                        Some(ty) if !has_impl_trait(ty) && !is_unit(ty) => quote!({
                            use ::corio::__private::FallOffNever as _;
                            ::corio::__private::FallOff::<#ty>::new().value()
                        }),
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

/// Replaces `__corio_exit!(k)` with its transition and `__corio_resume!()` with the argument.
struct Markers<'a, 'b> {
    printer: &'a Printer<'b>,
    /// The copy of code being written: its state (for the resume value) and its routes.
    at: &'a Placement,
}

impl VisitMut for Markers<'_, '_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Macro(m) = e {
            if m.mac.path.is_ident("__corio_exit") {
                let k: syn::LitInt = m.mac.parse_body().expect("exit marker");
                let tokens = self
                    .printer
                    .exit(k.base10_parse().expect("exit number"), self.at);
                // the jump's own `#[cfg(…)]` (see `verbatim::keep_attrs`)
                let attrs = &m.attrs;
                *e = Expr::Verbatim(quote!(#(#attrs)* #tokens));
                return;
            }
            if m.mac.path.is_ident("__corio_resume") {
                let at_await = match self.printer.plan.states[self.at.state].kind {
                    Kind::Point(k) => self.printer.points[k].is_await,
                    _ => false,
                };
                let tokens = if at_await {
                    quote!(__corio_ready)
                } else if is_unit(self.printer.shape.resume_ty) {
                    quote!(())
                } else {
                    quote_spanned!(Span::call_site()=> match __corio_arg.take() {
                        ::core::option::Option::Some(arg) => arg,
                        ::core::option::Option::None => ::core::unreachable!(),
                    })
                };
                *e = Expr::Verbatim(tokens);
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }

    fn visit_stmt_mut(&mut self, s: &mut syn::Stmt) {
        if let syn::Stmt::Macro(m) = s
            && m.mac.path.is_ident("__corio_exit")
        {
            let k: syn::LitInt = m.mac.parse_body().expect("exit marker");
            let tokens = self
                .printer
                .exit(k.base10_parse().expect("exit number"), self.at);
            *s = syn::Stmt::Expr(Expr::Verbatim(tokens), None);
            return;
        }
        syn::visit_mut::visit_stmt_mut(self, s);
    }

    /// Exit markers inside an expression-like macro's arguments (`vec![f()?]`).
    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        if mentions(
            &m.tokens,
            &|t| matches!(t, TokenTree::Ident(i) if i == "__corio_exit"),
        ) {
            visit_macro_args(m, |e| self.visit_expr_mut(e));
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
