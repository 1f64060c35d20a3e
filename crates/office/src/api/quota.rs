//! The limits as HTTP answers: 429 `rate_limited` with `Retry-After` when a seat writes faster
//! than [`crate::limits::WriteRates`] allow (a layer over the API's routes), 413
//! `quota_exceeded` when a new upload would go over the seat's upload quota, and 507
//! `storage_full` when the data folder's filesystem has less free space than the office keeps.

use std::time::Duration;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use liaison_domain::wire::ErrorCode;

use super::{ApiFailure, AppState, Caller};
use crate::limits::{WriteKind, write_kind};
use crate::store::QuotaProblem;

/// Counts each limited write against its seat before the handler runs; refuses one over the
/// limit with 429 and `Retry-After`. Requests without a valid session pass on to be refused by
/// the handler as usual.
pub async fn limit_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let kind = request
        .extensions()
        .get::<MatchedPath>()
        .and_then(|route| write_kind(request.method(), route.as_str()));
    let Some(kind) = kind else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    if let Ok(caller) = Caller::from_request_parts(&mut parts, &state).await {
        if let Err(wait) = state.check_write(caller.0.id, kind).await {
            tracing::info!(
                seat = caller.0.id,
                kind = kind.as_str(),
                wait_ms = wait.as_millis() as u64,
                "write limit reached"
            );
            return rate_limited(kind, wait);
        }
        // The handler's `Caller` is this one: the session is looked up once per write.
        parts.extensions.insert(caller);
    }
    next.run(Request::from_parts(parts, body)).await
}

fn rate_limited(kind: WriteKind, wait: Duration) -> Response {
    let secs = crate::web::retry_after_secs(wait);
    let mut response = ApiFailure::new(
        ErrorCode::RateLimited,
        format!(
            "too many {} from this seat in a short time; try again in {secs} s",
            kind.as_str()
        ),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// 413 `quota_exceeded`, saying which limit and the figures.
pub fn over_quota(problem: QuotaProblem) -> ApiFailure {
    ApiFailure::new(ErrorCode::QuotaExceeded, problem.to_string())
}

/// Refuses with 507 `storage_full` when, after `incoming` more bytes, less than the office's
/// minimum would be free on the data folder's filesystem. A probe that fails lets the upload
/// through (and says so in the log): a full disk then fails the write itself, harming nothing.
pub async fn ensure_room(state: &AppState, incoming: u64) -> Result<(), ApiFailure> {
    let (probe, root) = (state.free_space.clone(), state.files.root().to_path_buf());
    let free = tokio::task::spawn_blocking(move || probe.free_bytes(&root))
        .await
        .map_err(|e| ApiFailure::internal(format!("worker failed: {e}")))?;
    let free = match free {
        Ok(free) => free,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the free space of the data folder");
            return Ok(());
        }
    };
    let min = state.limits.min_free_bytes;
    if free.saturating_sub(incoming) < min {
        tracing::warn!(
            free,
            incoming,
            min,
            "refusing an upload: the disk is nearly full"
        );
        return Err(ApiFailure::new(
            ErrorCode::StorageFull,
            format!(
                "the office's storage is nearly full ({free} bytes free, {min} kept free); \
                 uploads are refused until room is made, everything stored stays available"
            ),
        ));
    }
    Ok(())
}
