//! Which joins after a construct used as a value run as copies in the construct's branches
//! (`Route::Copy`, F-diag-2), and how deep such copies nest.

use super::{Context, Layouter, MAX_CHEAP_COPY_DEPTH, MAX_COPY_DEPTH, MAX_COPY_WEIGHT, exits_of};
use crate::plan::{ExitKind, Id, Kind, Set};

/// Is there room for a copy of a join that `ways` exits of a copy of code standing in
/// `cx` go to: within [`MAX_COPY_DEPTH`], or deeper while the copies stay few
/// ([`MAX_COPY_WEIGHT`])?
pub(super) fn copy_fits(cx: &Context, ways: u32) -> bool {
    cx.copies < MAX_COPY_DEPTH
        || (cx.copies < MAX_CHEAP_COPY_DEPTH && cx.weight.saturating_mul(ways) <= MAX_COPY_WEIGHT)
}

impl Layouter<'_> {
    /// The join after a construct used as a value (`let s = if c { f().await; "x" } else {
    /// &line[..3] };`, or one that assigns a deferred `let u;`) runs where the value was computed, a copy in each branch, rather than
    /// after a follower's block or through the dispatcher. The value may borrow a local of
    /// the branch's scope (`line`), and both ways out of that scope end the borrow: leaving a
    /// follower's block moves or drops the local, and a frame variant's field type cannot
    /// borrow a local of the step at all (F-diag-2). A join `segment` split off such a join
    /// (`State::split`, before a closure or an `async` block) is copied on with it when it
    /// can be, which is the code before the split. Not when the join's code may hold a
    /// closure or an `async` block; and only where a binding it redeclares cannot be read
    /// through the enclosing code's name ([`Self::redeclare_stays_inside`]).
    pub(super) fn copies(&self, s: usize) -> bool {
        let plan = self.plan;
        let st = &plan.states[s];
        let value_temp = |b: &Id| {
            plan.bindings[*b]
                .name
                .strip_prefix("__corio_t")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
        };
        st.kind == Kind::Join
            && (st.split
                || st
                    .saved
                    .iter()
                    .any(|b| value_temp(b) || plan.deferred.contains(b)))
            && !self.unique_kept(&st.code)
    }

    /// May a copy of state `s` standing inside the loops `loops` declare the bindings `s`
    /// redeclares (`let d2;`: in scope but dead at its entry, assigned by its code) at its
    /// top, shadowing the enclosing code's? Only where no loop head the copy can go round to
    /// with a `continue` reads them (keeps them): it would see the enclosing, old one
    /// (F-diag-2c). Every other way out reads the shadow by name: a follower's `break` passes
    /// its values, the dispatcher builds a state from them, an inline copy or a copy in the
    /// copy runs inside the shadow's scope.
    pub(super) fn redeclare_stays_inside(&self, s: usize, loops: &[usize]) -> bool {
        let plan = self.plan;
        let redeclare = &plan.states[s].redeclare;
        if redeclare.is_empty() {
            return true;
        }
        let mut seen = Set::new();
        let mut todo = vec![s];
        while let Some(x) = todo.pop() {
            if !seen.insert(x) {
                continue;
            }
            let mut exits = Vec::new();
            exits_of(&plan.states[x].code, &mut exits);
            for k in exits {
                let ExitKind::Goto(t) = plan.exits[k].kind else {
                    continue;
                };
                let to = &plan.states[t];
                if loops.contains(&t) && redeclare.iter().any(|b| to.saved.contains(b)) {
                    return false;
                }
                // Joins and await states may be copied or inlined into this copy in turn.
                if to.kind == Kind::Join || to.awaiting.is_some() {
                    todo.push(t);
                }
            }
        }
        true
    }
}
