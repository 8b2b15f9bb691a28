CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
    total REAL NOT NULL,
    total_cents INTEGER GENERATED ALWAYS AS (CAST(round(total * 100) AS INTEGER)) STORED,
    updated_at TEXT
);
CREATE INDEX orders_open ON orders (user_id) WHERE status <> 'shipped';

CREATE TABLE order_log (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

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

CREATE TEMP TRIGGER IF NOT EXISTS scratch_noop AFTER DELETE ON order_log BEGIN SELECT 1; END;
DROP TRIGGER IF EXISTS scratch_noop;

-- migrate:downgrade
DROP TRIGGER orders_no_negative;
DROP TRIGGER IF EXISTS orders_status_changed;
DROP TABLE order_log;
DROP TABLE orders;
