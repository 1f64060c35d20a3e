-- Department sign-off on paper, and each sent version's timeline at the office.

-- The officer's record of a paper sign-off for the draft's current version (an Attestation as
-- JSON); cleared when a revision starts, since a new version needs a new sign-off.
ALTER TABLE drafts ADD COLUMN attestation_json TEXT;

-- The office's timeline of this version as last fetched (TimelineEntry list as JSON), and the
-- office's id of the version.
ALTER TABLE revisions ADD COLUMN timeline_json TEXT;
ALTER TABLE revisions ADD COLUMN office_item_id INTEGER;
