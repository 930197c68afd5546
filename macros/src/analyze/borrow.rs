//! The borrowing rule: a coroutine's frame cannot store a borrow of its own locals, so a
//! binding that borrows another local and is kept across a suspension point is an error,
//! with a span and a remedy.
//!
//! Input: while segmenting, a `let`'s initialiser (does it borrow a local? is it certainly
//! an owned standard container?); after liveness, the [`Plan`]'s saved sets. Output:
//! `Binding::borrows` / `Binding::owned`, then one diagnostic per offending binding.
//! Approximate on purpose: only borrows the pass can be sure of are reported here; rustc
//! reports the rest at the store of the state.

use syn::{Expr, Stmt, Type};

use crate::analyze::scope::Scope;
use crate::errors::Errors;
use crate::plan::{Id, Kind, Plan, Set};

/// `&x`, `&mut x`, `x.iter()`, `x.as_str()`, `x.first()`, … (also inside
/// `IntoIterator::into_iter(…)`, iterator adapters and `{ &x }`). A method counts only
/// when `x` is certainly a standard container (`Binding::owned`, checked in `finish`).
pub(crate) fn borrow_of(scope: &Scope, e: &Expr) -> Option<(Id, Option<String>)> {
    borrow_in(scope, e, false)
}

/// `iterator`: only an iterator over a borrow counts (the receiver of an adapter: an
/// `Option<&T>`'s `.map(…)`/`.copied()` makes an owned value).
fn borrow_in(scope: &Scope, e: &Expr, iterator: bool) -> Option<(Id, Option<String>)> {
    const ITERATORS: &[&str] = ITERATOR_METHODS;
    // … or a reference (or an `Option` of one) into them.
    const REFERENCES: &[&str] = &[
        "as_str",
        "as_slice",
        "as_mut_slice",
        "as_bytes",
        "as_ref",
        "as_mut",
        "first",
        "last",
        "first_mut",
        "last_mut",
        "get",
        "get_mut",
        "split_first",
        "split_last",
        "trim",
        "trim_start",
        "trim_end",
    ];
    const ADAPTERS: &[&str] = &[
        "map",
        "filter",
        "filter_map",
        "flat_map",
        "flatten",
        "enumerate",
        "rev",
        "skip",
        "skip_while",
        "take",
        "take_while",
        "step_by",
        "zip",
        "chain",
        "peekable",
        "cloned",
        "copied",
        "inspect",
        "fuse",
        "scan",
        "cycle",
        "map_while",
    ];
    let local = |e: &Expr| match e {
        Expr::Path(p) => p
            .path
            .get_ident()
            .and_then(|i| scope.resolve(&i.to_string())),
        _ => None,
    };
    let method = |m: &syn::ExprMethodCall| m.method.to_string();
    match e {
        Expr::Reference(r) if !iterator => local(&r.expr).map(|b| (b, None)),
        Expr::MethodCall(m)
            if ITERATORS.contains(&method(m).as_str())
                || (!iterator && REFERENCES.contains(&method(m).as_str())) =>
        {
            local(&m.receiver).map(|b| (b, Some(method(m))))
        }
        // Adapters keep the borrow; anything else (`sum`, `fold`, `count`, `collect`, …)
        // may well make an owned value, and rustc reports the cases this misses.
        Expr::MethodCall(m) if ADAPTERS.contains(&method(m).as_str()) => {
            borrow_in(scope, &m.receiver, true)
        }
        // `for x in &v` / `IntoIterator::into_iter(v.iter())`: the iterator borrows what
        // its argument borrows. Any other call taking a borrow (`key(&item)`) may well
        // return an owned value: rustc judges those (issue 15, item 7).
        Expr::Call(c)
            if c.args.len() == 1
                && matches!(&*c.func, Expr::Path(p)
                    if p.path.segments.last().is_some_and(|s| s.ident == "into_iter")) =>
        {
            borrow_in(scope, &c.args[0], false)
        }
        Expr::Paren(p) => borrow_in(scope, &p.expr, iterator),
        // `{ &words }`
        Expr::Block(b) if b.label.is_none() && b.block.stmts.len() == 1 => {
            match &b.block.stmts[0] {
                Stmt::Expr(tail, None) => borrow_in(scope, tail, iterator),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Borrows of the coroutine's own locals kept across a suspension point.
pub(crate) fn check(plan: &Plan, errors: &mut Errors) {
    let mut reported = Set::new();
    for st in &plan.states {
        if st.kind == Kind::Start {
            continue;
        }
        for &b in &st.saved {
            let binding = &plan.bindings[b];
            if !reported.insert(b) {
                continue;
            }
            if binding.by_ref && binding.ref_local {
                errors.push(syn::Error::new(
                    binding.site,
                    format!(
                        "`ref {}` borrows a local of the coroutine and is held across a suspension point; \
                         the state machine cannot store borrows of its own locals: bind by value, \
                         clone, or keep an index instead",
                        binding.name
                    ),
                ));
            } else if binding.by_ref {
                // A `ref` on a place behind a reference (or not known to be in the frame):
                // rustc judges it.
                continue;
            } else if let Some((target, method)) = &binding.borrows {
                let target = &plan.bindings[*target];
                if let Some(method) = method {
                    if !target.owned {
                        continue;
                    }
                    let shown = if binding.name.starts_with("__corio_iter") {
                        "the loop's iterator".to_string()
                    } else if binding.hidden() {
                        "a value the expression keeps across the suspension point".to_string()
                    } else {
                        format!("`{}`", binding.display)
                    };
                    let remedy = if ITERATOR_METHODS.contains(&method.as_str()) {
                        "iterate over an owned value (`into_iter()`, `.clone()`), keep an index"
                    } else {
                        "own the value (`.cloned()`, `.to_owned()`), keep an index"
                    };
                    errors.push(syn::Error::new(
                        binding.site,
                        format!(
                            "{shown} borrows the local `{}` (through `.{method}()`) and is held across a \
                             suspension point; the state machine cannot store borrows of its own locals: \
                             {remedy}, or move the borrowing code into an `async move {{ ... }}` block",
                            target.display
                        ),
                    ));
                    continue;
                }
                if binding.name.starts_with("__corio_iter") {
                    // `for x in &local` / `for x in &mut local`.
                    errors.push(syn::Error::new(
                        binding.site,
                        format!(
                            "the loop's iterator borrows the local `{0}` and is held across a \
                             suspension point; the state machine cannot store borrows of its \
                             own locals: iterate over an owned value (`{0}.clone()`, `into_iter()`), keep \
                             an index, or move the borrowing code into an `async move {{ ... }}` block",
                            target.display
                        ),
                    ));
                    continue;
                }
                errors.push(syn::Error::new(
                    binding.site,
                    format!(
                        "`{}` borrows the local `{}` and is held across a suspension point; the \
                         state machine cannot store borrows of its own locals: own the value, keep \
                         an index, clone it, or move the borrowing code into an `async move {{ ... }}` block",
                        binding.display, target.display
                    ),
                ));
            }
        }
    }
}

/// Methods of the standard containers that return an iterator borrowing them.
const ITERATOR_METHODS: &[&str] = &[
    "iter",
    "iter_mut",
    "chars",
    "char_indices",
    "bytes",
    "lines",
    "split_whitespace",
    "windows",
    "chunks",
    "keys",
    "values",
    "values_mut",
    "drain",
];

/// The standard containers whose `.iter()`, `.chars()`, `.keys()`, … (`BORROWING` in
/// `borrow_of`) certainly return borrows of them.
const STD_CONTAINERS: &[&str] = &[
    "Vec", "String", "HashMap", "BTreeMap", "VecDeque", "HashSet", "BTreeSet",
];

/// Does this type name a standard container (or an array)?
pub(crate) fn is_std_container(ty: &Type) -> bool {
    match ty {
        Type::Array(_) => true,
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| STD_CONTAINERS.contains(&s.ident.to_string().as_str())),
        Type::Paren(p) => is_std_container(&p.elem),
        _ => false,
    }
}

/// Does this `let` initialiser certainly make an owned standard container or array (so that
/// `.iter()` on it borrows the coroutine's own local)? Only then is the borrow diagnostic
/// exact: a type of the user's own may have an `iter()` that returns an owned value.
pub(crate) fn is_owned_init(e: &Expr, ty: Option<&Type>) -> bool {
    if let Some(ty) = ty {
        return is_std_container(ty);
    }
    match e {
        Expr::Macro(m) => m
            .mac
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "vec" || s.ident == "format"),
        Expr::Array(_) | Expr::Repeat(_) => true,
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                segs.len() >= 2 && STD_CONTAINERS.contains(&segs[segs.len() - 2].as_str())
            }
            _ => false,
        },
        // `to_string()` makes a `String`, `into_bytes()` a `Vec<u8>`; `collect()` only with a
        // turbofish naming the container (a user type may implement `FromIterator` too).
        Expr::MethodCall(m) => match m.method.to_string().as_str() {
            "to_string" | "into_bytes" => true,
            "collect" => m.turbofish.as_ref().is_some_and(|t| {
                t.args
                    .iter()
                    .any(|a| matches!(a, syn::GenericArgument::Type(ty) if is_std_container(ty)))
            }),
            _ => false,
        },
        _ => false,
    }
}
