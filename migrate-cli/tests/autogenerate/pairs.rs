//! The table of schema pairs A → B, each run through the whole loop on every
//! database it applies to.

use crate::{Db, Project, TestDb, generated_path};

/// One pair.
pub struct Case {
    /// The schema before (also the first revision's upgrade).
    pub a: &'static str,
    /// The declared schema after.
    pub b: &'static str,
    /// Rows inserted once A is in place.
    pub seed: &'static str,
    /// `(query, value)`: single-integer queries checked after the upgrade.
    pub after: &'static [(&'static str, i64)],
    /// Text the generated revision must contain (a `-- REVIEW:` line…).
    pub expect: &'static [&'static str],
    /// `include_schemas = true` in migrate.toml.
    pub include_schemas: bool,
}

pub(crate) const fn case(a: &'static str, b: &'static str) -> Case {
    Case {
        a,
        b,
        seed: "",
        after: &[],
        expect: &[],
        include_schemas: false,
    }
}

/// The whole loop for one pair on one database.
pub async fn run(db: Db, case: &Case) {
    let database = TestDb::fresh(db).await;
    let extra = if case.include_schemas {
        "include_schemas = true\n"
    } else {
        ""
    };
    let p = Project::new(db, database.url(), extra);
    p.revision("a", case.a, None);
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    if !case.seed.is_empty() {
        pool.exec(case.seed).await;
    }
    assert_eq!(
        pool.differences(case.a, case.include_schemas).await,
        Vec::<String>::new(),
        "A does not read back as itself"
    );

    p.write_schema(case.b);
    let out = p.ok(&["revision", "--autogenerate", "-m", "x"]);
    let file = p.path().join(generated_path(&out));
    let text = std::fs::read_to_string(&file).expect("read the generated revision");
    assert!(
        out.stdout.contains("  Detected "),
        "no change listed:\n{}",
        out.stdout
    );
    for needle in case.expect {
        assert!(
            text.contains(needle),
            "the revision lacks {needle:?}:\n{text}"
        );
    }
    p.assert_loads();

    p.ok(&["upgrade", "head"]);
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    assert_eq!(
        pool.differences(case.b, case.include_schemas).await,
        Vec::<String>::new(),
        "after upgrade the database is not B; revision:\n{text}"
    );
    for (query, expected) in case.after {
        assert_eq!(
            pool.int(query).await,
            *expected,
            "{query}\nrevision:\n{text}"
        );
    }
    let again = p.ok(&["revision", "--autogenerate", "-m", "again"]);
    assert!(
        again.stdout.contains("No changes in schema detected."),
        "{}",
        again.stdout
    );

    p.ok(&["downgrade", "-1"]);
    assert_eq!(
        pool.differences(case.a, case.include_schemas).await,
        Vec::<String>::new(),
        "after downgrade the database is not A; revision:\n{text}"
    );
    pool.close().await;
}

/// Declares `#[tokio::test]`s: `name => CASE on [Pg, Sqlite]`.
/// One PostgreSQL-only test per case, named as given (the kinds that exist
/// only there).
macro_rules! pg_pairs {
    ($($name:ident => $case:ident;)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                crate::pairs::run(crate::Db::Pg, &$case).await;
            }
        )*
    };
}
pub(crate) use pg_pairs;

macro_rules! pairs {
    ($($name:ident => $case:ident on [$($db:ident),+];)*) => {
        $(
            mod $name {
                $(
                    #[allow(non_snake_case)]
                    #[tokio::test]
                    async fn $db() {
                        super::run(crate::Db::$db, &super::$case).await;
                    }
                )+
            }
        )*
    };
}

pairs! {
    create_table => CREATE_TABLE on [Pg, Sqlite];
    drop_table => DROP_TABLE on [Pg, Sqlite];
    add_column => ADD_COLUMN on [Pg, Sqlite];
    add_not_null_column_with_default => ADD_NOT_NULL_COLUMN on [Pg, Sqlite];
    drop_column => DROP_COLUMN on [Pg, Sqlite];
    widen_type => WIDEN_TYPE on [Pg, Sqlite];
    narrow_type => NARROW_TYPE on [Pg, Sqlite];
    set_not_null => SET_NOT_NULL on [Pg, Sqlite];
    drop_not_null => DROP_NOT_NULL on [Pg, Sqlite];
    add_default => ADD_DEFAULT on [Pg, Sqlite];
    change_default => CHANGE_DEFAULT on [Pg, Sqlite];
    drop_default => DROP_DEFAULT on [Pg, Sqlite];
    add_identity => ADD_IDENTITY on [Pg];
    autoincrement => AUTOINCREMENT on [Sqlite];
    add_generated_column => ADD_GENERATED on [Pg, Sqlite];
    change_generation_expression => CHANGE_GENERATED on [Pg, Sqlite];
    change_primary_key => CHANGE_PK on [Pg, Sqlite];
    add_named_unique => ADD_NAMED_UNIQUE on [Pg, Sqlite];
    add_unnamed_unique => ADD_UNNAMED_UNIQUE on [Pg, Sqlite];
    drop_named_unique => DROP_NAMED_UNIQUE on [Pg, Sqlite];
    drop_unnamed_unique => DROP_UNNAMED_UNIQUE on [Pg, Sqlite];
    add_foreign_key => ADD_FK on [Pg, Sqlite];
    drop_foreign_key => DROP_FK on [Pg, Sqlite];
    change_foreign_key_actions => CHANGE_FK_ACTIONS on [Pg, Sqlite];
    add_check => ADD_CHECK on [Pg, Sqlite];
    drop_check => DROP_CHECK on [Pg, Sqlite];
    add_indexes => ADD_INDEXES on [Pg, Sqlite];
    drop_indexes => DROP_INDEXES on [Pg, Sqlite];
    gin_index => GIN_INDEX on [Pg];
    create_enum => CREATE_ENUM on [Pg];
    add_enum_value => ADD_ENUM_VALUE on [Pg];
    remove_enum_value => REMOVE_ENUM_VALUE on [Pg];
    enum_with_default_remove_value => ENUM_DEFAULT_REMOVE on [Pg];
    enum_with_default_reorder => ENUM_DEFAULT_REORDER on [Pg];
    enum_with_default_remove_the_default => ENUM_DEFAULT_REMOVE_DEFAULT on [Pg];
    enum_with_default_add_value => ENUM_DEFAULT_ADD on [Pg];
    create_schema => CREATE_SCHEMA on [Pg];
    comments => COMMENTS on [Pg];
    probable_column_rename => RENAME_COLUMN on [Pg, Sqlite];
    probable_table_rename => RENAME_TABLE on [Pg, Sqlite];
    declared_column_rename => DECLARED_COLUMN_RENAME on [Pg, Sqlite];
    declared_table_rename => DECLARED_TABLE_RENAME on [Pg, Sqlite];
    rebuild_referenced_table => REBUILD_REFERENCED on [Sqlite];
    many_changes => MANY on [Pg, Sqlite];
}

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);";

const CREATE_TABLE: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[
        ("SELECT count(*) FROM users", 1),
        ("SELECT count(*) FROM posts", 0),
    ],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (
             id INTEGER PRIMARY KEY,
             user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
             title VARCHAR(200) NOT NULL DEFAULT 'untitled',
             CONSTRAINT posts_title_nonempty CHECK (title <> '')
         );
         CREATE INDEX posts_user ON posts (user_id);",
    )
};

const DROP_TABLE: Case = Case {
    expect: &["-- REVIEW: drops table posts"],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), body TEXT);",
        USERS,
    )
};

const ADD_COLUMN: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob');",
    after: &[
        ("SELECT count(*) FROM users WHERE phone IS NULL", 2),
        ("SELECT count(*) FROM users WHERE name = 'bob'", 1),
    ],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, phone VARCHAR(20));",
    )
};

const ADD_NOT_NULL_COLUMN: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE active = 1", 1)],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, active INTEGER NOT NULL DEFAULT 1);",
    )
};

const DROP_COLUMN: Case = Case {
    seed: "INSERT INTO users (id, name, phone) VALUES (1, 'ann', '555');",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    expect: &["-- REVIEW: drops column users.phone"],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, phone TEXT);",
        USERS,
    )
};

const WIDEN_TYPE: Case = Case {
    seed: "INSERT INTO items (id, code, qty) VALUES (1, 'abc', 7);",
    after: &[(
        "SELECT count(*) FROM items WHERE code = 'abc' AND qty = 7",
        1,
    )],
    ..case(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(20), qty INTEGER);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(50), qty BIGINT);",
    )
};

const NARROW_TYPE: Case = Case {
    seed: "INSERT INTO items (id, code) VALUES (1, 'abc');",
    after: &[("SELECT count(*) FROM items WHERE code = 'abc'", 1)],
    expect: &["-- REVIEW: ", "items.code"],
    ..case(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(50));",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, code VARCHAR(20));",
    )
};

const SET_NOT_NULL: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    expect: &["-- REVIEW: ", "users.name", "NOT NULL"],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
    )
};

const DROP_NOT_NULL: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        USERS,
    )
};

const ADD_DEFAULT: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'anon');",
    )
};

const CHANGE_DEFAULT: Case = Case {
    seed: "INSERT INTO users (id) VALUES (1);",
    after: &[("SELECT count(*) FROM users WHERE name = 'anon'", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'anon', score INTEGER DEFAULT 0);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'nobody', score INTEGER DEFAULT 10);",
    )
};

const DROP_DEFAULT: Case = Case {
    seed: "INSERT INTO users (id) VALUES (1);",
    after: &[("SELECT count(*) FROM users WHERE name = 'anon'", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT DEFAULT 'anon');",
        USERS,
    )
};

const ADD_IDENTITY: Case = Case {
    seed: "INSERT INTO events (id, kind) VALUES (1, 'a');",
    after: &[("SELECT count(*) FROM events", 1)],
    ..case(
        "CREATE TABLE events (id BIGINT PRIMARY KEY, kind TEXT);",
        "CREATE TABLE events (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, kind TEXT);",
    )
};

const AUTOINCREMENT: Case = Case {
    seed: "INSERT INTO events (id, kind) VALUES (1, 'a');",
    after: &[("SELECT count(*) FROM events WHERE kind = 'a'", 1)],
    ..case(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT);",
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT);",
    )
};

const ADD_GENERATED: Case = Case {
    seed: "INSERT INTO lines (id, price, qty) VALUES (1, 3, 4);",
    after: &[("SELECT CAST(total AS BIGINT) FROM lines WHERE id = 1", 12)],
    ..case(
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, price INTEGER NOT NULL, qty INTEGER NOT NULL);",
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, price INTEGER NOT NULL, qty INTEGER NOT NULL,
             total INTEGER GENERATED ALWAYS AS (price * qty) STORED);",
    )
};

/// The column is dropped and added again, in that order: both at once
/// would be two columns of one name.
const CHANGE_GENERATED: Case = Case {
    seed: "INSERT INTO lines (id, price, qty) VALUES (1, 3, 4);",
    after: &[("SELECT CAST(total AS BIGINT) FROM lines WHERE id = 1", 7)],
    ..case(
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, price INTEGER NOT NULL, qty INTEGER NOT NULL,
             total INTEGER GENERATED ALWAYS AS (price * qty) STORED);",
        "CREATE TABLE lines (id INTEGER PRIMARY KEY, price INTEGER NOT NULL, qty INTEGER NOT NULL,
             total INTEGER GENERATED ALWAYS AS (price + qty) STORED);",
    )
};

const CHANGE_PK: Case = Case {
    seed: "INSERT INTO memberships (team, member, role) VALUES (1, 1, 'x'), (1, 2, 'y');",
    after: &[("SELECT count(*) FROM memberships", 2)],
    ..case(
        "CREATE TABLE memberships (team INTEGER NOT NULL, member INTEGER NOT NULL, role TEXT, PRIMARY KEY (team, member, role));",
        "CREATE TABLE memberships (team INTEGER NOT NULL, member INTEGER NOT NULL, role TEXT, PRIMARY KEY (team, member));",
    )
};

const ADD_NAMED_UNIQUE: Case = Case {
    seed: "INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x');",
    after: &[("SELECT count(*) FROM users", 2)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, CONSTRAINT users_email_uq UNIQUE (email));",
    )
};

const ADD_UNNAMED_UNIQUE: Case = Case {
    seed: "INSERT INTO users (id, email) VALUES (1, 'a@x');",
    after: &[("SELECT count(*) FROM users", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);",
    )
};

const DROP_NAMED_UNIQUE: Case = Case {
    seed: "INSERT INTO users (id, email) VALUES (1, 'a@x');",
    after: &[("SELECT count(*) FROM users", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, CONSTRAINT users_email_uq UNIQUE (email));",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
    )
};

const DROP_UNNAMED_UNIQUE: Case = Case {
    seed: "INSERT INTO users (id, email) VALUES (1, 'a@x');",
    after: &[("SELECT count(*) FROM users", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, UNIQUE (email));",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
    )
};

const FK_A: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT);";

const ADD_FK: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann'); INSERT INTO posts (id, user_id, title) VALUES (1, 1, 't');",
    after: &[("SELECT count(*) FROM posts WHERE user_id = 1", 1)],
    ..case(
        FK_A,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT,
             CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE ON UPDATE SET NULL);",
    )
};

const DROP_FK: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann'); INSERT INTO posts (id, user_id, title) VALUES (1, 1, 't');",
    after: &[("SELECT count(*) FROM posts WHERE user_id = 1", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE SET NULL, title TEXT);",
        FK_A,
    )
};

const CHANGE_FK_ACTIONS: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann'); INSERT INTO posts (id, user_id, title) VALUES (1, 1, 't');",
    after: &[("SELECT count(*) FROM posts WHERE user_id = 1", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), title TEXT);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, title TEXT);",
    )
};

const ADD_CHECK: Case = Case {
    seed: "INSERT INTO items (id, price, qty) VALUES (1, 5, 1);",
    after: &[("SELECT count(*) FROM items", 1)],
    ..case(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER, qty INTEGER);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER CHECK (price > 0), qty INTEGER,
             CONSTRAINT items_qty_range CHECK (qty BETWEEN 0 AND 100));",
    )
};

const DROP_CHECK: Case = Case {
    seed: "INSERT INTO items (id, price, qty) VALUES (1, 5, 1);",
    after: &[("SELECT count(*) FROM items", 1)],
    ..case(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER CHECK (price > 0), qty INTEGER,
             CONSTRAINT items_qty_range CHECK (qty >= 0 AND qty <= 100));",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price INTEGER, qty INTEGER);",
    )
};

const INDEXED: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_lower_name ON users (lower(name));
CREATE INDEX users_live ON users (name, email) WHERE deleted = 0;";

const ADD_INDEXES: Case = Case {
    seed: "INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'Ann');",
    after: &[("SELECT count(*) FROM users", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted INTEGER NOT NULL DEFAULT 0);",
        INDEXED,
    )
};

const DROP_INDEXES: Case = Case {
    seed: "INSERT INTO users (id, email, name) VALUES (1, 'a@x', 'Ann');",
    after: &[("SELECT count(*) FROM users", 1)],
    ..case(
        INDEXED,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted INTEGER NOT NULL DEFAULT 0);",
    )
};

const GIN_INDEX: Case = case(
    "CREATE TABLE docs (id INTEGER PRIMARY KEY, tags TEXT[] NOT NULL DEFAULT '{}', body JSONB);",
    "CREATE TABLE docs (id INTEGER PRIMARY KEY, tags TEXT[] NOT NULL DEFAULT '{}', body JSONB);
     CREATE INDEX docs_tags ON docs USING gin (tags);
     CREATE INDEX docs_body ON docs USING gin (body);",
);

const CREATE_ENUM: Case = Case {
    seed: "INSERT INTO users (id) VALUES (1);",
    after: &[("SELECT count(*) FROM users WHERE mood IS NULL", 1)],
    ..case(
        USERS,
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, mood mood);",
    )
};

const ADD_ENUM_VALUE: Case = Case {
    seed: "INSERT INTO users (id, mood) VALUES (1, 'ok');",
    after: &[("SELECT count(*) FROM users WHERE mood = 'ok'", 1)],
    ..case(
        "CREATE TYPE mood AS ENUM ('sad', 'ok');
         CREATE TABLE users (id INTEGER PRIMARY KEY, mood mood);",
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
         CREATE TABLE users (id INTEGER PRIMARY KEY, mood mood);",
    )
};

const REMOVE_ENUM_VALUE: Case = Case {
    seed: "INSERT INTO users (id, mood) VALUES (1, 'ok'), (2, 'sad');",
    after: &[("SELECT count(*) FROM users WHERE mood IN ('ok', 'sad')", 2)],
    expect: &["-- REVIEW:"],
    ..case(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'meh');
         CREATE TABLE users (id INTEGER PRIMARY KEY, mood mood);",
        "CREATE TYPE mood AS ENUM ('sad', 'ok');
         CREATE TABLE users (id INTEGER PRIMARY KEY, mood mood);",
    )
};

// Issue #25: "default for column "status" cannot be cast automatically".
// A re-created enum type drops the defaults of its columns before
// converting them and sets them again after, in both directions.
const ENUM_DEFAULT_REMOVE: Case = Case {
    seed: "INSERT INTO orders (id, status) VALUES (1, 'shipped'); INSERT INTO orders (id) VALUES (2);",
    after: &[
        ("SELECT count(*) FROM orders WHERE status = 'new'", 1),
        ("SELECT count(*) FROM orders WHERE status = 'shipped'", 1),
    ],
    expect: &[
        "ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;",
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new'::order_status;",
    ],
    ..case(
        "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'lost');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new', note TEXT);
         CREATE TABLE audits (id INTEGER PRIMARY KEY, status order_status DEFAULT 'paid'::order_status);",
        "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new', note TEXT);
         CREATE TABLE audits (id INTEGER PRIMARY KEY, status order_status DEFAULT 'paid'::order_status);",
    )
};

const ENUM_DEFAULT_REORDER: Case = Case {
    seed: "INSERT INTO orders (id) VALUES (1);",
    after: &[
        ("SELECT count(*) FROM orders WHERE status = 'new'", 1),
        ("SELECT count(*) FROM orders WHERE status > 'paid'", 1),
    ],
    ..case(
        "CREATE TYPE order_status AS ENUM ('new', 'paid');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');",
        "CREATE TYPE order_status AS ENUM ('paid', 'new');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');",
    )
};

/// The default's own value goes away: the declared default is set instead,
/// and the downgrade sets the old one back.
const ENUM_DEFAULT_REMOVE_DEFAULT: Case = Case {
    seed: "INSERT INTO orders (id, status) VALUES (1, 'paid');",
    after: &[
        ("SELECT count(*) FROM orders WHERE status = 'paid'", 1),
        (
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_default = '''open''::order_status'",
            1,
        ),
    ],
    ..case(
        "CREATE TYPE order_status AS ENUM ('draft', 'open', 'paid');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'draft');",
        "CREATE TYPE order_status AS ENUM ('open', 'paid');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'open');",
    )
};

/// Appending is `ADD VALUE`; its downgrade re-creates the type, around the
/// default.
const ENUM_DEFAULT_ADD: Case = Case {
    seed: "INSERT INTO orders (id) VALUES (1);",
    after: &[("SELECT count(*) FROM orders WHERE status = 'new'", 1)],
    ..case(
        "CREATE TYPE order_status AS ENUM ('new', 'paid');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');",
        "CREATE TYPE order_status AS ENUM ('new', 'paid', 'refunded');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');",
    )
};

const CREATE_SCHEMA: Case = Case {
    include_schemas: true,
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM audit.events", 0)],
    ..case(
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE SCHEMA audit;
         CREATE TABLE audit.events (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id INTEGER REFERENCES users (id), at TIMESTAMPTZ NOT NULL DEFAULT now());
         CREATE INDEX events_user ON audit.events (user_id);",
    )
};

const COMMENTS: Case = case(
    "CREATE TYPE mood AS ENUM ('ok');
     CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, mood mood);
     COMMENT ON COLUMN users.name IS 'old';",
    "CREATE TYPE mood AS ENUM ('ok');
     CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, mood mood);
     COMMENT ON TABLE users IS 'people who sign in';
     COMMENT ON COLUMN users.name IS 'display name';
     COMMENT ON TYPE mood IS 'how they feel';",
);

const RENAME_COLUMN: Case = Case {
    seed: "INSERT INTO users (id, nick) VALUES (1, 'a');",
    after: &[("SELECT count(*) FROM users WHERE handle IS NULL", 1)],
    expect: &[
        "-- REVIEW: drops column users.nick and its data; if it was renamed to handle, replace the DROP/ADD pair with ALTER TABLE users RENAME COLUMN nick TO handle",
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, handle TEXT);",
    )
};

const RENAME_TABLE: Case = Case {
    expect: &["ALTER TABLE people RENAME TO persons"],
    ..case(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);",
        "CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT);",
    )
};

/// `-- renamed_from:` turns the drop and add into a rename that keeps the
/// rows, and the check, index and later changes follow the new name.
const DECLARED_COLUMN_RENAME: Case = Case {
    seed: "INSERT INTO users (id, nick) VALUES (1, 'a'), (2, 'b');",
    after: &[
        ("SELECT count(*) FROM users WHERE handle IN ('a', 'b')", 2),
        ("SELECT count(*) FROM users WHERE bio IS NULL", 2),
    ],
    expect: &["ALTER TABLE users RENAME COLUMN nick TO handle;"],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT NOT NULL CHECK (length(nick) > 0));
         CREATE INDEX users_nick ON users (nick);
         CREATE INDEX users_lower_nick ON users ((lower(nick)));",
        "CREATE TABLE users (
             id INTEGER PRIMARY KEY,
             handle TEXT NOT NULL CHECK (length(handle) > 0), -- renamed_from: nick
             bio TEXT
         );
         CREATE INDEX users_nick ON users (handle);
         CREATE INDEX users_lower_nick ON users ((lower(handle)));",
    )
};

/// A table renamed with one of its columns, referenced by a foreign key.
const DECLARED_TABLE_RENAME: Case = Case {
    seed: "INSERT INTO people (id, name) VALUES (1, 'ann');
           INSERT INTO posts (id, author) VALUES (10, 1);",
    after: &[
        ("SELECT count(*) FROM persons WHERE full_name = 'ann'", 1),
        (
            "SELECT count(*) FROM posts JOIN persons ON persons.id = posts.author",
            1,
        ),
    ],
    expect: &[
        "ALTER TABLE people RENAME TO persons;",
        "ALTER TABLE persons RENAME COLUMN name TO full_name;",
    ],
    ..case(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES people (id));",
        "-- renamed_from: people
         CREATE TABLE persons (
             id INTEGER PRIMARY KEY,
             -- renamed_from: name
             full_name TEXT
         );
         CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES persons (id));",
    )
};

/// SQLite: a change ALTER TABLE cannot make to a table others reference,
/// with rows on both sides: the rebuild keeps every row.
const REBUILD_REFERENCED: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob');
           INSERT INTO posts (id, user_id) VALUES (10, 1), (11, 2), (12, 2);",
    after: &[
        ("SELECT count(*) FROM users", 2),
        ("SELECT count(*) FROM posts", 3),
        ("SELECT count(*) FROM posts JOIN users ON users.id = posts.user_id", 3),
    ],
    expect: &["CREATE TABLE _new_users", "INSERT INTO _new_users"],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL DEFAULT '' CHECK (name <> 'root'));
         CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE);",
    )
};

/// Several kinds at once, across tables that reference each other.
const MANY: Case = Case {
    seed: "INSERT INTO users (id, email, nick) VALUES (1, 'a@x', 'a');
           INSERT INTO orders (id, user_id, total) VALUES (1, 1, 5);",
    after: &[("SELECT count(*) FROM orders JOIN users ON users.id = orders.user_id", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, nick TEXT);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), total INTEGER);
         CREATE TABLE legacy (id INTEGER PRIMARY KEY);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, nick TEXT, created TEXT DEFAULT 'never');
         CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
             total INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0), note TEXT);
         CREATE INDEX orders_user ON orders (user_id);
         CREATE TABLE shipments (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id));",
    )
};

// Views, routines and triggers.

const VIEW_BASE: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);";

const CREATE_VIEW: Case = Case {
    seed: "INSERT INTO users (id, name, score) VALUES (1, 'ann', 5);",
    after: &[("SELECT count(*) FROM good_users", 1)],
    ..case(
        VIEW_BASE,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
         CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
         CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
    )
};

const DROP_VIEW: Case = case(
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
     CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
    VIEW_BASE,
);

const CHANGE_VIEW: Case = case(
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
     CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 1;
     CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
);

const CHANGE_VIEW_COLUMNS: Case = case(
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
     CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users (user_id, user_name, user_score) AS SELECT id, name, score FROM users WHERE score > 0;
     CREATE VIEW top_users AS SELECT user_name FROM good_users WHERE user_id < 10;",
);

const TYPE_UNDER_VIEW: Case = Case {
    seed: "INSERT INTO users (id, name, score) VALUES (1, 'ann', 5);",
    after: &[("SELECT count(*) FROM top_users", 1)],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
         CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
         CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50), score BIGINT);
         CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
         CREATE VIEW top_users AS SELECT name FROM good_users WHERE id < 10;",
    )
};

const MATVIEW: Case = Case {
    seed: "INSERT INTO users (id, name, score) VALUES (1, 'ann', 5);",
    after: &[("SELECT count(*) FROM user_scores", 1)],
    ..case(
        VIEW_BASE,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
         CREATE MATERIALIZED VIEW user_scores AS SELECT id, score * 2 AS doubled FROM users;
         CREATE MATERIALIZED VIEW empty_scores AS SELECT id FROM users WITH NO DATA;",
    )
};

const FUNCTIONS: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE FUNCTION add_points(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE FUNCTION add_points(a numeric) RETURNS numeric LANGUAGE sql AS 'SELECT a + 1';
CREATE PROCEDURE reset_scores(new_score integer)
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET score = new_score;
END
$$;";

const CREATE_FUNCTIONS: Case = Case {
    after: &[
        ("SELECT add_points(2, 3)::int8", 5),
        ("SELECT add_points(2.0)::int8", 3),
    ],
    ..case(VIEW_BASE, FUNCTIONS)
};

const DROP_FUNCTIONS: Case = case(FUNCTIONS, VIEW_BASE);

const CHANGE_FUNCTIONS: Case = Case {
    after: &[
        ("SELECT add_points(2, 3)::int8", 6),
        ("SELECT add_points(2.0)::int8", 3),
    ],
    ..case(
        FUNCTIONS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE FUNCTION add_points(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT a + b + 1 $$;
CREATE FUNCTION add_points(a numeric) RETURNS numeric LANGUAGE sql AS 'SELECT a + 1';
CREATE PROCEDURE reset_scores(new_score integer, note text DEFAULT '')
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET score = new_score;
END
$$;",
    )
};

const TRIGGER_A: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);";

const PG_TRIGGER: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE FUNCTION log_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, TG_ARGV[0]);
    RETURN NEW;
END
$$;
CREATE TRIGGER users_log AFTER INSERT OR UPDATE OF name ON users
    FOR EACH ROW WHEN (NEW.score > 0) EXECUTE PROCEDURE log_user('changed');";

const CREATE_PG_TRIGGER: Case = Case {
    seed: "INSERT INTO users (id, name, score) VALUES (1, 'ann', 5);",
    ..case(TRIGGER_A, PG_TRIGGER)
};

const DROP_PG_TRIGGER: Case = case(PG_TRIGGER, TRIGGER_A);

const CHANGE_PG_TRIGGER: Case = case(
    PG_TRIGGER,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE FUNCTION log_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, TG_ARGV[0] || '!');
    RETURN NEW;
END
$$;
CREATE TRIGGER users_log BEFORE INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION log_user('inserted');",
);

const SQLITE_TRIGGER: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE TRIGGER users_log AFTER INSERT ON users BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'inserted');
END;";

const CREATE_SQLITE_TRIGGER: Case = case(TRIGGER_A, SQLITE_TRIGGER);

const DROP_SQLITE_TRIGGER: Case = case(SQLITE_TRIGGER, TRIGGER_A);

const CHANGE_SQLITE_TRIGGER: Case = case(
    SQLITE_TRIGGER,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE TRIGGER users_log AFTER UPDATE ON users BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'updated');
END;",
);

const SQLITE_REBUILD_UNDER_VIEW: Case = Case {
    seed: "INSERT INTO users (id, name, score) VALUES (1, 'ann', 5);",
    after: &[
        ("SELECT count(*) FROM good_users", 1),
        (
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'",
            1,
        ),
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
CREATE TRIGGER users_log AFTER INSERT ON users BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'inserted');
END;",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL, score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
CREATE TRIGGER users_log AFTER INSERT ON users BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'inserted');
END;",
    )
};

/// Every kind at once, from nothing: the zero-noise case.
pub(crate) const ALL_CODE_OBJECTS_PG: Case = case(
    "",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score NUMERIC(10, 2), tags TEXT[]);
CREATE TABLE audit (user_id INTEGER, what TEXT, at TIMESTAMPTZ DEFAULT now());
CREATE FUNCTION add_points(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT a + b $$;
CREATE FUNCTION add_points(a numeric) RETURNS numeric LANGUAGE sql AS 'SELECT a + 1';
CREATE FUNCTION label(u users) RETURNS text LANGUAGE sql STABLE
    BEGIN ATOMIC SELECT upper(u.name) || ':' || u.id; END;
CREATE FUNCTION log_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public AS $$
BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, TG_OP);
    RETURN NEW;
END
$$;
CREATE PROCEDURE reset_scores(IN new_score numeric, INOUT n integer DEFAULT 0)
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET score = new_score;
END
$$;
CREATE VIEW good_users (user_id, user_name) WITH (security_barrier) AS
    SELECT id, name || '!' FROM users WHERE score > 0 AND name LIKE 'a%' AND id IN (1, 2, 3);
CREATE OR REPLACE VIEW top_users AS
    SELECT g.user_name, add_points(g.user_id) AS bumped -- a comment
      FROM good_users g
     WHERE g.user_id BETWEEN 1 AND 10
    WITH LOCAL CHECK OPTION;
CREATE MATERIALIZED VIEW score_totals AS
    SELECT count(*) AS n, sum(score)::numeric(12, 2) AS total FROM users
    WITH NO DATA;
CREATE UNIQUE INDEX score_totals_n_key ON score_totals (n);
CREATE TRIGGER users_audit AFTER UPDATE OF name, score OR INSERT ON users
    FOR EACH ROW WHEN (NEW.score IS NOT NULL) EXECUTE FUNCTION log_user();
CREATE TRIGGER users_stmt AFTER TRUNCATE ON public.users
    EXECUTE PROCEDURE public.log_user('a', 1);
CREATE CONSTRAINT TRIGGER users_late AFTER INSERT ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_user();
COMMENT ON VIEW good_users IS 'Users with points';
COMMENT ON MATERIALIZED VIEW score_totals IS 'Filled by a nightly refresh';",
);

const ALL_CODE_OBJECTS_SQLITE: Case = case(
    "",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, score INTEGER);
CREATE TABLE audit (user_id INTEGER, what TEXT);
CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
create view Top_Users as
    select name -- a comment
      from good_users where id < 10;
CREATE TRIGGER users_log AFTER INSERT ON users BEGIN
    INSERT INTO audit (user_id, what) VALUES (NEW.id, 'inserted');
END;
CREATE TRIGGER users_upd AFTER UPDATE OF name ON users WHEN NEW.score > 0 BEGIN
    UPDATE audit SET what = 'renamed' WHERE user_id = NEW.id;
END;",
);

const VIEW_COMMENT: Case = case(
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
     COMMENT ON VIEW good_users IS 'old';",
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER);
     CREATE VIEW good_users AS SELECT id, name FROM users WHERE score > 0;
     COMMENT ON VIEW good_users IS 'new';
     CREATE MATERIALIZED VIEW m AS SELECT id FROM users;
     COMMENT ON MATERIALIZED VIEW m IS 'made';",
);

pairs! {
    view_comments => VIEW_COMMENT on [Pg];
    create_view => CREATE_VIEW on [Pg, Sqlite];
    drop_view => DROP_VIEW on [Pg, Sqlite];
    change_view => CHANGE_VIEW on [Pg, Sqlite];
    change_view_columns => CHANGE_VIEW_COLUMNS on [Pg, Sqlite];
    column_type_under_view => TYPE_UNDER_VIEW on [Pg, Sqlite];
    materialized_view => MATVIEW on [Pg];
    create_functions => CREATE_FUNCTIONS on [Pg];
    drop_functions => DROP_FUNCTIONS on [Pg];
    change_functions => CHANGE_FUNCTIONS on [Pg];
    create_trigger => CREATE_PG_TRIGGER on [Pg];
    drop_trigger => DROP_PG_TRIGGER on [Pg];
    change_trigger => CHANGE_PG_TRIGGER on [Pg];
    create_sqlite_trigger => CREATE_SQLITE_TRIGGER on [Sqlite];
    drop_sqlite_trigger => DROP_SQLITE_TRIGGER on [Sqlite];
    change_sqlite_trigger => CHANGE_SQLITE_TRIGGER on [Sqlite];
    sqlite_rebuild_under_view_and_trigger => SQLITE_REBUILD_UNDER_VIEW on [Sqlite];
    all_code_objects_zero_noise => ALL_CODE_OBJECTS_PG on [Pg];
    all_code_objects_zero_noise_sqlite => ALL_CODE_OBJECTS_SQLITE on [Sqlite];
}
// Table details: index key order, operator classes, collations, INCLUDE,
// storage parameters.
pairs! {
    index_key_order => INDEX_KEY_ORDER on [Pg, Sqlite];
    index_details => INDEX_DETAILS_PG on [Pg];
    column_collation_pg => COLLATION_PG on [Pg];
    column_collation_sqlite => COLLATION_SQLITE on [Sqlite];
    table_storage => TABLE_STORAGE on [Pg];
}

/// `DESC` on a key, and an index whose only change is its order.
const INDEX_KEY_ORDER: Case = Case {
    seed: "INSERT INTO t (id, a, b) VALUES (1, 'x', 1), (2, 'y', 2);",
    after: &[("SELECT count(*) FROM t", 2)],
    expect: &[
        "CREATE INDEX t_ab ON t (a DESC, b)",
        "CREATE INDEX t_b ON t (b DESC)",
    ],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);
         CREATE INDEX t_b ON t (b);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);
         CREATE INDEX t_b ON t (b DESC);
         CREATE INDEX t_ab ON t (a DESC, b);",
    )
};

/// PostgreSQL's index details, each a change of its own: `NULLS FIRST`,
/// operator classes (btree and GIN), a key's collation, `INCLUDE` and a
/// storage parameter.
const INDEX_DETAILS_PG: Case = Case {
    seed: "INSERT INTO t (id, a, b, doc) VALUES (1, 'x', 1, '{}'), (2, 'y', NULL, '{\"k\": 1}');",
    after: &[("SELECT count(*) FROM t", 2)],
    expect: &[
        "CREATE INDEX t_b ON t (b NULLS FIRST)",
        "CREATE INDEX t_a ON t (a text_pattern_ops)",
        "CREATE INDEX t_doc ON t USING gin (doc jsonb_path_ops)",
        "CREATE INDEX t_ac ON t (a COLLATE \"C\" DESC NULLS LAST) INCLUDE (b) WITH (fillfactor = 70)",
    ],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, doc JSONB);
         CREATE INDEX t_b ON t (b);
         CREATE INDEX t_a ON t (a);
         CREATE INDEX t_doc ON t USING gin (doc);
         CREATE INDEX t_ac ON t (a DESC);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, doc JSONB);
         CREATE INDEX t_b ON t (b NULLS FIRST);
         CREATE INDEX t_a ON t (a text_pattern_ops);
         CREATE INDEX t_doc ON t USING gin (doc jsonb_path_ops);
         CREATE INDEX t_ac ON t (a COLLATE \"C\" DESC NULLS LAST) INCLUDE (b) WITH (fillfactor = 70);",
    )
};

/// A column's collation, with an index on the column that follows it.
const COLLATION_PG: Case = Case {
    seed: "INSERT INTO t (id, name) VALUES (1, 'b'), (2, 'B');",
    // Under "C", 'B' sorts before 'a'.
    after: &[("SELECT count(*) FROM t WHERE name > 'a'", 1)],
    expect: &["ALTER TABLE t ALTER COLUMN name TYPE TEXT COLLATE \"C\""],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);
         CREATE INDEX t_name ON t (name);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT COLLATE \"C\");
         CREATE INDEX t_name ON t (name);",
    )
};

/// SQLite: `COLLATE NOCASE` on a column (a rebuild), and on an index key.
const COLLATION_SQLITE: Case = Case {
    seed: "INSERT INTO t (id, name, code) VALUES (1, 'b', 'X'), (2, 'B', 'y');",
    after: &[("SELECT count(*) FROM t WHERE name = 'b'", 2)],
    expect: &[
        "name TEXT COLLATE NOCASE",
        "CREATE INDEX t_code ON t (code COLLATE NOCASE)",
    ],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, code TEXT);
         CREATE INDEX t_name ON t (name);
         CREATE INDEX t_code ON t (code);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, code TEXT);
         CREATE INDEX t_name ON t (name);
         CREATE INDEX t_code ON t (code COLLATE NOCASE);",
    )
};

/// A table's storage parameters: one set, one changed, one reset.
const TABLE_STORAGE: Case = Case {
    seed: "INSERT INTO t (id) VALUES (1);",
    after: &[("SELECT count(*) FROM t", 1)],
    expect: &[
        "ALTER TABLE t RESET (autovacuum_enabled)",
        "ALTER TABLE t SET (fillfactor = 70)",
    ],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY) WITH (fillfactor = 90, autovacuum_enabled = false);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY) WITH (fillfactor = 70);",
    )
};

/// Column order: the same columns in another order are a note on stderr
/// for `check` and autogenerate, not a change: `check` passes and no
/// revision is written.
async fn column_order_is_a_note(db: Db) {
    let database = TestDb::fresh(db).await;
    let p = Project::new(db, database.url(), "");
    p.revision(
        "a",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);",
        None,
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema("CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER, a TEXT);");
    let note = "note: column order of table t differs: id, a, b in the database, id, b, a declared";
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    assert!(check.stderr.contains(note), "{}", check.stderr);
    let again = p.ok(&["revision", "--autogenerate", "-m", "order"]);
    assert!(
        again.stdout.contains("No changes in schema detected."),
        "{}",
        again.stdout
    );
    assert!(again.stderr.contains(note), "{}", again.stderr);
}

#[allow(non_snake_case)]
mod column_order {
    #[tokio::test]
    async fn Pg() {
        super::column_order_is_a_note(crate::Db::Pg).await;
    }
    #[tokio::test]
    async fn Sqlite() {
        super::column_order_is_a_note(crate::Db::Sqlite).await;
    }
}

// Constraint characteristics (PostgreSQL): DEFERRABLE and NOT VALID.
pairs! {
    deferrable_constraints => DEFERRABLE on [Pg];
    not_valid_constraints => NOT_VALID on [Pg];
    validate_constraint => VALIDATE on [Pg];
}

/// `DEFERRABLE` on a primary key, a unique constraint and a foreign key
/// (`INITIALLY DEFERRED`): each is dropped and added again. (A foreign key
/// cannot reference a deferrable key, so the primary key is another
/// table's.)
const DEFERRABLE: Case = Case {
    seed: "INSERT INTO users (id, email) VALUES (1, 'a@x');
           INSERT INTO orders (id, user_id) VALUES (1, 1);
           INSERT INTO codes (code) VALUES ('x');",
    after: &[("SELECT count(*) FROM pg_constraint WHERE condeferrable", 3)],
    expect: &[
        "ADD CONSTRAINT codes_pkey PRIMARY KEY (code) DEFERRABLE;",
        "ADD CONSTRAINT users_email_key UNIQUE (email) DEFERRABLE;",
        "REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED;",
    ],
    ..case(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));
         CREATE TABLE codes (code TEXT PRIMARY KEY);",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE DEFERRABLE INITIALLY IMMEDIATE);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE codes (code TEXT PRIMARY KEY DEFERRABLE);",
    )
};

/// `NOT VALID` foreign key and check, as pg_dump writes them: the rows
/// already there are not checked (one breaks the check and stays).
const NOT_VALID: Case = Case {
    seed: "INSERT INTO t (id, n) VALUES (1, -1);
           INSERT INTO u (id, t_id) VALUES (1, 1);",
    after: &[
        ("SELECT count(*) FROM pg_constraint WHERE NOT convalidated", 2),
        ("SELECT count(*) FROM t WHERE n < 0", 1),
    ],
    expect: &[
        "ALTER TABLE t ADD CONSTRAINT t_n_check CHECK (n > 0) NOT VALID;",
        "ALTER TABLE u ADD CONSTRAINT u_t_fkey FOREIGN KEY (t_id) REFERENCES t (id) NOT VALID;",
    ],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
         CREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER);",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
         CREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER);
         ALTER TABLE ONLY t ADD CONSTRAINT t_n_check CHECK (n > 0) NOT VALID;
         ALTER TABLE ONLY u ADD CONSTRAINT u_t_fkey FOREIGN KEY (t_id) REFERENCES t (id) NOT VALID;",
    )
};

/// A `NOT VALID` check declared valid: dropped and added again, which
/// checks the rows (the downgrade puts the `NOT VALID` one back).
const VALIDATE: Case = Case {
    seed: "INSERT INTO t (id, n) VALUES (1, 5);",
    after: &[(
        "SELECT count(*) FROM pg_constraint WHERE NOT convalidated",
        0,
    )],
    expect: &["ALTER TABLE t ADD CONSTRAINT t_n_check CHECK (n > 0);"],
    ..case(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
         ALTER TABLE t ADD CONSTRAINT t_n_check CHECK (n > 0) NOT VALID;",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER CONSTRAINT t_n_check CHECK (n > 0));",
    )
};

pairs! {
    table_details_from_empty => ZERO_NOISE on [Pg];
}

/// Every table detail at once, created from nothing: the loop's second
/// autogenerate and `check` must find nothing (zero noise).
pub(crate) const ZERO_NOISE: Case = Case {
    after: &[("SELECT count(*) FROM kids", 0)],
    expect: &[
        "ALTER TABLE kids ADD CONSTRAINT kids_n_check CHECK (n > 0) NOT VALID;",
        "CREATE INDEX kids_name ON kids (name text_pattern_ops DESC NULLS LAST, n NULLS FIRST) INCLUDE (id) WITH (fillfactor = 70);",
    ],
    ..case(
        "CREATE TABLE keep (id INTEGER PRIMARY KEY);",
        "CREATE TABLE keep (id INTEGER PRIMARY KEY);
         CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT COLLATE \"C\" UNIQUE DEFERRABLE) WITH (fillfactor = 80);
         CREATE TABLE kids (
             id INTEGER PRIMARY KEY,
             parent_id INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED,
             name TEXT,
             n INTEGER,
             doc JSONB
         );
         ALTER TABLE kids ADD CONSTRAINT kids_n_check CHECK (n > 0) NOT VALID;
         ALTER TABLE kids ADD CONSTRAINT kids_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id) NOT VALID;
         CREATE INDEX kids_name ON kids (name text_pattern_ops DESC NULLS LAST, n NULLS FIRST) INCLUDE (id) WITH (fillfactor = 70);
         CREATE INDEX kids_name_c ON kids ((lower(name)) COLLATE \"C\");
         CREATE INDEX kids_doc ON kids USING gin (doc jsonb_path_ops);
         CREATE TABLE slots (id INTEGER PRIMARY KEY, kid_id INTEGER, during TSTZRANGE,
             EXCLUDE USING gist (during WITH &&) WHERE (kid_id IS NOT NULL AND kid_id > 0));
         ALTER TABLE ONLY public.slots ADD CONSTRAINT slots_kid_free
             EXCLUDE USING gist (int4range(kid_id, kid_id, '[]') WITH &&, during WITH OPERATOR(pg_catalog.&&))
             INCLUDE (id) WITH (fillfactor = 90) DEFERRABLE;",
    )
};
