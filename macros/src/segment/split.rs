//! Where the code after a construct used as a value is cut into a join of its own
//! (`State::split`): before the first node that may make a closure or an `async` block, so
//! that the layout can copy the code before it into the construct's branches.

use quote::ToTokens;

use super::Lower;
use crate::analyze::{facts, liveness};
use crate::ir::Node;
use crate::plan::{Emit, Set};

impl Lower<'_> {
    /// Does a construct assign a binding declared without a value, in `code` (its code in
    /// this state) or in the states made inside it (from `first` on: a branch that suspends
    /// assigns its value in the state after the suspension point)?
    pub(super) fn construct_assigns_deferred(&self, code: &[Emit], first: usize) -> bool {
        self.assigns_deferred(code)
            || self.states[first..]
                .iter()
                .any(|st| self.assigns_deferred(&st.code))
    }

    /// Does `code` assign a binding declared without a value?
    fn assigns_deferred(&self, code: &[Emit]) -> bool {
        let mut defs = Set::new();
        liveness::defs_in(code, &self.exits, &mut defs);
        defs.iter().any(|b| self.deferred.contains(b))
    }
}

/// Where the code after a construct used as a value starts a join of its own: at the first
/// node that may make a closure or an `async` block (`Facts::closures`), if it is not the
/// first and only `let`s and statements come before it (the code of the join ends at the
/// first other node anyway).
pub(super) fn split_point(rest: &[Node]) -> usize {
    for (at, node) in rest.iter().enumerate() {
        if node_makes_unique(node) {
            return if at == 0 { usize::MAX } else { at };
        }
        if !matches!(node, Node::Stmt(_) | Node::Let(_)) {
            break;
        }
    }
    usize::MAX
}

/// May `node` make a closure or an `async` block (anywhere inside)?
fn node_makes_unique(node: &Node) -> bool {
    let closures = |tokens: proc_macro2::TokenStream| facts::of(tokens).closures;
    let all = |nodes: &[Node]| nodes.iter().any(node_makes_unique);
    match node {
        Node::Stmt(stmt) => closures(stmt.to_token_stream()),
        Node::Let(local) => closures(local.to_token_stream()),
        Node::Suspend { value, resume, .. } => {
            closures(value.to_token_stream()) || resume.as_deref().is_some_and(node_makes_unique)
        }
        Node::If { cond, then, els } => closures(cond.to_token_stream()) || all(then) || all(els),
        Node::Match { scrutinee, arms } => {
            closures(scrutinee.to_token_stream())
                || arms.iter().any(|a| {
                    a.guard
                        .as_ref()
                        .is_some_and(|g| closures(g.to_token_stream()))
                        || all(&a.body)
                })
        }
        Node::Loop { body, .. } | Node::Block { body, .. } => all(body),
        Node::Break { .. } => false,
        Node::Return(value) => value
            .as_ref()
            .is_some_and(|v| closures(v.to_token_stream())),
    }
}
