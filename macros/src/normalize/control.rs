//! Statements and control flow: `if`, `match`, `for`/`while` (desugared to `loop`), blocks
//! and `unsafe` blocks that contain a suspension point, and constructs used as values.
//!
//! Input: one statement or construct. Output: `ir::Node`s appended to `out`.

use proc_macro2::Span;
use quote::{ToTokens, format_ident, quote_spanned};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Ident, Stmt, parse_quote};

use super::anf::is_compound;
use super::unsafe_code::wrap_unsafe;
use super::{Normalizer, Tail, is_pure};
use crate::ir::{Arm, Node};
use crate::suspend::{contains, is_yield_macro};

impl Normalizer<'_> {
    /// An expression statement with a suspension point inside.
    ///
    /// ```text
    /// yield_!(v);                      Suspend { value: v, resume: None }
    /// x = f().await;                   Suspend { value: f(), resume: Some(x = __corio_resume!();) }
    /// while c { B }                    Loop { body: [If { cond: c, then: B, els: [Break] }] }
    /// 'l: loop { B } / { B }           Loop { target: 'l, body: B } / Block { body: B }
    /// g(a(), yield_!(v));              let t1 = a(); Suspend { v, resume: let t2 = resume }; g(t1, t2);
    /// ```
    pub(super) fn stmt_expr(&mut self, e: Expr, semi: Option<syn::Token![;]>, out: &mut Vec<Node>) {
        if !contains(&e) {
            out.push(Node::Stmt(Stmt::Expr(e, semi)));
            return;
        }
        if let Some((mut pre, value, span, tokens, is_await)) = self.direct_suspend(&e) {
            let point = self.point(span, tokens, is_await);
            out.append(&mut pre);
            out.push(Node::Suspend {
                point,
                value,
                resume: None,
            });
            return;
        }
        match e {
            Expr::If(i) => self.if_(i, Tail::Discard, out),
            Expr::Match(m) => self.match_(m, Tail::Discard, out),
            Expr::Loop(l) => {
                let target = self.target(l.label.as_ref(), true, None);
                let body = self.block(l.body.stmts, Tail::Discard);
                out.push(Node::Loop { target, body });
            }
            Expr::While(w) if split_let_chain(&w.cond).is_some() => {
                // A let chain that suspends after a `let` (see `if_`): as `loop` + `if`.
                let (label, cond, body) = (&w.label, &w.cond, &w.body);
                let e: Expr = parse_quote!(#label loop { if #cond #body else { break; } });
                self.stmt_expr(e, semi, out);
            }
            Expr::While(w) => {
                let target = self.target(w.label.as_ref(), true, None);
                let mut body = Vec::new();
                let (mut pre, cond) = self.anf(*w.cond);
                body.append(&mut pre);
                let then = self.block(w.body.stmts, Tail::Discard);
                body.push(Node::If {
                    cond,
                    then,
                    els: vec![Node::Break { target }],
                });
                out.push(Node::Loop { target, body });
            }
            Expr::ForLoop(f) => self.for_(f, out),
            Expr::Unsafe(u) => self.unsafe_block(u.block.stmts, Tail::Discard, out),
            Expr::Block(b) if b.block.stmts.is_empty() => {}
            Expr::Block(b) => {
                let target = self.target(b.label.as_ref(), false, None);
                let body = self.block(b.block.stmts, Tail::Discard);
                out.push(Node::Block { target, body });
            }
            Expr::Assign(a) if !contains(&*a.left) => {
                let left = *a.left;
                if let Some((mut pre, value, span, tokens, is_await)) =
                    self.direct_suspend(&a.right)
                {
                    let point = self.point(span, tokens, is_await);
                    out.append(&mut pre);
                    let resume = Node::Stmt(parse_quote!(#left = __corio_resume!();));
                    out.push(Node::Suspend {
                        point,
                        value,
                        resume: Some(Box::new(resume)),
                    });
                } else {
                    let (mut pre, right) = self.anf(*a.right);
                    out.append(&mut pre);
                    out.push(Node::Stmt(parse_quote!(#left = #right;)));
                }
            }
            // `*count.lock().await += 1;`: the suspension point is in the place and the right
            // operand is pure, so the order of the two cannot matter. In a block of its own,
            // so that the place's temporaries (the guard) drop at the end of the statement.
            Expr::Binary(b)
                if is_compound(&b.op)
                    && contains(&*b.left)
                    && !contains(&*b.right)
                    && is_pure(&b.right) =>
            {
                let (left, op, right) = (*b.left, b.op, *b.right);
                let (mut body, left) = self.anf(left);
                body.push(Node::Stmt(parse_quote!(#left #op #right;)));
                let target = self.target(None, false, None);
                out.push(Node::Block { target, body });
            }
            Expr::Binary(b) if is_compound(&b.op) => {
                if contains(&*b.left) {
                    self.errors.error(
                        &b.left,
                        "a suspension point in the place of a compound assignment whose right \
                         operand is not a literal or a variable: bind the place first \
                         (`let mut guard = lock.lock().await; *guard += f();`)",
                    );
                } else if !is_pure(&b.left) {
                    self.errors.error(
                        &b.left,
                        "a compound assignment around a suspension point needs a plain place \
                         on the left (a variable or a field path); bind the suspension point's \
                         value to a variable first",
                    );
                }
                let (left, op) = (*b.left, b.op);
                let (mut pre, right) = self.anf(*b.right);
                out.append(&mut pre);
                out.push(Node::Stmt(parse_quote!(#left #op #right;)));
            }
            Expr::Return(r) if r.expr.as_deref().is_some_and(is_construct) => {
                let value = *r.expr.expect("checked");
                self.tail(value, Tail::Return, out);
            }
            Expr::Return(r) => {
                let value = r.expr.map(|e| {
                    let (mut pre, e) = self.anf(*e);
                    out.append(&mut pre);
                    e
                });
                out.push(Node::Return(value));
            }
            e => {
                let (mut pre, e) = self.anf(e);
                out.append(&mut pre);
                out.push(Node::Stmt(Stmt::Expr(e, Some(Default::default()))));
            }
        }
    }

    /// `if` with a suspension point inside (`tail`: what its value becomes).
    ///
    /// ```text
    /// if c { A } else if d { B }           If { cond: c, then: A, els: [If { cond: d, then: B, els: [] }] }
    /// if let P = e && yield_!(v) { A }     'chain: { if let P = e { if yield_!(v) { A; break 'chain; } } }
    /// ```
    pub(super) fn if_(&mut self, i: syn::ExprIf, tail: Tail, out: &mut Vec<Node>) {
        if let Some((head, rest)) = split_let_chain(&i.cond) {
            // `if let P = e && c { A } else { B }` with a suspension point in `c`: `&&` cannot
            // become an `if` around `c`, which would end the scope of P's bindings before `A`.
            // Rewritten as `'chain: { if let P = e { if c { break 'chain { A } } } { B } }`.
            self.temps += 1;
            let label =
                syn::Lifetime::new(&format!("'__corio_chain{}", self.temps), Span::call_site());
            let then = &i.then_branch;
            let els: Expr = match i.else_branch {
                Some((_, e)) => *e,
                None => parse_quote!({}),
            };
            let e: Expr = match &tail {
                Tail::Discard => {
                    parse_quote!(#label: { if #head { if #rest { #then break #label; } } #els })
                }
                _ => parse_quote!(#label: { if #head { if #rest { break #label #then; } } #els }),
            };
            match tail {
                Tail::Value(t) => self.assign_value(e, &t, out),
                Tail::Discard => self.stmt_expr(e, Some(Default::default()), out),
                Tail::Return => self.tail(e, Tail::Return, out),
            }
            return;
        }
        let (mut pre, cond) = self.anf(*i.cond);
        out.append(&mut pre);
        let then = self.block(i.then_branch.stmts, tail.clone());
        let els = match i.else_branch {
            None => match &tail {
                Tail::Value(t) => vec![self.set(t, &parse_quote!(()))],
                _ => Vec::new(),
            },
            Some((_, e)) => match *e {
                Expr::If(inner) => {
                    let mut els = Vec::new();
                    self.if_(inner, tail, &mut els);
                    els
                }
                Expr::Block(b) => self.block(b.block.stmts, tail),
                other => self.block(vec![Stmt::Expr(other, None)], tail),
            },
        };
        out.push(Node::If { cond, then, els });
    }

    /// `match` with a suspension point in the scrutinee or an arm.
    ///
    /// ```text
    /// match e { P if g => A, _ => B }      Match { scrutinee: e, arms: [P if g => A, _ => B] }
    /// ```
    pub(super) fn match_(&mut self, m: syn::ExprMatch, tail: Tail, out: &mut Vec<Node>) {
        let (mut pre, scrutinee) = self.anf(*m.expr);
        out.append(&mut pre);
        let mut arms = Vec::new();
        for arm in m.arms {
            let guard = arm.guard.map(|(_, g)| {
                if contains(&*g) {
                    self.errors.error(
                        &g,
                        "a suspension point in a match guard is not supported; \
                         compute the condition before the `match` or inside the arm",
                    );
                }
                *g
            });
            let stmts = match *arm.body {
                Expr::Block(b) if b.label.is_none() && b.attrs.is_empty() => b.block.stmts,
                other => vec![Stmt::Expr(other, None)],
            };
            let body = self.block(stmts, tail.clone());
            arms.push(Arm {
                attrs: arm.attrs,
                pat: arm.pat,
                guard,
                body,
            });
        }
        out.push(Node::Match { scrutinee, arms });
    }

    /// `for` with a suspension point in its body, desugared as rustc does.
    ///
    /// ```text
    /// 'l: for P in e { B }       Block { [ let mut __corio_iterN = IntoIterator::into_iter(e);
    ///                                      Loop 'l { [Match { Iterator::next(&mut __corio_iterN),
    ///                                                   Some(P) => B, None => Break 'l }] } ] }
    /// ```
    pub(super) fn for_(&mut self, f: syn::ExprForLoop, out: &mut Vec<Node>) {
        let (mut pre, iterable) = self.anf(*f.expr);
        out.append(&mut pre);
        self.temps += 1;
        let iter = format_ident!("__corio_iter{}", self.temps);
        let block = self.target(None, false, None);
        let target = self.target(f.label.as_ref(), true, None);
        let pat = *f.pat;
        let body = self.block(f.body.stmts, Tail::Discard);
        let next: Expr = parse_quote!(::core::iter::Iterator::next(&mut #iter));
        let arms = vec![
            Arm {
                attrs: Vec::new(),
                pat: parse_quote!(::core::option::Option::Some(#pat)),
                guard: None,
                body,
            },
            Arm {
                attrs: Vec::new(),
                pat: parse_quote!(::core::option::Option::None),
                guard: None,
                body: vec![Node::Break { target }],
            },
        ];
        let span = iterable.span();
        let init: Stmt = syn::parse2(quote_spanned!(span=>
            let mut #iter = ::core::iter::IntoIterator::into_iter(#iterable);
        ))
        .expect("a let statement");
        let Stmt::Local(init) = init else {
            unreachable!()
        };
        let body = vec![
            Node::Let(init),
            Node::Loop {
                target,
                body: vec![Node::Match {
                    scrutinee: next,
                    arms,
                }],
            },
        ];
        out.push(Node::Block {
            target: block,
            body,
        });
    }

    /// An `if`/`match`/block/`loop` used as a value, with a suspension point inside:
    /// every way out assigns `t`.
    ///
    /// ```text
    /// if c { yield_!(1); 2 } else { 3 }    If { cond: c, then: [Suspend 1; t = 2;], els: [t = 3;] }
    /// loop { … break v; }                  Loop { target (value: t) }, and `break v` assigns t
    /// ```
    pub(super) fn value_construct(&mut self, e: Expr, t: &Ident, out: &mut Vec<Node>) {
        match e {
            Expr::If(i) => self.if_(i, Tail::Value(t.clone()), out),
            Expr::Match(m) => self.match_(m, Tail::Value(t.clone()), out),
            Expr::Block(b) => {
                let target = self.target(b.label.as_ref(), false, Some(t.clone()));
                let body = self.block(b.block.stmts, Tail::Value(t.clone()));
                out.push(Node::Block { target, body });
            }
            Expr::Loop(l) => {
                let target = self.target(l.label.as_ref(), true, Some(t.clone()));
                let body = self.block(l.body.stmts, Tail::Discard);
                out.push(Node::Loop { target, body });
            }
            Expr::Unsafe(u) => self.unsafe_block(u.block.stmts, Tail::Value(t.clone()), out),
            other => self.assign_value(other, t, out),
        }
    }

    /// `unsafe { … }` with a suspension point inside: a block whose pieces of user code (all
    /// that is left between the suspension points) are each wrapped in `unsafe { … }` again.
    ///
    /// ```text
    /// unsafe { f(); yield_!(g()); }        Block { [unsafe { f(); }; Suspend { unsafe { g() } }] }
    /// ```
    pub(super) fn unsafe_block(&mut self, stmts: Vec<Stmt>, tail: Tail, out: &mut Vec<Node>) {
        let target = self.target(None, false, None);
        let mut body = self.block(stmts, tail);
        wrap_unsafe(&mut body);
        out.push(Node::Block { target, body });
    }
}

/// `break`, `continue`, `return` or `panic!`-like: control never goes on.
pub(super) fn diverges(e: &Expr) -> bool {
    match e {
        Expr::Break(_) | Expr::Continue(_) | Expr::Return(_) => true,
        Expr::Paren(p) => diverges(&p.expr),
        Expr::Macro(m) => m.mac.path.segments.last().is_some_and(|s| {
            matches!(
                s.ident.to_string().as_str(),
                "panic" | "unreachable" | "todo" | "unimplemented"
            )
        }),
        _ => false,
    }
}

/// An `if`, `match` or unlabelled block (or `unsafe` block) with a suspension point inside,
/// whose value can be made where it is used.
pub(super) fn is_construct(e: &Expr) -> bool {
    contains(e)
        && match e {
            Expr::If(_) | Expr::Match(_) | Expr::Unsafe(_) => true,
            Expr::Block(b) => b.label.is_none(),
            _ => false,
        }
}

/// Does the expression start with an outer attribute (`#[allow(…)] e`)?
pub(super) fn has_outer_attrs(e: &Expr) -> bool {
    matches!(e.to_token_stream().into_iter().next(),
        Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '#')
}

/// `e;` or `m!(…);` without a suspension point that is not a jump (`return`, `break`,
/// `continue`, which the segment stage turns into transitions).
pub(super) fn is_value_statement(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Expr(e, Some(_)) => {
            !contains(e) && !matches!(e, Expr::Return(_) | Expr::Break(_) | Expr::Continue(_))
        }
        Stmt::Macro(m) => !is_yield_macro(&m.mac),
        _ => false,
    }
}

/// `let P = e && … && c && …` where `c` is the first conjunct with a suspension point and a
/// `let` comes before it: `(conjuncts before c, conjuncts from c on)`.
pub(super) fn split_let_chain(cond: &Expr) -> Option<(Expr, Expr)> {
    pub(super) fn conjuncts(e: &Expr, out: &mut Vec<Expr>) {
        match e {
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
                conjuncts(&b.left, out);
                conjuncts(&b.right, out);
            }
            e => out.push(e.clone()),
        }
    }
    let mut all = Vec::new();
    conjuncts(cond, &mut all);
    // The first conjunct that suspends after a `let` (a `let` whose own scrutinee suspends
    // is fine: it runs before the binding).
    let first = (1..all.len())
        .find(|&i| contains(&all[i]) && all[..i].iter().any(|c| matches!(c, Expr::Let(_))))?;
    let join = |cs: &[Expr]| {
        cs.iter()
            .cloned()
            .reduce(|a, b| parse_quote!(#a && #b))
            .expect("non-empty")
    };
    Some((join(&all[..first]), join(&all[first..])))
}
