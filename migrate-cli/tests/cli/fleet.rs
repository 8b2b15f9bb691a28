//! `--each-database FILE` and `--each-schema PATTERN`: one command over a
//! fleet, the canary, stop or keep going, the report and the exit status.

use crate::common::Project;

/// A project of two revisions, creating tables `a` then `b`; returns it
/// and its head.
fn two_tables() -> (Project, String) {
    let p = Project::init();
    p.revision(
        &["-m", "a"],
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    let head = p.revision(
        &["-m", "b"],
        "CREATE TABLE b (id INTEGER);",
        Some("DROP TABLE b;"),
    );
    (p, head)
}

/// A project of two revisions (tables `a` and `b`) and `n` SQLite files
/// listed in `fleet.txt` (with a comment and a blank line); file `broken`
/// (1-based) already has a table `b`, so the second revision fails there.
fn sqlite_fleet(n: usize, broken: usize) -> (Project, String, Vec<String>) {
    let (p, _) = two_tables();
    let mut urls = Vec::new();
    let mut list = String::from("# the tenants\n\n");
    for i in 1..=n {
        let url = format!("sqlite://{}", p.path().join(format!("t{i}.db")).display());
        list.push_str(&url);
        list.push('\n');
        urls.push(url);
    }
    std::fs::write(p.path().join("fleet.txt"), list).unwrap();
    let broken_url = urls[broken - 1].clone();
    p.ok(&["stamp", "base", "--database-url", &broken_url]);
    let file = broken_url.trim_start_matches("sqlite://");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = sqlx::SqlitePool::connect(&broken_url).await.unwrap();
        sqlx::query("CREATE TABLE b (id INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    assert!(std::path::Path::new(file).exists());
    let fleet = p.path().join("fleet.txt").to_string_lossy().into_owned();
    (p, fleet, urls)
}

fn statuses(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("sqlite://") || l.starts_with("postgres://"))
        .map(|l| l.rsplit("  ").next().unwrap_or("").trim().to_owned())
        .collect()
}

#[test]
fn a_failure_stops_the_run_unless_told_to_keep_going() {
    let (p, fleet, _) = sqlite_fleet(6, 4);
    let out = p.fails(
        &[
            "upgrade",
            "head",
            "--each-database",
            &fleet,
            "--concurrency",
            "1",
        ],
        3,
        "error: 3 of 6 members did not succeed",
    );
    assert_eq!(
        statuses(&out.stdout),
        ["ok", "ok", "ok", "failed", "not run", "not run"],
        "{}",
        out.stdout
    );
    assert!(out.stdout.starts_with("TARGET"), "{}", out.stdout);
    assert!(
        out.stdout.ends_with("3 ok, 1 failed, 2 not run, of 6\n"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("/t4.db: revision "), "{}", out.stderr);

    // Keep going: everyone but the broken one; running again applies
    // only what is pending.
    let out = p.fails(
        &["upgrade", "head", "--each-database", &fleet, "--keep-going"],
        3,
        "1 of 6 members did not succeed",
    );
    assert_eq!(
        statuses(&out.stdout),
        ["ok", "ok", "ok", "failed", "ok", "ok"],
        "{}",
        out.stdout
    );
    // `current` names the one behind.
    let out = p.ok(&["current", "--each-database", &fleet]);
    assert_eq!(
        statuses(&out.stdout),
        [
            "at head", "at head", "at head", "behind", "at head", "at head"
        ],
        "{}",
        out.stdout
    );
    let out = p.ok(&["current", "--each-database", &fleet, "--format", "json"]);
    assert!(
        out.stdout.starts_with("[{\"target\":\"sqlite://"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\"status\":\"behind\""),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches("\"target\"").count(), 6);

    // `check` visits every member (no canary, no stopping) and names what
    // is wrong with each: here the one behind, then one with an edited
    // revision too.
    let out = p.fails(
        &["check", "--each-database", &fleet, "--concurrency", "1"],
        3,
        "1 of 6 members did not succeed",
    );
    assert_eq!(
        statuses(&out.stdout),
        ["ok", "ok", "ok", "failed", "ok", "ok"],
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("/t4.db: 1 revision(s) pending: "),
        "{}",
        out.stderr
    );
    let first = p.path().join("t1.db");
    let pool_url = format!("sqlite://{}", first.display());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(&pool_url).await.unwrap();
            sqlx::query("UPDATE migrate_history SET checksum = 'v2:0000' WHERE seq = 1")
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
    let out = p.fails(
        &["check", "--each-database", &fleet, "--format", "json"],
        3,
        "2 of 6 members did not succeed",
    );
    assert!(
        out.stdout.contains("edited after they were applied: "),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches("\"status\":\"failed\"").count(), 2);
}

#[test]
fn a_failing_canary_stops_everything() {
    let (p, fleet, urls) = sqlite_fleet(4, 1);
    let out = p.fails(
        &["upgrade", "head", "--each-database", &fleet, "--keep-going"],
        1,
        "4 of 4 members did not succeed",
    );
    assert_eq!(
        statuses(&out.stdout),
        ["failed", "not run", "not run", "not run"],
        "{}",
        out.stdout
    );
    // Nothing ran on the others: their files were not even created.
    assert!(!std::path::Path::new(urls[1].trim_start_matches("sqlite://")).exists());
    // Without a canary, the others go on.
    let out = p.fails(
        &[
            "upgrade",
            "head",
            "--each-database",
            &fleet,
            "--keep-going",
            "--canary",
            "0",
        ],
        3,
        "1 of 4 members",
    );
    assert_eq!(
        statuses(&out.stdout),
        ["failed", "ok", "ok", "ok"],
        "{}",
        out.stdout
    );
}

#[test]
fn fleet_options_are_checked() {
    let (p, fleet, _) = sqlite_fleet(2, 2);
    p.fails(
        &["upgrade", "head", "--keep-going"],
        2,
        "go with --each-database",
    );
    p.fails(
        &["upgrade", "head", "--each-database", &fleet, "--sql"],
        2,
        "--sql cannot be used with --each-database",
    );
    p.fails(
        &["check", "--shadow", "--each-database", &fleet],
        2,
        "--shadow cannot be used with --each-database",
    );
    std::fs::write(p.path().join("empty.txt"), "# nobody\n").unwrap();
    p.fails(
        &["upgrade", "head", "--each-database", "empty.txt"],
        2,
        "lists no database",
    );
    std::fs::write(p.path().join("bad.txt"), "mysql://x/y\n").unwrap();
    p.fails(
        &["upgrade", "head", "--each-database", "bad.txt"],
        2,
        "bad.txt:1:",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_schema_migrates_the_matching_schemas_and_each_keeps_its_history() {
    let db = migrate_tests::fresh_pg_db().await;
    let pool = db.pool().await;
    for s in ["tenant_1", "tenant_2", "tenant_3", "other"] {
        sqlx::raw_sql(&format!("CREATE SCHEMA {s}"))
            .execute(&pool)
            .await
            .unwrap();
    }
    let p = Project::init();
    p.revision(
        &["-m", "a"],
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    let url = db.url.clone();
    let out = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let out = p.ok(&[
                "upgrade",
                "head",
                "--each-schema",
                "tenant_*",
                "--database-url",
                &url,
            ]);
            (p, out)
        }
    })
    .await
    .unwrap();
    let (p, out) = out;
    assert_eq!(statuses(&out.stdout), ["ok", "ok", "ok"], "{}", out.stdout);
    assert!(!out.stdout.contains("migrate-test-pw"), "{}", out.stdout);
    let placed: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema::text, table_name::text FROM information_schema.tables WHERE table_schema IN ('public', 'other', 'tenant_1', 'tenant_2', 'tenant_3') ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<(String, String)> = ["tenant_1", "tenant_2", "tenant_3"]
        .iter()
        .flat_map(|s| {
            [
                (s.to_string(), "a".to_owned()),
                (s.to_string(), "migrate_history".to_owned()),
            ]
        })
        .collect();
    assert_eq!(placed, expected);
    // A second fleet run finds nothing pending.
    let out = tokio::task::spawn_blocking(move || {
        p.ok(&[
            "upgrade",
            "head",
            "--each-schema",
            "tenant_*",
            "--database-url",
            &url,
        ])
    })
    .await
    .unwrap();
    assert!(
        out.stdout.contains("3 ok, 0 failed, 0 not run, of 3"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.lines().skip(1).any(|l| l.contains("  1  ")),
        "{}",
        out.stdout
    );
    pool.close().await;
}

/// Two fleet runs at once over the same PostgreSQL databases: each
/// member's own lock keeps every revision applied once per member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fleet_runs_at_once_apply_each_revision_once_per_database() {
    let mut dbs = Vec::new();
    for _ in 0..6 {
        dbs.push(migrate_tests::fresh_pg_db().await);
    }
    let p = Project::init();
    for i in 1..=5 {
        p.revision(
            &["-m", &format!("t{i}")],
            &format!("CREATE TABLE t{i} (id INTEGER);"),
            Some(&format!("DROP TABLE t{i};")),
        );
    }
    let list: String = dbs.iter().map(|d| format!("{}\n", d.url)).collect();
    std::fs::write(p.path().join("fleet.txt"), list).unwrap();
    let p = std::sync::Arc::new(p);
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let p = std::sync::Arc::clone(&p);
            std::thread::spawn(move || {
                p.ok(&[
                    "upgrade",
                    "head",
                    "--each-database",
                    "fleet.txt",
                    "--concurrency",
                    "3",
                    "--canary",
                    "0",
                ])
            })
        })
        .collect();
    let mut applied = 0;
    for run in runs {
        let out = run.join().unwrap();
        assert!(!out.stdout.contains("migrate-test-pw"), "{}", out.stdout);
        // The REVISIONS column of each member's row.
        for line in out.stdout.lines().filter(|l| l.starts_with("postgres://")) {
            let cells: Vec<&str> = line.split("  ").filter(|c| !c.trim().is_empty()).collect();
            applied += cells[3].trim().parse::<usize>().unwrap();
        }
    }
    assert_eq!(applied, 30, "5 revisions on each of 6 databases, once");
    for db in &dbs {
        let pool = db.pool().await;
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM migrate_history")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 5);
        pool.close().await;
    }
}

/// A fleet run SIGKILLed part-way, then run again: every member ends at
/// head with each revision recorded once, whatever the kill interrupted.
#[test]
fn a_killed_fleet_run_resumes_with_nothing_lost_or_applied_twice() {
    let p = Project::init();
    for i in 1..=30 {
        p.revision(
            &["-m", &format!("t{i}")],
            &format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT);\nINSERT INTO t{i} (v) VALUES ('x');"),
            Some(&format!("DROP TABLE t{i};")),
        );
    }
    let files: Vec<std::path::PathBuf> = (1..=12)
        .map(|i| p.path().join(format!("m{i}.db")))
        .collect();
    let list: String = files
        .iter()
        .map(|f| format!("sqlite://{}\n", f.display()))
        .collect();
    std::fs::write(p.path().join("fleet.txt"), list).unwrap();
    // Rounds whose kill left some member short of head.
    let mut interrupted = 0;
    for delay in [40u64, 120, 250] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_migrate"))
            .args([
                "upgrade",
                "head",
                "--each-database",
                "fleet.txt",
                "--concurrency",
                "3",
                "--canary",
                "0",
            ])
            .current_dir(p.path())
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        child.wait().unwrap();
        let before = p.run(&[
            "current",
            "--each-database",
            "fleet.txt",
            "--canary",
            "0",
            "--keep-going",
        ]);
        if before.stdout.contains("behind") || before.code != 0 {
            interrupted += 1;
        }
        let out = p.ok(&[
            "upgrade",
            "head",
            "--each-database",
            "fleet.txt",
            "--canary",
            "0",
        ]);
        assert!(
            out.stdout.contains("12 ok, 0 failed, 0 not run, of 12"),
            "{}",
            out.stdout
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            for f in &files {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", f.display()))
                    .await
                    .unwrap();
                let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM migrate_history")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                assert_eq!(rows, 30, "{}", f.display());
                let once: i64 = sqlx::query_scalar("SELECT count(*) FROM t30")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                assert_eq!(once, 1, "{}", f.display());
                pool.close().await;
            }
        });
        // Back to base for the next round.
        let out = p.ok(&[
            "downgrade",
            "base",
            "--each-database",
            "fleet.txt",
            "--canary",
            "0",
        ]);
        assert!(out.stdout.contains("12 ok"), "{}", out.stdout);
    }
    assert!(interrupted > 0, "no kill landed part-way through the fleet");
}

/// A second PostgreSQL server on another port (`scripts/pg.sh` with its
/// own directory), stopped when dropped.
struct SecondServer {
    dir: std::path::PathBuf,
    url: String,
}

const SECOND_PORT: &str = "55433";

impl SecondServer {
    fn pg_sh(dir: &std::path::Path, command: &str) -> std::process::Output {
        let script = migrate_tests::workspace_root().join("scripts/pg.sh");
        std::process::Command::new("bash")
            .arg(&script)
            .arg(command)
            .env("MIGRATE_PG_DIR", dir)
            .env("MIGRATE_PG_PORT", SECOND_PORT)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()))
    }

    fn start() -> SecondServer {
        // Under the system's temporary directory: as root the server runs
        // as `postgres`, which may not reach the checkout.
        let root = migrate_tests::workspace_root();
        let key = root
            .to_string_lossy()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        let dir = std::env::temp_dir().join(format!("migrate-pg-second-{key:016x}"));
        let out = Self::pg_sh(&dir, "start");
        let url = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            out.status.success() && url.starts_with("postgres://"),
            "the second PostgreSQL server (port {SECOND_PORT}) did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SecondServer { dir, url }
    }
}

impl Drop for SecondServer {
    fn drop(&mut self) {
        let out = Self::pg_sh(&self.dir, "stop");
        if !out.status.success() {
            eprintln!(
                "warning: the second PostgreSQL server did not stop: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Databases made for a test on one server, dropped when this is dropped
/// (also when the test fails).
struct ManyDatabases {
    admin: String,
    names: Vec<String>,
}

impl ManyDatabases {
    async fn create(admin: &str, prefix: &str, n: usize) -> ManyDatabases {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
        let mut made = ManyDatabases {
            admin: admin.to_owned(),
            names: Vec::new(),
        };
        for i in 0..n {
            let name = format!("{prefix}_{}_{i}", std::process::id());
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            // A file copy is three times quicker than the WAL-logged copy
            // on the tests' server (PostgreSQL 15+; older ones copy files).
            let create = format!("CREATE DATABASE {name}");
            if sqlx::raw_sql(&format!("{create} STRATEGY FILE_COPY"))
                .execute(&mut conn)
                .await
                .is_err()
            {
                sqlx::raw_sql(&create).execute(&mut conn).await.unwrap();
            }
            made.names.push(name);
        }
        conn.close().await.unwrap();
        made
    }

    fn urls(&self) -> Vec<String> {
        let base = self.admin.trim_end_matches("/postgres");
        // Without TLS: 2,000 handshakes of a debug build would dominate.
        self.names
            .iter()
            .map(|n| format!("{base}/{n}?sslmode=disable"))
            .collect()
    }
}

impl Drop for ManyDatabases {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let names = std::mem::take(&mut self.names);
        let dropped = std::thread::spawn(move || {
            use sqlx::Connection as _;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                for name in names {
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await?;
                }
                conn.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: some fleet test databases were not dropped: {dropped:?}");
        }
    }
}

/// 500 databases on the tests' server and 20 on a second server on
/// another port, in one run: every member reaches head with one history
/// row per revision, `current` and `check` agree, and no password is
/// printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_databases_on_two_servers() {
    let second = SecondServer::start();
    let first_dbs = ManyDatabases::create(&migrate_tests::pg_admin_url(), "fleet500", 500).await;
    let second_dbs = ManyDatabases::create(&second.url, "fleet500b", 20).await;
    let (p, head) = two_tables();
    let mut urls = first_dbs.urls();
    urls.extend(second_dbs.urls());
    assert!(urls.iter().any(|u| u.contains(&format!(":{SECOND_PORT}/"))));
    let list = p.path().join("fleet.txt");
    std::fs::write(&list, urls.join("\n")).unwrap();
    let list = list.to_string_lossy().into_owned();
    let (p, outs) = tokio::task::spawn_blocking(move || {
        let first = p.ok(&["upgrade", "head", "--each-database", &list]);
        let current = p.ok(&["current", "--each-database", &list, "--format", "json"]);
        let check = p.ok(&["check", "--each-database", &list]);
        (p, [first, current, check])
    })
    .await
    .unwrap();
    let [first, current, check] = outs;
    assert!(
        first
            .stdout
            .ends_with("520 ok, 0 failed, 0 not run, of 520\n"),
        "{}",
        first.stdout
    );
    assert_eq!(
        first
            .stdout
            .lines()
            .filter(|l| l.contains(&format!("  base  {head}  2  ")))
            .count(),
        520,
        "{}",
        first.stdout
    );
    assert_eq!(
        current.stdout.matches("\"status\":\"at head\"").count(),
        520
    );
    assert!(
        check
            .stdout
            .ends_with("520 ok, 0 failed, 0 not run, of 520\n")
    );
    for out in [&first, &current, &check] {
        assert!(!out.stdout.contains("migrate-test-pw"), "{}", out.stdout);
        assert!(!out.stderr.contains("migrate-test-pw"), "{}", out.stderr);
    }
    // One history row per revision in every database.
    for url in [&first_dbs.urls()[499], &second_dbs.urls()[19]] {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM migrate_history")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(rows, 2);
        pool.close().await;
    }
    drop(p);
    drop(first_dbs);
    drop(second_dbs);
    drop(second);
}

/// 200 tenant schemas of one database: each gets its tables and its own
/// history; one tenant that already has a table the second revision
/// creates fails alone with --keep-going, and `check` names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_schemas_in_one_database() {
    let db = migrate_tests::fresh_pg_db().await;
    let pool = db.pool().await;
    let mut ddl = String::new();
    for i in 0..200 {
        ddl.push_str(&format!("CREATE SCHEMA tenant_{i:03};"));
    }
    ddl.push_str("CREATE TABLE tenant_117.b (id INTEGER);");
    sqlx::raw_sql(&ddl).execute(&pool).await.unwrap();
    let (p, _) = two_tables();
    let url = db.url.clone();
    let (upgrade, check) = tokio::task::spawn_blocking(move || {
        let fleet = ["--each-schema", "tenant_*", "--database-url", &url];
        let mut args = vec!["upgrade", "head", "--keep-going"];
        args.extend(fleet);
        let upgrade = p.fails(&args, 3, "1 of 200 members did not succeed");
        let mut args = vec!["check"];
        args.extend(fleet);
        let check = p.fails(&args, 3, "1 of 200 members did not succeed");
        (upgrade, check)
    })
    .await
    .unwrap();
    let failed: Vec<&str> = upgrade
        .stdout
        .lines()
        .filter(|l| l.ends_with("failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{}", upgrade.stdout);
    assert!(failed[0].contains("#tenant_117 "), "{}", upgrade.stdout);
    assert!(
        check.stderr.contains("#tenant_117: 1 revision(s) pending"),
        "{}",
        check.stderr
    );
    let count = |names: &'static str| {
        let pool = &pool;
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE 'tenant\\_%' AND table_name IN ({names})"
            ))
            .fetch_one(pool)
            .await
            .unwrap()
        }
    };
    // 199 tenants with both tables; the failed one with its own `b` and
    // the first revision's `a` (the second was rolled back).
    assert_eq!(count("'a', 'b'").await, 400);
    let histories = count("'migrate_history'").await;
    assert_eq!(histories, 200);
    pool.close().await;
}
