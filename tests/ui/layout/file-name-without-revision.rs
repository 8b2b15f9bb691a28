static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/layout/file-name-without-revision");

fn main() {
    let _ = &MIGRATOR;
}
