//! Stage 6: the only file that writes tokens. It turns a finished [`Plan`] into the frame
//! enum, the step and describe closures, and the function that returns the wrapper.
//!
//! Input:
//!
//! ```text
//! #[corio::coroutine(yield = u32)]
//! fn count(n: u32) { let mut i = 0; while i < n { yield_!(i); i += 1; } }
//! ```
//!
//! Output (abridged; `Loop2` is the `while` loop's head, `Join1` the code after it, both run
//! as followers, see [`Cx::run`]):
//!
//! ```text
//! fn count(n: u32) -> impl Coroutine<(), Yield = u32, Return = ()> + Inspect + Debug + Iterator<Item = u32> {
//!     static __CORIO_POINT_0: SuspendPoint = SuspendPoint { index: 0, kind: Yield, line: 2, column: 45, source: "yield_!(i)", .. };
//!     enum __CorioFrame<T_n, T_i, __CorioR> { Start { n: T_n }, Suspend0 { i: T_i, n: T_n }, Running, Done(Option<__CorioR>) }
//!     generator(__CorioFrame::Start { n },
//!         |__corio_frame, __corio_arg: ()| {
//!             if !matches!(*__corio_frame, Start { .. } | Suspend0 { .. }) { return Step(None); }
//!             let mut __corio_state = replace(__corio_frame, Running);
//!             '__corio_dispatch: loop { match __corio_state {
//!                 Start { n } => {
//!                     let () = '__corio_to1: {
//!                         let (n, mut i) = '__corio_to2: { let n = n; let mut i = 0; break '__corio_to2 (n, i) };
//!                         '__corio_loop2: loop { if i < n { let __corio_y: u32 = i; *__corio_frame = Suspend0 { i, n }; return Step::some(Yielded(__corio_y)); }
//!                                                else { break '__corio_to1 (); } }
//!                     };
//!                     *__corio_frame = Done(None); return Step::some(Complete(()));
//!                 }
//!                 Suspend0 { mut i, n } => { /* the same, after `i += 1;` */ }
//!                 Running | Done(_) => { *__corio_frame = __corio_state; return Step(None); }
//!             } } },
//!         |__corio_frame, __corio_out| match __corio_frame { Suspend0 { i, n } => { out("n", ..); out("i", ..); Described::at(&__CORIO_POINT_0) } _ => Described::NONE })
//! }
//! ```

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Expr, Ident, Pat, Type};

use crate::ir::Point;
use crate::lower::{Emit, ExitKind, Id, Kind, Plan, Set};
use crate::verbatim::{Verbatim, mentions, pat_names, rename_pat, visit_macro_args};

/// What the function becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `fn` with `yield = T`: a `Coroutine` (+ `Iterator` when the resume type is `()`).
    Generator,
    /// `async fn`: a `Future`.
    AsyncFn,
    /// `async fn` with `yield = T`: a `Stream`.
    AsyncGen,
}

pub(crate) struct Shape<'a> {
    pub(crate) flavor: Flavor,
    pub(crate) name: &'a Ident,
    pub(crate) yield_ty: &'a Type,
    pub(crate) resume_ty: &'a Type,
    pub(crate) ret_ty: Option<&'a Type>,
    /// The type anchors of value temporaries (see `normalize::anchor`).
    pub(crate) anchors: &'a [Ident],
    /// For `-> impl Fn…`: `fn __corio_expect<F: Fn…>(f: F) -> F`, which the returned value
    /// goes through (see [`expect_fn`]).
    pub(crate) expect: Option<TokenStream>,
}

/// `fn __corio_expect<'a, …, __CorioF: Bounds>(f: __CorioF) -> __CorioF { f }` for a return
/// type `impl Bounds` that names a closure trait, so that a returned closure is inferred
/// against the bounds (higher-ranked `Fn(&u32)`), as the plain fn's tail is. Only when the
/// bounds can be written on a nested fn: no type or const parameters of the outer fn (a
/// nested fn cannot use them), no `Self`, no `'_`, no nested `impl Trait`.
pub(crate) fn expect_fn(ret: Option<&Type>, generics: &syn::Generics) -> Option<TokenStream> {
    let mut ty = ret?;
    while let Type::Group(g) = ty {
        ty = &g.elem;
    }
    let Type::ImplTrait(it) = ty else {
        return None;
    };
    if generics
        .params
        .iter()
        .any(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
    {
        return None;
    }
    let bounds: Vec<&syn::TypeParamBound> = it
        .bounds
        .iter()
        .filter(|b| !matches!(b, syn::TypeParamBound::PreciseCapture(_)))
        .collect();
    let tokens = quote!(#(#bounds)+*);
    let closure_trait = mentions(
        &tokens,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Fn" || i == "FnMut" || i == "FnOnce"),
    );
    let writable = !mentions(
        &tokens,
        &|t| matches!(t, TokenTree::Ident(i) if i == "Self" || i == "impl" || i == "_"),
    );
    if !closure_trait || !writable {
        return None;
    }
    let lifetimes = generics.lifetimes();
    Some(quote! {
        fn __corio_expect<#(#lifetimes,)* __CorioF: #tokens>(f: __CorioF) -> __CorioF { f }
    })
}

struct Cx<'a> {
    /// The state whose code is being written (the resume value refers to its point).
    current: std::cell::Cell<usize>,
    /// The loop heads whose Rust `loop` encloses the code being written: a `goto` to one of
    /// them is a plain `continue`.
    loops: std::cell::RefCell<Vec<usize>>,
    /// The states whose code follows the code being written in its arm, each after a labelled
    /// block the code is in: a `goto` to one of them is a `break` out of that block (see
    /// `run`).
    targets: std::cell::RefCell<Vec<usize>>,
    /// How many inline copies of an await state's code enclose the code being written.
    depth: std::cell::Cell<u32>,
    /// The states some written code stores or goes to: the arms (and frame variants) to emit.
    built: std::cell::RefCell<Set>,
    plan: &'a Plan,
    points: &'a [Point],
    shape: &'a Shape<'a>,
    fields: Vec<Ident>,
}

fn state_ident(plan: &Plan, s: usize) -> Ident {
    match plan.states[s].kind {
        Kind::Start => format_ident!("Start"),
        Kind::Point(k) => format_ident!("Suspend{}", k),
        Kind::Join => format_ident!("Join{}", s),
        Kind::Head => format_ident!("Loop{}", s),
    }
}

/// How deep inline copies of await states nest (each level multiplies the copied code by the
/// number of ways out of a segment, so this bounds the expansion's size).
const MAX_INLINE_DEPTH: u32 = 2;

/// How many states' code can follow an arm's own (see `Cx::run`); each is a copy of code that
/// may also have an arm of its own, so this bounds the expansion's size.
const MAX_FOLLOWERS: usize = 2;

/// The exits of `code` that are the last thing it does: the last statement, or the last
/// statement of a branch of an `if`, `match` or block that is itself last.
fn tails(code: &[Emit]) -> Vec<usize> {
    match code.last() {
        Some(Emit::Exit(k)) => vec![*k],
        Some(Emit::Block(inner)) => tails(inner),
        Some(Emit::If { then, els, .. }) => {
            let mut t = tails(then);
            t.extend(tails(els));
            t
        }
        Some(Emit::Match { arms, .. }) => arms.iter().flat_map(|a| tails(&a.body)).collect(),
        _ => Vec::new(),
    }
}

/// The label of the block after which a follower's code runs.
fn follow_label(s: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__corio_to{s}"), Span::call_site())
}

/// The label of the Rust `loop` a loop head's code runs in.
fn loop_label(s: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__corio_loop{s}"), Span::call_site())
}

/// The value an await at point `k` gave when polled in place (see `poll_in_place`).
fn early_ident(k: usize) -> Ident {
    format_ident!("__corio_early{}", k)
}

fn point_static(k: usize) -> Ident {
    format_ident!("__CORIO_POINT_{}", k)
}

pub(crate) fn generator(plan: &Plan, points: &[Point], shape: &Shape<'_>) -> TokenStream {
    let mut saved_anywhere: Vec<Id> = plan
        .states
        .iter()
        .flat_map(|s| s.saved.iter().copied())
        .collect();
    saved_anywhere.sort_unstable();
    saved_anywhere.dedup();
    let fields: Vec<Ident> = (0..plan.bindings.len())
        .map(|b| {
            let name = &plan.bindings[b].name;
            let unique = saved_anywhere
                .iter()
                .filter(|&&o| &plan.bindings[o].name == name)
                .count()
                <= 1;
            if unique {
                format_ident!("{}", name)
            } else {
                format_ident!("{}_{}", name, b)
            }
        })
        .collect();
    let cx = Cx {
        current: std::cell::Cell::new(0),
        loops: std::cell::RefCell::new(Vec::new()),
        targets: std::cell::RefCell::new(Vec::new()),
        depth: std::cell::Cell::new(0),
        built: std::cell::RefCell::new(Set::new()),
        plan,
        points,
        shape,
        fields,
    };

    // Arms for the states some code builds, found from `Start`: a state every way into which
    // became a follower's `break` needs no arm and no variant.
    let mut arms = std::collections::BTreeMap::new();
    let mut builds = std::collections::BTreeMap::new();
    let mut todo = vec![0];
    while let Some(s) = todo.pop() {
        if arms.contains_key(&s) {
            continue;
        }
        cx.built.borrow_mut().clear();
        arms.insert(s, cx.arm(s));
        let built = cx.built.borrow().clone();
        todo.extend(built.iter().copied());
        builds.insert(s, built);
    }
    // Arms in program order, except that an arm comes after one that builds its state: rustc
    // infers the fields' types in that order, and a method call needs its receiver's type
    // known. (A follower's code moved into an earlier arm can leave a state's first builder
    // after it in program order.)
    let rank = |s: &usize| plan.states[*s].order;
    let mut emitted = vec![0];
    let mut ready: Set = builds[&0].clone();
    while let Some(next) = ready
        .iter()
        .copied()
        .filter(|s| !emitted.contains(s))
        .min_by_key(rank)
    {
        emitted.push(next);
        ready.extend(builds[&next].iter().copied());
    }
    let order = emitted;
    let mut kept: Vec<Id> = order
        .iter()
        .flat_map(|&s| plan.states[s].saved.iter().copied())
        .collect();
    kept.sort_unstable();
    kept.dedup();
    let generics: Vec<Ident> = kept
        .iter()
        .map(|&b| format_ident!("T_{}", cx.fields[b]))
        .collect();
    let generic_of = |b: Id| format_ident!("T_{}", cx.fields[b]);

    // Variants: a step ends in `Start` (never) or at a suspension point, only those are ever
    // stored, so they come first, and the step's first check is one tag range (see
    // `rest_check`).
    let mut variant_order = order.clone();
    variant_order.sort_by_key(|&s| !matches!(plan.states[s].kind, Kind::Start | Kind::Point(_)));
    let rest_states = variant_order
        .iter()
        .filter(|&&s| matches!(plan.states[s].kind, Kind::Start | Kind::Point(_)))
        .map(|&s| {
            let ident = state_ident(plan, s);
            quote!(__CorioFrame::#ident { .. })
        });
    let rest_check = quote! {
        // Closed (or running, which the wrapper never steps): say so. A frame at rest is never
        // a loop head or a join, and saying so here makes the dispatch on resume one range
        // check.
        if !::core::matches!(*__corio_frame, #(#rest_states)|*) {
            return ::corio::__private::Step(::core::option::Option::None);
        }
    };
    // A coroutine resumed at an `.await` polls the awaited future where it lies in the frame:
    // a `Pending` returns without moving anything, and only a ready value takes the state
    // out (the arm's `Emit::Poll` picks it up). A task woken spuriously, a future pending
    // several times (a lock, a partial read) or a task dump's trace poll costs no moves.
    let awaits: Vec<(usize, usize, Id)> = order
        .iter()
        .filter_map(|&s| match (plan.states[s].kind, plan.states[s].awaiting) {
            (Kind::Point(k), Some(fut)) => Some((s, k, fut)),
            _ => None,
        })
        .collect();
    let early_lets = awaits.iter().map(|&(_, k, _)| {
        let early = early_ident(k);
        quote!(let mut #early = ::core::option::Option::None;)
    });
    let early_arms = awaits.iter().map(|&(s, k, fut)| {
        let early = early_ident(k);
        let ident = state_ident(plan, s);
        let f = &cx.fields[fut];
        quote! {
            __CorioFrame::#ident { #f: __corio_awaited, .. } => {
                match ::core::future::Future::poll(::core::pin::Pin::new(__corio_awaited), __corio_cx) {
                    ::core::task::Poll::Ready(__corio_value) => {
                        #early = ::core::option::Option::Some(__corio_value);
                    }
                    ::core::task::Poll::Pending => {
                        return ::corio::__private::Step::some(::core::task::Poll::Pending);
                    }
                }
            }
        }
    });
    let poll_in_place = if awaits.is_empty() {
        quote!()
    } else {
        quote! {
            #(#early_lets)*
            match __corio_frame {
                #(#early_arms)*
                _ => {}
            }
        }
    };
    let arms: Vec<TokenStream> = order
        .iter()
        .map(|s| arms.remove(s).expect("an arm"))
        .collect();
    // Only the anchors some arm uses (an unused one would leave its type unknown).
    let anchors = shape.anchors.iter().filter(|a| {
        arms.iter()
            .any(|arm| mentions(arm, &|t| matches!(t, TokenTree::Ident(i) if i == *a)))
    });
    let anchors = quote!(#(let #anchors = ::core::marker::PhantomData;)*);
    let variants = variant_order.iter().map(|&s| {
        let ident = state_ident(plan, s);
        let fields = plan.states[s].saved.iter().rev().map(|&b| {
            let f = &cx.fields[b];
            let t = generic_of(b);
            quote!(#f: #t)
        });
        quote!(#ident { #(#fields,)* })
    });

    let statics = points.iter().enumerate().map(|(k, p)| {
        let ident = point_static(k);
        let index = k as u32;
        let start = p.span.start();
        let (line, column) = (start.line as u32, start.column as u32 + 1);
        let source = &p.source;
        let kind = if p.is_await {
            quote!(Await)
        } else {
            quote!(Yield)
        };
        quote! {
            static #ident: ::corio::__private::SuspendPoint = ::corio::__private::SuspendPoint {
                index: #index,
                kind: ::corio::__private::PointKind::#kind,
                file: ::core::file!(),
                line: #line,
                column: #column,
                source: #source,
            };
        }
    });

    let start_fields = plan.states[0].saved.iter().map(|&b| {
        let f = &cx.fields[b];
        let name = &plan.bindings[b].name;
        if name == "__corio_self" {
            let receiver = Ident::new("self", plan.bindings[b].span);
            quote!(#f: #receiver)
        } else {
            let arg = Ident::new(name, plan.bindings[b].span);
            quote!(#f: #arg)
        }
    });

    let resume_ty = shape.resume_ty;
    let unit_resume = is_unit(resume_ty);
    let take_arg = if unit_resume || shape.flavor != Flavor::Generator {
        quote!()
    } else {
        quote!(let mut __corio_arg = ::core::option::Option::Some(__corio_arg);)
    };

    let describe_arms =
        order.iter().filter_map(|&s| {
            let Kind::Point(k) = plan.states[s].kind else {
                return None;
            };
            let ident = state_ident(plan, s);
            let mut saved = plan.states[s].saved.clone();
            saved.sort_unstable();
            let binds = saved
                .iter()
                .filter(|&&b| !plan.bindings[b].hidden())
                .map(|&b| {
                    let f = &cx.fields[b];
                    let v = format_ident!("__corio_v_{}", f);
                    quote!(#f: #v)
                });
            let outs = saved.iter().filter(|&&b| !plan.bindings[b].hidden()).map(|&b| {
            let f = &cx.fields[b];
            let v = format_ident!("__corio_v_{}", f);
            let display = &plan.bindings[b].display;
            quote!(__corio_out(#display, (&&::corio::__private::Probe(#v)).__corio_debug());)
        });
            let point = point_static(k);
            let (fut_bind, described) = match plan.states[s].awaiting {
                Some(fut) => {
                    let f = &cx.fields[fut];
                    (
                        quote!(#f: __corio_awaited,),
                        quote!(::corio::__private::Described::awaiting(
                            &#point,
                            (&&::corio::__private::Probe(__corio_awaited)).__corio_inspect(),
                        )),
                    )
                }
                None => (quote!(), quote!(::corio::__private::Described::at(&#point))),
            };
            Some(quote! {
                __CorioFrame::#ident { #fut_bind #(#binds,)* .. } => {
                    #(#outs)*
                    #described
                }
            })
        });

    let name = shape.name.to_string();
    let is_async = shape.flavor != Flavor::Generator;
    let (constructor, step_args) = match shape.flavor {
        Flavor::Generator => (quote!(generator), quote!(__corio_arg: #resume_ty)),
        Flavor::AsyncFn => (
            quote!(future),
            quote!(__corio_cx: &mut ::core::task::Context<'_>),
        ),
        Flavor::AsyncGen => (
            quote!(stream),
            quote!(__corio_cx: &mut ::core::task::Context<'_>),
        ),
    };
    let items = &plan.items;
    quote! {
        #(#items)*
        #(#statics)*
        #[derive(Clone)]
        #[allow(non_camel_case_types, dead_code, clippy::large_enum_variant)]
        enum __CorioFrame<#(#generics,)* __CorioR> {
            #(#variants,)*
            Running,
            Done(::core::option::Option<__CorioR>),
        }
        impl<#(#generics,)* __CorioR> ::corio::__private::Frame for __CorioFrame<#(#generics,)* __CorioR> {
            const NAME: &'static str = ::core::concat!(::core::module_path!(), "::", #name);
            type Return = __CorioR;
            const ASYNC: bool = #is_async;
            #[inline]
            fn status(&self) -> ::corio::__private::Status {
                match self {
                    Self::Start { .. } => ::corio::__private::Status::Created,
                    Self::Running => ::corio::__private::Status::Running,
                    Self::Done(_) => ::corio::__private::Status::Closed,
                    #[allow(unreachable_patterns)]
                    _ => ::corio::__private::Status::Suspended,
                }
            }
            #[inline]
            fn done(ret: ::core::option::Option<__CorioR>) -> Self {
                Self::Done(ret)
            }
            fn take_return(&mut self) -> ::core::option::Option<__CorioR> {
                match self {
                    Self::Done(ret) => ret.take(),
                    _ => ::core::option::Option::None,
                }
            }
        }
        ::corio::__private::#constructor(
            __CorioFrame::Start { #(#start_fields,)* },
            #[allow(unused_mut, unused_variables, unused_assignments, unreachable_code, unused_imports, unused_labels, unused_unsafe, clippy::all)]
            |__corio_frame, #step_args| {
                use ::corio::__private::{BoxedKind as _, InPlaceKind as _};
                #take_arg
                #rest_check
                #poll_in_place
                #anchors
                let mut __corio_state = ::core::mem::replace(__corio_frame, __CorioFrame::Running);
                '__corio_dispatch: loop {
                    match __corio_state {
                        #(#arms)*
                        // Never reached (see `rest_check` above); not a panic, which would
                        // bring an unwind path into every resume.
                        __CorioFrame::Running | __CorioFrame::Done(_) => {
                            *__corio_frame = __corio_state;
                            return ::corio::__private::Step(::core::option::Option::None);
                        }
                    }
                }
            },
            #[allow(unused_imports, unused_variables, clippy::all)]
            |__corio_frame, __corio_out| {
                use ::corio::__private::{NoInspect as _, RenderDebug as _, RenderName as _, ViaInspect as _};
                match __corio_frame {
                    #(#describe_arms)*
                    _ => ::corio::__private::Described::NONE,
                }
            },
        )
    }
}

/// Could these tokens contain a closure or an `async` block (each of which has a unique type)?
/// A macro other than these may expand to one (`corio::join!` writes an `async` block).
fn has_unique_types(tokens: TokenStream) -> bool {
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
            i == "async"
                || (!KEYWORDS.contains(&i.to_string().as_str())
                    && !PLAIN_MACROS.contains(&i.to_string().as_str())
                    && matches!(tokens.get(k + 1), Some(TokenTree::Punct(p))
                        if p.as_char() == '!' && p.spacing() == proc_macro2::Spacing::Alone)
                    && matches!(tokens.get(k + 2), Some(TokenTree::Group(_))))
        }
        TokenTree::Punct(p) => p.as_char() == '|',
        TokenTree::Group(g) => has_unique_types(g.stream()),
        TokenTree::Literal(_) => false,
    })
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

fn has_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl syn::visit::Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    syn::visit::Visit::visit_type(&mut f, ty);
    f.0
}

impl Cx<'_> {
    /// The binding's identifier, with the span (and so the hygiene) of the user's own.
    fn name_of(&self, b: Id) -> Ident {
        Ident::new(&self.plan.rust_name(b), self.plan.bindings[b].span)
    }

    /// A binding as a pattern binds it: `mut` as the user wrote it, and its name.
    fn bind_pat(&self, b: Id) -> TokenStream {
        let name = self.name_of(b);
        let m = self.plan.bindings[b].mutable.then(|| quote!(mut));
        quote!(#m #name)
    }

    fn arm(&self, s: usize) -> TokenStream {
        self.current.set(s);
        let plan = self.plan;
        let st = &plan.states[s];
        let ident = state_ident(plan, s);
        // Bound in declaration order, so that unwinding out of the arm drops them in reverse.
        let binds = st.saved.iter().map(|&b| {
            let f = &self.fields[b];
            let pat = self.bind_pat(b);
            quote!(#f: #pat)
        });
        let code = self.run(s);
        quote! {
            __CorioFrame::#ident { #(#binds,)* } => { #code }
        }
    }

    /// The code of state `s` followed by the code of the states it falls through to (at most
    /// [`MAX_FOLLOWERS`]): the last statement of a loop body goes round the loop, the end of an
    /// `if` branch goes to the join after it. Each follower's code runs after a labelled block
    /// that the code before it breaks out of with the follower's bindings:
    ///
    /// ```text
    /// Suspend0 { i, n } => {
    ///     let (i, n) = '__corio_to2: { let i = i; let n = n; i += 1; break '__corio_to2 (i, n) };
    ///     '__corio_loop2: loop { if i < n { …; *frame = Suspend0 { i, n }; return Yielded } … }
    /// }
    /// ```
    ///
    /// instead of building the follower's state and going through the dispatcher. Leaving the
    /// block drops what the code before declared (the `let i = i;` move the arm's own bindings
    /// in, so they drop there too), exactly where the dispatcher's `continue` dropped it; the
    /// follower sees only its own bindings, as in its own arm. The optimiser now knows which
    /// variant the resume came from, so yielding at the same point again stores only what
    /// changed, and a state that every way into turned into a `break` needs no arm and no frame
    /// variant. Not for followers whose code holds a closure or an `async` block: a copy here
    /// and one in its own arm would be two types (see `inline_await`).
    fn run(&self, s: usize) -> TokenStream {
        let mut chain = vec![s];
        while chain.len() <= MAX_FOLLOWERS
            && let Some(t) = self.follower(*chain.last().expect("not empty"), &chain)
        {
            chain.push(t);
        }
        // The blocks nest: the first state's code is inside all of them.
        *self.targets.borrow_mut() = chain[1..].iter().rev().copied().collect();
        let rebind = if chain.len() > 1 {
            self.rebind(s)
        } else {
            quote!()
        };
        let mut code = quote!(#rebind);
        code.extend(self.state_code(s));
        for &t in &chain[1..] {
            self.targets.borrow_mut().pop();
            let label = follow_label(t);
            let pat = self.plan.states[t].saved.iter().map(|&b| self.bind_pat(b));
            self.current.set(t);
            let next = self.state_code(t);
            code = quote! {
                #[allow(unreachable_code)]
                let (#(#pat,)*) = #label: { #code };
                #next
            };
        }
        self.current.set(s);
        code
    }

    /// The loop head or join `s`'s code falls through to, if it can follow `s` in its arm.
    fn follower(&self, s: usize, chain: &[usize]) -> Option<usize> {
        let plan = self.plan;
        let t = tails(&plan.states[s].code)
            .into_iter()
            .find_map(|k| match plan.exits[k].kind {
                ExitKind::Goto(t) => Some(t),
                ExitKind::Return(_) => None,
            })?;
        if !matches!(plan.states[t].kind, Kind::Head | Kind::Join) || chain.contains(&t) {
            return None;
        }
        // Written once to look at it; forget what that built.
        let built = self.built.borrow().clone();
        let targets = self.targets.take();
        let outer = self.current.replace(t);
        let code = self.state_code(t);
        self.current.set(outer);
        *self.targets.borrow_mut() = targets;
        *self.built.borrow_mut() = built;
        (!has_unique_types(code)).then_some(t)
    }

    /// `let x = x;` for the arm's bindings, in their order: moved into the block the state's
    /// code runs in, they drop when it is left, before a follower's code runs.
    fn rebind(&self, s: usize) -> TokenStream {
        self.plan.states[s]
            .saved
            .iter()
            .map(|&b| {
                let pat = self.bind_pat(b);
                let name = self.name_of(b);
                quote!(let #pat = #name;)
            })
            .collect()
    }

    /// A state's code, with its bindings in scope. A loop head runs its body as a Rust loop:
    /// going round again is a `continue`, not a trip through the dispatcher.
    fn state_code(&self, s: usize) -> TokenStream {
        let st = &self.plan.states[s];
        let redeclare = self.redeclare(s);
        if st.kind != Kind::Head {
            let code = self.code(&st.code);
            return quote!(#redeclare #code);
        }
        let label = loop_label(s);
        self.loops.borrow_mut().push(s);
        let code = self.code(&st.code);
        self.loops.borrow_mut().pop();
        quote!(#label: loop { #redeclare #code })
    }

    /// Writes a copy of await state `s`'s code one level deeper.
    fn inline_copy(&self, s: usize, write: impl FnOnce() -> TokenStream) -> TokenStream {
        self.depth.set(self.depth.get() + 1);
        let outer = self.current.replace(s);
        let written = write();
        self.current.set(outer);
        self.depth.set(self.depth.get() - 1);
        written
    }

    /// `let x;` for bindings in scope at the state's entry that its code assigns.
    fn redeclare(&self, s: usize) -> TokenStream {
        let plan = self.plan;
        plan.states[s]
            .redeclare
            .iter()
            .map(|&b| {
                let pat = self.bind_pat(b);
                match &plan.bindings[b].ty {
                    Some(ty) => quote!(let #pat: #ty;),
                    None => quote!(let #pat;),
                }
            })
            .collect()
    }

    /// An `.await` polls its future where it stands; only `Pending` goes through the frame.
    /// When it is ready at once, the code after it (the await state's code) runs inline.
    ///
    /// Not when that code holds a closure or an `async` block: each copy would be a type of
    /// its own, and both must fit the same frame field (the check is on tokens, so `|` in a
    /// pattern or a bit-or also turns inlining off, which costs speed, never correctness).
    ///
    /// Nor when that code assigns a binding the state redeclares (in scope, but dead at the
    /// await, like `c` in `loop { …; c = f().await; }`): the copy's `let c;` would shadow the
    /// enclosing code's `c`, and a `continue` to the loop head would see the old value (async
    /// seed 42 program 338). Its own arm declares it where nothing else can see it.
    fn inline_await(&self, s: usize, assign: Option<TokenStream>) -> Option<TokenStream> {
        if !self.plan.states[s].redeclare.is_empty() {
            return None;
        }
        let fut = self.name_of(self.plan.states[s].awaiting.expect("an await state"));
        let span = self.point_span(s);
        let built = self.built.borrow().clone();
        let st = self.construct(s, &[], &[]);
        let store = quote_spanned!(span=> *__corio_frame = #st;);
        let rest = self.inline_copy(s, || self.code(&self.plan.states[s].code[1..]));
        if has_unique_types(rest.clone()) {
            *self.built.borrow_mut() = built;
            return None;
        }
        Some(quote!({
            #assign
            let __corio_poll = ::core::future::Future::poll(::core::pin::Pin::new(&mut #fut), __corio_cx);
            match __corio_poll {
                ::core::task::Poll::Ready(__corio_value) => {
                    let __corio_ready = __corio_value;
                    ::core::mem::drop(#fut);
                    #rest
                }
                ::core::task::Poll::Pending => {
                    #store
                    return ::corio::__private::Step::some(::core::task::Poll::Pending);
                }
            }
        }))
    }

    /// Where the store of state `s` is spanned: at its suspension point (for rustc's errors),
    /// resolved like our own tokens.
    fn point_span(&self, s: usize) -> Span {
        match self.plan.states[s].kind {
            Kind::Point(k) => Span::call_site().located_at(self.points[k].span),
            _ => Span::call_site(),
        }
    }

    fn code(&self, code: &[Emit]) -> TokenStream {
        code.iter().map(|e| self.emit(e)).collect()
    }

    /// Renames, exit markers and the resume placeholder, applied to a piece of user code.
    fn finish_piece<T>(
        &self,
        scope: &[Id],
        node: &mut T,
        visit: impl Fn(&mut dyn VisitMut, &mut T),
    ) {
        self.finish_inner(scope, &[], node, visit);
    }

    /// [`finish_piece`](Self::finish_piece) for code taken out of a piece (an exit's value):
    /// `inner` are the names the piece declares around it, which hide the bindings outside.
    fn finish_inner<T>(
        &self,
        scope: &[Id],
        inner: &[String],
        node: &mut T,
        visit: impl Fn(&mut dyn VisitMut, &mut T),
    ) {
        let renames = self.plan.renames_in(scope, inner);
        if !renames.is_empty() {
            let mut v = Verbatim::renaming(renames);
            visit(&mut v, node);
        }
        let mut m = Markers { cx: self };
        visit(&mut m, node);
    }

    /// A condition, conjunct by conjunct: what a `let` of a let chain binds is in scope (and
    /// renamed, if it must be) in the conjuncts after it. `next`: the first of `binds` (the
    /// chain's bindings in order) not yet bound.
    fn finish_cond(&self, scope: &mut Vec<Id>, binds: &[Id], next: &mut usize, e: &mut Expr) {
        match e {
            Expr::Binary(b) if matches!(b.op, syn::BinOp::And(_)) => {
                self.finish_cond(scope, binds, next, &mut b.left);
                self.finish_cond(scope, binds, next, &mut b.right);
            }
            Expr::Let(l) => {
                self.finish_piece(scope, &mut *l.expr, |v, e| v.visit_expr_mut(e));
                let mut names = Vec::new();
                pat_names(&l.pat, &mut names);
                let end = (*next + names.len()).min(binds.len());
                let mine = &binds[*next..end];
                *next = end;
                *l.pat = self.pat(&l.pat, mine);
                scope.extend(mine);
            }
            other => self.finish_piece(scope, other, |v, e| v.visit_expr_mut(e)),
        }
    }

    fn pat(&self, pat: &Pat, binds: &[Id]) -> Pat {
        let mut pat = pat.clone();
        let renames: Vec<(String, String)> = binds
            .iter()
            .filter(|b| self.plan.renamed.contains(b))
            .map(|&b| (self.plan.bindings[b].name.clone(), self.plan.rust_name(b)))
            .collect();
        if !renames.is_empty() {
            rename_pat(&mut pat, &|n| {
                renames.iter().find(|(f, _)| f == n).map(|(_, t)| t.clone())
            });
        }
        pat
    }

    fn emit(&self, e: &Emit) -> TokenStream {
        match e {
            Emit::Stmt { stmt, piece, .. } => {
                let mut stmt = stmt.clone();
                self.finish_piece(&piece.scope, &mut stmt, |v, s| v.visit_stmt_mut(s));
                quote!(#stmt)
            }
            Emit::Let {
                local,
                piece,
                binds,
            } => {
                let mut local = local.clone();
                if let Some(init) = &mut local.init {
                    self.finish_piece(&piece.scope, &mut *init.expr, |v, e| v.visit_expr_mut(e));
                    if let Some((_, d)) = &mut init.diverge {
                        self.finish_piece(&piece.scope, &mut **d, |v, e| v.visit_expr_mut(e));
                    }
                }
                local.pat = self.pat(&local.pat, binds);
                quote!(#local)
            }
            Emit::If {
                cond,
                piece,
                binds,
                then,
                els,
            } => {
                let mut cond = cond.clone();
                let mut scope = piece.scope.clone();
                self.finish_cond(&mut scope, binds, &mut 0, &mut cond);
                let then = self.code(then);
                let els = self.code(els);
                quote!(if #cond { #then } else { #els })
            }
            Emit::Match {
                scrutinee,
                piece,
                arms,
            } => {
                let mut scrutinee = scrutinee.clone();
                self.finish_piece(&piece.scope, &mut scrutinee, |v, e| v.visit_expr_mut(e));
                let arms = arms.iter().map(|arm| {
                    let pat = self.pat(&arm.pat, &arm.binds);
                    let guard = arm.guard.as_ref().map(|g| {
                        let mut g = g.clone();
                        self.finish_piece(&arm.piece.scope, &mut g, |v, e| v.visit_expr_mut(e));
                        quote!(if #g)
                    });
                    let body = self.code(&arm.body);
                    let attrs = &arm.attrs;
                    quote!(#(#attrs)* #pat #guard => { #body })
                });
                quote!(match #scrutinee { #(#arms)* })
            }
            Emit::Block(inner) => {
                let inner = self.code(inner);
                quote!({ #inner })
            }
            Emit::Exit(k) => self.exit(*k),
            Emit::Poll { fut, state, .. } => {
                let f = self.name_of(*fut);
                let span = self.point_span(*state);
                let st = self.construct(*state, &[], &[]);
                let store = quote_spanned!(span=> *__corio_frame = #st;);
                // Resumed here, the future was polled in place before the state was taken out
                // (see `poll_in_place`); entered from the dispatcher, it is polled now.
                let poll = quote! {
                    match ::core::future::Future::poll(::core::pin::Pin::new(&mut #f), __corio_cx) {
                        ::core::task::Poll::Ready(__corio_value) => __corio_value,
                        ::core::task::Poll::Pending => {
                            #store
                            return ::corio::__private::Step::some(::core::task::Poll::Pending);
                        }
                    }
                };
                let ready = match self.plan.states[*state].kind {
                    Kind::Point(k) => {
                        let early = early_ident(k);
                        quote! {
                            match #early.take() {
                                ::core::option::Option::Some(__corio_value) => __corio_value,
                                ::core::option::Option::None => #poll,
                            }
                        }
                    }
                    _ => poll,
                };
                quote! {
                    let __corio_ready = #ready;
                    ::core::mem::drop(#f);
                }
            }
            Emit::Yield { value, piece, next } => {
                let mut value = value.clone();
                self.finish_piece(&piece.scope, &mut value, |v, e| v.visit_expr_mut(e));
                let y = self.shape.yield_ty;
                let state = self.construct(*next, &piece.scope, &[]);
                // Spanned at the point, so that rustc's borrow errors name the `yield_!`.
                let span = self.point_span(*next);
                let store = quote_spanned!(span=> *__corio_frame = #state;);
                let yielded = match self.shape.flavor {
                    Flavor::Generator => {
                        quote!(return ::corio::__private::Step::some(::corio::__private::CoroutineState::Yielded(__corio_y));)
                    }
                    _ => {
                        quote!(return ::corio::__private::Step::some(::core::task::Poll::Ready(::core::option::Option::Some(__corio_y)));)
                    }
                };
                quote! {
                    let __corio_y: #y = #value;
                    #store
                    #yielded
                }
            }
        }
    }

    fn construct(&self, s: usize, _scope: &[Id], _inner: &[String]) -> TokenStream {
        self.built.borrow_mut().insert(s);
        let ident = state_ident(self.plan, s);
        let fields = self.plan.states[s].saved.iter().rev().map(|&b| {
            let f = &self.fields[b];
            let name = self.name_of(b);
            quote!(#f: #name)
        });
        quote!(__CorioFrame::#ident { #(#fields,)* })
    }

    fn exit(&self, k: usize) -> TokenStream {
        let exit = &self.plan.exits[k];
        let assign = exit.assign.as_ref().map(|(t, v)| {
            let mut v = v.clone();
            self.finish_inner(&exit.scope, &exit.inner, &mut v, |vis, e| {
                vis.visit_expr_mut(e)
            });
            // A construct with a `break` value assigns a value temporary with a type anchor,
            // or the `bool` temporary of `a || loop { … break true; }`.
            let anchored = self.shape.anchors.contains(&crate::normalize::anchor(t));
            let set = crate::normalize::set_value(t, &v, anchored);
            quote!(#set)
        });
        match &exit.kind {
            ExitKind::Goto(s) if self.loops.borrow().contains(s) => {
                let label = loop_label(*s);
                quote!({ #assign continue #label; })
            }
            ExitKind::Goto(s) if self.targets.borrow().contains(s) => {
                let label = follow_label(*s);
                let values = self.plan.states[*s].saved.iter().map(|&b| self.name_of(b));
                quote!({ #assign break #label (#(#values,)*); })
            }
            ExitKind::Goto(s)
                if self.plan.states[*s].awaiting.is_some()
                    && self.depth.get() < MAX_INLINE_DEPTH
                    && let Some(inline) = self.inline_await(*s, assign.clone()) =>
            {
                inline
            }
            ExitKind::Goto(s) => {
                let state = self.construct(*s, &exit.scope, &exit.inner);
                quote!({ #assign __corio_state = #state; continue '__corio_dispatch; })
            }
            ExitKind::Return(value) => {
                let value = match value {
                    Some(v) => {
                        let mut v = v.clone();
                        self.finish_inner(&exit.scope, &exit.inner, &mut v, |vis, e| {
                            vis.visit_expr_mut(e)
                        });
                        quote!(#v)
                    }
                    None => quote!(()),
                };
                let complete = match self.shape.flavor {
                    Flavor::Generator => {
                        quote!(return ::corio::__private::Step::some(::corio::__private::CoroutineState::Complete(__corio_ret));)
                    }
                    Flavor::AsyncFn => {
                        quote!(return ::corio::__private::Step::some(::core::task::Poll::Ready(__corio_ret));)
                    }
                    Flavor::AsyncGen => {
                        quote!(return ::corio::__private::Step::some(::core::task::Poll::Ready(::core::option::Option::None));)
                    }
                };
                let ty = match self.shape.ret_ty {
                    Some(ty) if !has_impl_trait(ty) => quote!(: #ty),
                    Some(_) => quote!(),
                    None => quote!(: ()),
                };
                // `-> impl Fn(&u32) -> u32`: the returned closure gets its signature from the
                // bound, as in the plain fn (else it is not inferred higher-ranked).
                let value = match &self.shape.expect {
                    Some(expect) => quote!({ #expect __corio_expect(#value) }),
                    None => value,
                };
                quote!({
                    #assign
                    let __corio_ret #ty = #value;
                    *__corio_frame = __CorioFrame::Done(::core::option::Option::None);
                    #complete
                })
            }
        }
    }
}

/// Replaces `__corio_exit!(k)` with its transition and `__corio_resume!()` with the argument.
struct Markers<'a, 'b> {
    cx: &'a Cx<'b>,
}

impl VisitMut for Markers<'_, '_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Macro(m) = e {
            if m.mac.path.is_ident("__corio_exit") {
                let k: syn::LitInt = m.mac.parse_body().expect("exit marker");
                let tokens = self.cx.exit(k.base10_parse().expect("exit number"));
                *e = Expr::Verbatim(tokens);
                return;
            }
            if m.mac.path.is_ident("__corio_resume") {
                let at_await = match self.cx.plan.states[self.cx.current.get()].kind {
                    Kind::Point(k) => self.cx.points[k].is_await,
                    _ => false,
                };
                let tokens = if at_await {
                    quote!(__corio_ready)
                } else if is_unit(self.cx.shape.resume_ty) {
                    quote!(())
                } else {
                    quote_spanned!(Span::call_site()=> match __corio_arg.take() {
                        ::core::option::Option::Some(arg) => arg,
                        ::core::option::Option::None => ::core::unreachable!(),
                    })
                };
                *e = Expr::Verbatim(tokens);
                return;
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }

    fn visit_stmt_mut(&mut self, s: &mut syn::Stmt) {
        if let syn::Stmt::Macro(m) = s
            && m.mac.path.is_ident("__corio_exit")
        {
            let k: syn::LitInt = m.mac.parse_body().expect("exit marker");
            let tokens = self.cx.exit(k.base10_parse().expect("exit number"));
            *s = syn::Stmt::Expr(Expr::Verbatim(tokens), None);
            return;
        }
        syn::visit_mut::visit_stmt_mut(self, s);
    }

    /// Exit markers inside an expression-like macro's arguments (`vec![f()?]`).
    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        if mentions(
            &m.tokens,
            &|t| matches!(t, TokenTree::Ident(i) if i == "__corio_exit"),
        ) {
            visit_macro_args(m, |e| self.visit_expr_mut(e));
        }
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
