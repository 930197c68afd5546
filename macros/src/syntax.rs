//! Small syntax helpers the stages share: the names a pattern or condition binds, renaming
//! them, looking for a token, and the expressions inside `vec!`/`format!`/`matches!`-like
//! macro arguments. Pure functions of syntax; no stage state.

use proc_macro2::{TokenStream, TokenTree};
use syn::visit_mut::VisitMut;
use syn::{Expr, Pat, Token};

/// The bindings a pattern introduces: `(name, mut, ref, the identifier's span)`.
pub(crate) type PatName = (String, bool, bool, proc_macro2::Span);

pub(crate) fn pat_names(pat: &Pat, out: &mut Vec<PatName>) {
    struct Names<'a>(&'a mut Vec<PatName>);
    impl syn::visit::Visit<'_> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &syn::PatIdent) {
            let name = p.ident.to_string();
            let constant_like = p.by_ref.is_none()
                && p.mutability.is_none()
                && p.subpat.is_none()
                && name.starts_with(|c: char| c.is_ascii_uppercase());
            if !constant_like {
                self.0.push((
                    name,
                    p.mutability.is_some(),
                    p.by_ref.is_some(),
                    p.ident.span(),
                ));
            }
            if let Some((_, sub)) = &p.subpat {
                self.visit_pat(sub);
            }
        }
        fn visit_expr(&mut self, _: &syn::Expr) {}
    }
    syn::visit::Visit::visit_pat(&mut Names(out), pat);
}

/// The names a condition binds for its `then` branch (`if let` and let chains).
pub(crate) fn cond_names(cond: &Expr, out: &mut Vec<PatName>) {
    match cond {
        Expr::Let(l) => pat_names(&l.pat, out),
        Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
            cond_names(&b.left, out);
            cond_names(&b.right, out);
        }
        Expr::Paren(p) => cond_names(&p.expr, out),
        _ => {}
    }
}

/// Does a token (at any depth) satisfy `pred`?
pub(crate) fn mentions(tokens: &TokenStream, pred: &dyn Fn(&TokenTree) -> bool) -> bool {
    tokens.clone().into_iter().any(|t| match &t {
        TokenTree::Group(g) => mentions(&g.stream(), pred),
        _ => pred(&t),
    })
}

/// The arguments of `matches!(value, pattern if guard)`.
pub(crate) struct MatchesArgs {
    pub(crate) value: Expr,
    comma: Token![,],
    pub(crate) pat: Pat,
    pub(crate) guard: Option<(Token![if], Expr)>,
    trailing: Option<Token![,]>,
}

impl MatchesArgs {
    /// The arguments of a `matches!` call, if it is one and they have that shape.
    pub(crate) fn parse(m: &syn::Macro) -> Option<Self> {
        if m.path.segments.last().is_none_or(|s| s.ident != "matches") {
            return None;
        }
        let parser = |input: syn::parse::ParseStream<'_>| -> syn::Result<Self> {
            let value = input.parse()?;
            let comma = input.parse()?;
            let pat = Pat::parse_multi_with_leading_vert(input)?;
            let guard = if input.peek(Token![if]) {
                Some((input.parse()?, input.parse()?))
            } else {
                None
            };
            let trailing = input.parse()?;
            Ok(MatchesArgs {
                value,
                comma,
                pat,
                guard,
                trailing,
            })
        };
        m.parse_body_with(parser).ok()
    }

    pub(crate) fn write(self, m: &mut syn::Macro) {
        let MatchesArgs {
            value,
            comma,
            pat,
            guard,
            trailing,
        } = self;
        let guard = guard.map(|(if_token, g)| quote::quote!(#if_token #g));
        m.tokens = quote::quote!(#value #comma #pat #guard #trailing);
    }
}

/// Renames the identifiers a pattern binds (for bindings that must be renamed).
pub(crate) fn rename_pat(pat: &mut Pat, rename: &dyn Fn(&str) -> Option<String>) {
    struct R<'a>(&'a dyn Fn(&str) -> Option<String>);
    impl VisitMut for R<'_> {
        /// A renamed shorthand (`Pt { y }`) names its field: `Pt { y: __corio_y_2 }`.
        fn visit_field_pat_mut(&mut self, f: &mut syn::FieldPat) {
            self.visit_pat_mut(&mut f.pat);
            if f.colon_token.is_none() {
                f.colon_token = Some(Default::default());
            }
        }
        fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
            if let Some(to) = (self.0)(&p.ident.to_string()) {
                p.ident = proc_macro2::Ident::new(&to, p.ident.span());
            }
            if let Some((_, sub)) = &mut p.subpat {
                self.visit_pat_mut(sub);
            }
        }
        fn visit_expr_mut(&mut self, _: &mut Expr) {}
    }
    R(rename).visit_pat_mut(pat);
}

/// An expression's outer attributes (`#[cfg(x)] { … }`); none for the kinds that cannot start
/// a statement with one.
pub(crate) fn expr_attrs(e: &Expr) -> &[syn::Attribute] {
    match e {
        Expr::Array(x) => &x.attrs,
        Expr::Assign(x) => &x.attrs,
        Expr::Async(x) => &x.attrs,
        Expr::Await(x) => &x.attrs,
        Expr::Binary(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Break(x) => &x.attrs,
        Expr::Call(x) => &x.attrs,
        Expr::Cast(x) => &x.attrs,
        Expr::Closure(x) => &x.attrs,
        Expr::Continue(x) => &x.attrs,
        Expr::Field(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Index(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Paren(x) => &x.attrs,
        Expr::Path(x) => &x.attrs,
        Expr::Return(x) => &x.attrs,
        Expr::Struct(x) => &x.attrs,
        Expr::Try(x) => &x.attrs,
        Expr::Tuple(x) => &x.attrs,
        Expr::Unary(x) => &x.attrs,
        Expr::Unsafe(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        _ => &[],
    }
}
