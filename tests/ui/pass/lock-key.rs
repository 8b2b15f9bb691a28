// `lock_key` in the migrate.toml beside the migration directory is embedded.
static MIGRATOR: migrate_runtime::Migrator =
    migrate_runtime::embed_migrations!("ui/pass/lock-key/migrations");

fn main() {
    assert_eq!(MIGRATOR.lock_key(), -4242);
}
