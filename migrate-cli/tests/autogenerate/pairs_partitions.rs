//! Pairs A → B for declarative partitioning (PostgreSQL), through the same
//! loop as [`crate::pairs`], and how `exclude` and a change PostgreSQL
//! cannot make in place are handled.

use crate::pairs::{Case, case, pg_pairs};
use crate::{Db, Project, TestDb, generated_path};

pg_pairs! {
    create_range_partitioned_table => CREATE_RANGE;
    add_partition_with_rows => ADD_PARTITION;
    drop_partition => DROP_PARTITION;
    change_partition_bound_keeps_rows => CHANGE_BOUND;
    column_and_index_on_partitioned_parent => PARENT_COLUMN_AND_INDEX;
    list_and_hash_partitioned_tables => LIST_AND_HASH;
    plain_table_becomes_a_partition => TABLE_TO_PARTITION;
}

/// A table filled on its own, then attached to a partitioned table (how a
/// partition is often loaded): `ATTACH PARTITION`, rows kept.
const TABLE_TO_PARTITION: Case = Case {
    seed: "INSERT INTO events_2020 (id, at) VALUES (1, '2020-03-01'), (2, '2020-04-01');",
    after: &[
        ("SELECT count(*) FROM events", 2),
        (
            "SELECT count(*) FROM pg_class WHERE relname = 'events_2020' AND relispartition",
            1,
        ),
    ],
    expect: &[
        "ALTER TABLE events ATTACH PARTITION events_2020 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
        "ALTER TABLE events DETACH PARTITION events_2020;",
    ],
    ..case(
        "CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE events_2020 (id INTEGER NOT NULL, at DATE NOT NULL);",
        "CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
    )
};

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);";

const SEED: &str = "INSERT INTO users (id, name) VALUES (1, 'ann');
INSERT INTO events (id, at, user_id, what) VALUES
    (1, '2020-03-01', 1, 'a'), (2, '2020-07-01', 1, 'b'), (3, '2021-02-01', 1, 'c');";

const CREATE_RANGE: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[
        ("SELECT count(*) FROM users", 1),
        (
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass",
            3,
        ),
        // The parent's index exists once per partition (PostgreSQL's).
        (
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'events_2020%user%'",
            1,
        ),
    ],
    expect: &[
        ") PARTITION BY RANGE (at);",
        "CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
        "CREATE TABLE events_rest PARTITION OF events DEFAULT;",
        "-- REVIEW: drops partition events_2020 of events and all its rows",
    ],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (
             id INTEGER NOT NULL,
             at DATE NOT NULL,
             user_id INTEGER REFERENCES users (id),
             what TEXT,
             PRIMARY KEY (id, at),
             CHECK (id > 0)
         ) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
         CREATE TABLE events_rest PARTITION OF events DEFAULT;
         CREATE TABLE notes (
             event_id INTEGER,
             event_at DATE,
             FOREIGN KEY (event_id, event_at) REFERENCES events (id, at) ON DELETE CASCADE
         );",
    )
};

const ADD_PARTITION: Case = Case {
    seed: SEED,
    after: &[
        ("SELECT count(*) FROM events", 3),
        ("SELECT count(*) FROM events_2020", 2),
        ("SELECT count(*) FROM events_2021", 1),
    ],
    expect: &[
        "ALTER TABLE events DETACH PARTITION events_2021;",
        "ALTER TABLE events ATTACH PARTITION events_2021 FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');",
        "CREATE TABLE events_2022 PARTITION OF events FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');",
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2021-06-01');",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
         CREATE TABLE events_2022 PARTITION OF events FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');",
    )
};

const DROP_PARTITION: Case = Case {
    seed: SEED,
    after: &[
        ("SELECT count(*) FROM events", 2),
        (
            "SELECT count(*) FROM pg_class WHERE relname = 'events_2021'",
            0,
        ),
    ],
    expect: &[
        "-- REVIEW: drops partition events_2021 of events and all its rows\nALTER TABLE events DETACH PARTITION events_2021;",
        "DROP TABLE events_2021;",
        "CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');",
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
    )
};

const CHANGE_BOUND: Case = Case {
    seed: SEED,
    after: &[
        ("SELECT count(*) FROM events", 3),
        ("SELECT count(*) FROM events_old", 3),
    ],
    expect: &[
        "ALTER TABLE events DETACH PARTITION events_old;",
        "ALTER TABLE events ATTACH PARTITION events_old FOR VALUES FROM ('2019-01-01') TO ('2022-01-01');",
        "ALTER TABLE events ATTACH PARTITION events_old FOR VALUES FROM ('2020-01-01') TO ('2022-01-01');",
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2022-01-01');",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_old PARTITION OF events FOR VALUES FROM ('2019-01-01') TO ('2022-01-01');",
    )
};

const PARENT_COLUMN_AND_INDEX: Case = Case {
    seed: SEED,
    after: &[
        ("SELECT count(*) FROM events", 3),
        ("SELECT count(*) FROM events WHERE note IS NULL", 3),
        // The new index reaches each partition.
        (
            "SELECT count(*) FROM pg_indexes WHERE tablename IN ('events_2020', 'events_2021') AND indexdef LIKE '%(what, note)%'",
            2,
        ),
    ],
    expect: &[
        "ALTER TABLE events ADD COLUMN note TEXT;",
        "CREATE INDEX events_what ON events (what, note);",
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE events (id INTEGER NOT NULL, at DATE NOT NULL, user_id INTEGER REFERENCES users (id), what TEXT,
             note TEXT, PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
         CREATE INDEX events_user ON events (user_id);
         CREATE INDEX events_what ON events (what, note);
         CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');",
    )
};

/// List (with an expression key and a sub-partitioned partition), hash,
/// and a range over `timestamptz`, whose bounds the server rewrites
/// (`'2020-01-01'` is `'2020-01-01 00:00:00+00'`).
const LIST_AND_HASH: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users", 1)],
    expect: &[
        "PARTITION BY LIST (lower(region));",
        "CREATE TABLE sites_eu PARTITION OF sites FOR VALUES IN ('eu', 'uk') PARTITION BY HASH (n);",
        // The bound as the server prints it (settled on the compared
        // database).
        "CREATE TABLE buckets_1 PARTITION OF buckets FOR VALUES WITH (modulus 2, remainder 1);",
        "CREATE TABLE sites_eu_1 PARTITION OF sites_eu FOR VALUES WITH (modulus 2, remainder 1);",
        "CREATE TABLE stamps_2020 PARTITION OF stamps FOR VALUES FROM ('2020-01-01 00:00:00+00', MINVALUE) TO ('2021-01-01 00:00:00+00', MAXVALUE);",
    ],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE sites (region TEXT, n INTEGER, code TEXT COLLATE \"C\") PARTITION BY LIST (lower(region));
         CREATE TABLE sites_eu PARTITION OF sites FOR VALUES IN ('eu', 'uk') PARTITION BY HASH (n);
         CREATE TABLE sites_eu_0 PARTITION OF sites_eu FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE sites_eu_1 PARTITION OF sites_eu FOR VALUES WITH (MODULUS 2, REMAINDER 1);
         CREATE TABLE sites_other PARTITION OF sites DEFAULT;
         CREATE TABLE buckets (id BIGINT, k TEXT) PARTITION BY HASH (id);
         CREATE TABLE buckets_0 PARTITION OF buckets FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE buckets_1 PARTITION OF buckets FOR VALUES WITH (MODULUS 2, REMAINDER 1);
         CREATE TABLE stamps (at TIMESTAMPTZ, k TEXT COLLATE \"C\") PARTITION BY RANGE (at, k text_pattern_ops);
         CREATE TABLE stamps_2020 PARTITION OF stamps FOR VALUES FROM ('2020-01-01', MINVALUE) TO ('2021-01-01', MAXVALUE);",
    )
};

/// `exclude` takes an excluded parent's partitions (and theirs) with it,
/// and may name one partition alone.
#[tokio::test]
async fn exclude_takes_a_parents_partitions_with_it() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(
        Db::Pg,
        database.url(),
        "exclude = [\"legacy\", \"events_archive\"]\n",
    );
    p.revision(
        "schema",
        "CREATE TABLE legacy (k INTEGER, n INTEGER) PARTITION BY LIST (k);
CREATE TABLE legacy_1 PARTITION OF legacy FOR VALUES IN (1) PARTITION BY HASH (n);
CREATE TABLE legacy_1_0 PARTITION OF legacy_1 FOR VALUES WITH (MODULUS 1, REMAINDER 0);
CREATE TABLE events (at DATE) PARTITION BY RANGE (at);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE events_archive PARTITION OF events FOR VALUES FROM ('2000-01-01') TO ('2020-01-01');",
        None,
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema(
        "CREATE TABLE events (at DATE) PARTITION BY RANGE (at);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
    );
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
}

/// PostgreSQL cannot partition a table in place (nor change its key): the
/// revision says so in a review line and stops the upgrade with that
/// message until the table is rebuilt by hand; nothing is changed.
#[tokio::test]
async fn partitioning_an_existing_table_stops_the_upgrade_with_a_review() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision("a", "CREATE TABLE events (id INTEGER, at DATE);", None);
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    pool.exec("INSERT INTO events (id, at) VALUES (1, '2020-01-01');")
        .await;
    p.write_schema("CREATE TABLE events (id INTEGER, at DATE) PARTITION BY RANGE (at);");
    let out = p.ok(&["revision", "--autogenerate", "-m", "partition"]);
    assert!(
        out.stdout
            .contains("Detected change the partitioning of events to RANGE (at)"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(p.path().join(generated_path(&out))).unwrap();
    assert!(
        text.contains("-- REVIEW: PostgreSQL cannot change the partitioning of events in place (not partitioned -> PARTITION BY RANGE (at)): rebuild it by hand"),
        "{text}"
    );
    let failed = p.fails(
        &["upgrade", "head"],
        1,
        "cannot change the partitioning of events",
    );
    assert!(!failed.stderr.is_empty());
    assert_eq!(pool.int("SELECT count(*) FROM events").await, 1);
    assert_eq!(
        pool.int("SELECT count(*) FROM pg_class WHERE relname = 'events' AND relkind = 'r'")
            .await,
        1
    );
    pool.close().await;
}
