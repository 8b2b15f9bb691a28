fn main() {
    migrate_runtime::build::watch("../migrations");
    migrate_runtime::build::watch("db/definitions_fixture");
    migrate_runtime::build::watch("rust_revisions/migrations");
    migrate_runtime::build::watch("rust_revisions/outside");
    migrate_runtime::build::watch("rust_revisions/branches");
    migrate_runtime::build::watch("reliability/idle_migrations");
    for dir in ["squash/before", "squash/after", "squash/pruned"] {
        migrate_runtime::build::watch(dir);
    }
}
