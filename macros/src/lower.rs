//! Stages 4 and 5: segment the normalized body into states, resolve every identifier to its
//! binding, and compute which bindings each state keeps.
//!
//! # Segments
//!
//! A state starts at the function's entry (`Start`), after each suspension point
//! (`Suspend<k>`), at the head of each loop that contains a suspension point (`Loop<n>`), and
//! after each `if` / `match` / block that contains one and has code after it (`Join<n>`).
//! Code between two state entries is emitted once, verbatim, inside the state's arm; every
//! way out of an arm is a transition (`Emit::Exit`) to a state or a `return`.
//!
//! # What a state keeps
//!
//! A binding is *live* at a state entry when some path from there reads it before assigning
//! it as a whole (backward may-liveness over the state graph, to a fixed point). A state
//! keeps its live bindings plus the `_`-prefixed bindings in scope (so `let _guard = …;`
//! lives to the end of its block, as in Rust).
//!
//! ## Approximations
//!
//! * Arguments of a macro that parse as comma-separated expressions (`format!`, `vec!`,
//!   `assert!`, …) are read like any code, and `{name}` in their string literals is a read of
//!   `name`. In other macros every identifier counts as a read of the binding of that name in
//!   scope: a value may be kept a little longer than needed.
//! * A verbatim statement (no suspension point inside) is one step: it reads everything it
//!   mentions and only a whole `x = …;` statement counts as an assignment.

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Local, Pat, Stmt, Type};

use crate::errors::Errors;
use crate::ir::{Arm, Node, Target};
use crate::ref_place::{self, Root};
use crate::verbatim::{RawExit, Verbatim, cond_names, pat_names};

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
}

#[allow(
    clippy::large_enum_variant,
    reason = "a handful per coroutine, built once at expansion"
)]
pub(crate) enum ExitKind {
    Goto(usize),
    Return(Option<Expr>),
}

pub(crate) struct Exit {
    pub(crate) kind: ExitKind,
    pub(crate) assign: Option<(Ident, Expr)>,
    /// The binding `assign` sets (a `break value` out of a construct used as a value).
    pub(crate) def: Option<Id>,
    pub(crate) scope: Vec<Id>,
    pub(crate) inner: Vec<String>,
}

pub(crate) struct Piece {
    pub(crate) scope: Vec<Id>,
    pub(crate) uses: Set,
    /// Bindings assigned as a whole somewhere inside (not only by the whole statement): a
    /// state that runs the piece declares them if it does not keep them.
    pub(crate) assigns: Set,
    pub(crate) exits: Vec<usize>,
}

pub(crate) enum Emit {
    Stmt {
        stmt: Stmt,
        piece: Piece,
        defs: Set,
    },
    Let {
        local: Local,
        piece: Piece,
        binds: Vec<Id>,
    },
    If {
        cond: Expr,
        piece: Piece,
        binds: Vec<Id>,
        then: Vec<Emit>,
        els: Vec<Emit>,
    },
    Match {
        scrutinee: Expr,
        piece: Piece,
        arms: Vec<EArm>,
    },
    Block(Vec<Emit>),
    Exit(usize),
    Yield {
        value: Expr,
        piece: Piece,
        next: usize,
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
    pub(crate) guard: Option<Expr>,
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

    /// `(name, renamed name)` for renamed bindings visible in `scope`, minus names declared in
    /// `inner` (inside the piece of code, around the spot).
    pub(crate) fn renames_in(&self, scope: &[Id], inner: &[String]) -> Vec<(String, String)> {
        self.renamed
            .iter()
            .filter(|&&b| self.visible(b, scope, inner))
            .map(|&b| (self.bindings[b].name.clone(), self.rust_name(b)))
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Cont {
    Goto(usize),
    FallOff,
}

struct Lower<'a> {
    awaits: &'a [bool],
    bindings: Vec<Binding>,
    states: Vec<State>,
    exits: Vec<Exit>,
    scope: Vec<Id>,
    targets: &'a [Target],
    active: Vec<(usize, Cont, Option<usize>)>,
    order: usize,
    items: Vec<Stmt>,
    errors: &'a mut Errors,
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

pub(crate) fn lower(
    nodes: Vec<Node>,
    args: &[Arg],
    targets: &[Target],
    awaits: &[bool],
    errors: &mut Errors,
) -> Plan {
    let mut l = Lower {
        awaits,
        bindings: Vec::new(),
        states: Vec::new(),
        exits: Vec::new(),
        scope: Vec::new(),
        targets,
        active: Vec::new(),
        order: 0,
        items: Vec::new(),
        errors,
    };
    for a in args {
        let id = l.bind(a.name.clone(), a.mutable, false, None, a.span);
        l.bindings[id].display = a.display.clone();
        l.bindings[id].arg_ty = a.ty.clone();
        l.scope.push(id);
    }
    let start = l.new_state(Kind::Start);
    l.begin(start);
    let code = l.seq(nodes, Cont::FallOff);
    l.states[start].code = code;
    l.liveness();
    let mut plan = Plan {
        bindings: l.bindings,
        states: l.states,
        exits: l.exits,
        renamed: Set::new(),
        items: l.items,
    };
    finish(&mut plan, args.len(), errors);
    plan
}

impl Lower<'_> {
    fn bind(
        &mut self,
        name: String,
        mutable: bool,
        by_ref: bool,
        ty: Option<Type>,
        span: Span,
    ) -> Id {
        self.bindings.push(Binding {
            display: name.clone(),
            name,
            mutable,
            by_ref,
            ty,
            span,
            site: span,
            borrows: None,
            owned: false,
            arg_ty: None,
            ref_local: false,
        });
        self.bindings.len() - 1
    }

    fn new_state(&mut self, kind: Kind) -> usize {
        self.states.push(State {
            kind,
            order: usize::MAX,
            scope: self.scope.clone(),
            code: Vec::new(),
            live: Set::new(),
            saved: Vec::new(),
            redeclare: Vec::new(),
            awaiting: None,
            dead: false,
        });
        self.states.len() - 1
    }

    fn begin(&mut self, s: usize) {
        self.states[s].order = self.order;
        self.order += 1;
    }

    fn resolve(&self, name: &str) -> Option<Id> {
        self.scope
            .iter()
            .rev()
            .copied()
            .find(|&b| self.bindings[b].name == name)
    }

    fn cont_exit(&mut self, k: Cont) -> usize {
        let kind = match k {
            Cont::Goto(s) => ExitKind::Goto(s),
            Cont::FallOff => ExitKind::Return(None),
        };
        self.exits.push(Exit {
            kind,
            assign: None,
            def: None,
            scope: self.scope.clone(),
            inner: Vec::new(),
        });
        self.exits.len() - 1
    }

    fn find_target(
        &self,
        label: Option<&str>,
        _is_continue: bool,
    ) -> Option<(usize, Cont, Option<usize>)> {
        self.active.iter().rev().copied().find(|&(t, _, _)| {
            let target = &self.targets[t];
            match label {
                Some(l) => target.label.as_deref() == Some(l),
                None => target.is_loop,
            }
        })
    }

    /// Analyses a piece of verbatim code: its reads, and its exits (rewritten to markers).
    fn piece(&mut self, visit: impl FnOnce(&mut Verbatim)) -> Piece {
        let mut v = Verbatim::analyse(self.exits.len());
        visit(&mut v);
        let uses = v.uses.iter().filter_map(|n| self.resolve(n)).collect();
        let assigns = v.assigns.iter().filter_map(|n| self.resolve(n)).collect();
        let mut exits = Vec::new();
        for found in v.exits {
            let (kind, assign) = match found.exit {
                RawExit::Return(value) => (ExitKind::Return(value), None),
                RawExit::Break { label, value } => {
                    match self.find_target(label.as_deref(), false) {
                        Some((t, cont, _)) => {
                            let assign = match (value, &self.targets[t].value) {
                                (Some(v), Some(temp)) => Some((temp.clone(), v)),
                                (Some(v), None) => {
                                    self.errors.error(&v, "`break` with a value needs a `loop` or labeled block used as a value");
                                    None
                                }
                                (None, _) => None,
                            };
                            let kind = match cont {
                                Cont::Goto(s) => ExitKind::Goto(s),
                                Cont::FallOff => ExitKind::Return(None),
                            };
                            (kind, assign)
                        }
                        None => {
                            self.errors.push(syn::Error::new(
                                Span::call_site(),
                                format!(
                                    "no enclosing loop or block for `break{}`",
                                    label.map(|l| format!(" '{l}")).unwrap_or_default()
                                ),
                            ));
                            (ExitKind::Return(None), None)
                        }
                    }
                }
                RawExit::Continue { label } => {
                    match self
                        .find_target(label.as_deref(), true)
                        .and_then(|(_, _, head)| head)
                    {
                        Some(head) => (ExitKind::Goto(head), None),
                        None => {
                            self.errors.push(syn::Error::new(
                                Span::call_site(),
                                "no enclosing loop for `continue`",
                            ));
                            (ExitKind::Return(None), None)
                        }
                    }
                }
            };
            let def = assign
                .as_ref()
                .and_then(|(t, _)| self.resolve(&t.to_string()));
            self.exits.push(Exit {
                kind,
                assign,
                def,
                scope: self.scope.clone(),
                inner: found.inner,
            });
            exits.push(self.exits.len() - 1);
        }
        Piece {
            scope: self.scope.clone(),
            uses,
            assigns,
            exits,
        }
    }

    /// `&x`, `&mut x`, `x.iter()`, `x.as_str()`, `x.first()`, … (also inside
    /// `IntoIterator::into_iter(…)`, iterator adapters and `{ &x }`). A method counts only
    /// when `x` is certainly a standard container (`Binding::owned`, checked in `finish`).
    fn borrow_of(&self, e: &Expr) -> Option<(Id, Option<String>)> {
        self.borrow_in(e, false)
    }

    /// `iterator`: only an iterator over a borrow counts (the receiver of an adapter: an
    /// `Option<&T>`'s `.map(…)`/`.copied()` makes an owned value).
    fn borrow_in(&self, e: &Expr, iterator: bool) -> Option<(Id, Option<String>)> {
        const ITERATORS: &[&str] = ITERATOR_METHODS;
        // … or a reference (or an `Option` of one) into them.
        const REFERENCES: &[&str] = &[
            "as_str",
            "as_slice",
            "as_mut_slice",
            "as_bytes",
            "as_ref",
            "as_mut",
            "first",
            "last",
            "first_mut",
            "last_mut",
            "get",
            "get_mut",
            "split_first",
            "split_last",
            "trim",
            "trim_start",
            "trim_end",
        ];
        const ADAPTERS: &[&str] = &[
            "map",
            "filter",
            "filter_map",
            "flat_map",
            "flatten",
            "enumerate",
            "rev",
            "skip",
            "skip_while",
            "take",
            "take_while",
            "step_by",
            "zip",
            "chain",
            "peekable",
            "cloned",
            "copied",
            "inspect",
            "fuse",
            "scan",
            "cycle",
            "map_while",
        ];
        let local = |e: &Expr| match e {
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.resolve(&i.to_string())),
            _ => None,
        };
        let method = |m: &syn::ExprMethodCall| m.method.to_string();
        match e {
            Expr::Reference(r) if !iterator => local(&r.expr).map(|b| (b, None)),
            Expr::MethodCall(m)
                if ITERATORS.contains(&method(m).as_str())
                    || (!iterator && REFERENCES.contains(&method(m).as_str())) =>
            {
                local(&m.receiver).map(|b| (b, Some(method(m))))
            }
            // Adapters keep the borrow; anything else (`sum`, `fold`, `count`, `collect`, …)
            // may well make an owned value, and rustc reports the cases this misses.
            Expr::MethodCall(m) if ADAPTERS.contains(&method(m).as_str()) => {
                self.borrow_in(&m.receiver, true)
            }
            // `for x in &v` / `IntoIterator::into_iter(v.iter())`: the iterator borrows what
            // its argument borrows. Any other call taking a borrow (`key(&item)`) may well
            // return an owned value: rustc judges those (issue 15, item 7).
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p)
                        if p.path.segments.last().is_some_and(|s| s.ident == "into_iter")) =>
            {
                self.borrow_in(&c.args[0], false)
            }
            Expr::Paren(p) => self.borrow_in(&p.expr, iterator),
            // `{ &words }`
            Expr::Block(b) if b.label.is_none() && b.block.stmts.len() == 1 => {
                match &b.block.stmts[0] {
                    Stmt::Expr(tail, None) => self.borrow_in(tail, iterator),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The `ref` bindings of `pat` that borrow a place of the frame when it matches
    /// `scrutinee` (see `ref_place`); names in `shadowed` (bound earlier in a let chain) are
    /// not known.
    fn frame_refs(&self, pat: &Pat, scrutinee: &Expr, shadowed: &[String]) -> Vec<String> {
        let root = |name: &str| {
            if shadowed.iter().any(|n| n == name) {
                return Some(Root::Unknown);
            }
            let b = &self.bindings[self.resolve(name)?];
            // A `ref x: T` binding's type is `&T`: its annotation says nothing of `x`.
            let written = if b.by_ref { None } else { b.ty.as_ref() };
            Some(match written.or(b.arg_ty.as_ref()) {
                Some(ty) => Root::Typed(Box::new(ty.clone())),
                None if b.owned => Root::Container,
                None => Root::Unknown,
            })
        };
        ref_place::frame_refs(pat, scrutinee, &root)
    }

    /// `frame_refs` of each `let` of a condition (`if let`, let chains).
    fn cond_frame_refs(&self, cond: &Expr, bound: &mut Vec<String>) -> Vec<String> {
        match cond {
            Expr::Let(l) => {
                let refs = self.frame_refs(&l.pat, &l.expr, bound);
                let mut names = Vec::new();
                crate::verbatim::pat_names(&l.pat, &mut names);
                bound.extend(names.into_iter().map(|n| n.0));
                refs
            }
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                let mut refs = self.cond_frame_refs(&b.left, bound);
                refs.extend(self.cond_frame_refs(&b.right, bound));
                refs
            }
            Expr::Paren(p) => self.cond_frame_refs(&p.expr, bound),
            _ => Vec::new(),
        }
    }

    fn mark_frame_refs(&mut self, binds: &[Id], refs: &[String]) {
        for &b in binds {
            if refs.contains(&self.bindings[b].name) {
                self.bindings[b].ref_local = true;
            }
        }
    }

    fn pattern(&mut self, pat: &Pat, ty: Option<&Type>) -> Vec<Id> {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        let single = names.len() == 1;
        names
            .into_iter()
            .map(|(name, mutable, by_ref, span)| {
                let ty = if single { ty.cloned() } else { None };
                let id = self.bind(name, mutable, by_ref, ty, span);
                self.bindings[id].site = pat.span();
                id
            })
            .collect()
    }

    fn seq(&mut self, nodes: Vec<Node>, k: Cont) -> Vec<Emit> {
        let mark = self.scope.len();
        let mut code = Vec::new();
        let mut iter = nodes.into_iter();
        let mut terminated = false;
        while let Some(node) = iter.next() {
            match node {
                Node::Stmt(Stmt::Item(item)) => self.items.push(Stmt::Item(item)),
                Node::Stmt(mut stmt) => {
                    let assigns = stmt_assigns(&stmt);
                    // A statement that never goes on (`panic!(…);`, `t = { unreachable!(); };`,
                    // `if c { return 1; } else { break; }`) ends its segment like a jump.
                    let jumps = is_jump(&stmt) || assigns.is_none();
                    let defs = assigns
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|n| self.resolve(n))
                        .collect();
                    let piece = self.piece(|v| v.visit_stmt_mut(&mut stmt));
                    code.push(Emit::Stmt { stmt, piece, defs });
                    if jumps {
                        // What follows is unreachable: a state of its own that nothing leads
                        // to, so that liveness does not flow back from it.
                        let rest: Vec<Node> = iter.collect();
                        if !rest.is_empty() {
                            let dead = self.new_state(Kind::Join);
                            self.begin(dead);
                            let body = self.seq(rest, k);
                            self.states[dead].code = body;
                        }
                        terminated = true;
                        break;
                    }
                }
                Node::Let(mut local) => {
                    let piece = self.piece(|v| {
                        if let Some(init) = &mut local.init {
                            v.visit_expr_mut(&mut init.expr);
                            if let Some((_, d)) = &mut init.diverge {
                                v.visit_expr_mut(d);
                            }
                        }
                    });
                    let (pat, ty) = match &local.pat {
                        Pat::Type(pt) => (&*pt.pat, Some(&*pt.ty)),
                        p => (p, None),
                    };
                    let (pat, ty) = (pat.clone(), ty.cloned());
                    let binds = self.pattern(&pat, ty.as_ref());
                    if let Some(init) = &local.init {
                        let refs = self.frame_refs(&local.pat, &init.expr, &[]);
                        self.mark_frame_refs(&binds, &refs);
                    }
                    if let (Some(init), [b]) = (&local.init, binds.as_slice()) {
                        self.bindings[*b].borrows = self.borrow_of(&init.expr);
                        self.bindings[*b].owned = is_owned_init(&init.expr, ty.as_ref());
                    }
                    self.scope.extend(&binds);
                    code.push(Emit::Let {
                        local,
                        piece,
                        binds,
                    });
                }
                Node::Suspend {
                    point,
                    value,
                    resume,
                } if self.awaits[point] => {
                    // let mut __corio_futK = <the future, stored in place or boxed>;
                    // then poll it at the entry of state `SuspendK` until it is ready.
                    let span = value.span();
                    let fut_ident = quote::format_ident!("__corio_fut{}", point);
                    let stmt: Stmt = syn::parse2(quote::quote_spanned! {span=>
                        let mut #fut_ident = {
                            let __corio_into = ::core::future::IntoFuture::into_future(#value);
                            (&__corio_into).__corio_await_kind().store(__corio_into)
                        };
                    })
                    .expect("a let statement");
                    let Stmt::Local(mut local) = stmt else {
                        unreachable!()
                    };
                    let piece = self.piece(|v| {
                        if let Some(init) = &mut local.init {
                            v.visit_expr_mut(&mut init.expr);
                        }
                    });
                    let fut = self.bind(fut_ident.to_string(), true, false, None, fut_ident.span());
                    self.bindings[fut].site = span;
                    code.push(Emit::Let {
                        local,
                        piece,
                        binds: vec![fut],
                    });
                    self.scope.push(fut);
                    let next = self.new_state(Kind::Point(point));
                    self.states[next].awaiting = Some(fut);
                    let exit = self.cont_exit(Cont::Goto(next));
                    code.push(Emit::Exit(exit));
                    self.begin(next);
                    let rest: Vec<Node> = resume.map(|r| *r).into_iter().chain(iter).collect();
                    let mut body = vec![Emit::Poll {
                        fut,
                        state: next,
                        scope: self.scope.clone(),
                    }];
                    body.extend(self.seq(rest, k));
                    self.states[next].code = body;
                    terminated = true;
                    break;
                }
                Node::Suspend {
                    point,
                    mut value,
                    resume,
                } => {
                    let piece = self.piece(|v| v.visit_expr_mut(&mut value));
                    let next = self.new_state(Kind::Point(point));
                    code.push(Emit::Yield { value, piece, next });
                    self.begin(next);
                    let rest: Vec<Node> = resume.map(|r| *r).into_iter().chain(iter).collect();
                    let body = self.seq(rest, k);
                    self.states[next].code = body;
                    terminated = true;
                    break;
                }
                Node::If {
                    mut cond,
                    then,
                    els,
                } => {
                    let rest: Vec<Node> = iter.collect();
                    let cont = self.join_for(&rest, k);
                    let refs = self.cond_frame_refs(&cond, &mut Vec::new());
                    let piece = self.piece(|v| v.visit_expr_mut(&mut cond));
                    let mut names = Vec::new();
                    cond_names(&cond, &mut names);
                    let binds: Vec<Id> = names
                        .into_iter()
                        .map(|(n, m, r, span)| self.bind(n, m, r, None, span))
                        .collect();
                    self.mark_frame_refs(&binds, &refs);
                    let inner = self.scope.len();
                    self.scope.extend(&binds);
                    let then = self.seq(then, cont);
                    self.scope.truncate(inner);
                    let els = self.seq(els, cont);
                    code.push(Emit::If {
                        cond,
                        piece,
                        binds,
                        then,
                        els,
                    });
                    self.finish_join(rest, k, cont);
                    terminated = true;
                    break;
                }
                Node::Match {
                    mut scrutinee,
                    arms,
                } => {
                    let rest: Vec<Node> = iter.collect();
                    let cont = self.join_for(&rest, k);
                    let arm_refs: Vec<Vec<String>> = arms
                        .iter()
                        .map(|a| self.frame_refs(&a.pat, &scrutinee, &[]))
                        .collect();
                    let piece = self.piece(|v| v.visit_expr_mut(&mut scrutinee));
                    let mut earms = Vec::new();
                    for Arm {
                        attrs,
                        pat,
                        mut guard,
                        body,
                    } in arms
                    {
                        let inner = self.scope.len();
                        let binds = self.pattern(&pat, None);
                        self.mark_frame_refs(&binds, &arm_refs[earms.len()]);
                        self.scope.extend(&binds);
                        let piece = self.piece(|v| {
                            if let Some(g) = &mut guard {
                                v.visit_expr_mut(g);
                            }
                        });
                        let body = self.seq(body, cont);
                        self.scope.truncate(inner);
                        earms.push(EArm {
                            attrs,
                            pat,
                            guard,
                            binds,
                            piece,
                            body,
                        });
                    }
                    code.push(Emit::Match {
                        scrutinee,
                        piece,
                        arms: earms,
                    });
                    self.finish_join(rest, k, cont);
                    terminated = true;
                    break;
                }
                Node::Loop { target, body } => {
                    let rest: Vec<Node> = iter.collect();
                    let brk = self.join_for(&rest, k);
                    let head = self.new_state(Kind::Head);
                    let exit = self.cont_exit(Cont::Goto(head));
                    code.push(Emit::Exit(exit));
                    self.active.push((target, brk, Some(head)));
                    self.begin(head);
                    let body = self.seq(body, Cont::Goto(head));
                    self.states[head].code = body;
                    self.active.pop();
                    self.finish_join(rest, k, brk);
                    terminated = true;
                    break;
                }
                Node::Block { target, body } => {
                    let rest: Vec<Node> = iter.collect();
                    let brk = self.join_for(&rest, k);
                    self.active.push((target, brk, None));
                    let body = self.seq(body, brk);
                    self.active.pop();
                    code.push(Emit::Block(body));
                    self.finish_join(rest, k, brk);
                    terminated = true;
                    break;
                }
                Node::Break { target } => {
                    let cont = self
                        .active
                        .iter()
                        .rev()
                        .find(|a| a.0 == target)
                        .map(|a| a.1)
                        .unwrap_or(Cont::FallOff);
                    let exit = self.cont_exit(cont);
                    code.push(Emit::Exit(exit));
                    terminated = true;
                    break;
                }
                Node::Return(mut value) => {
                    let mut piece = self.piece(|v| {
                        if let Some(e) = &mut value {
                            v.visit_expr_mut(e);
                        }
                    });
                    self.exits.push(Exit {
                        kind: ExitKind::Return(value),
                        assign: None,
                        def: None,
                        scope: self.scope.clone(),
                        inner: Vec::new(),
                    });
                    let exit = self.exits.len() - 1;
                    piece.exits.push(exit);
                    code.push(Emit::Stmt {
                        stmt: syn::parse_quote!(__corio_exit!(#exit);),
                        piece,
                        defs: Set::new(),
                    });
                    terminated = true;
                    break;
                }
            }
        }
        if !terminated {
            let exit = self.cont_exit(k);
            code.push(Emit::Exit(exit));
        }
        self.scope.truncate(mark);
        code
    }

    fn join_for(&mut self, rest: &[Node], k: Cont) -> Cont {
        if rest.is_empty() {
            k
        } else {
            Cont::Goto(self.new_state(Kind::Join))
        }
    }

    fn finish_join(&mut self, rest: Vec<Node>, k: Cont, cont: Cont) {
        if let (false, Cont::Goto(j)) = (rest.is_empty(), cont) {
            self.begin(j);
            let body = self.seq(rest, k);
            self.states[j].code = body;
        }
    }

    fn forced(&self, s: usize) -> Set {
        self.states[s]
            .scope
            .iter()
            .copied()
            .filter(|&b| {
                let b = &self.bindings[b];
                b.display.starts_with('_') && !b.hidden()
            })
            .collect()
    }

    fn liveness(&mut self) {
        let forced: Vec<Set> = (0..self.states.len()).map(|s| self.forced(s)).collect();
        loop {
            let mut changed = false;
            for s in (0..self.states.len()).rev() {
                let mut live = self.transfer(&self.states[s].code);
                live.extend(&forced[s]);
                if live != self.states[s].live {
                    self.states[s].live = live;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn exits_live(&self, exits: &[usize]) -> Set {
        let mut live = Set::new();
        for &e in exits {
            if let ExitKind::Goto(s) = self.exits[e].kind {
                let def = self.exits[e].def;
                live.extend(self.states[s].live.iter().filter(|&&b| Some(b) != def));
            }
        }
        live
    }

    fn transfer(&self, code: &[Emit]) -> Set {
        let mut live = Set::new();
        for e in code.iter().rev() {
            live = match e {
                Emit::Stmt { piece, defs, .. } => {
                    let mut l: Set = live.difference(defs).copied().collect();
                    l.extend(&piece.uses);
                    l.extend(self.exits_live(&piece.exits));
                    l
                }
                Emit::Let { piece, binds, .. } => {
                    let mut l: Set = live
                        .iter()
                        .copied()
                        .filter(|b| !binds.contains(b))
                        .collect();
                    l.extend(&piece.uses);
                    l.extend(self.exits_live(&piece.exits));
                    l
                }
                Emit::If {
                    piece,
                    binds,
                    then,
                    els,
                    ..
                } => {
                    let mut l: Set = self
                        .transfer(then)
                        .into_iter()
                        .filter(|b| !binds.contains(b))
                        .collect();
                    l.extend(self.transfer(els));
                    l.extend(&piece.uses);
                    l.extend(self.exits_live(&piece.exits));
                    l.extend(live);
                    l
                }
                Emit::Match { piece, arms, .. } => {
                    let mut l = live;
                    for arm in arms {
                        let mut a = self.transfer(&arm.body);
                        a.extend(&arm.piece.uses);
                        a.extend(self.exits_live(&arm.piece.exits));
                        l.extend(a.into_iter().filter(|b| !arm.binds.contains(b)));
                    }
                    l.extend(&piece.uses);
                    l.extend(self.exits_live(&piece.exits));
                    l
                }
                Emit::Block(inner) => {
                    let mut l = self.transfer(inner);
                    l.extend(live);
                    l
                }
                Emit::Exit(k) => self.exits_live(&[*k]),
                Emit::Poll { fut, state, .. } => {
                    let mut l = live;
                    l.extend(&self.states[*state].live);
                    l.insert(*fut);
                    l
                }
                Emit::Yield { piece, next, .. } => {
                    let mut l = self.states[*next].live.clone();
                    l.extend(&piece.uses);
                    l.extend(self.exits_live(&piece.exits));
                    l
                }
            };
        }
        live
    }
}

/// Methods of the standard containers that return an iterator borrowing them.
const ITERATOR_METHODS: &[&str] = &[
    "iter",
    "iter_mut",
    "chars",
    "char_indices",
    "bytes",
    "lines",
    "split_whitespace",
    "windows",
    "chunks",
    "keys",
    "values",
    "values_mut",
    "drain",
];

/// The standard containers whose `.iter()`, `.chars()`, `.keys()`, … (`BORROWING` in
/// `borrow_of`) certainly return borrows of them.
const STD_CONTAINERS: &[&str] = &[
    "Vec", "String", "HashMap", "BTreeMap", "VecDeque", "HashSet", "BTreeSet",
];

/// Does this type name a standard container (or an array)?
fn is_std_container(ty: &Type) -> bool {
    match ty {
        Type::Array(_) => true,
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| STD_CONTAINERS.contains(&s.ident.to_string().as_str())),
        Type::Paren(p) => is_std_container(&p.elem),
        _ => false,
    }
}

/// Does this `let` initialiser certainly make an owned standard container or array (so that
/// `.iter()` on it borrows the coroutine's own local)? Only then is the borrow diagnostic
/// exact: a type of the user's own may have an `iter()` that returns an owned value.
fn is_owned_init(e: &Expr, ty: Option<&Type>) -> bool {
    if let Some(ty) = ty {
        return is_std_container(ty);
    }
    match e {
        Expr::Macro(m) => m
            .mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "vec" || s.ident == "format"),
        Expr::Array(_) | Expr::Repeat(_) => true,
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                segs.len() >= 2 && STD_CONTAINERS.contains(&segs[segs.len() - 2].as_str())
            }
            _ => false,
        },
        // `to_string()` makes a `String`, `into_bytes()` a `Vec<u8>`; `collect()` only with a
        // turbofish naming the container (a user type may implement `FromIterator` too).
        Expr::MethodCall(m) => match m.method.to_string().as_str() {
            "to_string" | "into_bytes" => true,
            "collect" => m.turbofish.as_ref().is_some_and(|t| {
                t.args
                    .iter()
                    .any(|a| matches!(a, syn::GenericArgument::Type(ty) if is_std_container(ty)))
            }),
            _ => false,
        },
        _ => false,
    }
}

/// A `break`, `continue` or `return` statement: control never reaches the next one.
fn is_jump(stmt: &Stmt) -> bool {
    fn jump(e: &Expr) -> bool {
        match e {
            Expr::Break(_) | Expr::Continue(_) | Expr::Return(_) => true,
            Expr::Paren(p) => jump(&p.expr),
            _ => false,
        }
    }
    matches!(stmt, Stmt::Expr(e, _) if jump(e))
}

/// The free names a verbatim statement assigns as a whole on every path that goes on after
/// it: `x = …;`, and `if c { x = 1; } else { x = 2; }`, a `match` all of whose arms assign it,
/// or a block that does (deferred initialisation, `let x; yield_!(…); if … { x = … }`).
/// `None`: the statement never goes on (it panics or jumps out).
fn stmt_assigns(stmt: &Stmt) -> Option<BTreeSet<String>> {
    block_assigns(std::slice::from_ref(stmt))
}

fn block_assigns(stmts: &[Stmt]) -> Option<BTreeSet<String>> {
    let mut all = BTreeSet::new();
    let mut shadowed = Vec::new();
    let mut add = |found: BTreeSet<String>, shadowed: &[String]| {
        all.extend(found.into_iter().filter(|n| !shadowed.contains(n)));
    };
    for stmt in stmts {
        match stmt {
            Stmt::Local(l) => {
                if let Some(init) = &l.init {
                    add(expr_assigns(&init.expr)?, &shadowed);
                }
                let mut names = Vec::new();
                pat_names(&l.pat, &mut names);
                shadowed.extend(names.into_iter().map(|n| n.0));
            }
            Stmt::Expr(e, _) => add(expr_assigns(e)?, &shadowed),
            Stmt::Macro(m) if diverging_macro(&m.mac) => return None,
            Stmt::Macro(_) | Stmt::Item(_) => {}
        }
    }
    Some(all)
}

fn diverging_macro(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        matches!(
            s.ident.to_string().as_str(),
            "panic" | "unreachable" | "todo" | "unimplemented"
        )
    })
}

fn expr_assigns(e: &Expr) -> Option<BTreeSet<String>> {
    let both = |a: Option<BTreeSet<String>>, b: Option<BTreeSet<String>>| match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => Some(a.intersection(&b).cloned().collect()),
    };
    Some(match e {
        Expr::Assign(a) => {
            let mut found = expr_assigns(&a.right)?;
            if let Expr::Path(p) = &*a.left
                && let Some(i) = p.path.get_ident()
            {
                found.insert(i.to_string());
            }
            found
        }
        Expr::Paren(p) => expr_assigns(&p.expr)?,
        Expr::Block(b) if b.label.is_none() => block_assigns(&b.block.stmts)?,
        Expr::Unsafe(u) => block_assigns(&u.block.stmts)?,
        Expr::If(i) => {
            // What the condition's `let`s bind is not assigned by the branches.
            let mut found = if matches!(&*i.cond, Expr::Let(_)) {
                BTreeSet::new()
            } else {
                expr_assigns(&i.cond)?
            };
            let mut bound = Vec::new();
            cond_names(&i.cond, &mut bound);
            let then = block_assigns(&i.then_branch.stmts).map(|t| {
                t.into_iter()
                    .filter(|n| !bound.iter().any(|b| &b.0 == n))
                    .collect()
            });
            let els = match &i.else_branch {
                Some((_, e)) => expr_assigns(e),
                None => Some(BTreeSet::new()),
            };
            found.extend(both(then, els)?);
            found
        }
        Expr::Match(m) => {
            let mut found = expr_assigns(&m.expr)?;
            let mut arms: Option<BTreeSet<String>> = None;
            let mut any = false;
            for arm in &m.arms {
                let mut bound = Vec::new();
                pat_names(&arm.pat, &mut bound);
                let body = expr_assigns(&arm.body).map(|t| {
                    t.into_iter()
                        .filter(|n| !bound.iter().any(|b| &b.0 == n))
                        .collect()
                });
                arms = if any { both(arms, body) } else { body };
                any = true;
            }
            if any {
                found.extend(arms?);
            }
            found
        }
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => return None,
        Expr::Macro(m) if diverging_macro(&m.mac) => return None,
        _ => BTreeSet::new(),
    })
}

/// The bindings `code` assigns as a whole anywhere (unlike `Emit::Stmt::defs`, which liveness
/// uses, this includes conditional assignments nested in verbatim code).
fn defs_in(code: &[Emit], exits: &[Exit], out: &mut Set) {
    let piece = |p: &Piece, out: &mut Set| {
        out.extend(&p.assigns);
        out.extend(p.exits.iter().filter_map(|&k| exits[k].def));
    };
    for e in code {
        match e {
            Emit::Stmt { defs, piece: p, .. } => {
                out.extend(defs);
                piece(p, out);
            }
            Emit::Let { piece: p, .. } | Emit::Yield { piece: p, .. } => piece(p, out),
            Emit::Poll { .. } => {}
            Emit::Exit(k) => out.extend(exits[*k].def),
            Emit::If {
                then,
                els,
                piece: p,
                ..
            } => {
                piece(p, out);
                defs_in(then, exits, out);
                defs_in(els, exits, out);
            }
            Emit::Match { arms, piece: p, .. } => {
                piece(p, out);
                for a in arms {
                    piece(&a.piece, out);
                    defs_in(&a.body, exits, out);
                }
            }
            Emit::Block(inner) => defs_in(inner, exits, out),
        }
    }
}

fn transitions(code: &[Emit], plan: &Plan, out: &mut Vec<(usize, Vec<Id>, Vec<String>)>) {
    let exits = |piece: &Piece, out: &mut Vec<(usize, Vec<Id>, Vec<String>)>| {
        for &k in &piece.exits {
            if let ExitKind::Goto(s) = plan.exits[k].kind {
                out.push((s, plan.exits[k].scope.clone(), plan.exits[k].inner.clone()));
            }
        }
    };
    for e in code {
        match e {
            Emit::Stmt { piece, .. } | Emit::Let { piece, .. } => exits(piece, out),
            Emit::If {
                piece, then, els, ..
            } => {
                exits(piece, out);
                transitions(then, plan, out);
                transitions(els, plan, out);
            }
            Emit::Match { piece, arms, .. } => {
                exits(piece, out);
                for a in arms {
                    exits(&a.piece, out);
                    transitions(&a.body, plan, out);
                }
            }
            Emit::Block(inner) => transitions(inner, plan, out),
            Emit::Exit(k) => {
                if let ExitKind::Goto(s) = plan.exits[*k].kind {
                    out.push((s, plan.exits[*k].scope.clone(), Vec::new()));
                }
            }
            Emit::Yield { piece, next, .. } => {
                exits(piece, out);
                out.push((*next, piece.scope.clone(), Vec::new()));
            }
            Emit::Poll { state, scope, .. } => out.push((*state, scope.clone(), Vec::new())),
        }
    }
}

/// Drops `let x;` declarations whose binding is not assigned in the same state: another
/// state declares it again where it is assigned (rustc could not infer its type here).
fn drop_idle_deferred(code: &mut Vec<Emit>, defs: &Set) {
    code.retain(|e| match e {
        Emit::Let { local, binds, .. } => {
            local.init.is_some() || binds.iter().any(|b| defs.contains(b))
        }
        _ => true,
    });
    for e in code {
        match e {
            Emit::If { then, els, .. } => {
                drop_idle_deferred(then, defs);
                drop_idle_deferred(els, defs);
            }
            Emit::Match { arms, .. } => arms
                .iter_mut()
                .for_each(|a| drop_idle_deferred(&mut a.body, defs)),
            Emit::Block(inner) => drop_idle_deferred(inner, defs),
            _ => {}
        }
    }
}

/// Saved sets, redeclarations, renames, and the borrow diagnostics.
fn finish(plan: &mut Plan, args: usize, errors: &mut Errors) {
    let mut reachable = vec![false; plan.states.len()];
    let mut work = vec![0];
    while let Some(s) = work.pop() {
        if std::mem::replace(&mut reachable[s], true) {
            continue;
        }
        let mut out = Vec::new();
        transitions(&plan.states[s].code, plan, &mut out);
        work.extend(out.into_iter().map(|t| t.0));
    }
    for (s, r) in reachable.into_iter().enumerate() {
        plan.states[s].dead = !r;
        if !r {
            plan.states[s].code.clear();
        }
    }
    for s in 0..plan.states.len() {
        let mut defs = Set::new();
        defs_in(&plan.states[s].code, &plan.exits, &mut defs);
        drop_idle_deferred(&mut plan.states[s].code, &defs);
    }
    for s in 0..plan.states.len() {
        let st = &plan.states[s];
        let saved: Vec<Id> = if st.dead {
            Vec::new()
        } else if st.kind == Kind::Start {
            (0..args).collect()
        } else {
            st.live.iter().copied().collect()
        };
        plan.states[s].saved = saved;
    }
    let mut renamed = Set::new();
    for s in 0..plan.states.len() {
        let st = &plan.states[s];
        for &b in &st.saved {
            if !plan.visible(b, &st.scope, &[]) {
                renamed.insert(b);
            }
        }
        let mut out = Vec::new();
        transitions(&st.code, plan, &mut out);
        for (target, scope, inner) in out {
            for &b in &plan.states[target].saved {
                if !plan.visible(b, &scope, &inner) {
                    renamed.insert(b);
                }
            }
        }
    }
    plan.renamed = renamed;
    for s in 0..plan.states.len() {
        let mut defs = Set::new();
        defs_in(&plan.states[s].code, &plan.exits, &mut defs);
        let st = &plan.states[s];
        let redeclare = defs
            .into_iter()
            .filter(|&b| !st.saved.contains(&b) && plan.visible(b, &st.scope, &[]))
            .collect();
        plan.states[s].redeclare = redeclare;
    }
    // Borrows of the coroutine's own locals kept across a suspension point.
    let mut reported = Set::new();
    for st in &plan.states {
        if st.kind == Kind::Start {
            continue;
        }
        for &b in &st.saved {
            let binding = &plan.bindings[b];
            if !reported.insert(b) {
                continue;
            }
            if binding.by_ref && binding.ref_local {
                errors.push(syn::Error::new(
                    binding.site,
                    format!(
                        "`ref {}` borrows a local of the coroutine and is held across a suspension point; \
                         the state machine cannot store borrows of its own locals: bind by value, \
                         clone, or keep an index instead",
                        binding.name
                    ),
                ));
            } else if binding.by_ref {
                // A `ref` on a place behind a reference (or not known to be in the frame):
                // rustc judges it.
                continue;
            } else if let Some((target, method)) = &binding.borrows {
                let target = &plan.bindings[*target];
                if let Some(method) = method {
                    if !target.owned {
                        continue;
                    }
                    let shown = if binding.name.starts_with("__corio_iter") {
                        "the loop's iterator".to_string()
                    } else if binding.hidden() {
                        "a value the expression keeps across the suspension point".to_string()
                    } else {
                        format!("`{}`", binding.display)
                    };
                    let remedy = if ITERATOR_METHODS.contains(&method.as_str()) {
                        "iterate over an owned value (`into_iter()`, `.clone()`), keep an index"
                    } else {
                        "own the value (`.cloned()`, `.to_owned()`), keep an index"
                    };
                    errors.push(syn::Error::new(
                        binding.site,
                        format!(
                            "{shown} borrows the local `{}` (through `.{method}()`) and is held across a \
                             suspension point; the state machine cannot store borrows of its own locals: \
                             {remedy}, or move the borrowing code into an `async move {{ ... }}` block",
                            target.display
                        ),
                    ));
                    continue;
                }
                if binding.name.starts_with("__corio_iter") {
                    // `for x in &local` / `for x in &mut local`.
                    errors.push(syn::Error::new(
                        binding.site,
                        format!(
                            "the loop's iterator borrows the local `{0}` and is held across a \
                             suspension point; the state machine cannot store borrows of its \
                             own locals: iterate over an owned value (`{0}.clone()`, `into_iter()`), keep \
                             an index, or move the borrowing code into an `async move {{ ... }}` block",
                            target.display
                        ),
                    ));
                    continue;
                }
                errors.push(syn::Error::new(
                    binding.site,
                    format!(
                        "`{}` borrows the local `{}` and is held across a suspension point; the \
                         state machine cannot store borrows of its own locals: own the value, keep \
                         an index, clone it, or move the borrowing code into an `async move {{ ... }}` block",
                        binding.display, target.display
                    ),
                ));
            }
        }
    }
}
