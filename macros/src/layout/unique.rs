//! May a copy of code hold a closure or an `async` block, each a type of its own? Where two
//! copies would give two types to one frame field or one value, code is not copied
//! (`Facts::unique_types`, `Facts::closures`).

use quote::ToTokens;

use super::Layouter;
use crate::plan::{Emit, ExitKind, Id, Piece, Set};

/// Is `ty` written without `_` or `impl`, so that no closure's type can be part of it?
fn written_in_full(ty: &syn::Type) -> bool {
    fn walk(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().all(|tt| match tt {
            proc_macro2::TokenTree::Ident(i) => i != "_" && i != "impl",
            proc_macro2::TokenTree::Group(g) => walk(g.stream()),
            proc_macro2::TokenTree::Punct(p) => p.as_char() != '_',
            proc_macro2::TokenTree::Literal(_) => true,
        })
    }
    walk(ty.to_token_stream())
}

impl Layouter<'_> {
    /// May the code written for `code` hold a closure or an `async` block? (Inline copies
    /// inside it never do: they are made only of code that does not.)
    pub(super) fn unique(&self, code: &[Emit]) -> bool {
        code.iter().any(|e| match e {
            Emit::Stmt { piece, .. } | Emit::Let { piece, .. } | Emit::Await { piece, .. } => {
                self.piece_unique(piece)
            }
            Emit::If {
                piece, then, els, ..
            } => self.piece_unique(piece) || self.unique(then) || self.unique(els),
            Emit::Match { piece, arms, .. } => {
                self.piece_unique(piece)
                    || arms
                        .iter()
                        .any(|a| self.piece_unique(&a.piece) || self.unique(&a.body))
            }
            Emit::Block(inner) => self.unique(inner),
            Emit::Exit(k) => self.exit_unique(*k),
            Emit::Yield { piece, .. } => self.piece_unique(piece) || self.yield_unique,
            Emit::Poll { .. } => false,
        })
    }

    fn piece_unique(&self, piece: &Piece) -> bool {
        piece.facts.unique_types || piece.exits.iter().any(|&k| self.exit_unique(k))
    }

    fn exit_unique(&self, k: usize) -> bool {
        let exit = &self.plan.exits[k];
        exit.facts.unique_types || (matches!(exit.kind, ExitKind::Return(_)) && self.return_unique)
    }

    /// Like [`Self::unique`], for code that is copied within one step: a closure or an
    /// `async` block matters only where its type reaches a type that all copies share: a
    /// frame field (a binding some state keeps, an awaited future) or a value temporary. It
    /// does not from a statement whose value is dropped, nor from a `let`, `if let` or
    /// `match` whose bindings no state keeps (`let n = v.iter().map(|e| e + 1).sum::<u32>();`)
    /// unless such a binding is later read where something kept is made (`let it =
    /// v.iter().map(f); let mut kept = it.peekable();`), nor from a `let x: T` with no `_` or
    /// `impl` in `T`, nor from a returned or yielded value (their types are declared). Here a
    /// `|` is a closure only where an expression starts (`Facts::closures`), not an or-pattern.
    pub(super) fn unique_kept(&self, code: &[Emit]) -> bool {
        self.kept_walk(code, &mut Set::new())
    }

    /// [`Self::unique_kept`] over `code` in order; `tainted`: bindings no state keeps whose
    /// type may be a closure's.
    fn kept_walk(&self, code: &[Emit], tainted: &mut Set) -> bool {
        let local = |binds: &[Id]| binds.iter().all(|b| !self.kept.contains(b));
        for e in code {
            let t: &Set = tainted;
            // A value temporary assigned where a tainted binding is in scope may take its type.
            let exit = |k: usize| {
                self.exit_kept_unique(k) || (!t.is_empty() && self.plan.exits[k].assign.is_some())
            };
            let exits = |piece: &Piece| piece.exits.iter().any(|&k| exit(k));
            let carries =
                |piece: &Piece| piece.facts.closures || piece.uses.iter().any(|b| t.contains(b));
            let mut taint = Vec::new();
            let hit = match e {
                Emit::Stmt { piece, defs, .. } => {
                    let made: Vec<Id> = defs.iter().chain(&piece.assigns).copied().collect();
                    if carries(piece) {
                        taint.extend(made.iter().copied());
                    }
                    exits(piece) || (carries(piece) && !local(&made))
                }
                Emit::Let { piece, binds, .. } => {
                    let typed = binds.len() == 1
                        && self.plan.bindings[binds[0]]
                            .ty
                            .as_ref()
                            .is_some_and(written_in_full);
                    let carried = carries(piece) && !typed;
                    if carried {
                        taint.extend(binds.iter().copied());
                    }
                    exits(piece) || (carried && !local(binds))
                }
                Emit::If {
                    piece,
                    binds,
                    then,
                    els,
                    ..
                } => {
                    let mut inner = t.clone();
                    if carries(piece) {
                        inner.extend(binds.iter().copied());
                    }
                    exits(piece)
                        || (carries(piece) && !local(binds))
                        || self.kept_walk(then, &mut inner.clone())
                        || self.kept_walk(els, &mut inner)
                }
                Emit::Match { piece, arms, .. } => {
                    exits(piece)
                        || arms.iter().any(|a| {
                            let mut inner = t.clone();
                            if carries(piece) {
                                inner.extend(a.binds.iter().copied());
                            }
                            (carries(piece) && !local(&a.binds))
                                || exits(&a.piece)
                                || self.kept_walk(&a.body, &mut inner)
                        })
                }
                Emit::Block(inner) => self.kept_walk(inner, &mut t.clone()),
                Emit::Await { piece, .. } => carries(piece) || exits(piece),
                Emit::Exit(k) => exit(*k),
                // The yielded value has the declared yield type.
                Emit::Yield { piece, .. } => exits(piece) || self.yield_unique,
                Emit::Poll { .. } => false,
            };
            if hit {
                return true;
            }
            tainted.extend(taint);
        }
        false
    }

    /// Can exit `k` give a closure's type to what copies share? A returned value has the
    /// declared return type; a value temporary's type is one for all copies.
    fn exit_kept_unique(&self, k: usize) -> bool {
        let exit = &self.plan.exits[k];
        match exit.kind {
            ExitKind::Return(_) => self.return_unique,
            ExitKind::Goto(_) => exit.facts.closures,
        }
    }
}
