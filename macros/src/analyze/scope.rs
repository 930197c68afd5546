//! Bindings and name resolution: every `let`, pattern and argument becomes a [`Binding`],
//! and a name resolves to the innermost binding of that name in scope.
//!
//! Input: names and patterns, as `segment` walks the body. Output: `Binding`s (ids into
//! `Plan::bindings`) and the stack of those in scope. Invariant: `stack` only grows by
//! `bind`/`pattern` and shrinks back to a mark at the end of a block, so it is always the
//! bindings visible where the walk is, innermost last.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Expr, Pat, Type};

use super::ref_place::{self, Root};
use crate::plan::{Binding, Id};
use crate::syntax::pat_names;

#[derive(Default)]
pub(crate) struct Scope {
    /// Every binding made so far (ids index it).
    pub(crate) bindings: Vec<Binding>,
    /// The bindings in scope, innermost last.
    pub(crate) stack: Vec<Id>,
}

impl Scope {
    pub(crate) fn bind(
        &mut self,
        name: String,
        mutable: bool,
        by_ref: bool,
        ty: Option<Type>,
        span: Span,
    ) -> Id {
        self.bindings.push(Binding {
            display: name.clone(),
            name,
            mutable,
            by_ref,
            ty,
            span,
            site: span,
            borrows: None,
            owned: false,
            arg_ty: None,
            ref_local: false,
        });
        self.bindings.len() - 1
    }

    pub(crate) fn resolve(&self, name: &str) -> Option<Id> {
        self.stack
            .iter()
            .rev()
            .copied()
            .find(|&b| self.bindings[b].name == name)
    }

    /// The `ref` bindings of `pat` that borrow a place of the frame when it matches
    /// `scrutinee` (see `ref_place`); names in `shadowed` (bound earlier in a let chain) are
    /// not known.
    pub(crate) fn frame_refs(
        &self,
        pat: &Pat,
        scrutinee: &Expr,
        shadowed: &[String],
    ) -> Vec<String> {
        let root = |name: &str| {
            if shadowed.iter().any(|n| n == name) {
                return Some(Root::Unknown);
            }
            let b = &self.bindings[self.resolve(name)?];
            // A `ref x: T` binding's type is `&T`: its annotation says nothing of `x`.
            let written = if b.by_ref { None } else { b.ty.as_ref() };
            Some(match written.or(b.arg_ty.as_ref()) {
                Some(ty) => Root::Typed(Box::new(ty.clone())),
                None if b.owned => Root::Container,
                None => Root::Unknown,
            })
        };
        ref_place::frame_refs(pat, scrutinee, &root)
    }

    /// `frame_refs` of each `let` of a condition (`if let`, let chains).
    pub(crate) fn cond_frame_refs(&self, cond: &Expr, bound: &mut Vec<String>) -> Vec<String> {
        match cond {
            Expr::Let(l) => {
                let refs = self.frame_refs(&l.pat, &l.expr, bound);
                let mut names = Vec::new();
                pat_names(&l.pat, &mut names);
                bound.extend(names.into_iter().map(|n| n.0));
                refs
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                let mut refs = self.cond_frame_refs(&b.left, bound);
                refs.extend(self.cond_frame_refs(&b.right, bound));
                refs
            }
            Expr::Paren(p) => self.cond_frame_refs(&p.expr, bound),
            _ => Vec::new(),
        }
    }

    /// Marks the `ref` bindings among `binds` that `refs` (from `frame_refs`) names.
    pub(crate) fn mark_frame_refs(&mut self, binds: &[Id], refs: &[String]) {
        for &b in binds {
            if refs.contains(&self.bindings[b].name) {
                self.bindings[b].ref_local = true;
            }
        }
    }

    pub(crate) fn pattern(&mut self, pat: &Pat, ty: Option<&Type>) -> Vec<Id> {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        let single = names.len() == 1;
        names
            .into_iter()
            .map(|(name, mutable, by_ref, span)| {
                let ty = if single { ty.cloned() } else { None };
                let id = self.bind(name, mutable, by_ref, ty, span);
                self.bindings[id].site = pat.span();
                id
            })
            .collect()
    }
}
