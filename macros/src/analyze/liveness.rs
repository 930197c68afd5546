//! Stage 5: which bindings each state keeps.
//!
//! Input: a segmented [`Plan`] (states with code, exits, bindings). Output: the same plan
//! with `live`, `saved`, `redeclare`, `dead` and `renamed` filled in. Invariants after it:
//! `saved` of `Start` is the arguments; a dead state has no code and saves nothing; a binding
//! is renamed when some state keeps it where its name is hidden by a later binding.
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

use crate::plan::{Emit, Exit, ExitKind, Id, Kind, Piece, Plan, Set};

fn forced(plan: &Plan, s: usize) -> Set {
    plan.states[s]
        .scope
        .iter()
        .copied()
        .filter(|&b| {
            let b = &plan.bindings[b];
            b.display.starts_with('_') && !b.hidden()
        })
        .collect()
}

/// The user's deferred bindings without `mut` (`let x;`) that the code of state `s` assigns.
/// None of them holds a value where `s` begins: rustc accepts the function only if such a
/// binding is assigned at most once, and the assignment in `s` is reachable from its
/// beginning. So `s` does not keep them, even when a read after its assignment makes them
/// look live (`let x; loop { yield_!(i); if i > n { x = i; break; } } x`: the `if` is one
/// verbatim step, which reads everything it mentions and exits to the read of `x`); the
/// state declares them again (`redeclare`).
fn unset_at_entry(plan: &Plan, assigned: &Set) -> Set {
    assigned
        .iter()
        .copied()
        .filter(|&b| user_deferred(plan, b) && !plan.bindings[b].mutable)
        .collect()
}

/// A binding the user declared without a value (`let x;`), not one of the pass's own
/// temporaries, which rustc never checked against its rules.
fn user_deferred(plan: &Plan, b: Id) -> bool {
    plan.deferred.contains(&b) && !plan.bindings[b].name.starts_with("__corio")
}

/// The user's deferred bindings (`let x;`, `let mut x;`) that may have no value where each
/// state begins: some way from the `let` to the state assigns them nowhere (a forward
/// may-analysis over the states, to a fixed point; a state counts as assigning everything it
/// may assign anywhere in its code, which only makes the sets smaller). rustc reads such a
/// binding only where it has a value on every way there, so it is not live where a state
/// begins, whatever a verbatim step that mentions it makes liveness think (F-deferred-loop
/// with `let mut x;`, which [`unset_at_entry`] leaves alone).
fn maybe_unset(plan: &Plan, assigned: &[Set]) -> Vec<Set> {
    fn declared(code: &[Emit], out: &mut Set) {
        for e in code {
            match e {
                Emit::Let {
                    init: false, binds, ..
                } => out.extend(binds.iter().copied()),
                Emit::If { then, els, .. } => {
                    declared(then, out);
                    declared(els, out);
                }
                Emit::Match { arms, .. } => arms.iter().for_each(|a| declared(&a.body, out)),
                Emit::Block(inner) => declared(inner, out),
                _ => {}
            }
        }
    }
    let n = plan.states.len();
    let mut gen_kill = Vec::with_capacity(n);
    let mut succ = Vec::with_capacity(n);
    for (st, assigned) in plan.states.iter().zip(assigned) {
        let mut lets = Set::new();
        declared(&st.code, &mut lets);
        lets.retain(|&b| user_deferred(plan, b) && !assigned.contains(&b));
        let mut out = Vec::new();
        transitions(&st.code, plan, &mut out);
        succ.push(out.into_iter().map(|t| t.0).collect::<Vec<_>>());
        gen_kill.push((lets, assigned));
    }
    let mut unset = vec![Set::new(); n];
    loop {
        let mut changed = false;
        for s in 0..n {
            let (lets, assigned) = &gen_kill[s];
            let out: Set = unset[s]
                .iter()
                .chain(lets)
                .copied()
                .filter(|b| !assigned.contains(b))
                .collect();
            for &t in &succ[s] {
                let before = unset[t].len();
                unset[t].extend(&out);
                changed |= unset[t].len() != before;
            }
        }
        if !changed {
            break;
        }
    }
    unset
}

pub(crate) fn liveness(plan: &mut Plan) {
    let forced: Vec<Set> = (0..plan.states.len()).map(|s| forced(plan, s)).collect();
    // What each state's code may assign, for the two ways of knowing a deferred binding has
    // no value where the state begins.
    let assigned: Vec<Set> = plan
        .states
        .iter()
        .map(|st| {
            let mut defs = Set::new();
            defs_in(&st.code, &plan.exits, &mut defs);
            defs
        })
        .collect();
    let mut unset = maybe_unset(plan, &assigned);
    for (u, a) in unset.iter_mut().zip(&assigned) {
        u.extend(unset_at_entry(plan, a));
    }
    loop {
        let mut changed = false;
        for s in (0..plan.states.len()).rev() {
            let mut live = transfer(plan, &plan.states[s].code);
            live.retain(|b| !unset[s].contains(b));
            live.extend(&forced[s]);
            if live != plan.states[s].live {
                plan.states[s].live = live;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
}

fn exits_live(plan: &Plan, exits: &[usize]) -> Set {
    let mut live = Set::new();
    for &e in exits {
        if let ExitKind::Goto(s) = plan.exits[e].kind {
            let def = plan.exits[e].def;
            live.extend(plan.states[s].live.iter().filter(|&&b| Some(b) != def));
        }
    }
    live
}

fn transfer(plan: &Plan, code: &[Emit]) -> Set {
    let mut live = Set::new();
    for e in code.iter().rev() {
        live = match e {
            Emit::Stmt { piece, defs, .. } => {
                let mut l: Set = live.difference(defs).copied().collect();
                l.extend(&piece.uses);
                l.extend(exits_live(plan, &piece.exits));
                l
            }
            Emit::Let { piece, binds, .. } => {
                let mut l: Set = live
                    .iter()
                    .copied()
                    .filter(|b| !binds.contains(b))
                    .collect();
                l.extend(&piece.uses);
                l.extend(exits_live(plan, &piece.exits));
                l
            }
            Emit::Await { piece, fut, .. } => {
                let mut l: Set = live.iter().copied().filter(|b| b != fut).collect();
                l.extend(&piece.uses);
                l.extend(exits_live(plan, &piece.exits));
                l
            }
            Emit::If {
                piece,
                binds,
                then,
                els,
                ..
            } => {
                let mut l: Set = transfer(plan, then)
                    .into_iter()
                    .filter(|b| !binds.contains(b))
                    .collect();
                l.extend(transfer(plan, els));
                l.extend(&piece.uses);
                l.extend(exits_live(plan, &piece.exits));
                l.extend(live);
                l
            }
            Emit::Match { piece, arms, .. } => {
                let mut l = live;
                for arm in arms {
                    let mut a = transfer(plan, &arm.body);
                    a.extend(&arm.piece.uses);
                    a.extend(exits_live(plan, &arm.piece.exits));
                    l.extend(a.into_iter().filter(|b| !arm.binds.contains(b)));
                }
                l.extend(&piece.uses);
                l.extend(exits_live(plan, &piece.exits));
                l
            }
            Emit::Block(inner) => {
                let mut l = transfer(plan, inner);
                l.extend(live);
                l
            }
            Emit::Exit(k) => exits_live(plan, &[*k]),
            Emit::Poll { fut, state, .. } => {
                let mut l = live;
                l.extend(&plan.states[*state].live);
                l.insert(*fut);
                l
            }
            Emit::Yield { piece, next, .. } => {
                let mut l = plan.states[*next].live.clone();
                l.extend(&piece.uses);
                l.extend(exits_live(plan, &piece.exits));
                l
            }
        };
    }
    live
}

/// The bindings `code` assigns as a whole anywhere (unlike `Emit::Stmt::defs`, which liveness
/// uses, this includes conditional assignments nested in verbatim code).
pub(crate) fn defs_in(code: &[Emit], exits: &[Exit], out: &mut Set) {
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
            Emit::Let { piece: p, .. }
            | Emit::Await { piece: p, .. }
            | Emit::Yield { piece: p, .. } => piece(p, out),
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
            Emit::Stmt { piece, .. } | Emit::Let { piece, .. } | Emit::Await { piece, .. } => {
                exits(piece, out)
            }
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
        Emit::Let { init, binds, .. } => *init || binds.iter().any(|b| defs.contains(b)),
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

/// Reachability, saved sets, renames and redeclarations.
pub(crate) fn finish(plan: &mut Plan, args: usize) {
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
}
