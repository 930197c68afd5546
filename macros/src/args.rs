//! Stage 1a: the `#[corio::coroutine(yield = T, resume = R, clone)]` arguments.
//!
//! Input: the attribute's tokens. Output: [`Args`], or one spanned error per bad argument
//! (all of them, not only the first). Pure.
//!
//! ```text
//! yield = u32, resume = String      Args { yield_ty: Some(u32), resume_ty: Some(String), clone: false }
//! yield = u32, yield = u8           error: duplicate `yield` argument
//! ```

use syn::parse::{Parse, ParseStream};
use syn::{Token, Type};

const EXPECTED: &str = "expected #[corio::coroutine], #[corio::coroutine(yield = T)], \
                        #[corio::coroutine(yield = T, resume = R)] or the `clone` argument";

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) yield_ty: Option<Type>,
    pub(crate) resume_ty: Option<Type>,
    pub(crate) clone: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        let mut errors = crate::errors::Errors::default();
        while !input.is_empty() {
            let key = if input.peek(Token![yield]) {
                let kw: Token![yield] = input.parse()?;
                syn::Ident::new("yield", kw.span)
            } else {
                input
                    .call(syn::ext::IdentExt::parse_any)
                    .map_err(|e| syn::Error::new(e.span(), EXPECTED))?
            };
            match key.to_string().as_str() {
                "yield" | "resume" => {
                    input.parse::<Token![=]>()?;
                    let ty: Type = input.parse()?;
                    let slot = if key == "yield" {
                        &mut args.yield_ty
                    } else {
                        &mut args.resume_ty
                    };
                    if slot.is_some() {
                        errors.error(&key, format!("duplicate `{key}` argument"));
                    }
                    *slot = Some(ty);
                }
                "clone" => {
                    if args.clone {
                        errors.error(&key, "duplicate `clone` argument");
                    }
                    args.clone = true;
                }
                other => {
                    errors.error(&key, format!("unknown argument `{other}`; {EXPECTED}"));
                    if input.parse::<Option<Token![=]>>()?.is_some() {
                        // Skip the value so that later arguments are still checked.
                        while !input.is_empty() && !input.peek(Token![,]) {
                            input.parse::<proc_macro2::TokenTree>()?;
                        }
                    }
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if let (None, Some(resume)) = (&args.yield_ty, &args.resume_ty) {
            errors.error(
                resume,
                "`resume = ...` needs `yield = ...`: only generators take resume arguments",
            );
        }
        errors.propagate()?;
        Ok(args)
    }
}
