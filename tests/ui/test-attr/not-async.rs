static MIGRATOR: migrate_runtime::Migrator =
    migrate_runtime::embed_migrations!("../migrations", require_build_script = false);

#[migrate_runtime::test(MIGRATOR)]
fn orders_start_empty(pool: sqlx::PgPool) {
    let _ = pool;
}

fn main() {}
