//! A validation cache keyed by file contents, so that recompiling a crate
//! whose migrations did not change (an edit elsewhere in the crate) does not
//! parse every statement with every SQL parser again.
//!
//! The macro still reads and parses every file on every expansion (the table
//! it emits comes from that parse, and the header, chain and graph checks are
//! cheap), once: the cache is a [`LoadFilter`] inside `migrate_core`'s loader,
//! which shows it each file's text as it reads it. What the cache skips is
//! the expensive part: [`check_section`] on every section (sqlparser,
//! libpg_query, SQLite) and the SQLite replay of the chain. It records, in a file under the crate's `OUT_DIR` (which the
//! build script `embed_migrations!` requires gives every crate), a 128-bit
//! hash of each file whose sections passed the check, and one of the whole
//! directory if the replay passed. Every hash also covers the macro's
//! version, its exact-check features, the dialect check, a format number and
//! (on Linux) the identity of the macro's compiled library, so a change to
//! any of them, or a rebuilt macro, misses. Only successes are recorded: a file
//! with an error is checked, and reported, on every expansion.
//!
//! A skipped check is one that passed on the same text with the same
//! settings, so a load that fails reports exactly what the uncached check
//! gives, without loading again. `MIGRATE_MACRO_CACHE=0` in the compiler's
//! environment turns the cache off (cargo does not track the variable:
//! touch a file of the crate to re-expand).
//!
//! [`check_section`]: migrate_core::sql::check_section
//! [`LoadFilter`]: migrate_core::LoadFilter

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use migrate_core::{DialectCheck, Errors, LoadFilter, Migrations};

/// Bump when what a cache entry vouches for changes.
const FORMAT: u32 = 1;

/// Environment variable that turns the cache off when set to `0`.
const CACHE_VAR: &str = "MIGRATE_MACRO_CACHE";

/// A 128-bit content hash: two SipHash runs with different prefixes. Not
/// cryptographic; a false hit needs an edited file to collide with the
/// previous version of a file, about 2^-128.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Key(u64, u64);

impl Key {
    fn of(parts: &[&[u8]]) -> Key {
        let half = |seed: u64| {
            let mut h = DefaultHasher::new();
            seed.hash(&mut h);
            for p in parts {
                p.hash(&mut h);
            }
            h.finish()
        };
        Key(half(0x6d69_6772_6174_6531), half(0x7661_6c69_6461_7465))
    }

    fn hex(self) -> String {
        format!("{:016x}{:016x}", self.0, self.1)
    }

    fn parse(s: &str) -> Option<Key> {
        if s.len() != 32 {
            return None;
        }
        Some(Key(
            u64::from_str_radix(&s[..16], 16).ok()?,
            u64::from_str_radix(&s[16..], 16).ok()?,
        ))
    }
}

/// What the key of every entry covers besides the file contents.
fn settings(dialects: &DialectCheck) -> String {
    format!(
        "format={FORMAT} macros={} postgres-exact={} sqlite-exact={} dialects={dialects:?} build={}",
        env!("CARGO_PKG_VERSION"),
        cfg!(feature = "postgres-exact"),
        cfg!(feature = "sqlite-exact"),
        macro_build(),
    )
}

/// The identity of this build of the macro: path, size and modification
/// time of its library as loaded by the compiler (Linux, from
/// `/proc/self/maps`). A macro rebuilt with other checks, say after a change
/// to `migrate-core` without a version bump, then trusts no entry of the
/// previous build. Elsewhere it is empty and the version alone decides.
fn macro_build() -> String {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return String::new();
    };
    for line in maps.lines() {
        let Some(start) = line.find('/') else {
            continue;
        };
        let path = Path::new(&line[start..]);
        let is_macro = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("libmigrate_macros-"));
        if !is_macro {
            continue;
        }
        if let Ok(meta) = std::fs::metadata(path) {
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            return format!("{} {} {modified}", path.display(), meta.len());
        }
    }
    String::new()
}

/// Outcome of [`load`].
pub struct Loaded<T> {
    pub result: Result<Migrations, Errors>,
    /// `hit` (nothing checked again), `partial` (some files checked),
    /// `miss` (everything checked) or `off`.
    pub cache: &'static str,
    /// What to record once the schema fold has run, if the load passed.
    pub pending: Option<Pending>,
    /// What `during_replay` returned, when the SQLite replay ran (and
    /// passed).
    pub during_replay: Option<T>,
}

/// The entries of a load that passed, written by [`Pending::write`] once
/// the caller knows what the schema fold of the same directory, with the
/// same `[lint]` settings, reported.
pub struct Pending {
    store: Store,
    settings: String,
    file_keys: Vec<Key>,
    directory: Key,
    fold: Option<(Key, Vec<String>)>,
    fold_key: Key,
}

impl Pending {
    /// The warnings the fold reported last time on the same directory and
    /// settings, when it reported no error: it need not run again.
    pub fn fold_warnings(&self) -> Option<&[String]> {
        self.fold
            .as_ref()
            .filter(|(key, _)| *key == self.fold_key)
            .map(|(_, warnings)| warnings.as_slice())
    }

    /// Records the load, and the fold's warnings when it reported no error
    /// (`None`: an error, reported and looked for again on every
    /// expansion).
    pub fn write(self, fold_warnings: Option<&[String]>) {
        self.store.write(
            &self.settings,
            &self.file_keys,
            self.directory,
            fold_warnings.map(|w| (self.fold_key, w)),
        );
    }
}

/// [`migrate_core::load_directory`], skipping the SQL checks of files (and
/// the replay of a directory) that passed them before.
///
/// `during_replay` runs while the SQLite replay does, when it does (see
/// [`migrate_core::load_directory_overlapped`]).
pub fn load<T>(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
    max_file_size: u64,
    fold_settings: &str,
    during_replay: impl FnOnce(&Migrations) -> T,
) -> Loaded<T> {
    let load =
        |filter: &mut dyn migrate_core::LoadFilter| match migrate_core::load_directory_overlapped(
            dir,
            display,
            dialects,
            migrate_core::HeadRule::Merged,
            max_file_size,
            filter,
            during_replay,
        ) {
            Ok((migrations, during)) => (Ok(migrations), during),
            Err(errors) => (Err(errors), None),
        };
    let Some(store) = Store::locate(dir).filter(|_| !matches!(dialects, DialectCheck::Off)) else {
        let (result, during_replay) = load(&mut migrate_core::CheckAll);
        return Loaded {
            result,
            cache: "off",
            pending: None,
            during_replay,
        };
    };
    let settings = settings(dialects);
    let mut filter = Filter {
        cached: store.read(&settings),
        settings,
        file_keys: Vec::new(),
        checked: 0,
    };
    let (result, during_replay) = load(&mut filter);
    // Only successes are recorded: a file with an error is checked, and
    // reported, on every expansion.
    let (cache, pending) = match &result {
        Err(_) => ("miss", None),
        Ok(migrations) => {
            let directory = filter.dir_key();
            let fold_key = Key::of(&[
                directory.hex().as_bytes(),
                b"fold",
                fold_settings.as_bytes(),
            ]);
            let cache = match filter.checked {
                0 => "hit",
                n if n == migrations.revisions.len() => "miss",
                _ => "partial",
            };
            let pending = Pending {
                store,
                settings: filter.settings,
                file_keys: filter.file_keys,
                directory,
                fold: filter.cached.fold,
                fold_key,
            };
            (cache, Some(pending))
        }
    };
    Loaded {
        result,
        cache,
        pending,
        during_replay,
    }
}

/// What the loader asks the cache: each file's key is computed from the
/// text the loader read, and its checks are skipped when the key is cached.
struct Filter {
    cached: Cached,
    settings: String,
    /// The key of every file shown, in file-name order.
    file_keys: Vec<Key>,
    /// Files whose checks ran, plus one when the replay ran.
    checked: usize,
}

impl Filter {
    /// The key of the whole directory: the settings and every file's key.
    fn dir_key(&self) -> Key {
        let mut parts: Vec<Vec<u8>> = vec![self.settings.clone().into_bytes()];
        parts.extend(self.file_keys.iter().map(|k| k.hex().into_bytes()));
        let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
        Key::of(&parts)
    }
}

impl LoadFilter for Filter {
    fn skip_checks(&mut self, file: &str, text: &str) -> bool {
        let key = Key::of(&[self.settings.as_bytes(), file.as_bytes(), text.as_bytes()]);
        self.file_keys.push(key);
        let skip = self.cached.files.contains(&key);
        if !skip {
            self.checked += 1;
        }
        skip
    }

    fn skip_replay(&mut self) -> bool {
        if self.cached.directory == Some(self.dir_key()) {
            return true;
        }
        self.checked = self.checked.max(1);
        false
    }
}

/// Text written as hex by [`Store::write`].
fn unhex(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The cache file of one migration directory.
struct Store {
    path: PathBuf,
}

#[derive(Default)]
struct Cached {
    files: HashSet<Key>,
    directory: Option<Key>,
    /// The directory and `[lint]` settings whose fold reported no error,
    /// with the warnings it reported.
    fold: Option<(Key, Vec<String>)>,
}

impl Store {
    fn locate(dir: &Path) -> Option<Store> {
        if std::env::var_os(CACHE_VAR).is_some_and(|v| v == "0") {
            return None;
        }
        let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let name = Key::of(&[dir.to_string_lossy().as_bytes()]).hex();
        Some(Store {
            path: out.join(format!("migrate-validated-{name}.txt")),
        })
    }

    /// The entries written with the same settings; nothing otherwise.
    fn read(&self, settings: &str) -> Cached {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Cached::default();
        };
        let mut lines = text.lines();
        if lines.next() != Some(settings) {
            return Cached::default();
        }
        let mut cached = Cached::default();
        for line in lines {
            match line.split_once(' ') {
                Some(("f", k)) => cached.files.extend(Key::parse(k)),
                Some(("d", k)) => cached.directory = Key::parse(k),
                Some(("g", k)) => cached.fold = Key::parse(k).map(|k| (k, Vec::new())),
                Some(("w", hex)) => match (&mut cached.fold, unhex(hex)) {
                    (Some((_, warnings)), Some(w)) => warnings.push(w),
                    _ => return Cached::default(),
                },
                _ => return Cached::default(), // damaged: trust nothing
            }
        }
        cached
    }

    /// Replaces the file with the current entries (so it never grows beyond
    /// the directory). Written to a temporary name and renamed, so a
    /// concurrent reader sees the old or the new file, never half of one.
    /// A failure to write only costs the next expansion its cache.
    fn write(&self, settings: &str, files: &[Key], directory: Key, fold: Option<(Key, &[String])>) {
        let mut text = String::with_capacity(40 * (files.len() + 2));
        text.push_str(settings);
        text.push('\n');
        for k in files {
            text.push_str("f ");
            text.push_str(&k.hex());
            text.push('\n');
        }
        text.push_str("d ");
        text.push_str(&directory.hex());
        text.push('\n');
        if let Some((fold, warnings)) = fold {
            text.push_str("g ");
            text.push_str(&fold.hex());
            text.push('\n');
            for w in warnings {
                text.push_str("w ");
                for b in w.bytes() {
                    text.push_str(&format!("{b:02x}"));
                }
                text.push('\n');
            }
        }
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, &self.path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The parse trees of PostgreSQL statements the schema fold read, kept
/// under `OUT_DIR` between expansions (libpg_query's protobuf bytes, keyed
/// by a hash of each statement's text), so that after an edit to one file
/// the fold parses only that file's statements again. The file is tied to
/// this build of the macro (its settings line, as the validation cache's);
/// anything odd in it, and it is ignored.
///
/// Format: the hex key of the settings and a newline, then per tree a
/// 16-byte key, a 4-byte little-endian length and the bytes.
#[cfg(feature = "postgres-exact")]
pub struct TreeStore {
    path: PathBuf,
    settings: Key,
    trees: std::collections::HashMap<Key, Vec<u8>>,
    used: HashSet<Key>,
    added: bool,
}

#[cfg(feature = "postgres-exact")]
impl TreeStore {
    /// The store of `dir`'s trees; `None` when the cache is off or there is
    /// no `OUT_DIR`.
    pub fn open(dir: &Path, dialects: &DialectCheck) -> Option<TreeStore> {
        let store = Store::locate(dir)?;
        let path = store.path.with_file_name(
            store
                .path
                .file_name()?
                .to_string_lossy()
                .replace("migrate-validated-", "migrate-trees-")
                .replace(".txt", ".bin"),
        );
        let settings = Key::of(&[settings(dialects).as_bytes(), b"trees"]);
        let trees = std::fs::read(&path)
            .ok()
            .and_then(|bytes| read_trees(&bytes, settings))
            .unwrap_or_default();
        Some(TreeStore {
            path,
            settings,
            trees,
            used: HashSet::new(),
            added: false,
        })
    }

    /// Writes the trees used by this expansion, if they are not what the
    /// file holds (so it never grows beyond the directory's statements).
    pub fn save(mut self) {
        if !self.added && self.used.len() == self.trees.len() {
            return;
        }
        self.trees.retain(|k, _| self.used.contains(k));
        let mut out =
            Vec::with_capacity(40 + self.trees.values().map(|t| 20 + t.len()).sum::<usize>());
        out.extend_from_slice(self.settings.hex().as_bytes());
        out.push(b'\n');
        for (k, t) in &self.trees {
            out.extend_from_slice(&k.0.to_le_bytes());
            out.extend_from_slice(&k.1.to_le_bytes());
            out.extend_from_slice(&(t.len() as u32).to_le_bytes());
            out.extend_from_slice(t);
        }
        let tmp = self
            .path
            .with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, out).is_ok() && std::fs::rename(&tmp, &self.path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The trees of a store file written with `settings`; `None` if it was
/// written with others or is damaged.
#[cfg(feature = "postgres-exact")]
fn read_trees(bytes: &[u8], settings: Key) -> Option<std::collections::HashMap<Key, Vec<u8>>> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    if Key::parse(std::str::from_utf8(&bytes[..newline]).ok()?)? != settings {
        return None;
    }
    let mut trees = std::collections::HashMap::new();
    let mut rest = &bytes[newline + 1..];
    while !rest.is_empty() {
        let (head, tail) = rest.split_at_checked(20)?;
        let a = u64::from_le_bytes(head[..8].try_into().ok()?);
        let b = u64::from_le_bytes(head[8..16].try_into().ok()?);
        let len = u32::from_le_bytes(head[16..20].try_into().ok()?) as usize;
        let (tree, tail) = tail.split_at_checked(len)?;
        trees.insert(Key(a, b), tree.to_vec());
        rest = tail;
    }
    Some(trees)
}

#[cfg(feature = "postgres-exact")]
impl migrate_schema::fold::TreeCache for TreeStore {
    fn get(&mut self, sql: &str) -> Option<&[u8]> {
        let key = Key::of(&[sql.as_bytes()]);
        let tree = self.trees.get(&key)?;
        self.used.insert(key);
        Some(tree)
    }

    fn put(&mut self, sql: &str, bytes: &[u8]) {
        let key = Key::of(&[sql.as_bytes()]);
        self.used.insert(key);
        self.trees.insert(key, bytes.to_vec());
        self.added = true;
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;

    #[test]
    fn a_folds_warnings_are_kept_with_its_key_and_read_back() {
        let dir = std::env::temp_dir().join(format!("migrate-cache-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store {
            path: dir.join("migrate-validated-x.txt"),
        };
        let warnings = vec![
            "m/1.sql:9:1: the downgrade leaves column t.c [downgrade-mismatch]".to_owned(),
            "ünïcode; and `ticks`".to_owned(),
        ];
        store.write("s", &[Key(1, 1)], Key(2, 2), Some((Key(3, 3), &warnings)));
        let cached = store.read("s");
        assert_eq!(cached.fold, Some((Key(3, 3), warnings)));
        assert!(cached.files.contains(&Key(1, 1)));
        // No error-free fold recorded: nothing to reuse.
        store.write("s", &[], Key(2, 2), None);
        assert_eq!(store.read("s").fold, None);
        // Other settings: nothing is trusted.
        assert!(store.read("other").files.is_empty());
        assert_eq!(unhex("zz"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(all(test, feature = "postgres-exact"))]
mod tests {
    use super::*;

    #[test]
    fn tree_files_are_read_back_and_damaged_or_foreign_ones_are_ignored() {
        let settings = Key::of(&[b"s"]);
        let mut bytes = settings.hex().into_bytes();
        bytes.push(b'\n');
        for (k, tree) in [(Key(1, 2), &b"abc"[..]), (Key(3, 4), &b""[..])] {
            bytes.extend_from_slice(&k.0.to_le_bytes());
            bytes.extend_from_slice(&k.1.to_le_bytes());
            bytes.extend_from_slice(&(tree.len() as u32).to_le_bytes());
            bytes.extend_from_slice(tree);
        }
        let trees = read_trees(&bytes, settings).unwrap();
        assert_eq!(trees.get(&Key(1, 2)).map(Vec::as_slice), Some(&b"abc"[..]));
        assert_eq!(trees.get(&Key(3, 4)).map(Vec::as_slice), Some(&b""[..]));
        assert!(read_trees(&bytes, Key::of(&[b"other"])).is_none());
        assert!(read_trees(&bytes[..bytes.len() - 22], settings).is_none());
    }
}
