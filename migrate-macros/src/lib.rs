//! The `embed_migrations!` macro: reads a migration directory at compile
//! time, validates it with `migrate_core` (the same code the runtime uses),
//! and expands to a static revision table. Use it through `migrate_runtime`,
//! which re-exports it; see that crate for the full documentation.
#![deny(missing_docs)]

mod expand;
mod parse;
mod timing;

use proc_macro::TokenStream;
use syn::parse_macro_input;

/// Embeds and validates a migration directory; expands to a `migrate_runtime::Migrator`.
///
/// ```text
/// static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("migrations");
/// ```
///
/// Options: `dialect = "postgres" | "sqlite" | "any" | "none"`,
/// `version_table = "name"`, `require_build_script = false`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let mut timing = timing::Timing::start();
    let input = parse_macro_input!(input as parse::MacroInput);
    let output = expand::embed(input, &mut timing)
        .unwrap_or_else(expand::errors)
        .into();
    timing.report();
    output
}
