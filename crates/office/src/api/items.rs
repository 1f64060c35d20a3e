//! Columns, sending items, the editors' inbox and review, and the change cursor.

use std::time::Duration as StdDuration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use liaison_domain::wire::{
    AcceptRequest, ApiError, ChangesResponse, ErrorCode, IDEMPOTENCY_KEY_HEADER, InboxItem,
    ItemDetail, RejectRequest, ReturnRequest, SubmitItemRequest, SubmitItemResponse,
};
use liaison_domain::{ColumnView, ItemState, Role, content};
use serde::Deserialize;

use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, ApiResult, AppState, Caller, bad_request};
use crate::store::{InboxFilter, NewItem, Review, SubmitOutcome, payload_digest};

/// The caller's department's columns with their duty rules.
#[utoipa::path(get, path = "/api/v1/columns",
    responses((status = 200, body = Vec<ColumnView>), (status = 401, body = ApiError)),
    security(("bearer" = [])))]
pub async fn columns(State(state): State<AppState>, caller: Caller) -> ApiResult<Vec<ColumnView>> {
    let dept = caller.0.department.id;
    Ok(Json(
        state
            .blocking(move |s| Ok(s.columns_of_department(dept)?))
            .await?,
    ))
}

/// Send one version of an item. Exactly once per `Idempotency-Key`: a replay with the same body
/// answers as the first time; the same key with another body is refused with 422.
#[utoipa::path(post, path = "/api/v1/items", request_body = SubmitItemRequest,
    params(("Idempotency-Key" = String, Header, description = "client-generated, one per send")),
    responses((status = 201, body = SubmitItemResponse), (status = 400, body = ApiError),
              (status = 403, body = ApiError), (status = 422, body = ApiError)),
    security(("bearer" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SubmitItemRequest>,
) -> Result<(StatusCode, Json<SubmitItemResponse>), ApiFailure> {
    let key = headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .ok_or_else(|| {
            ApiFailure::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::IdempotencyKeyMissing,
                "an Idempotency-Key header (1-128 characters) is required",
            )
        })?
        .to_owned();
    caller.require_role(Role::Officer)?;
    validate_submission(&req)?;
    // The key is bound to what the desk sent; what is stored is the cleaned body.
    let payload_sha256 = payload_digest(&req);
    let mut req = req;
    req.body_html = crate::sanitize::body_html(&req.body_html);
    let now = state.clock.now();
    let seat = caller.0;
    let outcome = state
        .blocking(move |s| {
            let column = s
                .column(req.column_id)?
                .ok_or_else(|| ApiFailure::not_found("column"))?;
            if column.department_id != seat.department.id {
                return Err(ApiFailure::forbidden(
                    "the column belongs to another department",
                ));
            }
            if !column.feed.accepts_items() {
                return Err(ApiFailure::validation(
                    "this column is not fed by submitted items",
                ));
            }
            Ok(s.submit_item(NewItem {
                seat: &seat,
                idempotency_key: &key,
                payload_sha256: &payload_sha256,
                request: &req,
                now,
            })?)
        })
        .await?;
    match outcome {
        SubmitOutcome::Created(r) => {
            tracing::info!(receipt = %r.receipt, "item delivered");
            Ok((StatusCode::CREATED, Json(r)))
        }
        SubmitOutcome::Replayed(r) => Ok((StatusCode::CREATED, Json(r))),
        SubmitOutcome::KeyReused => Err(ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used for a different item",
        )),
        SubmitOutcome::FileMissing(sha256) => Err(ApiFailure::new(
            StatusCode::CONFLICT,
            ErrorCode::AttachmentMissing,
            format!(
                "the file {sha256} has not been uploaded completely; upload it, then send again"
            ),
        )),
    }
}

fn validate_submission(req: &SubmitItemRequest) -> Result<(), ApiFailure> {
    content::check_submission(&req.draft_key, req.version, &req.title, &req.body_html)
        .map_err(|p| ApiFailure::validation(p.to_string()))?;
    super::files::check_item_files(&req.attachments)?;
    liaison_domain::attachment::check_inline_files(&req.body_html, &req.attachments)
        .map_err(|p| ApiFailure::validation(p.to_string()))
}

/// The caller's department's items with their review state, newest first.
#[utoipa::path(get, path = "/api/v1/items",
    responses((status = 200, body = Vec<ItemDetail>), (status = 401, body = ApiError)),
    security(("bearer" = [])))]
pub async fn my_items(State(state): State<AppState>, caller: Caller) -> ApiResult<Vec<ItemDetail>> {
    if caller.0.role.is_office() {
        return Err(ApiFailure::forbidden(
            "office seats read items through the inbox",
        ));
    }
    let dept = caller.0.department.id;
    Ok(Json(
        state
            .blocking(move |s| Ok(s.items_of_department(dept)?))
            .await?,
    ))
}

/// One item with its content; its own department or the office only.
#[utoipa::path(get, path = "/api/v1/items/{id}",
    responses((status = 200, body = ItemDetail), (status = 403, body = ApiError), (status = 404, body = ApiError)),
    security(("bearer" = [])))]
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ItemDetail> {
    let item = state
        .blocking(move |s| Ok(s.item(id)?))
        .await?
        .ok_or_else(|| ApiFailure::not_found("item"))?;
    caller.require_department(item.department_id)?;
    Ok(Json(item))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct InboxQuery {
    /// Only items in this state (default: delivered, i.e. waiting for review).
    pub state: Option<String>,
    pub department_id: Option<i64>,
    /// 1-500, default 100.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// The editors' inbox: delivered items, longest waiting first.
#[utoipa::path(get, path = "/api/v1/inbox", params(InboxQuery),
    responses((status = 200, body = Vec<InboxItem>), (status = 403, body = ApiError)),
    security(("bearer" = [])))]
pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Vec<InboxItem>> {
    caller.require_office()?;
    let item_state = match q.state.as_deref() {
        None => Some(ItemState::Delivered),
        Some("all") => None,
        Some(s) => {
            Some(ItemState::parse(s).ok_or_else(|| bad_request(format!("unknown state {s:?}")))?)
        }
    };
    let filter = InboxFilter {
        state: item_state,
        department_id: q.department_id,
        limit: q.limit.unwrap_or(100).clamp(1, 500),
        offset: q.offset.unwrap_or(0),
    };
    Ok(Json(state.blocking(move |s| Ok(s.inbox(&filter)?)).await?))
}

async fn review(state: AppState, caller: Caller, id: i64, review: Review) -> ApiResult<ItemDetail> {
    caller.require_office()?;
    let now = state.clock.now();
    let reviewer = caller.0.id;
    let item = state
        .blocking(move |s| Ok(s.review_item(id, &review, reviewer, now)?))
        .await?;
    state.changes.send_modify(|n| *n += 1);
    tracing::info!(receipt = %item.receipt, state = item.state.as_str(), "item reviewed");
    Ok(Json(item))
}

/// Accept a delivered item and record where it was published.
#[utoipa::path(post, path = "/api/v1/items/{id}/accept", request_body = AcceptRequest,
    responses((status = 200, body = ItemDetail), (status = 403, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AcceptRequest>,
) -> ApiResult<ItemDetail> {
    let url = req.published_url.trim();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiFailure::validation(
            "published_url must be an http(s) address",
        ));
    }
    review(
        state,
        caller,
        id,
        Review::Accept {
            published_url: url.to_owned(),
        },
    )
    .await
}

/// Return a delivered item to its department for revision, with a comment.
#[utoipa::path(post, path = "/api/v1/items/{id}/return", request_body = ReturnRequest,
    responses((status = 200, body = ItemDetail), (status = 403, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn return_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReturnRequest>,
) -> ApiResult<ItemDetail> {
    let comment = req.comment.trim();
    if comment.is_empty() {
        return Err(ApiFailure::validation(
            "a return needs a comment saying what to change",
        ));
    }
    review(
        state,
        caller,
        id,
        Review::Return {
            comment: comment.to_owned(),
        },
    )
    .await
}

/// Reject a delivered item for good, with the reason; it cannot be revised or revived.
#[utoipa::path(post, path = "/api/v1/items/{id}/reject", request_body = RejectRequest,
    responses((status = 200, body = ItemDetail), (status = 403, body = ApiError), (status = 409, body = ApiError)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RejectRequest>,
) -> ApiResult<ItemDetail> {
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(ApiFailure::validation("a rejection needs a reason"));
    }
    review(
        state,
        caller,
        id,
        Review::Reject {
            reason: reason.to_owned(),
        },
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChangesQuery {
    /// The `next` of the previous answer; 0 the first time.
    pub since: Option<i64>,
    /// Seconds to wait for a change when there is none yet (long poll), at most 30.
    pub wait: Option<u64>,
}

const CHANGES_PAGE: u32 = 200;

/// What changed for the caller since the cursor, and the next cursor.
#[utoipa::path(get, path = "/api/v1/changes", params(ChangesQuery),
    responses((status = 200, body = ChangesResponse), (status = 401, body = ApiError)),
    security(("bearer" = [])))]
pub async fn changes(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ChangesQuery>,
) -> ApiResult<ChangesResponse> {
    let since = q.since.unwrap_or(0).max(0);
    let wait = StdDuration::from_secs(q.wait.unwrap_or(0).min(30));
    let department = (!caller.0.role.is_office()).then_some(caller.0.department.id);
    // Subscribe before reading, so a change landing in between still wakes us.
    let mut woken = state.changes.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let changes = state
            .blocking(move |s| Ok(s.changes_since(department, since, CHANGES_PAGE)?))
            .await?;
        if !changes.is_empty() || tokio::time::Instant::now() >= deadline {
            let next = changes.last().map_or(since, |c| c.seq);
            return Ok(Json(ChangesResponse { changes, next }));
        }
        if tokio::time::timeout_at(deadline, woken.changed())
            .await
            .is_err()
        {
            continue; // the deadline passed: answer with what there is (nothing)
        }
    }
}
