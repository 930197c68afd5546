//! What a piece of user code (kept verbatim) does to the bindings around it: which names it
//! reads, which it assigns as a whole, and where it leaves the current segment (`return`,
//! `?`, `break`/`continue` to a construct that contains a suspension point). It tracks the
//! scopes inside the piece (blocks, patterns, closures) so that an inner `let x` hides the
//! outer `x`.
//!
//! Input: a syntax tree of user code (a statement, a `let`'s initialiser, a condition, …).
//! Output: its free names (`uses`), whole assignments (`assigns`) and exits (`exits`); and,
//! for [`cut`](cut::cut), the tree with a placeholder at each place the printer fills in: an
//! exit, the resume value, a free name (renamed later if its binding is), a format string.
//! Invariant: each placeholder's part is in `holes`; the walk never looks into closures'
//! or items' exits, which are their own.
//!
//! ```text
//! if x == 0 { return total; }     if ⟨x⟩ == 0 { ⟨exit 1⟩; }          uses {x, total}
//! let v = f(a)?;                  let v = match branch(⟨f⟩(⟨a⟩)) { Continue(v) => v,
//!                                     Break(r) => ⟨exit 2⟩ };        exit 2: Return(residual(|| match r? {}))
//! ```
//!
//! The same walk, in rename mode, renames `self` in a method's body (`coroutine`).

use proc_macro2::TokenStream;
use quote::quote;
use std::collections::BTreeSet;
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, Pat, parse_quote};

use crate::plan::Part;
use crate::syntax::{cond_names, pat_names};

pub(crate) mod cut;
pub(crate) mod format;
mod macros;

pub(crate) use cut::{Holes, cut};

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
    /// First exit number to use for [`Part::Exit`]s.
    pub(crate) exit_base: usize,
    /// The parts the placeholders in the tree stand for (analysis mode).
    pub(crate) holes: Holes,
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

/// Puts a jump's own attributes (`#[cfg(x)] return v;`) in front of the hole that replaced it,
/// so the printed transition is compiled out with it.
fn keep_attrs(e: &mut Expr, attrs: Vec<syn::Attribute>) {
    if let Expr::Verbatim(hole) = e
        && !attrs.is_empty()
    {
        *e = Expr::Verbatim(quote!(#(#attrs)* #hole));
    }
}

impl Verbatim {
    /// The bindings an assignment assigns (`is_assignee`): recorded (each a
    /// [`Part::Name`] in analysis mode), and renamed.
    fn assignee(&mut self, e: &mut Expr) {
        match e {
            Expr::Paren(p) => self.assignee(&mut p.expr),
            Expr::Tuple(t) => t.elems.iter_mut().for_each(|e| self.assignee(e)),
            Expr::Array(a) => a.elems.iter_mut().for_each(|e| self.assignee(e)),
            Expr::Path(p) => {
                let ident = p.path.segments[0].ident.clone();
                if self.analysing() && !self.declared(&ident.to_string()) {
                    self.assigns.insert(ident.to_string());
                    let part = Part::Name(ident.clone(), None);
                    p.path.segments[0].ident = self.holes.put(part, ident.span());
                }
                if let Some(to) = self.renamed(&ident.to_string()) {
                    let to = proc_macro2::Ident::new(to, ident.span());
                    *e = parse_quote!(#to);
                }
            }
            _ => {}
        }
    }

    /// Analysis mode: exits are numbered from `exit_base`; placeholders are added to
    /// `holes`.
    pub(crate) fn analyse(exit_base: usize, holes: Holes) -> Self {
        Verbatim {
            exit_base,
            holes,
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

    /// A use of `ident`: if it is free (not declared inside the piece), a read of the
    /// binding outside, and in analysis mode the placeholder of its [`Part::Name`].
    fn free(&mut self, ident: &proc_macro2::Ident) -> Option<proc_macro2::Ident> {
        let name = ident.to_string();
        if self.declared(&name) {
            return None;
        }
        self.uses.insert(name);
        self.analysing().then(|| {
            self.holes
                .put(Part::Name(ident.clone(), None), ident.span())
        })
    }

    /// An expression that stands for `part`.
    fn hole(&mut self, part: Part) -> Expr {
        let h = self.holes.put(part, proc_macro2::Span::call_site());
        Expr::Verbatim(quote!(#h))
    }

    fn exit(&mut self, exit: RawExit) -> Expr {
        let k = self.exit_base + self.exits.len();
        self.exits.push(Found {
            exit,
            inner: self.scopes.clone(),
        });
        self.hole(Part::Exit(k))
    }

    fn bind(&mut self, pat: &Pat) {
        let mut names = Vec::new();
        pat_names(pat, &mut names);
        self.scopes.extend(names.into_iter().map(|(n, ..)| n));
    }

    fn analysing(&self) -> bool {
        self.rename.is_empty()
    }

    /// Does a `break`/`continue` with this label stay inside the piece? An unlabelled one in
    /// a macro's arguments with no loop around it inside the piece belongs to a loop the
    /// macro writes (`probe_loop!({ … break; })`).
    fn jumps_inside(&self, label: &Option<String>) -> bool {
        match label {
            Some(l) => self.labels.contains(l),
            None => self.loops > 0 || self.macros > 0,
        }
    }
}

impl VisitMut for Verbatim {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Macro(m) if self.analysing() && m.mac.path.is_ident("__corio_resume") => {
                *e = self.hole(Part::Resume);
            }
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let ident = &p.path.segments[0].ident;
                if p.path.segments[0].arguments.is_none() {
                    let name = ident.to_string();
                    if let Some(to) = self.renamed(&name) {
                        let to = proc_macro2::Ident::new(to, ident.span());
                        *e = parse_quote!(#to);
                    } else if let Some(h) = self.free(&ident.clone()) {
                        p.path.segments[0].ident = h;
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
                if !self.jumps_inside(&label) {
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
                if !self.jumps_inside(&label) {
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
        self.macro_args(m);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}

    /// A shorthand field (`Pt { y }`) whose name is renamed names its field:
    /// `Pt { y: __corio_y_2 }`.
    fn visit_field_value_mut(&mut self, f: &mut syn::FieldValue) {
        // Analysis: a free shorthand field is a `Part::Field`, printed `y` or `y: __corio_y_2`.
        if self.analysing()
            && f.colon_token.is_none()
            && let (syn::Member::Named(m), Expr::Path(p)) = (&f.member, &f.expr)
            && p.path.is_ident(m)
        {
            let name = m.to_string();
            if !self.declared(&name) {
                self.uses.insert(name);
                let h = self.holes.put(Part::Field(m.clone(), None), m.span());
                f.member = syn::Member::Named(h);
            }
            return;
        }
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
