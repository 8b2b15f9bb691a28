//! `migrate revision --autogenerate` end to end, with the real binary and
//! real databases (PostgreSQL 15 from `scripts/pg.sh`, SQLite files): for
//! each pair of schemas A → B, a directory whose first revision creates A is
//! upgraded, B is written as schema.sql, the revision is generated, loaded
//! with the project's checks, upgraded (`migrate check` then agrees and the
//! database reads back as B), and downgraded (the database reads back as A).
//! Rows inserted in A are checked after the upgrade.

mod names;
mod pairs;
mod pairs_exclusion;
mod pairs_grants;
mod pairs_kinds;
mod pairs_matview;
mod pairs_partitions;
mod sources;
mod workflow;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use migrate_core::{Dialect, DialectCheck};
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_schema::{DiffOptions, diff, parse_schema};
use sqlx::{PgPool, SqlitePool};

/// The test server's password (scripts/pg.sh): it must never be printed.
const PASSWORD: &str = "migrate-test-pw";

/// Which database a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Pg,
    Sqlite,
}

impl Db {
    pub fn dialect(self) -> Dialect {
        match self {
            Db::Pg => Dialect::Postgres,
            Db::Sqlite => Dialect::Sqlite,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Db::Pg => "postgres",
            Db::Sqlite => "sqlite",
        }
    }
}

/// A fresh database of either kind; dropped with the value.
pub enum TestDb {
    Pg(migrate_tests::PgTestDb),
    Sqlite(migrate_tests::SqliteTestDb),
}

impl TestDb {
    pub async fn fresh(db: Db) -> TestDb {
        match db {
            Db::Pg => TestDb::Pg(migrate_tests::fresh_pg_db().await),
            Db::Sqlite => TestDb::Sqlite(migrate_tests::fresh_sqlite_db()),
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Pg(d) => &d.url,
            TestDb::Sqlite(d) => &d.url,
        }
    }

    pub async fn pool(&self) -> Pool {
        match self {
            TestDb::Pg(d) => Pool::Pg(d.pool().await),
            TestDb::Sqlite(d) => Pool::Sqlite(d.pool().await),
        }
    }
}

/// A pool to a test database.
pub enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    /// Runs SQL text (several statements).
    pub async fn exec(&self, sql: &str) {
        let result = match self {
            Pool::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop),
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// The single integer a query returns.
    pub async fn int(&self, sql: &str) -> i64 {
        let result = match self {
            Pool::Pg(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
            Pool::Sqlite(p) => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await,
        };
        result.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The differences between the database and `declared` (empty when equal).
    pub async fn differences(&self, declared: &str, include_schemas: bool) -> Vec<String> {
        let options = IntrospectOptions {
            include_schemas,
            ..IntrospectOptions::default()
        };
        let (actual, dialect) = match self {
            Pool::Pg(p) => (introspect(p, &options).await, Dialect::Postgres),
            Pool::Sqlite(p) => (introspect(p, &options).await, Dialect::Sqlite),
        };
        let actual = actual.unwrap_or_else(|e| panic!("introspect: {e}"));
        let mut declared = parse_schema(declared, dialect)
            .unwrap_or_else(|e| panic!("declared schema does not parse: {e:?}\n{declared}"));
        if let Pool::Pg(p) = self {
            migrate_runtime::introspect::Introspect::settle_declared(p, &mut declared)
                .await
                .unwrap_or_else(|e| panic!("settle: {e}"));
        }
        let options = DiffOptions {
            include_schemas,
            ..DiffOptions::default()
        };
        diff(&actual, &declared, dialect, &options)
            .iter()
            .map(|c| c.summary())
            .collect()
    }

    pub async fn close(self) {
        match self {
            Pool::Pg(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }
}

/// What one run of the binary printed.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A temporary project: migrate.toml for one dialect, `migrations/`.
pub struct Project {
    dir: tempfile::TempDir,
    url: String,
    pub db: Db,
}

impl Project {
    /// A project for `db` at `url`, with `extra` lines in migrate.toml.
    pub fn new(db: Db, url: &str, extra: &str) -> Project {
        let dir = tempfile::Builder::new()
            .prefix("migrate-autogen-test-")
            .tempdir()
            .expect("create a temporary directory");
        std::fs::create_dir(dir.path().join("migrations")).expect("create migrations/");
        std::fs::write(
            dir.path().join("migrate.toml"),
            format!(
                "directory = \"migrations\"\ndialect = \"{}\"\n{extra}",
                db.name()
            ),
        )
        .expect("write migrate.toml");
        Project {
            dir,
            url: url.to_owned(),
            db,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `migrate ARGS` with DATABASE_URL set to the project's database.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, Some(&self.url))
    }

    /// Runs `migrate ARGS` with DATABASE_URL set to `url` (or unset).
    pub fn run_with(&self, args: &[&str], url: Option<&str>) -> Out {
        let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
        command
            .args(args)
            .current_dir(self.path())
            .stdin(Stdio::null());
        for var in [
            "DATABASE_URL",
            "POSTGRES_USER",
            "POSTGRES_PASSWORD",
            "POSTGRES_HOST",
            "POSTGRES_PORT",
            "POSTGRES_DB",
            "MIGRATE_LOG",
            "NO_COLOR",
        ] {
            command.env_remove(var);
        }
        if let Some(url) = url {
            command.env("DATABASE_URL", url);
        }
        let output = command.output().expect("run the migrate binary");
        let out = Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for text in [&out.stdout, &out.stderr] {
            assert!(
                !text.contains(PASSWORD),
                "migrate {} printed the password",
                args.join(" ")
            );
        }
        out
    }

    /// Runs and expects exit 0.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code,
            0,
            "migrate {} failed:\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
        out
    }

    /// Runs and expects `code` with `needle` in stdout or stderr.
    pub fn fails(&self, args: &[&str], code: i32, needle: &str) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code,
            code,
            "migrate {}: expected exit {code}:\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
        assert!(
            out.stderr.contains(needle) || out.stdout.contains(needle),
            "migrate {}: output lacks {needle:?}:\n--- stdout\n{}--- stderr\n{}",
            args.join(" "),
            out.stdout,
            out.stderr
        );
        out
    }

    /// A hand-written revision: `migrate revision`, then the SQL filled in.
    pub fn revision(&self, message: &str, up: &str, down: Option<&str>) -> PathBuf {
        let out = self.ok(&["revision", "-m", message]);
        let file = self.path().join(generated_path(&out));
        let text = std::fs::read_to_string(&file).expect("read the new revision");
        let sections = text
            .find("-- migrate:upgrade\n")
            .expect("an empty new revision");
        let head = &text[..sections];
        let body = match down {
            Some(down) => format!("-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n"),
            None => format!("-- migrate:upgrade\n{up}\n"),
        };
        std::fs::write(&file, format!("{head}{body}")).expect("write the revision");
        file
    }

    pub fn write_schema(&self, sql: &str) {
        std::fs::write(self.path().join("schema.sql"), sql).expect("write schema.sql");
    }

    /// The directory loads with the project's checks in this dialect.
    pub fn assert_loads(&self) {
        let dir = self.path().join("migrations");
        if let Err(errors) = migrate_core::load_directory(
            &dir,
            "migrations",
            &DialectCheck::All(vec![self.db.dialect()]),
        ) {
            panic!("the directory does not load: {errors}");
        }
    }
}

/// The path printed by `revision`.
pub fn generated_path(out: &Out) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("Generating "))
        .unwrap_or_else(|| panic!("no Generating line in:\n{}", out.stdout))
        .trim_end_matches(" ... done")
        .to_owned()
}
