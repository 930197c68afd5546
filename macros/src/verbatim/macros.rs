//! The arguments of macro calls in user code, and string literals that may be format strings.
//!
//! Input: a `syn::Macro` met by the `Verbatim` walk. Output: its uses, assignments and exits
//! recorded on the walk, and its tokens written back with placeholders (analysis mode) or
//! renamed (rename mode).
//!
//! ```text
//! println!("{x} {}", f(y)?)        uses {x, f, y}; `"{x} {}"` a `Format` part, `?` an exit
//! matches!(v, Some(a) if a > n)    uses {v, n}; `a` is the pattern's
//! my_macro!(a + b.c)               uses {a, b} (not an expression list: every identifier
//!                                  not after a `.` counts)
//! ```

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{Expr, Token};

use super::{Verbatim, format, is_single_ident};
use crate::plan::Part;
use crate::syntax::MatchesArgs;

impl Verbatim {
    /// A macro call's arguments.
    pub(super) fn macro_args(&mut self, m: &mut syn::Macro) {
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
                let attrs = std::mem::take(attrs);
                *arg = match self.scan_format_string(s.token()) {
                    TokenTree::Literal(lit) => Expr::Lit(syn::ExprLit {
                        attrs,
                        lit: syn::Lit::new(lit),
                    }),
                    hole => Expr::Verbatim(quote!(#(#attrs)* #hole)),
                };
            }
        }
        self.scopes.truncate(mark);
        m.tokens = args.into_token_stream();
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

    /// Tokens that are not an expression list: every identifier not after a `.` is a use.
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
                        TokenTree::Ident(self.free(&ident).unwrap_or(ident))
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
                    self.scan_format_string(lit)
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

    /// `"{name}"` and `"{name:?}"` in a string literal are uses of `name`. In analysis mode
    /// a literal that names free names becomes the placeholder of its [`Part::Format`].
    pub(super) fn scan_format_string(&mut self, lit: proc_macro2::Literal) -> TokenTree {
        let Ok(syn::Lit::Str(s)) = syn::parse2::<syn::Lit>(TokenTree::Literal(lit.clone()).into())
        else {
            return TokenTree::Literal(lit);
        };
        let text = s.value();
        let mut free = Vec::new();
        let mut renames = Vec::new();
        for (start, end, name) in format::names(&text) {
            if let Some(to) = self.renamed(&name) {
                renames.push((start, end, to.to_string()));
            } else if !self.declared(&name) {
                self.uses.insert(name);
                free.push((start, end, None));
            }
        }
        if self.analysing() && !free.is_empty() {
            let span = lit.span();
            let part = Part::Format {
                lit,
                text,
                names: free,
            };
            return TokenTree::Ident(self.holes.put(part, span));
        }
        if renames.is_empty() {
            return TokenTree::Literal(lit);
        }
        let mut new = proc_macro2::Literal::string(&format::rewrite(&text, &renames));
        new.set_span(lit.span());
        TokenTree::Literal(new)
    }
}
