//! The generator twin of every function body in a source file, spliced into the file's text
//! next to the original so that it sees the same items.
//!
//! * a free function (at any module level, or nested in a body) gets its twin right after it;
//! * a method of an inherent impl gets its twin in the same impl;
//! * a method of a trait impl gets its twin in a new inherent impl of the same type (with the
//!   impl's generics and `where` clause), in a `const _` block that imports the trait, its
//!   `Self::Name` paths to the trait's items written `<Self as Trait>::Name`; only possible
//!   when the type is the crate's own;
//! * a provided method of a trait gets its twin in the trait, with `where Self: Sized` so that
//!   the trait stays dyn-compatible.
//!
//! A twin is the original with `#[corio::coroutine(yield = ())]`, a fresh name, no `const`
//! or ABI (a generator is neither), only its `cfg` attributes, and `yield_!(())` inserted
//! (`yields::insert`). Next to each twin goes a marker fn holding an unused variable
//! `corio_marker_<id>`: the build forces that lint to warn, so a clean build reports exactly
//! the twins that were compiled (`cfg` decides, as for the original).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proc_macro2::{LineColumn, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Attribute, Block, ImplItem, Item, ItemFn, Signature, TraitItem, parse_quote};

use crate::yields;

/// One function of the crate and what the corpus does with it.
#[derive(Clone, Debug)]
pub(crate) struct Func {
    /// The source file, relative to the crate directory.
    pub(crate) file: PathBuf,
    /// The line of the original `fn` (1-based).
    pub(crate) line: usize,
    /// `module::Type::name`, for the report.
    pub(crate) name: String,
    /// The twin's id, or why the function has none.
    pub(crate) twin: Result<usize, &'static str>,
}

/// Where a twin landed in the rewritten file: lines `first..=last` (1-based).
#[derive(Clone, Debug)]
pub(crate) struct TwinLines {
    pub(crate) id: usize,
    pub(crate) first: usize,
    pub(crate) last: usize,
}

/// What the whole crate needs to know to twin one file.
#[derive(Debug, Default)]
pub(crate) struct CrateInfo {
    /// Names of the crate's own structs, enums and unions (inherent impls are allowed on them).
    pub(crate) local_types: BTreeSet<String>,
    /// Leave `unsafe { }` blocks without suspension points (`--no-unsafe-yields`).
    pub(crate) no_unsafe_yields: bool,
}

impl CrateInfo {
    pub(crate) fn add_file(&mut self, file: &syn::File) {
        struct Types<'a>(&'a mut BTreeSet<String>);
        impl<'ast> Visit<'ast> for Types<'_> {
            fn visit_item_struct(&mut self, i: &'ast syn::ItemStruct) {
                self.0.insert(i.ident.to_string());
            }
            fn visit_item_enum(&mut self, i: &'ast syn::ItemEnum) {
                self.0.insert(i.ident.to_string());
            }
            fn visit_item_union(&mut self, i: &'ast syn::ItemUnion) {
                self.0.insert(i.ident.to_string());
            }
        }
        Types(&mut self.local_types).visit_file(file);
    }
}

/// Result of twinning one file.
#[derive(Debug)]
pub(crate) struct Twinned {
    pub(crate) text: String,
    pub(crate) twins: Vec<TwinLines>,
}

/// Twins every function of `text` (the file `file`), numbering twins from `*next_id` on;
/// twins whose id is in `excluded` are left out (their markers stay). Appends one `Func`
/// per function found, twinned or not.
pub(crate) fn twin_file(
    file: &Path,
    text: &str,
    info: &CrateInfo,
    next_id: &mut usize,
    excluded: &BTreeSet<usize>,
    funcs: &mut Vec<Func>,
) -> syn::Result<Twinned> {
    let parsed = syn::parse_file(text)?;
    let mut w = Walker {
        file,
        text,
        line_starts: std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        info,
        next_id,
        excluded,
        funcs,
        inserts: Vec::new(),
    };
    w.items(&parsed.items, "");
    let mut inserts = std::mem::take(&mut w.inserts);
    inserts.sort_by_key(|(at, _)| *at);

    let mut out = String::with_capacity(text.len() * 3);
    let mut line = 1;
    let mut twins = Vec::new();
    let mut copied = 0;
    for (at, pieces) in inserts {
        let original = &text[copied..at];
        line += original.matches('\n').count();
        out.push_str(original);
        copied = at;
        for piece in pieces {
            let (id, piece) = match piece {
                Piece::Text(t) => (None, t),
                Piece::Twin(id, t) => (Some(id), t),
            };
            // a twin's text starts with a newline: its first line is the next one
            let first = line + 1;
            line += piece.matches('\n').count();
            if let Some(id) = id {
                twins.push(TwinLines {
                    id,
                    first,
                    last: line,
                });
            }
            out.push_str(&piece);
        }
    }
    out.push_str(&text[copied..]);
    Ok(Twinned { text: out, twins })
}

enum Piece {
    Text(String),
    /// A twin's text: starts with a newline, ends without one.
    Twin(usize, String),
}

/// Where the twin of a method goes, and how it differs from a free function.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Free,
    Inherent,
    /// Moved out of a trait impl into an inherent impl.
    FromTraitImpl,
    /// A provided method, twinned in its trait.
    Trait,
}

struct Walker<'a> {
    file: &'a Path,
    text: &'a str,
    line_starts: Vec<usize>,
    info: &'a CrateInfo,
    next_id: &'a mut usize,
    excluded: &'a BTreeSet<usize>,
    funcs: &'a mut Vec<Func>,
    inserts: Vec<(usize, Vec<Piece>)>,
}

/// One function about to be twinned.
struct Original<'s> {
    attrs: &'s [Attribute],
    sig: &'s Signature,
    block: &'s Block,
}

impl Walker<'_> {
    fn offset(&self, at: LineColumn) -> usize {
        let start = self.line_starts[at.line - 1];
        let line = &self.text[start..];
        start
            + line
                .char_indices()
                .nth(at.column)
                .map(|(i, _)| i)
                .unwrap_or(line.len())
    }

    fn end_of(&self, block: &Block) -> usize {
        self.offset(block.brace_token.span.close().end())
    }

    fn record(&mut self, scope: &str, sig: &Signature, twin: Result<usize, &'static str>) {
        let name = if scope.is_empty() {
            sig.ident.to_string()
        } else {
            format!("{scope}::{}", sig.ident)
        };
        self.funcs.push(Func {
            file: self.file.to_path_buf(),
            line: sig.fn_token.span.start().line,
            name,
            twin,
        });
    }

    fn items(&mut self, items: &[Item], scope: &str) {
        for item in items {
            self.item(item, scope);
        }
    }

    fn item(&mut self, item: &Item, scope: &str) {
        match item {
            Item::Fn(f) => {
                let orig = Original {
                    attrs: &f.attrs,
                    sig: &f.sig,
                    block: &f.block,
                };
                if let Some(pieces) = self.twin(scope, &orig, Place::Free, None) {
                    let at = self.end_of(&f.block);
                    self.inserts.push((at, pieces));
                }
                self.nested(&f.block, &join(scope, &f.sig.ident.to_string()));
            }
            Item::Impl(imp) => self.impl_block(imp, scope),
            Item::Trait(t) => self.trait_block(t, scope),
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    self.items(inner, &join(scope, &m.ident.to_string()));
                }
            }
            Item::Macro(m) => self.in_macro(&m.mac, scope),
            _ => {}
        }
    }

    /// Items declared inside a body (nested fns, impls of local types …).
    fn nested(&mut self, block: &Block, scope: &str) {
        struct Found<'ast>(Vec<&'ast Item>);
        impl<'ast> Visit<'ast> for Found<'ast> {
            fn visit_item(&mut self, i: &'ast Item) {
                self.0.push(i);
            }
        }
        let mut found = Found(Vec::new());
        found.visit_block(block);
        for item in found.0 {
            self.item(item, scope);
        }
    }

    /// Functions written inside a macro's tokens (`macro_rules!` bodies, `cfg_if!` …): the
    /// pass never sees them as functions, so each counts as skipped.
    fn in_macro(&mut self, mac: &syn::Macro, scope: &str) {
        fn count(tokens: TokenStream) -> usize {
            let mut n = 0;
            let mut prev_fn = false;
            for tt in tokens {
                if prev_fn && matches!(&tt, TokenTree::Ident(_) | TokenTree::Punct(_)) {
                    // `fn name` or `fn $name`
                    n += usize::from(!matches!(&tt, TokenTree::Punct(p) if p.as_char() != '$'));
                }
                prev_fn = matches!(&tt, TokenTree::Ident(i) if i == "fn");
                if let TokenTree::Group(g) = tt {
                    n += count(g.stream());
                }
            }
            n
        }
        let name = mac.path.to_token_stream().to_string().replace(' ', "");
        for _ in 0..count(mac.tokens.clone()) {
            self.funcs.push(Func {
                file: self.file.to_path_buf(),
                line: mac.path.span().start().line,
                name: join(scope, &format!("{name}!")),
                twin: Err("inside a macro"),
            });
        }
    }

    fn impl_block(&mut self, imp: &syn::ItemImpl, scope: &str) {
        let self_ty = imp.self_ty.to_token_stream().to_string().replace(' ', "");
        let scope = join(scope, &self_ty);
        let Some((_, trait_path, _)) = &imp.trait_ else {
            for it in &imp.items {
                match it {
                    ImplItem::Fn(m) => {
                        let orig = Original {
                            attrs: &m.attrs,
                            sig: &m.sig,
                            block: &m.block,
                        };
                        if let Some(pieces) = self.twin(&scope, &orig, Place::Inherent, None) {
                            let at = self.end_of(&m.block);
                            self.inserts.push((at, pieces));
                        }
                        self.nested(&m.block, &join(&scope, &m.sig.ident.to_string()));
                    }
                    ImplItem::Macro(m) => self.in_macro(&m.mac, &scope),
                    _ => {}
                }
            }
            return;
        };
        let why_not = self.inherent_impl_possible(imp).err();
        let names: BTreeSet<String> = imp
            .items
            .iter()
            .filter_map(|it| match it {
                ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
                ImplItem::Const(c) => Some(c.ident.to_string()),
                ImplItem::Type(t) => Some(t.ident.to_string()),
                _ => None,
            })
            .collect();
        let qualify = QualifySelf {
            trait_path,
            names: &names,
        };
        let mut pieces = Vec::new();
        for it in &imp.items {
            match it {
                ImplItem::Fn(m) => {
                    let orig = Original {
                        attrs: &m.attrs,
                        sig: &m.sig,
                        block: &m.block,
                    };
                    let why_not = why_not.or_else(|| qualify.unknown_assoc_type(m));
                    match why_not {
                        Some(reason) => self.record(&scope, &m.sig, Err(reason)),
                        None => {
                            if let Some(p) =
                                self.twin(&scope, &orig, Place::FromTraitImpl, Some(&qualify))
                            {
                                pieces.extend(p);
                            }
                        }
                    }
                    self.nested(&m.block, &join(&scope, &m.sig.ident.to_string()));
                }
                ImplItem::Macro(m) => self.in_macro(&m.mac, &scope),
                _ => {}
            }
        }
        if pieces.is_empty() {
            return;
        }
        // In a block that imports the trait: the methods' calls of trait methods resolve as
        // inside the trait impl.
        let cfgs = cfg_attrs(&imp.attrs);
        let mut generics = imp.generics.clone();
        // what the trait reference implied: `T: 'a` for each `&'a T` in its arguments
        // (`impl<'a, K> Extend<&'a K> for Map<K>` knows `K: 'a`; an inherent impl does not)
        struct Implied(Vec<syn::WherePredicate>);
        impl<'ast> Visit<'ast> for Implied {
            fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
                if let Some(lt) = &r.lifetime {
                    let elem = &r.elem;
                    self.0.push(parse_quote!(#elem: #lt));
                }
                syn::visit::visit_type_reference(self, r);
            }
        }
        let mut implied = Implied(Vec::new());
        implied.visit_path(trait_path);
        if !implied.0.is_empty() {
            generics.make_where_clause().predicates.extend(implied.0);
        }
        let generics = &generics;
        let self_ty = &imp.self_ty;
        let where_clause = &generics.where_clause;
        let mut trait_name = trait_path.clone();
        for seg in &mut trait_name.segments {
            seg.arguments = syn::PathArguments::None;
        }
        let header = format!(
            "{} const _: () = {{ use {} as _; {} {{",
            quote!(#(#cfgs)*),
            quote!(#trait_name),
            quote!(impl #generics #self_ty #where_clause)
        );
        let mut all = vec![Piece::Text(format!("\n{header}"))];
        all.extend(pieces);
        all.push(Piece::Text("\n} };".into()));
        let at = self.offset(imp.brace_token.span.close().end());
        self.inserts.push((at, all));
    }

    /// An inherent impl needs the crate's own type, and every type or const parameter of the
    /// trait impl constrained by that type.
    fn inherent_impl_possible(&self, imp: &syn::ItemImpl) -> Result<(), &'static str> {
        let syn::Type::Path(tp) = &*imp.self_ty else {
            return Err("trait impl for a type that is not the crate's own");
        };
        let segs: Vec<String> = tp
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let local_prefix = segs.len() == 1
            || segs[..segs.len() - 1]
                .iter()
                .all(|s| s == "crate" || s == "self" || s == "super")
                && tp.path.leading_colon.is_none();
        let last = segs.last().cloned().unwrap_or_default();
        if tp.qself.is_some() || !local_prefix || !self.info.local_types.contains(&last) {
            return Err("trait impl for a type that is not the crate's own");
        }
        let self_tokens = constrained(&imp.self_ty);
        for param in &imp.generics.params {
            let ident = match param {
                syn::GenericParam::Type(t) => &t.ident,
                syn::GenericParam::Const(c) => &c.ident,
                syn::GenericParam::Lifetime(_) => continue,
            };
            if !self_tokens.contains(&ident.to_string()) {
                return Err("trait impl with a parameter that the type does not constrain");
            }
        }
        Ok(())
    }

    fn trait_block(&mut self, t: &syn::ItemTrait, scope: &str) {
        let scope = join(scope, &t.ident.to_string());
        for it in &t.items {
            match it {
                TraitItem::Fn(m) => {
                    let Some(block) = &m.default else { continue };
                    let orig = Original {
                        attrs: &m.attrs,
                        sig: &m.sig,
                        block,
                    };
                    if let Some(pieces) = self.twin(&scope, &orig, Place::Trait, None) {
                        let at = self.end_of(block);
                        self.inserts.push((at, pieces));
                    }
                    self.nested(block, &join(&scope, &m.sig.ident.to_string()));
                }
                TraitItem::Macro(m) => self.in_macro(&m.mac, &scope),
                _ => {}
            }
        }
    }

    /// The marker and (unless excluded) the twin of `orig`, or `None` when it cannot have one
    /// (recorded as skipped).
    fn twin(
        &mut self,
        scope: &str,
        orig: &Original<'_>,
        place: Place,
        qualify: Option<&QualifySelf<'_>>,
    ) -> Option<Vec<Piece>> {
        if orig.sig.unsafety.is_some() {
            self.record(scope, orig.sig, Err("unsafe fn"));
            return None;
        }
        if orig.sig.variadic.is_some() {
            self.record(scope, orig.sig, Err("variadic fn"));
            return None;
        }
        let id = *self.next_id;
        *self.next_id += 1;
        self.record(scope, orig.sig, Ok(id));

        let cfgs = cfg_attrs(orig.attrs);
        let sized = (place == Place::Trait).then(|| quote!(where Self: Sized));
        let mark_name = format_ident!("__corio_mark_{id}");
        let var = format_ident!("corio_marker_{id}");
        let marker = quote!(#(#cfgs)* fn #mark_name() #sized { let #var = (); });
        let mut pieces = vec![Piece::Text(format!("\n{marker}"))];
        if self.excluded.contains(&id) {
            return Some(pieces);
        }

        let mut sig = orig.sig.clone();
        sig.ident = format_ident!("__corio_twin_{id}_{}", orig.sig.ident);
        sig.constness = None;
        sig.abi = None;
        if place == Place::Trait {
            sig.generics
                .make_where_clause()
                .predicates
                .push(parse_quote!(Self: Sized));
        }
        let mut block = orig.block.clone();
        yields::insert(&mut block, !self.info.no_unsafe_yields);
        let mut attrs = cfgs;
        attrs.push(parse_quote!(#[corio::coroutine(yield = ())]));
        let mut twin = ItemFn {
            attrs,
            vis: syn::Visibility::Inherited,
            sig,
            block: Box::new(block),
        };
        if let Some(q) = qualify {
            q.clone().visit_item_fn_mut(&mut twin);
        }
        let text = prettyplease::unparse(&syn::File {
            shebang: None,
            attrs: Vec::new(),
            items: vec![Item::Fn(twin)],
        });
        pieces.push(Piece::Twin(id, format!("\n{}", text.trim_end())));
        Some(pieces)
    }
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}::{name}")
    }
}

/// The attributes that decide whether the original is compiled: its `cfg`s, and
/// `#[cfg(test)]` for a `#[test]` function (which only a test build compiles).
fn cfg_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    let mut out: Vec<Attribute> = attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect();
    if attrs.iter().any(|a| a.path().is_ident("test")) {
        out.push(parse_quote!(#[cfg(test)]));
    }
    out
}

/// The parameters a self type constrains: those it names as a type or const of its own
/// (`T` in `Foo<T>`), not through a projection (`Input` in `Foo<Input::Token>`).
fn constrained(ty: &syn::Type) -> BTreeSet<String> {
    struct Names(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Names {
        fn visit_type_path(&mut self, tp: &'ast syn::TypePath) {
            if tp.qself.is_none() && tp.path.leading_colon.is_none() && tp.path.segments.len() == 1
            {
                self.0.insert(tp.path.segments[0].ident.to_string());
            }
            // generic arguments of every segment, but not the projected path itself
            for seg in &tp.path.segments {
                self.visit_path_arguments(&seg.arguments);
            }
        }
        fn visit_expr_path(&mut self, ep: &'ast syn::ExprPath) {
            if let Some(i) = ep.path.get_ident() {
                self.0.insert(i.to_string());
            }
        }
    }
    let mut names = Names(BTreeSet::new());
    names.visit_type(ty);
    names.0
}

/// `Self::Name` → `<Self as Trait>::Name` for the items of the trait impl a method leaves.
#[derive(Clone)]
struct QualifySelf<'a> {
    trait_path: &'a syn::Path,
    names: &'a BTreeSet<String>,
}

impl QualifySelf<'_> {
    /// `is_type`: in a type, `Self::Name` can only be an associated type (of this trait or
    /// a supertrait: `Self::Item` in a `DoubleEndedIterator` impl); in an expression only
    /// this impl's items are rewritten (`Self::Variant` stays).
    fn rewrite(
        &self,
        qself: &Option<syn::QSelf>,
        path: &syn::Path,
        is_type: bool,
    ) -> Option<TokenStream> {
        let segs = &path.segments;
        if qself.is_some()
            || path.leading_colon.is_some()
            || segs.len() < 2
            || segs[0].ident != "Self"
            || !(is_type || self.names.contains(&segs[1].ident.to_string()))
        {
            return None;
        }
        let name = segs[1].ident.to_string();
        let trait_path = match self.supertrait(&name) {
            Some(sup) => sup,
            None => self.trait_path.to_token_stream(),
        };
        let rest = segs.iter().skip(1);
        Some(quote!(<Self as #trait_path>#(::#rest)*))
    }

    /// The std supertrait that declares `name` when this impl's trait does not.
    fn supertrait(&self, name: &str) -> Option<TokenStream> {
        if self.names.contains(name) {
            return None;
        }
        let last = self.trait_path.segments.last()?.ident.to_string();
        match (last.as_str(), name) {
            (
                "DoubleEndedIterator" | "ExactSizeIterator" | "FusedIterator" | "TrustedLen",
                "Item",
            ) => Some(quote!(::core::iter::Iterator)),
            ("DerefMut", "Target") => Some(quote!(::core::ops::Deref)),
            _ => None,
        }
    }

    /// Why `m` cannot move to an inherent impl: it names `Self::Name`, an associated type
    /// of a supertrait that the tool cannot name.
    fn unknown_assoc_type(&self, m: &syn::ImplItemFn) -> Option<&'static str> {
        struct Find<'q, 'a>(&'q QualifySelf<'a>, bool);
        impl<'ast> Visit<'ast> for Find<'_, '_> {
            fn visit_type_path(&mut self, tp: &'ast syn::TypePath) {
                let segs = &tp.path.segments;
                if tp.qself.is_none() && segs.len() >= 2 && segs[0].ident == "Self" {
                    let name = segs[1].ident.to_string();
                    self.1 |= !self.0.names.contains(&name) && self.0.supertrait(&name).is_none();
                }
                syn::visit::visit_type_path(self, tp);
            }
            fn visit_item(&mut self, _: &'ast Item) {}
        }
        let mut f = Find(self, false);
        f.visit_impl_item_fn(m);
        f.1.then_some("trait impl method naming a supertrait's associated type")
    }
}

impl VisitMut for QualifySelf<'_> {
    fn visit_type_path_mut(&mut self, tp: &mut syn::TypePath) {
        if let Some(new) = self.rewrite(&tp.qself, &tp.path, true) {
            *tp = syn::parse2(new).expect("a qualified path parses");
        }
        syn::visit_mut::visit_type_path_mut(self, tp);
    }

    fn visit_expr_path_mut(&mut self, ep: &mut syn::ExprPath) {
        if let Some(new) = self.rewrite(&ep.qself, &ep.path, false) {
            let attrs = std::mem::take(&mut ep.attrs);
            *ep = syn::parse2(new).expect("a qualified path parses");
            ep.attrs = attrs;
        }
        syn::visit_mut::visit_expr_path_mut(self, ep);
    }

    /// A nested item's `Self` is its own.
    fn visit_item_mut(&mut self, _: &mut Item) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn twin(src: &str) -> (Twinned, Vec<Func>) {
        let file = syn::parse_file(src).unwrap();
        let mut info = CrateInfo::default();
        info.add_file(&file);
        let mut next = 0;
        let mut funcs = Vec::new();
        let t = twin_file(
            Path::new("src/lib.rs"),
            src,
            &info,
            &mut next,
            &BTreeSet::new(),
            &mut funcs,
        )
        .unwrap();
        (t, funcs)
    }

    #[test]
    fn free_fn_twin_follows_the_original_and_its_lines_are_known() {
        let src = "fn a(x: u32) -> u32 {\n    x + 1\n}\n\nfn b() {}\n";
        let (t, funcs) = twin(src);
        assert_eq!(funcs.len(), 2);
        assert!(t.text.starts_with(src.lines().next().unwrap()));
        let lines: Vec<&str> = t.text.lines().collect();
        let tw = &t.twins[0];
        assert!(lines[tw.first - 1].contains("#[corio::coroutine(yield = ())]"));
        assert!(lines[tw.first].contains("fn __corio_twin_0_a(x: u32) -> u32"));
        assert_eq!(lines[tw.last - 1].trim(), "}");
        assert!(t.text.contains("let corio_marker_1 = ()"));
    }

    #[test]
    fn trait_impl_methods_move_to_an_inherent_impl_with_qualified_self_items() {
        let src = "struct S;\nimpl Iterator for S {\n    type Item = u8;\n    \
                   fn next(&mut self) -> Option<Self::Item> { None }\n}\n\
                   impl Iterator for Vec<u8> {\n    type Item = u8;\n    \
                   fn next(&mut self) -> Option<u8> { None }\n}\n";
        let (t, funcs) = twin(src);
        assert!(
            t.text
                .contains("fn __corio_twin_0_next(&mut self) -> Option<<Self as Iterator>::Item>"),
            "{}",
            t.text
        );
        assert!(
            t.text
                .contains(" const _: () = { use Iterator as _; impl S {"),
            "{}",
            t.text
        );
        assert_eq!(
            funcs[1].twin,
            Err("trait impl for a type that is not the crate's own")
        );
    }

    #[test]
    fn a_parameter_seen_only_through_a_projection_does_not_constrain() {
        let src = "struct Esc<P, T>(P, T);\n\
                   impl<I: Iterator, P> Clone for Esc<P, I::Item> { fn clone(&self) -> Self { todo!() } }\n\
                   impl<P: Clone, const N: usize> Default for Esc<P, [u8; N]> { fn default() -> Self { todo!() } }\n";
        let (_, funcs) = twin(src);
        assert_eq!(
            funcs[0].twin,
            Err("trait impl with a parameter that the type does not constrain")
        );
        assert_eq!(funcs[1].twin, Ok(0));
    }

    #[test]
    fn skipped_functions_are_counted_with_a_reason() {
        let src = "unsafe fn u() {}\nmacro_rules! m { () => { fn $x() {} fn y() {} } }\n\
                   trait T { fn p(&self) -> u8 { 1 } fn r(&self); }\n";
        let (t, funcs) = twin(src);
        let reasons: Vec<_> = funcs.iter().map(|f| f.twin).collect();
        assert_eq!(
            reasons,
            [
                Err("unsafe fn"),
                Err("inside a macro"),
                Err("inside a macro"),
                Ok(0)
            ]
        );
        assert!(t.text.contains("    Self: Sized,"), "{}", t.text);
    }
}
