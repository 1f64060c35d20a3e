-- Full-text search over the drafts: titles and the bodies' plain text, trigram-tokenised so that
-- a Chinese word is found inside a sentence.
--
-- The index is derived data. Saving a draft only marks it stale (the same UPDATE that saves it);
-- the next search first indexes whatever is stale, newest last, so the index's rowid order is the
-- order in which drafts were last indexed and "newest first" is a walk down the rowids.
ALTER TABLE drafts ADD COLUMN search_rowid INTEGER;
ALTER TABLE drafts ADD COLUMN search_stale INTEGER NOT NULL DEFAULT 1;
CREATE INDEX drafts_search_stale ON drafts(updated_at) WHERE search_stale = 1;
CREATE VIRTUAL TABLE draft_search USING fts5(draft_id UNINDEXED, title, body, tokenize = 'trigram');
