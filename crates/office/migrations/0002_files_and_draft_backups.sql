-- Files (attachments and inline images) and the seats' draft backups.

-- An upload of one file by one seat. The bytes live on disk (files/partial while arriving,
-- files/blobs/<sha256> once complete); the number of bytes on disk is the confirmed offset.
CREATE TABLE uploads (
    seat_id     INTEGER NOT NULL REFERENCES seats(id),
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    name        TEXT NOT NULL,
    mime        TEXT,
    started_at  TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (seat_id, sha256)
);

-- The files of an item, linked in the transaction that stores the item.
CREATE TABLE item_files (
    item_id  INTEGER NOT NULL REFERENCES items(id),
    position INTEGER NOT NULL,
    sha256   TEXT NOT NULL,
    name     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    mime     TEXT NOT NULL,
    PRIMARY KEY (item_id, position)
);
CREATE INDEX item_files_sha ON item_files(item_id, sha256);

-- The latest backup of each draft of a seat. `rev` counts its versions: a backup names the rev it
-- replaces, and one made from an older rev is refused. `seq` orders all backups as they were
-- written, so a desk asks only for what changed since it last looked.
CREATE TABLE draft_backups (
    seat_id          INTEGER NOT NULL REFERENCES seats(id),
    draft_key        TEXT NOT NULL,
    rev              INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    column_id        INTEGER,
    title            TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    attachments_json TEXT NOT NULL,
    origin           TEXT,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (seat_id, draft_key)
);
CREATE INDEX draft_backups_seq ON draft_backups(seat_id, seq);
