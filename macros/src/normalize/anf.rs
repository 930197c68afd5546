//! A-normal form: operands evaluated before a suspension point in the same expression are
//! bound to temporaries in evaluation order; pure places are left in place.
//!
//! Input: an expression. Output: `(nodes to run first, the expression without suspension
//! points)`.

use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Stmt, parse_quote};

use super::{Normalizer, is_pure, path};
use crate::ir::Node;
use crate::suspend::{contains, is_yield_macro, yield_arg};

impl Normalizer<'_> {
    /// A-normal form: `(statements to run first, the expression without suspension points)`.
    ///
    /// ```text
    /// f(a(), x, yield_!(v)) + 1        ([let __corio_t1 = a(); Suspend { v, resume: let __corio_t2 = resume }],
    ///                                   f(__corio_t1, x, __corio_t2) + 1)      // `x` is pure: left in place
    /// a && yield_!(b)                  ([let t: bool; If { cond: a, then: [Suspend b → t], els: [t = false;] }], t)
    /// ```
    pub(super) fn anf(&mut self, e: Expr) -> (Vec<Node>, Expr) {
        if !contains(&e) {
            return (Vec::new(), e);
        }
        if let Some((mut pre, value, span, tokens, is_await)) = self.direct_suspend(&e) {
            let point = self.point(span, tokens, is_await);
            let t = self.temp();
            // `mut`: the value may be a place that is mutated (`*lock.lock().await += 1`).
            let resume: Stmt = parse_quote!(let mut #t = __corio_resume!(););
            let Stmt::Local(resume) = resume else {
                unreachable!()
            };
            pre.push(Node::Suspend {
                point,
                value,
                resume: Some(Box::new(Node::Let(resume))),
            });
            return (pre, path(&t));
        }
        match e {
            Expr::Paren(mut p) => {
                let (pre, inner) = self.anf(*p.expr);
                p.expr = Box::new(inner);
                (pre, Expr::Paren(p))
            }
            Expr::Group(mut g) => {
                let (pre, inner) = self.anf(*g.expr);
                g.expr = Box::new(inner);
                (pre, Expr::Group(g))
            }
            Expr::Binary(b)
                if matches!(b.op, BinOp::And(_) | BinOp::Or(_)) && contains(&*b.right) =>
            {
                let (mut pre, left) = self.anf(*b.left);
                let t = self.temp();
                let decl: Stmt = parse_quote!(let #t: bool;);
                let Stmt::Local(decl) = decl else {
                    unreachable!()
                };
                pre.push(Node::Let(decl));
                let mut rhs = Vec::new();
                self.assign_value(*b.right, &t, &mut rhs);
                let short = if matches!(b.op, BinOp::And(_)) {
                    quote!(false)
                } else {
                    quote!(true)
                };
                let short = vec![Node::Stmt(parse_quote!(#t = #short;))];
                let (then, els) = if matches!(b.op, BinOp::And(_)) {
                    (rhs, short)
                } else {
                    (short, rhs)
                };
                pre.push(Node::If {
                    cond: left,
                    then,
                    els,
                });
                (pre, path(&t))
            }
            Expr::Binary(mut b) => {
                let (pre, mut ops) = self.operands(vec![*b.left, *b.right], false);
                b.right = Box::new(ops.pop().unwrap());
                b.left = Box::new(ops.pop().unwrap());
                (pre, Expr::Binary(b))
            }
            Expr::Unary(mut u) => {
                let (pre, inner) = self.anf(*u.expr);
                u.expr = Box::new(inner);
                (pre, Expr::Unary(u))
            }
            Expr::Cast(mut c) => {
                let (pre, inner) = self.anf(*c.expr);
                c.expr = Box::new(inner);
                (pre, Expr::Cast(c))
            }
            Expr::Reference(mut r) => {
                let (pre, inner) = self.anf(*r.expr);
                r.expr = Box::new(inner);
                (pre, Expr::Reference(r))
            }
            Expr::Field(mut f) => {
                let (pre, inner) = self.anf(*f.base);
                f.base = Box::new(inner);
                (pre, Expr::Field(f))
            }
            Expr::Try(mut t) => {
                let span = t.expr.span();
                let (pre, mut inner) = self.anf(*t.expr);
                // `f().await?`: the temporary the operand became is spanned at the operand,
                // so that rustc's error on a `?` that cannot convert points at the user's code.
                if let Expr::Path(p) = &mut inner
                    && let Some(ident) = p.path.get_ident()
                    && ident.to_string().starts_with("__corio_")
                {
                    let at = proc_macro2::Span::call_site().located_at(span);
                    p.path.segments[0].ident = proc_macro2::Ident::new(&ident.to_string(), at);
                }
                t.expr = Box::new(inner);
                (pre, Expr::Try(t))
            }
            Expr::Let(mut l) => {
                let (pre, inner) = self.anf(*l.expr);
                l.expr = Box::new(inner);
                (pre, Expr::Let(l))
            }
            Expr::Call(mut c) => {
                let mut all = vec![*c.func];
                all.extend(std::mem::take(&mut c.args));
                let (pre, mut ops) = self.operands(all, false);
                c.func = Box::new(ops.remove(0));
                c.args = ops.into_iter().collect();
                (pre, Expr::Call(c))
            }
            Expr::MethodCall(mut m) => {
                let mut all = vec![*m.receiver];
                all.extend(std::mem::take(&mut m.args));
                let (pre, mut ops) = self.operands(all, true);
                m.receiver = Box::new(ops.remove(0));
                m.args = ops.into_iter().collect();
                (pre, Expr::MethodCall(m))
            }
            Expr::Index(mut i) => {
                let (pre, mut ops) = self.operands(vec![*i.expr, *i.index], false);
                i.index = Box::new(ops.pop().unwrap());
                i.expr = Box::new(ops.pop().unwrap());
                (pre, Expr::Index(i))
            }
            Expr::Tuple(mut t) => {
                let (pre, ops) =
                    self.operands(std::mem::take(&mut t.elems).into_iter().collect(), false);
                t.elems = ops.into_iter().collect();
                (pre, Expr::Tuple(t))
            }
            Expr::Array(mut a) => {
                let (pre, ops) =
                    self.operands(std::mem::take(&mut a.elems).into_iter().collect(), false);
                a.elems = ops.into_iter().collect();
                (pre, Expr::Array(a))
            }
            Expr::Struct(mut s) => {
                let mut all: Vec<Expr> = s.fields.iter().map(|f| f.expr.clone()).collect();
                if let Some(rest) = &s.rest {
                    all.push((**rest).clone());
                }
                let (pre, mut ops) = self.operands(all, false);
                if s.rest.is_some() {
                    s.rest = Some(Box::new(ops.pop().unwrap()));
                }
                for (field, op) in s.fields.iter_mut().zip(ops) {
                    field.expr = op;
                    field.colon_token.get_or_insert_with(Default::default);
                }
                (pre, Expr::Struct(s))
            }
            e @ (Expr::If(_)
            | Expr::Match(_)
            | Expr::Block(_)
            | Expr::Loop(_)
            | Expr::Unsafe(_)) => self.value_temp(e, None),
            // `break 'a value` / `return value`: the value first; the segment stage turns the
            // jump itself into a transition.
            Expr::Break(mut b) if b.expr.is_some() => {
                let (pre, value) = self.anf(*b.expr.take().unwrap());
                b.expr = Some(Box::new(value));
                (pre, Expr::Break(b))
            }
            Expr::Return(mut r) if r.expr.is_some() => {
                let (pre, value) = self.anf(*r.expr.take().unwrap());
                r.expr = Some(Box::new(value));
                (pre, Expr::Return(r))
            }
            Expr::Range(mut r) => {
                let (has_start, has_end) = (r.start.is_some(), r.end.is_some());
                let ops: Vec<Expr> = [r.start.take(), r.end.take()]
                    .into_iter()
                    .flatten()
                    .map(|e| *e)
                    .collect();
                let (pre, mut ops) = self.operands(ops, false);
                if has_end {
                    r.end = Some(Box::new(ops.pop().unwrap()));
                }
                if has_start {
                    r.start = Some(Box::new(ops.pop().unwrap()));
                }
                (pre, Expr::Range(r))
            }
            Expr::Repeat(mut r) => {
                let (pre, inner) = self.anf(*r.expr);
                r.expr = Box::new(inner);
                (pre, Expr::Repeat(r))
            }
            other => {
                let span = other.span();
                self.errors.push(syn::Error::new(
                    span,
                    "a suspension point is not supported inside this kind of expression; \
                     bind its value to a variable with `let` first",
                ));
                (Vec::new(), other)
            }
        }
    }

    /// Operands evaluated left to right: those before the last one that suspends are bound to
    /// temporaries (unless pure), so they are evaluated before the suspension, as Rust does.
    ///
    /// A pure operand stays in place only when the operands evaluated after it cannot change
    /// the places it reads: Rust copies `x` in `f(x, { x += 1; x }, yield_!(0))` before the
    /// block runs. `receiver`: the first operand is a method receiver, which Rust borrows
    /// (and copies only for a by-value `self`), so only an assignment in the arguments
    /// forces its copy.
    pub(super) fn operands(&mut self, ops: Vec<Expr>, receiver: bool) -> (Vec<Node>, Vec<Expr>) {
        let last = ops.iter().rposition(contains).unwrap_or(0);
        let changed: Vec<bool> = (0..ops.len())
            .map(|i| {
                let mut names = Vec::new();
                place_names(&ops[i], &mut names);
                i < last
                    && !names.is_empty()
                    && ops[i + 1..=last]
                        .iter()
                        .any(|later| may_change(later, &names, receiver && i == 0))
            })
            .collect();
        let mut pre = Vec::new();
        let mut out = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            if i > last {
                out.push(op);
                continue;
            }
            let (mut p, e) = self.anf(op);
            pre.append(&mut p);
            if i < last && (!is_pure(&e) || changed[i]) {
                let t = self.temp();
                let span = e.span();
                let decl: Stmt = syn::parse2(quote_spanned!(span=> let mut #t = #e;)).unwrap();
                let Stmt::Local(decl) = decl else {
                    unreachable!()
                };
                pre.push(Node::Let(decl));
                out.push(path(&t));
            } else {
                out.push(e);
            }
        }
        (pre, out)
    }
}

/// The local names a pure expression reads (`x`, `x.f`, `v[i]`, `&x`, `*r`).
pub(super) fn place_names(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Path(p) => {
            if let Some(i) = p.path.get_ident() {
                out.push(i.to_string());
            }
        }
        Expr::Field(f) => place_names(&f.base, out),
        Expr::Reference(r) => place_names(&r.expr, out),
        Expr::Paren(p) => place_names(&p.expr, out),
        Expr::Group(g) => place_names(&g.expr, out),
        Expr::Index(i) => {
            place_names(&i.expr, out);
            place_names(&i.index, out);
        }
        Expr::Cast(c) => place_names(&c.expr, out),
        Expr::Unary(u) => place_names(&u.expr, out),
        _ => {}
    }
}

/// The local a place expression is part of: `x` for `x`, `x.f`, `x[i]`, `*x`.
pub(super) fn place_root(e: &Expr) -> Option<String> {
    match e {
        Expr::Path(p) => p.path.get_ident().map(|i| i.to_string()),
        Expr::Field(f) => place_root(&f.base),
        Expr::Index(i) => place_root(&i.expr),
        Expr::Paren(p) => place_root(&p.expr),
        Expr::Group(g) => place_root(&g.expr),
        Expr::Unary(u) => place_root(&u.expr),
        _ => None,
    }
}

/// Can evaluating `e` change one of the locals `names`? Assignments, compound assignments and
/// `&mut` borrows of them; unless the reader is a method receiver (which Rust borrows, so that
/// the arguments can only read it), also method calls on them and macros that mention them.
pub(super) fn may_change(e: &Expr, names: &[String], receiver: bool) -> bool {
    use syn::visit::{self, Visit};
    struct Changes<'a> {
        names: &'a [String],
        receiver: bool,
        found: bool,
    }
    impl Changes<'_> {
        fn hits(&self, place: &Expr) -> bool {
            place_root(place).is_some_and(|r| self.names.contains(&r))
        }
    }
    impl<'ast> Visit<'ast> for Changes<'_> {
        fn visit_expr(&mut self, e: &'ast Expr) {
            self.found |= match e {
                Expr::Assign(a) => self.hits(&a.left),
                Expr::Binary(b) => is_compound(&b.op) && self.hits(&b.left),
                Expr::Reference(r) => r.mutability.is_some() && self.hits(&r.expr),
                Expr::MethodCall(m) => !self.receiver && self.hits(&m.receiver),
                _ => false,
            };
            visit::visit_expr(self, e);
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            if is_yield_macro(m) {
                if let Ok(arg) = yield_arg(m) {
                    self.visit_expr(&arg);
                }
            } else if !self.receiver {
                self.found |= crate::syntax::mentions(
                    &m.tokens,
                    &|t| matches!(t, proc_macro2::TokenTree::Ident(i) if self.names.iter().any(|n| i == n)),
                );
            }
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut v = Changes {
        names,
        receiver,
        found: false,
    };
    v.visit_expr(e);
    v.found
}

pub(super) fn is_compound(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
    )
}
