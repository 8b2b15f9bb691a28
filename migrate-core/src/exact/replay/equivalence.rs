//! The parked replay against the plain one: generated chains, mistakes
//! included, must give the same errors and end in the same database.

use super::*;
use crate::graph::RevisionGraph;
use crate::revision::parse_revision;

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One statement on the tables `t0..tN` and columns `a`, `b`, `c*`; names
/// are drawn from a pool a little larger than what exists, so that some
/// statements name what is not there, create what is, or break a key.
fn statement(rng: &mut Rng, n: usize, step: usize) -> String {
    let t = |rng: &mut Rng| format!("t{}", rng.below(n + 2));
    let col = |rng: &mut Rng| ["a", "b", "id", "c1", "c2", "c3"][rng.below(6)].to_string();
    match rng.below(22) {
        0..=3 => {
            let key = match rng.below(5) {
                0 => format!(", p INT REFERENCES {}(id)", t(rng)),
                1 => format!(", p INT REFERENCES {}(a) ON DELETE CASCADE", t(rng)),
                2 => format!(", FOREIGN KEY (b) REFERENCES \"{}\"", t(rng)),
                _ => String::new(),
            };
            let id = if rng.chance(20) {
                "id INTEGER PRIMARY KEY AUTOINCREMENT"
            } else {
                "id INTEGER PRIMARY KEY"
            };
            format!("CREATE TABLE {} ({id}, a TEXT UNIQUE, b INT{key})", t(rng))
        }
        4 | 5 => format!(
            "CREATE {}INDEX ix{} ON {} ({})",
            if rng.chance(30) { "UNIQUE " } else { "" },
            rng.below(n + 2),
            t(rng),
            col(rng)
        ),
        6 => format!("ALTER TABLE {} ADD COLUMN c{} INT", t(rng), rng.below(4)),
        7 => format!(
            "ALTER TABLE {} ADD COLUMN c{} INT REFERENCES {}(id)",
            t(rng),
            rng.below(4),
            t(rng)
        ),
        8 => format!("ALTER TABLE {} RENAME TO {}", t(rng), t(rng)),
        9 => format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            t(rng),
            col(rng),
            col(rng)
        ),
        10 => format!("ALTER TABLE {} DROP COLUMN {}", t(rng), col(rng)),
        11 | 12 => format!(
            "INSERT INTO {} (a, b) VALUES ('r{step}', {})",
            t(rng),
            rng.below(3)
        ),
        13 => format!("DELETE FROM {}", t(rng)),
        14 => format!("UPDATE {} SET b = b + 1", t(rng)),
        15 => format!(
            "CREATE VIEW v{} AS SELECT x.a, y.b FROM {} x JOIN {} y ON x.id = y.id",
            rng.below(n + 2),
            t(rng),
            t(rng)
        ),
        16 => format!(
            "CREATE TRIGGER tr{} AFTER INSERT ON {} BEGIN INSERT INTO {} (a) VALUES (NEW.a || 't'); END",
            rng.below(n + 2),
            t(rng),
            t(rng)
        ),
        17 => format!("DROP TABLE {}", t(rng)),
        18 => format!("DROP INDEX ix{}", rng.below(n + 2)),
        19 => format!("DROP VIEW v{}", rng.below(n + 2)),
        20 => format!("SELECT count(*) FROM {} WHERE {} IS NULL", t(rng), col(rng)),
        _ => format!("CREATE TABLE {} AS SELECT * FROM {}", t(rng), t(rng)),
    }
}

fn chain(seed: u64, revisions: usize) -> Vec<Revision> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = Vec::new();
    for r in 0..revisions {
        let n = r + 1;
        let count = 1 + rng.below(4);
        let up: Vec<String> = (0..count)
            .map(|s| statement(&mut rng, n, r * 10 + s))
            .collect();
        let down: Vec<String> = (0..rng.below(3))
            .map(|s| statement(&mut rng, n, r * 10 + s))
            .collect();
        let parent = if r == 0 {
            "none".to_string()
        } else {
            format!("r{}", r - 1)
        };
        let mut text = format!(
            "-- revision: r{r}\n-- down_revision: {parent}\n-- migrate:upgrade\n{};\n",
            up.join(";\n")
        );
        if !down.is_empty() {
            text.push_str(&format!("-- migrate:downgrade\n{};\n", down.join(";\n")));
        }
        out.push(parse_revision(&format!("m/r{r}.sql"), &text).expect("generated revision parses"));
    }
    out
}

/// The database's catalog, sorted, with each table's row count.
fn catalog(replay: &mut Replay) -> Vec<String> {
    replay.parked.restore_all(&replay.db);
    let mut rows: Vec<String> = park::query(
        &replay.db,
        "SELECT type, name, tbl_name, sql FROM sqlite_schema",
        &[],
    )
    .into_iter()
    .map(|r| format!("{r:?}"))
    .collect();
    for row in park::query(
        &replay.db,
        "SELECT name FROM sqlite_schema WHERE type = 'table'",
        &[],
    ) {
        let name = row[0].clone().unwrap_or_default();
        let quoted = crate::quote_ident_always(&name);
        let count = park::query(&replay.db, &format!("SELECT count(*) FROM {quoted}"), &[]);
        rows.push(format!("{name}: {count:?}"));
    }
    rows.sort();
    rows
}

/// When several children's keys do not match a parent, SQLite names the one
/// it meets first, in the order their tables were loaded: a table brought
/// back is loaded later than in the plain replay. The statement and the
/// error are the same; the child named may differ.
fn same_up_to_child(error: &str) -> String {
    match error.split_once("foreign key mismatch - \"") {
        Some((before, after)) => match after.split_once("\" referencing") {
            Some((_, rest)) => format!("{before}foreign key mismatch - … referencing{rest}"),
            None => error.to_string(),
        },
        None => error.to_string(),
    }
}

#[test]
fn parking_changes_nothing_on_generated_chains() {
    let mut parked_some = 0;
    for seed in 1..=150u64 {
        let revs = chain(seed, 40);
        let graph = RevisionGraph::from_revisions(&revs).expect("a straight chain");
        let order = graph.topological_order();
        let mut plain = run(&revs, order, None).expect("SQLite opens");
        let mut parked = run(&revs, order, Some((seed % 4) as usize)).expect("SQLite opens");
        let text = |r: &Replay| {
            r.errors
                .iter()
                .map(|e| same_up_to_child(&e.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(text(&parked), text(&plain), "seed {seed}: errors differ");
        parked_some += usize::from(parked.parked.parked_count() > 0);
        assert_eq!(
            catalog(&mut parked),
            catalog(&mut plain),
            "seed {seed}: databases differ"
        );
    }
    assert!(
        parked_some > 100,
        "the chains must exercise parking ({parked_some} of 150)"
    );
}

#[test]
fn a_long_chain_stays_small() {
    // 400 tables, each altered and dropped: the database never holds more
    // than the limit plus the revision's own tables.
    let mut revs = Vec::new();
    for r in 0..400 {
        let parent = if r == 0 {
            "none".to_string()
        } else {
            format!("r{}", r - 1)
        };
        let old = if r > 0 {
            format!("ALTER TABLE t{} ADD COLUMN z INT;\n", r / 2)
        } else {
            String::new()
        };
        let text = format!(
            "-- revision: r{r}\n-- down_revision: {parent}\n-- migrate:upgrade\n\
             CREATE TABLE t{r} (id INTEGER PRIMARY KEY, a TEXT);\nCREATE INDEX ix{r} ON t{r} (a);\n{old}\
             -- migrate:downgrade\nDROP INDEX ix{r};\nDROP TABLE t{r};\n"
        );
        revs.push(parse_revision(&format!("m/r{r}.sql"), &text).expect("parses"));
    }
    let graph = RevisionGraph::from_revisions(&revs).expect("a straight chain");
    let replay =
        run(&revs, graph.topological_order(), Some(RESIDENT_TABLES)).expect("SQLite opens");
    let errors: Vec<String> = replay.errors.iter().map(ToString::to_string).collect();
    // Revisions 2k and 2k+1 both alter t{k}: the second adds `z` again.
    assert!(
        errors[0].contains("m/r3.sql") && errors[0].contains("duplicate column name: z"),
        "{errors:?}"
    );
}

#[test]
fn a_cascade_reaches_parked_grandchildren() {
    // Deleting from `ta` cascades into `tb`, whose child `tc` references a
    // column that is not unique: SQLite refuses the delete. `tb` and `tc`
    // are empty, so they are parked; the delete must bring back both.
    let files = [
        "CREATE TABLE ta (id INTEGER PRIMARY KEY, a TEXT UNIQUE);\n\
         CREATE TABLE tb (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b INT, p TEXT REFERENCES ta(a) ON DELETE CASCADE);\n\
         CREATE TABLE tc (x INT REFERENCES tb(b));\n\
         INSERT INTO ta (a) VALUES ('r');",
        "DELETE FROM ta;",
    ];
    let revs: Vec<Revision> = files
        .iter()
        .enumerate()
        .map(|(r, up)| {
            let parent = if r == 0 {
                "none".to_string()
            } else {
                format!("r{}", r - 1)
            };
            let text = format!(
                "-- revision: r{r}\n-- down_revision: {parent}\n-- migrate:upgrade\n{up}\n"
            );
            parse_revision(&format!("m/r{r}.sql"), &text).expect("parses")
        })
        .collect();
    let graph = RevisionGraph::from_revisions(&revs).expect("a straight chain");
    let order = graph.topological_order();
    let plain = run(&revs, order, None).expect("SQLite opens");
    let parked = run(&revs, order, Some(0)).expect("SQLite opens");
    let text = |r: &Replay| r.errors.iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(text(&parked), text(&plain));
    assert!(
        text(&plain)[0].contains("foreign key mismatch - \"tc\" referencing \"tb\""),
        "{:?}",
        text(&plain)
    );
}
