//! A seat's uploads: each begins only within the seat's quota, and the sweep forgets those idle
//! and unused. The rules are here; the store ([`UploadsTx`]) only persists. The bytes themselves
//! are the file store's (`crate::files`): the caller writes and deletes them.

use chrono::{DateTime, Utc};

use crate::store::UploadsTx;
use crate::store::{
    BeginUpload, QuotaProblem, Store, StoreError, SweptUpload, Upload, UploadQuota,
};

/// Runs `f` in one uploads transaction and hands back what it made.
fn in_uploads<T>(
    store: &dyn Store,
    mut f: impl FnMut(&mut dyn UploadsTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    store.uploads(&mut |tx| {
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction made nothing".into()))
}

/// Records the start of an upload if the seat's quota allows it. An upload already recorded
/// (resumed, or announced again) is only touched, whatever the quota; announced again with
/// another size it is refused (`Conflict`). A new one must fit under both limits: the bytes
/// still to arrive count as unfinished, and once complete they count as unused until an item
/// or a draft backup names the file.
pub fn begin(
    store: &dyn Store,
    seat_id: i64,
    upload: &Upload,
    quota: &UploadQuota,
    now: DateTime<Utc>,
) -> Result<BeginUpload, StoreError> {
    in_uploads(store, |tx| {
        if let Some(held) = tx.upload(seat_id, &upload.sha256)? {
            if held.size != upload.size {
                return Err(StoreError::Conflict(format!(
                    "this file was announced with {} bytes",
                    held.size
                )));
            }
            tx.touch_upload(seat_id, &upload.sha256, now)?;
            return Ok(BeginUpload::Held(held));
        }
        let used = tx.usage(seat_id)?;
        if used.pending_bytes + upload.size > quota.pending_bytes {
            return Ok(BeginUpload::OverQuota(QuotaProblem::Pending {
                held: used.pending_bytes,
                asked: upload.size,
                limit: quota.pending_bytes,
            }));
        }
        if used.unused_bytes + upload.size > quota.unused_bytes {
            return Ok(BeginUpload::OverQuota(QuotaProblem::Unused {
                held: used.unused_bytes,
                asked: upload.size,
                limit: quota.unused_bytes,
            }));
        }
        tx.insert_upload(seat_id, upload, now)?;
        Ok(BeginUpload::Held(Upload {
            mime: None,
            ..upload.clone()
        }))
    })
}

/// Notes activity on an upload (a piece arrived), so the sweep leaves it.
pub fn touch(
    store: &dyn Store,
    seat_id: i64,
    sha256: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    in_uploads(store, |tx| tx.touch_upload(seat_id, sha256, now))
}

/// Forgets, in one transaction, every upload last active before `idle_before` that no item and
/// no draft backup of its seat uses, and says which blobs nothing names any more: the caller
/// deletes their bytes after this commits, so a file whose row is gone is never served again.
pub fn sweep(
    store: &dyn Store,
    idle_before: DateTime<Utc>,
) -> Result<Vec<SweptUpload>, StoreError> {
    in_uploads(store, |tx| {
        let idle = tx.idle_unused_uploads(idle_before)?;
        for upload in &idle {
            tx.forget_upload(upload.seat_id, &upload.sha256)?;
        }
        // Only once every row is gone: two seats' idle uploads of one file free its blob.
        idle.into_iter()
            .map(|upload| {
                Ok(SweptUpload {
                    blob_unreferenced: !tx.blob_named(&upload.sha256)?,
                    seat_id: upload.seat_id,
                    sha256: upload.sha256,
                    complete: upload.complete,
                })
            })
            .collect()
    })
}
