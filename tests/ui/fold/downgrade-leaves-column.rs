#![deny(deprecated)]

static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold/downgrade-leaves-column", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
