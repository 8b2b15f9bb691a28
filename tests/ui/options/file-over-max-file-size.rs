static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/options/file-over-max-file-size", max_file_size = 100);

fn main() {
    let _ = &MIGRATOR;
}
