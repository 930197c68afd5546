//! Stage 6: the layout. Decides, from the analysed plan's data only, everything about the
//! step closure that is not a token: which states get an arm (and a frame variant) and in
//! what order, what the variants' fields are called, which loop heads and joins run as
//! followers inside another state's arm, which `.await`s run their continuation inline, and
//! how each exit of each copy of code is taken.
//!
//! Input: the analysed [`Plan`] and the [`Shape`]. Output: a [`Layout`], which `expand`
//! prints without deciding anything. Invariants: arm 0 is `Start`'s; an arm comes after
//! one that builds its state; every exit of every [`Placement`]'s code has a [`Route`];
//! code that may hold a closure or an `async` block (`Facts::unique_types`) is never
//! copied, since each copy would be a type of its own.
//!
//! ```text
//! Suspend0 { i, n } => {                                   Arm { state: Suspend0,
//!     let (i, n) = '__corio_to2: {                               chain: [Suspend0, Loop2] }
//!         let i = i; let n = n; i += 1;
//!         break '__corio_to2 (i, n)                        Route::Break(Loop2)
//!     };
//!     '__corio_loop2: loop {
//!         if i < n { …; *frame = Suspend0 { i, n }; return … }
//!         else { …; continue '__corio_loop2 }              Route::Continue(Loop2)
//!     }
//! }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use quote::{ToTokens, format_ident, quote};
use syn::Ident;

use crate::analyze::facts::has_unique_types;
use crate::plan::{Emit, ExitKind, Id, Kind, Plan, Set};
use crate::shape::{Flavor, Shape, has_impl_trait, is_unit};

mod collect;
mod copies;
mod unique;

use copies::copy_fits;

/// How deep inline copies of await states nest (each level multiplies the copied code by the
/// number of ways out of a segment, so this bounds the expansion's size).
const MAX_INLINE_DEPTH: u32 = 2;

/// How deep copies of value joins nest ([`Layouter::copies`]). A copy is made in each branch
/// that does not suspend, so nested copies multiply only through constructs with several such
/// branches; deeper than this the join is a follower or a state of its own again, unless the
/// copies stay few ([`MAX_COPY_WEIGHT`]).
const MAX_COPY_DEPTH: u32 = 4;

/// Deeper than [`MAX_COPY_DEPTH`] (down to [`MAX_CHEAP_COPY_DEPTH`]), a join is still copied
/// while the product of the ways into the joins copied so far, which bounds how many copies
/// of its code there are, stays at most this: a chain of joins with one way in each (a `let
/// … else`, a value `if` whose other branch suspends) costs nothing. (Seed 1033 case 74 of
/// the scale run: a `let … else` whose pattern borrows, after four value `match`es nested in
/// one expression, two or four ways into each, was a frame field borrowing a local.)
const MAX_COPY_WEIGHT: u32 = 64;

/// How deep cheap copies nest at most.
const MAX_CHEAP_COPY_DEPTH: u32 = 8;

/// How many states' code can follow an arm's own; each is a copy of code that may also have
/// an arm of its own, so this bounds the expansion's size.
const MAX_FOLLOWERS: usize = 2;

pub(crate) struct Layout {
    /// The frame field of each binding (a binding's name, made unique when two bindings
    /// that some state keeps share it).
    pub(crate) fields: Vec<Ident>,
    /// The arms, in the order they are written.
    pub(crate) arms: Vec<ArmLayout>,
    /// The states with a frame variant, in the enum's order: those a step can end in
    /// (`Start` and the suspension points) first, so that "at rest" is one tag range.
    pub(crate) variants: Vec<usize>,
    /// The bindings some variant keeps: one type parameter of the frame each.
    pub(crate) kept: Vec<Id>,
    /// `(state, point, future)` of each await state with an arm.
    pub(crate) awaits: Vec<(usize, usize, Id)>,
    /// The type anchors some arm uses.
    pub(crate) anchors: Vec<Ident>,
    /// Every arm runs the same followers after its state's code (a generator whose resumes
    /// all enter one loop), `Start`'s code only computes their bindings and the other arms'
    /// code is empty: the step writes one `match` that gives the bindings, `Start`'s arm a
    /// cold call, then one copy of the followers (see [`shared_followers`]).
    pub(crate) shared: bool,
}

/// One arm of the dispatch `match`: the state's own code, then its followers' (each after
/// a labelled block the code before it breaks out of).
pub(crate) struct ArmLayout {
    /// `chain[0]` is the arm's state; the rest are its followers.
    pub(crate) chain: Vec<Placement>,
}

/// One copy of a state's code in the step closure: in its own arm, as a follower, or inline
/// after an `.await` that was ready at once (then without its first `Emit::Poll`).
pub(crate) struct Placement {
    pub(crate) state: usize,
    /// How each exit of this copy is taken, by exit number.
    pub(crate) routes: BTreeMap<usize, Route>,
}

/// How one exit of one copy of code is taken.
pub(crate) enum Route {
    /// To the loop head whose Rust `loop` encloses the code: `continue 'loop`.
    Continue(usize),
    /// To a follower whose code comes after the block the code is in: `break 'to (values)`.
    Break(usize),
    /// To an await state: poll the future in place; when it is ready, its code runs here.
    Inline(Placement),
    /// To the join after a construct used as a value: its code runs here, in the scope
    /// where the value was computed (see [`Layouter::copies`]).
    Copy(Placement),
    /// Build the state and go round the dispatcher.
    Dispatch(usize),
    /// Complete the coroutine.
    Return,
}

/// Where a copy of code stands: which loops enclose it, which followers' blocks, and how
/// many inline copies deep it is.
#[derive(Clone)]
struct Context {
    loops: Vec<usize>,
    targets: Vec<usize>,
    depth: u32,
    /// How many copies of value joins deep.
    copies: u32,
    /// The product of the ways into those joins ([`MAX_COPY_WEIGHT`]).
    weight: u32,
}

struct Layouter<'a> {
    plan: &'a Plan,
    /// A `return` writes the return type (and `__corio_expect`'s bounds): may they hold a
    /// closure-like type? (Then code that returns is never copied.)
    return_unique: bool,
    /// A `yield_!` writes the yield type.
    yield_unique: bool,
    /// Bindings some state keeps: their types are the frame's.
    kept: Set,
}

pub(crate) fn layout(plan: &Plan, shape: &Shape<'_>) -> Layout {
    let ret_ty = shape
        .ret_ty
        .filter(|ty| !has_impl_trait(ty))
        .map(|ty| ty.to_token_stream());
    let expect = shape.expect.clone().unwrap_or_default();
    let l = Layouter {
        plan,
        return_unique: has_unique_types(quote!(#ret_ty #expect), &[]),
        yield_unique: has_unique_types(shape.yield_ty.to_token_stream(), &[]),
        kept: plan
            .states
            .iter()
            .flat_map(|s| s.saved.iter().copied())
            .collect(),
    };

    // Arms for the states some code builds, found from `Start`: a state every way into which
    // became a follower's `break` needs no arm and no variant.
    let mut arms = BTreeMap::new();
    let mut builds: BTreeMap<usize, Set> = BTreeMap::new();
    let mut todo = vec![0];
    while let Some(s) = todo.pop() {
        if arms.contains_key(&s) {
            continue;
        }
        let arm = l.arm(s);
        let mut built = Set::new();
        for p in &arm.chain {
            l.builds(p, &plan.states[p.state].code, &mut built);
        }
        todo.extend(built.iter().copied());
        builds.insert(s, built);
        arms.insert(s, arm);
    }
    // Arms in program order, except that an arm comes after one that builds its state: rustc
    // infers the fields' types in that order, and a method call needs its receiver's type
    // known. (A follower's code moved into an earlier arm can leave a state's first builder
    // after it in program order.)
    let rank = |s: &usize| plan.states[*s].order;
    let mut order = vec![0];
    let mut ready: Set = builds[&0].clone();
    while let Some(next) = ready
        .iter()
        .copied()
        .filter(|s| !order.contains(s))
        .min_by_key(rank)
    {
        order.push(next);
        ready.extend(builds[&next].iter().copied());
    }

    let mut kept: Vec<Id> = order
        .iter()
        .flat_map(|&s| plan.states[s].saved.iter().copied())
        .collect();
    kept.sort_unstable();
    kept.dedup();
    let mut variants = order.clone();
    variants.sort_by_key(|&s| !matches!(plan.states[s].kind, Kind::Start | Kind::Point(_)));
    let awaits = order
        .iter()
        .filter_map(|&s| match (plan.states[s].kind, plan.states[s].awaiting) {
            (Kind::Point(k), Some(fut)) => Some((s, k, fut)),
            _ => None,
        })
        .collect();
    let arms: Vec<ArmLayout> = order
        .iter()
        .map(|s| arms.remove(s).expect("an arm"))
        .collect();
    let mut used = BTreeSet::new();
    for arm in &arms {
        for p in &arm.chain {
            l.anchors(p, &plan.states[p.state].code, shape, &mut used);
        }
    }
    let anchors = shape
        .anchors
        .iter()
        .filter(|a| used.contains(&a.to_string()))
        .cloned()
        .collect();
    let shared = shape.flavor == Flavor::Generator
        && is_unit(shape.resume_ty)
        && shared_followers(plan, &arms);
    Layout {
        fields: fields(plan),
        arms,
        variants,
        kept,
        awaits,
        anchors,
        shared,
    }
}

/// Whether the arms can share one copy of their followers. Each resume of a loop-shaped
/// generator such as the bench's byte spans enters the same loop: `Start`'s arm after the
/// code before the loop, the yield's arm right away. With a copy of the loop in each arm,
/// the consumer's loop (which sees the step) keeps a "was this `Start`?" test plus register
/// moves where the copies' yields meet; with one copy, only the test is left
/// (docs/decisions.md, "One copy of the loop a generator resumes into").
///
/// `Start`'s code runs in a closure, so it must only compute the follower's bindings (every
/// exit of it goes to the follower, and it neither yields nor awaits): a `return`, a yield
/// or a trip through the dispatcher cannot leave a closure. The closure is a cold call, which
/// keeps the optimiser from folding the first resume into the loop with selects. A
/// generator with a resume argument is left alone (its `__corio_arg` would move into it).
fn shared_followers(plan: &Plan, arms: &[ArmLayout]) -> bool {
    let tail = |a: &ArmLayout| a.chain[1..].iter().map(|p| p.state).collect::<Vec<_>>();
    let Some(first) = arms.first() else {
        return false;
    };
    if arms.len() < 2 || first.chain.len() < 2 || arms.iter().any(|a| tail(a) != tail(first)) {
        return false;
    }
    let start = &first.chain[0];
    let follower = first.chain[1].state;
    let only_binds = start
        .routes
        .values()
        .all(|r| matches!(r, Route::Break(t) if *t == follower));
    only_binds
        && !suspends(&plan.states[start.state].code)
        && arms[1..]
            .iter()
            .all(|a| only_exits(&plan.states[a.chain[0].state].code))
}

/// Is `code` only ways out? rustc infers a yield state's field types where the state is
/// built, which is now in the one copy of the loop after the `match`: code in the state's
/// arm that used its bindings would be checked first and could not call a method on them
/// (E0282, as `(a, b) = (b, a.wrapping_add(b))` in the bench's Fibonacci).
fn only_exits(code: &[Emit]) -> bool {
    code.iter().all(|e| match e {
        Emit::Exit(_) => true,
        Emit::Block(inner) => only_exits(inner),
        _ => false,
    })
}

/// Does `code` yield or await anywhere?
fn suspends(code: &[Emit]) -> bool {
    code.iter().any(|e| match e {
        Emit::Yield { .. } | Emit::Await { .. } | Emit::Poll { .. } => true,
        Emit::If { then, els, .. } => suspends(then) || suspends(els),
        Emit::Match { arms, .. } => arms.iter().any(|a| suspends(&a.body)),
        Emit::Block(inner) => suspends(inner),
        Emit::Stmt { .. } | Emit::Let { .. } | Emit::Exit(_) => false,
    })
}

/// A binding's field is its name, or `name_id` when another binding that some state keeps
/// has the same name.
fn fields(plan: &Plan) -> Vec<Ident> {
    let mut saved_anywhere: Vec<Id> = plan
        .states
        .iter()
        .flat_map(|s| s.saved.iter().copied())
        .collect();
    saved_anywhere.sort_unstable();
    saved_anywhere.dedup();
    (0..plan.bindings.len())
        .map(|b| {
            let name = &plan.bindings[b].name;
            let unique = saved_anywhere
                .iter()
                .filter(|&&o| &plan.bindings[o].name == name)
                .count()
                <= 1;
            if unique {
                format_ident!("{}", name)
            } else {
                format_ident!("{}_{}", name, b)
            }
        })
        .collect()
}

/// The exits of `code` that are the last thing it does: the last statement, or the last
/// statement of a branch of an `if`, `match` or block that is itself last.
fn tails(code: &[Emit]) -> Vec<usize> {
    match code.last() {
        Some(Emit::Exit(k)) => vec![*k],
        Some(Emit::Block(inner)) => tails(inner),
        Some(Emit::If { then, els, .. }) => {
            let mut t = tails(then);
            t.extend(tails(els));
            t
        }
        Some(Emit::Match { arms, .. }) => arms.iter().flat_map(|a| tails(&a.body)).collect(),
        _ => Vec::new(),
    }
}

/// Every exit `code` writes, in no particular order.
fn exits_of(code: &[Emit], out: &mut Vec<usize>) {
    for e in code {
        match e {
            Emit::Stmt { piece, .. }
            | Emit::Let { piece, .. }
            | Emit::Await { piece, .. }
            | Emit::Yield { piece, .. } => out.extend(&piece.exits),
            Emit::If {
                piece, then, els, ..
            } => {
                out.extend(&piece.exits);
                exits_of(then, out);
                exits_of(els, out);
            }
            Emit::Match { piece, arms, .. } => {
                out.extend(&piece.exits);
                for a in arms {
                    out.extend(&a.piece.exits);
                    exits_of(&a.body, out);
                }
            }
            Emit::Block(inner) => exits_of(inner, out),
            Emit::Exit(k) => out.push(*k),
            Emit::Poll { .. } => {}
        }
    }
}

impl Layouter<'_> {
    /// State `s`'s arm: its code, then the loop heads and joins it falls through to (at
    /// most [`MAX_FOLLOWERS`]). The last statement of a loop body goes round the loop, the end
    /// of an `if` branch goes to the join after it: instead of building the follower's state
    /// and going through the dispatcher, the code breaks out of a labelled block after which
    /// the follower's code runs. Leaving the block drops what the code before declared,
    /// exactly where the dispatcher's `continue` dropped it; the optimiser then knows which
    /// variant the resume came from, so yielding at the same point again stores only what
    /// changed, and a state that every way into turned into a `break` needs no arm and no
    /// frame variant.
    fn arm(&self, s: usize) -> ArmLayout {
        let mut chain = vec![s];
        while chain.len() <= MAX_FOLLOWERS
            && let Some(t) = self.follower(*chain.last().expect("not empty"), &chain)
        {
            chain.push(t);
        }
        let chain = (0..chain.len())
            .map(|i| {
                let st = chain[i];
                let cx = Context {
                    loops: if self.plan.states[st].kind == Kind::Head {
                        vec![st]
                    } else {
                        Vec::new()
                    },
                    // The blocks nest: the first state's code is inside all of them.
                    targets: chain[i + 1..].iter().rev().copied().collect(),
                    depth: 0,
                    copies: 0,
                    weight: 1,
                };
                self.place(st, &self.plan.states[st].code, &cx)
            })
            .collect();
        ArmLayout { chain }
    }

    /// The loop head or join `s`'s code falls through to, if it can follow `s` in its arm:
    /// not if its code may hold a closure or an `async` block (a copy here and one in its own
    /// arm would be two types).
    fn follower(&self, s: usize, chain: &[usize]) -> Option<usize> {
        let plan = self.plan;
        // The loop `s`'s code stands in, as in `arm`'s contexts.
        let loops = if plan.states[s].kind == Kind::Head {
            vec![s]
        } else {
            Vec::new()
        };
        let t = tails(&plan.states[s].code)
            .into_iter()
            .find_map(|k| match plan.exits[k].kind {
                ExitKind::Goto(t)
                    if matches!(plan.states[t].kind, Kind::Head | Kind::Join)
                        && !chain.contains(&t)
                        && !(self.copies(t) && self.redeclare_stays_inside(t, &loops)) =>
                {
                    Some(t)
                }
                _ => None,
            })?;
        let redeclared = plan.states[t].redeclare.iter().any(|&b| {
            plan.bindings[b]
                .ty
                .as_ref()
                .is_some_and(|ty| has_unique_types(ty.to_token_stream(), &[]))
        });
        (!redeclared && !self.unique(&plan.states[t].code)).then_some(t)
    }

    /// A copy of `code` (state `s`'s) standing in `cx`: the route of each of its exits.
    fn place(&self, s: usize, code: &[Emit], cx: &Context) -> Placement {
        let mut exits = Vec::new();
        exits_of(code, &mut exits);
        // How many of this copy's exits go to each state: each may be a copy of its code.
        let mut ways: BTreeMap<usize, u32> = BTreeMap::new();
        for &k in &exits {
            if let ExitKind::Goto(t) = self.plan.exits[k].kind {
                *ways.entry(t).or_default() += 1;
            }
        }
        let routes = exits
            .iter()
            .map(|&k| {
                let to = match self.plan.exits[k].kind {
                    ExitKind::Goto(t) => ways[&t],
                    ExitKind::Return(_) => 1,
                };
                (k, self.route(k, cx, to))
            })
            .collect();
        Placement { state: s, routes }
    }

    /// The route of exit `k` of a copy of code standing in `cx`; `ways`: how many exits of
    /// that copy go where `k` goes.
    fn route(&self, k: usize, cx: &Context, ways: u32) -> Route {
        let plan = self.plan;
        match plan.exits[k].kind {
            ExitKind::Goto(s) if cx.loops.contains(&s) => Route::Continue(s),
            ExitKind::Goto(s) if cx.targets.contains(&s) => Route::Break(s),
            ExitKind::Goto(s)
                if copy_fits(cx, ways)
                    && self.copies(s)
                    && self.redeclare_stays_inside(s, &cx.loops) =>
            {
                let inner = Context {
                    copies: cx.copies + 1,
                    weight: cx.weight.saturating_mul(ways),
                    ..cx.clone()
                };
                Route::Copy(self.place(s, &plan.states[s].code, &inner))
            }
            ExitKind::Goto(s)
                if plan.states[s].awaiting.is_some()
                    && cx.depth < MAX_INLINE_DEPTH
                    && self.inlines(s) =>
            {
                let inner = Context {
                    depth: cx.depth + 1,
                    ..cx.clone()
                };
                Route::Inline(self.place(s, &plan.states[s].code[1..], &inner))
            }
            ExitKind::Goto(s) => Route::Dispatch(s),
            ExitKind::Return(_) => Route::Return,
        }
    }

    /// An `.await` polls its future where it stands; only `Pending` goes through the frame.
    /// When it is ready at once, the code after it (the await state's code) runs inline.
    ///
    /// Not when that code may hold a closure or an `async` block: each copy would be a type
    /// of its own, and both must fit the same frame field.
    ///
    /// Nor when that code assigns a binding the state redeclares (in scope, but dead at the
    /// await, like `c` in `loop { …; c = f().await; }`): the copy's `let c;` would shadow the
    /// enclosing code's `c`, and a `continue` to the loop head would see the old value (async
    /// seed 42 program 338). Its own arm declares it where nothing else can see it.
    fn inlines(&self, s: usize) -> bool {
        let st = &self.plan.states[s];
        st.redeclare.is_empty() && !self.unique(&st.code[1..])
    }
}
