//! How a state's arm is laid out: its code, then the code of the loop heads and joins it
//! falls through to (followers), and `.await`s whose ready value runs inline.
//!
//! Input: a state of the analysed [`Plan`]. Output: the tokens of its arm. For now the
//! decisions (which followers, which awaits run inline) are made here by writing code and
//! inspecting it (`has_unique_types`), rolling back what that wrote; see issue 20's layout
//! step for where they are going.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

use super::{Cx, state_ident};
use crate::plan::{Emit, ExitKind, Kind};

/// How deep inline copies of await states nest (each level multiplies the copied code by the
/// number of ways out of a segment, so this bounds the expansion's size).
pub(super) const MAX_INLINE_DEPTH: u32 = 2;

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
pub(super) fn follow_label(s: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__corio_to{s}"), Span::call_site())
}

/// The label of the Rust `loop` a loop head's code runs in.
pub(super) fn loop_label(s: usize) -> syn::Lifetime {
    syn::Lifetime::new(&format!("'__corio_loop{s}"), Span::call_site())
}

/// Could these tokens contain a closure or an `async` block (each of which has a unique type)?
/// A macro other than these may expand to one (`corio::join!` writes an `async` block).
pub(super) fn has_unique_types(tokens: TokenStream) -> bool {
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

impl Cx<'_> {
    pub(super) fn arm(&self, s: usize) -> TokenStream {
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
    pub(super) fn run(&self, s: usize) -> TokenStream {
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
    pub(super) fn follower(&self, s: usize, chain: &[usize]) -> Option<usize> {
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
    pub(super) fn rebind(&self, s: usize) -> TokenStream {
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
    pub(super) fn state_code(&self, s: usize) -> TokenStream {
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
    pub(super) fn inline_copy(&self, s: usize, write: impl FnOnce() -> TokenStream) -> TokenStream {
        self.depth.set(self.depth.get() + 1);
        let outer = self.current.replace(s);
        let written = write();
        self.current.set(outer);
        self.depth.set(self.depth.get() - 1);
        written
    }

    /// `let x;` for bindings in scope at the state's entry that its code assigns.
    pub(super) fn redeclare(&self, s: usize) -> TokenStream {
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
    pub(super) fn inline_await(
        &self,
        s: usize,
        assign: Option<TokenStream>,
    ) -> Option<TokenStream> {
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
}
