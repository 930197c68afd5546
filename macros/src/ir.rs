//! The normalized body: every suspension point stands at statement level, and every
//! construct that contains one is a node of its own. Everything else is kept verbatim.

use proc_macro2::Span;
use syn::{Expr, Ident, Local, Pat, Stmt};

pub(crate) enum Node {
    /// A statement without a suspension point, as the user wrote it.
    Stmt(Stmt),
    /// A `let` without a suspension point; it declares bindings for the rest of the block.
    Let(Local),
    /// `yield_!(value)` / `.await`; `resume` (a `let` or an assignment whose value is
    /// `__corio_resume!()`) runs first when the coroutine continues.
    Suspend {
        point: usize,
        value: Expr,
        resume: Option<Box<Node>>,
    },
    If {
        cond: Expr,
        then: Vec<Node>,
        els: Vec<Node>,
    },
    Match {
        scrutinee: Expr,
        arms: Vec<Arm>,
    },
    Loop {
        target: usize,
        body: Vec<Node>,
    },
    Block {
        target: usize,
        body: Vec<Node>,
    },
    Break {
        target: usize,
    },
    Return(Option<Expr>),
}

pub(crate) struct Arm {
    /// The arm's own attributes (`#[cfg(…)]` on an arm that does not suspend).
    pub(crate) attrs: Vec<syn::Attribute>,
    pub(crate) pat: Pat,
    pub(crate) guard: Option<Expr>,
    pub(crate) body: Vec<Node>,
}

/// A loop or block that contains a suspension point: what `break`/`continue` can leave.
pub(crate) struct Target {
    pub(crate) label: Option<String>,
    pub(crate) is_loop: bool,
    /// When the construct is used as a value, the temporary its `break value` assigns.
    pub(crate) value: Option<Ident>,
}

pub(crate) struct Point {
    pub(crate) span: Span,
    pub(crate) source: String,
    pub(crate) is_await: bool,
}

pub(crate) struct Body {
    pub(crate) nodes: Vec<Node>,
    pub(crate) targets: Vec<Target>,
    pub(crate) points: Vec<Point>,
    /// The type anchors of value temporaries (see `normalize::anchor`).
    pub(crate) anchors: Vec<Ident>,
    /// One `any(P1, …, Pn)` per run of `#[cfg]`'d tail candidates (see `normalize::cfg_tails`):
    /// the body's end is unreachable when every run has a candidate compiled in.
    pub(crate) fall_off_cfgs: Vec<proc_macro2::TokenStream>,
}
