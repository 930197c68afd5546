//! Facts about a piece of user syntax that the layout needs, recorded while `segment` walks
//! the body, so that the layout never has to write code to look at it.
//!
//! Input: the tokens of one piece of user code as it stands in the plan (exit and resume
//! markers included). Output: [`Facts`]. Pure: a function of the tokens.

use std::collections::BTreeSet;

use proc_macro2::{TokenStream, TokenTree};

use crate::plan::Facts;

/// The facts of `tokens`.
pub(crate) fn of(tokens: TokenStream) -> Facts {
    let mut facts = Facts {
        unique_types: has_unique_types(tokens.clone(), &["__corio_exit", "__corio_resume"]),
        anchors: BTreeSet::new(),
    };
    anchors_in(tokens, &mut facts.anchors);
    facts
}

fn anchors_in(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                let name = i.to_string();
                if name.starts_with("__corio_ty_") {
                    out.insert(name);
                }
            }
            TokenTree::Group(g) => anchors_in(g.stream(), out),
            _ => {}
        }
    }
}

/// Could these tokens contain a closure or an `async` block (each of which has a unique type)?
/// A macro other than these (and `also`, the pass's own markers) may expand to one
/// (`corio::join!` writes an `async` block). The check is on tokens, so `|` in a pattern or a
/// bit-or also counts, which costs speed (a copy not made), never correctness.
pub(crate) fn has_unique_types(tokens: TokenStream, also: &[&str]) -> bool {
    const PLAIN_MACROS: &[&str] = &[
        "format",
        "format_args",
        "print",
        "println",
        "eprint",
        "eprintln",
        "write",
        "writeln",
        "vec",
        "assert",
        "assert_eq",
        "assert_ne",
        "debug_assert",
        "debug_assert_eq",
        "debug_assert_ne",
        "panic",
        "unreachable",
        "todo",
        "unimplemented",
        "matches",
        "dbg",
        "concat",
        "stringify",
        "line",
        "column",
        "file",
        "module_path",
        "env",
        "option_env",
        "cfg",
        "include_str",
        "include_bytes",
    ];
    // Keywords that a `!` can follow as the negation operator (`if !done`).
    const KEYWORDS: &[&str] = &[
        "if", "while", "match", "return", "in", "break", "else", "let", "mut", "move", "as",
    ];
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    tokens.iter().enumerate().any(|(k, tt)| match tt {
        TokenTree::Ident(i) => {
            let name = i.to_string();
            i == "async"
                || (!KEYWORDS.contains(&name.as_str())
                    && !PLAIN_MACROS.contains(&name.as_str())
                    && !also.contains(&name.as_str())
                    && matches!(tokens.get(k + 1), Some(TokenTree::Punct(p))
                        if p.as_char() == '!' && p.spacing() == proc_macro2::Spacing::Alone)
                    && matches!(tokens.get(k + 2), Some(TokenTree::Group(_))))
        }
        TokenTree::Punct(p) => p.as_char() == '|',
        // The pass's own `::corio::__private::residual(move || …)` of a `?`: the closure is
        // called at once and its type goes nowhere.
        TokenTree::Group(_)
            if k >= 2
                && matches!(&tokens[k - 1], TokenTree::Ident(i) if i == "residual")
                && matches!(&tokens[k - 2], TokenTree::Punct(p) if p.as_char() == ':') =>
        {
            false
        }
        TokenTree::Group(g) => has_unique_types(g.stream(), also),
        TokenTree::Literal(_) => false,
    })
}
