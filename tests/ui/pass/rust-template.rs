static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/rust-template");

fn main() {
    assert_eq!(MIGRATOR.revisions().len(), 1);
}
