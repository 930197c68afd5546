//! The code of a node as the printer gets it: [`Code`], cut right after `verbatim` has
//! walked it (see `verbatim::cut`), and a condition's pieces, conjunct by conjunct.
//!
//! Input: a node's syntax, its placeholders in `Lower::holes`. Output: its `Code` (the table
//! emptied of its parts); for a condition, its `Piece` and the bindings its `let`s make.
//!
//! ```text
//! let Some(x) = ⟨resume⟩ else { ⟨exit 3⟩ };   [Tokens(let), Pattern(Some(x)), Tokens(=),
//!                                               ElseInit([Resume]), Tokens(else), Group({…})]
//! ```

use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Expr, Pat};

use super::Lower;
use crate::plan::{Code, Id, Part, Piece, Set};
use crate::syntax::pat_names;
use crate::verbatim;

impl Lower<'_> {
    pub(super) fn empty_piece(&self) -> Piece {
        Piece {
            scope: self.scope.stack.clone(),
            uses: Set::new(),
            assigns: Set::new(),
            exits: Vec::new(),
            facts: Default::default(),
        }
    }

    /// Analyses an `if`'s condition conjunct by conjunct, binding what each `let` of a let
    /// chain binds (into `binds` and the scope) before the conjuncts after it: an exit there
    /// (`return a`) names the chain's `a`, renamed with it if it must be, not an outer `a`.
    /// The piece keeps the scope before the condition, and only reads of bindings outside it.
    pub(super) fn cond_piece(&mut self, e: &mut Expr, piece: &mut Piece, binds: &mut Vec<Id>) {
        let part = match e {
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.cond_piece(&mut b.left, piece, binds);
                self.cond_piece(&mut b.right, piece, binds);
                return;
            }
            Expr::Let(l) => {
                let part = self.piece(|v| v.visit_expr_mut(&mut l.expr));
                let mut names = Vec::new();
                pat_names(&l.pat, &mut names);
                let mut mine = Vec::new();
                for (n, m, r, span) in names {
                    let b = self.scope.bind(n, m, r, None, span);
                    mine.push(b);
                    self.scope.stack.push(b);
                }
                binds.extend(&mine);
                let pat = std::mem::replace(&mut *l.pat, Pat::Verbatim(Default::default()));
                let span = pat.span();
                let hole = self.holes.put(Part::Pattern(pat, mine), span);
                *l.pat = Pat::Verbatim(hole.into_token_stream());
                part
            }
            other => self.piece(|v| v.visit_expr_mut(other)),
        };
        piece
            .uses
            .extend(part.uses.iter().filter(|b| !binds.contains(b)));
        piece
            .assigns
            .extend(part.assigns.iter().filter(|b| !binds.contains(b)));
        piece.exits.extend(part.exits);
    }

    /// The [`Code`] of a node the walks since the last cut left placeholders in.
    pub(super) fn cut(&mut self, node: &impl ToTokens) -> Code {
        verbatim::cut(node, &mut self.holes)
    }

    /// A `let`'s code. Of a `let … else`, the initialiser is a [`Part::ElseInit`]: whether
    /// it needs parentheses depends on how its last part prints.
    pub(super) fn cut_local(&mut self, mut local: syn::Local) -> Code {
        let Some(init) = local.init.take_if(|i| i.diverge.is_some()) else {
            return self.cut(&local);
        };
        let (attrs, let_token, pat) = (&local.attrs, &local.let_token, &local.pat);
        let mut code = self.cut(&quote::quote!(#(#attrs)* #let_token #pat));
        code.0.push(Part::Tokens(init.eq_token.to_token_stream()));
        code.0.push(Part::ElseInit(self.cut(&init.expr)));
        let (else_token, diverge) = init.diverge.expect("a `let … else`");
        let semi = &local.semi_token;
        let rest = match *diverge {
            Expr::Block(b) => self.cut(&quote::quote!(#else_token #b #semi)),
            d => self.cut(&quote::quote!(#else_token { #d } #semi)),
        };
        code.0.extend(rest.0);
        code
    }
}
