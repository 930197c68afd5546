//! What a piece of user code (kept verbatim) does to the bindings around it: which names it
//! reads, which it assigns as a whole, and where it leaves the current segment (`return`,
//! `?`, `break`/`continue` to a construct that contains a suspension point). It tracks the
//! scopes inside the piece (blocks, patterns, closures) so that an inner `let x` hides the
//! outer `x`. The same walk renames free occurrences when a binding must be renamed.
//!
//! ```text
//! analyse:  if x == 0 { return total; }     if x == 0 { __corio_exit!(1); }   uses {x, total}
//!           let v = f(a)?;                  let v = match branch(f(a)) { Continue(v) => v,
//!                                               Break(r) => __corio_exit!(2) };    exit 2: Return(residual(|| match r? {}))
//! rename:   total += x;   (x → __corio_x_4) total += __corio_x_4;
//! ```

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::BTreeSet;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, Token, parse_quote};

use crate::syntax::{MatchesArgs, cond_names, pat_names};

/// Where a piece of code leaves its segment.
pub(crate) enum RawExit {
    Return(Option<Expr>),
    Break {
        label: Option<String>,
        value: Option<Expr>,
        /// `break 'label` as written, for diagnostics.
        tokens: TokenStream,
    },
    Continue {
        label: Option<String>,
        /// `continue 'label` as written, for diagnostics.
        tokens: TokenStream,
    },
}

pub(crate) struct Found {
    pub(crate) exit: RawExit,
    /// Names declared inside the piece that are in scope at the exit.
    pub(crate) inner: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Verbatim {
    scopes: Vec<String>,
    loops: usize,
    labels: Vec<String>,
    closures: usize,
    /// Inside the arguments of a macro call.
    macros: usize,
    pub(crate) uses: BTreeSet<String>,
    /// Free names assigned as a whole (`x = …`) anywhere in the piece, even conditionally.
    pub(crate) assigns: BTreeSet<String>,
    pub(crate) exits: Vec<Found>,
    /// When set, free occurrences of these names are renamed instead of analysed.
    pub(crate) rename: Vec<(String, String)>,
    /// First exit number to use for markers.
    pub(crate) exit_base: usize,
}

fn is_single_ident(e: &Expr) -> bool {
    matches!(e, Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some())
}

/// A binding, or a tuple or array of them (and `_`): the left side of an assignment that
/// assigns whole bindings.
fn is_assignee(e: &Expr) -> bool {
    match e {
        Expr::Paren(p) => is_assignee(&p.expr),
        Expr::Tuple(t) => t.elems.iter().all(is_assignee),
        Expr::Array(a) => a.elems.iter().all(is_assignee),
        Expr::Infer(_) => true,
        e => is_single_ident(e),
    }
}

/// Puts a jump's own attributes (`#[cfg(x)] return v;`) on the marker that replaced it.
fn keep_attrs(e: &mut Expr, attrs: Vec<syn::Attribute>) {
    if let Expr::Macro(m) = e {
        m.attrs = attrs;
    }
}

fn marker(k: usize) -> Expr {
    parse_quote!(__corio_exit!(#k))
}

impl Verbatim {
    /// The bindings an assignment assigns (`is_assignee`): recorded, and renamed.
    fn assignee(&mut self, e: &mut Expr) {
        match e {
            Expr::Paren(p) => self.assignee(&mut p.expr),
            Expr::Tuple(t) => t.elems.iter_mut().for_each(|e| self.assignee(e)),
            Expr::Array(a) => a.elems.iter_mut().for_each(|e| self.assignee(e)),
            Expr::Path(p) => {
                let ident = &p.path.segments[0].ident;
                if self.analysing() && !self.declared(&ident.to_string()) {
                    self.assigns.insert(ident.to_string());
                }
                if let Some(to) = self.renamed(&ident.to_string()) {
                    let to = proc_macro2::Ident::new(to, ident.span());
                    *e = parse_quote!(#to);
                }
            }
            _ => {}
        }
    }

    /// Analysis mode: exits are numbered from `exit_base`.
    pub(crate) fn analyse(exit_base: usize) -> Self {
        Verbatim {
            exit_base,
            ..Verbatim::default()
        }
    }

    /// Rename mode: free occurrences of each `(from, to)` name become `to`.
    pub(crate) fn renaming(rename: Vec<(String, String)>) -> Self {
        Verbatim {
            rename,
            ..Verbatim::default()
        }
    }

    fn declared(&self, name: &str) -> bool {
        self.scopes.iter().any(|n| n == name)
    }

    fn renamed(&self, name: &str) -> Option<&str> {
        if self.declared(name) {
            return None;
        }
        self.rename
            .iter()
            .find(|(from, _)| from == name)
            .map(|(_, to)| to.as_str())
    }

    fn free(&mut self, name: &str) {
        if !self.declared(name) {
            self.uses.insert(name.to_string());
        }
    }

    fn exit(&mut self, exit: RawExit) -> Expr {
        let k = self.exit_base + self.exits.len();
        self.exits.push(Found {
            exit,
            inner: self.scopes.clone(),
        });
        marker(k)
    }

    fn bind(&mut self, pat: &Pat) {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        self.scopes.extend(names.into_iter().map(|(n, ..)| n));
    }

    fn scan_tokens(&mut self, tokens: TokenStream) -> TokenStream {
        let mut out = Vec::new();
        let mut prev_dot = false;
        for tt in tokens {
            let tt = match tt {
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let tt = if prev_dot {
                        TokenTree::Ident(ident)
                    } else if let Some(to) = self.renamed(&name) {
                        TokenTree::Ident(proc_macro2::Ident::new(to, ident.span()))
                    } else {
                        self.free(&name);
                        TokenTree::Ident(ident)
                    };
                    prev_dot = false;
                    tt
                }
                TokenTree::Group(g) => {
                    let inner = self.scan_tokens(g.stream());
                    let mut ng = proc_macro2::Group::new(g.delimiter(), inner);
                    ng.set_span(g.span());
                    prev_dot = false;
                    TokenTree::Group(ng)
                }
                TokenTree::Literal(lit) => {
                    prev_dot = false;
                    TokenTree::Literal(self.scan_format_string(lit))
                }
                TokenTree::Punct(p) => {
                    prev_dot = p.as_char() == '.';
                    TokenTree::Punct(p)
                }
            };
            out.push(tt);
        }
        out.into_iter().collect()
    }

    /// `"{name}"` and `"{name:?}"` in a string literal are uses of `name`.
    fn scan_format_string(&mut self, lit: proc_macro2::Literal) -> proc_macro2::Literal {
        let Ok(syn::Lit::Str(s)) = syn::parse2::<syn::Lit>(TokenTree::Literal(lit.clone()).into())
        else {
            return lit;
        };
        let text = s.value();
        let mut names = Vec::new();
        let bytes: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == '{' {
                if bytes.get(i + 1) == Some(&'{') {
                    i += 2;
                    continue;
                }
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_') {
                    j += 1;
                }
                if j > start
                    && matches!(bytes.get(j), Some('}') | Some(':'))
                    && !bytes[start].is_ascii_digit()
                {
                    names.push((start, j, bytes[start..j].iter().collect::<String>()));
                }
                // `{:width$}`, `{:.prec$}`, `{x:>w$.p$}`: names before a `$` in the spec.
                if bytes.get(j) == Some(&':') {
                    let mut k = j + 1;
                    while k < bytes.len() && bytes[k] != '}' {
                        if bytes[k].is_alphabetic() || bytes[k] == '_' {
                            let from = k;
                            while k < bytes.len() && (bytes[k].is_alphanumeric() || bytes[k] == '_')
                            {
                                k += 1;
                            }
                            if bytes.get(k) == Some(&'$') {
                                names.push((from, k, bytes[from..k].iter().collect::<String>()));
                            }
                        } else {
                            k += 1;
                        }
                    }
                    j = k;
                }
                i = j;
            } else {
                i += 1;
            }
        }
        let mut changed = false;
        let mut rebuilt = String::new();
        let mut last = 0;
        for (start, end, name) in names {
            if let Some(to) = self.renamed(&name).map(str::to_string) {
                rebuilt.extend(&bytes[last..start]);
                rebuilt.push_str(&to);
                last = end;
                changed = true;
            } else {
                self.free(&name);
            }
        }
        if !changed {
            return lit;
        }
        rebuilt.extend(&bytes[last..]);
        let mut new = proc_macro2::Literal::string(&rebuilt);
        new.set_span(lit.span());
        new
    }

    fn analysing(&self) -> bool {
        self.rename.is_empty()
    }

    /// `matches!(value, pattern if guard)`: the names the pattern binds are in scope in the
    /// guard. False (tokens untouched) when the arguments do not have that shape.
    fn visit_matches(&mut self, m: &mut syn::Macro) -> bool {
        let Some(mut args) = MatchesArgs::parse(m) else {
            return false;
        };
        self.visit_expr_mut(&mut args.value);
        let mark = self.scopes.len();
        self.bind(&args.pat);
        if let Some((_, g)) = &mut args.guard {
            self.visit_expr_mut(g);
        }
        self.scopes.truncate(mark);
        args.write(m);
        true
    }
}

impl VisitMut for Verbatim {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let ident = &p.path.segments[0].ident;
                if p.path.segments[0].arguments.is_none() {
                    let name = ident.to_string();
                    if let Some(to) = self.renamed(&name) {
                        let to = proc_macro2::Ident::new(to, ident.span());
                        *e = parse_quote!(#to);
                    } else {
                        self.free(&name);
                    }
                }
            }
            Expr::Assign(a) if is_assignee(&a.left) => {
                // Assigning a whole binding does not read it (nor do the bindings of a
                // destructuring assignment, `(q, r1) = f();`).
                self.assignee(&mut a.left);
                self.visit_expr_mut(&mut a.right);
            }
            Expr::Return(r) if self.closures == 0 && self.analysing() => {
                let mut value = r.expr.take().map(|v| *v);
                if let Some(v) = &mut value {
                    self.visit_expr_mut(v);
                }
                // `#[cfg(x)] return v;` keeps its `#[cfg]` (serde_json's `Map::remove`).
                let attrs = std::mem::take(&mut r.attrs);
                *e = self.exit(RawExit::Return(value));
                keep_attrs(e, attrs);
            }
            Expr::Try(t) if self.closures == 0 && self.analysing() => {
                self.visit_expr_mut(&mut t.expr);
                let inner = &t.expr;
                // The residual is converted by a real `?` carrying the user's `?` token (and
                // the residual named at the operand), in a closure whose return type rustc
                // takes from the coroutine's: a conversion error reads and points as in the
                // plain fn ("`?` couldn't convert the error to …" at the `?`).
                // Both in the expansion's context, so that rustc joins them into one span
                // from the operand's first token to the `?`.
                let mut question = t.question_token;
                question.span = proc_macro2::Span::call_site().located_at(question.span);
                let operand = proc_macro2::Ident::new(
                    "__corio_residual",
                    proc_macro2::Span::call_site().located_at(inner.span()),
                );
                let residual: Expr = parse_quote!(::corio::__private::residual(
                    move || match #operand #question {}
                ));
                let exit = self.exit(RawExit::Return(Some(residual)));
                *e = parse_quote!(match ::corio::__private::branch(#inner) {
                    ::corio::__private::ControlFlow::Continue(__corio_value) => __corio_value,
                    ::corio::__private::ControlFlow::Break(__corio_residual) => #exit,
                });
            }
            Expr::Break(b) if self.closures == 0 && self.analysing() => {
                if let Some(v) = &mut b.expr {
                    self.visit_expr_mut(v);
                }
                let label = b.label.as_ref().map(|l| l.ident.to_string());
                // An unlabelled `break` in a macro's arguments with no loop around it inside
                // the piece belongs to a loop the macro writes (`probe_loop!({ … break; })`).
                let inner = match &label {
                    Some(l) => self.labels.contains(l),
                    None => self.loops > 0 || self.macros > 0,
                };
                if !inner {
                    let (token, lifetime) = (&b.break_token, &b.label);
                    let tokens = quote::quote!(#token #lifetime);
                    let value = b.expr.take().map(|v| *v);
                    let attrs = std::mem::take(&mut b.attrs);
                    *e = self.exit(RawExit::Break {
                        label,
                        value,
                        tokens,
                    });
                    keep_attrs(e, attrs);
                }
            }
            Expr::Continue(c) if self.closures == 0 && self.analysing() => {
                let label = c.label.as_ref().map(|l| l.ident.to_string());
                let inner = match &label {
                    Some(l) => self.labels.contains(l),
                    None => self.loops > 0 || self.macros > 0,
                };
                if !inner {
                    let (token, lifetime) = (&c.continue_token, &c.label);
                    let tokens = quote::quote!(#token #lifetime);
                    *e = self.exit(RawExit::Continue { label, tokens });
                }
            }
            Expr::Closure(c) => {
                let mark = self.scopes.len();
                for input in &c.inputs {
                    self.bind(input);
                }
                self.closures += 1;
                self.visit_expr_mut(&mut c.body);
                self.closures -= 1;
                self.scopes.truncate(mark);
            }
            Expr::Async(a) => {
                self.closures += 1;
                self.visit_block_mut(&mut a.block);
                self.closures -= 1;
            }
            Expr::Loop(l) => {
                let label = l.label.as_ref().map(|l| l.name.ident.to_string());
                self.with_loop(label, |v| v.visit_block_mut(&mut l.body));
            }
            Expr::While(w) => {
                let label = w.label.as_ref().map(|l| l.name.ident.to_string());
                let mark = self.scopes.len();
                self.visit_expr_mut(&mut w.cond);
                let mut names = Vec::new();
                cond_names(&w.cond, &mut names);
                self.scopes.extend(names.into_iter().map(|n| n.0));
                self.with_loop(label, |v| v.visit_block_mut(&mut w.body));
                self.scopes.truncate(mark);
            }
            Expr::ForLoop(f) => {
                self.visit_expr_mut(&mut f.expr);
                let label = f.label.as_ref().map(|l| l.name.ident.to_string());
                let mark = self.scopes.len();
                self.bind(&f.pat);
                self.with_loop(label, |v| v.visit_block_mut(&mut f.body));
                self.scopes.truncate(mark);
            }
            Expr::Block(b) if b.label.is_some() => {
                let label = b.label.as_ref().unwrap().name.ident.to_string();
                self.labels.push(label);
                self.visit_block_mut(&mut b.block);
                self.labels.pop();
            }
            // In a let chain, what a `let` binds is in scope in the conjuncts after it.
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                let mark = self.scopes.len();
                self.visit_expr_mut(&mut b.left);
                let mut names = Vec::new();
                cond_names(&b.left, &mut names);
                self.scopes.extend(names.into_iter().map(|n| n.0));
                self.visit_expr_mut(&mut b.right);
                self.scopes.truncate(mark);
            }
            Expr::If(i) => {
                let mark = self.scopes.len();
                self.visit_expr_mut(&mut i.cond);
                let mut names = Vec::new();
                cond_names(&i.cond, &mut names);
                self.scopes.extend(names.into_iter().map(|n| n.0));
                self.visit_block_mut(&mut i.then_branch);
                self.scopes.truncate(mark);
                if let Some((_, els)) = &mut i.else_branch {
                    self.visit_expr_mut(els);
                }
            }
            _ => visit_mut::visit_expr_mut(self, e),
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let mark = self.scopes.len();
        self.bind(&arm.pat);
        if let Some((_, g)) = &mut arm.guard {
            self.visit_expr_mut(g);
        }
        self.visit_expr_mut(&mut arm.body);
        self.scopes.truncate(mark);
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        let mark = self.scopes.len();
        for stmt in &mut b.stmts {
            self.visit_stmt_mut(stmt);
        }
        self.scopes.truncate(mark);
    }

    fn visit_local_mut(&mut self, l: &mut syn::Local) {
        if let Some(init) = &mut l.init {
            self.visit_expr_mut(&mut init.expr);
            if let Some((_, d)) = &mut init.diverge {
                self.visit_expr_mut(d);
            }
        }
        self.bind(&l.pat);
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        // Arguments that are comma-separated expressions (`format!`, `vec!`, `assert!`, …) are
        // visited as expressions: a name a closure or a `match` arm inside binds is not a use
        // of the binding outside, and `?`, `return`, `break` and `continue` leave the segment
        // as anywhere else. `matches!` is visited with its pattern's scope (`visit_matches`).
        // Other macros: every identifier counts (see `scan_tokens`).
        if self.visit_matches(m) {
            return;
        }
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        let Ok(mut args) = m.parse_body_with(parser) else {
            m.tokens = self.scan_tokens(std::mem::take(&mut m.tokens));
            return;
        };
        let mut named = Vec::new();
        self.macros += 1;
        for arg in args.iter_mut() {
            match arg {
                // `name = value` in a format macro: `name` is the argument's own.
                Expr::Assign(a) if is_single_ident(&a.left) => {
                    named.push(a.left.to_token_stream().to_string());
                    self.visit_expr_mut(&mut a.right);
                }
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(_),
                    ..
                }) => {}
                _ => self.visit_expr_mut(arg),
            }
        }
        self.macros -= 1;
        // Format strings last, with the named arguments in scope.
        let mark = self.scopes.len();
        self.scopes.extend(named);
        for arg in args.iter_mut() {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                attrs,
            }) = arg
            {
                let lit = syn::Lit::new(self.scan_format_string(s.token()));
                let attrs = std::mem::take(attrs);
                *arg = Expr::Lit(syn::ExprLit { attrs, lit });
            }
        }
        self.scopes.truncate(mark);
        m.tokens = args.into_token_stream();
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}

    /// A shorthand field (`Pt { y }`) whose name is renamed names its field:
    /// `Pt { y: __corio_y_2 }`.
    fn visit_field_value_mut(&mut self, f: &mut syn::FieldValue) {
        self.visit_expr_mut(&mut f.expr);
        if f.colon_token.is_none() {
            let same = matches!((&f.member, &f.expr), (syn::Member::Named(m), Expr::Path(p)) if p.path.is_ident(m));
            if !same {
                f.colon_token = Some(Default::default());
            }
        }
    }

    fn visit_pat_mut(&mut self, _: &mut Pat) {}

    fn visit_type_mut(&mut self, _: &mut syn::Type) {}
}

impl Verbatim {
    fn with_loop(&mut self, label: Option<String>, f: impl FnOnce(&mut Self)) {
        self.loops += 1;
        let labelled = label.is_some();
        if let Some(l) = label {
            self.labels.push(l);
        }
        f(self);
        if labelled {
            self.labels.pop();
        }
        self.loops -= 1;
    }
}
