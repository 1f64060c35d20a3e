-- A draft's key belongs to the seat that made it, and the change log says who may read each entry.

-- Items: one per (seat, draft key, version), no longer one per (draft key, version) across the
-- whole office, so one department can neither learn of nor block another's key. SQLite cannot
-- drop a table constraint, so the table is made again (foreign keys are off while migrations run
-- and checked before they commit).
CREATE TABLE items_new (
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
    attestation_json TEXT,
    signed_off_by    TEXT,
    waiting_since    TEXT,
    published_at     TEXT,
    UNIQUE (seat_id, idempotency_key),
    UNIQUE (seat_id, draft_key, version)
);
INSERT INTO items_new (id, receipt, seat_id, idempotency_key, payload_sha256, draft_key, version,
                       department_id, column_id, holder_name, title, body_html, state, delivered_at,
                       published_url, review_comment, reviewed_at, reviewed_by, attestation_json,
                       signed_off_by, waiting_since, published_at)
    SELECT id, receipt, seat_id, idempotency_key, payload_sha256, draft_key, version,
           department_id, column_id, holder_name, title, body_html, state, delivered_at,
           published_url, review_comment, reviewed_at, reviewed_by, attestation_json,
           signed_off_by, waiting_since, published_at
    FROM items;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;
CREATE INDEX items_state_delivered ON items(state, delivered_at);
CREATE INDEX items_column_state ON items(column_id, state, reviewed_at);
CREATE INDEX items_waiting ON items(state, waiting_since);
CREATE INDEX items_department_waiting ON items(department_id, state, waiting_since);
CREATE INDEX items_column_waiting ON items(column_id, state, waiting_since);
CREATE INDEX items_all_waiting ON items(waiting_since) WHERE waiting_since IS NOT NULL;

-- Who may read a change: 'department' entries are the department's own business (an item that
-- has not left the department: its sign-off request, its internal remarks, its return by the
-- responsible person); 'all' entries the editorial office may read too.
ALTER TABLE changes ADD COLUMN audience TEXT NOT NULL DEFAULT 'all'
    CHECK (audience IN ('all', 'department'));
UPDATE changes SET audience = 'department'
    WHERE json_extract(payload_json, '$.kind') = 'signoff_requested'
       OR (json_extract(payload_json, '$.kind') IN ('item_commented', 'item_reviewed')
           AND EXISTS (SELECT 1 FROM items i
                       WHERE i.id = json_extract(changes.payload_json, '$.item_id')
                         AND (i.waiting_since IS NULL OR i.waiting_since > changes.at)));
CREATE INDEX changes_audience ON changes(audience, seq);
