//! `#[corio::main]`: runs an `async fn main` on corio's loop, like `#[tokio::main]`.
//!
//! Input:
//!
//! ```text
//! #[corio::main(debug)] async fn main() -> io::Result<()> { body }
//! ```
//!
//! Output:
//!
//! ```text
//! fn main() -> io::Result<()> {
//!     ::corio::Runtime::builder().debug(true).build().run(async move { body })
//! }
//! ```

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::errors::Errors;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let err = syn::Error::new(
                proc_macro2::Span::call_site(),
                "#[corio::main] can only be applied to `async fn main`",
            );
            let mut out = err.to_compile_error();
            out.extend(input);
            return out;
        }
    };
    let mut errors = Errors::default();
    let mut debug = false;
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("debug") {
            debug = true;
            Ok(())
        } else {
            Err(meta.error("unknown argument; expected #[corio::main] or #[corio::main(debug)]"))
        }
    });
    if let Err(e) = syn::parse::Parser::parse2(parser, args) {
        errors.push(e);
    }
    if item.sig.asyncness.is_none() {
        errors.error(
            item.sig.fn_token,
            "#[corio::main] needs an `async fn`: write `async fn main()`",
        );
    }
    if !item.sig.inputs.is_empty() {
        errors.error(&item.sig.inputs, "`main` takes no arguments");
    }
    let mut sig = item.sig.clone();
    sig.asyncness = None;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let body = &item.block;
    if let Err(err) = errors.propagate() {
        let errors = err.to_compile_error();
        return quote! { #(#attrs)* #vis #sig { #errors ::core::unreachable!() } };
    }
    let runtime = if debug {
        quote!(::corio::Runtime::builder().debug(true).build())
    } else {
        quote!(::corio::Runtime::new())
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #runtime.run(async move #body)
        }
    }
}
