//! Schema introspection and comparison on real PostgreSQL and SQLite databases.

mod compare;
mod fold_findings;
mod fold_sqlite;
mod introspect_many;
mod introspect_pg;
mod introspect_sqlite;
