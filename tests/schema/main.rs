//! Schema introspection and comparison on real PostgreSQL and SQLite databases.

mod chains;
mod compare;
mod fold_findings;
mod fold_oracle;
mod fold_sqlite;
mod introspect_many;
mod introspect_pg;
mod introspect_sqlite;
