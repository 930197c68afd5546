//! Finding suspension points: `yield_!(…)` and `.await`, outside closures, async blocks and
//! nested items (which are separate bodies).

use syn::visit::{self, Visit};
use syn::{Expr, Macro};

pub(crate) fn is_yield_macro(mac: &Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|s| s.ident == "yield_")
}

/// Does this syntax tree contain a suspension point of the current body?
pub(crate) fn contains<T: SuspendVisit>(node: &T) -> bool {
    let mut finder = Finder(false);
    node.visit_with(&mut finder);
    finder.0
}

struct Finder(bool);

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr(&mut self, e: &'ast Expr) {
        if self.0 {
            return;
        }
        match e {
            Expr::Macro(m) if is_yield_macro(&m.mac) => self.0 = true,
            Expr::Await(_) => self.0 = true,
            Expr::Closure(_) | Expr::Async(_) => {}
            _ => visit::visit_expr(self, e),
        }
    }
    fn visit_stmt_macro(&mut self, m: &'ast syn::StmtMacro) {
        if is_yield_macro(&m.mac) {
            self.0 = true;
        }
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

pub(crate) trait SuspendVisit {
    fn visit_with<'a>(&'a self, v: &mut impl Visit<'a>);
}

impl SuspendVisit for Expr {
    fn visit_with<'a>(&'a self, v: &mut impl Visit<'a>) {
        v.visit_expr(self)
    }
}

impl SuspendVisit for syn::Stmt {
    fn visit_with<'a>(&'a self, v: &mut impl Visit<'a>) {
        v.visit_stmt(self)
    }
}

impl SuspendVisit for syn::Block {
    fn visit_with<'a>(&'a self, v: &mut impl Visit<'a>) {
        v.visit_block(self)
    }
}

/// The operand of `yield_!(…)`; `yield_!()` yields `()`.
pub(crate) fn yield_arg(mac: &Macro) -> syn::Result<Expr> {
    if mac.tokens.is_empty() {
        Ok(syn::parse_quote!(()))
    } else {
        mac.parse_body::<Expr>()
    }
}
