//! Columns, sending items, the editors' inbox and review, and the change cursor.

use std::time::Duration as StdDuration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use liaison_domain::calendar::{beijing_date, beijing_midnight};
use liaison_domain::send_gate::{self, GateRefusal};
use liaison_domain::wire::{
    AcceptRequest, ApiError, ChangesResponse, CommentRequest, ErrorCode, IDEMPOTENCY_KEY_HEADER,
    InboxItem, ItemDetail, RejectRequest, ReturnRequest, StateCount, SubmitItemRequest,
    SubmitItemResponse, TimelineEntry,
};
use liaison_domain::{ColumnView, ItemState, Role};
use serde::Deserialize;

use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, ApiResult, AppState, Caller, bad_request};
use crate::service;
use crate::store::{
    InboxFilter, NewComment, NewItem, Review, StoreError, SubmitOutcome, payload_digest, view_for,
};

/// The caller's department's columns with their duty rules.
#[utoipa::path(
    get, path = "/api/v1/columns",
    responses((status = 200, body = Vec<ColumnView>, description = "the department's columns")),
    security(("bearer" = []))
)]
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
#[utoipa::path(
    post, path = "/api/v1/items", request_body = SubmitItemRequest,
    params(("Idempotency-Key" = String, Header, min_length = 1, max_length = 128,
            description = "client-generated, one per send")),
    responses((status = 201, body = SubmitItemResponse, description = "stored (or the first answer to this key again)"),
              (status = 400, body = ApiError, description = "`idempotency_key_missing`, or a malformed body"),
              (status = 403, body = ApiError, description = "not an officer, or the column is another department's"),
              (status = 404, body = ApiError, description = "no such column"),
              (status = 409, body = ApiError, description = "`attachment_missing`: a file is not completely uploaded"),
              (status = 413, body = ApiError, description = "the files are larger than an item may carry"),
              (status = 415, body = ApiError, description = "`unsupported_file`: a file of a type an item may not carry"),
              (status = 422, body = ApiError, description = "`validation`, `preflight_failed`, `signoff_required`, `idempotency_key_reused`")),
    security(("bearer" = []))
)]
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
                ErrorCode::IdempotencyKeyMissing,
                "an Idempotency-Key header (1-128 characters) is required",
            )
        })?
        .to_owned();
    caller.require_role(Role::Officer)?;
    // The key is bound to what the desk sent; what is stored is the cleaned body.
    let payload_sha256 = payload_digest(&req);
    // A replay gets its first answer before any check whose rules may have changed since.
    let earlier = {
        let (seat_id, key, digest) = (caller.0.id, key.clone(), payload_sha256.clone());
        state
            .blocking(move |s| Ok(service::items::earlier_answer(s, seat_id, &key, &digest)?))
            .await?
    };
    if let Some(answer) = earlier {
        return submitted(&state, answer);
    }
    let lists = state.blocking(|s| Ok(s.word_lists()?)).await?;
    let now = state.clock.now();
    send_gate::check(&req, caller.0.department.signoff, beijing_date(now), &lists)
        .map_err(refused)?;
    let mut req = req;
    req.body_html = liaison_domain::sanitize::body_html(&req.body_html);
    let (seat, caller_address) = (caller.0, caller.1);
    let outcome = state
        .blocking(move |s| {
            crate::service::items::submit(
                s,
                NewItem {
                    seat: &seat,
                    address: &caller_address,
                    idempotency_key: &key,
                    payload_sha256: &payload_sha256,
                    request: &req,
                    now,
                },
            )
            .map_err(|e| match e {
                StoreError::NotFound => ApiFailure::not_found("column"),
                e => e.into(),
            })
        })
        .await?;
    submitted(&state, outcome)
}

/// A send's outcome as the API answers it.
fn submitted(
    state: &AppState,
    outcome: SubmitOutcome,
) -> Result<(StatusCode, Json<SubmitItemResponse>), ApiFailure> {
    match outcome {
        SubmitOutcome::Created(r) => {
            if r.state == ItemState::AwaitingSignoff {
                state.changes.send_modify(|n| *n += 1);
            }
            tracing::info!(receipt = %r.receipt, state = r.state.as_str(), "item delivered");
            Ok((StatusCode::CREATED, Json(r)))
        }
        SubmitOutcome::Replayed(r) => Ok((StatusCode::CREATED, Json(r))),
        SubmitOutcome::KeyReused => Err(ApiFailure::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used for a different item",
        )),
        SubmitOutcome::SentElsewhere(id) => Err(ApiFailure::new(
            ErrorCode::AlreadySent,
            "this version of the item was already sent under another key, from another \
             workstation of the seat; item_id names the item the office holds",
        )
        .about_item(id)),
        SubmitOutcome::FileMissing(sha256) => Err(ApiFailure::new(
            ErrorCode::AttachmentMissing,
            format!(
                "the file {sha256} has not been uploaded completely; upload it, then send again"
            ),
        )),
    }
}

/// A send the gate refuses, as the API answers it.
fn refused(r: GateRefusal) -> ApiFailure {
    match r {
        GateRefusal::Content(p) => ApiFailure::validation(p.to_string()),
        GateRefusal::Files(p) => super::files::problem(p),
        GateRefusal::Preflight(problems) => {
            let listed: Vec<String> = problems
                .iter()
                .filter(|p| p.severity == liaison_domain::preflight::Severity::Blocking)
                .map(|p| {
                    let rule = serde_json::to_value(p.rule)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    match &p.found {
                        Some(found) => format!("{rule}: {found}"),
                        None => rule,
                    }
                })
                .collect();
            ApiFailure::new(
                ErrorCode::PreflightFailed,
                format!(
                    "the item fails the pre-flight checks: {}",
                    listed.join("; ")
                ),
            )
        }
        GateRefusal::Signoff(p) => ApiFailure::new(ErrorCode::SignoffRequired, p.to_string()),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyItemsQuery {
    /// Only the items sent from the caller's own seat (by any of its holders).
    #[serde(default)]
    pub mine: bool,
}

/// The caller's department's items with their review state and timeline, newest first.
#[utoipa::path(
    get, path = "/api/v1/items",
    params(MyItemsQuery),
    responses((status = 200, body = Vec<ItemDetail>, description = "the department's items, newest first"),
              (status = 403, body = ApiError, description = "office seats read the inbox")),
    security(("bearer" = []))
)]
pub async fn my_items(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<MyItemsQuery>,
) -> ApiResult<Vec<ItemDetail>> {
    if caller.0.role.is_office() {
        return Err(ApiFailure::forbidden(
            "office seats read items through the inbox",
        ));
    }
    let dept = caller.0.department.id;
    let seat = q.mine.then_some(caller.0.id);
    Ok(Json(
        state
            .blocking(move |s| Ok(s.items_of_department(dept, seat)?))
            .await?,
    ))
}

/// One item with its content and timeline; its own department, or the office once the
/// department signed it off.
#[utoipa::path(
    get, path = "/api/v1/items/{id}",
    params(("id" = i64, Path, description = "the item")),
    responses((status = 200, body = ItemDetail, description = "the item"),
              (status = 404, body = ApiError, description = "no such item, or not the caller's to see")),
    security(("bearer" = []))
)]
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ItemDetail> {
    let item = state
        .blocking(move |s| Ok(s.item(id)?))
        .await?
        .and_then(|item| view_for(item, &caller.0))
        .ok_or_else(|| ApiFailure::not_found("item"))?;
    Ok(Json(item))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only items in this state (default: delivered, i.e. waiting for review; `all` for any).
    pub state: Option<String>,
    pub department_id: Option<i64>,
    pub column_id: Option<i64>,
    /// Delivered on or after this Beijing date (YYYY-MM-DD).
    pub from: Option<NaiveDate>,
    /// Delivered on or before this Beijing date.
    pub to: Option<NaiveDate>,
    /// 1-500, default 100.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

impl InboxQuery {
    pub fn filter(&self) -> Result<InboxFilter, ApiFailure> {
        let state = match self.state.as_deref() {
            None | Some("") => Some(ItemState::Delivered),
            Some("all") => None,
            Some(s) => Some(ItemState::parse(s).ok_or_else(|| bad_request("unknown state"))?),
        };
        Ok(InboxFilter {
            state,
            department_id: self.department_id,
            column_id: self.column_id,
            from: self.from.map(beijing_midnight),
            until: self.to.and_then(|d| d.succ_opt()).map(beijing_midnight),
            limit: self.limit.unwrap_or(100).clamp(1, 500),
            offset: self.offset.unwrap_or(0),
        })
    }
}

/// The editors' inbox: items that left their department, longest waiting first. Items awaiting
/// their department's sign-off are never listed.
#[utoipa::path(
    get, path = "/api/v1/inbox",
    params(InboxQuery),
    responses((status = 200, body = Vec<InboxItem>, description = "the matching items, longest waiting first"),
              (status = 403, body = ApiError, description = "the editorial office only")),
    security(("bearer" = []))
)]
pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Vec<InboxItem>> {
    caller.require_office()?;
    let filter = q.filter()?;
    Ok(Json(state.blocking(move |s| Ok(s.inbox(&filter)?)).await?))
}

/// How many items of each state match the inbox's filters (the state filter aside).
#[utoipa::path(
    get, path = "/api/v1/inbox/counts",
    params(InboxQuery),
    responses((status = 200, body = Vec<StateCount>, description = "how many items of each state"),
              (status = 403, body = ApiError, description = "the editorial office only")),
    security(("bearer" = []))
)]
pub async fn inbox_counts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> ApiResult<Vec<StateCount>> {
    caller.require_office()?;
    let filter = q.filter()?;
    Ok(Json(
        state
            .blocking(move |s| Ok(s.inbox_counts(&filter)?))
            .await?,
    ))
}

/// The caller's department's items waiting for sign-off; its responsible person only.
#[utoipa::path(
    get, path = "/api/v1/signoffs",
    responses((status = 200, body = Vec<InboxItem>, description = "items waiting for sign-off"),
              (status = 403, body = ApiError, description = "the department's responsible person only")),
    security(("bearer" = []))
)]
pub async fn signoff_queue(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Vec<InboxItem>> {
    caller.require_role(Role::Responsible)?;
    let dept = caller.0.department.id;
    Ok(Json(
        state.blocking(move |s| Ok(s.signoff_queue(dept)?)).await?,
    ))
}

/// Applies a decision; the store checks, with the item's state, that the caller may take it.
pub async fn decide(
    state: &AppState,
    caller: Caller,
    id: i64,
    review: Review,
) -> Result<ItemDetail, ApiFailure> {
    let now = state.clock.now();
    let seat = caller.0.clone();
    let item = state
        .blocking(move |s| {
            Ok(crate::service::items::review(
                s,
                id,
                &review,
                &caller.actor(),
                now,
            )?)
        })
        .await?;
    state.changes.send_modify(|n| *n += 1);
    tracing::info!(receipt = %item.receipt, state = item.state.as_str(), "item decided");
    // Whoever could decide it may see it; the office still reads only its part of the timeline.
    view_for(item, &seat).ok_or_else(|| ApiFailure::not_found("item"))
}

/// The department's responsible person signs an item off: it goes on to the editors.
#[utoipa::path(
    post, path = "/api/v1/items/{id}/approve", operation_id = "approve_item",
    params(("id" = i64, Path, description = "the item")),
    responses((status = 200, body = ItemDetail, description = "signed off"),
              (status = 403, body = ApiError, description = "not the caller's to sign off"),
              (status = 404, body = ApiError, description = "no such item"),
              (status = 409, body = ApiError, description = "`invalid_transition`: not waiting for sign-off")),
    security(("bearer" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<ItemDetail> {
    Ok(Json(decide(&state, caller, id, Review::Approve).await?))
}

/// Accept a delivered item and record where and when it was published.
#[utoipa::path(
    post, path = "/api/v1/items/{id}/accept",
    params(("id" = i64, Path, description = "the item")),
    request_body = AcceptRequest,
    responses((status = 200, body = ItemDetail, description = "accepted"),
              (status = 403, body = ApiError, description = "not the caller's to decide"),
              (status = 404, body = ApiError, description = "no such item"),
              (status = 409, body = ApiError, description = "`invalid_transition`: not waiting for review")),
    security(("bearer" = []))
)]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AcceptRequest>,
) -> ApiResult<ItemDetail> {
    let review =
        service::items::acceptance(&req.published_url, req.published_at, state.clock.now())?;
    Ok(Json(decide(&state, caller, id, review).await?))
}

/// Return an item for revision with a comment, optionally quoting the passage it concerns: by
/// the editors once delivered, or by the department's responsible person before sign-off.
#[utoipa::path(
    post, path = "/api/v1/items/{id}/return",
    params(("id" = i64, Path, description = "the item")),
    request_body = ReturnRequest,
    responses((status = 200, body = ItemDetail, description = "returned for revision"),
              (status = 403, body = ApiError, description = "not the caller's to decide"),
              (status = 404, body = ApiError, description = "no such item"),
              (status = 409, body = ApiError, description = "`invalid_transition`: not in a state that can be returned")),
    security(("bearer" = []))
)]
pub async fn return_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ReturnRequest>,
) -> ApiResult<ItemDetail> {
    let c = service::items::remark(&req.comment, req.quote.as_deref(), "a return")?;
    let review = Review::Return {
        comment: c.text,
        quote: c.quote,
    };
    Ok(Json(decide(&state, caller, id, review).await?))
}

/// Reject a delivered item for good, with the reason; it cannot be revised or revived.
#[utoipa::path(
    post, path = "/api/v1/items/{id}/reject",
    params(("id" = i64, Path, description = "the item")),
    request_body = RejectRequest,
    responses((status = 200, body = ItemDetail, description = "rejected"),
              (status = 403, body = ApiError, description = "not the caller's to decide"),
              (status = 404, body = ApiError, description = "no such item"),
              (status = 409, body = ApiError, description = "`invalid_transition`: not waiting for review")),
    security(("bearer" = []))
)]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RejectRequest>,
) -> ApiResult<ItemDetail> {
    let reason = service::items::remark(&req.reason, None, "a rejection")?.text;
    Ok(Json(
        decide(&state, caller, id, Review::Reject { reason }).await?,
    ))
}

/// Write in an item's thread: an editor's question, the officer's answer.
#[utoipa::path(
    post, path = "/api/v1/items/{id}/comments",
    params(("id" = i64, Path, description = "the item")),
    request_body = CommentRequest,
    responses((status = 201, body = TimelineEntry, description = "the comment as the timeline shows it"),
              (status = 403, body = ApiError, description = "not the caller's to comment on"),
              (status = 404, body = ApiError, description = "no such item, or not the caller's to see")),
    security(("bearer" = []))
)]
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CommentRequest>,
) -> Result<(StatusCode, Json<TimelineEntry>), ApiFailure> {
    let c = service::items::remark(&req.text, req.quote.as_deref(), "a comment")?;
    let entry = add_comment(&state, caller, id, c).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

pub async fn add_comment(
    state: &AppState,
    caller: Caller,
    id: i64,
    comment: NewComment,
) -> Result<TimelineEntry, ApiFailure> {
    let now = state.clock.now();
    let entry = state
        .blocking(move |s| {
            Ok(crate::service::items::comment(
                s,
                id,
                &comment,
                &caller.actor(),
                now,
            )?)
        })
        .await?;
    state.changes.send_modify(|n| *n += 1);
    Ok(entry)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next` of the previous answer; 0 the first time.
    pub since: Option<i64>,
    /// Seconds to wait for a change when there is none yet (long poll), at most 30.
    pub wait: Option<u64>,
}

const CHANGES_PAGE: u32 = 200;

/// What changed for the caller since the cursor, and the next cursor.
#[utoipa::path(
    get, path = "/api/v1/changes",
    params(ChangesQuery),
    responses((status = 200, body = ChangesResponse, description = "the changes after `since`, and the next cursor")),
    security(("bearer" = []))
)]
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
