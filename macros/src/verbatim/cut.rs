//! Cutting analysed user code into [`Code`]: while `Verbatim` walks a piece of code, each
//! place the printer will fill in (an exit, the resume value, a free name, a format string,
//! a pattern) is recorded as a [`Part`] in a table and stands in the syntax tree as a
//! placeholder identifier, `__corio_holeN`, numbered in that table; [`cut`] then turns the
//! tree's tokens into `Code`, taking each part out of the table. Placeholders live only
//! between the walk and the cut of one statement, inside `segment`.
//!
//! ```text
//! if x == 0 { return total; }   walk →  if __corio_hole0 == 0 { __corio_hole2; }
//!                               cut  →  [Tokens(if), Name(x), Tokens(== 0),
//!                                        Group({ [Exit(1), Tokens(;)] })]
//! ```
//! (`total`, hole 1, went into exit 1's value.)

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};

use crate::plan::{Code, Part};

const PREFIX: &str = "__corio_hole";

/// The parts recorded so far, until a cut takes them.
#[derive(Default)]
pub(crate) struct Holes(pub(crate) Vec<Option<Part>>);

impl Holes {
    /// Records `part`; returns the placeholder that stands for it in the syntax tree.
    pub(crate) fn put(&mut self, part: Part, span: Span) -> Ident {
        self.0.push(Some(part));
        Ident::new(&format!("{PREFIX}{}", self.0.len() - 1), span)
    }

    fn take(&mut self, i: &Ident) -> Option<Part> {
        let k: usize = i.to_string().strip_prefix(PREFIX)?.parse().ok()?;
        self.0.get_mut(k)?.take()
    }

    /// Forgets the table (between statements: their parts have all been cut, but for an
    /// erroneous `break` value, which is never printed).
    pub(crate) fn clear(&mut self) {
        self.0.clear();
    }
}

/// The [`Code`] of `node`, with the parts its placeholders stand for.
pub(crate) fn cut(node: &impl ToTokens, holes: &mut Holes) -> Code {
    cut_tokens(node.to_token_stream(), holes)
}

fn cut_tokens(tokens: TokenStream, holes: &mut Holes) -> Code {
    let mut parts = Vec::new();
    let mut run = TokenStream::new();
    for tt in tokens {
        let part = match &tt {
            TokenTree::Ident(i) => holes.take(i),
            TokenTree::Group(g) => {
                let inner = cut_tokens(g.stream(), holes);
                let plain = inner.0.iter().all(|p| matches!(p, Part::Tokens(_)));
                (!plain).then(|| Part::Group(g.delimiter(), g.span(), inner))
            }
            _ => None,
        };
        match part {
            Some(part) => {
                if !run.is_empty() {
                    parts.push(Part::Tokens(std::mem::take(&mut run)));
                }
                parts.push(part);
            }
            None => run.extend([tt]),
        }
    }
    if !run.is_empty() {
        parts.push(Part::Tokens(run));
    }
    Code(parts)
}

impl Code {
    /// The code as written (exits and the resume value as the `__corio_exit!(k)` /
    /// `__corio_resume!()` the pass once wrote there): what `analyze::facts` looks at, and
    /// what listings show.
    pub(crate) fn source(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for part in &self.0 {
            match part {
                Part::Tokens(t) => out.extend(t.clone()),
                Part::Group(d, span, inner) => {
                    let mut g = proc_macro2::Group::new(*d, inner.source());
                    g.set_span(*span);
                    out.extend([TokenTree::Group(g)]);
                }
                Part::Exit(k) => out.extend(quote!(__corio_exit!(#k))),
                Part::Resume => out.extend(quote!(__corio_resume!())),
                Part::Name(i, _) | Part::Field(i, _) => out.extend([TokenTree::Ident(i.clone())]),
                Part::Format { lit, .. } => out.extend([TokenTree::Literal(lit.clone())]),
                Part::Pattern(pat, _) => pat.to_tokens(&mut out),
                Part::ElseInit(inner) => out.extend(inner.source()),
            }
        }
        out
    }
}
