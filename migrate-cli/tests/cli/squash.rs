//! `migrate squash` (a checkpoint written from the schema model or by
//! concatenation, what came after pointed at it, databases at every point
//! of the range brought to head), `migrate squash --prune` and `migrate
//! rebase`, as a user runs them.

use crate::common::{Project, generated_path, header_value};

/// A project with five revisions (users with two rows, emails, posts, an
/// index, tags); returns their ids.
fn chain(p: &Project, dialect: &str) -> Vec<String> {
    let config = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("dialect = \"any\"", &format!("dialect = \"{dialect}\"")),
    )
    .unwrap();
    let steps = [
        (
            "users",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nINSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'grace');",
            "DROP TABLE users;",
        ),
        (
            "emails",
            "ALTER TABLE users ADD COLUMN email TEXT;",
            "ALTER TABLE users DROP COLUMN email;",
        ),
        (
            "posts",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);",
            "DROP TABLE posts;",
        ),
        (
            "posts by user",
            "CREATE INDEX posts_user ON posts (user_id);",
            "DROP INDEX posts_user;",
        ),
        (
            "tags",
            "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE);",
            "DROP TABLE tags;",
        ),
    ];
    steps
        .iter()
        .map(|(m, up, down)| p.revision(&["-m", m], up, Some(down)))
        .collect()
}

/// The history's revisions, in order, as `migrate history` does not show
/// them (it reads the files): straight from the table.
fn recorded(url: &str) -> Vec<String> {
    let url = url.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let rows: Vec<String> = if url.starts_with("sqlite:") {
                    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::query_scalar("SELECT revision FROM migrate_history ORDER BY seq")
                        .fetch_all(&pool)
                        .await
                        .unwrap()
                } else {
                    let pool = sqlx::PgPool::connect(&url).await.unwrap();
                    sqlx::query_scalar("SELECT revision FROM migrate_history ORDER BY seq")
                        .fetch_all(&pool)
                        .await
                        .unwrap()
                };
                rows
            })
    })
    .join()
    .unwrap()
}

/// Squashes the middle three revisions, then brings a database from every
/// point of the old chain to head.
fn squash_and_upgrade_every_point(p: &Project, ids: &[String], urls: &[String]) {
    // Databases at every point of the old chain, before the squash.
    for (k, url) in urls.iter().enumerate() {
        if k > 0 {
            p.ok(&["upgrade", &ids[k - 1], "--database-url", url]);
        }
    }
    let range = format!("{}:{}", ids[1], ids[3]);
    let out = p.ok(&["squash", &range, "-m", "emails and posts"]);
    let path = generated_path(&out);
    let file = p.path().join(&path);
    let checkpoint = header_value(&file, "revision");
    assert_eq!(header_value(&file, "down_revision"), ids[0]);
    assert_eq!(
        header_value(&file, "replaces"),
        format!("{}, {}, {}", ids[1], ids[2], ids[3])
    );
    // The schema change of the range, rendered (types as each dialect
    // spells them): one CREATE TABLE for posts with its keys, the index,
    // the column.
    let text = std::fs::read_to_string(&file).unwrap().to_lowercase();
    for statement in [
        "create table posts (",
        "create index posts_user on posts (user_id);",
        "alter table users add column email text;",
        "drop table posts;",
    ] {
        assert!(text.contains(statement), "{text}");
    }
    assert!(
        out.stdout.contains("Pointing migrations/"),
        "{}",
        out.stdout
    );
    // The tags revision now comes after the checkpoint.
    assert_eq!(
        header_value(&p.file_of(&ids[4]), "down_revision"),
        checkpoint
    );
    p.ok(&["check"]);
    let history = p.ok(&["history"]);
    assert!(!history.stdout.contains(&ids[2]), "{}", history.stdout);
    assert!(history.stdout.contains(&checkpoint), "{}", history.stdout);
    let expected = vec![ids[0].clone(), checkpoint.clone(), ids[4].clone()];
    for (k, url) in urls.iter().enumerate() {
        let out = p.ok(&["upgrade", "head", "--database-url", url]);
        assert!(
            out.stdout.contains(&format!("Now at {} (head)", ids[4]))
                || out.stdout.contains("Nothing to do"),
            "point {k}: {}",
            out.stdout
        );
        assert_eq!(recorded(url), expected, "point {k}");
        if k == 2 {
            // It went on along the range: the output names the replaced
            // revisions it ran, with their messages.
            for line in [
                format!("Applied {} posts (", ids[2]),
                format!("Applied {} posts by user (", ids[3]),
            ] {
                assert!(out.stdout.contains(&line), "{}", out.stdout);
            }
        }
    }
}

#[test]
fn squash_on_sqlite_brings_every_point_to_head_and_prunes() {
    let p = Project::init();
    let ids = chain(&p, "sqlite");
    let urls: Vec<String> = (0..=5)
        .map(|k| {
            format!(
                "sqlite://{}?mode=rwc",
                p.path().join(format!("p{k}.db")).display()
            )
        })
        .collect();
    // A database left inside the range, to try the prune against.
    let inside = format!("sqlite://{}?mode=rwc", p.path().join("inside.db").display());
    p.ok(&["upgrade", &ids[2], "--database-url", &inside]);
    squash_and_upgrade_every_point(&p, &ids, &urls);

    // A downgrade from inside the range is refused, naming the way out.
    let out = p.fails(
        &["downgrade", "-1", "--database-url", &inside],
        1,
        "stands inside the squashed range",
    );
    assert!(out.stderr.contains("migrate upgrade"), "{}", out.stderr);
    assert_eq!(recorded(&inside), ids[..3].to_vec());

    // --prune refuses while that database is inside a range.
    p.fails(
        &["squash", "--prune", "--database-url", &inside],
        1,
        "nothing was removed",
    );
    assert!(p.file_of(&ids[2]).exists());
    // Once it is past the checkpoint, the replaced files go.
    p.ok(&["upgrade", "head", "--database-url", &inside]);
    let out = p.ok(&["squash", "--prune", "--database-url", &inside]);
    assert_eq!(out.stdout.matches("Removing ").count(), 3, "{}", out.stdout);
    for id in &ids[1..4] {
        let left = std::fs::read_dir(p.migrations())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(id.as_str())
            })
            .count();
        assert_eq!(left, 0, "{id} still has a file");
    }
    p.ok(&["check"]);
    // A new database after the prune applies the checkpoint.
    let fresh = format!("sqlite://{}?mode=rwc", p.path().join("fresh.db").display());
    p.ok(&["upgrade", "head", "--database-url", &fresh]);
    assert_eq!(recorded(&fresh).len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squash_on_postgres_brings_every_point_to_head() {
    let mut dbs = Vec::new();
    for _ in 0..=5 {
        dbs.push(migrate_tests::fresh_pg_db().await);
    }
    let urls: Vec<String> = dbs.iter().map(|d| d.url.clone()).collect();
    tokio::task::spawn_blocking(move || {
        let p = Project::init();
        let ids = chain(&p, "postgres");
        squash_and_upgrade_every_point(&p, &ids, &urls);
    })
    .await
    .unwrap();
}

#[test]
fn a_checkpoint_that_differs_from_its_range_fails_the_check() {
    let p = Project::init();
    let ids = chain(&p, "sqlite");
    let out = p.ok(&["squash", &format!("{}:{}", ids[1], ids[3]), "-m", "cp"]);
    let file = p.path().join(generated_path(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("CREATE INDEX posts_user ON posts (user_id);", ""),
    )
    .unwrap();
    let out = p.fails(
        &["check"],
        1,
        "does not give the schema of the revisions it replaces",
    );
    assert!(
        out.stderr.contains("drop index posts_user"),
        "{}",
        out.stderr
    );
}

#[test]
fn squash_refuses_what_it_cannot_render_and_concat_keeps_it() {
    let p = Project::init();
    let ids = chain(&p, "sqlite");
    // The first revision inserts rows: rendering the schema would lose them.
    let range = format!("{}:{}", ids[0], ids[2]);
    let out = p.fails(&["squash", &range, "-m", "cp"], 1, "squash with --concat");
    assert!(out.stderr.contains("(INSERT)"), "{}", out.stderr);
    let out = p.ok(&["squash", &range, "-m", "cp", "--concat"]);
    let file = p.path().join(generated_path(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("INSERT INTO users (id, name) VALUES (1, 'ada')"),
        "{text}"
    );
    assert_eq!(header_value(&file, "down_revision"), "none");
    p.ok(&["check"]);
    let url = p.sqlite_url() + "?mode=rwc";
    p.ok(&["upgrade", "head", "--database-url", &url]);
    assert_eq!(recorded(&url).len(), 3);
    // A range that is not one: TO below FROM.
    p.fails(
        &["squash", &format!("{}:{}", ids[4], ids[3]), "-m", "x"],
        1,
        "is not an ancestor of",
    );
}

#[test]
fn rebase_moves_an_unapplied_branch_onto_the_head_and_refuses_an_applied_one() {
    let p = Project::init();
    let ids = chain(&p, "sqlite");
    // A second branch from the third revision, as a teammate's would be.
    let out = p.ok(&["revision", "-m", "notes", "--head", &ids[2], "--splice"]);
    let notes = p.fill_generated(
        &out,
        "CREATE TABLE notes (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE notes;"),
    );
    p.fails(&["check"], 1, "Multiple head revisions");
    let url = p.sqlite_url() + "?mode=rwc";
    // The configured database applied the branch: moving it is refused.
    p.ok(&["upgrade", "heads", "--database-url", &url]);
    p.fails(
        &["rebase", &notes, "--database-url", &url],
        1,
        "migrate merge heads",
    );
    assert_eq!(header_value(&p.file_of(&notes), "down_revision"), ids[2]);
    // A database that has not: the branch goes on top of the head.
    let other = format!("sqlite://{}?mode=rwc", p.path().join("other.db").display());
    let out = p.ok(&["rebase", &notes, "--database-url", &other]);
    assert!(
        out.stdout.contains(&format!("onto {}", ids[4])),
        "{}",
        out.stdout
    );
    assert_eq!(header_value(&p.file_of(&notes), "down_revision"), ids[4]);
    p.ok(&["check"]);
    let heads = p.ok(&["heads"]);
    assert!(heads.stdout.contains(&notes), "{}", heads.stdout);
    assert_eq!(heads.stdout.lines().count(), 1, "{}", heads.stdout);
}
