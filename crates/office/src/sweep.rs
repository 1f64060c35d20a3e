//! The sweep of idle uploads: at start and every [`Limits::sweep_every`] while serving, every
//! upload idle for [`Limits::upload_idle`] (see [`Limits::idle_before`]) that no item and no
//! draft backup of its seat uses is forgotten, and its bytes deleted: the partial file of an
//! incomplete one, and the blob of a complete one once no upload of any seat and no item names
//! it. A desk whose send then names a swept file is told `attachment_missing` and uploads again.
//!
//! [`Limits::sweep_every`]: crate::limits::Limits::sweep_every
//! [`Limits::upload_idle`]: crate::limits::Limits::upload_idle
//! [`Limits::idle_before`]: crate::limits::Limits::idle_before

use crate::api::{ApiFailure, AppState};

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Uploads forgotten (complete or not).
    pub uploads: usize,
    /// Blobs deleted.
    pub blobs: usize,
}

/// Sweeps once, with the office's clock.
pub async fn sweep_once(state: &AppState) -> Result<SweepReport, ApiFailure> {
    let idle_before = state.limits.idle_before(state.clock.now());
    let swept = state
        .blocking(move |s| Ok(crate::service::uploads::sweep(s, idle_before)?))
        .await?;
    let mut report = SweepReport {
        uploads: swept.len(),
        blobs: 0,
    };
    // The rows are gone first: a file whose row is gone is never served or linked again.
    for upload in swept {
        if !upload.complete
            && let Err(e) = state
                .files
                .remove_partial(upload.seat_id, &upload.sha256)
                .await
        {
            tracing::warn!(sha256 = %upload.sha256, error = %e, "could not delete a partial upload");
        }
        if upload.blob_unreferenced {
            match state.files.remove_blob(&upload.sha256).await {
                Ok(removed) => report.blobs += usize::from(removed),
                Err(e) => {
                    tracing::warn!(sha256 = %upload.sha256, error = %e, "could not delete a blob");
                }
            }
        }
    }
    // The write limiter forgets the seats that are back to a full allowance.
    let writes = state.writes.clone();
    if let Err(e) = tokio::task::spawn_blocking(move || writes.forget_idle()).await {
        tracing::warn!(error = %e, "forgetting idle write limits failed");
    }
    Ok(report)
}

/// Sweeps now and then every `sweep_every`, for as long as the office serves.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(state.limits.sweep_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match sweep_once(&state).await {
                Ok(r) if r.uploads > 0 => {
                    tracing::info!(uploads = r.uploads, blobs = r.blobs, "idle uploads removed");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.message, "sweeping idle uploads failed"),
            }
        }
    })
}
