//! W4: what `embed_migrations!` costs at build time.
//!
//! ```sh
//! cargo run --release -p migrate-bench -- --build --n 100,1000,10000 --runs 3
//! ```
//!
//! Generates a scratch application crate in a work directory (a path
//! dependency on this checkout's `migrate-runtime`, its own target directory
//! per configuration, the workspace's `Cargo.lock` as a starting point so the
//! same dependency versions are built), fills its `migrations/` with the
//! revisions of W1 (`crate::revision_sql`) and times `cargo build` (the
//! default `dev` profile, as a user builds) in these cases:
//!
//! * **full clean build**: an empty target directory, dependencies included,
//!   at `--clean-n` revisions, once per configuration: `exact` (default
//!   features of `migrate-runtime`: `postgres-exact` and `sqlite-exact` on),
//!   `noexact` (`default-features = false, features = ["postgres",
//!   "sqlite"]`) and `none` (no `migrate-runtime`, only the `sqlx` and `tokio`
//!   an application needs anyway, and no macro);
//! * **crate clean build**: dependencies already built, `cargo clean -p
//!   w4app` then `cargo build`; with the macro (and the build script it
//!   requires) and without both (same `Cargo.toml`, `main.rs` without the
//!   macro line, no `build.rs`);
//! * **unrelated edit**: `main.rs` edited (a string changes), then `cargo build`;
//! * **one migration edit**: a comment line appended to one revision's
//!   upgrade section, then `cargo build` (the build script reruns, then the
//!   crate).
//!
//! Every crate build runs with `MIGRATE_MACRO_TIMING=1`, so the macro prints
//! its own expansion time (see `migrate-macros/src/timing.rs`), and under
//! `/usr/bin/time -f %M` for the peak resident set size of the largest
//! process of the build (cargo, the build script, or rustc compiling the
//! crate and expanding the macro; the dependencies are fresh, so nothing
//! else runs). Each case runs `--runs` times; the median is printed. Progress
//! goes to stderr, the Markdown table to stdout.
//!
//! Options: `--n` (default `100,1000,10000`), `--runs` (default 3),
//! `--configs` (default `exact,noexact`), `--clean-n` (default 1000; `0`
//! skips the full clean builds), `--work DIR` (default: a new temporary
//! directory, removed at the end; a given one is kept and its target
//! directories reused), `--profile-overrides` (adds `opt-level = 3` for
//! migrate-macros, migrate-core, sqlparser, pg_query and prost to the scratch
//! crate's `Cargo.toml`; the figures in docs/performance.md do not use it),
//! `--dialect` (default `any`: no `migrate.toml`; `postgres`, `sqlite` or
//! `both` write one with that dialect setting, which decides which checks
//! run, the schema fold among them).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Name of the scratch crate (for `cargo clean -p`).
const CRATE: &str = "w4app";

/// What a user adds to build the macro and its parsers optimised.
const PROFILE_OVERRIDES: &str = r#"
[profile.dev.package.migrate-macros]
opt-level = 3
[profile.dev.package.migrate-core]
opt-level = 3
[profile.dev.package.sqlparser]
opt-level = 3
[profile.dev.package.pg_query]
opt-level = 3
[profile.dev.package.prost]
opt-level = 3
"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Config {
    /// Default features of `migrate-runtime` (exact checks on).
    Exact,
    /// `postgres` and `sqlite` only: sqlparser alone checks.
    NoExact,
    /// No `migrate-runtime` at all (the reference for full clean builds).
    None,
}

impl Config {
    fn name(self) -> &'static str {
        match self {
            Config::Exact => "exact",
            Config::NoExact => "noexact",
            Config::None => "none",
        }
    }

    fn parse(s: &str) -> Result<Config> {
        Ok(match s {
            "exact" => Config::Exact,
            "noexact" => Config::NoExact,
            _ => bail!("unknown configuration `{s}`; use exact or noexact"),
        })
    }
}

struct Options {
    ns: Vec<usize>,
    runs: usize,
    configs: Vec<Config>,
    clean_n: usize,
    work: Option<PathBuf>,
    profile_overrides: bool,
    /// The scratch crate's `migrate.toml`, if any.
    migrate_toml: Option<&'static str>,
    dialect: String,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        ns: vec![100, 1000, 10000],
        runs: 3,
        configs: vec![Config::Exact, Config::NoExact],
        clean_n: 1000,
        work: None,
        profile_overrides: false,
        migrate_toml: None,
        dialect: "any".into(),
    };
    crate::each_flag(args, |key, value| {
        match key {
            "--n" => {
                o.ns = value()?
                    .split(',')
                    .map(|s| s.trim().parse().context("--n takes numbers"))
                    .collect::<Result<_>>()?
            }
            "--runs" => o.runs = value()?.parse().context("--runs takes a number")?,
            "--configs" => {
                o.configs = value()?
                    .split(',')
                    .map(|s| Config::parse(s.trim()))
                    .collect::<Result<_>>()?
            }
            "--clean-n" => o.clean_n = value()?.parse().context("--clean-n takes a number")?,
            "--work" => o.work = Some(PathBuf::from(value()?)),
            "--profile-overrides" => o.profile_overrides = true,
            "--dialect" => {
                let d = value()?;
                o.migrate_toml = match d.as_str() {
                    "any" => None,
                    "postgres" => Some("dialect = \"postgres\"\n"),
                    "sqlite" => Some("dialect = \"sqlite\"\n"),
                    "both" => Some("dialects = [\"postgres\", \"sqlite\"]\n"),
                    other => bail!("--dialect takes any, postgres, sqlite or both, not `{other}`"),
                };
                o.dialect = d;
            }
            other => bail!(
                "unknown option `{other}` for --build; the options are --n, --runs, --configs, --clean-n, --work, --profile-overrides, --dialect"
            ),
        }
        Ok(())
    })?;
    if o.runs == 0 || o.ns.contains(&0) {
        bail!("--runs and every --n must be at least 1");
    }
    Ok(o)
}

/// The scratch crate of one configuration.
struct Scratch {
    config: Config,
    app: PathBuf,
    target: PathBuf,
    profile_overrides: bool,
    migrate_toml: Option<&'static str>,
    /// Counter that makes every edit different.
    edits: usize,
}

/// The result of one `cargo build`.
struct Build {
    wall: Duration,
    /// `total_ms` of the macro's timing line, if it expanded.
    expansion: Option<Duration>,
    /// `load_ms`.
    load: Option<Duration>,
    cache: Option<String>,
    /// Peak RSS in kB of the largest process of the build.
    rss_kb: Option<u64>,
}

fn main_rs(with_macro: bool, runtime: bool, edit: usize) -> String {
    let mut s = String::from("// Scratch crate of migrate-bench --build.\n");
    if with_macro {
        s.push_str(
            "use migrate_runtime::{Migrator, embed_migrations};\n\n\
             static MIGRATOR: Migrator = embed_migrations!(\"migrations\");\n\n",
        );
    }
    s.push_str("fn main() {\n");
    let _ = writeln!(s, "    println!(\"edit {edit}\");");
    if with_macro {
        s.push_str("    println!(\"{} revisions\", MIGRATOR.revisions().len());\n");
    } else if runtime {
        // The same runtime is linked either way: without the macro, the
        // directory is loaded at run time.
        s.push_str(
            "    let m = migrate_runtime::Migrator::from_directory(\n        \
             std::path::Path::new(\"migrations\"),\n        \"migrations\",\n        \
             &Default::default(),\n    );\n    \
             println!(\"{} revisions\", m.map_or(0, |m| m.revisions().len()));\n",
        );
    }
    // The same dependencies are used either way.
    s.push_str("    let _ = tokio::runtime::Builder::new_current_thread().build();\n");
    s.push_str("    let _ = std::any::type_name::<sqlx::Error>();\n");
    s.push_str("}\n");
    s
}

impl Scratch {
    fn new(
        work: &Path,
        config: Config,
        profile_overrides: bool,
        migrate_toml: Option<&'static str>,
    ) -> Result<Scratch> {
        let root = work.join(config.name());
        let app = root.join("app");
        std::fs::create_dir_all(app.join("src"))?;
        let s = Scratch {
            config,
            app,
            target: root.join("target"),
            profile_overrides,
            migrate_toml,
            edits: 0,
        };
        s.write_manifest()?;
        Ok(s)
    }

    fn write_manifest(&self) -> Result<()> {
        let runtime = workspace_root().join("migrate-runtime");
        let runtime = runtime.display();
        let mut toml = format!(
            "[package]\nname = \"{CRATE}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\n\
             sqlx = {{ version = \"0.8.6\", default-features = false, features = [\"runtime-tokio\", \"postgres\", \"sqlite\"] }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n"
        );
        match self.config {
            Config::Exact => {
                let _ = writeln!(toml, "migrate-runtime = {{ path = \"{runtime}\" }}");
            }
            Config::NoExact => {
                let _ = writeln!(
                    toml,
                    "migrate-runtime = {{ path = \"{runtime}\", default-features = false, features = [\"postgres\", \"sqlite\"] }}"
                );
            }
            Config::None => {}
        }
        if self.config != Config::None {
            let _ = write!(
                toml,
                "\n[build-dependencies]\nmigrate-runtime = {{ path = \"{runtime}\", default-features = false }}\n"
            );
        }
        if self.profile_overrides {
            toml.push_str(PROFILE_OVERRIDES);
        }
        write_if_changed(&self.app.join("Cargo.toml"), &toml)?;
        let settings = self.app.join("migrate.toml");
        match self.migrate_toml {
            Some(text) => write_if_changed(&settings, text)?,
            None if settings.exists() => std::fs::remove_file(&settings)?,
            None => {}
        }
        let lock = self.app.join("Cargo.lock");
        if !lock.exists() {
            std::fs::copy(workspace_root().join("Cargo.lock"), &lock)
                .context("copying the workspace Cargo.lock")?;
        }
        Ok(())
    }

    /// `main.rs` and `build.rs` of the variant with or without the macro.
    fn set_variant(&mut self, with_macro: bool) -> Result<()> {
        write_if_changed(
            &self.app.join("src/main.rs"),
            &main_rs(with_macro, self.config != Config::None, self.edits),
        )?;
        let build_rs = self.app.join("build.rs");
        if with_macro {
            write_if_changed(
                &build_rs,
                "fn main() {\n    migrate_runtime::build::watch(\"migrations\");\n}\n",
            )?;
        } else if build_rs.exists() {
            std::fs::remove_file(&build_rs)?;
        }
        Ok(())
    }

    /// Replaces `migrations/` with the first `n` revisions of W1.
    fn set_migrations(&self, n: usize) -> Result<()> {
        let dir = self.app.join("migrations");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        for i in 0..n {
            let (name, text) = revision_file(i);
            std::fs::write(dir.join(name), text)?;
        }
        Ok(())
    }

    fn edit_main(&mut self, with_macro: bool) -> Result<()> {
        self.edits += 1;
        std::fs::write(
            self.app.join("src/main.rs"),
            main_rs(with_macro, self.config != Config::None, self.edits),
        )?;
        Ok(())
    }

    /// Appends a comment to the upgrade section of revision `i` (its last line).
    fn edit_migration(&mut self, i: usize) -> Result<()> {
        self.edits += 1;
        let (name, text) = revision_file(i);
        // The file ends with the downgrade section; a comment there is as
        // good as anywhere for the checksum and the validation.
        let text = format!("{text}-- edited {}\n", self.edits);
        std::fs::write(self.app.join("migrations").join(name), text)?;
        Ok(())
    }

    fn restore_migration(&self, i: usize) -> Result<()> {
        let (name, text) = revision_file(i);
        std::fs::write(self.app.join("migrations").join(name), text)?;
        Ok(())
    }

    /// `program` with the environment of every cargo run of the scratch crate.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(&self.app)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("MIGRATE_MACRO_TIMING", "1")
            // The caller's settings must not leak in.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_PROFILE_DEV_OPT_LEVEL");
        c
    }

    fn clean_crate(&self) -> Result<()> {
        let status = self
            .command("cargo")
            .args(["clean", "-p", CRATE, "--quiet"])
            .status()
            .context("running cargo clean")?;
        if !status.success() {
            bail!("cargo clean -p {CRATE} failed");
        }
        Ok(())
    }

    /// `cargo build` under `/usr/bin/time`, timed by wall clock.
    fn build(&self) -> Result<Build> {
        self.cargo_run("build")
    }

    /// `cargo <subcommand>` (build or check) under `/usr/bin/time`, timed by wall clock.
    fn cargo_run(&self, subcommand: &str) -> Result<Build> {
        let rss_file = self.app.join("rss.txt");
        let _ = std::fs::remove_file(&rss_file);
        let mut cmd = if Path::new("/usr/bin/time").exists() {
            let mut c = self.command("/usr/bin/time");
            c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg("cargo");
            c
        } else {
            self.command("cargo")
        };
        cmd.args([subcommand, "--message-format=short"]);
        let started = Instant::now();
        let out = cmd.output().context("running cargo build")?;
        let wall = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!(
                "cargo {subcommand} failed in {}:\n{stderr}",
                self.app.display()
            );
        }
        let mut build = Build {
            wall,
            expansion: None,
            load: None,
            cache: None,
            rss_kb: std::fs::read_to_string(&rss_file)
                .ok()
                .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok())),
        };
        for line in stderr.lines() {
            let Some(rest) = line.split("migrate-macros timing:").nth(1) else {
                continue;
            };
            for field in rest.split_whitespace() {
                match field.split_once('=') {
                    Some(("total_ms", v)) => build.expansion = parse_ms(v),
                    Some(("load_ms", v)) => build.load = parse_ms(v),
                    Some(("cache", v)) => build.cache = Some(v.to_owned()),
                    _ => {}
                }
            }
        }
        Ok(build)
    }
}

fn parse_ms(v: &str) -> Option<Duration> {
    v.parse::<f64>()
        .ok()
        .map(|ms| Duration::from_secs_f64(ms / 1e3))
}

pub(crate) fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("migrate-bench is inside the workspace")
        .to_path_buf()
}

/// File name and text of revision `i`, as W1 writes them.
pub(crate) fn revision_file(i: usize) -> (String, String) {
    let id = crate::revision_id(i);
    let rev = crate::revision_sql(i);
    let mut file = format!("-- revision: {id}\n");
    if i == 0 {
        file.push_str("-- down_revision: None\n");
    } else {
        let _ = writeln!(file, "-- down_revision: {}", crate::revision_id(i - 1));
    }
    let _ = writeln!(file, "-- message: create table bench_t{i}\n");
    file.push_str("-- migrate:upgrade\n");
    for s in &rev.up {
        let _ = writeln!(file, "{s};");
    }
    file.push_str("\n-- migrate:downgrade\n");
    for s in &rev.down {
        let _ = writeln!(file, "{s};");
    }
    (format!("2026_01_01_0000-{id}_t{i}.sql"), file)
}

fn median(mut v: Vec<Duration>) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

fn fmt(d: Option<Duration>) -> String {
    match d {
        Some(d) if d >= Duration::from_secs(1) => format!("{:.2} s", d.as_secs_f64()),
        Some(d) => format!("{:.0} ms", d.as_secs_f64() * 1e3),
        None => "—".into(),
    }
}

fn fmt_rss(kb: Option<u64>) -> String {
    kb.map_or_else(|| "—".into(), |kb| format!("{} MiB", kb / 1024))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Medians of one case over the runs.
#[derive(Default)]
struct Case {
    wall: Vec<Duration>,
    expansion: Vec<Duration>,
    load: Vec<Duration>,
    cache: Vec<String>,
    rss_kb: Option<u64>,
}

impl Case {
    fn push(&mut self, b: Build) {
        self.wall.push(b.wall);
        self.expansion.extend(b.expansion);
        self.load.extend(b.load);
        self.cache.extend(b.cache);
        self.rss_kb = self.rss_kb.max(b.rss_kb);
    }
    fn wall(&self) -> Option<Duration> {
        median(self.wall.clone())
    }
    fn expansion(&self) -> Option<Duration> {
        median(self.expansion.clone())
    }
    fn cache(&self) -> String {
        let mut c = self.cache.clone();
        c.dedup();
        if c.is_empty() {
            "—".into()
        } else {
            c.join("/")
        }
    }
}

struct Row {
    config: Config,
    n: usize,
    clean_with: Case,
    clean_without: Case,
    unrelated_with: Case,
    unrelated_without: Case,
    migration_edit: Case,
    /// `cargo check` after an unrelated edit: rustc without codegen and link.
    check: Case,
}

fn progress(what: &str, b: &Build) {
    eprintln!(
        "  {what}: {} (expansion {}, load {}, cache {}, peak RSS {}; load average {})",
        fmt(Some(b.wall)),
        fmt(b.expansion),
        fmt(b.load),
        b.cache.as_deref().unwrap_or("—"),
        fmt_rss(b.rss_kb),
        load_average()
    );
}

pub fn main(args: &[String]) -> Result<()> {
    let o = parse_args(args)?;
    let _tmp;
    let work = match &o.work {
        Some(w) => {
            std::fs::create_dir_all(w)?;
            w.clone()
        }
        None => {
            let t = tempfile::Builder::new().prefix("migrate-w4-").tempdir()?;
            let p = t.path().to_path_buf();
            _tmp = t;
            p
        }
    };
    eprintln!(
        "W4 build cost in {} (load average at start {})",
        work.display(),
        load_average()
    );

    // Full clean builds, dependencies included.
    let mut full_clean = Vec::new();
    if o.clean_n > 0 {
        let mut configs = o.configs.clone();
        configs.push(Config::None);
        for &config in &configs {
            let mut s = Scratch::new(&work, config, o.profile_overrides, o.migrate_toml)?;
            let with_macro = config != Config::None;
            s.set_migrations(o.clean_n)?;
            s.set_variant(with_macro)?;
            if s.target.exists() {
                std::fs::remove_dir_all(&s.target)?;
            }
            eprintln!(
                "[{}] full clean build at N = {} (dependencies included) ...",
                config.name(),
                o.clean_n
            );
            let b = s.build()?;
            progress("full clean build", &b);
            full_clean.push((config, b));
        }
    }

    let mut rows = Vec::new();
    for &config in &o.configs {
        let mut s = Scratch::new(&work, config, o.profile_overrides, o.migrate_toml)?;
        for &n in &o.ns {
            eprintln!("[{}] N = {n}", config.name());
            s.set_migrations(n)?;
            // Warm-up: brings the dependencies and the build script up to date.
            s.set_variant(true)?;
            let b = s.build()?;
            progress("first build after generating", &b);
            let b = s.cargo_run("check")?;
            progress("first check after generating", &b);
            let mut row = Row {
                config,
                n,
                clean_with: Case::default(),
                clean_without: Case::default(),
                unrelated_with: Case::default(),
                unrelated_without: Case::default(),
                migration_edit: Case::default(),
                check: Case::default(),
            };
            for run in 0..o.runs {
                eprintln!("  run {}/{}", run + 1, o.runs);
                s.set_variant(true)?;
                s.clean_crate()?;
                let b = s.build()?;
                progress("crate clean build, with macro", &b);
                row.clean_with.push(b);

                s.edit_main(true)?;
                let b = s.build()?;
                progress("unrelated edit, with macro", &b);
                row.unrelated_with.push(b);

                let edited = n / 2;
                s.edit_migration(edited)?;
                let b = s.build()?;
                progress("one migration edited", &b);
                row.migration_edit.push(b);
                s.restore_migration(edited)?;
                // Restoring it is itself an edit; build it so that the
                // runs start from the same state.
                s.build()?;

                s.edit_main(true)?;
                let b = s.cargo_run("check")?;
                progress("cargo check after an unrelated edit", &b);
                row.check.push(b);

                s.set_variant(false)?;
                s.clean_crate()?;
                let b = s.build()?;
                progress("crate clean build, without macro", &b);
                row.clean_without.push(b);

                s.edit_main(false)?;
                let b = s.build()?;
                progress("unrelated edit, without macro", &b);
                row.unrelated_without.push(b);
            }
            rows.push(row);
        }
    }

    print_report(&o, &full_clean, &rows);
    Ok(())
}

fn print_report(o: &Options, full_clean: &[(Config, Build)], rows: &[Row]) {
    let mut cmd = format!(
        "cargo run --release -p migrate-bench -- --build --n {} --runs {} --configs {} --clean-n {}",
        o.ns.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(","),
        o.runs,
        o.configs
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(","),
        o.clean_n
    );
    if o.profile_overrides {
        cmd.push_str(" --profile-overrides");
    }
    if o.dialect != "any" {
        cmd.push_str(&format!(" --dialect {}", o.dialect));
    }
    println!(
        "Command: `{cmd}`; load average at the end: {}\n",
        load_average()
    );
    if !full_clean.is_empty() {
        println!(
            "Full clean build (empty target directory, dependencies included, N = {}, one run each):\n",
            o.clean_n
        );
        println!("| configuration | wall | peak RSS |");
        println!("|---|---:|---:|");
        for (config, b) in full_clean {
            println!(
                "| {} | {} | {} |",
                config.name(),
                fmt(Some(b.wall)),
                fmt_rss(b.rss_kb)
            );
        }
        println!();
    }
    println!(
        "Crate builds, dependencies already built (median of {} runs; cache = the macro's validation cache):\n",
        o.runs
    );
    println!(
        "| config | N | expansion, clean (cache) | crate clean build with / without macro (+diff) | unrelated edit with / without (+diff), expansion (cache) | one migration edited, expansion (cache) | peak RSS of the build | `cargo check` after unrelated edit, peak RSS |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let diff = |a: &Case, b: &Case| match (a.wall(), b.wall()) {
            (Some(a), Some(b)) => {
                let d = a.as_secs_f64() - b.as_secs_f64();
                format!("{d:+.2} s")
            }
            _ => "—".into(),
        };
        let rss = [
            r.clean_with.rss_kb,
            r.unrelated_with.rss_kb,
            r.migration_edit.rss_kb,
        ]
        .into_iter()
        .flatten()
        .max();
        println!(
            "| {} | {} | {} ({}) | {} / {} ({}) | {} / {} ({}), {} ({}) | {}, {} ({}) | {} | {}, {} |",
            r.config.name(),
            r.n,
            fmt(r.clean_with.expansion()),
            r.clean_with.cache(),
            fmt(r.clean_with.wall()),
            fmt(r.clean_without.wall()),
            diff(&r.clean_with, &r.clean_without),
            fmt(r.unrelated_with.wall()),
            fmt(r.unrelated_without.wall()),
            diff(&r.unrelated_with, &r.unrelated_without),
            fmt(r.unrelated_with.expansion()),
            r.unrelated_with.cache(),
            fmt(r.migration_edit.wall()),
            fmt(r.migration_edit.expansion()),
            r.migration_edit.cache(),
            fmt_rss(rss),
            fmt(r.check.wall()),
            fmt_rss(r.check.rss_kb),
        );
    }
    println!(
        "\nPeak RSS: `/usr/bin/time -f %M` around `cargo build`, the largest of the crate builds with the macro of that row (crate clean, unrelated edit, migration edit): the rustc process compiling the crate or the linker, since every dependency is fresh. The `cargo check` column is rustc alone (expansion, type check, no code generation, no link)."
    );
}
