//! Stage 2: reject what cannot work, with a span and a remedy, collecting every error.
//!
//! Input: the function's signature, the attribute's arguments and the body as the user wrote
//! it. Output: the [`Flavor`] and errors only; nothing is rewritten. Invariant after it (when
//! no error): every suspension point is in the coroutine's own body, outside closures,
//! `async` blocks, nested items, other macros' arguments and `#[cfg]`'d code.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

use syn::ReturnType;

use crate::args::Args;
use crate::errors::Errors;
use crate::shape::Flavor;
use crate::suspend::is_yield_macro;

/// The signature: what cannot be a coroutine (`const`, `extern`, variadic), a generator
/// without its yield type, and attribute arguments that do not fit the flavor. Returns the
/// flavor the function becomes (a generator when the yield type is missing, after the error).
pub(crate) fn signature(sig: &syn::Signature, args: &Args, errors: &mut Errors) -> Flavor {
    if let Some(c) = &sig.constness {
        errors.error(c, "#[corio::coroutine] cannot be applied to a `const fn`: a coroutine is resumed at run time");
    }
    if let Some(abi) = &sig.abi {
        errors.error(abi, "#[corio::coroutine] cannot be applied to an `extern` fn: remove the ABI and wrap the coroutine in an extern fn if needed");
    }
    if let Some(v) = &sig.variadic {
        errors.error(v, "#[corio::coroutine] does not support variadic arguments");
    }
    let is_async = sig.asyncness.is_some();
    let flavor = match (is_async, &args.yield_ty) {
        (false, Some(_)) => Flavor::Generator,
        (true, None) => Flavor::AsyncFn,
        (true, Some(_)) => Flavor::AsyncGen,
        (false, None) => {
            errors.error(
                &sig.ident,
                "a generator needs its yield type: write `#[corio::coroutine(yield = T)]` \
                 (or make the function `async` for an async coroutine)",
            );
            Flavor::Generator
        }
    };
    if let (true, Some(resume)) = (is_async, &args.resume_ty) {
        errors.error(resume, "`resume = ...` is only for synchronous generators; an async generator is resumed by polling");
    }
    if let (Flavor::AsyncGen, ReturnType::Type(_, ty)) = (flavor, &sig.output) {
        errors.error(
            ty,
            "an async generator returns `()`: remove the return type, and yield the values instead",
        );
    }
    flavor
}

pub(crate) fn body(block: &syn::Block, is_async: bool, no_yield: bool, errors: &mut Errors) {
    let mut v = Validator {
        errors,
        context: None,
        is_async,
        no_yield,
    };
    v.visit_block(block);
}

struct Validator<'e> {
    errors: &'e mut Errors,
    /// Inside a closure / async block / nested fn: what to call it.
    context: Option<&'static str>,
    is_async: bool,
    /// An `async fn` without `yield = T`: it cannot yield.
    no_yield: bool,
}

impl Validator<'_> {
    fn yield_here(&mut self, mac: &syn::Macro) {
        if self.no_yield && self.context.is_none() {
            self.errors.error(
                &mac.path,
                "yield_! in an `async fn` needs a yield type: write \
                 `#[corio::coroutine(yield = T)]` to make it an async generator (a `Stream`)",
            );
        }
        if let Some(context) = self.context {
            self.errors.error(
                &mac.path,
                format!(
                    "yield_! cannot be used inside {context}: only the body of the \
                     #[corio::coroutine] fn itself can suspend; move the yield_! out of it"
                ),
            );
        }
    }

    /// `yield_!` and `.await` inside another macro's tokens: the pass cannot see them there.
    fn hidden_yields(&mut self, mac: &syn::Macro, tokens: TokenStream) {
        let outer = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let mut prev: Option<TokenTree> = None;
        for tt in tokens {
            let hidden = match (&prev, &tt) {
                (Some(TokenTree::Ident(i)), TokenTree::Punct(p))
                    if i == "yield_" && p.as_char() == '!' =>
                {
                    Some((i.span(), "yield_!", "yield_!(...)"))
                }
                (Some(TokenTree::Punct(p)), TokenTree::Ident(i))
                    if p.as_char() == '.' && i == "await" =>
                {
                    Some((i.span(), "`.await`", "future.await"))
                }
                _ => None,
            };
            if let Some((span, what, example)) = hidden {
                self.errors.push(syn::Error::new(
                    span,
                    format!(
                        "{what} cannot be used inside the arguments of `{outer}!`, which the \
                         coroutine pass cannot see into; bind its value first: \
                         `let value = {example};` and pass `value` to `{outer}!`"
                    ),
                ));
            }
            if let TokenTree::Group(g) = &tt {
                self.hidden_yields(mac, g.stream());
            }
            prev = Some(tt);
        }
    }

    fn nested(&mut self, context: &'static str, f: impl FnOnce(&mut Self)) {
        let saved = self.context.replace(context);
        f(self);
        self.context = saved;
    }
}

impl<'ast> Visit<'ast> for Validator<'_> {
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if is_yield_macro(mac) {
            self.yield_here(mac);
            if let Ok(arg) = crate::suspend::yield_arg(mac) {
                self.visit_expr(&arg);
            }
        } else {
            self.hidden_yields(mac, mac.tokens.clone());
        }
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        self.nested("a closure", |v| visit::visit_expr_closure(v, c));
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.nested("a nested async block", |v| visit::visit_expr_async(v, a));
    }

    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.nested("a nested item", |v| visit::visit_item(v, i));
    }

    fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
        if self.context.is_none() && !self.is_async {
            self.errors.error(
                a.await_token,
                "`.await` is only allowed in an `async fn` coroutine; make the function \
                 `async`, or suspend a generator with yield_!",
            );
        }
        visit::visit_expr_await(self, a);
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        if self.context.is_none() && crate::suspend::contains(&*arm.body) {
            self.cfg_around_point(&arm.attrs);
        }
        visit::visit_arm(self, arm);
    }

    fn visit_stmt(&mut self, stmt: &'ast syn::Stmt) {
        if self.context.is_none() && crate::suspend::contains(stmt) {
            let attrs = syn::parse::Parser::parse2(
                |input: syn::parse::ParseStream<'_>| {
                    let attrs = input.call(syn::Attribute::parse_outer)?;
                    input.parse::<TokenStream>()?;
                    Ok(attrs)
                },
                quote::ToTokens::to_token_stream(stmt),
            )
            .unwrap_or_default();
            self.cfg_around_point(&attrs);
        }
        visit::visit_stmt(self, stmt);
    }
}

impl Validator<'_> {
    /// `#[cfg(…)]` on a statement or arm that suspends: which states exist would depend on
    /// it, and a proc macro cannot evaluate it.
    fn cfg_around_point(&mut self, attrs: &[syn::Attribute]) {
        for attr in attrs {
            if attr.path().is_ident("cfg") {
                self.errors.error(
                    attr,
                    "a `#[cfg(...)]` on code that contains a suspension point is not supported: \
                     the coroutine pass cannot tell whether it is compiled in; keep the \
                     suspension point outside the cfg'd code (`#[cfg(...)] let x = helper();` \
                     then `yield_!(x)`), or choose with `if cfg!(...) { ... }`",
                );
            }
        }
    }
}
