//! What a verbatim statement assigns as a whole on every path that goes on after it (the
//! definitions liveness kills), and whether it goes on at all.
//!
//! Input: a `syn::Stmt`. Output: free names, or `None` when the statement never goes on.
//! Pure: it reads syntax only.

use std::collections::BTreeSet;

use syn::{Expr, Stmt};

use crate::syntax::{cond_names, pat_names};

/// The free names a verbatim statement assigns as a whole on every path that goes on after
/// it: `x = …;`, and `if c { x = 1; } else { x = 2; }`, a `match` all of whose arms assign it,
/// or a block that does (deferred initialisation, `let x; yield_!(…); if … { x = … }`).
/// `None`: the statement never goes on (it panics or jumps out).
pub(crate) fn stmt_assigns(stmt: &Stmt) -> Option<BTreeSet<String>> {
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
            assignee_names(&a.left, &mut found);
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

/// The bindings an assignment's left side assigns: `x`, and each of them in a destructuring
/// assignment (`(q, r1) = f();`, `[a, _] = v;`, `S { x, .. } = s;`, `T(a, b) = t;`).
fn assignee_names(left: &Expr, out: &mut BTreeSet<String>) {
    match left {
        Expr::Path(p) => {
            if let Some(i) = p.path.get_ident() {
                out.insert(i.to_string());
            }
        }
        Expr::Paren(p) => assignee_names(&p.expr, out),
        Expr::Tuple(t) => t.elems.iter().for_each(|e| assignee_names(e, out)),
        Expr::Array(a) => a.elems.iter().for_each(|e| assignee_names(e, out)),
        Expr::Call(c) => c.args.iter().for_each(|e| assignee_names(e, out)),
        Expr::Struct(s) => s.fields.iter().for_each(|f| assignee_names(&f.expr, out)),
        _ => {}
    }
}
