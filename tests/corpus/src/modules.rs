//! The source files of a library crate: its root and every `mod name;` reachable from it,
//! resolved as rustc does (`name.rs` or `name/mod.rs`, next to a `mod.rs`/root file or in
//! the directory named after a non-`mod.rs` file; `#[path = "…"]` relative to the
//! declaring file's directory). `cfg` is not evaluated here: files that the build leaves
//! out are found, and their functions come out as "not compiled" (see `twin`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every module file reachable from `root` (a path relative to `crate_dir`), root first,
/// each relative to `crate_dir`.
pub(crate) fn files(crate_dir: &Path, root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![(root.to_path_buf(), dir_for_children(root, true))];
    while let Some((file, child_dir)) = stack.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(crate_dir.join(&file)) else {
            continue;
        };
        out.push(file.clone());
        let Ok(parsed) = syn::parse_file(&text) else {
            continue;
        };
        let file_dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut found = Vec::new();
        collect(crate_dir, &parsed.items, &child_dir, &file_dir, &mut found);
        for (child, dir) in found.into_iter().rev() {
            if crate_dir.join(&child).is_file() {
                stack.push((child, dir));
            }
        }
    }
    out
}

/// Where `mod x;` inside `file` looks for `x`: the file's directory for a crate root or a
/// `mod.rs`, else the directory named after the file.
fn dir_for_children(file: &Path, is_root: bool) -> PathBuf {
    let parent = file.parent().unwrap_or(Path::new("")).to_path_buf();
    let is_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
    if is_root || is_mod_rs {
        parent
    } else {
        parent.join(file.file_stem().unwrap_or_default())
    }
}

fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

/// `(file, directory for its children)` of each `mod x;` in `items`, recursing into inline
/// modules (`mod a { mod b; }` looks in `dir/a/b.rs`).
fn collect(
    crate_dir: &Path,
    items: &[syn::Item],
    dir: &Path,
    file_dir: &Path,
    out: &mut Vec<(PathBuf, PathBuf)>,
) {
    for item in items {
        let syn::Item::Mod(m) = item else { continue };
        let name = m.ident.to_string();
        match &m.content {
            Some((_, inner)) => {
                let sub = match path_attr(&m.attrs) {
                    Some(p) => dir.join(p),
                    None => dir.join(&name),
                };
                collect(crate_dir, inner, &sub, file_dir, out);
            }
            None => {
                if let Some(p) = path_attr(&m.attrs) {
                    // relative to the directory of the file that declares it; its own
                    // `mod`s resolve as in a `mod.rs`
                    let file = file_dir.join(p);
                    let child = file.parent().unwrap_or(Path::new("")).to_path_buf();
                    out.push((file, child));
                } else {
                    let flat = dir.join(format!("{name}.rs"));
                    let nested = dir.join(&name).join("mod.rs");
                    let file = if crate_dir.join(&nested).is_file() {
                        nested
                    } else {
                        flat
                    };
                    let child = dir_for_children(&file, false);
                    out.push((file, child));
                }
            }
        }
    }
}
