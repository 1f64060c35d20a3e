//! Commissioned items (约稿): the editorial office posts, extends and withdraws requests; a
//! department's seats read those naming their department and answer with an item that names
//! the request (`commission_id` in the send).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use liaison_domain::wire::{
    ApiError, CommissionView, ExtendCommissionRequest, NewCommissionRequest,
};

use super::{ApiFailure, ApiJson, ApiPath, ApiResult, AppState, Caller};
use crate::service::commissions as service;

/// Requests the caller may see, newest first: every one for the office, those naming the
/// caller's department for its seats (with only that department's standing).
#[utoipa::path(
    get, path = "/api/v1/commissions", operation_id = "list_commissions",
    responses((status = 200, body = Vec<CommissionView>, description = "the requests, newest first")),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Vec<CommissionView>> {
    let now = state.clock.now();
    Ok(Json(
        state
            .blocking(move |s| Ok(service::list(s, &caller.0, now)?))
            .await?,
    ))
}

/// One request, if the caller may see it.
#[utoipa::path(
    get, path = "/api/v1/commissions/{id}", operation_id = "get_commission",
    params(("id" = i64, Path, description = "the request")),
    responses((status = 200, body = CommissionView, description = "the request and its answers"),
              (status = 404, body = ApiError, description = "no such request, or not the caller's department's")),
    security(("bearer" = []))
)]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<CommissionView> {
    let now = state.clock.now();
    Ok(Json(
        state
            .blocking(move |s| Ok(service::one(s, id, &caller.0, now)?))
            .await?,
    ))
}

/// Post a request to departments, with a deadline in working days or as a date.
#[utoipa::path(
    post, path = "/api/v1/commissions", operation_id = "post_commission",
    request_body = NewCommissionRequest,
    responses((status = 201, body = CommissionView, description = "posted; the departments' desks are told"),
              (status = 403, body = ApiError, description = "the editorial office only"),
              (status = 404, body = ApiError, description = "no such column"),
              (status = 422, body = ApiError, description = "`validation`: no topic, no department, a retired department, a deadline before today")),
    security(("bearer" = []))
)]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewCommissionRequest>,
) -> Result<(StatusCode, Json<CommissionView>), ApiFailure> {
    caller.require_office()?;
    let now = state.clock.now();
    let view = state
        .blocking(move |s| Ok(service::post(s, &req, &caller.actor(), now)?))
        .await?;
    state.changed();
    Ok((StatusCode::CREATED, Json(view)))
}

/// Move an open request's deadline later.
#[utoipa::path(
    post, path = "/api/v1/commissions/{id}/extend", operation_id = "extend_commission",
    params(("id" = i64, Path, description = "the request")),
    request_body = ExtendCommissionRequest,
    responses((status = 200, body = CommissionView, description = "extended; the departments' desks are told"),
              (status = 403, body = ApiError, description = "the editorial office only"),
              (status = 404, body = ApiError, description = "no such request"),
              (status = 409, body = ApiError, description = "the request was withdrawn"),
              (status = 422, body = ApiError, description = "`validation`: not later than the deadline it replaces, or before today")),
    security(("bearer" = []))
)]
pub async fn extend(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ExtendCommissionRequest>,
) -> ApiResult<CommissionView> {
    caller.require_office()?;
    let now = state.clock.now();
    let view = state
        .blocking(move |s| Ok(service::extend(s, id, req.deadline, &caller.actor(), now)?))
        .await?;
    state.changed();
    Ok(Json(view))
}

/// Withdraw an open request: nothing more is asked; an answer sent after is an ordinary item.
#[utoipa::path(
    post, path = "/api/v1/commissions/{id}/withdraw", operation_id = "withdraw_commission",
    params(("id" = i64, Path, description = "the request")),
    responses((status = 200, body = CommissionView, description = "withdrawn; the departments' desks are told"),
              (status = 403, body = ApiError, description = "the editorial office only"),
              (status = 404, body = ApiError, description = "no such request"),
              (status = 409, body = ApiError, description = "already withdrawn")),
    security(("bearer" = []))
)]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<CommissionView> {
    caller.require_office()?;
    let now = state.clock.now();
    let view = state
        .blocking(move |s| Ok(service::withdraw(s, id, &caller.actor(), now)?))
        .await?;
    state.changed();
    Ok(Json(view))
}
