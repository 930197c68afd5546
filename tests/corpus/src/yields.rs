//! Inserting `yield_!(())` into a copied body: at the start of every block of the body and
//! between its statements, and in a few expression positions whose meaning a block around
//! the operand does not change (a `let` initialiser bound to a plain name with no type, an
//! `if`/`while` condition, a `return` value).
//!
//! Closures, async blocks, `const` blocks, nested items and macro arguments are left alone:
//! they are other bodies (or token soup), where a suspension point of this one cannot go.

use proc_macro2::TokenTree;
use quote::ToTokens;
use syn::visit_mut::{self, VisitMut};
use syn::{Block, Expr, Pat, Stmt, parse_quote};

/// Adds suspension points to `block` (a function body), in place; returns how many.
/// `in_unsafe`: also inside `unsafe { }` blocks.
pub(crate) fn insert(block: &mut Block, in_unsafe: bool) -> usize {
    let mut v = Inserter {
        count: 0,
        in_unsafe,
    };
    v.visit_block_mut(block);
    v.count
}

struct Inserter {
    count: usize,
    in_unsafe: bool,
}

impl Inserter {
    fn yield_stmt(&mut self) -> Stmt {
        self.count += 1;
        parse_quote!(yield_!(());)
    }

    /// `{ yield_!(()); expr }`: the operand evaluated after a suspension point.
    fn wrap(&mut self, expr: &mut Expr) {
        let y = self.yield_stmt();
        let inner = std::mem::replace(expr, parse_quote!(()));
        *expr = Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: Block {
                brace_token: Default::default(),
                stmts: vec![y, Stmt::Expr(inner, None)],
            },
        });
    }
}

/// A statement that is code, not an item (`fn`, `use`, `struct` …) or an empty statement.
fn is_code(stmt: &Stmt) -> bool {
    !matches!(stmt, Stmt::Item(_))
}

/// A statement with a `#[cfg(…)]` (or `#[cfg_attr(…)]`) attribute.
fn has_cfg(stmt: &Stmt) -> bool {
    let mut tokens = stmt.to_token_stream().into_iter();
    match (tokens.next(), tokens.next()) {
        (Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) if p.as_char() == '#' => {
            matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "cfg" || i == "cfg_attr")
        }
        _ => false,
    }
}

/// An operand that a block would not change: no place expression whose move-ness or
/// reborrow matters is involved, because the value is a `bool` (conditions) or leaves the
/// function (`return`), or it is bound by value to a fresh name with no coercion (a `let`
/// with no type annotation, no `ref`, no `_`).
fn plain_binding(pat: &Pat) -> bool {
    matches!(pat, Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none())
}

impl VisitMut for Inserter {
    fn visit_block_mut(&mut self, block: &mut Block) {
        // Inner blocks and expressions first, so that the wrappers added here are not
        // visited again. A `#[cfg]` statement is left as it is: it may vanish (so the one
        // before it may be the block's value), and the pass rejects a suspension point in it
        // by design (README's list).
        for stmt in &mut block.stmts {
            if !has_cfg(stmt) {
                self.visit_stmt_mut(stmt);
            }
        }
        // A suspension point before every statement that is code: at the start of the
        // block and between statements.
        for stmt in std::mem::take(&mut block.stmts) {
            if is_code(&stmt) && !has_cfg(&stmt) {
                let y = self.yield_stmt();
                block.stmts.push(y);
            }
            block.stmts.push(stmt);
        }
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        visit_mut::visit_local_mut(self, local);
        // `let r = &x;` stays as written: a block around it would only hide the borrow.
        if let Some(init) = &mut local.init
            && init.diverge.is_none()
            && plain_binding(&local.pat)
            && !matches!(*init.expr, Expr::Reference(_))
        {
            self.wrap(&mut init.expr);
        }
    }

    fn visit_expr_if_mut(&mut self, e: &mut syn::ExprIf) {
        visit_mut::visit_expr_if_mut(self, e);
        if !contains_let(&e.cond) {
            self.wrap(&mut e.cond);
        }
    }

    fn visit_expr_while_mut(&mut self, e: &mut syn::ExprWhile) {
        visit_mut::visit_expr_while_mut(self, e);
        if !contains_let(&e.cond) {
            self.wrap(&mut e.cond);
        }
    }

    fn visit_expr_return_mut(&mut self, e: &mut syn::ExprReturn) {
        visit_mut::visit_expr_return_mut(self, e);
        if let Some(value) = &mut e.expr {
            self.wrap(value);
        }
    }

    fn visit_expr_unsafe_mut(&mut self, e: &mut syn::ExprUnsafe) {
        if self.in_unsafe {
            visit_mut::visit_expr_unsafe_mut(self, e);
        }
    }

    // Other bodies: no suspension point of this function can go there.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_expr_async_mut(&mut self, _: &mut syn::ExprAsync) {}
    fn visit_expr_const_mut(&mut self, _: &mut syn::ExprConst) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    fn visit_macro_mut(&mut self, _: &mut syn::Macro) {}
}

/// `if let …` / let chains: the condition is not an expression that can be wrapped.
fn contains_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => contains_let(&b.left) || contains_let(&b.right),
        Expr::Paren(p) => contains_let(&p.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    #[test]
    fn cfg_statements_are_left_as_they_are() {
        let out = run(
            "fn f(n: u8) -> bool { #[cfg(a)] match n { 0 => true, _ => false } #[cfg(b)] { g(); n > 0 } }",
        );
        assert_eq!(
            out,
            "fn f(n: u8) -> bool { #[cfg(a)] match n { 0 => true, _ => false, } #[cfg(b)] { g(); n > 0 } }"
        );
    }

    fn run(src: &str) -> String {
        let mut f: syn::ItemFn = syn::parse_str(src).unwrap();
        super::insert(&mut f.block, true);
        prettyplease::unparse(&syn::parse_quote!(#f))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn between_statements_and_at_block_starts() {
        let out =
            run("fn f(v: &mut Vec<u32>) -> u32 { v.push(1); if v.is_empty() { return 0 } v[0] }");
        assert_eq!(
            out,
            "fn f(v: &mut Vec<u32>) -> u32 { yield_!(()); v.push(1); yield_!(()); \
             if { yield_!(()); v.is_empty() } { yield_!(()); return { yield_!(()); 0 }; } \
             yield_!(()); v[0] }"
        );
    }

    #[test]
    fn let_initialisers_only_when_a_block_changes_nothing() {
        let out = run("fn f(a: &mut u8) { let x = g(); let y: &mut u8 = a; let ref z = h(); }");
        assert!(out.contains("let x = { yield_!(()); g() };"), "{out}");
        assert!(out.contains("let y: &mut u8 = a;"), "{out}");
        assert!(out.contains("let ref z = h();"), "{out}");
    }

    #[test]
    fn other_bodies_are_left_alone() {
        let src = "fn f() { let c = || { a(); b() }; fn inner() { a(); b(); } m!(a(); b()); }";
        let mut f: syn::ItemFn = syn::parse_str(src).unwrap();
        let n = super::insert(&mut f.block, true);
        let text = f.block.to_token_stream().to_string();
        // before the two statements that are code and around the `let` initialiser; the
        // closure's body, the nested fn and the macro's arguments are not touched
        assert_eq!(n, 3, "{text}");
        assert!(text.contains("| | { a () ; b () }"), "{text}");
        assert!(text.contains("fn inner () { a () ; b () ; }"), "{text}");
    }
}
