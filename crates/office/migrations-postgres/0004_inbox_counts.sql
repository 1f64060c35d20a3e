-- The inbox's counts, kept by the database as items change: how many items of each state wait in
-- each column, in total and per Beijing day of their delivery. Only items that left their
-- department (with a `waiting_since`) are counted, as the inbox lists only those. The console
-- shows these counts on every page; counting a million items for each would take longer than the
-- page may. A trigger keeps them, so no writer can forget to. Beijing keeps no summer time: its
-- day is the UTC day eight hours on.
CREATE TABLE inbox_totals (
    department_id bigint NOT NULL,
    column_id     bigint NOT NULL,
    state         text NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (department_id, column_id, state)
);

CREATE TABLE inbox_days (
    day           date NOT NULL,
    department_id bigint NOT NULL,
    column_id     bigint NOT NULL,
    state         text NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (day, department_id, column_id, state)
);

CREATE FUNCTION beijing_day(t timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE STRICT
    RETURN ((t AT TIME ZONE 'UTC') + interval '8 hours')::date;

INSERT INTO inbox_totals (department_id, column_id, state, n)
    SELECT department_id, column_id, state, count(*) FROM items
    WHERE waiting_since IS NOT NULL GROUP BY department_id, column_id, state;

INSERT INTO inbox_days (day, department_id, column_id, state, n)
    SELECT beijing_day(delivered_at), department_id, column_id, state, count(*)
    FROM items WHERE waiting_since IS NOT NULL
    GROUP BY 1, department_id, column_id, state;

CREATE FUNCTION items_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.waiting_since IS NOT NULL THEN
        UPDATE inbox_totals SET n = n - 1
            WHERE department_id = OLD.department_id AND column_id = OLD.column_id
              AND state = OLD.state;
        UPDATE inbox_days SET n = n - 1
            WHERE day = beijing_day(OLD.delivered_at) AND department_id = OLD.department_id
              AND column_id = OLD.column_id AND state = OLD.state;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.waiting_since IS NOT NULL THEN
        INSERT INTO inbox_totals (department_id, column_id, state, n)
            VALUES (NEW.department_id, NEW.column_id, NEW.state, 1)
            ON CONFLICT (department_id, column_id, state) DO UPDATE SET n = inbox_totals.n + 1;
        INSERT INTO inbox_days (day, department_id, column_id, state, n)
            VALUES (beijing_day(NEW.delivered_at), NEW.department_id, NEW.column_id, NEW.state, 1)
            ON CONFLICT (day, department_id, column_id, state) DO UPDATE SET n = inbox_days.n + 1;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER items_counted AFTER INSERT OR DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION items_count();
CREATE TRIGGER items_recounted
    AFTER UPDATE OF state, department_id, column_id, delivered_at, waiting_since ON items
    FOR EACH ROW EXECUTE FUNCTION items_count();

-- A month's inbox is read from the items delivered in it, without touching their rows: the
-- index holds what the filters and the order need.
DROP INDEX items_state_delivered;
CREATE INDEX items_state_delivered ON items(state, delivered_at, waiting_since, department_id, column_id);
