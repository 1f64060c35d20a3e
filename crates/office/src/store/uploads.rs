//! Uploads and draft backups in SQLite, as one transaction of the service sees them
//! ([`UploadsTx`], [`DraftsTx`]): persistence only. The quota, the sweep and the stale-copy check
//! are the service's (`service::uploads`, `service::drafts`).
//!
//! An upload is *used* when an item its seat sent carries the file, or a draft backup of its
//! seat names it. Its *last activity* is the latest of its start, its completion and
//! `touched_at` (announced again, a piece arrived).

use chrono::{DateTime, Utc};
use liaison_domain::wire::{DraftBackup, PutDraftRequest};
use rusqlite::{OptionalExtension, params};

use super::sqlite::{BACKUP_SELECT, UPLOAD_SELECT, backup_from_row, ts, upload_from_row};
use super::transaction::{SqliteTx, json};
use super::{DraftsTx, IdleUpload, StoreError, Upload, UploadUsage, UploadsTx};

/// Whether the seat's upload `u` is used (SQL condition over the alias `u`).
const USED: &str = "(EXISTS (SELECT 1 FROM item_files f JOIN items i ON i.id = f.item_id
                             WHERE f.sha256 = u.sha256 AND i.seat_id = u.seat_id)
                  OR EXISTS (SELECT 1 FROM draft_backups b, json_each(b.attachments_json) j
                             WHERE b.seat_id = u.seat_id
                               AND json_extract(j.value, '$.sha256') = u.sha256))";

/// The instant of an upload's last activity (SQL over the alias `u`); the timestamps share one
/// format, so text order is time order.
const LAST_ACTIVITY: &str =
    "max(u.started_at, coalesce(u.completed_at, ''), coalesce(u.touched_at, ''))";

impl UploadsTx for SqliteTx<'_> {
    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError> {
        Ok(self
            .tx
            .query_row(
                &format!("{UPLOAD_SELECT} WHERE seat_id = ?1 AND sha256 = ?2"),
                params![seat_id, sha256],
                upload_from_row,
            )
            .optional()?)
    }

    fn usage(&self, seat_id: i64) -> Result<UploadUsage, StoreError> {
        Ok(self.tx.query_row(
            &format!(
                "SELECT coalesce(sum(CASE WHEN u.mime IS NULL THEN u.size END), 0),
                        coalesce(sum(CASE WHEN u.mime IS NOT NULL AND NOT {USED} THEN u.size END), 0)
                 FROM uploads u WHERE u.seat_id = ?1"
            ),
            [seat_id],
            |r| {
                Ok(UploadUsage {
                    pending_bytes: r.get(0)?,
                    unused_bytes: r.get(1)?,
                })
            },
        )?)
    }

    fn insert_upload(
        &mut self,
        seat_id: i64,
        upload: &Upload,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO uploads (seat_id, sha256, size, name, started_at, touched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![seat_id, upload.sha256, upload.size, upload.name, ts(now)],
        )?;
        Ok(())
    }

    fn touch_upload(
        &mut self,
        seat_id: i64,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE uploads SET touched_at = ?3 WHERE seat_id = ?1 AND sha256 = ?2",
            params![seat_id, sha256, ts(now)],
        )?;
        Ok(())
    }

    fn idle_unused_uploads(
        &self,
        idle_before: DateTime<Utc>,
    ) -> Result<Vec<IdleUpload>, StoreError> {
        let mut stmt = self.tx.prepare(&format!(
            "SELECT u.seat_id, u.sha256, u.mime IS NOT NULL FROM uploads u
             WHERE {LAST_ACTIVITY} < ?1 AND (u.mime IS NULL OR NOT {USED})"
        ))?;
        let rows = stmt.query_map([ts(idle_before)], |r| {
            Ok(IdleUpload {
                seat_id: r.get(0)?,
                sha256: r.get(1)?,
                complete: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn forget_upload(&mut self, seat_id: i64, sha256: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "DELETE FROM uploads WHERE seat_id = ?1 AND sha256 = ?2",
            params![seat_id, sha256],
        )?;
        Ok(())
    }

    fn blob_named(&self, sha256: &str) -> Result<bool, StoreError> {
        Ok(self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ?1)
                 OR EXISTS (SELECT 1 FROM item_files WHERE sha256 = ?1)",
            [sha256],
            |r| r.get::<_, bool>(0),
        )?)
    }
}

impl DraftsTx for SqliteTx<'_> {
    fn draft_backup(
        &self,
        seat_id: i64,
        draft_key: &str,
    ) -> Result<Option<DraftBackup>, StoreError> {
        Ok(self
            .tx
            .query_row(
                &format!("{BACKUP_SELECT} WHERE seat_id = ?1 AND draft_key = ?2"),
                params![seat_id, draft_key],
                backup_from_row,
            )
            .optional()?)
    }

    fn write_draft_backup(
        &mut self,
        seat_id: i64,
        draft_key: &str,
        rev: i64,
        backup: &PutDraftRequest,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO draft_backups (seat_id, draft_key, rev, version, column_id, title, body_html,
                                        attachments_json, updated_at, origin, seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
                     (SELECT coalesce(max(seq), 0) + 1 FROM draft_backups))
             ON CONFLICT (seat_id, draft_key) DO UPDATE SET rev = excluded.rev, seq = excluded.seq,
                version = excluded.version, column_id = excluded.column_id, title = excluded.title,
                body_html = excluded.body_html, attachments_json = excluded.attachments_json,
                updated_at = excluded.updated_at, origin = excluded.origin",
            params![
                seat_id,
                draft_key,
                rev,
                backup.version,
                backup.column_id,
                backup.title,
                backup.body_html,
                json(&backup.attachments)?,
                ts(now),
                backup.origin
            ],
        )?;
        Ok(())
    }
}
