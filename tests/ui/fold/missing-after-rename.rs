static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold/missing-after-rename", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
