#![deny(deprecated)]

static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/lint/foreign-key-without-not-valid", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
