static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql-exact/pg-missing-semicolon", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
