-- Commissioned requests (约稿) naming this desk's department, as last fetched from the office
-- (read offline), and the request a draft answers.
CREATE TABLE commissions (
    id   INTEGER PRIMARY KEY,
    json TEXT NOT NULL
);
ALTER TABLE drafts ADD COLUMN commission_id INTEGER;
