//! The project on disk (`migrate.toml`, the migration directory) and the
//! database connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use migrate_core::{Config, Dialect};
use migrate_runtime::DatabaseUrl;
use migrate_runtime::sqlx::Connection as _;
use migrate_runtime::sqlx::postgres::{PgConnection, PgPoolOptions};
use migrate_runtime::sqlx::sqlite::SqlitePoolOptions;
use migrate_runtime::sqlx::{PgPool, SqlitePool};

use crate::env::{Env, FileOrigin, Resolved, UrlSource, resolve_url};
use crate::error::Usage;

/// `migrate.toml` and the directory it names.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub config: Config,
    /// Where the migrations are, for reading and writing.
    pub dir: PathBuf,
    /// How the directory is named in messages (relative to the working
    /// directory, as the user would type it).
    pub display: String,
    /// The declared schema (`schema` in migrate.toml, relative to it).
    pub schema: PathBuf,
    /// The config file read, if any (its owner matters for `database_url`).
    pub file: Option<PathBuf>,
}

impl Project {
    /// Reads the config file: `explicit` must exist; otherwise the nearest
    /// `migrate.toml` in the working directory or a parent (as Cargo finds
    /// `Cargo.toml`), and with none every setting has its default.
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Project> {
        let found = match explicit {
            Some(_) => None,
            None => find_config(),
        };
        let path = explicit
            .or(found.as_deref())
            .unwrap_or(Path::new(migrate_core::CONFIG_FILE));
        let shown = path.display().to_string();
        let mut file = Some(path.to_owned());
        let config = match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&shown, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                file = None;
                Config::default()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Usage(format!(
                    "{shown}: config file not found; fix the --config path, or create one with `migrate --config {shown} init`"
                ))
                .into());
            }
            Err(e) => {
                return Err(Usage(format!(
                    "{shown}: cannot read: {e}; check that it is a readable file"
                ))
                .into());
            }
        };
        let mut config = config;
        let base = path.parent().unwrap_or(Path::new(""));
        if let Some(url) = &config.database_url {
            config.database_url = Some(sqlite_relative_to(url, base));
        }
        let dir = base.join(&config.directory);
        let display = dir.display().to_string();
        let schema = base.join(&config.schema);
        Ok(Project {
            config,
            dir,
            display,
            schema,
            file,
        })
    }

    /// How the declared schema file is named in messages.
    pub fn schema_display(&self) -> String {
        self.schema.display().to_string()
    }

    /// The migration directory, read and checked as `migrate.toml` says.
    pub fn load_migrations(&self) -> Result<migrate_core::Migrations, migrate_core::Errors> {
        migrate_core::load_directory_with(
            &self.dir,
            &self.display,
            &self.config.dialects,
            migrate_core::HeadRule::Merged,
            self.config.max_file_size,
        )
    }
}

/// A relative SQLite file in migrate.toml's `database_url` is relative to
/// the file, like its other paths, so that every directory below it finds
/// the same database. Absolute paths, `:memory:` and other schemes are
/// left as written.
fn sqlite_relative_to(url: &str, base: &Path) -> String {
    if base.as_os_str().is_empty() {
        return url.to_owned();
    }
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return url.to_owned();
    };
    let (slashes, file) = match rest.strip_prefix("//") {
        Some(file) => ("//", file),
        None => ("", rest),
    };
    if file.is_empty() || file.starts_with('/') || file.starts_with(":memory:") {
        return url.to_owned();
    }
    let base = base.to_string_lossy().replace('\\', "/");
    format!("sqlite:{slashes}{}/{file}", base.trim_end_matches('/'))
}

/// The nearest `migrate.toml` at or above the working directory, as a
/// relative path (`migrate.toml`, `../migrate.toml`, …) so that messages
/// name files the way the user would type them.
fn find_config() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut relative = PathBuf::new();
    for dir in cwd.ancestors() {
        let candidate = dir.join(migrate_core::CONFIG_FILE);
        if candidate.is_file() {
            return Some(relative.join(migrate_core::CONFIG_FILE));
        }
        relative.push("..");
    }
    None
}

/// How long to wait for a database to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection pool to one of the supported databases.
pub(crate) enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// Runs `$body` with `$pool` bound to the concrete pool.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::project::Pool::Pg($p) => $body,
            $crate::project::Pool::Sqlite($p) => $body,
        }
    };
}
pub(crate) use on_pool;

impl Pool {
    /// Connects. `create` makes a missing SQLite file (upgrade and stamp
    /// start from nothing; reading commands should not leave files behind).
    ///
    /// The URL is checked first (`DatabaseUrl::check`: unknown parameters,
    /// raw characters in the password, …). Errors name it redacted.
    pub async fn connect(
        url: &DatabaseUrl,
        source: UrlSource,
        create: bool,
    ) -> anyhow::Result<Pool> {
        let failed = || format!("could not connect to {url} (from {source})");
        let dialect = url
            .check()
            .map_err(|e| anyhow::Error::new(Usage(format!("{source}: {e}"))))?;
        match dialect {
            Dialect::Postgres => {
                let options = url
                    .pg_connect_options()
                    .map_err(|e| anyhow::Error::new(Usage(format!("{source}: {e}"))))?;
                // One direct attempt first: a pool retries a refused
                // connection until its timeout and then only says "timed
                // out", where the driver's own error says what is wrong.
                let probe =
                    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                        .await
                        .map_err(|_| anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))
                        .with_context(failed)?
                        .map_err(|e| with_password_hint(url, e))
                        .with_context(failed)?;
                let _ = probe.close().await;
                let pool = PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .with_context(failed)?;
                Ok(Pool::Pg(pool))
            }
            Dialect::Sqlite => {
                let mut options = url
                    .sqlite_connect_options()
                    .map_err(|e| anyhow::Error::new(Usage(format!("{source}: {e}"))))?;
                // Otherwise the URL decides (`?mode=rwc` creates too).
                if create {
                    options = options.create_if_missing(true);
                }
                let file = options.get_filename().to_path_buf();
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(|e| {
                        let e = anyhow::Error::new(e).context(failed());
                        if file.as_os_str() != ":memory:" && !file.exists() {
                            // A reading command on a project whose database
                            // was never created.
                            e.context(format!(
                                "the database file {} does not exist yet; `migrate upgrade head` \
                                 creates it (commands that only read, such as `check` and \
                                 `revision --autogenerate`, do not create files; `--shadow` \
                                 compares with an in-memory database instead)",
                                crate::output::one_line(&file.display().to_string())
                            ))
                        } else {
                            e
                        }
                    })?;
                Ok(Pool::Sqlite(pool))
            }
        }
    }

    pub async fn close(self) {
        on_pool!(self, p => p.close().await);
    }
}

/// A failed login without any password gets the three places one can come
/// from.
fn with_password_hint(url: &DatabaseUrl, e: migrate_runtime::sqlx::Error) -> anyhow::Error {
    let refused_login = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "28P01" || code == "28000");
    let pgpassword = std::env::var_os("PGPASSWORD").is_some_and(|v| !v.is_empty());
    if refused_login && !url.has_password() && !pgpassword {
        anyhow!(
            "{e}; the URL has no password and PGPASSWORD is unset (a ~/.pgpass entry, if any, did not match or was wrong): put it in the URL (postgres://user:PASSWORD@host/db, percent-encoded), or set PGPASSWORD, or POSTGRES_PASSWORD with the other POSTGRES_* variables"
        )
    } else {
        anyhow::Error::new(e)
    }
}

/// The database URL for a command that needs one, or the usage error that
/// says how to give it.
pub(crate) fn require_url(
    flag: Option<&str>,
    project: Option<&Project>,
) -> anyhow::Result<(DatabaseUrl, UrlSource)> {
    find_url(flag, project)?.ok_or_else(|| {
        Usage(
            "no database URL; pass --database-url, set DATABASE_URL (or POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB), in the environment or in .env, or set database_url in migrate.toml".into(),
        )
        .into()
    })
}

/// The database URL if one is configured anywhere.
pub(crate) fn find_url(
    flag: Option<&str>,
    project: Option<&Project>,
) -> anyhow::Result<Option<(DatabaseUrl, UrlSource)>> {
    Ok(resolve(flag, project)?.map(|r| (r.url, r.source)))
}

/// The database URL and where each of its parts came from. A password from
/// the environment is refused for a host chosen by a file someone else owns.
pub(crate) fn resolve(
    flag: Option<&str>,
    project: Option<&Project>,
) -> anyhow::Result<Option<Resolved>> {
    // With --database-url nothing in .env can matter: a broken one does not
    // stop the command.
    let env = match flag {
        Some(_) => Env::default(),
        None => Env::load(Path::new(".")).map_err(Usage)?,
    };
    let config = project.and_then(|p| {
        let url = p.config.database_url.as_deref()?;
        let file = p
            .file
            .as_deref()
            .unwrap_or(Path::new(migrate_core::CONFIG_FILE));
        Some((url, FileOrigin::of(file)))
    });
    let Some(resolved) = resolve_url(flag, &env, config) else {
        return Ok(None);
    };
    resolved.check_password_destination().map_err(Usage)?;
    Ok(Some(resolved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_sqlite_files_in_the_config_are_relative_to_it() {
        let up = Path::new("../..");
        assert_eq!(
            sqlite_relative_to("sqlite://app.db", up),
            "sqlite://../../app.db"
        );
        assert_eq!(
            sqlite_relative_to("sqlite:app.db?mode=rwc", up),
            "sqlite:../../app.db?mode=rwc"
        );
        assert_eq!(
            sqlite_relative_to("sqlite://app.db", Path::new("")),
            "sqlite://app.db"
        );
        for kept in [
            "sqlite:///var/app.db",
            "sqlite::memory:",
            "sqlite://:memory:",
            "postgres://h/db",
        ] {
            assert_eq!(sqlite_relative_to(kept, up), kept);
        }
    }
}
