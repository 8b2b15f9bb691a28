//! `#[migrate_runtime::test(MIGRATOR)]`: an async test that receives a pool
//! on a database of its own, at head or at the revision `at = "…"` names.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, FnArg, ItemFn, Lit, LitStr, Meta, Path, Token};

/// The attribute's arguments: the migrator's path, then options.
pub struct Args {
    migrator: Option<Path>,
    at: Option<LitStr>,
    server: Option<Expr>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Args> {
        let mut args = Args {
            migrator: None,
            at: None,
            server: None,
        };
        let metas = input.parse_terminated(Meta::parse, Token![,])?;
        for meta in metas {
            match meta {
                Meta::Path(path) if args.migrator.is_none() => args.migrator = Some(path),
                Meta::NameValue(nv) if nv.path.is_ident("at") => match nv.value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => args.at = Some(s),
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "`at` takes a string: the revision the test's database is at, e.g. `at = \"ae1027a6acf\"`",
                        ));
                    }
                },
                Meta::NameValue(nv) if nv.path.is_ident("server") => args.server = Some(nv.value),
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        "unknown argument; write `#[migrate_runtime::test(MIGRATOR)]`, with `at = \"REVISION\"` for a database at that revision and `server = EXPR` for a PostgreSQL server's URL",
                    ));
                }
            }
        }
        Ok(args)
    }
}

/// The test function, run by `migrate_runtime::test_db::__run_test`.
pub fn expand(args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    let Some(migrator) = args.migrator else {
        return Err(syn::Error::new(
            item.sig.ident.span(),
            "name the migrator the test's database is made with: `#[migrate_runtime::test(MIGRATOR)]`, where `static MIGRATOR: Migrator = embed_migrations!(…)`",
        ));
    };
    if item.sig.asyncness.is_none() {
        return Err(syn::Error::new(
            item.sig.fn_token.span(),
            "`#[migrate_runtime::test]` takes an `async fn`",
        ));
    }
    let pool_type = match item.sig.inputs.iter().collect::<Vec<_>>()[..] {
        [FnArg::Typed(arg)] => arg.ty.clone(),
        _ => {
            let at = if item.sig.inputs.is_empty() {
                item.sig.ident.span()
            } else {
                item.sig.inputs.span()
            };
            return Err(syn::Error::new(
                at,
                "the test takes one argument, its pool: `pool: sqlx::PgPool` or `pool: sqlx::SqlitePool`",
            ));
        }
    };
    let target = args.at.map_or_else(|| "head".to_owned(), |s| s.value());
    let server = match args.server {
        Some(expr) => quote! { ::core::option::Option::Some(::std::string::String::from(#expr)) },
        None => quote! { ::core::option::Option::None },
    };
    let name = &item.sig.ident;
    let attrs = &item.attrs;
    let vis = &item.vis;
    let mut inner = item.clone();
    inner.attrs.clear();
    inner.vis = syn::Visibility::Inherited;
    inner.sig.ident = syn::Ident::new("__migrate_test_body", name.span());
    let inner_tokens = inner.to_token_stream();
    Ok(quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #vis fn #name() {
            #inner_tokens
            ::migrate_runtime::test_db::__run_test::<#pool_type, _, _>(
                &#migrator,
                #target,
                #server,
                __migrate_test_body,
            )
        }
    })
}
