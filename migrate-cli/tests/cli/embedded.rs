//! `run_embedded`: an application's own binary migrating with its table.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use migrate_cli::{EmbeddedCommand, run_embedded};
use migrate_runtime::{DatabaseUrl, Migrator};

use crate::common::Project;

#[derive(Parser)]
struct App {
    #[command(subcommand)]
    command: AppCommand,
}

#[derive(Subcommand)]
enum AppCommand {
    Serve,
    #[command(subcommand)]
    Migrate(EmbeddedCommand),
}

fn parse(args: &[&str]) -> EmbeddedCommand {
    let mut all = vec!["myapp", "migrate"];
    all.extend_from_slice(args);
    match App::try_parse_from(all) {
        Ok(App {
            command: AppCommand::Migrate(command),
        }) => command,
        Ok(App {
            command: AppCommand::Serve,
        }) => panic!("parsed as serve"),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_mounts_the_database_subcommands() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "u"],
        "CREATE TABLE u (id INTEGER);",
        Some("DROP TABLE u;"),
    );
    // What embed_migrations! builds at compile time, here from the files.
    let migrator = Migrator::from_directory(&p.migrations(), "migrations", &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let db = migrate_tests::fresh_sqlite_db();
    let url = DatabaseUrl::new(db.url.clone());

    assert_eq!(
        run_embedded(&migrator, parse(&["check"]), &url).await,
        ExitCode::from(1)
    );
    assert_eq!(
        run_embedded(&migrator, parse(&["upgrade", "head"]), &url).await,
        ExitCode::SUCCESS
    );
    let pool = db.pool().await;
    assert_eq!(migrator.current(&pool).await.unwrap(), [b.as_str()]);
    assert_eq!(
        run_embedded(&migrator, parse(&["check"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_embedded(&migrator, parse(&["current", "--check-heads"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_embedded(&migrator, parse(&["history", "-i"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_embedded(&migrator, parse(&["downgrade", "-1"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(migrator.current(&pool).await.unwrap(), [a.as_str()]);
    assert_eq!(
        run_embedded(&migrator, parse(&["current", "--check-heads"]), &url).await,
        ExitCode::from(1)
    );
    assert_eq!(
        run_embedded(&migrator, parse(&["stamp", "head"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(migrator.current(&pool).await.unwrap(), [b.as_str()]);
    assert_eq!(
        run_embedded(&migrator, parse(&["upgrade", "head", "--sql"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_embedded(&migrator, parse(&["upgrade", "a@b"]), &url).await,
        ExitCode::from(2)
    );
    assert_eq!(
        run_embedded(
            &migrator,
            parse(&["current"]),
            &DatabaseUrl::new("mysql://h/db")
        )
        .await,
        ExitCode::from(2)
    );
    pool.close().await;
}

/// The mounted `current` and `check` fail on a revision an earlier run left
/// part-way, as `migrate`'s do (tests/cli/interrupted.rs has the output).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounted_current_and_check_fail_on_an_interrupted_revision() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "u"],
        "CREATE TABLE u (id INTEGER);\nINSERT INTO nowhere VALUES (1);",
        Some("DROP TABLE u;"),
    );
    p.make_non_transactional(&b);
    let migrator = Migrator::from_directory(&p.migrations(), "migrations", &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let db = migrate_tests::fresh_sqlite_db();
    let url = DatabaseUrl::new(db.url.clone());
    let run = |args: &'static [&'static str]| run_embedded(&migrator, parse(args), &url);

    assert_eq!(run(&["upgrade", "head"]).await, ExitCode::from(1));
    let pool = db.pool().await;
    assert_eq!(migrator.current(&pool).await.unwrap(), [a.as_str()]);
    assert_eq!(run(&["current"]).await, ExitCode::from(1));
    assert_eq!(run(&["check"]).await, ExitCode::from(1));
    assert_eq!(
        run_embedded(&migrator, parse(&["stamp", &b]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(run(&["current"]).await, ExitCode::SUCCESS);
    assert_eq!(run(&["check"]).await, ExitCode::SUCCESS);
    pool.close().await;
}

/// An application rolled back to a build without its newest revision
/// reverts it through its own subcommand, from the history; a revision
/// left part-way is resumed through it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounted_downgrade_from_history_and_resume() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "u"],
        "CREATE TABLE u (id INTEGER);",
        Some("DROP TABLE u;"),
    );
    let newer = Migrator::from_directory(&p.migrations(), "migrations", &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let db = migrate_tests::fresh_sqlite_db();
    let url = DatabaseUrl::new(db.url.clone());
    assert_eq!(
        run_embedded(&newer, parse(&["upgrade", "head"]), &url).await,
        ExitCode::SUCCESS
    );
    std::fs::remove_file(p.file_of(&b)).unwrap();
    let older = Migrator::from_directory(&p.migrations(), "migrations", &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        run_embedded(&older, parse(&["upgrade", "head"]), &url).await,
        ExitCode::from(1)
    );
    assert_eq!(
        run_embedded(&older, parse(&["downgrade", "--from-history"]), &url).await,
        ExitCode::SUCCESS
    );
    let pool = db.pool().await;
    assert_eq!(older.current(&pool).await.unwrap(), [a.as_str()]);

    // A non-transactional revision that fails part-way, then resumed.
    let c = p.revision(
        &["-m", "v"],
        "CREATE TABLE v (id INTEGER);\nINSERT INTO later VALUES (1);",
        Some("DROP TABLE v;"),
    );
    p.make_non_transactional(&c);
    let next = Migrator::from_directory(&p.migrations(), "migrations", &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        run_embedded(&next, parse(&["upgrade", "head"]), &url).await,
        ExitCode::from(1)
    );
    sqlx::raw_sql("CREATE TABLE later (id INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        run_embedded(&next, parse(&["upgrade", "head", "--resume"]), &url).await,
        ExitCode::SUCCESS
    );
    assert_eq!(next.current(&pool).await.unwrap(), [c.as_str()]);
    pool.close().await;
}

/// The mounted subcommands take the fleet options too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mounted_upgrade_over_a_fleet() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    let migrator = Migrator::from_directory(&p.migrations(), "migrations", &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let urls: Vec<String> = (1..=3)
        .map(|i| format!("sqlite://{}", p.path().join(format!("f{i}.db")).display()))
        .collect();
    let list = p.path().join("fleet.txt");
    std::fs::write(&list, urls.join("\n")).unwrap();
    let list = list.to_string_lossy().into_owned();
    let url = DatabaseUrl::new(urls[0].clone());
    assert_eq!(
        run_embedded(
            &migrator,
            parse(&["upgrade", "head", "--each-database", &list]),
            &url
        )
        .await,
        ExitCode::SUCCESS
    );
    for u in &urls {
        let pool = sqlx::SqlitePool::connect(u).await.unwrap();
        assert_eq!(migrator.current(&pool).await.unwrap(), [a.as_str()]);
        pool.close().await;
    }
    assert_eq!(
        run_embedded(
            &migrator,
            parse(&["upgrade", "head", "--each-database", &list, "--sql"]),
            &url
        )
        .await,
        ExitCode::from(2)
    );
}
