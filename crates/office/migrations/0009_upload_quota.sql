-- Upload quotas and the sweep of idle uploads.

-- The last time anything happened to an upload besides its start and completion: it was
-- announced again or a piece arrived. Its last activity is the latest of the three.
ALTER TABLE uploads ADD COLUMN touched_at TEXT;

-- Whether any seat's upload or any item still names a blob, before the sweep deletes it.
CREATE INDEX uploads_by_sha ON uploads(sha256);
CREATE INDEX item_files_by_sha ON item_files(sha256);
