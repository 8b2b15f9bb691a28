INSERT INTO users (email, first_name, last_name) VALUES
    ('ada@example.com', 'Ada', 'Lovelace'),
    ('alan@example.com', 'Alan', 'Turing');

INSERT INTO settings (key, value) VALUES ('schema', 1)
ON CONFLICT (key) DO UPDATE SET value = excluded.value;
INSERT INTO settings (key, value) VALUES ('schema', 2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > settings.value;
INSERT INTO settings (key, value) VALUES ('theme', 'dark') ON CONFLICT DO NOTHING;
INSERT OR IGNORE INTO settings (key, value) VALUES ('theme', 'light');
REPLACE INTO settings (key, value) VALUES ('locale', 'en');
INSERT INTO settings (key, value)
SELECT 'user_count', count(*) FROM users WHERE true
ON CONFLICT (key) DO UPDATE SET value = excluded.value;

WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM users
)
INSERT INTO orders (user_id, total)
SELECT id, 10.5 * n FROM numbered;

WITH RECURSIVE counter(i) AS (
    SELECT 1
    UNION ALL
    SELECT i + 1 FROM counter WHERE i < 3
)
INSERT INTO tags (name, user_id)
SELECT 'tag' || i, (SELECT min(id) FROM users) FROM counter;

WITH big AS (SELECT id FROM orders WHERE total > 15)
UPDATE orders SET status = 'paid' WHERE id IN (SELECT id FROM big);

UPDATE orders SET status = 'shipped'
FROM (SELECT min(id) AS first_id FROM orders) AS f
WHERE orders.id = f.first_id;

DELETE FROM tags WHERE name = 'tag3' RETURNING name;

-- migrate:downgrade
DELETE FROM order_log;
DELETE FROM orders;
DELETE FROM tags;
DELETE FROM settings;
DELETE FROM users;
DELETE FROM sqlite_sequence WHERE name = 'users';
