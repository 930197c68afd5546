//! Recursion: `Box::pin(<this fn>(..)).await` in an `async fn` coroutine. The frame would hold
//! `Pin<Box<its own type>>`, which rustc rejects (E0720 "cannot resolve opaque type"); the
//! box is erased to a trait object (`corio::__private::Recursive`: a `dyn Future + Inspect`
//! for a coroutine, so a task dump still sees into the call). rustc's own `async fn` accepts
//! exactly this shape, and its E0733 tells users to write it.

use proc_macro2::Ident;
use quote::quote_spanned;
use syn::Expr;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

/// Erases the operand of each `Box::pin(<fn name>(..)).await` in `block` (`name(..)`,
/// `Self::name(..)`, or a method `x.name(..)`: a tree's `child.depth()`; a method of that name
/// on another type is erased too, harmlessly).
///
/// ```text
/// Box::pin(walk(n - 1)).await     { (&Recursive::new(Box::pin(walk(n - 1)))).__corio_erase() }.await
/// Box::pin(other(n)).await        (unchanged)
/// ```
pub(crate) fn erase_recursive_awaits(block: &mut syn::Block, name: &Ident) {
    Erase(name).visit_block_mut(block);
}

struct Erase<'a>(&'a Ident);

impl VisitMut for Erase<'_> {
    fn visit_expr_await_mut(&mut self, a: &mut syn::ExprAwait) {
        syn::visit_mut::visit_expr_await_mut(self, a);
        if boxes_a_call_of(&a.base, self.0) {
            let base = &a.base;
            let span = base.span();
            *a.base = syn::parse2(quote_spanned! {span=> {
                use ::corio::__private::{EraseFuture as _, EraseInspect as _};
                (&::corio::__private::Recursive::new(#base)).__corio_erase()
            }})
            .expect("a block");
        }
    }

    // A nested fn is an item of its own.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// `Box::pin(call)` where `call` calls the function `name`.
fn boxes_a_call_of(e: &Expr, name: &Ident) -> bool {
    let Expr::Call(c) = e else {
        return false;
    };
    let is_box_pin = matches!(&*c.func, Expr::Path(p)
        if p.path.segments.len() >= 2
            && p.path.segments.iter().rev().nth(1).is_some_and(|s| s.ident == "Box")
            && p.path.segments.last().is_some_and(|s| s.ident == "pin"));
    if !is_box_pin || c.args.len() != 1 {
        return false;
    }
    match &c.args[0] {
        Expr::Call(inner) => matches!(&*inner.func, Expr::Path(p)
            if p.qself.is_none()
                && p.path.segments.last().is_some_and(|s| s.ident == *name)
                && (p.path.segments.len() == 1
                    || (p.path.segments.len() == 2 && p.path.segments[0].ident == "Self"))),
        Expr::MethodCall(m) => m.method == *name,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;
    use syn::parse_quote;

    fn erased(mut block: syn::Block) -> String {
        erase_recursive_awaits(&mut block, &parse_quote!(walk));
        block.to_token_stream().to_string()
    }

    #[test]
    fn only_a_boxed_call_of_this_fn() {
        let b = erased(parse_quote!({
            let a = Box::pin(walk(n - 1)).await;
            let b = Box::pin(Self::walk(n)).await + Box::pin(__corio_self.walk(n)).await;
            let c = Box::pin(other(n)).await;
            let d = walk(n).await;
            let e = std::boxed::Box::pin(walk(n)).await;
        }));
        assert_eq!(b.matches("Recursive :: new").count(), 4, "{b}");
        assert!(b.contains("Box :: pin (other (n)) . await"), "{b}");
        assert!(b.contains("let d = walk (n) . await"), "{b}");
    }
}
