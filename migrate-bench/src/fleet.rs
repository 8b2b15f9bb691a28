//! Fleets: one `migrate` process over many databases
//! (`--each-database FILE`) against a loop of single runs
//! (`migrate upgrade head --database-url URL`, one process per database),
//! as a shell script would do it.
//!
//! ```sh
//! cargo run --release -p migrate-bench -- --fleet --members 500 --revisions 10 --servers 2
//! ```
//!
//! For each database (`--db`, default `sqlite,postgres`) it makes
//! `--members` empty databases (new SQLite files; on PostgreSQL new
//! databases, spread over `--servers` servers: the bench's own, and with 2
//! a second one on the next port), a project of `--revisions` revisions
//! each creating a table, then times, as whole processes with their peak
//! RSS (`/usr/bin/time -f %M`):
//! - **apply all**: the fleet (`upgrade head --each-database`, with
//!   `--concurrency` members at a time and no canary), then on new
//!   databases the loop;
//! - **start-up at head**: the same commands again, with nothing pending.
//!
//! The `migrate` binary is built in release into the bench's target
//! directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sqlx::{Connection, PgConnection};

use crate::autogen::{build_migrate, pg_db_url, run_migrate};
use crate::{Db, fmt_duration};

struct Options {
    members: usize,
    revisions: usize,
    servers: usize,
    concurrency: usize,
    dbs: Vec<Db>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        members: 500,
        revisions: 10,
        servers: 1,
        concurrency: 4,
        dbs: vec![Db::Sqlite, Db::Postgres],
    };
    crate::each_flag(args, |key, value| {
        let number = |v: String| -> Result<usize> {
            v.trim()
                .parse()
                .with_context(|| format!("{key} takes a number"))
        };
        match key {
            "--members" => o.members = number(value()?)?,
            "--revisions" => o.revisions = number(value()?)?,
            "--servers" => o.servers = number(value()?)?,
            "--concurrency" => o.concurrency = number(value()?)?,
            "--db" => o.dbs = crate::parse_dbs(&value()?)?,
            other => bail!(
                "unknown option `{other}` for --fleet; the options are --members, --revisions, --servers, --concurrency, --db"
            ),
        }
        Ok(())
    })?;
    if o.members == 0 || o.revisions == 0 || !(1..=2).contains(&o.servers) {
        bail!("--members and --revisions take at least 1, --servers 1 or 2");
    }
    Ok(o)
}

/// The second server: the bench's, one port up, in its own directory.
const SECOND_PORT: &str = "55436";

fn second_dir() -> PathBuf {
    PathBuf::from("/dev/shm/migrate-bench-pg-second")
}

pub async fn main(args: &[String]) -> Result<()> {
    let o = parse_args(args)?;
    let migrate = build_migrate()?;
    let mut rows = Vec::new();
    for &db in &o.dbs {
        rows.extend(measure(&o, db, &migrate).await?);
    }
    println!(
        "\n{} databases, {} revisions each, concurrency {}{}:\n",
        o.members,
        o.revisions,
        o.concurrency,
        if o.servers == 2 {
            ", PostgreSQL members over two servers"
        } else {
            ""
        }
    );
    println!("| database | workload | fleet | loop of single runs | loop / fleet |");
    println!("|---|---|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} ({}) | {} ({}) | {:.1}x |",
            r.db,
            r.workload,
            fmt_duration(r.fleet),
            mib(r.fleet_rss_kb),
            fmt_duration(r.looped),
            mib(r.loop_rss_kb),
            r.looped.as_secs_f64() / r.fleet.as_secs_f64()
        );
    }
    Ok(())
}

fn mib(kb: Option<u64>) -> String {
    kb.map_or_else(
        || "RSS unknown".into(),
        |kb| format!("{:.0} MiB", kb as f64 / 1024.0),
    )
}

struct Row {
    db: Db,
    workload: &'static str,
    fleet: Duration,
    fleet_rss_kb: Option<u64>,
    looped: Duration,
    /// The largest of the loop's processes.
    loop_rss_kb: Option<u64>,
}

/// Two sets of members (one for the fleet, one for the loop), so that
/// each starts from empty databases.
async fn measure(o: &Options, db: Db, migrate: &Path) -> Result<Vec<Row>> {
    let project = tempfile::Builder::new()
        .prefix("migrate-bench-fleet-")
        .tempdir()?;
    let dir = project.path();
    std::fs::create_dir(dir.join("migrations"))?;
    std::fs::write(
        dir.join("migrate.toml"),
        format!("directory = \"migrations\"\ndialect = \"{db}\"\n"),
    )?;
    let mut parent = "None".to_owned();
    for i in 1..=o.revisions {
        let id = format!("fleet{i:07}");
        std::fs::write(
            dir.join("migrations").join(format!("{i:04}-{id}_t{i}.sql")),
            format!(
                "-- revision: {id}\n-- down_revision: {parent}\n-- message: t{i}\n\n-- migrate:upgrade\nCREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT);\n\n-- migrate:downgrade\nDROP TABLE t{i};\n"
            ),
        )?;
        parent = id;
    }
    let servers = match db {
        Db::Sqlite => Vec::new(),
        Db::Postgres => {
            let mut s = vec![crate::pg_admin_url(None)?];
            if o.servers == 2 {
                s.push(crate::bench_pg_at(&second_dir(), SECOND_PORT, "start")?);
            }
            s
        }
    };
    let fleet_urls = members(db, dir, &servers, "f", o.members);
    let loop_urls = members(db, dir, &servers, "l", o.members);
    for urls in [&fleet_urls, &loop_urls] {
        create(db, &servers, urls).await?;
    }
    let list = dir.join("fleet.txt");
    std::fs::write(&list, fleet_urls.join("\n"))?;
    let list_arg = list.to_string_lossy().into_owned();
    let concurrency = o.concurrency.to_string();
    let fleet_args = [
        "upgrade",
        "head",
        "--each-database",
        &list_arg,
        "--canary",
        "0",
        "--concurrency",
        &concurrency,
    ];
    let mut rows = Vec::new();
    for workload in ["apply all", "start-up at head"] {
        eprintln!("{db} {workload}: fleet of {}", o.members);
        let fleet = run_migrate(migrate, dir, "", &fleet_args)?;
        if fleet.code != 0 {
            bail!("the fleet run failed:\n{}\n{}", fleet.stdout, fleet.stderr);
        }
        eprintln!("{db} {workload}: loop of {}", o.members);
        let started = Instant::now();
        let mut loop_rss_kb: Option<u64> = None;
        for url in &loop_urls {
            let run = run_migrate(
                migrate,
                dir,
                "",
                &["upgrade", "head", "--database-url", url],
            )?;
            if run.code != 0 {
                bail!("a single run failed:\n{}", run.stderr);
            }
            loop_rss_kb = loop_rss_kb.max(run.rss_kb);
        }
        rows.push(Row {
            db,
            workload,
            fleet: fleet.wall,
            fleet_rss_kb: fleet.rss_kb,
            looped: started.elapsed(),
            loop_rss_kb,
        });
    }
    if db == Db::Postgres {
        for urls in [&fleet_urls, &loop_urls] {
            drop_all(&servers, urls).await?;
        }
        if o.servers == 2 {
            crate::bench_pg_at(&second_dir(), SECOND_PORT, "stop")?;
            let _ = std::fs::remove_dir_all(second_dir());
        }
        crate::stop_bench_pg(None);
    }
    Ok(rows)
}

/// The members' URLs: files in `dir`, or databases spread over `servers`
/// in turn (without TLS, as a fleet on a private network would run).
fn members(db: Db, dir: &Path, servers: &[String], set: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match db {
            Db::Sqlite => format!("sqlite://{}", dir.join(format!("{set}{i}.db")).display()),
            Db::Postgres => {
                let admin = &servers[i % servers.len()];
                let url = pg_db_url(admin, &format!("bench_fleet_{set}{i}"))
                    .unwrap_or_else(|_| admin.clone());
                format!(
                    "{url}{}sslmode=disable",
                    if url.contains('?') { '&' } else { '?' }
                )
            }
        })
        .collect()
}

fn database_of(url: &str) -> &str {
    let path = url.split('?').next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or(path)
}

/// New, empty members (PostgreSQL: dropped first if a run left them).
async fn create(db: Db, servers: &[String], urls: &[String]) -> Result<()> {
    if db == Db::Sqlite {
        return Ok(());
    }
    for (s, admin) in servers.iter().enumerate() {
        let mut conn = PgConnection::connect(admin).await?;
        for url in urls.iter().skip(s).step_by(servers.len()) {
            let name = database_of(url);
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await?;
            sqlx::raw_sql(&format!("CREATE DATABASE {name} STRATEGY FILE_COPY"))
                .execute(&mut conn)
                .await
                .with_context(|| format!("creating {name}"))?;
        }
        conn.close().await?;
    }
    Ok(())
}

async fn drop_all(servers: &[String], urls: &[String]) -> Result<()> {
    for (s, admin) in servers.iter().enumerate() {
        let mut conn = PgConnection::connect(admin).await?;
        for url in urls.iter().skip(s).step_by(servers.len()) {
            sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                database_of(url)
            ))
            .execute(&mut conn)
            .await?;
        }
        conn.close().await?;
    }
    Ok(())
}
