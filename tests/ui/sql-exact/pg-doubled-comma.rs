static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql-exact/pg-doubled-comma", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
