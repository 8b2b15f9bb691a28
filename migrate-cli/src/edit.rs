//! Commands that write files: `init`, `revision`, `merge`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use migrate_core::{Dialect, is_valid_revision_id};
use migrate_schema::{Rendered, render};

use crate::args::RevisionArgs;
use crate::autogen;
use crate::env::UrlSource;
use crate::error::Usage;
use crate::output::Ui;
use crate::project::Project;
use crate::template::{
    DateTime, NewRevision, new_revision_id, render_file_name, revision_file, slugify,
};
use crate::view::{self, View};

/// Alembic's message when `revision` cannot pick a parent.
const MULTIPLE_HEADS: &str = "Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.";

/// The lock file that runs on a SQLite file take beside the database.
const LOCK_FILE_PATTERN: &str = "*.migrate-lock";

/// Lists SQLite's `<db>.migrate-lock` in `.gitignore` (created, or appended
/// to). The lock file stays after a run on purpose: unlinking a file another
/// process may be waiting to lock would let two runs hold "the" lock at once
/// (docs/reliability.md#locking).
fn ignore_lock_files(ui: &Ui, path: &Path) -> anyhow::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(anyhow!(
                "{}: cannot read: {e}; check that it is a readable file",
                path.display()
            ));
        }
    };
    let entry = format!(
        "# migrate's lock beside a SQLite database, kept between runs\n{LOCK_FILE_PATTERN}\n"
    );
    match existing {
        Some(text) if text.lines().any(|l| l.trim() == LOCK_FILE_PATTERN) => {
            ui.line(format!(
                "Kept {} (it already ignores {LOCK_FILE_PATTERN})",
                path.display()
            ))?;
        }
        Some(text) => {
            let separator = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            let mut file = OpenOptions::new()
                .append(true)
                .open(path)
                .with_context(|| format!("{}: cannot open for writing", path.display()))?;
            file.write_all(format!("{separator}{entry}").as_bytes())
                .with_context(|| format!("{}: cannot write", path.display()))?;
            ui.line(format!("Added {LOCK_FILE_PATTERN} to {}", path.display()))?;
        }
        None => {
            write_new(path, &entry)?;
            ui.line(format!("Created {}", path.display()))?;
        }
    }
    Ok(())
}

/// `migrate init [DIR]`.
pub(crate) fn init(
    ui: &Ui,
    config: Option<&Path>,
    directory: &Path,
    url_flag: Option<&str>,
) -> anyhow::Result<()> {
    let config_path = config.unwrap_or(Path::new(migrate_core::CONFIG_FILE));
    if config_path.exists() {
        bail!(
            "{}: already exists, so this project is set up; edit it, or pass --config to write another",
            config_path.display()
        );
    }
    let base = config_path.parent().unwrap_or(Path::new(""));
    let dir = base.join(directory);
    if dir.is_file() {
        bail!("{}: is a file; choose a directory name", dir.display());
    }
    if dir.is_dir()
        && std::fs::read_dir(&dir)
            .with_context(|| format!("{}: cannot read", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{}: directory is not empty; choose a new or empty directory (`migrate init DIR`)",
            dir.display()
        );
    }
    let dir_value = directory.to_string_lossy().replace('\\', "/");
    if dir_value.is_empty() || dir_value == "." {
        return Err(Usage(
            "the migration directory cannot be the config file's own directory; name a subdirectory such as `migrations`".into(),
        )
        .into());
    }

    if !base.as_os_str().is_empty() {
        std::fs::create_dir_all(base)
            .with_context(|| format!("{}: cannot create directory", base.display()))?;
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create directory", dir.display()))?;
    // Git does not keep empty directories; list_sql_files skips hidden files.
    write_new(&dir.join(".gitkeep"), "")?;
    // The dialect of the database the CLI would connect to, where one is
    // configured: a project left at "any" passes PostgreSQL-only SQL in
    // `check` that its SQLite database then rejects at `upgrade`. A broken
    // .env is not init's business: it then knows no URL.
    let known = crate::project::find_url(url_flag, None)
        .ok()
        .flatten()
        .and_then(|(url, source)| url.dialect().map(|d| (d, source)));
    write_new(config_path, &config_text(&dir_value, known))?;
    ui.line(format!("Created {}", config_path.display()))?;
    if let Some((dialect, source)) = known {
        ui.line(format!(
            "  dialect = \"{}\" (the database URL in {source})",
            dialect_word(dialect)
        ))?;
    }
    ui.line(format!("Created {}/", dir.display()))?;
    let schema = base.join("schema.sql");
    if schema.exists() {
        ui.line(format!("Kept existing {}", schema.display()))?;
    } else {
        write_new(
            &schema,
            "-- The declared schema (CREATE TABLE …, CREATE INDEX …), compared with the\n-- database by `migrate revision --autogenerate` and `migrate check`.\n",
        )?;
        ui.line(format!("Created {}", schema.display()))?;
    }
    ignore_lock_files(ui, &base.join(".gitignore"))?;
    ui.line("")?;
    ui.line("To embed the migrations in your crate (checked at compile time), add a build script")?;
    ui.line("so that new migration files rebuild it. In build.rs:")?;
    ui.line("")?;
    ui.line("    fn main() {")?;
    ui.line(format!(
        "        migrate_runtime::build::watch(\"{dir_value}\");"
    ))?;
    ui.line("    }")?;
    ui.line("")?;
    ui.line("and in Cargo.toml, the same migrate-runtime as under [dependencies] (a path to a")?;
    ui.line("checkout: the crates are not on crates.io yet), without default features:")?;
    ui.line("")?;
    ui.line("    [build-dependencies]")?;
    ui.line(
        "    migrate-runtime = { path = \"../migrate/migrate-runtime\", default-features = false }",
    )?;
    ui.line("")?;
    ui.line("Then create the first revision: migrate revision -m \"create products table\"")?;
    Ok(())
}

/// `migrate init --from-database`: the project of `init`, with the
/// database's schema as schema.sql and as a baseline revision, and the
/// database recorded at that revision (Flyway's baseline).
pub(crate) async fn adopt(
    ui: &Ui,
    config: Option<&Path>,
    directory: &Path,
    url_flag: Option<&str>,
) -> anyhow::Result<()> {
    use migrate_runtime::introspect::{IntrospectOptions, introspect};
    let (url, source) = crate::project::require_url(url_flag, None)?;
    let config_path = config.unwrap_or(Path::new(migrate_core::CONFIG_FILE));
    let schema_path = config_path
        .parent()
        .unwrap_or(Path::new(""))
        .join("schema.sql");
    if schema_path.exists() {
        bail!(
            "{}: already exists; --from-database writes it from the database, so move it away first",
            schema_path.display()
        );
    }
    // Everything is read before anything is written.
    let pool = crate::project::Pool::connect(&url, source, false).await?;
    let defaults = migrate_core::Config::default();
    let options = IntrospectOptions {
        include_schemas: defaults.include_schemas,
        version_table: defaults.version_table.clone(),
        grants: false,
    };
    let read = async {
        let empty = migrate_runtime::Migrator::__from_table(&[], "migrate_history");
        let rows = crate::project::on_pool!(&pool, p => empty.history(p).await)?;
        let schema = crate::project::on_pool!(&pool, p => introspect(p, &options).await)
            .context("could not read the database's schema")?;
        anyhow::Ok((rows, schema))
    }
    .await;
    let (rows, schema) = match read {
        Ok(read) => read,
        Err(e) => {
            pool.close().await;
            return Err(e);
        }
    };
    if !rows.is_empty() {
        pool.close().await;
        bail!(
            "the database at {url} already records {} revision(s) in migrate_history: it is migrated by this tool already; nothing was written. Use the project that holds its migrations, or `migrate init` and copy them in",
            rows.len()
        );
    }
    if schema.tables.is_empty() && schema.enums.is_empty() {
        pool.close().await;
        bail!(
            "the database at {url} has no table to adopt; nothing was written. Run `migrate init` for a new project"
        );
    }
    let dialect = url.dialect().unwrap_or(Dialect::Postgres);
    let changes = migrate_schema::diff(
        &migrate_schema::Schema::default(),
        &schema,
        dialect,
        &migrate_schema::DiffOptions::default(),
    );
    let rendered = render(&changes, dialect);
    let result = async {
        init(ui, config, directory, url_flag)?;
        write_new_over(
            &schema_path,
            &format!(
                "-- The declared schema, read from the database by `migrate init --from-database`,\n-- compared with the database by `migrate revision --autogenerate` and `migrate check`.\n\n{}",
                rendered.upgrade
            ),
        )?;
        ui.line(format!("Wrote {} from the database", schema_path.display()))?;
        let project = Project::load(Some(config_path))?;
        let view = view_for_writing(&project)?;
        let (_, shown) = write_revision(
            ui,
            &project,
            &view,
            &[],
            &[],
            None,
            None,
            "baseline",
            Body::Sql(&rendered),
        )?;
        let migrator = crate::load_migrator(&project)?;
        let id = migrator
            .heads()?
            .first()
            .map(|h| (*h).to_owned())
            .ok_or_else(|| anyhow!("internal error: the baseline revision is not a head"))?;
        crate::project::on_pool!(&pool, p => migrator.stamp(p, &[id.as_str()], false).await)?;
        ui.line(format!(
            "Stamped the database at {id} ({shown}): it is recorded as applied, nothing ran"
        ))?;
        ui.line("Next: `migrate check` compares schema.sql with the database; new changes go in new revisions")?;
        anyhow::Ok(())
    }
    .await;
    pool.close().await;
    result
}

/// Replaces the comment-only schema.sql that `init` writes.
fn write_new_over(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

fn dialect_word(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "postgres",
        Dialect::Sqlite => "sqlite",
    }
}

fn config_text(directory: &str, known: Option<(Dialect, UrlSource)>) -> String {
    let quoted = directory.replace('\\', "\\\\").replace('"', "\\\"");
    let dialect = match known {
        Some((d, source)) => format!(
            "# Taken from the database URL in {source} when this file was written.\n\
             dialect = \"{}\"\n",
            dialect_word(d)
        ),
        None => "# No database URL was known when this file was written: \"any\" accepts SQL\n\
                 # that only one of the two databases runs; set your database's dialect.\n\
                 dialect = \"any\"\n"
            .to_owned(),
    };
    format!(
        "# Settings shared by the `migrate` CLI and `embed_migrations!`.\n\
         \n\
         # Migration directory, relative to this file.\n\
         directory = \"{quoted}\"\n\
         # SQL dialect each statement is checked in when the crate compiles:\n\
         # \"postgres\", \"sqlite\", \"any\" (either) or \"none\"; or dialects = [\"postgres\", \"sqlite\"] for both.\n\
         {dialect}\
         # Table that records the applied revisions.\n\
         version_table = \"{table}\"\n\
         # New file names: strftime fields %Y %m %d %H %M %S, {{rev}} and {{slug}}.\n\
         file_template = \"{template}\"\n\
         # Last fallback for the database URL, after --database-url, DATABASE_URL and POSTGRES_*.\n\
         # Keep passwords out of this file: prefer DATABASE_URL or .env.\n\
         # database_url = \"sqlite://app.db\"\n\
         # The declared schema compared by `migrate revision --autogenerate` and\n\
         # `migrate check`, relative to this file; and what the comparison looks at.\n\
         schema = \"schema.sql\"\n\
         # include_schemas = false        # PostgreSQL: every schema, not only the default one\n\
         # compare_type = true\n\
         # compare_server_default = true\n\
         # compare_grants = false         # PostgreSQL: GRANT/REVOKE on tables, views, sequences, routines\n",
        table = migrate_core::DEFAULT_VERSION_TABLE,
        template = migrate_core::DEFAULT_FILE_TEMPLATE,
    )
}

pub(crate) fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("{}: cannot create file", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))
}

/// Loads the view for writing a revision: every problem except several
/// heads stops the command, since the new file's parent would be a guess.
fn view_for_writing(project: &Project) -> anyhow::Result<View> {
    let loaded = view::load(&project.dir, &project.display, project.config.max_file_size)?;
    let blocking = loaded.blocking_problems();
    if !blocking.is_empty() {
        let errors = migrate_core::Errors::from_vec(blocking.into_iter().cloned().collect())
            .unwrap_or_else(|| unreachable!("checked non-empty"));
        return Err(anyhow::Error::new(errors).context(format!(
            "{} has problems to fix before a new revision can be added",
            project.display
        )));
    }
    Ok(loaded.view)
}

/// `migrate revision`, and `migrate revision --autogenerate` (`url_flag`
/// is `--database-url`).
pub(crate) async fn revision(
    ui: &Ui,
    project: &Project,
    args: &RevisionArgs,
    url_flag: Option<&str>,
) -> anyhow::Result<()> {
    if args.shadow && !args.autogenerate {
        return Err(Usage(
            "--shadow only applies with --autogenerate; add --autogenerate, or drop --shadow"
                .into(),
        )
        .into());
    }
    autogen::refuse_url_when_offline(url_flag, args.offline)?;
    let view = view_for_writing(project)?;
    let parents: Vec<String> = match args.head.as_deref() {
        None | Some("head") => match view.graph.heads() {
            [] => Vec::new(),
            [one] => vec![view.graph.id(*one).to_owned()],
            _ => bail!(
                "{MULTIPLE_HEADS} Heads: {}. Use `--head REV`, or `migrate merge heads -m \"merge\"`",
                view.names(view.graph.heads())
            ),
        },
        Some("base") => {
            if !view.graph.is_empty() && args.branch_label.is_none() {
                ui.warn(
                    "a new base without --branch-label is a second unlabelled head, which `migrate check` and embed_migrations! reject; add --branch-label to start an independent branch",
                );
            }
            Vec::new()
        }
        Some(spec) => {
            let i = view.graph.lookup_at_head(spec)?;
            if !view.is_head(i) && !args.splice {
                bail!(
                    "Revision {} is not a head revision; please specify --splice to create a new branch from this revision (its heads: {})",
                    view.graph.id(i),
                    view.names(&view.heads_above(i))
                );
            }
            vec![view.graph.id(i).to_owned()]
        }
    };
    let mut depends_on = Vec::new();
    for spec in args.depends_on.iter().flat_map(|s| s.split(',')) {
        let spec = spec.trim();
        if spec.is_empty() {
            continue;
        }
        let id = view.graph.id(view.graph.lookup_at_head(spec)?).to_owned();
        if !depends_on.contains(&id) && !parents.contains(&id) {
            depends_on.push(id);
        }
    }
    if !args.autogenerate {
        write_revision(
            ui,
            project,
            &view,
            &parents,
            &depends_on,
            args.rev_id.as_deref(),
            args.branch_label.as_deref(),
            &args.message,
            if args.rust { Body::Rust } else { Body::Empty },
        )?;
        return Ok(());
    }
    let migrator = crate::load_migrator(project)?;
    let against = autogen::Against::from_flags(args.shadow, args.offline);
    let comparison = autogen::compare(ui, project, &migrator, url_flag, against).await?;
    if comparison.changes.is_empty() {
        ui.line("No changes in schema detected.")?;
        return Ok(());
    }
    comparison.refuse_dropping_everything(project, args.allow_drop_all)?;
    let rendered = render(&comparison.changes, comparison.dialect);
    autogen::print_changes(ui, &comparison.changes)?;
    let (_, shown) = write_revision(
        ui,
        project,
        &view,
        &parents,
        &depends_on,
        args.rev_id.as_deref(),
        args.branch_label.as_deref(),
        &args.message,
        Body::Sql(&rendered),
    )?;
    for warning in &rendered.warnings {
        ui.warn(format!("{shown}: REVIEW: {warning}"));
    }
    for warning in &comparison.unsure_dropped {
        ui.warn(format!("{shown}: {warning}"));
    }
    if let Err(errors) = project.load_migrations() {
        let n = errors.as_slice().len();
        return Err(anyhow::Error::new(errors).context(format!(
            "{shown} was written but the migration directory does not pass its checks with it ({n} problem{}); the file is kept: edit it until `migrate check` passes (or delete it)",
            if n == 1 { "" } else { "s" }
        )));
    }
    ui.line(
        "Review the generated SQL (`-- REVIEW:` lines first), then run `migrate upgrade head`",
    )?;
    Ok(())
}

/// `migrate merge -m MSG (REV... | heads)`.
pub(crate) fn merge(
    ui: &Ui,
    project: &Project,
    message: &str,
    revisions: &[String],
    rev_id: Option<&str>,
    branch_label: Option<&str>,
) -> anyhow::Result<()> {
    let view = view_for_writing(project)?;
    let mut picked: Vec<usize> = Vec::new();
    for spec in revisions {
        let found: Vec<usize> = match spec.as_str() {
            "heads" => view.graph.heads().to_vec(),
            spec => vec![view.graph.lookup_at_head(spec)?],
        };
        for i in found {
            if !picked.contains(&i) {
                picked.push(i);
            }
        }
    }
    if picked.len() < 2 {
        bail!(
            "nothing to merge: {} names only {}; a merge needs two or more revisions (see `migrate heads`)",
            revisions.join(" "),
            match &picked[..] {
                [] => "no revision".to_owned(),
                [one] => format!("revision {}", view.graph.id(*one)),
                _ => unreachable!("fewer than two"),
            }
        );
    }
    for &a in &picked {
        for &b in &picked {
            if a != b && view.graph.ancestors_inclusive(&[b])[a] {
                bail!(
                    "revision {} is an ancestor of {}: merging them adds nothing; merge the heads of different branches",
                    view.graph.id(a),
                    view.graph.id(b)
                );
            }
        }
    }
    let parents: Vec<String> = picked
        .iter()
        .map(|&i| view.graph.id(i).to_owned())
        .collect();
    write_revision(
        ui,
        project,
        &view,
        &parents,
        &[],
        rev_id,
        branch_label,
        message,
        Body::Empty,
    )?;
    Ok(())
}

/// What a new revision file holds below its header.
enum Body<'a> {
    /// Empty SQL sections.
    Empty,
    /// The SQL sections autogenerate wrote.
    Sql(&'a Rendered),
    /// A Rust revision's functions (a `.rs` file).
    Rust,
}

/// Refuses a `-m` message with a control character: line breaks and tabs
/// become spaces in the header; any other would reach comments and
/// terminals, and the loader refuses it.
pub(crate) fn check_message(message: &str) -> Result<(), Usage> {
    if message
        .split_whitespace()
        .any(|word| migrate_core::find_control(word, false).is_some())
    {
        return Err(Usage(format!(
            "-m `{}` holds a control character; remove it",
            migrate_core::escape_control(message)
        )));
    }
    Ok(())
}

/// Writes a new revision file and returns its path and how it is shown.
#[allow(clippy::too_many_arguments)] // three call sites; a struct would only rename these
fn write_revision(
    ui: &Ui,
    project: &Project,
    view: &View,
    parents: &[String],
    depends_on: &[String],
    rev_id: Option<&str>,
    branch_label: Option<&str>,
    message: &str,
    body: Body<'_>,
) -> anyhow::Result<(PathBuf, String)> {
    check_message(message)?;
    let id = match rev_id {
        Some(id) => {
            if !is_valid_revision_id(id) {
                return Err(Usage(format!(
                    "--rev-id `{}` is not a valid revision id; use letters, digits and `_` (at most 64)",
                    migrate_core::escape_control(id)
                ))
                .into());
            }
            if let Some(i) = view.graph.find(id) {
                bail!(
                    "revision id `{id}` is already used by {}; choose another --rev-id",
                    view.graph.path(i)
                );
            }
            id.to_owned()
        }
        None => new_revision_id(|candidate| {
            view.graph.find(candidate).is_some() || view.graph.lookup(candidate).is_ok()
        })?,
    };
    let labels: Vec<String> = match branch_label {
        None => Vec::new(),
        Some(label) => {
            if !is_valid_revision_id(label) {
                return Err(Usage(format!(
                    "--branch-label `{}` is not a valid label; use letters, digits and `_`",
                    migrate_core::escape_control(label)
                ))
                .into());
            }
            if let Some(owner) = (0..view.graph.len()).find(|&i| {
                let node = view.revision(i).graph_node();
                node.branch_labels.iter().any(|l| l == label) || node.id == label
            }) {
                bail!(
                    "branch label `{label}` is already used by revision `{}`; choose another label",
                    view.graph.id(owner)
                );
            }
            vec![label.to_owned()]
        }
    };
    let now = DateTime::now();
    let name = render_file_name(&project.config.file_template, &now, &id, &slugify(message))
        .map_err(|e| Usage(format!("migrate.toml: {e}")))?;
    let file_name = match body {
        Body::Rust => format!("{name}.rs"),
        _ => format!("{name}.sql"),
    };
    let text = revision_file(&NewRevision {
        id: &id,
        parents,
        depends_on,
        branch_labels: &labels,
        replaces: &[],
        message,
        create_date: &now.header(),
        transactional: true,
    });
    let text = match body {
        Body::Rust => rust_revision(&text),
        _ => text,
    };
    // The file must read back as what we meant; anything else is our bug.
    let shown = format!("{}/{file_name}", project.display.trim_end_matches('/'));
    migrate_core::parse_revision_file(&shown, &text).map_err(|errors| {
        anyhow!(
            "internal error: the new revision does not parse: {}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )
    })?;
    let text = match body {
        Body::Sql(sql) => with_sections(&text, &sql.upgrade, Some(&sql.downgrade)),
        _ => text,
    };
    let path = project.dir.join(&file_name);
    write_new(&path, &text)?;
    ui.line(format!("Generating {shown} ... done"))?;
    Ok((path, shown))
}

/// A Rust revision with the header of `text` (a new SQL revision's) as
/// `//` comments.
fn rust_revision(text: &str) -> String {
    let header = text
        .strip_suffix(crate::template::NEW_SECTIONS)
        .unwrap_or(text);
    let mut out = String::new();
    for line in header.lines() {
        match line.strip_prefix("--") {
            Some(rest) => {
                out.push_str("//");
                out.push_str(rest);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out.push_str(crate::template::NEW_RUST_BODY);
    out
}

/// A new revision's text with its empty sections replaced by `upgrade` and
/// `downgrade`; without one, the revision is irreversible.
pub(crate) fn with_sections(text: &str, upgrade: &str, downgrade: Option<&str>) -> String {
    let header = text
        .strip_suffix(crate::template::NEW_SECTIONS)
        .unwrap_or(text);
    let mut out = format!("{header}\n-- migrate:upgrade\n{}\n", upgrade.trim_end());
    if let Some(down) = downgrade {
        out.push_str(&format!("\n-- migrate:downgrade\n{}\n", down.trim_end()));
    }
    out
}
