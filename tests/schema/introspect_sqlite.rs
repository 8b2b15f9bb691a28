//! SQLite introspection: every kind of object the model holds in SQLite,
//! created with raw SQL and read back. The expected values spell out exactly
//! what SQLite reports for types, defaults, checks and index keys.

use migrate_runtime::introspect::{IntrospectOptions, introspect, introspect_sqlite};
use migrate_schema::{
    CheckConstraint, Column, FkAction, ForeignKey, Identity, Index, IndexKey, PrimaryKey,
    QualifiedName, Schema, Table, UniqueConstraint,
};

const SETUP: &str = r#"
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email VARCHAR(200) NOT NULL,
    name TEXT DEFAULT 'anon',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    score REAL DEFAULT (0.5 * 2),
    "Display Name" text,
    CONSTRAINT users_email_uq UNIQUE (email)
);

CREATE TABLE products (
    id integer CONSTRAINT products_pk PRIMARY KEY,
    sku TEXT UNIQUE,
    price NUMERIC(10, 2) NOT NULL CHECK (price > 0),
    discount NUMERIC(10, 2) NOT NULL DEFAULT 0,
    net NUMERIC GENERATED ALWAYS AS (price - discount) STORED,
    label TEXT AS ( upper(sku) ),
    owner_id INTEGER REFERENCES users ON DELETE SET NULL,
    CONSTRAINT discount_le_price CHECK (discount <= price AND discount >= 0)
);

CREATE TABLE order_lines (
    order_no INTEGER,
    line_no INTEGER,
    product_id INTEGER NOT NULL,
    qty INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT order_lines_pk PRIMARY KEY (line_no, order_no),
    CONSTRAINT order_lines_product_fk FOREIGN KEY (product_id) REFERENCES products (id)
        ON DELETE CASCADE ON UPDATE RESTRICT,
    UNIQUE (order_no, product_id)
);

CREATE TABLE line_notes (
    order_no INTEGER,
    line_no INTEGER,
    note TEXT,
    FOREIGN KEY (line_no, order_no) REFERENCES order_lines
        ON UPDATE CASCADE ON DELETE SET DEFAULT
);

CREATE UNIQUE INDEX users_lower_email ON users (lower(email));
CREATE INDEX products_owner_partial ON products (owner_id, price) WHERE owner_id IS NOT NULL;
CREATE INDEX order_lines_expr ON order_lines ((qty * 2) DESC, product_id COLLATE NOCASE);

CREATE VIEW product_names AS SELECT id, sku FROM products;

CREATE TABLE migrate_history (revision TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX migrate_history_seq ON migrate_history (seq);
"#;

fn not_null(column: Column) -> Column {
    Column {
        nullable: false,
        ..column
    }
}

fn with_default(column: Column, default: &str) -> Column {
    Column {
        default: Some(default.to_owned()),
        ..column
    }
}

fn names(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

fn users() -> Table {
    Table {
        columns: vec![
            // SQLite reports INTEGER PRIMARY KEY as nullable (notnull = 0).
            Column {
                identity: Some(Identity::ByDefault),
                ..Column::new("id", "INTEGER")
            },
            not_null(Column::new("email", "VARCHAR(200)")),
            with_default(Column::new("name", "TEXT"), "'anon'"),
            with_default(
                not_null(Column::new("created_at", "TEXT")),
                "CURRENT_TIMESTAMP",
            ),
            with_default(Column::new("score", "REAL"), "0.5 * 2"),
            // One of SQLite's own type names reads back in upper case.
            Column::new("Display Name", "TEXT"),
        ],
        primary_key: Some(PrimaryKey {
            name: None,
            columns: names(&["id"]),
            deferral: Default::default(),
        }),
        uniques: vec![UniqueConstraint {
            name: Some("users_email_uq".to_owned()),
            columns: names(&["email"]),
            deferral: Default::default(),
        }],
        indexes: vec![Index {
            name: "users_lower_email".to_owned(),
            unique: true,
            keys: vec![IndexKey::Expression("lower(email)".to_owned())],
            predicate: None,
            method: None,
            key_options: Vec::new(),
            include: Vec::new(),
            with: Vec::new(),
        }],
        ..Table::new(QualifiedName::new("users"))
    }
}

fn products() -> Table {
    Table {
        columns: vec![
            Column::new("id", "INTEGER"),
            Column::new("sku", "TEXT"),
            not_null(Column::new("price", "NUMERIC(10, 2)")),
            with_default(not_null(Column::new("discount", "NUMERIC(10, 2)")), "0"),
            Column {
                generated: Some("price - discount".to_owned()),
                ..Column::new("net", "NUMERIC")
            },
            Column {
                generated: Some("upper(sku)".to_owned()),
                ..Column::new("label", "TEXT")
            },
            Column::new("owner_id", "INTEGER"),
        ],
        primary_key: Some(PrimaryKey {
            name: Some("products_pk".to_owned()),
            columns: names(&["id"]),
            deferral: Default::default(),
        }),
        uniques: vec![UniqueConstraint {
            name: None,
            columns: names(&["sku"]),
            deferral: Default::default(),
        }],
        foreign_keys: vec![ForeignKey {
            name: None,
            columns: names(&["owner_id"]),
            ref_table: QualifiedName::new("users"),
            ref_columns: names(&["id"]),
            on_delete: FkAction::SetNull,
            on_update: FkAction::NoAction,
            deferral: Default::default(),
            not_valid: false,
        }],
        checks: vec![
            CheckConstraint {
                name: None,
                expression: "(price > 0)".to_owned(),
                not_valid: false,
            },
            CheckConstraint {
                name: Some("discount_le_price".to_owned()),
                expression: "(discount <= price AND discount >= 0)".to_owned(),
                not_valid: false,
            },
        ],
        indexes: vec![Index {
            name: "products_owner_partial".to_owned(),
            unique: false,
            keys: vec![
                IndexKey::Column("owner_id".to_owned()),
                IndexKey::Column("price".to_owned()),
            ],
            predicate: Some("owner_id IS NOT NULL".to_owned()),
            method: None,
            key_options: Vec::new(),
            include: Vec::new(),
            with: Vec::new(),
        }],
        ..Table::new(QualifiedName::new("products"))
    }
}

fn order_lines() -> Table {
    Table {
        columns: vec![
            Column::new("order_no", "INTEGER"),
            Column::new("line_no", "INTEGER"),
            not_null(Column::new("product_id", "INTEGER")),
            with_default(not_null(Column::new("qty", "INTEGER")), "1"),
        ],
        primary_key: Some(PrimaryKey {
            name: Some("order_lines_pk".to_owned()),
            columns: names(&["line_no", "order_no"]),
            deferral: Default::default(),
        }),
        uniques: vec![UniqueConstraint {
            name: None,
            columns: names(&["order_no", "product_id"]),
            deferral: Default::default(),
        }],
        foreign_keys: vec![ForeignKey {
            name: Some("order_lines_product_fk".to_owned()),
            columns: names(&["product_id"]),
            ref_table: QualifiedName::new("products"),
            ref_columns: names(&["id"]),
            on_delete: FkAction::Cascade,
            on_update: FkAction::Restrict,
            deferral: Default::default(),
            not_valid: false,
        }],
        indexes: vec![Index {
            name: "order_lines_expr".to_owned(),
            unique: false,
            keys: vec![
                IndexKey::Expression("(qty * 2)".to_owned()),
                IndexKey::Column("product_id".to_owned()),
            ],
            predicate: None,
            method: None,
            key_options: vec![
                migrate_schema::IndexKeyOptions {
                    descending: true,
                    ..Default::default()
                },
                migrate_schema::IndexKeyOptions {
                    collation: Some("NOCASE".to_owned()),
                    ..Default::default()
                },
            ],
            include: Vec::new(),
            with: Vec::new(),
        }],
        ..Table::new(QualifiedName::new("order_lines"))
    }
}

fn line_notes() -> Table {
    Table {
        columns: vec![
            Column::new("order_no", "INTEGER"),
            Column::new("line_no", "INTEGER"),
            Column::new("note", "TEXT"),
        ],
        foreign_keys: vec![ForeignKey {
            name: None,
            columns: names(&["line_no", "order_no"]),
            ref_table: QualifiedName::new("order_lines"),
            // Left out in the declaration: the referenced primary key.
            ref_columns: names(&["line_no", "order_no"]),
            on_delete: FkAction::SetDefault,
            on_update: FkAction::Cascade,
            deferral: Default::default(),
            not_valid: false,
        }],
        ..Table::new(QualifiedName::new("line_notes"))
    }
}

fn assert_schema(actual: &Schema, expected: &Schema) {
    // The setup's one view is read (its form is the pairs' business, in
    // migrate-cli's autogenerate tests); the tables are compared here.
    let views: Vec<String> = actual.views.keys().map(|n| n.to_string()).collect();
    assert!(
        views.is_empty() || views == ["product_names"],
        "views: {views:?}"
    );
    let mut actual = actual.clone();
    actual.views.clear();
    let actual = &actual;
    let actual_names: Vec<_> = actual.tables.keys().collect();
    let expected_names: Vec<_> = expected.tables.keys().collect();
    assert_eq!(actual_names, expected_names, "table names");
    for (name, table) in &expected.tables {
        assert_eq!(&actual.tables[name], table, "table {name}");
    }
    assert_eq!(actual, expected);
}

#[tokio::test]
async fn sqlite_reads_every_object_kind() {
    let db = migrate_tests::fresh_sqlite_db();
    let pool = db.pool().await;
    sqlx::raw_sql(SETUP).execute(&pool).await.unwrap();

    let mut conn = pool.acquire().await.unwrap();
    let schema = introspect_sqlite(&mut conn, &IntrospectOptions::default())
        .await
        .unwrap();
    drop(conn);
    let expected = Schema {
        tables: [users(), products(), order_lines(), line_notes()]
            .into_iter()
            .map(|t| (t.name.clone(), t))
            .collect(),
        ..Schema::default()
    };
    assert_schema(&schema, &expected);

    // The generic entry point reads the same; include_schemas changes
    // nothing on SQLite.
    let options = IntrospectOptions {
        include_schemas: true,
        ..IntrospectOptions::default()
    };
    assert_schema(&introspect(&pool, &options).await.unwrap(), &expected);
    pool.close().await;
}

#[tokio::test]
async fn sqlite_version_table_option_names_the_excluded_table() {
    let db = migrate_tests::fresh_sqlite_db();
    let pool = db.pool().await;
    sqlx::raw_sql(SETUP).execute(&pool).await.unwrap();

    // Names compare without regard to case, as in SQLite; a schema prefix
    // is ignored.
    let options = IntrospectOptions {
        include_schemas: false,
        version_table: "main.LINE_NOTES".to_owned(),
        grants: false,
    };
    let schema = introspect(&pool, &options).await.unwrap();
    let names: Vec<String> = schema.tables.keys().map(ToString::to_string).collect();
    assert_eq!(
        names,
        ["migrate_history", "order_lines", "products", "users"]
    );
    let history = &schema.tables[&QualifiedName::new("migrate_history")];
    assert_eq!(
        history.columns[0],
        not_null(Column::new("revision", "TEXT"))
    );
    assert_eq!(history.indexes[0].name, "migrate_history_seq");
    pool.close().await;
}
