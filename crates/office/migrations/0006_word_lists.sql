-- The office's word lists for the pre-flight checks: forbidden words (blocking) and common
-- misspellings in official writing with their correction (warning).
CREATE TABLE word_lists (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('forbidden', 'misspelling')),
    word       TEXT NOT NULL,
    correction TEXT,
    UNIQUE (kind, word)
);
