//! The plan: what analysis knows about a coroutine, and all the printer reads.
//!
//! Input: nothing (data only). Output: the types [`Plan`], [`State`], [`Emit`], [`Exit`],
//! [`Binding`], filled in by `segment` (the states and their code), then by `analyze`
//! (liveness, saved sets, renames, dead states).
//!
//! User code is held as [`Code`]: its tokens, cut where the printer fills something in (an
//! exit's route, the resume value, a binding's name, a pattern's renamed bindings). No marker
//! stands in user syntax for an exit: an exit is a [`Part::Exit`] of the code it leaves.
//!
//! Invariants, once `analyze` has run: state 0 is `Start`; every `Emit::Exit`, every
//! `Piece::exits` entry and every [`Part::Exit`] indexes `Plan::exits`; a dead
//! state has no code and saves nothing; `saved` lists the bindings a state's frame variant
//! holds, in declaration order.

use std::collections::BTreeSet;

use proc_macro2::{Delimiter, Literal, Span, TokenStream};
use syn::{Ident, Pat, Stmt, Type};

pub(crate) type Id = usize;
pub(crate) type Set = BTreeSet<Id>;

pub(crate) struct Binding {
    /// The identifier in code.
    pub(crate) name: String,
    /// The name `locals()` shows.
    pub(crate) display: String,
    pub(crate) mutable: bool,
    pub(crate) by_ref: bool,
    pub(crate) ty: Option<Type>,
    /// The identifier's span: its hygiene, used for every occurrence the expansion writes.
    pub(crate) span: Span,
    /// Where diagnostics about the binding point (its pattern, or the `for` iterable).
    pub(crate) site: Span,
    /// Initialised by `&local`, `&mut local` or `local.iter()`-style calls: a borrow of
    /// another binding (with the borrowing method, if any).
    pub(crate) borrows: Option<(Id, Option<String>)>,
    /// Initialised by an expression that certainly makes an owned value (not a reference).
    pub(crate) owned: bool,
    /// An argument's written type (`&Self` for `&self`), for the `ref` rule.
    pub(crate) arg_ty: Option<Type>,
    /// A `ref` binding of a place certainly inside the frame (`ref_place::frame_refs`).
    pub(crate) ref_local: bool,
}

impl Binding {
    pub(crate) fn hidden(&self) -> bool {
        self.name.starts_with("__corio_") && self.name != "__corio_self"
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Start,
    Point(usize),
    Join,
    Head,
}

pub(crate) struct State {
    pub(crate) kind: Kind,
    pub(crate) order: usize,
    pub(crate) scope: Vec<Id>,
    pub(crate) code: Vec<Emit>,
    pub(crate) live: Set,
    pub(crate) saved: Vec<Id>,
    pub(crate) redeclare: Vec<Id>,
    /// At an `.await`: the hidden binding that holds the awaited future.
    pub(crate) awaiting: Option<Id>,
    /// No transition leads here (e.g. the join after a `loop` that never breaks).
    pub(crate) dead: bool,
    /// A join that the code before it in the same block runs straight into: `segment` cut
    /// the code after a construct used as a value there, before a closure or an `async`
    /// block (`segment::split_point`). The layout copies it on with that code when it can.
    pub(crate) split: bool,
}

#[allow(
    clippy::large_enum_variant,
    reason = "a handful per coroutine, built once at expansion"
)]
pub(crate) enum ExitKind {
    Goto(usize),
    Return(Option<Code>),
}

pub(crate) struct Exit {
    pub(crate) kind: ExitKind,
    pub(crate) assign: Option<(Ident, Code)>,
    /// The binding `assign` sets (a `break value` out of a construct used as a value).
    pub(crate) def: Option<Id>,
    pub(crate) scope: Vec<Id>,
    pub(crate) inner: Vec<String>,
    /// Of the value it assigns or returns.
    pub(crate) facts: Facts,
}

pub(crate) struct Piece {
    pub(crate) scope: Vec<Id>,
    pub(crate) uses: Set,
    /// Bindings assigned as a whole somewhere inside (not only by the whole statement): a
    /// state that runs the piece declares them if it does not keep them.
    pub(crate) assigns: Set,
    pub(crate) exits: Vec<usize>,
    /// Of the code the piece prints itself (a statement, a `let`, a condition, a scrutinee,
    /// an arm's pattern and guard, a yielded value), exits apart.
    pub(crate) facts: Facts,
}

pub(crate) enum Emit {
    Stmt {
        stmt: Code,
        piece: Piece,
        defs: Set,
    },
    /// A `let`, its pattern a [`Part::Pattern`] of `local`.
    Let {
        local: Code,
        /// It has an initialiser (`let x;` has none).
        init: bool,
        piece: Piece,
        binds: Vec<Id>,
    },
    /// An `if`; each `let` of a let chain in `cond` has its pattern as a [`Part::Pattern`].
    If {
        cond: Code,
        piece: Piece,
        binds: Vec<Id>,
        then: Vec<Emit>,
        els: Vec<Emit>,
    },
    Match {
        scrutinee: Code,
        piece: Piece,
        arms: Vec<EArm>,
    },
    Block(Vec<Emit>),
    Exit(usize),
    Yield {
        value: Code,
        piece: Piece,
        next: usize,
    },
    /// `let mut fut = <value's future, stored in place or boxed>;` before an `.await`
    /// (the state it goes to polls it). `span`: the awaited expression's.
    Await {
        value: Code,
        piece: Piece,
        fut: Id,
        span: Span,
    },
    /// Polls the future in `fut`; on `Pending` stores the frame as `state` and returns.
    Poll {
        fut: Id,
        state: usize,
        scope: Vec<Id>,
    },
}

pub(crate) struct EArm {
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) pat: Pat,
    pub(crate) guard: Option<Code>,
    pub(crate) binds: Vec<Id>,
    pub(crate) piece: Piece,
    pub(crate) body: Vec<Emit>,
}

pub(crate) struct Plan {
    pub(crate) bindings: Vec<Binding>,
    pub(crate) states: Vec<State>,
    pub(crate) exits: Vec<Exit>,
    pub(crate) renamed: Set,
    pub(crate) items: Vec<Stmt>,
    /// The bindings a `let` declares without a value (a deferred `let u;`, or the temporary
    /// `normalize` assigns a construct's value to). Recorded by `segment` as it meets the
    /// `let`s: `liveness` later drops a `let u;` from a state that does not assign `u`
    /// (the state that does declares it again), so the code alone no longer shows them all.
    pub(crate) deferred: Set,
}

impl Plan {
    /// The identifier a binding has in the generated code.
    pub(crate) fn rust_name(&self, b: Id) -> String {
        if self.renamed.contains(&b) {
            format!("__corio_{}_{b}", self.bindings[b].name)
        } else {
            self.bindings[b].name.clone()
        }
    }

    /// Is `b` the binding its name refers to in `scope` (minus names declared in `inner`)?
    pub(crate) fn visible(&self, b: Id, scope: &[Id], inner: &[String]) -> bool {
        let name = &self.bindings[b].name;
        !inner.contains(name)
            && scope
                .iter()
                .rev()
                .find(|&&s| &self.bindings[s].name == name)
                == Some(&b)
    }
}

/// An argument of the coroutine: `Start`'s fields.
pub(crate) struct Arg {
    pub(crate) name: String,
    pub(crate) display: String,
    pub(crate) mutable: bool,
    pub(crate) span: Span,
    /// The written type (`&Self` for `&self`, `Self` for `self`), when the argument has one.
    pub(crate) ty: Option<Type>,
}

/// What the layout needs to know about a piece of user code (`analyze::facts`).
#[derive(Default, Clone)]
pub(crate) struct Facts {
    /// It may hold a closure or an `async` block, each of which has a type of its own: two
    /// copies of it (in a follower and in its own arm, or in an inline await) would be two
    /// types, where the frame has one field.
    pub(crate) unique_types: bool,
    /// The same, with `|` counted only where an expression starts (`|x| …`, `move || …`),
    /// not as an or-pattern or a bit-or: for the copies within one step, which decide per
    /// piece ([`crate::layout`]'s `unique_kept`).
    pub(crate) closures: bool,
    /// The type anchors (`normalize::anchor`) it mentions: the step closure declares only
    /// those some arm uses (an unused one would leave its type unknown).
    pub(crate) anchors: BTreeSet<String>,
}

/// A piece of user code as the printer writes it: tokens, cut at the places where the pass
/// fills something in. `segment` makes it (`verbatim::cut`) while it analyses the code, so
/// nothing later looks into user syntax to find an exit or a name.
#[derive(Default)]
pub(crate) struct Code(pub(crate) Vec<Part>);

pub(crate) enum Part {
    /// Tokens as written (a group among them holds no part of its own).
    Tokens(TokenStream),
    /// A delimited group with parts inside.
    Group(Delimiter, Span, Code),
    /// Where the code leaves its segment: `Plan::exits[k]`, printed as the layout's route.
    Exit(usize),
    /// The value the coroutine is resumed with (`normalize` wrote `__corio_resume!()`).
    Resume,
    /// A free occurrence of a name: the binding it resolves to, if any, is printed under its
    /// generated name (`Plan::rust_name`).
    Name(Ident, Option<Id>),
    /// A shorthand field (`Pt { y }`) naming a binding: `y: __corio_y_2` if it is renamed.
    Field(Ident, Option<Id>),
    /// A string literal whose `{name}`s name bindings (a format string): rewritten when one
    /// of them is renamed. `text` is its value; each name is a char range of it.
    Format {
        lit: Literal,
        text: String,
        names: Vec<(usize, usize, Option<Id>)>,
    },
    /// A pattern that binds `binds` (a `let`, a let chain's `let`), renamed with them.
    Pattern(Pat, Vec<Id>),
    /// The initialiser of a `let … else`: in parentheses when it ends in `}` as printed
    /// (syn's rule, which needs the printed parts).
    ElseInit(Code),
}
