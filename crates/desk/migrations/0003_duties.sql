-- The duty board as last fetched, and the notices the desk keeps.

-- One column of the office's `GET /board` (a BoardColumn as JSON); statuses are recomputed here.
CREATE TABLE board (
    column_id INTEGER PRIMARY KEY,
    json      TEXT NOT NULL
);

-- `key` says what a notice is about (e.g. overdue:<column>:<due date>, urged:<change seq>), so
-- each is created once however often the desk looks, and raised once as a desktop notification.
CREATE TABLE notices (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    column_id  INTEGER,
    draft_id   TEXT,
    facts_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    raised_at  TEXT,
    read_at    TEXT
);
