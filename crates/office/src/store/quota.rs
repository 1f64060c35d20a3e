//! Upload quotas and the sweep of idle uploads in SQLite: the SQL behind the
//! [`Store`](super::Store) methods of the same names. Each function runs inside the caller's
//! transaction.
//!
//! An upload is *used* when an item its seat sent carries the file, or a draft backup of its
//! seat names it. Its *last activity* is the latest of its start, its completion and
//! `touched_at` (announced again, a piece arrived).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite::{UPLOAD_SELECT, ts, upload_from_row};
use super::{BeginUpload, QuotaProblem, StoreError, SweptUpload, Upload, UploadQuota, UploadUsage};

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

pub fn usage(conn: &Connection, seat_id: i64) -> Result<UploadUsage, StoreError> {
    Ok(conn.query_row(
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

/// Records the start of an upload if the seat's quota allows it; an upload already recorded
/// (resumed, or announced again) is only touched.
pub fn begin_within(
    conn: &Connection,
    seat_id: i64,
    upload: &Upload,
    quota: &UploadQuota,
    now: DateTime<Utc>,
) -> Result<BeginUpload, StoreError> {
    let held = conn
        .query_row(
            &format!("{UPLOAD_SELECT} WHERE seat_id = ?1 AND sha256 = ?2"),
            params![seat_id, upload.sha256],
            upload_from_row,
        )
        .optional()?;
    if let Some(held) = held {
        if held.size != upload.size {
            return Err(StoreError::Conflict(format!(
                "this file was announced with {} bytes",
                held.size
            )));
        }
        touch(conn, seat_id, &upload.sha256, now)?;
        return Ok(BeginUpload::Held(held));
    }
    let used = usage(conn, seat_id)?;
    if used.pending_bytes + upload.size > quota.pending_bytes {
        return Ok(BeginUpload::OverQuota(QuotaProblem::Pending {
            held: used.pending_bytes,
            asked: upload.size,
            limit: quota.pending_bytes,
        }));
    }
    // Once complete, the new file is unused until an item or a backup names it.
    if used.unused_bytes + upload.size > quota.unused_bytes {
        return Ok(BeginUpload::OverQuota(QuotaProblem::Unused {
            held: used.unused_bytes,
            asked: upload.size,
            limit: quota.unused_bytes,
        }));
    }
    conn.execute(
        "INSERT INTO uploads (seat_id, sha256, size, name, started_at, touched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![seat_id, upload.sha256, upload.size, upload.name, ts(now)],
    )?;
    Ok(BeginUpload::Held(Upload {
        mime: None,
        ..upload.clone()
    }))
}

pub fn touch(
    conn: &Connection,
    seat_id: i64,
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE uploads SET touched_at = ?3 WHERE seat_id = ?1 AND sha256 = ?2",
        params![seat_id, sha256, ts(now)],
    )?;
    Ok(())
}

/// Forgets every upload idle since before `idle_before` that its seat does not use, and says
/// which blobs nothing names any more.
pub fn sweep(
    conn: &Connection,
    idle_before: DateTime<Utc>,
) -> Result<Vec<SweptUpload>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT u.seat_id, u.sha256, u.mime IS NOT NULL FROM uploads u
         WHERE {LAST_ACTIVITY} < ?1 AND (u.mime IS NULL OR NOT {USED})"
    ))?;
    let idle: Vec<(i64, String, bool)> = stmt
        .query_map([ts(idle_before)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut swept = Vec::with_capacity(idle.len());
    for (seat_id, sha256, complete) in idle {
        conn.execute(
            "DELETE FROM uploads WHERE seat_id = ?1 AND sha256 = ?2",
            params![seat_id, sha256],
        )?;
        swept.push(SweptUpload {
            seat_id,
            sha256,
            complete,
            blob_unreferenced: false,
        });
    }
    for s in &mut swept {
        s.blob_unreferenced = !conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM uploads WHERE sha256 = ?1)
                     OR EXISTS (SELECT 1 FROM item_files WHERE sha256 = ?1)",
            [&s.sha256],
            |r| r.get::<_, bool>(0),
        )?;
    }
    Ok(swept)
}
