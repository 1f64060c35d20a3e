-- The office's first schema: organisation, sessions, items with their idempotency keys, the change log.

CREATE TABLE departments (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- A seat belongs to a department (NULL for the editorial office's own seats) and has one role.
CREATE TABLE seats (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'responsible', 'editor', 'admin')),
    department_id INTEGER REFERENCES departments(id),
    holder_name   TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    CHECK ((role IN ('officer', 'responsible')) = (department_id IS NOT NULL))
);

-- Only the SHA-256 of a token is kept.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    seat_id    INTEGER NOT NULL REFERENCES seats(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_seat ON sessions(seat_id);

CREATE TABLE columns (
    id            INTEGER PRIMARY KEY,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    name          TEXT NOT NULL,
    path          TEXT NOT NULL,
    feed          TEXT NOT NULL,
    duty_json     TEXT NOT NULL
);
CREATE INDEX columns_department ON columns(department_id);

-- One row per submitted version. The idempotency key and the hash of the payload it carried are
-- stored in the same row, in the same transaction, so a replay finds the first answer.
CREATE TABLE items (
    id               INTEGER PRIMARY KEY,
    receipt          TEXT NOT NULL UNIQUE,
    seat_id          INTEGER NOT NULL REFERENCES seats(id),
    idempotency_key  TEXT NOT NULL,
    payload_sha256   TEXT NOT NULL,
    draft_key        TEXT NOT NULL,
    version          INTEGER NOT NULL,
    department_id    INTEGER NOT NULL REFERENCES departments(id),
    column_id        INTEGER NOT NULL REFERENCES columns(id),
    holder_name      TEXT NOT NULL,
    title            TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    state            TEXT NOT NULL,
    delivered_at     TEXT NOT NULL,
    published_url    TEXT,
    review_comment   TEXT,
    reviewed_at      TEXT,
    reviewed_by      INTEGER REFERENCES seats(id),
    UNIQUE (seat_id, idempotency_key),
    UNIQUE (draft_key, version)
);
CREATE INDEX items_state_delivered ON items(state, delivered_at);
CREATE INDEX items_department ON items(department_id);

-- What desks must learn, in order. `seq` is the cursor.
CREATE TABLE changes (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    department_id INTEGER NOT NULL REFERENCES departments(id),
    at            TEXT NOT NULL,
    payload_json  TEXT NOT NULL
);
CREATE INDEX changes_department ON changes(department_id, seq);
