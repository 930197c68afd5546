//! `unsafe { … }` around a suspension point: the block is split like any other, and every
//! piece of user code left between the suspension points is wrapped in `unsafe { … }` again.
//!
//! Input: the nodes of an `unsafe` block's body. Output: the same nodes, their user code
//! wrapped.
//!
//! ```text
//! unsafe { let p = f(); yield_!(*p); g(p); }    Block { [ Let(let p = unsafe { f() };),
//!                                                         Suspend { unsafe { *p } },
//!                                                         Stmt(unsafe { g(p); };) ] }
//! ```

use syn::{BinOp, Expr, Pat, Stmt, parse_quote};

use crate::ir::Node;

/// A place expression (`x`, `x.f`, `v[i]`, `*p`): wrapping it in a block would move out of it.
fn is_place(e: &Expr) -> bool {
    match e {
        Expr::Path(_) => true,
        Expr::Field(f) => is_place(&f.base),
        Expr::Index(i) => is_place(&i.expr),
        Expr::Paren(p) => is_place(&p.expr),
        Expr::Unary(u) => matches!(u.op, syn::UnOp::Deref(_)),
        _ => false,
    }
}

/// `unsafe { e }`, unless `e` is a place (see `is_place`) or the resume placeholder.
fn unsafe_expr(e: &mut Expr) {
    let placeholder = matches!(e, Expr::Macro(m) if m.mac.path.is_ident("__corio_resume"));
    if !is_place(e) && !placeholder {
        *e = parse_quote!(unsafe { #e });
    }
}

/// `unsafe { e }` for an expression used by value (a place is moved or copied either way).
fn unsafe_value(e: &mut Expr) {
    let placeholder = matches!(e, Expr::Macro(m) if m.mac.path.is_ident("__corio_resume"));
    if !placeholder {
        *e = parse_quote!(unsafe { #e });
    }
}

fn unsafe_cond(e: &mut Expr) {
    match e {
        Expr::Let(l) => unsafe_expr(&mut l.expr),
        Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
            unsafe_cond(&mut b.left);
            unsafe_cond(&mut b.right);
        }
        e => unsafe_expr(e),
    }
}

/// Wraps the user code of the nodes of an `unsafe` block in `unsafe { … }` (see
/// `Normalizer::unsafe_block`).
///
/// ```text
/// Let(let p = f();)  Suspend { *p }      Let(let p = unsafe { f() };)  Suspend { unsafe { *p } }
/// ```
pub(super) fn wrap_unsafe(nodes: &mut [Node]) {
    for node in nodes {
        match node {
            Node::Stmt(Stmt::Item(_)) => {}
            Node::Stmt(Stmt::Expr(Expr::Assign(a), _))
                if is_place(&a.left) && !matches!(*a.left, Expr::Unary(_)) =>
            {
                unsafe_expr(&mut a.right);
            }
            Node::Stmt(stmt) => {
                let inner = stmt.clone();
                *stmt = Stmt::Expr(parse_quote!(unsafe { #inner }), Some(Default::default()));
            }
            Node::Let(local) => {
                // `let x = *p;` binds the whole place: wrapping it moves (or copies) the same.
                let whole = matches!(&local.pat, Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none())
                    || matches!(&local.pat, Pat::Type(t) if matches!(&*t.pat, Pat::Ident(i) if i.by_ref.is_none() && i.subpat.is_none()));
                if let Some(init) = &mut local.init {
                    if whole {
                        unsafe_value(&mut init.expr);
                    } else {
                        unsafe_expr(&mut init.expr);
                    }
                    if let Some((_, d)) = &mut init.diverge {
                        unsafe_expr(d);
                    }
                }
            }
            Node::Suspend { value, resume, .. } => {
                unsafe_value(value);
                if let Some(r) = resume {
                    wrap_unsafe(std::slice::from_mut(&mut **r));
                }
            }
            Node::If { cond, then, els } => {
                unsafe_cond(cond);
                wrap_unsafe(then);
                wrap_unsafe(els);
            }
            Node::Match { scrutinee, arms } => {
                unsafe_expr(scrutinee);
                for arm in arms {
                    if let Some(g) = &mut arm.guard {
                        unsafe_expr(g);
                    }
                    wrap_unsafe(&mut arm.body);
                }
            }
            Node::Loop { body, .. } | Node::Block { body, .. } => wrap_unsafe(body),
            Node::Break { .. } => {}
            Node::Return(value) => {
                if let Some(v) = value {
                    unsafe_value(v);
                }
            }
        }
    }
}
