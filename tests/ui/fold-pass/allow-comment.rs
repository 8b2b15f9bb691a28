static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold-pass/allow-comment", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
