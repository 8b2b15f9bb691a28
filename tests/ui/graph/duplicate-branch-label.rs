static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/duplicate-branch-label");

fn main() {
    let _ = &MIGRATOR;
}
