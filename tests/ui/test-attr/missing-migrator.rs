#[migrate_runtime::test]
async fn orders_start_empty(pool: sqlx::PgPool) {
    let _ = pool;
}

fn main() {}
