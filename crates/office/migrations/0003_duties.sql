-- Column duties: when each column's duty began, updates the office records itself, and the
-- working-day calendar it publishes.

ALTER TABLE columns ADD COLUMN duty_since TEXT NOT NULL DEFAULT '2025-01-01T00:00:00+08:00';

-- Updates of columns fed by scraping or by link, recorded by an editor (an accepted item is an
-- update of its column too, found in `items`).
CREATE TABLE column_updates (
    id          INTEGER PRIMARY KEY,
    column_id   INTEGER NOT NULL REFERENCES columns(id),
    at          TEXT NOT NULL,
    recorded_by INTEGER REFERENCES seats(id)
);
CREATE INDEX column_updates_column ON column_updates(column_id, at);
CREATE INDEX items_column_state ON items(column_id, state, reviewed_at);

-- Days that differ from "Monday to Friday": public holidays and weekend days worked (调休).
CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'working_weekend'))
);
