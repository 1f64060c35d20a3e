-- The inbox's counts, kept by the database as items change: how many items of each state wait in
-- each column, in total and per Beijing day of their delivery. Only items that left their
-- department (with a `waiting_since`) are counted, as the inbox lists only those. The console
-- shows these counts on every page; counting a million items for each would take longer than the
-- page may. Triggers keep them, so no writer can forget to.
CREATE TABLE inbox_totals (
    department_id INTEGER NOT NULL,
    column_id     INTEGER NOT NULL,
    state         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (department_id, column_id, state)
) WITHOUT ROWID;

CREATE TABLE inbox_days (
    day           TEXT NOT NULL, -- the Beijing date of `delivered_at`, YYYY-MM-DD
    department_id INTEGER NOT NULL,
    column_id     INTEGER NOT NULL,
    state         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (day, department_id, column_id, state)
) WITHOUT ROWID;

INSERT INTO inbox_totals (department_id, column_id, state, n)
    SELECT department_id, column_id, state, count(*) FROM items
    WHERE waiting_since IS NOT NULL GROUP BY department_id, column_id, state;

INSERT INTO inbox_days (day, department_id, column_id, state, n)
    SELECT date(substr(delivered_at, 1, 19), '+8 hours'), department_id, column_id, state, count(*)
    FROM items WHERE waiting_since IS NOT NULL
    GROUP BY 1, department_id, column_id, state;

CREATE TRIGGER items_counted AFTER INSERT ON items WHEN NEW.waiting_since IS NOT NULL
BEGIN
    INSERT INTO inbox_totals (department_id, column_id, state, n)
        VALUES (NEW.department_id, NEW.column_id, NEW.state, 1)
        ON CONFLICT (department_id, column_id, state) DO UPDATE SET n = n + 1;
    INSERT INTO inbox_days (day, department_id, column_id, state, n)
        VALUES (date(substr(NEW.delivered_at, 1, 19), '+8 hours'), NEW.department_id,
                NEW.column_id, NEW.state, 1)
        ON CONFLICT (day, department_id, column_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER items_uncounted AFTER DELETE ON items WHEN OLD.waiting_since IS NOT NULL
BEGIN
    UPDATE inbox_totals SET n = n - 1
        WHERE department_id = OLD.department_id AND column_id = OLD.column_id
          AND state = OLD.state;
    UPDATE inbox_days SET n = n - 1
        WHERE day = date(substr(OLD.delivered_at, 1, 19), '+8 hours')
          AND department_id = OLD.department_id AND column_id = OLD.column_id
          AND state = OLD.state;
END;

-- An update is the old row leaving its count and the new row joining its own (in either order:
-- the sums come out the same).
CREATE TRIGGER items_recounted_in
AFTER UPDATE OF state, department_id, column_id, delivered_at, waiting_since ON items
WHEN NEW.waiting_since IS NOT NULL
BEGIN
    INSERT INTO inbox_totals (department_id, column_id, state, n)
        VALUES (NEW.department_id, NEW.column_id, NEW.state, 1)
        ON CONFLICT (department_id, column_id, state) DO UPDATE SET n = n + 1;
    INSERT INTO inbox_days (day, department_id, column_id, state, n)
        VALUES (date(substr(NEW.delivered_at, 1, 19), '+8 hours'), NEW.department_id,
                NEW.column_id, NEW.state, 1)
        ON CONFLICT (day, department_id, column_id, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER items_recounted_out
AFTER UPDATE OF state, department_id, column_id, delivered_at, waiting_since ON items
WHEN OLD.waiting_since IS NOT NULL
BEGIN
    UPDATE inbox_totals SET n = n - 1
        WHERE department_id = OLD.department_id AND column_id = OLD.column_id
          AND state = OLD.state;
    UPDATE inbox_days SET n = n - 1
        WHERE day = date(substr(OLD.delivered_at, 1, 19), '+8 hours')
          AND department_id = OLD.department_id AND column_id = OLD.column_id
          AND state = OLD.state;
END;

-- A month's inbox is read from the items delivered in it, without touching their rows: the
-- index holds what the filters and the order need.
DROP INDEX items_state_delivered;
CREATE INDEX items_state_delivered ON items(state, delivered_at, waiting_since, department_id, column_id);
