-- revision: 3c4d5e6f7a8b
-- down_revision: 955bb0742a21
-- message: keep orders.updated_at current

-- migrate:upgrade
CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_touch_updated_at
    BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- migrate:downgrade
DROP TRIGGER orders_touch_updated_at ON orders;
DROP FUNCTION touch_updated_at();
