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

/// The saved bindings (display names) of each suspension point's state, in point order.
fn saved_at_points(body: syn::Block, args: &[&str]) -> Vec<Vec<String>> {
    let mut errors = crate::errors::Errors::default();
    let normalized = crate::normalize::normalize(&body, false, &mut errors);
    let args: Vec<crate::plan::Arg> = args
        .iter()
        .map(|a| crate::plan::Arg {
            name: a.to_string(),
            display: a.to_string(),
            mutable: false,
            span: proc_macro2::Span::call_site(),
            ty: None,
        })
        .collect();
    let awaits: Vec<bool> = normalized.points.iter().map(|p| p.is_await).collect();
    let mut plan = crate::segment::segment(
        normalized.nodes,
        &args,
        &normalized.targets,
        &awaits,
        &mut errors,
    );
    crate::analyze::analyze(&mut plan, args.len(), &mut errors);
    errors.propagate().unwrap();
    let mut points: Vec<(usize, Vec<String>)> = plan
        .states
        .iter()
        .filter_map(|s| match s.kind {
            crate::plan::Kind::Point(k) => Some((
                k,
                s.saved
                    .iter()
                    .map(|&b| plan.bindings[b].display.clone())
                    .collect(),
            )),
            _ => None,
        })
        .collect();
    points.sort();
    points.into_iter().map(|(_, saved)| saved).collect()
}

#[test]
fn a_binding_is_kept_only_while_used_later() {
    let saved = saved_at_points(
        syn::parse_quote!({
            let a = 1;
            let b = 2;
            yield_!(a);
            yield_!(b);
            yield_!(0);
        }),
        &[],
    );
    assert_eq!(saved, [vec!["b"], vec![], vec![]]);
}

#[test]
fn underscore_bindings_are_kept_to_the_end_of_their_scope() {
    let saved = saved_at_points(
        syn::parse_quote!({
            {
                let _guard = lock();
                yield_!(1);
            }
            yield_!(2);
        }),
        &[],
    );
    assert_eq!(saved, [vec!["_guard"], vec![]]);
}

#[test]
fn a_whole_assignment_ends_a_binding_s_life() {
    let saved = saved_at_points(
        syn::parse_quote!({
            let mut x = 1;
            yield_!(0);
            x = 5;
            yield_!(x);
        }),
        &[],
    );
    assert_eq!(saved, [Vec::<String>::new(), vec![]]);
}

#[test]
fn loop_carried_bindings_and_macro_uses_are_kept() {
    let saved = saved_at_points(
        syn::parse_quote!({
            let mut i = 0;
            let label = "n";
            while i < n {
                yield_!(i);
                i += 1;
                println!("{label}");
            }
        }),
        &["n"],
    );
    assert_eq!(saved, [vec!["n", "i", "label"]]);
}

#[test]
fn shadowed_bindings_that_must_be_kept_are_both_saved() {
    let saved = saved_at_points(
        syn::parse_quote!({
            let x = 1;
            {
                let x = 2;
                yield_!(x);
            }
            yield_!(x);
        }),
        &[],
    );
    assert_eq!(saved, [vec!["x"], vec![]]);
    let saved = saved_at_points(
        syn::parse_quote!({
            let x = 1;
            {
                let x = 2;
                yield_!(0);
                use_it(x);
            }
            yield_!(x);
        }),
        &[],
    );
    assert_eq!(saved, [vec!["x", "x"], vec![]]);
}

/// Prints the expansion of one file, to read what the pass made of a body:
/// `CORIO_EXPAND=path/to/file.rs cargo test -p corio-macros expand_one -- --ignored --nocapture`.
#[test]
#[ignore = "a tool: prints the expansion of $CORIO_EXPAND"]
fn expand_one() {
    if let Some(path) = std::env::var_os("CORIO_EXPAND") {
        println!("{}", expand_file(Path::new(&path)));
    }
}
