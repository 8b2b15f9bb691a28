static MIGRATOR: migrate_runtime::Migrator =
    migrate_runtime::embed_migrations!("../migrations", require_build_script = false);

#[migrate_runtime::test(MIGRATOR, at = 5)]
async fn at_a_number(pool: sqlx::PgPool) {
    let _ = pool;
}

#[migrate_runtime::test(MIGRATOR, revision = "ae1027a6acf")]
async fn unknown_option(pool: sqlx::PgPool) {
    let _ = pool;
}

fn main() {}
