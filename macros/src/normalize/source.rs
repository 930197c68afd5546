//! The source text of a suspension point, for `SuspendPoint::source` in task dumps.
//!
//! Input: the point's tokens as written. Output: its text, spaced as in the source file.
//!
//! ```text
//! yield_!( x + 1 )   (tokens)      "yield_!( x + 1 )"
//! ```

use proc_macro2::{Span, TokenStream};

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
