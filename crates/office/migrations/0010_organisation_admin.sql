-- The organisation is administered from the console: departments and columns retire (never
-- deleted, so items, files and audit entries keep what they name), columns have a level (一级 /
-- 二级), seats can be disabled, and a seat can hold one one-time code for its holder to choose a
-- password with (a new seat, or a reset by the administrator).
ALTER TABLE departments ADD COLUMN retired_at TEXT;
ALTER TABLE columns ADD COLUMN level TEXT NOT NULL DEFAULT 'second' CHECK (level IN ('first', 'second'));
ALTER TABLE columns ADD COLUMN retired_at TEXT;
ALTER TABLE seats ADD COLUMN disabled_at TEXT;

CREATE TABLE seat_codes (
    seat_id    INTEGER PRIMARY KEY REFERENCES seats(id),
    code_hash  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
