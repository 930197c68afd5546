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

/// Each stage's output for `running_total`, as `docs/pass-map.md` walks it: the normalized
/// nodes, the states after segment and analyze, and the layout's arms. Kept in step with the
/// document: when this changes, so does the page.
#[test]
fn pass_map_walkthrough() {
    use crate::ir::Node;
    use crate::layout::Route;
    use crate::plan::{Emit, ExitKind, Kind};
    use quote::quote;
    use std::fmt::Write;

    fn node(n: &Node, d: usize, out: &mut String) {
        let p = " ".repeat(d * 2);
        match n {
            Node::Stmt(s) => writeln!(out, "{p}Stmt({})", quote!(#s)),
            Node::Let(l) => writeln!(out, "{p}Let({})", quote!(#l)),
            Node::Suspend {
                point,
                value,
                resume,
            } => {
                let r = resume.as_deref().map(|r| {
                    let mut o = String::new();
                    node(r, 0, &mut o);
                    o.trim().to_string()
                });
                writeln!(out, "{p}Suspend({point}, {}) resume {r:?}", quote!(#value))
            }
            Node::Loop { target, body } => {
                writeln!(out, "{p}Loop({target})").unwrap();
                body.iter().for_each(|n| node(n, d + 1, out));
                Ok(())
            }
            Node::Return(v) => writeln!(out, "{p}Return({})", quote!(#v)),
            _ => writeln!(out, "{p}other"),
        }
        .unwrap();
    }
    /// User code with its parts shown: `⟨exit k⟩`, `⟨resume⟩`.
    fn show(c: &crate::plan::Code) -> String {
        use crate::plan::Part;
        let parts: Vec<String> =
            c.0.iter()
                .map(|p| match p {
                    Part::Tokens(t) => t.to_string(),
                    Part::Group(d, _, inner) => {
                        let (open, close) = match d {
                            proc_macro2::Delimiter::Parenthesis => ("(", ")"),
                            proc_macro2::Delimiter::Brace => ("{", "}"),
                            proc_macro2::Delimiter::Bracket => ("[", "]"),
                            proc_macro2::Delimiter::None => ("", ""),
                        };
                        format!("{open} {} {close}", show(inner))
                    }
                    Part::Exit(k) => format!("⟨exit {k}⟩"),
                    Part::Resume => "⟨resume⟩".into(),
                    Part::Name(i, _) | Part::Field(i, _) => i.to_string(),
                    Part::Format { lit, .. } => lit.to_string(),
                    Part::Pattern(pat, _) => quote!(#pat).to_string(),
                    Part::ElseInit(inner) => show(inner),
                })
                .collect();
        parts.join(" ")
    }
    fn code(c: &[Emit], out: &mut String) {
        for e in c {
            match e {
                Emit::Stmt { stmt, .. } => write!(out, " Stmt({})", show(stmt)),
                Emit::Let { local, .. } => write!(out, " Let({})", show(local)),
                Emit::Yield { value, next, .. } => write!(out, " Yield({}) -> {next}", show(value)),
                Emit::Exit(k) => write!(out, " Exit({k})"),
                _ => write!(out, " other"),
            }
            .unwrap();
        }
    }

    let item: syn::ItemFn = syn::parse_quote! {
        fn running_total() -> i64 {
            let mut total = 0;
            loop {
                let x = yield_!(total);
                if x == 0 {
                    return total;
                }
                total += x;
            }
        }
    };
    let mut errors = crate::errors::Errors::default();
    let body = crate::normalize::normalize(&item.block, true, &mut errors);
    let mut out = String::new();
    body.nodes.iter().for_each(|n| node(n, 0, &mut out));
    let awaits: Vec<bool> = body.points.iter().map(|p| p.is_await).collect();
    let mut plan = crate::segment::segment(body.nodes, &[], &body.targets, &awaits, &mut errors);
    crate::analyze::analyze(&mut plan, 0, &mut errors);
    errors.propagate().unwrap();
    for (i, s) in plan.states.iter().enumerate() {
        let kind = match s.kind {
            Kind::Start => "Start".to_string(),
            Kind::Point(k) => format!("Point({k})"),
            Kind::Join => "Join".into(),
            Kind::Head => "Head".into(),
        };
        let saved: Vec<&str> = s
            .saved
            .iter()
            .map(|&b| plan.bindings[b].name.as_str())
            .collect();
        write!(out, "state {i} {kind} dead={} saved={saved:?}:", s.dead).unwrap();
        code(&s.code, &mut out);
        out.push('\n');
    }
    for (k, e) in plan.exits.iter().enumerate() {
        match &e.kind {
            ExitKind::Goto(s) => writeln!(out, "exit {k}: Goto({s})"),
            ExitKind::Return(v) => {
                let v = v.as_ref().map(show).unwrap_or_default();
                writeln!(out, "exit {k}: Return({v})")
            }
        }
        .unwrap();
    }
    let i64_ty: syn::Type = syn::parse_quote!(i64);
    let name: syn::Ident = syn::parse_quote!(running_total);
    let shape = crate::shape::Shape {
        flavor: crate::shape::Flavor::Generator,
        name: &name,
        method: false,
        yield_ty: &i64_ty,
        resume_ty: &i64_ty,
        ret_ty: Some(&i64_ty),
        anchors: &body.anchors,
        fall_off_cfgs: &body.fall_off_cfgs,
        expect: None,
    };
    let layout = crate::layout::layout(&plan, &shape);
    for arm in &layout.arms {
        let chain: Vec<usize> = arm.chain.iter().map(|p| p.state).collect();
        write!(out, "arm {chain:?}").unwrap();
        for (k, r) in arm.chain.iter().flat_map(|p| &p.routes) {
            let r = match r {
                Route::Continue(s) => format!("Continue({s})"),
                Route::Break(s) => format!("Break({s})"),
                Route::Inline(p) => format!("Inline({})", p.state),
                Route::Copy(p) => format!("Copy({})", p.state),
                Route::Dispatch(s) => format!("Dispatch({s})"),
                Route::Return => "Return".into(),
            };
            write!(out, " {k}:{r}").unwrap();
        }
        out.push('\n');
    }
    writeln!(out, "variants {:?}", layout.variants).unwrap();
    let expected = "\
Let(let mut total = 0 ;)
Let(let __corio_t1 ;)
Loop(0)
  Suspend(0, total) resume Some(\"Let(let x = __corio_resume ! () ;)\")
  Stmt(if x == 0 { return total ; })
  Stmt(total += x ;)
Return(__corio_t1)
state 0 Start dead=false saved=[]: Let(let mut total = 0 ;) Exit(0)
state 1 Join dead=true saved=[]:
state 2 Head dead=false saved=[\"total\"]: Yield(total) -> 3
state 3 Point(0) dead=false saved=[\"total\"]: Let(let x = ⟨resume⟩ ;) Stmt(if x == 0 { ⟨exit 1⟩ ; }) Stmt(total += x ;) Exit(2)
exit 0: Goto(2)
exit 1: Return(total)
exit 2: Goto(2)
exit 3: Return(__corio_t1)
arm [0, 2] 0:Break(2)
arm [3, 2] 1:Return 2:Break(2)
variants [0, 3]
";
    assert_eq!(out, expected);
}

/// Writes the expansion of every `#[corio::coroutine]` function in the Rust files under
/// `$CORIO_DUMP_SRC` (`:`-separated files or folders) to `$CORIO_DUMP_OUT/<hash of input>`,
/// so that two versions of the pass can be compared with `diff -r` (how the exits-as-data
/// change was checked token for token).
#[test]
#[ignore = "a tool: dumps expansions to compare two versions of the pass"]
fn dump_expansions() {
    use quote::ToTokens;
    use std::hash::{Hash, Hasher};
    use syn::visit::Visit;
    struct Found(Vec<(proc_macro2::TokenStream, proc_macro2::TokenStream)>);
    impl Found {
        fn take(
            &mut self,
            attrs: &[syn::Attribute],
            item: impl Fn(Vec<syn::Attribute>) -> proc_macro2::TokenStream,
        ) {
            let Some(k) = attrs.iter().position(|a| {
                a.path()
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "coroutine")
            }) else {
                return;
            };
            let args = match &attrs[k].meta {
                syn::Meta::List(l) => l.tokens.clone(),
                _ => proc_macro2::TokenStream::new(),
            };
            let mut rest = attrs.to_vec();
            rest.remove(k);
            self.0.push((args, item(rest)));
        }
    }
    impl<'a> Visit<'a> for Found {
        fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
            self.take(&f.attrs, |attrs| {
                let mut f = f.clone();
                f.attrs = attrs;
                f.to_token_stream()
            });
            syn::visit::visit_item_fn(self, f);
        }
        fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
            self.take(&f.attrs, |attrs| {
                let mut f = f.clone();
                f.attrs = attrs;
                f.to_token_stream()
            });
            syn::visit::visit_impl_item_fn(self, f);
        }
    }
    fn files(p: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(p)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for e in entries {
                files(&e, out);
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p.to_path_buf());
        }
    }
    let (Ok(src), Ok(out)) = (
        std::env::var("CORIO_DUMP_SRC"),
        std::env::var("CORIO_DUMP_OUT"),
    ) else {
        return;
    };
    std::fs::create_dir_all(&out).unwrap();
    let mut paths = Vec::new();
    for s in src.split(':') {
        files(std::path::Path::new(s), &mut paths);
    }
    let (mut n, mut skipped) = (0, 0);
    for path in paths {
        let Ok(file) = syn::parse_file(&std::fs::read_to_string(&path).unwrap()) else {
            skipped += 1;
            continue;
        };
        let mut found = Found(Vec::new());
        found.visit_file(&file);
        for (args, input) in found.0 {
            let key = format!("{args}\n{input}");
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            let expanded =
                std::panic::catch_unwind(|| crate::coroutine::expand(args.clone(), input.clone()))
                    .map(|t| t.to_string())
                    .unwrap_or_else(|_| "PANIC".into());
            std::fs::write(
                format!("{out}/{:016x}", h.finish()),
                format!("{key}\n=====\n{expanded}"),
            )
            .unwrap();
            n += 1;
        }
    }
    println!("{n} expansions, {skipped} files not parsed");
}
