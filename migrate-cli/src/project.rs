//! The project on disk (`migrate.toml`, the migration directory) and the
//! database connection.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use migrate_core::Config;
use migrate_runtime::DatabaseUrl;
use migrate_runtime::sqlx::Connection as _;
use migrate_runtime::sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use migrate_runtime::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use migrate_runtime::sqlx::{PgPool, SqlitePool};

use crate::env::{Env, UrlSource, resolve_url};
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
        let config = match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&shown, &text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
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
        })
    }

    /// How the declared schema file is named in messages.
    pub fn schema_display(&self) -> String {
        self.schema.display().to_string()
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
    /// Errors name the URL redacted; the driver's text is scrubbed when
    /// printed.
    pub async fn connect(
        url: &DatabaseUrl,
        source: UrlSource,
        create: bool,
    ) -> anyhow::Result<Pool> {
        let failed = || format!("could not connect to {url} (from {source})");
        match url.scheme().as_str() {
            "postgres" | "postgresql" => {
                let options = PgConnectOptions::from_str(url.expose()).with_context(failed)?;
                // One direct attempt first: a pool retries a refused
                // connection until its timeout and then only says "timed
                // out", where the driver's own error says what is wrong.
                let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                    .await
                    .map_err(|_| anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))
                    .with_context(failed)?
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
            "sqlite" => {
                let mut options = SqliteConnectOptions::from_str(url.expose()).with_context(failed)?;
                // Otherwise the URL decides (`?mode=rwc` creates too).
                if create {
                    options = options.create_if_missing(true);
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .with_context(failed)?;
                Ok(Pool::Sqlite(pool))
            }
            other => Err(Usage(format!(
                "unsupported database URL scheme `{other}` in {url} (from {source}); use postgres://… or sqlite://…"
            ))
            .into()),
        }
    }

    pub async fn close(self) {
        on_pool!(self, p => p.close().await);
    }
}

/// The database URL for a command that needs one, or the usage error that
/// says how to give it.
pub(crate) fn require_url(
    flag: Option<&str>,
    config: Option<&Config>,
) -> anyhow::Result<(DatabaseUrl, UrlSource)> {
    find_url(flag, config)?.ok_or_else(|| {
        Usage(
            "no database URL; pass --database-url, set DATABASE_URL (or POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB), in the environment or in .env, or set database_url in migrate.toml".into(),
        )
        .into()
    })
}

/// The database URL if one is configured anywhere.
pub(crate) fn find_url(
    flag: Option<&str>,
    config: Option<&Config>,
) -> anyhow::Result<Option<(DatabaseUrl, UrlSource)>> {
    let env = Env::load(Path::new(".")).map_err(Usage)?;
    Ok(resolve_url(
        flag,
        &env,
        config.and_then(|c| c.database_url.as_deref()),
    ))
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
