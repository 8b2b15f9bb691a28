static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/no-op-downgrade");

fn main() {
    let _ = &MIGRATOR;
}
