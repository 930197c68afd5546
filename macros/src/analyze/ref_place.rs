//! The `ref` rule: which `ref`/`ref mut` bindings of a pattern certainly borrow a place of the
//! coroutine's own frame (and so cannot be kept across a suspension point).
//!
//! The rule must be exact (issue 15): a `ref` on a place behind a reference (`self.v` with
//! `&self`, `r.field` with `r: &T`, `*r`) borrows data outside the coroutine, which the frame
//! may hold. So a `ref` binding counts only when the matched place is rooted in a binding of
//! the body (no projection), or in one whose type is written and is not a reference (then a
//! field, an index or a `*` goes through the binding itself: `Deref`/`Index` borrow it), and
//! every constructor pattern on the way down matches a value whose type is known not to be a
//! reference (a constructor pattern on a reference switches to by-reference binding, and the
//! binding then points behind that reference). Anything else is left to rustc.
//!
//! Input: a pattern, the place it matches, and what the body knows of each root binding.
//! Output: the names of the `ref` bindings that borrow the frame. Pure.
//!
//! ```text
//! let ref a = v;              (v: a local)            ["a"]
//! let Some(ref a) = self.o;   (&self)                 []     (behind a reference)
//! ```

use syn::{Expr, Member, Pat, Type, UnOp};

/// What the body knows of a binding a place is rooted in.
pub(crate) enum Root {
    /// Its written type (an argument's, or a `let`'s annotation).
    Typed(Box<Type>),
    /// A standard container or array the body made (`Binding::owned`).
    Container,
    /// Nothing (its type may be a reference).
    Unknown,
}

/// The names of the `ref`/`ref mut` bindings of `pat` that certainly borrow the coroutine's
/// frame when `pat` matches the place `scrutinee`. `root` describes the binding a name refers to
/// (`None`: not a binding of the coroutine).
pub(crate) fn frame_refs(
    pat: &Pat,
    scrutinee: &Expr,
    root: &dyn Fn(&str) -> Option<Root>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(ty) = frame_place(scrutinee, root) {
        walk(pat, ty.as_ref(), &mut out);
    }
    out
}

/// `Some(type if known)` when `e` is a place inside the frame.
fn frame_place(e: &Expr, root: &dyn Fn(&str) -> Option<Root>) -> Option<Option<Type>> {
    match e {
        Expr::Paren(p) => frame_place(&p.expr, root),
        Expr::Group(g) => frame_place(&g.expr, root),
        Expr::Path(p) if p.qself.is_none() => match root(&p.path.get_ident()?.to_string())? {
            Root::Typed(ty) => Some(Some(*ty)),
            Root::Container | Root::Unknown => Some(None),
        },
        Expr::Field(f) => {
            let ty = projected(&f.base, root)?;
            // `pair.0` of a written tuple type keeps its element's type.
            Some(match (strip(&ty), &f.member) {
                (Type::Tuple(t), Member::Unnamed(i)) => {
                    t.elems.iter().nth(i.index as usize).cloned()
                }
                _ => None,
            })
        }
        Expr::Index(i) => {
            if let Expr::Path(p) = &*i.expr
                && let Some(id) = p.path.get_ident()
                && let Some(Root::Container) = root(&id.to_string())
            {
                return Some(None);
            }
            let ty = projected(&i.expr, root)?;
            Some(match strip(&ty) {
                Type::Array(a) => Some((*a.elem).clone()),
                _ => None,
            })
        }
        Expr::Unary(u) if matches!(u.op, UnOp::Deref(_)) => {
            projected(&u.expr, root)?;
            Some(None)
        }
        _ => None,
    }
}

/// The type of `base` when it is a place inside the frame whose type is written and is not a
/// reference: a projection from it (a field, an index, a `*`) stays inside the frame.
fn projected(base: &Expr, root: &dyn Fn(&str) -> Option<Root>) -> Option<Type> {
    let ty = frame_place(base, root)??;
    value_type(&ty).then_some(ty)
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(p) => strip(&p.elem),
        Type::Group(g) => strip(&g.elem),
        t => t,
    }
}

/// Is a value of this written type certainly not a reference (nor a raw pointer)? `Self` may
/// be one (`impl Trait for &T`), so it is not known.
fn value_type(ty: &Type) -> bool {
    match strip(ty) {
        Type::Reference(_) | Type::Ptr(_) | Type::Infer(_) | Type::Macro(_) | Type::Verbatim(_) => {
            false
        }
        Type::Path(p) => !(p.qself.is_none() && p.path.is_ident("Self")),
        _ => true,
    }
}

/// Collects the `ref` bindings of `pat`, which matches a place inside the frame of type `ty`
/// (when known).
fn walk(pat: &Pat, ty: Option<&Type>, out: &mut Vec<String>) {
    // A constructor pattern needs a value known not to be a reference; its parts' types are
    // known only for a written tuple (or array) type.
    let parts = |n: usize, rest: Option<usize>| -> Option<Vec<Option<Type>>> {
        let ty = ty.filter(|t| value_type(t))?;
        Some(match (strip(ty), rest) {
            (Type::Tuple(t), None) if t.elems.len() == n => {
                t.elems.iter().cloned().map(Some).collect()
            }
            (Type::Tuple(t), Some(at)) if t.elems.len() >= n => {
                let elems: Vec<Type> = t.elems.iter().cloned().collect();
                let tail = n - at;
                elems[..at]
                    .iter()
                    .cloned()
                    .map(Some)
                    .chain(elems[elems.len() - tail..].iter().cloned().map(Some))
                    .collect()
            }
            (Type::Array(a), _) => vec![Some((*a.elem).clone()); n],
            _ => vec![None; n],
        })
    };
    match pat {
        Pat::Ident(p) => {
            if p.by_ref.is_some() {
                out.push(p.ident.to_string());
            }
            if let Some((_, sub)) = &p.subpat {
                walk(sub, ty, out);
            }
        }
        Pat::Paren(p) => walk(&p.pat, ty, out),
        Pat::Or(o) => o.cases.iter().for_each(|c| walk(c, ty, out)),
        Pat::Type(t) => walk(&t.pat, Some(&t.ty), out),
        Pat::Tuple(t) => {
            let elems: Vec<&Pat> = t.elems.iter().collect();
            let rest = elems.iter().position(|p| matches!(p, Pat::Rest(_)));
            let n = elems.len() - usize::from(rest.is_some());
            if let Some(types) = parts(n, rest) {
                let mut types = types.into_iter();
                for p in elems.into_iter().filter(|p| !matches!(p, Pat::Rest(_))) {
                    walk(p, types.next().flatten().as_ref(), out);
                }
            }
        }
        Pat::Slice(s) => {
            if let Some(types) = parts(s.elems.len(), None) {
                for (p, t) in s.elems.iter().zip(types) {
                    walk(p, t.as_ref(), out);
                }
            }
        }
        Pat::TupleStruct(t) if parts(0, None).is_some() => {
            t.elems.iter().for_each(|p| walk(p, None, out));
        }
        Pat::Struct(s) if parts(0, None).is_some() => {
            s.fields.iter().for_each(|f| walk(&f.pat, None, out));
        }
        // `&pat` matches through a reference; a constructor on a value not known to be one
        // may bind behind a reference; literals, ranges, paths and `_` bind nothing.
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn refs(pat: Pat, scrutinee: Expr) -> Vec<String> {
        let root = |name: &str| -> Option<Root> {
            Some(match name {
                "pair" => Root::Typed(Box::new(parse_quote!((String, String)))),
                "opt" => Root::Typed(Box::new(parse_quote!(Option<String>))),
                "__corio_self" => Root::Typed(Box::new(parse_quote!(&Self))),
                "by_value" => Root::Typed(Box::new(parse_quote!(Self))),
                "r" => Root::Typed(Box::new(parse_quote!(&S))),
                "refs" => Root::Typed(Box::new(parse_quote!((&Option<u8>, u8)))),
                "v" => Root::Container,
                "x" => Root::Unknown,
                _ => return None,
            })
        };
        frame_refs(&pat, &scrutinee, &root)
    }

    #[test]
    fn a_place_of_the_frame() {
        assert_eq!(refs(parse_quote!((ref a, _)), parse_quote!(pair)), ["a"]);
        assert_eq!(refs(parse_quote!(Some(ref s)), parse_quote!(opt)), ["s"]);
        assert_eq!(refs(parse_quote!(ref s), parse_quote!(pair.0)), ["s"]);
        assert_eq!(refs(parse_quote!(ref e), parse_quote!(v[0])), ["e"]);
        assert_eq!(refs(parse_quote!(ref a), parse_quote!(x)), ["a"]);
        assert_eq!(refs(parse_quote!(ref a), parse_quote!(__corio_self)), ["a"]);
        assert_eq!(
            refs(parse_quote!((ref a, ref b)), parse_quote!(refs)),
            ["a", "b"]
        );
    }

    #[test]
    fn a_place_behind_a_reference() {
        assert!(refs(parse_quote!(Some(ref v)), parse_quote!(__corio_self.v)).is_empty());
        assert!(refs(parse_quote!(Some(ref mut v)), parse_quote!(r.f)).is_empty());
        assert!(refs(parse_quote!(S { ref f, .. }), parse_quote!(*r)).is_empty());
        // `Some(ref a)` on the `&Option<u8>` element binds behind the reference.
        assert!(refs(parse_quote!((Some(ref a), _)), parse_quote!(refs)).is_empty());
        // Unknown types, a `Self` that may be a reference, a value that is not a place.
        assert!(refs(parse_quote!(Some(ref a)), parse_quote!(x)).is_empty());
        assert!(refs(parse_quote!(ref a), parse_quote!(by_value.f)).is_empty());
        assert!(refs(parse_quote!(ref a), parse_quote!(make())).is_empty());
        assert!(refs(parse_quote!(ref a), parse_quote!(outside)).is_empty());
    }
}
