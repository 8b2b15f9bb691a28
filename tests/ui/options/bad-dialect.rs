static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/options/bad-dialect", dialect = "mysql");

fn main() {
    let _ = &MIGRATOR;
}
