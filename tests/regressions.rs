//! Minimised programs on which the differential tests (`diff.rs`) found the transform wrong,
//! each with what was wrong in the pass. They run through the same comparison as the random
//! programs: `check_case!` compiles the body as a coroutine and as a plain fn.

use crate::diff::diff_case;

// Smoke test of the harness itself.
diff_case! {
    #[corio::coroutine(yield = i64, resume = i64)]
    fn harness(ctx: Ctx, p: i64) -> Result<i64, i64> {
        let n = ctx.noisy(p);
        let _g = ctx.guard(1);
        let x = yield_!(n.val());
        ctx.tick(x);
        Ok(x + yield_!(2))
    }
    p = 3, salt = 1
}
