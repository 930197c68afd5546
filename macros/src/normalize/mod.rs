//! Stage 3: desugar the body so that every suspension point stands at statement level.
//!
//! * `for` → `let mut iter = IntoIterator::into_iter(e); loop { match Iterator::next(&mut iter) { … } }`;
//!   `while` / `while let` → `loop { if cond { body } else { break } }`.
//! * Operands evaluated before a suspension point in the same expression are bound to
//!   temporaries in evaluation order (A-normal form); pure places (paths, fields, literals,
//!   references to them) are left in place, since a suspended coroutine's locals cannot change.
//! * `a && yield_!(b)` / `||` become `if`; `if`/`match`/`loop`/blocks used as values with a
//!   suspension point inside become a deferred `let` assigned in every branch.
//! * `?`, `return` and `break`/`continue` are left alone here: the segment stage rewrites them
//!   when it knows which state they leave to.
//!
//! Constructs without a suspension point are kept exactly as written.
//!
//! Input: the function's body as written (validated). Output: an [`ir::Body`](Body): the
//! `Node`s, the loops and blocks `break` can leave (`Target`s), the suspension points, the
//! type anchors of value temporaries. Invariants: every `yield_!`/`.await` is a
//! `Node::Suspend` at statement level, whose `resume` (if any) reads the resume value as
//! `__corio_resume!()`; a `Node::Stmt`/`Node::Let` contains no suspension point; evaluation
//! order is the written one.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;
use syn::{Block, Expr, Ident, Local, Stmt, parse_quote};

mod anf;
mod cfg_tails;
mod control;
mod source;
mod unsafe_code;

pub(crate) use source::source_text;

use cfg_tails::cfg_tails;
use control::{diverges, has_outer_attrs, is_construct, is_value_statement};

use crate::errors::Errors;
use crate::ir::{Body, Node, Point, Target};
use crate::suspend::{contains, is_yield_macro, yield_arg};

pub(crate) fn normalize(block: &Block, returns_value: bool, errors: &mut Errors) -> Body {
    let mut n = Normalizer {
        targets: Vec::new(),
        anchors: Vec::new(),
        fall_off_cfgs: Vec::new(),
        points: Vec::new(),
        temps: 0,
        errors,
    };
    let tail = if returns_value {
        Tail::Return
    } else {
        Tail::Discard
    };
    let nodes = n.block(block.stmts.clone(), tail);
    Body {
        nodes,
        targets: n.targets,
        points: n.points,
        anchors: n.anchors.iter().map(anchor).collect(),
        fall_off_cfgs: n.fall_off_cfgs,
    }
}

#[derive(Clone)]
enum Tail {
    /// The function body's tail: the return value.
    Return,
    /// A block used as a value: assign the tail to this temporary.
    Value(Ident),
    /// A block used as a statement.
    Discard,
}

struct Normalizer<'e> {
    targets: Vec<Target>,
    /// Temporaries of constructs used as values, whose assignments go through a type anchor
    /// (`anchor`).
    anchors: Vec<Ident>,
    /// The predicates of the runs of `#[cfg]`'d tail candidates (see [`Body::fall_off_cfgs`]).
    fall_off_cfgs: Vec<TokenStream>,
    points: Vec<Point>,
    temps: usize,
    errors: &'e mut Errors,
}

fn resume_placeholder() -> Expr {
    parse_quote!(__corio_resume!())
}

/// The type anchor of a value temporary: `PhantomData` declared once in the step closure,
/// through which every assignment of the temporary goes (`::corio::__private::typed`), so that
/// rustc infers its type from all of them, though they end up in different arms.
pub(crate) fn anchor(t: &Ident) -> Ident {
    format_ident!("__corio_ty_{}", t)
}

/// `t = e;`, through `t`'s type anchor if it has one.
pub(crate) fn set_value(t: &Ident, e: &impl quote::ToTokens, anchored: bool) -> Stmt {
    if anchored {
        let a = anchor(t);
        parse_quote!(#t = ::corio::__private::typed(&#a, #e);)
    } else {
        parse_quote!(#t = #e;)
    }
}

pub(super) fn path(ident: &Ident) -> Expr {
    parse_quote!(#ident)
}

/// Expressions that evaluating earlier or later cannot change: no calls, no side effects.
pub(super) fn is_pure(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) | Expr::Path(_) => true,
        Expr::Field(f) => is_pure(&f.base),
        Expr::Reference(r) => is_pure(&r.expr),
        Expr::Paren(p) => is_pure(&p.expr),
        Expr::Group(g) => is_pure(&g.expr),
        Expr::Index(i) => is_pure(&i.expr) && is_pure(&i.index),
        Expr::Cast(c) => is_pure(&c.expr),
        Expr::Unary(u) => is_pure(&u.expr),
        _ => false,
    }
}

impl Normalizer<'_> {
    fn set(&self, t: &Ident, e: &Expr) -> Node {
        Node::Stmt(set_value(t, e, self.anchors.contains(t)))
    }

    fn temp(&mut self) -> Ident {
        self.temps += 1;
        format_ident!("__corio_t{}", self.temps)
    }

    fn point(&mut self, span: Span, tokens: TokenStream, is_await: bool) -> usize {
        self.points.push(Point {
            span,
            source: source_text(tokens),
            is_await,
        });
        self.points.len() - 1
    }

    fn target(&mut self, label: Option<&syn::Label>, is_loop: bool, value: Option<Ident>) -> usize {
        let label = label.map(|l| l.name.ident.to_string());
        self.targets.push(Target {
            label,
            is_loop,
            value,
        });
        self.targets.len() - 1
    }

    /// A block's statements as nodes; its value goes where `tail` says.
    ///
    /// ```text
    /// { let a = f(); let b = g(a.await); b }   (tail: Return)
    ///     Let(let a = f();)
    ///     Suspend { value: a, resume: Let(let mut __corio_t1 = __corio_resume!();) }
    ///     Let(let b = g(__corio_t1);)
    ///     Return(b)
    /// ```
    fn block(&mut self, mut stmts: Vec<Stmt>, tail: Tail) -> Vec<Node> {
        let mut out = Vec::new();
        // A macro in statement position without a `;` at the end of a block is its value
        // (`panic!("…")`, `vec![]`, `yield_!(x)`).
        if let Some(Stmt::Macro(m)) = stmts.last()
            && m.semi_token.is_none()
        {
            let Some(Stmt::Macro(m)) = stmts.pop() else {
                unreachable!()
            };
            stmts.push(Stmt::Expr(
                Expr::Macro(syn::ExprMacro {
                    attrs: m.attrs,
                    mac: m.mac,
                }),
                None,
            ));
        }
        // `#[cfg(…)]`'d candidates for the body's value: whichever is compiled in is the tail.
        let cfg_tails = match tail {
            Tail::Return => cfg_tails(&mut stmts),
            _ => None,
        };
        let cfg_tails = match cfg_tails {
            Some(any) => {
                self.fall_off_cfgs.push(any);
                true
            }
            None => false,
        };
        // A block whose value is used and whose last statement is `e;` has the type of
        // `{ e; }`: `()`, or `!` when `e` diverges (`panic!(…);`, `loop {}`, `exit(1);`). Make
        // that block its value, so that rustc types it as it types the plain function.
        // The same when `e;` is a block that suspends (`unsafe { …; yield_!(()); f() };`): it is
        // `!` when its own tail is, so that tail becomes `f();` and the block the value (F17).
        if !matches!(tail, Tail::Discard)
            && !cfg_tails
            && let Some(Stmt::Expr(last @ (Expr::Unsafe(_) | Expr::Block(_)), Some(_))) =
                stmts.last()
            && contains(last)
        {
            let Some(Stmt::Expr(mut e, Some(_))) = stmts.pop() else {
                unreachable!()
            };
            let inner = match &mut e {
                Expr::Unsafe(u) => Some(&mut u.block.stmts),
                Expr::Block(b) if b.label.is_none() => Some(&mut b.block.stmts),
                _ => None,
            };
            match inner {
                Some(inner) => {
                    if let Some(Stmt::Expr(_, semi @ None)) = inner.last_mut() {
                        *semi = Some(Default::default());
                    }
                    stmts.push(Stmt::Expr(e, None));
                }
                None => stmts.push(Stmt::Expr(e, Some(Default::default()))),
            }
        }
        if !matches!(tail, Tail::Discard)
            && !cfg_tails
            && let Some(last) = stmts.last()
            && is_value_statement(last)
        {
            let last = stmts.pop().expect("a last statement");
            stmts.push(Stmt::Expr(parse_quote!({ #last }), None));
        }
        let has_tail = matches!(stmts.last(), Some(Stmt::Expr(_, None)));
        let len = stmts.len();
        for (i, stmt) in stmts.into_iter().enumerate() {
            match stmt {
                Stmt::Local(local) => self.local(local, &mut out),
                Stmt::Expr(e, None) if i + 1 == len => self.tail(e, tail.clone(), &mut out),
                Stmt::Expr(e, semi) => self.stmt_expr(e, semi, &mut out),
                Stmt::Macro(m) if is_yield_macro(&m.mac) => {
                    let e = Expr::Macro(syn::ExprMacro {
                        attrs: m.attrs,
                        mac: m.mac,
                    });
                    self.stmt_expr(e, m.semi_token, &mut out);
                }
                other => out.push(Node::Stmt(other)),
            }
        }
        if let (false, Tail::Value(t)) = (has_tail, &tail) {
            out.push(self.set(t, &parse_quote!(())));
        }
        out
    }

    /// A `let` with a suspension point in its initialiser or `else`.
    ///
    /// ```text
    /// let x = yield_!(v);               Suspend { value: v, resume: let x = __corio_resume!(); }
    /// let x = f(y.await);               Suspend { y, resume: let t = resume }; let x = f(t);
    /// let P = e else { D };             let (a, b) = match e { P => (a, b), _ => D };   (D suspends)
    /// let x: T = if c { … } else { … }  let t: T; If { … t = …; … }; let x: T = t;
    /// ```
    fn local(&mut self, mut local: Local, out: &mut Vec<Node>) {
        let Some(init) = &mut local.init else {
            out.push(Node::Let(local));
            return;
        };
        if let Some((_, diverge)) = &init.diverge
            && contains(&**diverge)
        {
            // `let P = e else { … };` is `let (x, …) = match e { P => (x, …), _ => { … } };`
            // (the `else` block diverges, so the `match` has P's bindings' types).
            let (_, diverge) = init.diverge.take().expect("checked");
            let (pat, ty) = match local.pat {
                syn::Pat::Type(t) => (*t.pat, Some(t.ty)),
                p => (p, None),
            };
            let mut names = Vec::new();
            crate::syntax::pat_names(&pat, &mut names);
            let values = names.iter().map(|(n, _, _, span)| Ident::new(n, *span));
            let binds = names.iter().map(|(n, m, _, span)| {
                let ident = Ident::new(n, *span);
                let m = m.then(|| quote!(mut));
                quote!(#m #ident)
            });
            let value = &init.expr;
            let scrutinee = match ty {
                Some(ty) => quote!(::core::convert::identity::<#ty>(#value)),
                None => quote!(#value),
            };
            let stmt: Stmt = parse_quote! {
                let (#(#binds,)*) = match #scrutinee {
                    #pat => (#(#values,)*),
                    _ => #diverge,
                };
            };
            let Stmt::Local(rewritten) = stmt else {
                unreachable!()
            };
            self.local(rewritten, out);
            return;
        }
        if !contains(&*init.expr) {
            out.push(Node::Let(local));
            return;
        }
        if let Some((mut pre, value, span, tokens, is_await)) = self.direct_suspend(&init.expr) {
            let point = self.point(span, tokens, is_await);
            *init.expr = resume_placeholder();
            out.append(&mut pre);
            out.push(Node::Suspend {
                point,
                value,
                resume: Some(Box::new(Node::Let(local))),
            });
            return;
        }
        let expr = std::mem::replace(&mut *init.expr, resume_placeholder());
        // `let x: T = if … { … } else { … };`: the temporary is declared `T`, so that every
        // branch's value coerces to it (`&[]` to `&[u8]`) as in the plain `let`.
        let any_construct = matches!(
            &expr,
            Expr::If(_) | Expr::Match(_) | Expr::Block(_) | Expr::Loop(_) | Expr::Unsafe(_)
        );
        let (mut pre, expr) = match (&local.pat, any_construct) {
            (syn::Pat::Type(pt), true) => self.value_temp(expr, Some(&pt.ty)),
            _ => self.anf(expr),
        };
        *init.expr = expr;
        out.append(&mut pre);
        out.push(Node::Let(local));
    }

    /// A temporary assigned on every way out of a construct used as a value.
    ///
    /// ```text
    /// if c { yield_!(1) } else { 2 }      Let(let __corio_t1;)
    ///                                     If c { Suspend(1) …; Stmt(__corio_t1 = <resume value>;) }
    ///                                        else { Stmt(__corio_t1 = 2;) }
    ///                                     → the expression `__corio_t1`
    /// ```
    fn value_temp(&mut self, e: Expr, ty: Option<&syn::Type>) -> (Vec<Node>, Expr) {
        let t = self.temp();
        self.anchors.push(t.clone());
        let decl: Stmt = match ty {
            Some(ty) => parse_quote!(let #t: #ty;),
            None => parse_quote!(let #t;),
        };
        let Stmt::Local(decl) = decl else {
            unreachable!()
        };
        let mut pre = vec![Node::Let(decl)];
        self.value_construct(e, &t, &mut pre);
        (pre, path(&t))
    }

    /// `yield_!(v)` / `fut.await` as a whole expression: its operand, normalized.
    ///
    /// ```text
    /// yield_!(f(x.await))    Some((nodes of x.await, f(__corio_t1), span, `yield_!(…)`, false))
    /// a + 1                  None
    /// ```
    fn direct_suspend(&mut self, e: &Expr) -> Option<(Vec<Node>, Expr, Span, TokenStream, bool)> {
        match e {
            Expr::Macro(m) if is_yield_macro(&m.mac) => {
                let arg: Expr = match yield_arg(&m.mac) {
                    Ok(arg) => arg,
                    Err(err) => {
                        self.errors.push(err);
                        parse_quote!(())
                    }
                };
                let (pre, value) = self.anf(arg);
                let span = m.mac.path.span();
                Some((pre, value, span, m.to_token_stream(), false))
            }
            Expr::Await(a) => {
                let (pre, value) = self.anf((*a.base).clone());
                let span = a.base.span();
                Some((pre, value, span, a.to_token_stream(), true))
            }
            Expr::Paren(p) => self.direct_suspend(&p.expr),
            _ => None,
        }
    }

    /// A block's last expression, as `tail` says: dropped, returned, or assigned.
    ///
    /// ```text
    /// v            Discard: Stmt(v;)     Return: Return(v)     Value(t): Stmt(t = v;)
    /// if c { yield_!(1) } else { 2 }     Return: If c { Suspend(1) …; Return(<resume value>) }
    ///                                            else { Return(2) }
    /// ```
    fn tail(&mut self, e: Expr, tail: Tail, out: &mut Vec<Node>) {
        // `#[allow(deprecated)] usize::MAX` as a block's value: an attribute on an expression
        // is only stable on a statement or a block's tail, so the value stays a block's tail.
        let e = if has_outer_attrs(&e) && !contains(&e) && !matches!(tail, Tail::Discard) {
            parse_quote!({ #e })
        } else {
            e
        };
        match tail {
            // `;`: code follows (a transition), and the value is dropped there as it would be
            // at the end of the block (`Cmd::Push(v) => stack.push(v),` in a `match` arm).
            Tail::Discard => self.stmt_expr(e, Some(Default::default()), out),
            // A suspending `if`/`match` as the body's value returns from each branch (no
            // temporary and no join after it, whose copies could not infer the temporary's
            // type when a `#[cfg]`'d arm is the only other way out).
            // The same for an unlabelled block: its value is returned where it is made, so it
            // coerces to the return type (`return { yield_!(()); Some(&[]) }`).
            Tail::Return if is_construct(&e) => match e {
                Expr::If(i) => self.if_(i, Tail::Return, out),
                Expr::Match(m) => self.match_(m, Tail::Return, out),
                Expr::Unsafe(u) => self.unsafe_block(u.block.stmts, Tail::Return, out),
                Expr::Block(b) => {
                    let target = self.target(None, false, None);
                    let body = self.block(b.block.stmts, Tail::Return);
                    out.push(Node::Block { target, body });
                }
                _ => unreachable!(),
            },
            Tail::Return => {
                let (mut pre, e) = self.anf(e);
                out.append(&mut pre);
                out.push(Node::Return(Some(e)));
            }
            Tail::Value(t) => self.assign_value(e, &t, out),
        }
    }

    /// `t = e;`, with `e`'s suspension points (including inside `if`/`match`/blocks) lowered.
    ///
    /// ```text
    /// f(x.await)          Suspend { x, resume: let mut __corio_t2 = __corio_resume!(); }
    ///                     Stmt(t = f(__corio_t2);)
    /// return g(x.await)   Suspend { … }  Stmt(return g(__corio_t2);)   (no assignment)
    /// ```
    fn assign_value(&mut self, e: Expr, t: &Ident, out: &mut Vec<Node>) {
        if contains(&e) {
            match e {
                Expr::If(_) | Expr::Match(_) | Expr::Block(_) | Expr::Loop(_) | Expr::Unsafe(_) => {
                    self.value_construct(e, t, out);
                }
                e => {
                    let (mut pre, e) = self.anf(e);
                    out.append(&mut pre);
                    // `return f(x.await)`: what is left after the suspension point jumps
                    // too, and assigns nothing (as below).
                    if diverges(&e) {
                        out.push(Node::Stmt(Stmt::Expr(e, Some(Default::default()))));
                    } else {
                        out.push(self.set(t, &e));
                    }
                }
            }
        } else if diverges(&e) {
            // `if c { break 'f1 } else { … }` used as a value: the branch jumps, and assigns
            // nothing (an assignment would make the code after the construct, copied into
            // this branch's arm, depend on a type only a later arm fixes).
            out.push(Node::Stmt(Stmt::Expr(e, Some(Default::default()))));
        } else {
            out.push(self.set(t, &e));
        }
    }
}
