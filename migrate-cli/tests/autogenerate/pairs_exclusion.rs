//! Pairs A → B for exclusion constraints (PostgreSQL), through the same
//! loop as [`crate::pairs`]: added to a table with rows, changed (operator
//! and predicate), dropped.

use crate::pairs::{Case, case, pg_pairs};
use crate::{Db, Project, TestDb};

pg_pairs! {
    add_exclusion_constraints => ADD_EXCLUSIONS;
    change_exclusion_operator_and_predicate => CHANGE_EXCLUSIONS;
    drop_exclusion_constraints => DROP_EXCLUSIONS;
}

const BOOKING: &str = "CREATE TABLE booking (
    id INTEGER PRIMARY KEY,
    room INTEGER NOT NULL,
    starts TIMESTAMPTZ NOT NULL,
    ends TIMESTAMPTZ NOT NULL,
    during TSTZRANGE NOT NULL
);";

/// Two bookings that neither overlap nor touch.
const ROWS: &str = "INSERT INTO booking (id, room, starts, ends, during) VALUES
    (1, 1, '2025-01-01', '2025-01-02', '[2025-01-01, 2025-01-02)'),
    (2, 2, '2025-02-01', '2025-02-02', '[2025-02-01, 2025-02-02)');";

const CONSTRAINTS: &str = "SELECT count(*) FROM pg_constraint WHERE contype = 'x'";

const ADD_EXCLUSIONS: Case = Case {
    seed: ROWS,
    after: &[("SELECT count(*) FROM booking", 2), (CONSTRAINTS, 2)],
    expect: &[
        "ALTER TABLE booking ADD CONSTRAINT booking_during_excl EXCLUDE USING gist (during WITH &&);",
        "ALTER TABLE booking ADD CONSTRAINT booking_room_free EXCLUDE USING gist ((int4range(room, room, '[]')) WITH &&, (tstzrange(starts, ends, '[)')) WITH &&) WHERE (room > 0);",
        "ALTER TABLE booking DROP CONSTRAINT booking_room_free;",
    ],
    ..case(
        BOOKING,
        "CREATE TABLE booking (
    id INTEGER PRIMARY KEY,
    room INTEGER NOT NULL,
    starts TIMESTAMPTZ NOT NULL,
    ends TIMESTAMPTZ NOT NULL,
    during TSTZRANGE NOT NULL,
    EXCLUDE USING gist (during WITH &&),
    CONSTRAINT booking_room_free EXCLUDE USING gist (
        int4range(room, room, '[]') WITH &&,
        tstzrange(starts, ends, '[)') WITH &&
    ) WHERE (room > 0)
);",
    )
};

const CHANGE_EXCLUSIONS: Case = Case {
    seed: ROWS,
    after: &[
        ("SELECT count(*) FROM booking", 2),
        (
            "SELECT count(*) FROM pg_constraint WHERE contype = 'x' AND pg_get_constraintdef(oid) LIKE '%-|-%'",
            1,
        ),
        (
            "SELECT count(*) FROM pg_constraint WHERE contype = 'x' AND pg_get_constraintdef(oid) LIKE '%room > 10%'",
            1,
        ),
    ],
    expect: &[
        "ALTER TABLE booking DROP CONSTRAINT booking_no_overlap;",
        "ALTER TABLE booking ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH -|-);",
        "ALTER TABLE booking ADD CONSTRAINT booking_room_free EXCLUDE USING gist ((int4range(room, room, '[]')) WITH &&, during WITH &&) WHERE (room > 10);",
    ],
    ..case(
        "CREATE TABLE booking (
    id INTEGER PRIMARY KEY,
    room INTEGER NOT NULL,
    starts TIMESTAMPTZ NOT NULL,
    ends TIMESTAMPTZ NOT NULL,
    during TSTZRANGE NOT NULL,
    CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH &&),
    CONSTRAINT booking_room_free EXCLUDE USING gist (int4range(room, room, '[]') WITH &&, during WITH &&) WHERE (room > 0)
);",
        "CREATE TABLE booking (
    id INTEGER PRIMARY KEY,
    room INTEGER NOT NULL,
    starts TIMESTAMPTZ NOT NULL,
    ends TIMESTAMPTZ NOT NULL,
    during TSTZRANGE NOT NULL
);
ALTER TABLE ONLY public.booking
    ADD CONSTRAINT booking_no_overlap EXCLUDE USING gist (during WITH -|-);
ALTER TABLE ONLY public.booking
    ADD CONSTRAINT booking_room_free EXCLUDE USING gist (int4range(room, room, '[]') WITH &&, during WITH &&) WHERE ((room > 10));",
    )
};

const DROP_EXCLUSIONS: Case = Case {
    seed: ROWS,
    after: &[("SELECT count(*) FROM booking", 2), (CONSTRAINTS, 0)],
    expect: &[
        "ALTER TABLE booking DROP CONSTRAINT booking_during_excl;",
        "ALTER TABLE booking DROP CONSTRAINT booking_room_free;",
        "ALTER TABLE booking ADD CONSTRAINT booking_room_free EXCLUDE (room WITH =) DEFERRABLE INITIALLY DEFERRED;",
    ],
    ..case(
        "CREATE TABLE booking (
    id INTEGER PRIMARY KEY,
    room INTEGER NOT NULL,
    starts TIMESTAMPTZ NOT NULL,
    ends TIMESTAMPTZ NOT NULL,
    during TSTZRANGE NOT NULL,
    EXCLUDE USING gist (during WITH &&),
    CONSTRAINT booking_room_free EXCLUDE (room WITH =) DEFERRABLE INITIALLY DEFERRED
);",
        BOOKING,
    )
};

/// A table listed in `exclude` keeps the exclusion constraints it was given
/// by hand: neither `check` nor autogenerate reports them, and the table's
/// own index stays out of the comparison with it.
#[tokio::test]
async fn an_excluded_table_keeps_its_exclusion_constraints() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "exclude = [\"legacy_*\"]\n");
    p.revision("a", BOOKING, None);
    p.write_schema(BOOKING);
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    pool.exec("CREATE TABLE legacy_slots (during tstzrange, EXCLUDE USING gist (during WITH &&));")
        .await;
    assert_eq!(pool.int(CONSTRAINTS).await, 1);
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    pool.close().await;
}

/// The revision autogenerate writes for exclusion constraints folds to the
/// declared schema: `check --offline` is clean before the upgrade runs (the
/// fold reads the rendered `ADD CONSTRAINT … EXCLUDE` and its downgrade),
/// and `check` with the database after it.
#[tokio::test]
async fn a_generated_revision_folds_to_the_declared_exclusions() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision("a", BOOKING, None);
    p.ok(&["upgrade", "head"]);
    p.write_schema(ADD_EXCLUSIONS.b);
    p.ok(&["revision", "--autogenerate", "-m", "exclusions"]);
    let offline = p.ok(&["check", "--offline"]);
    assert!(
        offline
            .stdout
            .contains("No new upgrade operations detected."),
        "{}\n{}",
        offline.stdout,
        offline.stderr
    );
    p.write_schema(CHANGE_EXCLUSIONS.b);
    p.fails(
        &["check", "--offline"],
        1,
        "add exclusion constraint booking_no_overlap on booking",
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema(ADD_EXCLUSIONS.b);
    p.ok(&["check"]);
}
