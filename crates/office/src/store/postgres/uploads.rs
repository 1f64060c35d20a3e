//! Uploads and draft backups on PostgreSQL, as one transaction of the service sees them
//! ([`UploadsTx`], [`DraftsTx`]): the same persistence as the SQLite store's `uploads.rs`. The
//! quota, the sweep and the stale-copy check are the service's (`service::uploads`,
//! `service::drafts`).
//!
//! An upload is *used* when an item its seat sent carries the file, or a draft backup of its
//! seat names it. Its *last activity* is the latest of its start, its completion and
//! `touched_at` (announced again, a piece arrived).

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use liaison_domain::wire::{DraftBackup, PutDraftRequest};

use super::prepared::Prepared;
use super::rows::{BACKUP_SELECT, UPLOAD_SELECT, backup_from_row, i32_of, i64_of, to_json};
use super::rows::{u64_of, upload_from_row};
use super::transaction::{PgTx, lock_seat};
use crate::store::{DraftsTx, IdleUpload, StoreError, Upload, UploadUsage, UploadsTx};

/// Whether the seat's upload `u` is used (SQL condition over the alias `u`). A backup's file
/// list is a JSON array of files: it names the upload when one element holds its digest.
const USED: &str = "(EXISTS (SELECT 1 FROM item_files f JOIN items i ON i.id = f.item_id
                             WHERE f.sha256 = u.sha256 AND i.seat_id = u.seat_id)
                  OR EXISTS (SELECT 1 FROM draft_backups b
                             WHERE b.seat_id = u.seat_id
                               AND b.attachments @> jsonb_build_array(
                                       jsonb_build_object('sha256', u.sha256))))";

/// The instant of an upload's last activity (SQL over the alias `u`): `greatest` passes over
/// the instants not set.
const LAST_ACTIVITY: &str = "greatest(u.started_at, u.completed_at, u.touched_at)";

/// The seat's upload of the file, if it has one.
pub(super) async fn upload_in(
    c: &impl GenericClient,
    seat_id: i64,
    sha256: &str,
) -> Result<Option<Upload>, StoreError> {
    c.query_opt_prepared(
        &format!("{UPLOAD_SELECT} WHERE seat_id = $1 AND sha256 = $2"),
        &[&seat_id, &sha256],
    )
    .await?
    .map(|r| upload_from_row(&r))
    .transpose()
}

/// The seat's backup of a draft, if it holds one.
pub(super) async fn backup_in(
    c: &impl GenericClient,
    seat_id: i64,
    draft_key: &str,
) -> Result<Option<DraftBackup>, StoreError> {
    c.query_opt_prepared(
        &format!("{BACKUP_SELECT} WHERE seat_id = $1 AND draft_key = $2"),
        &[&seat_id, &draft_key],
    )
    .await?
    .map(|r| backup_from_row(&r))
    .transpose()
}

impl UploadsTx for PgTx<'_> {
    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError> {
        let sha256 = sha256.to_owned();
        self.handle
            .run(move |c| async move { upload_in(&*c, seat_id, &sha256).await })
    }

    fn usage(&self, seat_id: i64) -> Result<UploadUsage, StoreError> {
        self.handle.run(move |c| async move {
            let r = c
                .query_one_prepared(
                    &format!(
                        "SELECT coalesce(sum(CASE WHEN u.mime IS NULL THEN u.size END), 0)::bigint,
                                coalesce(sum(CASE WHEN u.mime IS NOT NULL AND NOT {USED}
                                                  THEN u.size END), 0)::bigint
                         FROM uploads u WHERE u.seat_id = $1"
                    ),
                    &[&seat_id],
                )
                .await?;
            Ok(UploadUsage {
                pending_bytes: u64_of("upload usage", r.try_get(0)?)?,
                unused_bytes: u64_of("upload usage", r.try_get(1)?)?,
            })
        })
    }

    fn insert_upload(
        &mut self,
        seat_id: i64,
        upload: &Upload,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let size = i64_of("upload size", upload.size)?;
        let (sha256, name) = (upload.sha256.clone(), upload.name.clone());
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "INSERT INTO uploads (seat_id, sha256, size, name, started_at, touched_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
                &[&seat_id, &sha256, &size, &name, &now],
            )
            .await?;
            Ok(())
        })
    }

    fn touch_upload(
        &mut self,
        seat_id: i64,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sha256 = sha256.to_owned();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "UPDATE uploads SET touched_at = $3 WHERE seat_id = $1 AND sha256 = $2",
                &[&seat_id, &sha256, &now],
            )
            .await?;
            Ok(())
        })
    }

    fn idle_unused_uploads(
        &self,
        idle_before: DateTime<Utc>,
    ) -> Result<Vec<IdleUpload>, StoreError> {
        self.handle.run(move |c| async move {
            let rows = c
                .query_prepared(
                    &format!(
                        "SELECT u.seat_id, u.sha256, u.mime IS NOT NULL FROM uploads u
                         WHERE {LAST_ACTIVITY} < $1 AND (u.mime IS NULL OR NOT {USED})
                         ORDER BY u.seat_id, u.sha256"
                    ),
                    &[&idle_before],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(IdleUpload {
                        seat_id: r.try_get(0)?,
                        sha256: r.try_get(1)?,
                        complete: r.try_get(2)?,
                    })
                })
                .collect()
        })
    }

    fn forget_upload(&mut self, seat_id: i64, sha256: &str) -> Result<(), StoreError> {
        let sha256 = sha256.to_owned();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "DELETE FROM uploads WHERE seat_id = $1 AND sha256 = $2",
                &[&seat_id, &sha256],
            )
            .await?;
            Ok(())
        })
    }

    fn blob_named(&self, sha256: &str) -> Result<bool, StoreError> {
        let sha256 = sha256.to_owned();
        self.handle.run(move |c| async move {
            Ok(c.query_one_prepared(
                "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = $1)
                     OR EXISTS (SELECT 1 FROM item_files WHERE sha256 = $1)",
                &[&sha256],
            )
            .await?
            .try_get(0)?)
        })
    }
}

impl DraftsTx for PgTx<'_> {
    fn draft_backup(
        &self,
        seat_id: i64,
        draft_key: &str,
    ) -> Result<Option<DraftBackup>, StoreError> {
        let draft_key = draft_key.to_owned();
        self.handle
            .run(move |c| async move { backup_in(&*c, seat_id, &draft_key).await })
    }

    /// The backup's `seq` is one more than the largest of its seat's backups: desks read a
    /// seat's backups by cursor (`seq > since`), so within a seat numbers must grow in the order
    /// backups commit. The seat's row is locked first ([`lock_seat`]): a second backup of the
    /// same seat, from another process, waits until this transaction ends and then numbers
    /// after it. (SQLite numbers over every seat's backups; only the order within a seat is
    /// ever read.)
    fn write_draft_backup(
        &mut self,
        seat_id: i64,
        draft_key: &str,
        rev: i64,
        backup: &PutDraftRequest,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let draft_key = draft_key.to_owned();
        let version = i32_of("draft version", backup.version)?;
        let column_id = backup.column_id;
        let (title, body_html) = (backup.title.clone(), backup.body_html.clone());
        let attachments = to_json(&backup.attachments)?;
        let origin = backup.origin.clone();
        self.handle.run(move |c| async move {
            lock_seat(&*c, seat_id).await?;
            c.execute_prepared(
                "INSERT INTO draft_backups (seat_id, draft_key, rev, version, column_id, title,
                                            body_html, attachments, updated_at, origin, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                         (SELECT coalesce(max(seq), 0) + 1 FROM draft_backups
                          WHERE seat_id = $1))
                 ON CONFLICT (seat_id, draft_key) DO UPDATE SET rev = excluded.rev,
                    seq = excluded.seq, version = excluded.version,
                    column_id = excluded.column_id, title = excluded.title,
                    body_html = excluded.body_html, attachments = excluded.attachments,
                    updated_at = excluded.updated_at, origin = excluded.origin",
                &[
                    &seat_id,
                    &draft_key,
                    &rev,
                    &version,
                    &column_id,
                    &title,
                    &body_html,
                    &attachments,
                    &now,
                    &origin,
                ],
            )
            .await?;
            Ok(())
        })
    }
}
