static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/duplicate-revision");

fn main() {
    let _ = &MIGRATOR;
}
