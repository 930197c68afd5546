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
        closures: unique_types_where(tokens.clone(), &["__corio_exit", "__corio_resume"], true),
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
    unique_types_where(tokens, also, false)
}

/// [`has_unique_types`]; with `exact`, a `|` counts only where an expression can start: not
/// after a name, a literal or a closing `)`/`]` (an or-pattern `1 | 5`, a bit-or `a | b`, a
/// `||` between operands).
fn unique_types_where(tokens: TokenStream, also: &[&str], exact: bool) -> bool {
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
        TokenTree::Punct(p) if p.as_char() == '|' && exact && k > 0 => match &tokens[k - 1] {
            TokenTree::Ident(i) => {
                let name = i.to_string();
                KEYWORDS.contains(&name.as_str()) && name != "as"
            }
            TokenTree::Literal(_) => false,
            TokenTree::Group(g) => g.delimiter() == proc_macro2::Delimiter::Brace,
            // `a || b`'s second `|`, or `|x| |y| …`? Only a `|` after another `|` that
            // itself started a closure is one; the first decides.
            TokenTree::Punct(q) => {
                !(q.as_char() == '|' && q.spacing() == proc_macro2::Spacing::Joint)
            }
        },
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
        // `.fold(0, |acc, e| …)`, `.any(|e| …)`: a closure passed straight to a method that
        // consumes it, whose result has no type made from the closure's (exact check only;
        // the other arguments count as usual).
        TokenTree::Group(g)
            if exact
                && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                && k >= 2
                && matches!(&tokens[k - 1], TokenTree::Ident(i)
                    if CONSUMING.contains(&i.to_string().as_str()))
                && matches!(&tokens[k - 2], TokenTree::Punct(p) if p.as_char() == '.') =>
        {
            arguments(g.stream())
                .into_iter()
                .filter(|arg| !starts_a_closure(arg))
                .any(|arg| unique_types_where(arg.into_iter().collect(), also, exact))
        }
        // `(|| -> Option<u32> { … })()`, `(move |z| z ^ d)(x)`: a closure called where it
        // is written gives only its return value (exact check only; its body counts).
        TokenTree::Group(g)
            if exact
                && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                && matches!(tokens.get(k + 1), Some(TokenTree::Group(a))
                    if a.delimiter() == proc_macro2::Delimiter::Parenthesis) =>
        {
            match called_closure_body(g.stream()) {
                Some(body) => unique_types_where(body, also, exact),
                None => unique_types_where(g.stream(), also, exact),
            }
        }
        TokenTree::Group(g) => unique_types_where(g.stream(), also, exact),
        TokenTree::Literal(_) => false,
    })
}

/// The tokens after a closure's parameters (its return type and body), if `tokens` are one
/// closure: `move |a, b| …`, `|| …`.
fn called_closure_body(tokens: TokenStream) -> Option<TokenStream> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    if !starts_a_closure(&tokens) {
        return None;
    }
    let open = usize::from(matches!(&tokens[0], TokenTree::Ident(i) if i == "move"));
    // The parameters end at the next `|` (a `|` inside a parameter's pattern is in a group).
    let close = (open + 1..tokens.len())
        .find(|&j| matches!(&tokens[j], TokenTree::Punct(p) if p.as_char() == '|'))?;
    Some(tokens[close + 1..].iter().cloned().collect())
}

/// Methods of the standard library that call a closure argument and return nothing made from
/// its type (only from its return value's, which is an accumulator, a `bool`, a key, the
/// receiver's item).
const CONSUMING: &[&str] = &[
    "fold",
    "try_fold",
    "rfold",
    "any",
    "all",
    "position",
    "rposition",
    "find",
    "rfind",
    "for_each",
    "try_for_each",
    "sort_by",
    "sort_by_key",
    "sort_unstable_by",
    "sort_unstable_by_key",
    "retain",
    "max_by_key",
    "min_by_key",
    "max_by",
    "min_by",
    "is_some_and",
    "is_ok_and",
    "unwrap_or_else",
    "map_or",
    "binary_search_by",
    "partition_point",
];

/// The top-level comma-separated arguments of a call's parentheses.
fn arguments(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut out = vec![Vec::new()];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => out.push(Vec::new()),
            _ => out.last_mut().expect("not empty").push(tt),
        }
    }
    out
}

/// Is this argument a closure (`|e| …`, `|| …`, `move |e| …`)?
fn starts_a_closure(arg: &[TokenTree]) -> bool {
    let at = match arg.first() {
        Some(TokenTree::Ident(i)) if i == "move" => 1,
        _ => 0,
    };
    matches!(arg.get(at), Some(TokenTree::Punct(p)) if p.as_char() == '|')
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::of;

    #[test]
    fn a_closure_called_where_it_is_written_gives_only_its_value() {
        assert!(
            !of(quote!(mix(
                (|| -> Option<i64> { Some(chk(p).ok()? ^ 1) })().unwrap_or(-2),
                q
            )))
            .closures
        );
        assert!(!of(quote!(ctx.tick((move |z: i64| z ^ d)(self.k)))).closures);
        assert!(!of(quote!((|&x: &i64| x + 1)(&3))).closures);
        // Its body still counts: it may return another closure or an `async` block.
        assert!(of(quote!((|| |y: i64| y)())).closures);
        assert!(of(quote!((move || async move { 1 })())).closures);
        // Not called: the value is the closure.
        assert!(of(quote!(let f = (|x: i64| x + 1);)).closures);
        assert!(of(quote!(v.iter().map(|e| e + 1))).closures);
        assert!(
            !of(quote!(match n {
                1 | 5 => a | b,
                _ => 0,
            }))
            .closures
        );
    }
}
