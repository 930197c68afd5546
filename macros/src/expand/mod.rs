//! Stage 7: the printer, the only stage that writes the state machine's tokens. It turns an
//! analysed [`Plan`] and its [`Layout`] into the frame enum, the step and describe closures,
//! and the function that returns the wrapper. It decides nothing: which arms, variants,
//! followers, inline awaits and routes exist is the layout's; it keeps no state while it
//! writes.
//!
//! Input:
//!
//! ```text
//! #[corio::coroutine(yield = u32)]
//! fn count(n: u32) { let mut i = 0; while i < n { yield_!(i); i += 1; } }
//! ```
//!
//! Output (abridged; `Loop2` is the `while` loop's head, `Join1` the code after it, both run
//! as followers, see `layout::Layouter::arm`):
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

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use crate::ir::Point;
use crate::layout::Layout;
use crate::plan::{Id, Kind, Plan};
use crate::shape::{Flavor, Shape, is_unit};

mod arm;
mod code;
mod function;

pub(crate) use function::{fallback, function};

/// The printer: reads the plan and the layout, decides nothing, and has no state of its
/// own.
struct Printer<'a> {
    plan: &'a Plan,
    points: &'a [Point],
    shape: &'a Shape<'a>,
    layout: &'a Layout,
}

fn state_ident(plan: &Plan, s: usize) -> Ident {
    match plan.states[s].kind {
        Kind::Start => format_ident!("Start"),
        Kind::Point(k) => format_ident!("Suspend{}", k),
        Kind::Join => format_ident!("Join{}", s),
        Kind::Head => format_ident!("Loop{}", s),
    }
}

/// The value an await at point `k` gave when polled in place (see `poll_in_place`).
fn early_ident(k: usize) -> Ident {
    format_ident!("__corio_early{}", k)
}

fn point_static(k: usize) -> Ident {
    format_ident!("__CORIO_POINT_{}", k)
}

pub(crate) fn generator(
    plan: &Plan,
    layout: &Layout,
    points: &[Point],
    shape: &Shape<'_>,
) -> TokenStream {
    let cx = Printer {
        plan,
        points,
        shape,
        layout,
    };
    let generics: Vec<Ident> = layout
        .kept
        .iter()
        .map(|&b| format_ident!("T_{}", layout.fields[b]))
        .collect();
    let generic_of = |b: Id| format_ident!("T_{}", layout.fields[b]);

    let rest_states = layout
        .variants
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
    let awaits = &layout.awaits;
    let early_lets = awaits.iter().map(|&(_, k, _)| {
        let early = early_ident(k);
        quote!(let mut #early = ::core::option::Option::None;)
    });
    let early_arms = awaits.iter().map(|&(s, k, fut)| {
        let early = early_ident(k);
        let ident = state_ident(plan, s);
        let f = &layout.fields[fut];
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
    // Never reached (see `rest_check` above); not a panic, which would bring an unwind path
    // into every resume.
    let closed = quote! {
        __CorioFrame::Running | __CorioFrame::Done(_) => {
            *__corio_frame = __corio_state;
            return ::corio::__private::Step(::core::option::Option::None);
        }
    };
    let dispatch = if layout.shared {
        cx.shared(&layout.arms, closed)
    } else {
        let arms = layout.arms.iter().map(|arm| cx.arm(arm));
        quote! {
            match __corio_state {
                #(#arms)*
                #closed
            }
        }
    };
    let anchors = &layout.anchors;
    let anchors = quote!(#(let #anchors = ::core::marker::PhantomData;)*);
    let variants = layout.variants.iter().map(|&s| {
        let ident = state_ident(plan, s);
        let fields = plan.states[s].saved.iter().rev().map(|&b| {
            let f = &layout.fields[b];
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
        let f = &layout.fields[b];
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

    let describe_arms = layout
        .arms
        .iter()
        .map(|a| a.chain[0].state)
        .filter_map(|s| {
            // `Start` shows the arguments it holds, as Python's frame of a created generator
            // shows its arguments (F-probe-1).
            let k = match plan.states[s].kind {
                Kind::Point(k) => Some(k),
                Kind::Start => None,
                _ => return None,
            };
            let ident = state_ident(plan, s);
            let mut saved = plan.states[s].saved.clone();
            saved.sort_unstable();
            let binds = saved
                .iter()
                .filter(|&&b| !plan.bindings[b].hidden())
                .map(|&b| {
                    let f = &layout.fields[b];
                    let v = format_ident!("__corio_v_{}", f);
                    quote!(#f: #v)
                });
            let outs = saved.iter().filter(|&&b| !plan.bindings[b].hidden()).map(|&b| {
            let f = &layout.fields[b];
            let v = format_ident!("__corio_v_{}", f);
            let display = &plan.bindings[b].display;
            quote!(__corio_out(#display, (&&::corio::__private::Probe(#v)).__corio_debug());)
        });
            let Some(k) = k else {
                return Some(quote! {
                    __CorioFrame::#ident { #(#binds,)* .. } => {
                        #(#outs)*
                        ::corio::__private::Described::NONE
                    }
                });
            };
            let point = point_static(k);
            let (fut_bind, described) = match plan.states[s].awaiting {
                Some(fut) => {
                    let f = &layout.fields[fut];
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
    // A method's name has its `Self` type, which only the body (not the frame, an item nested
    // in it) can name: the describe closure computes it (F-probe-8, docs/decisions.md).
    let describe = quote! {
        match __corio_frame {
            #(#describe_arms)*
            _ => ::corio::__private::Described::NONE,
        }
    };
    let (method_const, describe) = if shape.method {
        (
            quote!(
                const METHOD: bool = true;
            ),
            quote! {
                let mut __corio_described = #describe;
                __corio_described.name = ::core::option::Option::Some(
                    ::corio::__private::method_name::<Self>(#name),
                );
                __corio_described
            },
        )
    } else {
        (quote!(), describe)
    };
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
            #method_const
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
                    #dispatch
                }
            },
            #[allow(unused_imports, unused_variables, clippy::all)]
            |__corio_frame, __corio_out| {
                use ::corio::__private::{NoInspect as _, RenderDebug as _, RenderName as _, ViaInspect as _};
                #describe
            },
        )
    }
}
