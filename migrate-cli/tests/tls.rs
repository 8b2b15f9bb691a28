//! TLS to PostgreSQL from the real `migrate` binary, per `sslmode`.
//!
//! The test server (scripts/pg.sh) has `ssl = on` with a server certificate
//! signed by a test CA in `<base dir>/tls/ca.crt`. Each case upgrades a fresh
//! database with a revision that records, from the migrating connection
//! itself, `pg_stat_ssl` for its own backend: the proof of what the binary's
//! connection was, not the test's.

#[path = "cli/common.rs"]
#[allow(dead_code)]
mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Out, PASSWORD, Project, check_failure};

/// The server's CA certificate: next to the certificate it serves.
async fn server_ca() -> PathBuf {
    let pool = sqlx::PgPool::connect(&migrate_tests::pg_admin_url())
        .await
        .expect("connect to the test server");
    let (ssl, cert): (String, String) =
        sqlx::query_as("SELECT current_setting('ssl'), current_setting('ssl_cert_file')")
            .fetch_one(&pool)
            .await
            .expect("read the SSL settings");
    pool.close().await;
    assert_eq!(ssl, "on", "scripts/pg.sh start turns ssl on");
    let ca = PathBuf::from(cert).with_file_name("ca.crt");
    assert!(ca.is_file(), "{} exists", ca.display());
    ca
}

/// A project whose one revision records the migrating session's TLS state.
fn probe_project() -> Project {
    let p = Project::init();
    p.revision(
        &["-m", "tls probe"],
        "CREATE TABLE tls_probe AS SELECT ssl, coalesce(version, '') AS version FROM pg_stat_ssl WHERE pid = pg_backend_pid();",
        Some("DROP TABLE tls_probe;"),
    );
    p
}

fn with_query(url: &str, query: &str) -> String {
    format!("{url}?{query}")
}

/// `migrate upgrade head` with the URL in `DATABASE_URL`.
fn upgrade(p: &Project, url: &str) -> Out {
    p.run_env(&["upgrade", "head"], &[("DATABASE_URL", url)])
}

/// What `pg_stat_ssl` said about the binary's own connection.
async fn probed(db: &migrate_tests::PgTestDb) -> (bool, String) {
    let pool = db.pool().await;
    let row: (bool, String) = sqlx::query_as("SELECT ssl, version FROM tls_probe")
        .fetch_one(&pool)
        .await
        .expect("the probe table was written by the upgrade");
    pool.close().await;
    row
}

async fn upgrade_and_probe(query: &str) -> (bool, String) {
    let db = migrate_tests::fresh_pg_db().await;
    let p = probe_project();
    let out = upgrade(&p, &with_query(&db.url, query));
    assert_eq!(
        out.code, 0,
        "upgrade with {query} failed:\n--- stdout\n{}--- stderr\n{}",
        out.stdout, out.stderr
    );
    probed(&db).await
}

#[tokio::test]
async fn sslmode_disable_connects_in_plain_text() {
    let (ssl, _) = upgrade_and_probe("sslmode=disable").await;
    assert!(!ssl, "sslmode=disable must not encrypt");
}

#[tokio::test]
async fn sslmode_require_encrypts() {
    let (ssl, version) = upgrade_and_probe("sslmode=require").await;
    assert!(ssl, "sslmode=require must encrypt");
    assert!(version.starts_with("TLSv1."), "{version}");
}

#[tokio::test]
async fn sslmode_verify_ca_with_the_server_ca_encrypts() {
    let ca = server_ca().await;
    let (ssl, _) =
        upgrade_and_probe(&format!("sslmode=verify-ca&sslrootcert={}", ca.display())).await;
    assert!(ssl);
}

#[tokio::test]
async fn sslmode_verify_full_with_the_server_ca_encrypts() {
    let ca = server_ca().await;
    let (ssl, _) =
        upgrade_and_probe(&format!("sslmode=verify-full&sslrootcert={}", ca.display())).await;
    assert!(ssl);
}

#[tokio::test]
async fn sslmode_verify_full_with_a_wrong_root_fails_clearly_without_the_password() {
    let _ = server_ca().await; // the server does speak TLS
    let dir = tempfile::tempdir().unwrap();
    let wrong = other_ca(dir.path());

    let db = migrate_tests::fresh_pg_db().await;
    let p = probe_project();
    for mode in ["verify-full", "verify-ca"] {
        let url = with_query(
            &db.url,
            &format!("sslmode={mode}&sslrootcert={}", wrong.display()),
        );
        let out = upgrade(&p, &url);
        // run_env already asserts that neither stream holds the password.
        check_failure(
            &["upgrade", "head"],
            &out,
            1,
            "could not connect to postgres://",
        );
        assert!(
            out.stderr.contains(":***@127.0.0.1"),
            "the URL is shown redacted:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("certificate"),
            "{mode}: the error names the certificate problem:\n{}",
            out.stderr
        );
        assert!(!out.stderr.contains(PASSWORD));
    }
    // Nothing ran.
    let pool = db.pool().await;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('tls_probe') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!exists, "no revision ran over a refused connection");
    pool.close().await;
}

#[tokio::test]
async fn sslrootcert_that_does_not_exist_is_a_clear_error() {
    let db = migrate_tests::fresh_pg_db().await;
    let p = probe_project();
    let url = with_query(
        &db.url,
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.crt",
    );
    let out = upgrade(&p, &url);
    check_failure(
        &["upgrade", "head"],
        &out,
        1,
        "could not connect to postgres://",
    );
    assert!(
        out.stderr.contains("/nonexistent/ca.crt") || out.stderr.contains("No such file"),
        "the error names the missing file:\n{}",
        out.stderr
    );
}

/// A TLS parameter the driver would ignore (`SSLMODE`, `sslMode`,
/// `ssl_mode`, `ssl=true`) used to connect in plain text with exit 0; it is
/// refused by name, with the spelling to use, before anything connects.
#[tokio::test]
async fn misspelled_tls_parameters_are_refused_before_connecting() {
    let db = migrate_tests::fresh_pg_db().await;
    let p = probe_project();
    for (query, key) in [
        ("SSLMODE=require", "SSLMODE"),
        ("sslMode=require", "sslMode"),
        ("ssl_mode=require", "ssl_mode"),
        ("ssl=true", "ssl"),
    ] {
        let out = upgrade(&p, &with_query(&db.url, query));
        check_failure(
            &["upgrade", "head"],
            &out,
            2,
            &format!("unknown connection parameter `{key}`"),
        );
        assert!(out.stderr.contains("sslmode"), "{query}:\n{}", out.stderr);
        assert!(
            out.stderr.contains("possibly unencrypted"),
            "{query}:\n{}",
            out.stderr
        );
    }
    let pool = db.pool().await;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('tls_probe') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!exists, "nothing connected to migrate");
    pool.close().await;
}

/// libpq: "if a root CA file exists, the behavior of sslmode=require will be
/// the same as that of verify-ca". With the server's CA it encrypts; with
/// another CA it is refused, as verify-ca would be.
#[tokio::test]
async fn sslmode_require_with_a_root_certificate_verifies_the_ca() {
    let ca = server_ca().await;
    let (ssl, _) =
        upgrade_and_probe(&format!("sslmode=require&sslrootcert={}", ca.display())).await;
    assert!(ssl, "require with the right CA encrypts");

    let dir = tempfile::tempdir().unwrap();
    let wrong = other_ca(dir.path());
    let db = migrate_tests::fresh_pg_db().await;
    let p = probe_project();
    let url = with_query(
        &db.url,
        &format!("sslmode=require&sslrootcert={}", wrong.display()),
    );
    let out = upgrade(&p, &url);
    check_failure(
        &["upgrade", "head"],
        &out,
        1,
        "could not connect to postgres://",
    );
    assert!(
        out.stderr.contains("certificate") || out.stderr.contains("UnknownIssuer"),
        "require with a root certificate checks it:\n{}",
        out.stderr
    );
}

/// A self-signed CA certificate nobody signed the server's with.
fn other_ca(dir: &std::path::Path) -> PathBuf {
    let wrong = dir.join("other-ca.crt");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=some other CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-keyout",
        ])
        .arg(dir.join("other-ca.key"))
        .arg("-out")
        .arg(&wrong)
        .output()
        .expect("run openssl (apt-get install -y openssl)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    wrong
}
