//! A body that ends in `#[cfg]`'d tails: which of them is the tail once cfg-stripping is done
//! (part of stage 3, `normalize`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Stmt, parse_quote};

use crate::suspend::contains;

/// The outer attributes of the expressions that can be a block's tail with one
/// (`#[cfg(…)] { … }`, `#[cfg(…)] f(x)`).
fn expr_attrs(e: &mut Expr) -> Option<&mut Vec<syn::Attribute>> {
    Some(match e {
        Expr::Block(x) => &mut x.attrs,
        Expr::Unsafe(x) => &mut x.attrs,
        Expr::If(x) => &mut x.attrs,
        Expr::Match(x) => &mut x.attrs,
        Expr::Loop(x) => &mut x.attrs,
        Expr::Macro(x) => &mut x.attrs,
        Expr::Call(x) => &mut x.attrs,
        Expr::MethodCall(x) => &mut x.attrs,
        Expr::Path(x) => &mut x.attrs,
        Expr::Lit(x) => &mut x.attrs,
        Expr::Struct(x) => &mut x.attrs,
        Expr::Tuple(x) => &mut x.attrs,
        _ => return None,
    })
}

/// The body's statements end in `#[cfg(…)]`'d expressions without `;` (`#[cfg(debug_assertions)]
/// { &DIGITS[i..i + 3] } #[cfg(not(debug_assertions))] unsafe { … }`): after cfg-stripping,
/// the last one compiled in is the tail, and with none the body has no tail (its type is then
/// `!` from a statement that diverged, see `__private::FallOff`). Each candidate `e` with
/// predicate `P`, followed in that run of cfg'd statements by others with `Q1, …`, becomes
/// `#[cfg(all(P, not(any(Q1, …))))] { return e; };` and `#[cfg(all(P, any(Q1, …)))] e` (the
/// statement it is when a later one is compiled in). With such a run, `any(P1, …, Pn)`: the
/// body's end is unreachable when it holds (one candidate returned), which an `-> impl Trait`
/// fall-off needs (F-corpus-8).
pub(super) fn cfg_tails(stmts: &mut Vec<Stmt>) -> Option<TokenStream> {
    /// Takes the statement's `#[cfg(…)]` attributes off: them, and their predicates.
    fn cfg_of(stmt: &mut Stmt) -> Option<(Vec<syn::Attribute>, Vec<TokenStream>)> {
        let attrs = match stmt {
            Stmt::Local(l) => &mut l.attrs,
            Stmt::Item(_) => return None,
            Stmt::Expr(e, _) => expr_attrs(e)?,
            Stmt::Macro(m) => &mut m.attrs,
        };
        let cfgs: Vec<&syn::Attribute> =
            attrs.iter().filter(|a| a.path().is_ident("cfg")).collect();
        let preds: Vec<TokenStream> = cfgs
            .iter()
            .map(|a| a.meta.require_list().ok().map(|l| l.tokens.clone()))
            .collect::<Option<_>>()?;
        if preds.is_empty() {
            return None;
        }
        let (cfgs, others) = std::mem::take(attrs)
            .into_iter()
            .partition(|a| a.path().is_ident("cfg"));
        *attrs = others;
        Some((cfgs, preds))
    }
    // the trailing run of statements that each have a `#[cfg]`, with their predicates
    let mut run: Vec<(Stmt, Vec<syn::Attribute>, TokenStream)> = Vec::new();
    while let Some(mut last) = stmts.pop() {
        if contains(&last) {
            stmts.push(last);
            break;
        }
        match cfg_of(&mut last) {
            Some((cfgs, preds)) => run.push((last, cfgs, quote!(all(#(#preds),*)))),
            None => {
                stmts.push(last);
                break;
            }
        }
    }
    run.reverse();
    let any_tail = run.iter().any(|(s, _, _)| matches!(s, Stmt::Expr(_, None)));
    if !any_tail {
        for (mut stmt, cfgs, _) in run {
            put_back(&mut stmt, cfgs);
            stmts.push(stmt);
        }
        return None;
    }
    let preds: Vec<TokenStream> = run.iter().map(|(_, _, p)| p.clone()).collect();
    let any = quote!(any(#(#preds),*));
    for (i, (mut stmt, cfgs, p)) in run.into_iter().enumerate() {
        let later = &preds[i + 1..];
        match stmt {
            Stmt::Expr(mut e, None) => {
                // an attribute left on the value (`#[allow(…)]`) is only stable on a tail
                let value: Expr = match expr_attrs(&mut e) {
                    Some(a) if !a.is_empty() => parse_quote!({ #e }),
                    _ => e.clone(),
                };
                stmts
                    .push(parse_quote!(#[cfg(all(#p, not(any(#(#later),*))))] { return #value; };));
                if !later.is_empty() {
                    stmts.push(Stmt::Expr(
                        parse_quote!(#[cfg(all(#p, any(#(#later),*)))] #e),
                        None,
                    ));
                }
            }
            _ => {
                put_back(&mut stmt, cfgs);
                stmts.push(stmt);
            }
        }
    }
    Some(any)
}

/// Puts a statement's `#[cfg]` attributes back in front of its others.
fn put_back(stmt: &mut Stmt, mut cfgs: Vec<syn::Attribute>) {
    let attrs = match stmt {
        Stmt::Local(l) => &mut l.attrs,
        Stmt::Item(_) => return,
        Stmt::Expr(e, _) => match expr_attrs(e) {
            Some(a) => a,
            None => return,
        },
        Stmt::Macro(m) => &mut m.attrs,
    };
    cfgs.append(attrs);
    *attrs = cfgs;
}
