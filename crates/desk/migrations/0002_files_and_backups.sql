-- Files of drafts, their upload progress, and the drafts' backups at the office.

-- Every file once, named by the SHA-256 of its bytes; the bytes are in files/<sha256>.
CREATE TABLE files (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL,
    mime     TEXT NOT NULL,
    added_at TEXT NOT NULL
);

CREATE TABLE draft_files (
    draft_id TEXT NOT NULL REFERENCES drafts(id),
    position INTEGER NOT NULL,
    sha256   TEXT NOT NULL REFERENCES files(sha256),
    name     TEXT NOT NULL,
    PRIMARY KEY (draft_id, position),
    UNIQUE (draft_id, sha256)
);

-- The files a queued send waits for, and how many of their bytes the office has confirmed.
CREATE TABLE outbox_files (
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    sha256    TEXT NOT NULL,
    size      INTEGER NOT NULL,
    confirmed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (outbox_id, sha256)
);

-- rev counts local edits; backed_up_rev is the rev the office holds a copy of, office_rev the
-- office's own number for that copy (named when the next backup replaces it).
ALTER TABLE drafts ADD COLUMN rev INTEGER NOT NULL DEFAULT 1;
ALTER TABLE drafts ADD COLUMN backed_up_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN office_rev INTEGER;
-- Something the officer must be told about this draft (another workstation's copy was kept).
ALTER TABLE drafts ADD COLUMN notice TEXT;
