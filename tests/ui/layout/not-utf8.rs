static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/layout/not-utf8");

fn main() {
    let _ = &MIGRATOR;
}
