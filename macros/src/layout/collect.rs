//! What the arms' copies of code need around them: the states they build (so each gets an
//! arm) and the type anchors they mention (so each is declared).

use std::collections::BTreeSet;

use super::{Layouter, Placement, Route};
use crate::plan::{Emit, Piece, Set};
use crate::shape::Shape;

impl Layouter<'_> {
    /// The states a copy of code builds (stores in the frame or hands to the dispatcher).
    pub(super) fn builds(&self, p: &Placement, code: &[Emit], out: &mut Set) {
        fn stores(code: &[Emit], out: &mut Set) {
            for e in code {
                match e {
                    Emit::Yield { next, .. } => {
                        out.insert(*next);
                    }
                    Emit::Poll { state, .. } => {
                        out.insert(*state);
                    }
                    Emit::If { then, els, .. } => {
                        stores(then, out);
                        stores(els, out);
                    }
                    Emit::Match { arms, .. } => arms.iter().for_each(|a| stores(&a.body, out)),
                    Emit::Block(inner) => stores(inner, out),
                    _ => {}
                }
            }
        }
        stores(code, out);
        for route in p.routes.values() {
            match route {
                Route::Dispatch(s) => {
                    out.insert(*s);
                }
                Route::Inline(inner) => {
                    // On `Pending` the await state is stored.
                    out.insert(inner.state);
                    self.builds(inner, &self.plan.states[inner.state].code[1..], out);
                }
                Route::Copy(inner) => self.builds(inner, &self.plan.states[inner.state].code, out),
                Route::Continue(_) | Route::Break(_) | Route::Return => {}
            }
        }
    }

    /// The type anchors a copy of code mentions.
    pub(super) fn anchors(
        &self,
        p: &Placement,
        code: &[Emit],
        shape: &Shape<'_>,
        out: &mut BTreeSet<String>,
    ) {
        fn pieces<'c>(code: &'c [Emit], out: &mut Vec<&'c Piece>) {
            for e in code {
                match e {
                    Emit::Stmt { piece, .. }
                    | Emit::Let { piece, .. }
                    | Emit::Await { piece, .. }
                    | Emit::Yield { piece, .. } => out.push(piece),
                    Emit::If {
                        piece, then, els, ..
                    } => {
                        out.push(piece);
                        pieces(then, out);
                        pieces(els, out);
                    }
                    Emit::Match { piece, arms, .. } => {
                        out.push(piece);
                        for a in arms {
                            out.push(&a.piece);
                            pieces(&a.body, out);
                        }
                    }
                    Emit::Block(inner) => pieces(inner, out),
                    Emit::Exit(_) | Emit::Poll { .. } => {}
                }
            }
        }
        let mut found = Vec::new();
        pieces(code, &mut found);
        for piece in found {
            out.extend(piece.facts.anchors.iter().cloned());
        }
        for (&k, route) in &p.routes {
            let exit = &self.plan.exits[k];
            out.extend(exit.facts.anchors.iter().cloned());
            if let Some((t, _)) = &exit.assign {
                let anchor = crate::normalize::anchor(t);
                if shape.anchors.contains(&anchor) {
                    out.insert(anchor.to_string());
                }
            }
            match route {
                Route::Inline(inner) => {
                    self.anchors(inner, &self.plan.states[inner.state].code[1..], shape, out);
                }
                Route::Copy(inner) => {
                    self.anchors(inner, &self.plan.states[inner.state].code, shape, out);
                }
                _ => {}
            }
        }
    }
}
