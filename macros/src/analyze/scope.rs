//! Bindings and name resolution: every `let`, pattern and argument becomes a [`Binding`],
//! and a name resolves to the innermost binding of that name in scope.
//!
//! Input: names and patterns, as `segment` walks the body. Output: `Binding`s (ids into
//! `Plan::bindings`) and the stack of those in scope. Invariant: `stack` only grows by
//! `bind`/`pattern` and shrinks back to a mark at the end of a block, so it is always the
//! bindings visible where the walk is, innermost last.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Pat, Type};

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
