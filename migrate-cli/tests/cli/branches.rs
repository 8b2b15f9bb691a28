//! Several heads, as Alembic reads them (issue 25, "Branches"): reading
//! commands and `heads` work, `upgrade heads` applies every branch, and only
//! what needs a single head (`head`, a new revision without `--head`,
//! `check`, which judges as `embed_migrations!` does) refuses.

use crate::common::Project;

fn with_url<'a>(args: &[&'a str], url: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    all
}

/// `a`, then two unlabelled children `b` and `c`: two heads, no merge.
fn two_unmerged_heads() -> (Project, String, String, String) {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "create u"],
        "CREATE TABLE u (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE u;"),
    );
    let c = p.revision(
        &["-m", "create v", "--head", &a, "--splice"],
        "CREATE TABLE v (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE v;"),
    );
    (p, a, b, c)
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort_unstable();
    lines
}

#[test]
fn two_unmerged_heads_can_be_read_and_upgraded_with_heads() {
    let (p, a, b, c) = two_unmerged_heads();
    let url = p.sqlite_url();
    let heads = p.ok(&["heads"]);
    assert_eq!(
        sorted(heads.stdout.lines().map(str::to_owned).collect()),
        sorted(vec![format!("{b} (head)"), format!("{c} (head)")])
    );
    assert_eq!(heads.stderr, "", "reading warns about nothing");
    let history = p.ok(&["history"]);
    assert_eq!(history.lines().len(), 3, "{}", history.stdout);
    assert_eq!(history.stderr, "");
    p.ok(&["show", &b]);
    p.ok(&["show", "heads"]);
    let script = p.ok(&with_url(&["upgrade", "--sql", "heads"], &url));
    for id in [&a, &b, &c] {
        assert!(
            script.stdout.contains(&format!("'{id}'")),
            "{}",
            script.stdout
        );
    }

    p.ok(&with_url(&["upgrade", "+1"], &url));
    assert_eq!(
        p.ok(&with_url(&["current"], &url)).stdout,
        format!("{a} (branchpoint)\n")
    );

    // `head` refuses and says `heads`; `heads` applies both branches.
    let out = p.fails(
        &with_url(&["upgrade", "head"], &url),
        1,
        "run `migrate upgrade heads` to upgrade every branch, or `migrate merge heads -m MSG` to join them",
    );
    assert!(
        out.stderr.contains(&b) && out.stderr.contains(&c),
        "{}",
        out.stderr
    );
    let out = p.ok(&with_url(&["upgrade", "heads"], &url));
    assert_eq!(
        out.lines()
            .iter()
            .filter(|l| l.starts_with("Applied "))
            .count(),
        2,
        "{}",
        out.stdout
    );
    let current = p.ok(&with_url(&["current", "--check-heads"], &url));
    assert_eq!(
        sorted(current.stdout.lines().map(str::to_owned).collect()),
        sorted(vec![format!("{b} (head)"), format!("{c} (head)")])
    );
    let marked = p.ok(&with_url(&["history", "--indicate-current"], &url));
    assert_eq!(
        marked.stdout.matches("(current)").count(),
        2,
        "{}",
        marked.stdout
    );
    p.ok(&with_url(&["downgrade", &a], &url));
    assert_eq!(
        p.ok(&with_url(&["current"], &url)).stdout,
        format!("{a} (branchpoint)\n")
    );

    // A new revision needs --head; check judges as the macro does.
    p.fails(&["revision", "-m", "more"], 1, "Multiple heads are present");
    p.fails(&["check"], 1, "Multiple head revisions are present");
}

#[test]
fn upgrade_head_beside_a_labelled_branch_advises_upgrade_heads() {
    let p = Project::init();
    let url = p.sqlite_url();
    let trunk = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let extra = p.revision(
        &[
            "-m",
            "create x",
            "--head",
            "base",
            "--branch-label",
            "extra",
        ],
        "CREATE TABLE x (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE x;"),
    );
    p.ok(&["check"]);
    let advice = "run `migrate upgrade heads` to upgrade every branch, or `migrate upgrade extra@head` for one branch";
    for args in [&["upgrade", "head"][..], &["upgrade", "--sql", "head"]] {
        let out = p.fails(&with_url(args, &url), 1, advice);
        assert!(
            out.stderr.contains("`head` is one of 2 heads ("),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(&trunk), "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("{extra} (extra)")),
            "{}",
            out.stderr
        );
    }
    p.ok(&with_url(&["upgrade", "extra@head"], &url));
    p.ok(&with_url(&["upgrade", "heads"], &url));
    p.ok(&with_url(&["current", "--check-heads"], &url));
}
