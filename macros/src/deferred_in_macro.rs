//! A deferred `let x;` assigned only inside a macro call the pass cannot see into (`asm!`
//! outputs, `m!(x = …)`), in a block that suspends: a spanned error with a remedy.
//!
//! Input: the body as the user wrote it. Output: errors only. The pass declares a deferred
//! binding again in the state where it sees the binding assigned (see
//! `analyze::liveness::drop_idle_deferred`); an assignment made by a macro's expansion is not
//! seen, so the declaration would be dropped and rustc would report E0425 "cannot find value"
//! inside our expansion. Only where that certainly happens: the binding is bound once in the
//! whole body (no shadowing to confuse names), never assigned by anything the pass sees, a
//! later statement of its block mentions it inside a macro's arguments, and some statement
//! of that block contains a suspension point (a block without one is kept verbatim).

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Block, Stmt};

use crate::errors::Errors;
use crate::suspend::{contains, is_yield_macro};
use crate::syntax::pat_names;

/// Reports each deferred binding of `block` assigned only inside a macro call (see the module).
pub(crate) fn check(block: &Block, errors: &mut Errors) {
    let mut names = Names::default();
    names.visit_block(block);
    let mut blocks = Blocks {
        names: &names,
        errors,
    };
    blocks.visit_block(block);
}

/// How often each name is bound, and the names assignments the pass sees mention.
#[derive(Default)]
struct Names {
    bound: Vec<String>,
    assigned: Vec<String>,
}

impl Visit<'_> for Names {
    fn visit_pat_ident(&mut self, p: &syn::PatIdent) {
        self.bound.push(p.ident.to_string());
        visit::visit_pat_ident(self, p);
    }

    fn visit_expr_assign(&mut self, a: &syn::ExprAssign) {
        // every identifier on the left counts (`(q, r) = …`, `x.0 = …`, `v[i] = …`): the
        // check only errs where nothing the pass sees could assign the binding
        struct Idents<'a>(&'a mut Vec<String>);
        impl Visit<'_> for Idents<'_> {
            fn visit_ident(&mut self, i: &proc_macro2::Ident) {
                self.0.push(i.to_string());
            }
        }
        Idents(&mut self.assigned).visit_expr(&a.left);
        visit::visit_expr_assign(self, a);
    }
}

struct Blocks<'a, 'e> {
    names: &'a Names,
    errors: &'e mut Errors,
}

impl Visit<'_> for Blocks<'_, '_> {
    fn visit_block(&mut self, block: &Block) {
        if block.stmts.iter().any(contains) {
            for (i, stmt) in block.stmts.iter().enumerate() {
                let Stmt::Local(local) = stmt else { continue };
                if local.init.is_some() {
                    continue;
                }
                let mut bound = Vec::new();
                pat_names(&local.pat, &mut bound);
                let all: Vec<&str> = bound.iter().map(|b| b.0.as_str()).collect();
                let values = match all.as_slice() {
                    [one] => (*one).to_string(),
                    many => format!("({})", many.join(", ")),
                };
                for (name, ..) in bound {
                    let once = self.names.bound.iter().filter(|n| **n == name).count() == 1;
                    if !once || self.names.assigned.contains(&name) {
                        continue;
                    }
                    let mut found = None;
                    for later in &block.stmts[i + 1..] {
                        let mut m = Mention {
                            name: &name,
                            found: None,
                        };
                        m.visit_stmt(later);
                        if m.found.is_some() {
                            found = m.found;
                            break;
                        }
                    }
                    if let Some(mac) = found {
                        let pat = &local.pat;
                        let pat = quote::quote!(#pat).to_string().replace(" :", ":");
                        let path = &mac.path;
                        let path = quote::quote!(#path).to_string().replace(' ', "");
                        self.errors.error(
                            &mac,
                            format!(
                                "`{name}` is declared without a value (`let {pat};`) and assigned \
                                 only inside `{path}!`, which the coroutine pass cannot see into, \
                                 in a block with a suspension point; declare and assign it in a \
                                 block without one: `let {pat} = {{ let {pat}; {path}!(…); \
                                 {values} }};`"
                            ),
                        );
                        // one error for the `let`: its other bindings have the same remedy
                        break;
                    }
                }
            }
        }
        visit::visit_block(self, block);
    }

    // closures and nested items are checked by rustc as written (the pass keeps them verbatim)
    fn visit_item(&mut self, _: &syn::Item) {}
}

/// The first macro call (not `yield_!`) whose arguments mention `name`.
struct Mention<'n> {
    name: &'n str,
    found: Option<syn::Macro>,
}

impl Visit<'_> for Mention<'_> {
    fn visit_macro(&mut self, m: &syn::Macro) {
        if self.found.is_none() && !is_yield_macro(m) && names_a_value(&m.tokens, self.name) {
            self.found = Some(m.clone());
        }
    }

    fn visit_item(&mut self, _: &syn::Item) {}
}

/// Whether `tokens` mention `name` other than as a macro's name (`div!()`, `macro_rules! div`).
fn names_a_value(tokens: &TokenStream, name: &str) -> bool {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let bang = |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == '!');
    tokens.iter().enumerate().any(|(k, t)| match t {
        TokenTree::Group(g) => names_a_value(&g.stream(), name),
        TokenTree::Ident(i) if i == name => {
            let called = bang(tokens.get(k + 1));
            let defined = k >= 2
                && bang(tokens.get(k - 1))
                && matches!(&tokens[k - 2], TokenTree::Ident(m) if m == "macro_rules");
            !called && !defined
        }
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::names_a_value;
    use quote::quote;

    #[test]
    fn a_macro_name_is_not_a_value() {
        let def = quote!(
            macro_rules! div {
                () => {
                    "div {0:e}"
                };
            }
        );
        assert!(!names_a_value(&def, "div"));
        assert!(!names_a_value(&quote!(div!(), in(reg) d), "div"));
        assert!(names_a_value(&quote!(div!(), inout("ax") lo => div), "div"));
        assert!(names_a_value(&quote!(!div), "div"));
    }
}
