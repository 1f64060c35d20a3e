-- Commissioned items (约稿): the editorial office asks departments for content on a topic by a
-- deadline; an item sent in answer names the request. Nothing here is ever deleted: a withdrawn
-- request keeps its targets and the answers that came while it was open.
CREATE TABLE commissions (
    id             INTEGER PRIMARY KEY,
    topic          TEXT NOT NULL,
    requirements   TEXT NOT NULL,
    -- The column the answers are for, if the request names one.
    column_id      INTEGER REFERENCES columns(id),
    due_at         TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('open', 'withdrawn')),
    posted_at      TEXT NOT NULL,
    posted_by      INTEGER NOT NULL REFERENCES seats(id),
    posted_by_name TEXT NOT NULL,
    withdrawn_at   TEXT
);

CREATE TABLE commission_targets (
    commission_id INTEGER NOT NULL REFERENCES commissions(id),
    department_id INTEGER NOT NULL REFERENCES departments(id),
    PRIMARY KEY (commission_id, department_id)
);
CREATE INDEX commission_targets_department ON commission_targets(department_id);

-- The request an item answers (set only while the request was open and named its department).
ALTER TABLE items ADD COLUMN commission_id INTEGER REFERENCES commissions(id);
CREATE INDEX items_commission ON items(commission_id) WHERE commission_id IS NOT NULL;
