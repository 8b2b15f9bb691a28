//! Reading a migration directory: files, graph and SQL checks in one pass,
//! each file read once (a [`LoadFilter`] may skip checks that passed before).

use std::path::Path;

use crate::error::{Error, Errors};
use crate::graph::{HeadRule, RevisionGraph};
use crate::revision::{Revision, parse_revision_file};
use crate::sql::{DialectCheck, check_section};

/// A validated migration directory.
#[derive(Debug, Clone)]
pub struct Migrations {
    /// Revisions in file-name order; graph indices refer to this order.
    pub revisions: Vec<Revision>,
    /// Their graph.
    pub graph: RevisionGraph,
    /// The revisions that a checkpoint replaces (its `replaces:` header)
    /// and whose files are still in the directory, in file-name order. They
    /// are not in [`graph`](Migrations::graph): a fresh database applies
    /// the checkpoint instead. Their parents outside what the checkpoint
    /// replaces (the checkpoint's own parents) are left out, so that they
    /// form a graph of their own, [`replaced_graph`](Migrations::replaced_graph).
    pub replaced: Vec<Revision>,
    /// The graph of [`replaced`](Migrations::replaced).
    pub replaced_graph: RevisionGraph,
    /// The repeatable definitions under `definitions/`, in the order they
    /// apply (see [`crate::definitions`]).
    pub definitions: Vec<crate::definitions::Definition>,
}

impl Migrations {
    /// The checkpoints (revisions with a `replaces:` header), as indices
    /// into [`revisions`](Migrations::revisions).
    pub fn checkpoints(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.revisions.len()).filter(|&i| !self.revisions[i].header.replaces.is_empty())
    }

    /// The replaced revisions of checkpoint `i` still in the directory, as
    /// indices into [`replaced`](Migrations::replaced), in the order they
    /// apply.
    pub fn replaced_by(&self, i: usize) -> Vec<usize> {
        let ids = &self.revisions[i].header.replaces;
        self.replaced_graph
            .topological_order()
            .iter()
            .copied()
            .filter(|&k| ids.iter().any(|id| id == self.replaced[k].id()))
            .collect()
    }

    /// What an application compares with the history table when it starts
    /// (see [`StartUp`]), computed once from the graph.
    pub fn start_up(&self) -> StartUp {
        let line = |i: usize| {
            let r = &self.revisions[i];
            format!("{} {}", r.id(), r.checksum)
        };
        // Each line also holds the previous algorithm's checksum, which a
        // history written before it still records.
        let mut in_order = String::new();
        for &i in self.graph.topological_order() {
            in_order.push_str(&line(i));
            in_order.push(' ');
            in_order.push_str(&crate::checksum::checksum_v1(
                &self.revisions[i].upgrade.sql,
            ));
            in_order.push('\n');
        }
        let mut ids: Vec<usize> = (0..self.revisions.len()).collect();
        ids.sort_unstable_by(|&a, &b| self.revisions[a].id().cmp(self.revisions[b].id()));
        let by_id = ids.into_iter().map(line).collect::<Vec<_>>().join(",");
        let all = vec![true; self.revisions.len()];
        let heads = self
            .graph
            .current_heads(&all)
            .into_iter()
            .map(|i| self.revisions[i].id().to_owned())
            .collect();
        StartUp {
            in_order,
            by_id,
            heads,
        }
    }
}

/// The revisions as a database at head records them, in the forms the
/// start-up check of an up-to-date database compares with its history
/// table; the macro embeds them so that a starting application neither
/// builds the graph nor sorts anything.
///
/// ```
/// use migrate_core::{Config, load_directory};
/// let dir = tempfile::tempdir().unwrap();
/// let file = |id: &str, parent: &str| {
///     format!("-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\nSELECT 1;\n")
/// };
/// std::fs::write(dir.path().join("1_b.sql"), file("b", "a")).unwrap();
/// std::fs::write(dir.path().join("2_a.sql"), file("a", "none")).unwrap();
/// let m = load_directory(dir.path(), "m", &Config::default().dialects).unwrap();
/// let s = m.start_up();
/// let a = &m.revisions[1].checksum;
/// let b = &m.revisions[0].checksum;
/// let a1 = migrate_core::checksum::checksum_v1(&m.revisions[1].upgrade.sql);
/// let b1 = migrate_core::checksum::checksum_v1(&m.revisions[0].upgrade.sql);
/// assert_eq!(s.in_order, format!("a {a} {a1}\nb {b} {b1}\n"));
/// assert_eq!(s.by_id, format!("a {a},b {b}"));
/// assert_eq!(s.heads, ["b"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartUp {
    /// `revision checksum v1-checksum` and a newline for each revision, in
    /// the order an upgrade from base applies them (a history written
    /// before the current checksum version holds the `v1` one).
    pub in_order: String,
    /// `revision checksum` pairs joined by `,`, in byte order of the ids.
    pub by_id: String,
    /// The heads, in the order the migrator reports them.
    pub heads: Vec<String>,
}

/// Reads, parses and validates every `*.sql` file directly in `dir`, each
/// at most [`DEFAULT_MAX_FILE_SIZE`](crate::DEFAULT_MAX_FILE_SIZE) bytes
/// long (see [`load_directory_with`]).
///
/// `display` is how the directory is named in messages (for the macro, the
/// path relative to the crate root). Every problem is reported, not just the
/// first.
pub fn load_directory(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
) -> Result<Migrations, Errors> {
    load_directory_with(
        dir,
        display,
        dialects,
        HeadRule::Merged,
        crate::DEFAULT_MAX_FILE_SIZE,
    )
}

/// [`load_directory`] with a choice of [`HeadRule`] (the `migrate` CLI
/// reads and runs a directory with several heads, as Alembic does) and a
/// limit on the size of each file (`max_file_size` in `migrate.toml`: a
/// larger file is reported, not read).
pub fn load_directory_with(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
    rule: HeadRule,
    max_file_size: u64,
) -> Result<Migrations, Errors> {
    load_directory_filtered(dir, display, dialects, rule, max_file_size, &mut CheckAll)
}

/// Which of a load's SQL checks may be skipped, because an earlier load
/// passed them on the same text (`embed_migrations!` keeps a validation
/// cache this way). The loader reads each file once and shows the filter
/// that text, so a caller never reads a file a second time to decide.
///
/// Skip only what passed before with the same text and the same checks: the
/// loader then reports exactly what a full check would.
pub trait LoadFilter {
    /// `file` (its name in the directory) was read as `text`: may the SQL
    /// checks of its sections be skipped? Asked once for each file that
    /// could be read, in file-name order, before it is parsed.
    fn skip_checks(&mut self, file: &str, text: &str) -> bool;

    /// Every file was read and parsed and the graph is sound: may the
    /// SQLite replay of the chain be skipped? Asked only when the replay
    /// would run, before the files' checks (the replay runs alongside
    /// them; what it finds is reported only if they pass).
    fn skip_replay(&mut self) -> bool;
}

/// The filter that skips nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckAll;

impl LoadFilter for CheckAll {
    fn skip_checks(&mut self, _: &str, _: &str) -> bool {
        false
    }

    fn skip_replay(&mut self) -> bool {
        false
    }
}

/// [`load_directory_with`], asking `filter` which SQL checks may be skipped.
pub fn load_directory_filtered(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
    rule: HeadRule,
    max_file_size: u64,
    filter: &mut dyn LoadFilter,
) -> Result<Migrations, Errors> {
    load_directory_overlapped(dir, display, dialects, rule, max_file_size, filter, |_| ())
        .map(|(migrations, _)| migrations)
}

/// [`load_directory_filtered`], running `during_replay` on the loaded
/// directory while the SQLite replay of the chain runs on another thread.
///
/// The replay is the longest check of a directory with `sqlite` among its
/// dialects; `embed_migrations!` folds the schema meanwhile. `during_replay`
/// runs only when the replay runs, once every file passed its checks; its
/// result is dropped when the replay then fails.
pub fn load_directory_overlapped<T>(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
    rule: HeadRule,
    max_file_size: u64,
    filter: &mut dyn LoadFilter,
    during_replay: impl FnOnce(&Migrations) -> T,
) -> Result<(Migrations, Option<T>), Errors> {
    let listed = list_sql_files(dir, display)?;
    let files = listed.names;
    // The definitions are checked with the revisions; their problems are
    // reported beside the revisions', and do not hide the graph's.
    let (definitions, definition_errors) =
        match crate::definitions::load_definitions(dir, display, dialects, max_file_size) {
            Ok(defs) => (defs, Vec::new()),
            Err(e) => (Vec::new(), e.into_vec()),
        };
    // An entry refused by the listing is a file missing from the graph, as
    // one that does not parse.
    let mut unreadable = !listed.problems.is_empty();
    let mut errors = listed.problems;
    errors.extend(definition_errors);
    let mut revisions = Vec::with_capacity(files.len());
    // Whether each revision's SQL checks are to run (not vouched for by the
    // filter).
    let mut to_check = Vec::with_capacity(files.len());
    for name in files {
        let path = format!("{}/{}", display.trim_end_matches('/'), name);
        let text = match read_migration_file(&dir.join(&name), &path, max_file_size) {
            Ok(text) => text,
            Err(e) => {
                errors.push(e);
                unreadable = true;
                continue;
            }
        };
        let skip = filter.skip_checks(&name, &text);
        match parse_revision_file(&path, &text) {
            Ok(revision) => {
                revisions.push(revision);
                to_check.push(!skip);
            }
            Err(e) => {
                errors.extend(e);
                unreadable = true;
            }
        }
    }
    let check = |revisions: &[Revision], dialects: &DialectCheck| -> Vec<Error> {
        check_files(revisions, &to_check, dialects)
    };
    // A file that failed to parse is missing from the graph; graph errors
    // would then be knock-on effects (a merge left out looks like two heads).
    // SQL errors leave the file in the graph, so the graph is still checked.
    if unreadable {
        errors.extend(check(&revisions, dialects));
        return Err(Errors::from_vec(errors).unwrap_or_else(|| unreachable!("checked non-empty")));
    }
    // The replaced revisions' SQL is checked as every file's; the graph and
    // the replay see the checkpoints instead.
    // The ids checkpoints replace, gathered once: most directories have none.
    let replaced_ids: std::collections::HashSet<String> = revisions
        .iter()
        .flat_map(|r| r.header.replaces.iter().cloned())
        .collect();
    let is_replaced = |id: &str| replaced_ids.contains(id);
    let replaced_checks: Vec<bool> = revisions
        .iter()
        .zip(&to_check)
        .map(|(r, c)| *c && is_replaced(r.id()))
        .collect();
    errors.extend(check_files(&revisions, &replaced_checks, dialects));
    let to_check: Vec<bool> = revisions
        .iter()
        .zip(&to_check)
        .filter(|(r, _)| !is_replaced(r.id()))
        .map(|(_, c)| *c)
        .collect();
    let (revisions, replaced, split_errors) = split_replaced(revisions);
    errors.extend(split_errors);
    let replaced_graph = match RevisionGraph::from_revisions_with(&replaced, HeadRule::Any) {
        Ok(graph) => graph,
        Err(e) => {
            errors.extend(e);
            RevisionGraph::from_revisions_lenient(&[]).0
        }
    };
    let check = |revisions: &[Revision], dialects: &DialectCheck| -> Vec<Error> {
        check_files(revisions, &to_check, dialects)
    };
    match RevisionGraph::from_revisions_with(&revisions, rule) {
        Ok(graph) => {
            #[cfg(feature = "sqlite-exact")]
            let replay = matches!(dialects, DialectCheck::All(list) if list.contains(&crate::sql::Dialect::Sqlite))
                && !filter.skip_replay();
            let migrations = Migrations {
                revisions,
                graph,
                replaced,
                replaced_graph,
                definitions,
            };
            #[cfg(feature = "sqlite-exact")]
            if replay {
                // The replay runs on a second thread while this one checks
                // each file in the other dialects: the replay prepares every
                // statement in SQLite, with the tables it names, so SQLite's
                // syntax-only check would repeat it. It needs a sound chain,
                // and what it finds counts only when the checks pass.
                let during = std::thread::scope(|scope| {
                    let replayed = scope.spawn(|| {
                        crate::exact::replay::replay(
                            &migrations.revisions,
                            migrations.graph.topological_order(),
                        )
                    });
                    errors.extend(check(&migrations.revisions, &without_sqlite(dialects)));
                    let during = errors.is_empty().then(|| during_replay(&migrations));
                    // A panic in the replay is the caller's, as if it had
                    // run on this thread.
                    let replayed = replayed
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    if errors.is_empty() {
                        errors.extend(replayed);
                    }
                    during
                });
                return match Errors::from_vec(errors) {
                    None => Ok((migrations, during)),
                    Some(errors) => Err(errors),
                };
            }
            let _ = during_replay;
            errors.extend(check(&migrations.revisions, dialects));
            match Errors::from_vec(errors) {
                None => Ok((migrations, None)),
                Some(errors) => Err(errors),
            }
        }
        Err(graph_errors) => {
            errors.extend(check(&revisions, dialects));
            // A link to a replaced revision was reported above, with the fix.
            errors.extend(graph_errors.into_iter().filter(|e| match e {
                Error::UnknownParent { parent: id, .. }
                | Error::UnknownDependency { dependency: id, .. } => !is_replaced(id),
                _ => true,
            }));
            Err(Errors::from_vec(errors)
                .unwrap_or_else(|| unreachable!("graph errors are never empty")))
        }
    }
}

/// The SQL checks of the revisions whose `to_check` is true.
fn check_files(revisions: &[Revision], to_check: &[bool], dialects: &DialectCheck) -> Vec<Error> {
    let mut errors = Vec::new();
    for (revision, _) in revisions.iter().zip(to_check).filter(|(_, c)| **c) {
        let path = &revision.path;
        errors.extend(check_section(path, "upgrade", &revision.upgrade, dialects));
        if let Some(down) = &revision.downgrade {
            errors.extend(check_section(path, "downgrade", down, dialects));
        }
    }
    errors
}

/// Splits the revisions that checkpoints replace from the rest, and checks
/// that the directory agrees with each checkpoint: a revision replaced by
/// one checkpoint at most, no checkpoint itself replaced, nothing outside
/// a range pointing into it, and the range's own parents outside it the
/// checkpoint's. The replaced revisions lose those outside parents.
fn split_replaced(revisions: Vec<Revision>) -> (Vec<Revision>, Vec<Revision>, Vec<Error>) {
    use std::collections::HashMap;
    let mut errors = Vec::new();
    // Each replaced id and the checkpoint (an index into `revisions`) that
    // replaces it.
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (c, rev) in revisions.iter().enumerate() {
        let problem = |problem: String| Error::Checkpoint {
            path: rev.path.clone(),
            line: rev.header.lines.replaces,
            problem,
        };
        if !rev.header.replaces.is_empty() && rev.kind == crate::RevisionKind::Rust {
            errors.push(problem(
                "a Rust revision cannot be a checkpoint; `replaces:` belongs in the SQL file `migrate squash` writes".into(),
            ));
        }
        for id in &rev.header.replaces {
            if id == rev.id() {
                errors.push(problem(format!(
                    "checkpoint {id} lists itself in `replaces:`; remove it from the list"
                )));
            } else if let Some(&first) = owner.get(id.as_str()) {
                errors.push(problem(format!(
                    "{id} is already replaced by checkpoint {} ({}); a revision belongs to one checkpoint at most, remove it from one of the lists",
                    revisions[first].id(),
                    revisions[first].path
                )));
            } else {
                owner.insert(id.clone(), c);
            }
        }
    }
    if owner.is_empty() {
        return (revisions, Vec::new(), errors);
    }
    for rev in &revisions {
        if let Some(&c) = owner.get(rev.id())
            && !rev.header.replaces.is_empty()
        {
            errors.push(Error::Checkpoint {
                path: rev.path.clone(),
                line: rev.header.lines.revision,
                problem: format!(
                    "checkpoint {} is itself replaced by checkpoint {} ({}); squash the original revisions instead, or prune this checkpoint's replaced files first",
                    rev.id(),
                    revisions[c].id(),
                    revisions[c].path
                ),
            });
        }
    }
    let mut main = Vec::with_capacity(revisions.len());
    let mut replaced = Vec::new();
    // For each revision replaced by a checkpoint: the checkpoint's id, what
    // it replaces, and its parents.
    type Owner = (String, Vec<String>, Vec<String>);
    let checkpoint_of: Vec<Option<Owner>> = revisions
        .iter()
        .map(|r| {
            owner.get(r.id()).map(|&c| {
                let cp = &revisions[c];
                (
                    cp.id().to_owned(),
                    cp.header.replaces.clone(),
                    cp.header.down_revision.clone(),
                )
            })
        })
        .collect();
    for (mut rev, cp) in revisions.into_iter().zip(checkpoint_of) {
        match cp {
            None => {
                for (key, line, list) in [
                    (
                        "down_revision",
                        rev.header.lines.down_revision,
                        &rev.header.down_revision,
                    ),
                    (
                        "depends_on",
                        rev.header.lines.depends_on,
                        &rev.header.depends_on,
                    ),
                ] {
                    for id in list {
                        if owner.contains_key(id.as_str()) {
                            errors.push(Error::Checkpoint {
                                path: rev.path.clone(),
                                line,
                                problem: format!(
                                    "`{key}` names {id}, which a checkpoint replaces; point it at the checkpoint instead"
                                ),
                            });
                        }
                    }
                }
                main.push(rev);
            }
            Some((checkpoint, range, parents)) => {
                let inside = |id: &String| range.contains(id);
                for id in rev.header.down_revision.iter().filter(|id| !inside(id)) {
                    if !parents.contains(id) {
                        errors.push(Error::Checkpoint {
                            path: rev.path.clone(),
                            line: rev.header.lines.down_revision,
                            problem: format!(
                                "{} is replaced by checkpoint {checkpoint}, but its parent {id} is neither in the checkpoint's range nor one of its parents ({}); the range must start where the checkpoint does",
                                rev.id(),
                                if parents.is_empty() { "none".to_owned() } else { parents.join(", ") }
                            ),
                        });
                    }
                }
                rev.header.down_revision.retain(|id| inside(id));
                rev.header.depends_on.retain(|id| inside(id));
                replaced.push(rev);
            }
        }
    }
    (main, replaced, errors)
}

/// The configured dialects but SQLite, whose verdict the replay gives.
#[cfg(feature = "sqlite-exact")]
fn without_sqlite(dialects: &DialectCheck) -> DialectCheck {
    match dialects {
        DialectCheck::All(list) => DialectCheck::All(
            list.iter()
                .copied()
                .filter(|d| *d != crate::sql::Dialect::Sqlite)
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The `*.sql` files of a directory and its subdirectories, and the entries
/// named like migrations that cannot be read as one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlFiles {
    /// File names relative to the directory (`sub/name.sql` in a
    /// subdirectory, `/` between the parts), sorted.
    pub names: Vec<String>,
    /// Entries refused by name: not a regular file (a FIFO, a socket, a
    /// device), a name that is not UTF-8 or holds a control character.
    pub problems: Vec<Error>,
}

/// How deep subdirectories are read.
const MAX_DEPTH: usize = 16;

/// Lists the `*.sql` files in `dir` and, at any depth, in its
/// subdirectories (a long history kept as `2024/`, `2025/`, …: the graph
/// orders revisions, not their file names). Hidden files and directories
/// are skipped; a directory reached twice through links is read once.
/// Every entry named like a migration that cannot be one is reported in
/// [`SqlFiles::problems`], and the listing goes on, so one run shows every
/// problem. Only a directory that cannot be read is an error.
///
/// The `definitions/` subdirectory at the top holds repeatable definitions,
/// not revisions, and is left out (see [`crate::definitions`]).
pub fn list_sql_files(dir: &Path, display: &str) -> Result<SqlFiles, Error> {
    list_files(dir, display, true)
}

/// [`list_sql_files`], with or without the top `definitions/`.
pub(crate) fn list_files(
    dir: &Path,
    display: &str,
    skip_definitions: bool,
) -> Result<SqlFiles, Error> {
    let mut listed = SqlFiles::default();
    let mut seen = std::collections::HashSet::new();
    if let Ok(real) = dir.canonicalize() {
        seen.insert(real);
    }
    if skip_definitions {
        // Marked as seen, so that no link leads the listing into it.
        if let Ok(real) = dir.join(crate::definitions::DEFINITIONS_DIR).canonicalize() {
            seen.insert(real);
        }
    }
    list_into(dir, display, "", 0, &mut seen, &mut listed)?;
    listed.names.sort();
    listed.problems.sort_by_key(ToString::to_string);
    Ok(listed)
}

/// One directory of [`list_sql_files`]: `prefix` is its path relative to
/// the listed directory (`""` or `sub/`).
fn list_into(
    dir: &Path,
    display: &str,
    prefix: &str,
    depth: usize,
    seen: &mut std::collections::HashSet<std::path::PathBuf>,
    listed: &mut SqlFiles,
) -> Result<(), Error> {
    let shown_dir = || {
        format!("{}/{}", display.trim_end_matches('/'), prefix)
            .trim_end_matches('/')
            .to_owned()
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && prefix.is_empty() => {
            return Err(Error::DirectoryMissing {
                path: display.to_owned(),
            });
        }
        Err(e) => {
            return Err(Error::Io {
                path: shown_dir(),
                message: e.to_string(),
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io {
            path: shown_dir(),
            message: e.to_string(),
        })?;
        let raw = entry.file_name();
        // Judged on the lossy form, so a name that is not UTF-8 but looks
        // like a migration is refused below rather than silently left out.
        let shown = raw.to_string_lossy();
        if shown.starts_with('.') {
            continue;
        }
        let path = || {
            format!(
                "{}/{prefix}{}",
                display.trim_end_matches('/'),
                crate::escape::escape_control(&shown)
            )
        };
        // Follow symlinks. A subdirectory is read in turn (once, however
        // many links lead to it); anything else that is not a regular file
        // would block (opening a FIFO waits for a writer) or mislead a
        // read: it is refused by name from its metadata, never opened. A
        // dangling link fails at the read with the system's message.
        let meta = std::fs::metadata(entry.path());
        if let Ok(m) = &meta
            && m.is_dir()
        {
            // A subdirectory whose name cannot be shown is refused, not
            // skipped: migrations in it would silently go missing.
            let Some(name) = raw
                .to_str()
                .filter(|n| crate::escape::find_control(n, false).is_none())
            else {
                listed
                    .problems
                    .push(Error::DirectoryNameUnreadable { path: path() });
                continue;
            };
            let real = entry.path().canonicalize().ok();
            if depth < MAX_DEPTH && real.is_some_and(|r| seen.insert(r)) {
                let inner = format!("{prefix}{name}/");
                list_into(&entry.path(), display, &inner, depth + 1, seen, listed)?;
            }
            continue;
        }
        // Rust revisions (`.rs`) are listed beside the SQL ones.
        if !shown.ends_with(".sql") && !shown.ends_with(".rs") {
            continue;
        }
        if let Ok(m) = &meta
            && !m.is_file()
        {
            listed.problems.push(Error::NotRegularFile {
                path: path(),
                kind: file_kind(m),
            });
            continue;
        }
        let Some(name) = raw.to_str() else {
            listed
                .problems
                .push(Error::FileNameNotUtf8 { path: path() });
            continue;
        };
        if crate::escape::find_control(name, false).is_some() {
            listed
                .problems
                .push(Error::FileNameControl { path: path() });
            continue;
        }
        listed.names.push(format!("{prefix}{name}"));
    }
    Ok(())
}

/// What a non-regular, non-directory entry is, for the message.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

/// Reads one migration file as UTF-8 text, refusing a file larger than
/// `max_size` bytes before reading it (and one that grows past it while
/// being read), and anything that is not a regular file.
///
/// `shown` is how the file is named in messages.
pub fn read_migration_file(file: &Path, shown: &str, max_size: u64) -> Result<String, Error> {
    use std::io::Read as _;

    let io = |e: std::io::Error| Error::Io {
        path: shown.to_owned(),
        message: e.to_string(),
    };
    let too_large = |size: u64| Error::FileTooLarge {
        path: shown.to_owned(),
        size,
        limit: max_size,
    };
    let handle = std::fs::File::open(file).map_err(io)?;
    // The metadata of the opened file, not of the name: it cannot have
    // been swapped since.
    let meta = handle.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(Error::NotRegularFile {
            path: shown.to_owned(),
            kind: file_kind(&meta),
        });
    }
    if meta.len() > max_size {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    handle
        .take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32
            + 1;
        Error::NotUtf8 {
            path: shown.to_owned(),
            line,
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Counts what the loader shows it, and skips the checks of the files
    /// it is told to.
    #[derive(Default)]
    struct Counting {
        seen: BTreeMap<String, usize>,
        skip: Vec<&'static str>,
        replays_asked: usize,
    }

    impl LoadFilter for Counting {
        fn skip_checks(&mut self, file: &str, text: &str) -> bool {
            assert!(text.starts_with("-- revision:"), "{file} shown whole");
            *self.seen.entry(file.to_owned()).or_default() += 1;
            self.skip.contains(&file)
        }

        fn skip_replay(&mut self) -> bool {
            self.replays_asked += 1;
            false
        }
    }

    fn revision(id: &str, parent: &str, sql: &str) -> String {
        format!(
            "-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\n{sql}\n-- migrate:downgrade\n-- migrate:no-op\n"
        )
    }

    fn directory(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write a migration");
        }
        dir
    }

    fn load(dir: &tempfile::TempDir, filter: &mut Counting) -> Result<Migrations, Errors> {
        load_directory_filtered(
            dir.path(),
            "migrations",
            &DialectCheck::Any,
            HeadRule::Merged,
            crate::DEFAULT_MAX_FILE_SIZE,
            filter,
        )
    }

    #[test]
    fn a_successful_load_shows_the_filter_each_file_once() {
        let dir = directory(&[
            ("1_a.sql", revision("a", "none", "CREATE TABLE a (x INT);")),
            ("2_b.sql", revision("b", "a", "CREATE TABLE b (x INT);")),
            ("3_c.sql", revision("c", "b", "CREATE TABLE c (x INT);")),
        ]);
        let mut filter = Counting::default();
        let loaded = load(&dir, &mut filter).expect("a valid directory");
        assert_eq!(loaded.revisions.len(), 3);
        let once: BTreeMap<String, usize> = ["1_a.sql", "2_b.sql", "3_c.sql"]
            .into_iter()
            .map(|f| (f.to_owned(), 1))
            .collect();
        assert_eq!(filter.seen, once);
        assert!(filter.replays_asked <= 1);
    }

    #[test]
    fn a_failed_load_shows_the_filter_each_file_once() {
        let dir = directory(&[
            ("1_a.sql", revision("a", "none", "CREATE TABLE a (x INT);")),
            ("2_b.sql", revision("b", "a", "CREAT TABLE b (x INT);")),
            (
                "3_c.sql",
                "-- revision: c\n-- no upgrade section\n".to_owned(),
            ),
        ]);
        let mut filter = Counting::default();
        let errors = load(&dir, &mut filter).expect_err("a bad statement and a bad file");
        assert!(errors.into_vec().len() >= 2);
        assert!(filter.seen.values().all(|&n| n == 1), "{:?}", filter.seen);
        assert_eq!(filter.seen.len(), 3);
        assert_eq!(filter.replays_asked, 0, "no replay after an error");
    }

    #[test]
    fn a_file_the_filter_vouches_for_is_not_checked_again() {
        let dir = directory(&[
            ("1_a.sql", revision("a", "none", "CREATE TABLE a (x INT);")),
            ("2_b.sql", revision("b", "a", "CREAT TABLE b (x INT);")),
        ]);
        assert!(load(&dir, &mut Counting::default()).is_err());
        let mut filter = Counting {
            skip: vec!["2_b.sql"],
            ..Counting::default()
        };
        assert!(load(&dir, &mut filter).is_ok());
    }

    #[test]
    fn subdirectories_are_read_at_any_depth_once_and_hidden_ones_not() {
        let dir = directory(&[
            ("1_a.sql", revision("a", "none", "CREATE TABLE a (x INT);")),
            ("notes.txt", "not a migration".to_owned()),
        ]);
        let sub = dir.path().join("2025").join("q1");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join("2_b.sql"),
            revision("b", "a", "CREATE TABLE b (x INT);"),
        )
        .unwrap();
        let hidden = dir.path().join(".drafts");
        std::fs::create_dir(&hidden).unwrap();
        std::fs::write(hidden.join("3_c.sql"), "not read").unwrap();
        // A link back to the directory itself is read once, not forever.
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path(), dir.path().join("2025").join("loop")).unwrap();
        let listed = list_sql_files(dir.path(), "m").unwrap();
        assert_eq!(listed.names, ["1_a.sql", "2025/q1/2_b.sql"]);
        assert!(listed.problems.is_empty(), "{:?}", listed.problems);
        let loaded = load(&dir, &mut Counting::default()).expect("a chain across directories");
        let paths: Vec<&str> = loaded.revisions.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["migrations/1_a.sql", "migrations/2025/q1/2_b.sql"]);
        assert_eq!(loaded.graph.heads().len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_subdirectory_whose_name_cannot_be_shown_is_reported() {
        let dir = directory(&[("1_a.sql", revision("a", "none", "CREATE TABLE a (x INT);"))]);
        std::fs::create_dir(dir.path().join("old\nbatch")).unwrap();
        std::fs::create_dir(dir.path().join("old\u{1b}[2J")).unwrap();
        let listed = list_sql_files(dir.path(), "m").unwrap();
        assert_eq!(listed.names, ["1_a.sql"]);
        let problems: Vec<String> = listed.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].starts_with(
                "m/old\\nbatch: subdirectory name is not valid UTF-8 or holds a control character"
            ),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("m/old\\u{1b}[2J: subdirectory name"),
            "{problems:?}"
        );
    }

    /// A directory of `(file, id, parent, extra header)` with `SELECT 1;`
    /// upgrades, loaded.
    fn squashed(files: &[(&str, &str, &str, &str)]) -> Result<Migrations, Errors> {
        let dir = tempfile::tempdir().unwrap();
        for (file, id, parent, extra) in files {
            std::fs::write(
                dir.path().join(file),
                format!("-- revision: {id}\n-- down_revision: {parent}\n{extra}-- migrate:upgrade\nSELECT 1;\n"),
            )
            .unwrap();
        }
        load_directory(dir.path(), "m", &DialectCheck::Off)
    }

    #[test]
    fn a_checkpoint_takes_its_range_off_the_graph() {
        let m = squashed(&[
            ("1_a.sql", "a", "none", ""),
            ("2_b.sql", "b", "a", ""),
            ("3_c.sql", "c", "b", ""),
            ("4_d.sql", "d", "k", ""),
            ("5_k.sql", "k", "a", "-- replaces: b, c\n"),
        ])
        .unwrap();
        let ids = |v: &[Revision]| v.iter().map(|r| r.id().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(&m.revisions), ["a", "d", "k"]);
        assert_eq!(ids(&m.replaced), ["b", "c"]);
        // The range's way in (b's parent a) is left out of its own graph.
        assert!(m.replaced[0].header.down_revision.is_empty());
        let k = m.revisions.iter().position(|r| r.id() == "k").unwrap();
        assert_eq!(m.checkpoints().collect::<Vec<_>>(), [k]);
        let order: Vec<&str> = m
            .replaced_by(k)
            .iter()
            .map(|&i| m.replaced[i].id())
            .collect();
        assert_eq!(order, ["b", "c"]);
        assert_eq!(m.graph.heads().len(), 1);
    }

    #[test]
    fn a_directory_that_disagrees_with_its_checkpoint_is_refused() {
        let problems = |files: &[(&str, &str, &str, &str)]| -> Vec<String> {
            squashed(files)
                .unwrap_err()
                .as_slice()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        // A revision after the range still names its last revision.
        let p = problems(&[
            ("1_a.sql", "a", "none", ""),
            ("2_b.sql", "b", "a", ""),
            ("3_d.sql", "d", "b", ""),
            ("4_k.sql", "k", "a", "-- replaces: b\n"),
        ]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("m/3_d.sql:2: `down_revision` names b, which a checkpoint replaces"),
            "{p:?}"
        );
        // The range does not start where the checkpoint does.
        let p = problems(&[
            ("1_a.sql", "a", "none", ""),
            ("2_z.sql", "z", "a", ""),
            ("3_b.sql", "b", "z", ""),
            ("4_k.sql", "k", "a", "-- replaces: b\n"),
            ("5_m.sql", "m", "k, z", ""),
        ]);
        assert!(
            p.iter().any(|e| e.contains(
                "its parent z is neither in the checkpoint's range nor one of its parents (a)"
            )),
            "{p:?}"
        );
        // Two checkpoints claim one revision; a checkpoint replaced by another.
        let p = problems(&[
            ("1_a.sql", "a", "none", ""),
            ("2_b.sql", "b", "a", ""),
            ("3_k.sql", "k", "a", "-- replaces: b\n"),
            ("4_l.sql", "l", "a", "-- replaces: b, k\n"),
        ]);
        assert!(
            p.iter()
                .any(|e| e.contains("b is already replaced by checkpoint k")),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|e| e.contains("checkpoint k is itself replaced by checkpoint l")),
            "{p:?}"
        );
    }
}
