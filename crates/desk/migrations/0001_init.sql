-- The desk's first schema. The session token is NOT here: it lives in the OS keyring.

-- A draft is one item as the officer writes it; `id` is also the draft_key the office knows.
CREATE TABLE drafts (
    id             TEXT PRIMARY KEY,
    column_id      INTEGER,
    title          TEXT NOT NULL DEFAULT '',
    body_html      TEXT NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1,
    state          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    office_item_id INTEGER,
    receipt        TEXT,
    delivered_at   TEXT,
    published_url  TEXT,
    review_comment TEXT,
    last_error     TEXT
);

-- Every version that was sent, as it was sent. Never updated except for its receipt.
CREATE TABLE revisions (
    draft_id   TEXT NOT NULL REFERENCES drafts(id),
    version    INTEGER NOT NULL,
    column_id  INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    receipt    TEXT,
    PRIMARY KEY (draft_id, version)
);

-- Sends waiting for the office. Written in the same transaction as the draft's move to queued.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    draft_id        TEXT NOT NULL REFERENCES drafts(id),
    version         INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload_json    TEXT NOT NULL,
    queued_at       TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
);

-- The signed-in seat's department's columns, as last fetched.
CREATE TABLE columns (
    id   INTEGER PRIMARY KEY,
    json TEXT NOT NULL
);

-- office_url, seat (JSON), change cursor, last sync time.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
