-- The column watch. An update the office records for a scraped or linked column keeps the
-- address it was seen at. Every urge (催报) is kept with its column and department, so each keeps its history and a
-- department urged too often in a week can be flagged. Urges sent before this table existed are
-- taken from the change log, where each one was written for the department's desks.
ALTER TABLE column_updates ADD COLUMN url TEXT;

CREATE TABLE urges (
    id            INTEGER PRIMARY KEY,
    column_id     INTEGER NOT NULL REFERENCES columns(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    at            TEXT NOT NULL,
    message       TEXT NOT NULL,
    urged_by      TEXT NOT NULL,
    -- Unknown for an urge taken from the change log.
    seat_id       INTEGER REFERENCES seats(id)
);
CREATE INDEX urges_by_department ON urges (department_id, at);
CREATE INDEX urges_by_column ON urges (column_id, at);

INSERT INTO urges (column_id, department_id, at, message, urged_by)
SELECT json_extract(payload_json, '$.column_id'), department_id, at,
       json_extract(payload_json, '$.message'), json_extract(payload_json, '$.urged_by')
FROM changes
WHERE json_extract(payload_json, '$.kind') = 'column_urged'
  AND json_extract(payload_json, '$.column_id') IN (SELECT id FROM columns)
ORDER BY seq;
