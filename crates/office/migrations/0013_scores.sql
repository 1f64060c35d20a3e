-- Scores and ranking (评比). Every scoring scheme the administrator publishes is kept as a
-- version; a period is scored by the version in force when it closed. Each department's facts
-- for a month that has closed are kept as they stood when they were first taken (at the first
-- ranking after the month ended, and before any change to the organisation), so moving a column
-- or retiring a department later never rewrites a closed month. Quarters and years add months.
CREATE TABLE score_schemes (
    version           INTEGER PRIMARY KEY,
    published_at      TEXT NOT NULL,
    published_by      INTEGER NOT NULL REFERENCES seats(id),
    published_by_name TEXT NOT NULL,
    scheme_json       TEXT NOT NULL
);

CREATE TABLE closed_months (
    year      INTEGER NOT NULL,
    month     INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    taken_at  TEXT NOT NULL,
    PRIMARY KEY (year, month)
);

CREATE TABLE month_facts (
    year            INTEGER NOT NULL,
    month           INTEGER NOT NULL,
    department_id   INTEGER NOT NULL REFERENCES departments(id),
    -- The name it had when the month was taken.
    department_name TEXT NOT NULL,
    facts_json      TEXT NOT NULL,
    PRIMARY KEY (year, month, department_id),
    FOREIGN KEY (year, month) REFERENCES closed_months(year, month)
);
