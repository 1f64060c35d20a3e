-- Department sign-off, the review round-trip and every item's timeline.

-- How the department signs off what it sends: in the app by its responsible person, or attested
-- on paper by the officer.
ALTER TABLE departments ADD COLUMN signoff TEXT NOT NULL DEFAULT 'in_app'
    CHECK (signoff IN ('in_app', 'attested'));

-- The paper sign-off, as the officer attested it (an Attestation as JSON).
ALTER TABLE items ADD COLUMN attestation_json TEXT;
-- The responsible person who signed it off in the app (their name at the time).
ALTER TABLE items ADD COLUMN signed_off_by TEXT;
-- Since when the editors have had it; NULL while it waits for the department's sign-off.
ALTER TABLE items ADD COLUMN waiting_since TEXT;
ALTER TABLE items ADD COLUMN published_at TEXT;
UPDATE items SET waiting_since = delivered_at;
CREATE INDEX items_waiting ON items(state, waiting_since);
CREATE INDEX items_column ON items(column_id);

-- What happened to each item, in order; appended to, never changed.
CREATE TABLE item_events (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES items(id),
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    seat_id    INTEGER NOT NULL REFERENCES seats(id),
    actor      TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    text       TEXT,
    quote      TEXT
);
CREATE INDEX item_events_item ON item_events(item_id, id);

INSERT INTO item_events (item_id, at, kind, seat_id, actor, actor_role, text)
    SELECT i.id, i.delivered_at, 'delivered', i.seat_id, i.holder_name, s.role, i.receipt
    FROM items i JOIN seats s ON s.id = i.seat_id;
