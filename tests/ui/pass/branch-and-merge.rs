static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/branch-and-merge");

fn main() {
    let _ = &MIGRATOR;
}
