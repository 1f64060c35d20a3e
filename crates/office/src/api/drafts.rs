//! Draft backups: each seat's drafts, kept at the office so a dead workstation loses nothing and a
//! new one gets them back. A backup names the office's copy it replaces (`base_rev`); one made
//! from an older copy is refused with 409 and the office's copy, so the desk can keep both.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use liaison_domain::content;
use liaison_domain::wire::{ApiError, DraftBackup, ErrorCode, PutDraftRequest, PutDraftResponse};
use serde::{Deserialize, Serialize};

use super::files::check_item_files;
use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, ApiResult, AppState, Caller};
use crate::store::DraftPut;

/// The 409 answer to a stale backup: the error and the office's newer copy.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaleDraftAnswer {
    #[serde(flatten)]
    pub error: ApiError,
    pub current: DraftBackup,
}

/// The 409 answers to a backup: a stale copy ([`StaleDraftAnswer`]), or another conflict
/// (`conflict`: a `base_rev` when the office holds no backup of the draft).
pub struct DraftConflict;

impl utoipa::PartialSchema for DraftConflict {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::Ref;
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(Ref::from_schema_name("StaleDraftAnswer"))
            .item(Ref::from_schema_name("ApiError"))
            .into()
    }
}

impl utoipa::ToSchema for DraftConflict {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push(("StaleDraftAnswer".into(), StaleDraftAnswer::schema()));
        <StaleDraftAnswer as utoipa::ToSchema>::schemas(schemas);
    }
}

fn draft_key(key: &str) -> Result<(), ApiFailure> {
    if key.trim().is_empty()
        || key.len() > 128
        || !liaison_domain::text::is_clean(key, liaison_domain::text::Lines::One)
    {
        return Err(ApiFailure::validation(
            "the draft key must be 1-128 characters on one line",
        ));
    }
    Ok(())
}

/// Back up one draft.
#[utoipa::path(
    put, path = "/api/v1/drafts/{draft_key}",
    params(("draft_key" = String, Path, min_length = 1, max_length = 128, description = "the desk's identifier of the draft")),
    request_body = PutDraftRequest,
    responses((status = 200, body = PutDraftResponse, description = "stored; the office's new `rev`"),
              (status = 403, body = ApiError, description = "office seats keep no drafts"),
              (status = 409, body = inline(DraftConflict),
               description = "`stale_draft`: the office holds a newer copy, which comes with the answer; \
                              or `conflict`: there is no backup of this draft to replace"),
              (status = 413, body = ApiError, description = "larger than an item may be"),
              (status = 415, body = ApiError, description = "`unsupported_file`: a file of a type an item may not carry")),
    security(("bearer" = []))
)]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(key): ApiPath<String>,
    ApiJson(req): ApiJson<PutDraftRequest>,
) -> Result<Response, ApiFailure> {
    let seat_id = caller.department_seat()?;
    draft_key(&key)?;
    if req.title.chars().count() > content::MAX_TITLE_CHARS * 4
        || req.body_html.len() > content::MAX_BODY_BYTES
    {
        return Err(ApiFailure::new(
            ErrorCode::PayloadTooLarge,
            "the draft is larger than an item may be",
        ));
    }
    check_item_files(&req.attachments)?;
    let now = state.clock.now();
    let outcome = state
        .blocking(move |s| {
            Ok(crate::service::drafts::put_backup(
                s, seat_id, &key, &req, now,
            )?)
        })
        .await?;
    Ok(match outcome {
        DraftPut::Stored { rev } => Json(PutDraftResponse { rev }).into_response(),
        DraftPut::Stale(current) => (
            StatusCode::CONFLICT,
            Json(StaleDraftAnswer {
                error: ApiError {
                    code: ErrorCode::StaleDraft,
                    message: format!(
                        "the office holds a newer copy of this draft (rev {})",
                        current.rev
                    ),
                    item_id: None,
                },
                current: *current,
            }),
        )
            .into_response(),
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DraftsQuery {
    /// Only backups written after this `seq` (default 0: all).
    pub since: Option<i64>,
}

/// The seat's backed-up drafts whose version has not been sent, in the order they were written.
#[utoipa::path(
    get, path = "/api/v1/drafts", operation_id = "list_drafts",
    params(DraftsQuery),
    responses((status = 200, body = Vec<DraftBackup>, description = "the seat's backups after `since`"),
              (status = 403, body = ApiError, description = "office seats keep no drafts")),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<DraftsQuery>,
) -> ApiResult<Vec<DraftBackup>> {
    let seat_id = caller.department_seat()?;
    let since = q.since.unwrap_or(0);
    Ok(Json(
        state
            .blocking(move |s| Ok(s.draft_backups(seat_id, since)?))
            .await?,
    ))
}
