-- The limits several office processes must share, kept in the database (one process keeps them
-- in memory): failed sign-ins per seat and per client address, and each seat's write allowance
-- per kind of write (GCRA: the theoretical arrival time of its next write).
CREATE TABLE sign_in_failures (
    -- 'seat:<login>' or 'address:<client address>'
    subject text NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX sign_in_failures_subject ON sign_in_failures (subject, at);

CREATE TABLE write_allowance (
    seat_id bigint NOT NULL,
    kind    text NOT NULL,
    tat     timestamptz NOT NULL,
    PRIMARY KEY (seat_id, kind)
);
