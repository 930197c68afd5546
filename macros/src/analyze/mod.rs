//! Stages 4b and 5: what the pass knows about the bindings. `scope` resolves names while
//! `segment` walks the body; `assigns` says what a verbatim statement defines; `liveness`
//! then decides what each state keeps, and `borrow` applies the borrowing rule to it
//! (`ref_place`: which `ref` bindings certainly borrow the frame). `facts` records, while
//! segmenting, what the layout needs to know about user code.
//!
//! Input: a segmented [`Plan`]. Output: the same plan, analysed (see `plan` for the
//! invariants), plus the borrow diagnostics in `errors`.

pub(crate) mod assigns;
pub(crate) mod borrow;
pub(crate) mod facts;
pub(crate) mod liveness;
pub(crate) mod ref_place;
pub(crate) mod scope;

use crate::errors::Errors;
use crate::plan::Plan;

/// Liveness, what each state saves, renames, then the borrowing rule. `args`: how many
/// bindings are the coroutine's arguments (`Start`'s fields).
pub(crate) fn analyze(plan: &mut Plan, args: usize, errors: &mut Errors) {
    liveness::liveness(plan);
    liveness::finish(plan, args);
    borrow::check(plan, errors);
}
