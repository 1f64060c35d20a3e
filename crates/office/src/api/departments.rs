//! Departments and how each signs off what it sends.

use axum::Json;
use axum::extract::State;
use liaison_domain::wire::{ApiError, SignoffPolicyRequest};
use liaison_domain::{DepartmentView, Role};

use super::{ApiJson, ApiPath, ApiResult, AppState, Caller};

/// Every department with its sign-off policy; the editorial office only.
#[utoipa::path(
    get, path = "/api/v1/departments", operation_id = "list_departments",
    responses((status = 200, body = Vec<DepartmentView>, description = "every department"),
              (status = 403, body = ApiError, description = "the editorial office only")),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Vec<DepartmentView>> {
    caller.require_office()?;
    Ok(Json(state.blocking(|s| Ok(s.departments()?)).await?))
}

/// Sets how a department signs off (`in_app` or `attested`); the administrator only. Items
/// already at the office keep the path they started on.
#[utoipa::path(
    put, path = "/api/v1/departments/{id}/signoff",
    params(("id" = i64, Path, description = "the department")),
    request_body = SignoffPolicyRequest,
    responses((status = 200, body = DepartmentView, description = "the department with its policy"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such department")),
    security(("bearer" = []))
)]
pub async fn set_signoff(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<SignoffPolicyRequest>,
) -> ApiResult<DepartmentView> {
    caller.require_role(Role::Admin)?;
    let now = state.clock.now();
    let department = state
        .blocking(move |s| {
            crate::service::duties::set_signoff_policy(s, id, req.signoff, &caller.actor(), now)?;
            Ok(s.departments()?.into_iter().find(|d| d.id == id))
        })
        .await?
        .ok_or_else(|| super::ApiFailure::not_found("department"))?;
    tracing::info!(
        department = id,
        signoff = department.signoff.as_str(),
        "sign-off policy set"
    );
    Ok(Json(department))
}
