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

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{BinOp, Block, Expr, Ident, Local, Pat, Stmt, parse_quote};

use crate::errors::Errors;
use crate::ir::{Arm, Body, Node, Point, Target};
use crate::suspend::{contains, is_yield_macro, yield_arg};

pub(crate) fn normalize(block: &Block, returns_value: bool, errors: &mut Errors) -> Body {
    let mut n = Normalizer {
        targets: Vec::new(),
        anchors: Vec::new(),
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
pub(crate) fn set_value(t: &Ident, e: &Expr, anchored: bool) -> Stmt {
    if anchored {
        let a = anchor(t);
        parse_quote!(#t = ::corio::__private::typed(&#a, #e);)
    } else {
        parse_quote!(#t = #e;)
    }
}

fn path(ident: &Ident) -> Expr {
    parse_quote!(#ident)
}

/// Expressions that evaluating earlier or later cannot change: no calls, no side effects.
fn is_pure(e: &Expr) -> bool {
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

/// The source text of a span of tokens, rebuilt from token positions (stable since 1.88).
pub(crate) fn source_text(tokens: TokenStream) -> String {
    let mut out = String::new();
    let mut last: Option<(usize, usize)> = None;
    fn walk(ts: TokenStream, out: &mut String, last: &mut Option<(usize, usize)>) {
        for tt in ts {
            let (text, inner) = match &tt {
                proc_macro2::TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                        proc_macro2::Delimiter::Brace => ("{", "}"),
                        proc_macro2::Delimiter::Bracket => ("[", "]"),
                        proc_macro2::Delimiter::None => ("", ""),
                    };
                    // Delimiters are one character; their spans' ends are unreliable.
                    let one_past = |span: Span| {
                        let s = span.start();
                        (s.line, s.column + 1)
                    };
                    gap(out, last, g.span_open());
                    out.push_str(open);
                    *last = Some(one_past(g.span_open()));
                    let before = out.len();
                    walk(g.stream(), out, last);
                    // Closing delimiters' positions are not reliable on stable (syn rebuilds
                    // groups from joined spans): mirror the space after the opening one
                    // (`{ x }`, `(x)`) and place the delimiter right after the contents.
                    let space = out[before..].starts_with(' ');
                    if space {
                        out.push(' ');
                    }
                    out.push_str(close);
                    *last = last.map(|(line, column)| (line, column + usize::from(space) + 1));
                    continue;
                }
                other => (other.to_string(), other.span()),
            };
            gap(out, last, inner);
            out.push_str(&text);
            let start = inner.start();
            *last = Some(match text.rfind('\n') {
                None => (start.line, start.column + text.chars().count()),
                Some(_) => end_of(inner),
            });
        }
    }
    fn end_of(span: Span) -> (usize, usize) {
        let e = span.end();
        (e.line, e.column)
    }
    fn gap(out: &mut String, last: &Option<(usize, usize)>, next: Span) {
        if let Some((line, column)) = *last {
            let s = next.start();
            if s.line != line || s.column > column {
                out.push(' ');
            }
        }
    }
    walk(tokens, &mut out, &mut last);
    out
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
        // A block whose value is used and whose last statement is `e;` has the type of
        // `{ e; }`: `()`, or `!` when `e` diverges (`panic!(…);`, `loop {}`, `exit(1);`). Make
        // that block its value, so that rustc types it as it types the plain function.
        // The same when `e;` is a block that suspends (`unsafe { …; yield_!(()); f() };`): it is
        // `!` when its own tail is, so that tail becomes `f();` and the block the value (F17).
        if !matches!(tail, Tail::Discard)
            && let Some(Stmt::Expr(Expr::Unsafe(_) | Expr::Block(_), Some(_))) = stmts.last()
            && contains_last(&stmts)
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
            crate::verbatim::pat_names(&pat, &mut names);
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
    fn assign_value(&mut self, e: Expr, t: &Ident, out: &mut Vec<Node>) {
        if contains(&e) {
            match e {
                Expr::If(_) | Expr::Match(_) | Expr::Block(_) | Expr::Loop(_) | Expr::Unsafe(_) => {
                    self.value_construct(e, t, out);
                }
                e => {
                    let (mut pre, e) = self.anf(e);
                    out.append(&mut pre);
                    out.push(self.set(t, &e));
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

    fn stmt_expr(&mut self, e: Expr, semi: Option<syn::Token![;]>, out: &mut Vec<Node>) {
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

    fn if_(&mut self, i: syn::ExprIf, tail: Tail, out: &mut Vec<Node>) {
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

    fn match_(&mut self, m: syn::ExprMatch, tail: Tail, out: &mut Vec<Node>) {
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

    fn for_(&mut self, f: syn::ExprForLoop, out: &mut Vec<Node>) {
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
    fn value_construct(&mut self, e: Expr, t: &Ident, out: &mut Vec<Node>) {
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
    fn unsafe_block(&mut self, stmts: Vec<Stmt>, tail: Tail, out: &mut Vec<Node>) {
        let target = self.target(None, false, None);
        let mut body = self.block(stmts, tail);
        wrap_unsafe(&mut body);
        out.push(Node::Block { target, body });
    }

    /// A-normal form: `(statements to run first, the expression without suspension points)`.
    fn anf(&mut self, e: Expr) -> (Vec<Node>, Expr) {
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
                let (pre, inner) = self.anf(*t.expr);
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
    fn operands(&mut self, ops: Vec<Expr>, receiver: bool) -> (Vec<Node>, Vec<Expr>) {
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

/// `break`, `continue`, `return` or `panic!`-like: control never goes on.
fn diverges(e: &Expr) -> bool {
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
fn is_construct(e: &Expr) -> bool {
    contains(e)
        && match e {
            Expr::If(_) | Expr::Match(_) | Expr::Unsafe(_) => true,
            Expr::Block(b) => b.label.is_none(),
            _ => false,
        }
}

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
fn wrap_unsafe(nodes: &mut [Node]) {
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

/// Does the expression start with an outer attribute (`#[allow(…)] e`)?
fn has_outer_attrs(e: &Expr) -> bool {
    matches!(e.to_token_stream().into_iter().next(),
        Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '#')
}

/// `e;` or `m!(…);` without a suspension point that is not a jump (`return`, `break`,
/// `continue`, which the segment stage turns into transitions).
fn contains_last(stmts: &[Stmt]) -> bool {
    matches!(stmts.last(), Some(Stmt::Expr(e, _)) if contains(e))
}

fn is_value_statement(stmt: &Stmt) -> bool {
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
fn split_let_chain(cond: &Expr) -> Option<(Expr, Expr)> {
    fn conjuncts(e: &Expr, out: &mut Vec<Expr>) {
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

/// The local names a pure expression reads (`x`, `x.f`, `v[i]`, `&x`, `*r`).
fn place_names(e: &Expr, out: &mut Vec<String>) {
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
fn place_root(e: &Expr) -> Option<String> {
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
fn may_change(e: &Expr, names: &[String], receiver: bool) -> bool {
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
                self.found |= crate::verbatim::mentions(
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

fn is_compound(op: &BinOp) -> bool {
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
