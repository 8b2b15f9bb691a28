PRAGMA foreign_keys = OFF;
CREATE TABLE orders_new (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
    total REAL NOT NULL CHECK (total >= 0),
    total_cents INTEGER GENERATED ALWAYS AS (CAST(round(total * 100) AS INTEGER)) STORED,
    currency TEXT NOT NULL DEFAULT 'EUR',
    updated_at TEXT
);
INSERT INTO orders_new (id, user_id, status, total, updated_at)
SELECT id, user_id, status, total, updated_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_open ON orders (user_id) WHERE status NOT IN ('shipped', 'cancelled');
CREATE TRIGGER orders_status_changed
AFTER UPDATE OF status ON orders
FOR EACH ROW
WHEN NEW.status <> OLD.status
BEGIN
    UPDATE orders SET updated_at = CASE WHEN NEW.status = 'shipped' THEN datetime('now') END
    WHERE id = NEW.id;
    INSERT INTO order_log (order_id, note) VALUES (NEW.id, 'status: ' || NEW.status);
END;
CREATE TRIGGER orders_no_negative BEFORE INSERT ON orders
BEGIN
    SELECT CASE WHEN NEW.total < 0 THEN RAISE(ABORT, 'negative total') END;
END;
PRAGMA foreign_key_check;
PRAGMA foreign_keys = ON;

-- migrate:downgrade
PRAGMA foreign_keys = OFF;
CREATE TABLE orders_old (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
    total REAL NOT NULL,
    total_cents INTEGER GENERATED ALWAYS AS (CAST(round(total * 100) AS INTEGER)) STORED,
    updated_at TEXT
);
INSERT INTO orders_old (id, user_id, status, total, updated_at)
SELECT id, user_id, status, total, updated_at FROM orders;
DROP TABLE orders;
ALTER TABLE orders_old RENAME TO orders;
CREATE INDEX orders_open ON orders (user_id) WHERE status <> 'shipped';
CREATE TRIGGER IF NOT EXISTS orders_status_changed
AFTER UPDATE OF status ON orders
FOR EACH ROW
WHEN NEW.status <> OLD.status
BEGIN
    UPDATE orders
    SET updated_at = CASE
        WHEN NEW.status = 'shipped' THEN datetime('now')
        ELSE NULL
    END
    WHERE id = NEW.id;
    INSERT INTO order_log (order_id, note)
    VALUES (NEW.id, CASE NEW.status WHEN 'paid' THEN 'paid' ELSE 'status: ' || NEW.status END);
END;
CREATE TRIGGER IF NOT EXISTS orders_no_negative
BEFORE INSERT ON orders
BEGIN
    SELECT CASE WHEN NEW.total < 0 THEN RAISE(ABORT, 'negative total') END;
END;
PRAGMA foreign_keys = ON;
