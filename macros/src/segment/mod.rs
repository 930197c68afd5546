//! Stage 4: cut the normalized body into states (segments).
//!
//! Input: the normalized nodes (`ir::Node`), the coroutine's arguments and the loops/blocks
//! `break` can leave. Output: a [`Plan`] whose states hold their code (`Emit`), every binding
//! resolved (`analyze::scope`), every way out of a segment an [`Exit`], and no liveness yet
//! (`analyze` fills it in).
//!
//! A state starts at the function's entry (`Start`), after each suspension point
//! (`Suspend<k>`), at the head of each loop that contains a suspension point (`Loop<n>`), and
//! after each `if` / `match` / block that contains one and has code after it (`Join<n>`).
//! Code between two state entries is emitted once, verbatim, inside the state's arm; every
//! way out of an arm is a transition (`Emit::Exit`) to a state or a `return`.
//!
//! Invariants: a state's `scope` is the bindings in scope at its entry, in declaration
//! order; `order` is program order; statements after one that never goes on form a state of
//! their own that nothing leads to (so that liveness does not flow back from them).

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;
use syn::{Expr, Pat, Stmt};

use crate::analyze::scope::Scope;
use crate::analyze::{assigns, borrow, facts};
use crate::errors::Errors;
use crate::ir::{Arm, Node, Target};
use crate::plan::{Arg, Code, EArm, Emit, Exit, ExitKind, Kind, Part, Plan, Set, State};
use crate::verbatim::Holes;

mod code;
mod exits;
mod split;

use split::split_point;

#[derive(Clone, Copy)]
enum Cont {
    Goto(usize),
    FallOff,
}

struct Lower<'a> {
    awaits: &'a [bool],
    /// The bindings made so far, and those in scope where the walk is.
    scope: Scope,
    states: Vec<State>,
    exits: Vec<Exit>,
    targets: &'a [Target],
    active: Vec<(usize, Cont, Option<usize>)>,
    order: usize,
    items: Vec<Stmt>,
    errors: &'a mut Errors,
    /// The parts the placeholders of the code being cut stand for (`verbatim::cut`).
    holes: Holes,
    /// Bindings declared by a `let` without a value (a deferred `let u;`, or the temporary
    /// `normalize` assigns a construct's value to).
    deferred: Set,
}

pub(crate) fn segment(
    nodes: Vec<Node>,
    args: &[Arg],
    targets: &[Target],
    awaits: &[bool],
    errors: &mut Errors,
) -> Plan {
    let mut l = Lower {
        awaits,
        scope: Scope::default(),
        states: Vec::new(),
        exits: Vec::new(),
        targets,
        active: Vec::new(),
        order: 0,
        items: Vec::new(),
        errors,
        holes: Holes::default(),
        deferred: Set::new(),
    };
    for a in args {
        let id = l.scope.bind(a.name.clone(), a.mutable, false, None, a.span);
        l.scope.bindings[id].display = a.display.clone();
        l.scope.bindings[id].arg_ty = a.ty.clone();
        // `grid: Vec<Row>` is a container the frame owns, as `let grid: Vec<Row> = …` is.
        l.scope.bindings[id].owned = a.ty.as_ref().is_some_and(borrow::is_std_container);
        l.scope.stack.push(id);
    }
    let start = l.new_state(Kind::Start);
    l.begin(start);
    let code = l.seq(nodes, Cont::FallOff);
    l.states[start].code = code;
    Plan {
        bindings: l.scope.bindings,
        states: l.states,
        exits: l.exits,
        renamed: Set::new(),
        items: l.items,
        deferred: l.deferred,
    }
}

impl Lower<'_> {
    fn new_state(&mut self, kind: Kind) -> usize {
        self.states.push(State {
            kind,
            order: usize::MAX,
            scope: self.scope.stack.clone(),
            code: Vec::new(),
            live: Set::new(),
            saved: Vec::new(),
            redeclare: Vec::new(),
            awaiting: None,
            dead: false,
            split: false,
        });
        self.states.len() - 1
    }

    fn begin(&mut self, s: usize) {
        self.states[s].order = self.order;
        self.order += 1;
    }

    /// The code of a sequence of nodes, in the state being filled; `k`: where control goes
    /// when the sequence ends. A node that contains a suspension point ends the sequence: the
    /// rest goes into the states it starts.
    ///
    /// ```text
    /// Stmt / Let                      Emit::Stmt / Emit::Let, in this state
    /// Suspend (yield_!(v)), rest      Yield { v, next: Suspend<k> }      Suspend<k>: resume, rest
    /// Suspend (f.await), rest         Await { f, fut }; Exit → Suspend<k>  Suspend<k>: Poll fut, resume, rest
    /// If / Match, rest                If / Match (branches end in Exit → Join<n>)  Join<n>: rest
    /// Loop { body }, rest             Exit → Loop<h>     Loop<h>: body, Exit → Loop<h>; break → Join<n>: rest
    /// Return(v)                       Stmt(⟨exit k⟩) with Exit { Return(v) }
    /// (end)                           Exit → k
    /// ```
    fn seq(&mut self, nodes: Vec<Node>, k: Cont) -> Vec<Emit> {
        self.seq_split(nodes, k, usize::MAX)
    }

    /// [`Self::seq`], with a state of its own (a join that no construct ends) starting at
    /// node `split` ([`split_point`](split::split_point)).
    fn seq_split(&mut self, nodes: Vec<Node>, k: Cont, split: usize) -> Vec<Emit> {
        let mark = self.scope.stack.len();
        let mut code = Vec::new();
        let mut iter = nodes.into_iter().enumerate();
        let mut terminated = false;
        while let Some((at, node)) = iter.next() {
            // Each node's code is cut right after it is walked: no placeholder is left.
            self.holes.clear();
            if at == split {
                let rest: Vec<Node> = std::iter::once(node).chain(iter.map(|(_, n)| n)).collect();
                let next = self.new_state(Kind::Join);
                self.states[next].split = true;
                let exit = self.cont_exit(Cont::Goto(next));
                code.push(Emit::Exit(exit));
                self.begin(next);
                let body = self.seq(rest, k);
                self.states[next].code = body;
                terminated = true;
                break;
            }
            match node {
                Node::Stmt(Stmt::Item(item)) => self.items.push(Stmt::Item(item)),
                Node::Stmt(mut stmt) => {
                    let assigns = assigns::stmt_assigns(&stmt);
                    // A statement that never goes on (`panic!(…);`, `t = { unreachable!(); };`,
                    // `if c { return 1; } else { break; }`) ends its segment like a jump.
                    // Not when a `#[cfg(…)]` may compile it out (`#[cfg(x)] { return v; };`):
                    // then what follows runs.
                    let jumps = (is_jump(&stmt) || assigns.is_none()) && !has_cfg(&stmt);
                    let defs = assigns
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|n| self.scope.resolve(n))
                        .collect();
                    let mut piece = self.piece(|v| v.visit_stmt_mut(&mut stmt));
                    let stmt = self.cut(&stmt);
                    piece.facts = facts::of(stmt.source());
                    code.push(Emit::Stmt { stmt, piece, defs });
                    if jumps {
                        // What follows is unreachable: a state of its own that nothing leads
                        // to, so that liveness does not flow back from it.
                        let rest: Vec<Node> = iter.map(|(_, n)| n).collect();
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
                    // What the borrowing rule reads of the initialiser, before exits and
                    // names in it become placeholders.
                    let written = local.init.as_ref().map(|i| (*i.expr).clone());
                    let mut piece = self.piece(|v| {
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
                    let binds = self.scope.pattern(&pat, ty.as_ref());
                    if let Some(init) = &written {
                        let refs = self.scope.frame_refs(&local.pat, init, &[]);
                        self.scope.mark_frame_refs(&binds, &refs);
                    }
                    if let (Some(init), [b]) = (&written, binds.as_slice()) {
                        self.scope.bindings[*b].borrows = borrow::borrow_of(&self.scope, init);
                        self.scope.bindings[*b].owned = borrow::is_owned_init(init, ty.as_ref());
                    }
                    self.scope.stack.extend(&binds);
                    let pat = std::mem::replace(&mut local.pat, Pat::Verbatim(Default::default()));
                    let span = pat.span();
                    let hole = self.holes.put(Part::Pattern(pat, binds.clone()), span);
                    local.pat = Pat::Verbatim(hole.into_token_stream());
                    let init = local.init.is_some();
                    if !init {
                        self.deferred.extend(&binds);
                    }
                    let local = self.cut_local(local);
                    piece.facts = facts::of(local.source());
                    code.push(Emit::Let {
                        local,
                        init,
                        piece,
                        binds,
                    });
                }
                Node::Suspend {
                    point,
                    mut value,
                    resume,
                } if self.awaits[point] => {
                    // `let mut __corio_futK = <the future>;` (`Emit::Await`), then poll it at
                    // the entry of state `SuspendK` until it is ready.
                    let span = value.span();
                    let mut piece = self.piece(|v| v.visit_expr_mut(&mut value));
                    let value = self.cut(&value);
                    piece.facts = facts::of(value.source());
                    let name = format!("__corio_fut{point}");
                    let fut = self.scope.bind(name, true, false, None, Span::call_site());
                    self.scope.bindings[fut].site = span;
                    code.push(Emit::Await {
                        value,
                        piece,
                        fut,
                        span,
                    });
                    self.scope.stack.push(fut);
                    let next = self.new_state(Kind::Point(point));
                    self.states[next].awaiting = Some(fut);
                    let exit = self.cont_exit(Cont::Goto(next));
                    code.push(Emit::Exit(exit));
                    self.begin(next);
                    let rest: Vec<Node> = resume
                        .map(|r| *r)
                        .into_iter()
                        .chain(iter.map(|(_, n)| n))
                        .collect();
                    let mut body = vec![Emit::Poll {
                        fut,
                        state: next,
                        scope: self.scope.stack.clone(),
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
                    let mut piece = self.piece(|v| v.visit_expr_mut(&mut value));
                    let value = self.cut(&value);
                    piece.facts = facts::of(value.source());
                    let next = self.new_state(Kind::Point(point));
                    code.push(Emit::Yield { value, piece, next });
                    self.begin(next);
                    let rest: Vec<Node> = resume
                        .map(|r| *r)
                        .into_iter()
                        .chain(iter.map(|(_, n)| n))
                        .collect();
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
                    let rest: Vec<Node> = iter.map(|(_, n)| n).collect();
                    let cont = self.join_for(&rest, k);
                    let first = self.states.len();
                    let refs = self.scope.cond_frame_refs(&cond, &mut Vec::new());
                    let inner = self.scope.stack.len();
                    let mut piece = self.empty_piece();
                    let mut binds = Vec::new();
                    self.cond_piece(&mut cond, &mut piece, &mut binds);
                    let cond = self.cut(&cond);
                    piece.facts = facts::of(cond.source());
                    self.scope.mark_frame_refs(&binds, &refs);
                    let then = self.seq(then, cont);
                    self.scope.stack.truncate(inner);
                    let els = self.seq(els, cont);
                    code.push(Emit::If {
                        cond,
                        piece,
                        binds,
                        then,
                        els,
                    });
                    let value = self.construct_assigns_deferred(&code[code.len() - 1..], first);
                    self.finish_join(rest, k, cont, value);
                    terminated = true;
                    break;
                }
                Node::Match {
                    mut scrutinee,
                    arms,
                } => {
                    let rest: Vec<Node> = iter.map(|(_, n)| n).collect();
                    let cont = self.join_for(&rest, k);
                    let first = self.states.len();
                    let arm_refs: Vec<Vec<String>> = arms
                        .iter()
                        .map(|a| self.scope.frame_refs(&a.pat, &scrutinee, &[]))
                        .collect();
                    let mut piece = self.piece(|v| v.visit_expr_mut(&mut scrutinee));
                    let scrutinee = self.cut(&scrutinee);
                    piece.facts = facts::of(scrutinee.source());
                    let mut earms = Vec::new();
                    for Arm {
                        attrs,
                        pat,
                        mut guard,
                        body,
                    } in arms
                    {
                        let inner = self.scope.stack.len();
                        let binds = self.scope.pattern(&pat, None);
                        self.scope.mark_frame_refs(&binds, &arm_refs[earms.len()]);
                        self.scope.stack.extend(&binds);
                        let mut piece = self.piece(|v| {
                            if let Some(g) = &mut guard {
                                v.visit_expr_mut(g);
                            }
                        });
                        let guard = guard.map(|g| self.cut(&g));
                        let g = guard.as_ref().map(|g| {
                            let g = g.source();
                            quote::quote!(if #g)
                        });
                        piece.facts = facts::of(quote::quote!(#(#attrs)* #pat #g));
                        let body = self.seq(body, cont);
                        self.scope.stack.truncate(inner);
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
                    let value = self.construct_assigns_deferred(&code[code.len() - 1..], first);
                    self.finish_join(rest, k, cont, value);
                    terminated = true;
                    break;
                }
                Node::Loop { target, body } => {
                    let rest: Vec<Node> = iter.map(|(_, n)| n).collect();
                    let brk = self.join_for(&rest, k);
                    let first = self.states.len();
                    let head = self.new_state(Kind::Head);
                    let exit = self.cont_exit(Cont::Goto(head));
                    code.push(Emit::Exit(exit));
                    self.active.push((target, brk, Some(head)));
                    self.begin(head);
                    let body = self.seq(body, Cont::Goto(head));
                    let value = self.construct_assigns_deferred(&body, first);
                    self.states[head].code = body;
                    self.active.pop();
                    self.finish_join(rest, k, brk, value);
                    terminated = true;
                    break;
                }
                Node::Block { target, body } => {
                    let rest: Vec<Node> = iter.map(|(_, n)| n).collect();
                    let brk = self.join_for(&rest, k);
                    let first = self.states.len();
                    self.active.push((target, brk, None));
                    let body = self.seq(body, brk);
                    self.active.pop();
                    code.push(Emit::Block(body));
                    let value = self.construct_assigns_deferred(&code[code.len() - 1..], first);
                    self.finish_join(rest, k, brk, value);
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
                    let value = value.map(|v| self.cut(&v));
                    let facts = value
                        .as_ref()
                        .map(|v| facts::of(v.source()))
                        .unwrap_or_default();
                    self.exits.push(Exit {
                        kind: ExitKind::Return(value),
                        assign: None,
                        def: None,
                        scope: self.scope.stack.clone(),
                        inner: Vec::new(),
                        facts,
                    });
                    let exit = self.exits.len() - 1;
                    piece.exits.push(exit);
                    code.push(Emit::Stmt {
                        stmt: Code(vec![Part::Exit(exit)]),
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
        self.scope.stack.truncate(mark);
        code
    }

    fn join_for(&mut self, rest: &[Node], k: Cont) -> Cont {
        if rest.is_empty() {
            k
        } else {
            Cont::Goto(self.new_state(Kind::Join))
        }
    }

    /// The join's code; `value`: the construct gives a value (assigns a deferred binding or
    /// a value temporary), so the layout may copy the join into its branches
    /// (`layout::Layouter::copies`). A copy cannot hold a closure or an `async` block kept in
    /// the frame (each copy would be a type of its own), so the join's code ends before the
    /// first statement that may make one, and the rest is a join of its own
    /// ([`split_point`](split::split_point)): the value, used right after the construct, is usually dead there.
    /// The layout copies that join on with the first when its closures go nowhere kept.
    fn finish_join(&mut self, rest: Vec<Node>, k: Cont, cont: Cont, value: bool) {
        if let (false, Cont::Goto(j)) = (rest.is_empty(), cont) {
            self.begin(j);
            let split = if value {
                split_point(&rest)
            } else {
                usize::MAX
            };
            let body = self.seq_split(rest, k, split);
            self.states[j].code = body;
        }
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

/// Does the statement have a `#[cfg(…)]` of its own?
fn has_cfg(stmt: &Stmt) -> bool {
    let attrs: &[syn::Attribute] = match stmt {
        Stmt::Local(l) => &l.attrs,
        Stmt::Macro(m) => &m.attrs,
        Stmt::Item(_) => return false,
        Stmt::Expr(e, _) => crate::syntax::expr_attrs(e),
    };
    attrs.iter().any(|a| a.path().is_ident("cfg"))
}
