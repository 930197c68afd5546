//! Expansion snapshots: `tests/expand/<case>.rs` expanded with prettyplease must equal
//! `tests/expand/<case>.expanded.rs`. Refresh with `CORIO_BLESS=1 cargo test -p corio-macros`.

use std::path::Path;

fn expand_file(path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let file: syn::File = syn::parse_file(&source).unwrap();
    let mut out = Vec::new();
    for item in file.items {
        match item {
            syn::Item::Fn(mut f) => {
                let attr = f.attrs.iter().position(|a| {
                    a.path()
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "coroutine")
                });
                match attr {
                    Some(i) => {
                        let attr = f.attrs.remove(i);
                        let args = match attr.meta {
                            syn::Meta::List(l) => l.tokens,
                            _ => proc_macro2::TokenStream::new(),
                        };
                        let tokens = crate::coroutine::expand(args, quote::quote!(#f));
                        out.push(syn::parse2::<syn::Item>(tokens).unwrap());
                    }
                    None => out.push(syn::Item::Fn(f)),
                }
            }
            other => out.push(other),
        }
    }
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: file.attrs,
        items: out,
    })
}

#[test]
fn expansion_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let bless = std::env::var_os("CORIO_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rs")
                && !p.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let expanded = expand_file(&case);
        let snapshot = case.with_extension("expanded.rs");
        if bless {
            std::fs::write(&snapshot, &expanded).unwrap();
        } else {
            let expected = std::fs::read_to_string(&snapshot).unwrap_or_else(|_| {
                panic!("missing {}; run with CORIO_BLESS=1", snapshot.display())
            });
            assert_eq!(
                expanded,
                expected,
                "{} changed; review and run with CORIO_BLESS=1",
                case.display()
            );
        }
    }
}
