//! `--each-database FILE` and `--each-schema PATTERN`: one command over a
//! fleet, the canary, stop or keep going, the report and the exit status.

use crate::common::Project;

/// A project of two revisions (tables `a` and `b`) and `n` SQLite files
/// listed in `fleet.txt` (with a comment and a blank line); file `broken`
/// (1-based) already has a table `b`, so the second revision fails there.
fn sqlite_fleet(n: usize, broken: usize) -> (Project, String, Vec<String>) {
    let p = Project::init();
    p.revision(
        &["-m", "a"],
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    p.revision(
        &["-m", "b"],
        "CREATE TABLE b (id INTEGER);",
        Some("DROP TABLE b;"),
    );
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
