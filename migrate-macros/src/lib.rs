//! The `embed_migrations!` macro: reads a migration directory at compile
//! time, validates it with `migrate_core` (the same code the runtime uses),
//! and expands to a static revision table. Use it through `migrate_runtime`,
//! which re-exports it; see that crate for the full documentation.
//!
//! It owns the macro's options, its validation cache and the tokens it
//! writes. It must not validate anything itself: every rule about a
//! directory is `migrate_core`'s, and every rule about what the chain does
//! to the database is `migrate_schema::fold`'s, so a directory the macro
//! accepts is one the CLI and the runtime accept too.
#![deny(missing_docs)]

mod cache;
mod expand;
mod fold;
mod parse;
mod test_attr;
mod timing;

use proc_macro::TokenStream;
use syn::parse_macro_input;

/// An async test that receives a pool on a database of its own, made from
/// a template migrated once (see `migrate_runtime::test_db`).
///
/// ```text
/// #[migrate_runtime::test(MIGRATOR)]
/// async fn orders_start_empty(pool: sqlx::PgPool) { … }
///
/// #[migrate_runtime::test(MIGRATOR, at = "ae1027a6acf")]
/// async fn backfill(pool: sqlx::SqlitePool) -> Result<(), sqlx::Error> { … }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = parse_macro_input!(args as test_attr::Args);
    let item = parse_macro_input!(item as syn::ItemFn);
    test_attr::expand(args, item)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Embeds and validates a migration directory; expands to a `migrate_runtime::Migrator`.
///
/// ```text
/// static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("migrations");
/// ```
///
/// Options: `dialect = "postgres" | "sqlite" | "any" | "none"`,
/// `version_table = "name"`, `max_file_size = "16 MiB"` (or a number of
/// bytes; default from `migrate.toml`), `require_build_script = false`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let mut timing = timing::Timing::start();
    let input = parse_macro_input!(input as parse::MacroInput);
    let output = match expand::embed(input, &mut timing) {
        Ok(code) => {
            // The compiler's own lexer, directly: `proc_macro2`'s `FromStr`
            // would first lex the whole table again in this unoptimised crate.
            let emitting = std::time::Instant::now();
            let tokens = code.parse::<TokenStream>().unwrap_or_else(|e| {
                panic!("embed_migrations! wrote a table the compiler cannot lex: {e}")
            });
            timing.emit = Some(emitting.elapsed());
            tokens
        }
        Err(errors) => expand::errors(errors).into(),
    };
    timing.report();
    output
}
