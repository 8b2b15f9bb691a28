//! Running the real `migrate` binary in a temporary project directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The test server's password (scripts/pg.sh): it must never be printed.
pub const PASSWORD: &str = "migrate-test-pw";

/// Environment variables that would change which database the binary uses.
const DATABASE_VARS: [&str; 7] = [
    "DATABASE_URL",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "MIGRATE_LOG",
];

/// What one run of the binary printed.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// A temporary project directory, the working directory of every run.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// An empty directory.
    pub fn empty() -> Project {
        Project {
            dir: tempfile::Builder::new()
                .prefix("migrate-cli-test-")
                .tempdir()
                .expect("create a temporary directory"),
        }
    }

    /// A directory after `migrate init`.
    pub fn init() -> Project {
        let p = Project::empty();
        p.ok(&["init"]);
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// Runs `migrate ARGS` with none of the database variables set.
    pub fn run(&self, args: &[&str]) -> Out {
        self.run_env(args, &[])
    }

    /// Runs `migrate ARGS` with `env` added to a clean environment.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Out {
        self.run_at(self.path(), args, env)
    }

    /// Runs `migrate ARGS` in `sub`, a directory inside the project.
    pub fn run_in(&self, sub: &str, args: &[&str]) -> Out {
        self.run_at(&self.path().join(sub), args, &[])
    }

    fn run_at(&self, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
        let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
        command.args(args).current_dir(dir).stdin(Stdio::null());
        for var in DATABASE_VARS {
            command.env_remove(var);
        }
        command.env_remove("NO_COLOR");
        for (k, v) in env {
            command.env(k, v);
        }
        let output = command.output().expect("run the migrate binary");
        let out = Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        // Every output of every test is checked for the password.
        assert_no_password(&format!("migrate {}", shown(args)), &out.stdout);
        assert_no_password(&format!("migrate {}", shown(args)), &out.stderr);
        out
    }

    /// Runs and expects success.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code,
            0,
            "migrate {} failed:\n--- stdout\n{}--- stderr\n{}",
            shown(args),
            out.stdout,
            out.stderr
        );
        out
    }

    /// Runs and expects exit code `code` and `needle` on stderr.
    pub fn fails(&self, args: &[&str], code: i32, needle: &str) -> Out {
        let out = self.run(args);
        check_failure(args, &out, code, needle);
        out
    }

    /// `migrate revision ARGS`, then writes the SQL into the new file.
    /// Returns the revision id. `down: None` removes the downgrade section.
    pub fn revision(&self, args: &[&str], up: &str, down: Option<&str>) -> String {
        let mut all = vec!["revision"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        self.fill_generated(&out, up, down)
    }

    /// Fills the file named by a "Generating … done" line and returns its id.
    pub fn fill_generated(&self, out: &Out, up: &str, down: Option<&str>) -> String {
        let path = generated_path(out);
        let file = self.path().join(&path);
        let text = std::fs::read_to_string(&file).expect("read the generated revision");
        // The new file's sections: an empty upgrade, and a downgrade that
        // holds only the comment asking for the undo SQL.
        let sections = text
            .find("-- migrate:upgrade\n")
            .unwrap_or_else(|| panic!("unexpected new file:\n{text}"));
        assert!(
            text[sections..]
                .starts_with("-- migrate:upgrade\n\n\n-- migrate:downgrade\n-- Write the SQL"),
            "unexpected new file:\n{text}"
        );
        let body = match down {
            Some(down) => format!("-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n"),
            None => format!("-- migrate:upgrade\n{up}\n"),
        };
        let text = format!("{}{body}", &text[..sections]);
        std::fs::write(&file, text).expect("write the revision");
        header_value(&file, "revision")
    }

    /// The file of a revision, by id.
    pub fn file_of(&self, id: &str) -> PathBuf {
        std::fs::read_dir(self.migrations())
            .expect("list migrations")
            .map(|e| e.expect("entry").path())
            .find(|p| p.to_string_lossy().contains(&format!("-{id}_")))
            .unwrap_or_else(|| panic!("no file for revision {id}"))
    }

    /// The URL of an SQLite file `app.db` in the project.
    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}", self.path().join("app.db").display())
    }

    /// Marks revision `id` `transactional: false` (a header line above its
    /// `create_date`).
    pub fn make_non_transactional(&self, id: &str) {
        let file = self.file_of(id);
        let text = std::fs::read_to_string(&file).expect("read revision");
        std::fs::write(
            &file,
            text.replace(
                "-- create_date:",
                "-- transactional: false\n-- create_date:",
            ),
        )
        .expect("write revision");
    }
}

pub fn check_failure(args: &[&str], out: &Out, code: i32, needle: &str) {
    assert_eq!(
        out.code,
        code,
        "migrate {}: expected exit {code}:\n--- stdout\n{}--- stderr\n{}",
        shown(args),
        out.stdout,
        out.stderr
    );
    assert!(
        out.stderr.contains(needle),
        "migrate {}: stderr lacks {needle:?}:\n{}",
        shown(args),
        out.stderr
    );
    assert!(
        out.stderr.starts_with("error: "),
        "errors start with `error: `:\n{}",
        out.stderr
    );
}

/// The path printed by `revision`/`merge`.
pub fn generated_path(out: &Out) -> String {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("Generating "))
        .unwrap_or_else(|| panic!("no Generating line in:\n{}", out.stdout));
    line.trim_start_matches("Generating ")
        .trim_end_matches(" ... done")
        .to_owned()
}

/// A `-- key: value` header value of a revision file.
pub fn header_value(file: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(file).expect("read revision");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("-- {key}: ")))
        .unwrap_or_else(|| panic!("no {key} in {}", file.display()))
        .to_owned()
}

pub fn assert_no_password(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} printed the database password:\n{}",
        text.replace(PASSWORD, "<PASSWORD>")
    );
}

/// The arguments as they may be shown in a failure message.
fn shown(args: &[&str]) -> String {
    args.join(" ").replace(PASSWORD, "<PASSWORD>")
}

/// `(url without the password, password)` of a `postgres://` URL.
pub fn split_password(url: &str) -> (String, String) {
    let start = url.find("://").expect("scheme") + 3;
    let at = start + url[start..].find('@').expect("user info");
    let colon = start + url[start..at].find(':').expect("password");
    (
        format!("{}{}", &url[..colon], &url[at..]),
        url[colon + 1..at].to_owned(),
    )
}

/// The parts of a `postgres://user:password@host:port/db` URL.
pub struct PgParts {
    pub user: String,
    pub password: String,
    pub host: String,
    pub port: String,
    pub db: String,
}

pub fn pg_parts(url: &str) -> PgParts {
    let (_, password) = split_password(url);
    let rest = &url[url.find("://").expect("scheme") + 3..];
    let (userinfo, hostpart) = rest.split_once('@').expect("@");
    let user = userinfo.split(':').next().expect("user").to_owned();
    let (hostport, db) = hostpart.split_once('/').expect("db");
    let (host, port) = hostport.split_once(':').expect("port");
    PgParts {
        user,
        password,
        host: host.to_owned(),
        port: port.to_owned(),
        db: db.split('?').next().unwrap_or(db).to_owned(),
    }
}

/// The highest PostgreSQL version's `psql` (not /usr/bin/psql, a wrapper
/// that needs a cluster configuration).
pub fn psql() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql (apt-get install -y postgresql)")
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            let psql = e.path().join("bin/psql");
            psql.is_file().then_some((version, psql))
        })
        .collect();
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .expect("no /usr/lib/postgresql/*/bin/psql; install the postgresql package")
}

/// Applies an SQL script with the real psql, stopping at the first error.
pub fn apply_with_psql(url: &str, script: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("script.sql");
    std::fs::write(&file, script).expect("write script");
    let (url, password) = split_password(url);
    let output = Command::new(psql())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"])
        .arg(&file)
        .env("PGPASSWORD", password)
        .stdin(Stdio::null())
        .output()
        .expect("run psql");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_no_password("psql", &stdout);
    assert_no_password("psql", &stderr);
    assert!(
        output.status.success(),
        "psql failed on the offline script:\n{stderr}\n--- script\n{script}"
    );
}

/// Tables, columns, indexes and constraints of the public schema, plus the
/// history rows, as sorted lines: two databases with equal fingerprints
/// have the same schema and history.
pub async fn pg_fingerprint(url: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect(url).await.expect("connect");
    let mut lines: Vec<String> = sqlx::query_scalar(
        "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') \
           FROM information_schema.columns WHERE table_schema = 'public' \
         UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
         UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
           FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
         UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(p.prosrc) \
           FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace \
         UNION ALL SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(t.oid) \
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal \
         ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("catalog query");
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT 'history ' || seq || ' ' || revision || ' ' || checksum || ' ' || state || ' ' || statements_done || ' ' || coalesce(message, '') \
           FROM migrate_history ORDER BY seq",
    )
    .fetch_all(&pool)
    .await
    .expect("history query");
    lines.extend(history);
    pool.close().await;
    lines
}
