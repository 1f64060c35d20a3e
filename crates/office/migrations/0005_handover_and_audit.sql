-- Seats change hands: who held each seat when, handovers, revoked sessions, and the audit log.

-- Every holder of a seat, with the period they held it; the open row (until_at NULL) is the
-- holder now (seats.holder_name repeats its name for quick reads).
CREATE TABLE holders (
    id       INTEGER PRIMARY KEY,
    seat_id  INTEGER NOT NULL REFERENCES seats(id),
    name     TEXT NOT NULL,
    staff_no TEXT NOT NULL DEFAULT '',
    phone    TEXT NOT NULL DEFAULT '',
    from_at  TEXT NOT NULL,
    until_at TEXT
);
CREATE UNIQUE INDEX holders_current ON holders(seat_id) WHERE until_at IS NULL;
INSERT INTO holders (seat_id, name, from_at)
    SELECT id, holder_name, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM seats;

-- A seat's handover to a successor. Only the code's hash is kept once the outgoing holder has
-- seen it (code_plain is cleared then).
CREATE TABLE handovers (
    id                 INTEGER PRIMARY KEY,
    seat_id            INTEGER NOT NULL REFERENCES seats(id),
    state              TEXT NOT NULL
        CHECK (state IN ('requested', 'approved', 'declined', 'completed', 'expired')),
    forced             INTEGER NOT NULL DEFAULT 0,
    outgoing_holder    TEXT NOT NULL,
    successor_name     TEXT NOT NULL,
    successor_staff_no TEXT NOT NULL,
    successor_phone    TEXT NOT NULL,
    requested_by       INTEGER NOT NULL REFERENCES seats(id),
    requested_at       TEXT NOT NULL,
    reason             TEXT,
    decided_by         INTEGER REFERENCES seats(id),
    decided_at         TEXT,
    outgoing_data      TEXT NOT NULL DEFAULT 'keep_read_only'
        CHECK (outgoing_data IN ('keep_read_only', 'wipe')),
    code_hash          TEXT,
    code_plain         TEXT,
    code_expires_at    TEXT,
    completed_at       TEXT
);
CREATE UNIQUE INDEX handovers_one_open ON handovers(seat_id)
    WHERE state IN ('requested', 'approved');

-- Sessions ended by a handover, so a desk still holding one is told why (by its hash only).
CREATE TABLE revoked_sessions (
    token_hash  TEXT PRIMARY KEY,
    seat_id     INTEGER NOT NULL REFERENCES seats(id),
    handover_id INTEGER NOT NULL REFERENCES handovers(id),
    revoked_at  TEXT NOT NULL
);

-- Who did what, when (UTC) and from where. Each entry's hash covers the one before it, so an
-- edited or removed entry breaks the chain (`liaison-office admin verify-audit`).
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    address   TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
