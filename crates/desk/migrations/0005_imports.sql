-- The watch folder's log: every file it took, what became of it, and where it was moved.
-- `sha256` is the file's content: the same file dropped twice is imported once.
CREATE TABLE imports (
    id       INTEGER PRIMARY KEY,
    sha256   TEXT NOT NULL,
    name     TEXT NOT NULL,
    at       TEXT NOT NULL,
    outcome  TEXT NOT NULL CHECK (outcome IN ('imported', 'duplicate', 'failed')),
    draft_id TEXT,
    reason   TEXT,
    moved_to TEXT
);
CREATE INDEX imports_sha ON imports(sha256, outcome);
