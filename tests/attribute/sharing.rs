//! What the attribute's databases share and what they leave behind: one
//! template for parallel test binaries, a new one for a changed migration
//! set, nothing left by a failing test, a kept database when asked.

use std::process::Command;

use migrate_runtime::Migrator;
use migrate_runtime::test_db::__run_test;

/// A migration directory of `n` revisions whose ids carry `tag`, so that
/// each test has a migration set of its own.
fn chain(tag: &str, n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=n {
        add(dir.path(), tag, i);
    }
    dir
}

fn add(dir: &std::path::Path, tag: &str, i: usize) {
    let parent = if i == 1 {
        "none".to_owned()
    } else {
        format!("{tag}{:02}", i - 1)
    };
    std::fs::write(
        dir.join(format!("{i:03}_{tag}{i:02}.sql")),
        format!(
            "-- revision: {tag}{i:02}\n-- down_revision: {parent}\n-- migrate:upgrade\nCREATE TABLE {tag}_t{i} (id INTEGER);\n-- migrate:downgrade\nDROP TABLE {tag}_t{i};\n"
        ),
    )
    .unwrap();
}

/// Runs the helper binary; returns the templates and databases it printed.
fn helper(
    server: &str,
    dir: &std::path::Path,
    count: usize,
    env: &[(&str, &str)],
) -> (Vec<String>, Vec<String>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_migrate-test-template"))
        .arg(server)
        .arg(dir)
        .arg(count.to_string())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}{stderr}");
    let lines = |prefix: &str| {
        stdout
            .lines()
            .filter_map(|l| l.strip_prefix(prefix))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    (lines("template "), lines("database "), stderr)
}

fn databases_like(admin: &str, pattern: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(admin).await.unwrap();
        let names = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE datname LIKE $1 ORDER BY 1",
        )
        .bind(pattern)
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        names
    })
}

#[test]
fn parallel_test_binaries_share_one_template_and_a_new_set_replaces_it() {
    let admin = migrate_tests::pg_admin_url();
    let dir = chain(&format!("par{}", std::process::id()), 5);
    let children: Vec<_> = (0..4)
        .map(|_| {
            let admin = admin.clone();
            let path = dir.path().to_owned();
            std::thread::spawn(move || helper(&admin, &path, 5, &[]))
        })
        .collect();
    let mut templates = Vec::new();
    let mut databases = Vec::new();
    for child in children {
        let (t, d, _) = child.join().unwrap();
        templates.extend(t);
        databases.extend(d);
    }
    templates.dedup();
    assert_eq!(templates.len(), 1, "{templates:?}");
    assert_eq!(databases.len(), 20);
    let template = &templates[0];
    let project = &template[..template.len() - 26];
    assert_eq!(
        databases_like(&admin, &format!("{project}%")),
        std::slice::from_ref(template)
    );
    // Every test's database was removed.
    for db in &databases {
        assert!(databases_like(&admin, db).is_empty(), "{db} left behind");
    }

    // A changed migration set: a new template, the old one dropped.
    add(dir.path(), &format!("par{}", std::process::id()), 6);
    let (next, _, _) = helper(&admin, dir.path(), 1, &[]);
    assert_ne!(next[0], *template);
    assert_eq!(databases_like(&admin, &format!("{project}%")), next);
}

#[test]
fn sqlite_templates_are_shared_and_replaced_too() {
    let tests = tempfile::tempdir().unwrap();
    let dir_env = tests.path().to_string_lossy().into_owned();
    let env = [("MIGRATE_TEST_DIR", dir_env.as_str())];
    let dir = chain("sq", 3);
    let children: Vec<_> = (0..3)
        .map(|_| {
            let path = dir.path().to_owned();
            let env = env.map(|(k, v)| (k, v.to_owned()));
            std::thread::spawn(move || {
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
                helper("sqlite", &path, 4, &env)
            })
        })
        .collect();
    let mut templates = Vec::new();
    for child in children {
        let (t, d, _) = child.join().unwrap();
        for file in d {
            assert!(!std::path::Path::new(&file).exists(), "{file} left behind");
        }
        templates.extend(t);
    }
    templates.dedup();
    assert_eq!(templates.len(), 1, "{templates:?}");
    add(dir.path(), "sq", 4);
    let (next, _, _) = helper("sqlite", dir.path(), 1, &env);
    assert_ne!(next, templates);
    let left: Vec<String> = std::fs::read_dir(tests.path())
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, next, "only the new template is left");
}

#[test]
fn a_kept_database_is_named_and_stays() {
    let admin = migrate_tests::pg_admin_url();
    let dir = chain(&format!("keep{}", std::process::id()), 2);
    let (_, databases, stderr) = helper(&admin, dir.path(), 1, &[("MIGRATE_TEST_KEEP", "1")]);
    let kept = &databases[0];
    assert!(
        stderr.contains(&format!("kept test database {kept} on postgres://")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("migrate-test-pw"),
        "the password is never printed: {stderr}"
    );
    assert_eq!(databases_like(&admin, kept), std::slice::from_ref(kept));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&admin).await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE \"{kept}\""))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
}

/// Without `server = …` the server comes from the environment; with none
/// there, the test fails saying what to set, never passing in silence.
#[test]
fn without_a_server_the_test_fails_saying_what_to_set() {
    let dir = chain("noserver", 1);
    let out = Command::new(env!("CARGO_BIN_EXE_migrate-test-template"))
        .args(["env", &dir.path().to_string_lossy(), "1"])
        .env_remove("MIGRATE_TEST_DATABASE_URL")
        .env("DATABASE_URL", "sqlite://app.db")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no PostgreSQL server for the test databases: set MIGRATE_TEST_DATABASE_URL (or DATABASE_URL)"),
        "{stderr}"
    );
    // The dedicated variable is found.
    let out = Command::new(env!("CARGO_BIN_EXE_migrate-test-template"))
        .args(["env", &dir.path().to_string_lossy(), "1"])
        .env("MIGRATE_TEST_DATABASE_URL", migrate_tests::pg_admin_url())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("template "))
            .count(),
        1
    );
}

static FAILING: Migrator = migrate_runtime::embed_migrations!("../migrations");

/// The name of the database a failing test ran on, recorded from inside it.
static SEEN: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
static SEEN_FILE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

#[test]
fn a_failing_test_s_database_is_dropped() {
    let admin = migrate_tests::pg_admin_url();
    let panicked = std::panic::catch_unwind(|| {
        __run_test::<sqlx::PgPool, _, _>(&FAILING, "head", Some(admin.clone()), |pool| async move {
            let name: String = sqlx::query_scalar("SELECT current_database()::text")
                .fetch_one(&pool)
                .await
                .unwrap();
            *SEEN.lock().unwrap() = Some(name);
            let fails = true;
            if fails {
                panic!("the test fails");
            }
        })
    });
    let payload = panicked.expect_err("the test's panic reaches the harness");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the test fails"));
    let name = SEEN.lock().unwrap().clone().expect("the body ran");
    // Dropped in the background, as every test's: over by the time the
    // process exits, or when asked.
    migrate_runtime::test_db::__wait_for_drops();
    assert!(
        databases_like(&admin, &name).is_empty(),
        "{name} left behind"
    );

    // A test that returns an error fails too, and is cleaned up as well.
    let returned = std::panic::catch_unwind(|| {
        __run_test::<sqlx::SqlitePool, _, _>(&FAILING, "head", None, |pool| async move {
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            *SEEN_FILE.lock().unwrap() = Some(file);
            Err::<(), _>("no such row")
        })
    });
    let payload = returned.expect_err("an Err fails the test");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("the test returned an error: \"no such row\""),
        "{message}"
    );
    let file = SEEN_FILE.lock().unwrap().clone().expect("the body ran");
    assert!(!std::path::Path::new(&file).exists(), "{file} left behind");
}

/// A process that has seen its template complete makes later copies
/// without looking it up; when the template is gone meanwhile (a run of a
/// newer migration set removes older ones), the next test builds it again
/// instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_dropped_meanwhile_is_built_again() {
    use migrate_runtime::test_db::TestDb;
    let admin = migrate_tests::pg_admin_url();
    let dir = chain("gone", 2);
    let migrator =
        Migrator::from_directory(dir.path(), "migrations", &migrate_core::Config::default())
            .unwrap();
    let first = TestDb::<sqlx::PgPool>::create_on(&migrator, "head", &admin)
        .await
        .unwrap();
    let template = first.template().to_owned();
    first.finish().await;
    // The fast path: no look-up, same template.
    let second = TestDb::<sqlx::PgPool>::create_on(&migrator, "head", &admin)
        .await
        .unwrap();
    assert_eq!(second.template(), template);
    second.finish().await;
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    for sql in [
        format!("ALTER DATABASE \"{template}\" IS_TEMPLATE false"),
        format!("DROP DATABASE \"{template}\" WITH (FORCE)"),
    ] {
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
    }
    let third = TestDb::<sqlx::PgPool>::create_on(&migrator, "head", &admin)
        .await
        .unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('gone_t1', 'gone_t2')",
    )
    .fetch_one(third.pool())
    .await
    .unwrap();
    assert_eq!(tables, 2);
    assert_eq!(third.template(), template);
    third.finish().await;
    let left: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname = $1")
            .bind(&template)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(left, [template], "the template is there again");
    pool.close().await;
}
