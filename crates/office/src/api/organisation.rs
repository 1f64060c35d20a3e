//! The administration of the organisation over HTTP: departments, columns and seats, for the
//! administrator. Every route runs one [`AdminChange`] through the service, which checks the
//! domain's rules, writes the audit entry and tells the departments' desks.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use liaison_domain::organisation::Organisation;
use liaison_domain::wire::ApiError;
use liaison_domain::{ColumnLevel, DutyRule, FeedMethod, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiFailure, ApiJson, ApiPath, ApiResult, AppState, Caller};
use crate::service::import::ImportReport;
use crate::service::organisation::{
    self as service, AdminChange, AdminOutcome, ColumnInput, SeatCode,
};
use crate::store::StoreError;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameRequest {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewColumnRequest {
    pub department_id: i64,
    pub name: String,
    /// Where the column sits in the portal, e.g. 政务公开/通知公告; unique among live columns.
    pub path: String,
    pub feed: FeedMethod,
    pub duty: DutyRule,
    #[serde(default)]
    pub level: ColumnLevel,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveColumnRequest {
    /// The department that guarantees the column from now on.
    pub department_id: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSeatRequest {
    pub login: String,
    pub role: Role,
    /// Officers and responsible persons only.
    #[serde(default)]
    pub department_id: Option<i64>,
    /// The seat's first holder.
    pub holder_name: String,
    #[serde(default)]
    pub phone: String,
}

/// What a creation made.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Runs one change as the administrator.
async fn run(
    state: &AppState,
    caller: Caller,
    change: AdminChange,
) -> Result<AdminOutcome, ApiFailure> {
    caller.require_role(Role::Admin)?;
    let now = state.clock.now();
    let outcome = state
        .blocking(move |s| {
            service::administer(s, &change, &caller.actor(), now).map_err(|e| match e {
                StoreError::NotFound => ApiFailure::not_found("department, column or seat"),
                e => e.into(),
            })
        })
        .await?;
    // Departments' desks wait on their change logs.
    state.changes.send_modify(|n| *n += 1);
    Ok(outcome)
}

fn created(outcome: AdminOutcome) -> Result<(StatusCode, Json<Created>), ApiFailure> {
    match outcome {
        AdminOutcome::Created(id) => Ok((StatusCode::CREATED, Json(Created { id }))),
        _ => Err(ApiFailure::internal("the change created nothing")),
    }
}

fn code(outcome: AdminOutcome) -> Result<SeatCode, ApiFailure> {
    match outcome {
        AdminOutcome::Code(code) => Ok(code),
        _ => Err(ApiFailure::internal("the change gave no code")),
    }
}

/// Every department, column and seat, retired and disabled ones included.
#[utoipa::path(
    get, path = "/api/v1/admin/organisation",
    responses((status = 200, body = Organisation, description = "the whole organisation"),
              (status = 403, body = ApiError, description = "the administrator only")),
    security(("bearer" = []))
)]
pub async fn organisation(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Organisation> {
    caller.require_role(Role::Admin)?;
    Ok(Json(
        state.blocking(|s| Ok(service::organisation(s)?)).await?,
    ))
}

/// Creates a department.
#[utoipa::path(
    post, path = "/api/v1/admin/departments", request_body = NameRequest,
    responses((status = 201, body = Created, description = "created"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 409, body = ApiError, description = "a department of that name exists")),
    security(("bearer" = []))
)]
pub async fn create_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NameRequest>,
) -> Result<(StatusCode, Json<Created>), ApiFailure> {
    created(
        run(
            &state,
            caller,
            AdminChange::CreateDepartment { name: req.name },
        )
        .await?,
    )
}

/// Renames a department; its desks learn the new name.
#[utoipa::path(
    put, path = "/api/v1/admin/departments/{id}", request_body = NameRequest,
    params(("id" = i64, Path, description = "the department")),
    responses((status = 204, description = "renamed"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such department"),
              (status = 409, body = ApiError, description = "a department of that name exists")),
    security(("bearer" = []))
)]
pub async fn rename_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<NameRequest>,
) -> Result<StatusCode, ApiFailure> {
    run(
        &state,
        caller,
        AdminChange::RenameDepartment { id, name: req.name },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Retires a department that guarantees no live column; its seats are disabled. Its items, files,
/// history and audit entries stay.
#[utoipa::path(
    post, path = "/api/v1/admin/departments/{id}/retire",
    params(("id" = i64, Path, description = "the department")),
    responses((status = 204, description = "retired"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such department"),
              (status = 422, body = ApiError, description = "`validation`: the department still guarantees live columns, or is retired")),
    security(("bearer" = []))
)]
pub async fn retire_department(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::RetireDepartment { id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a column of a department; its duty begins now.
#[utoipa::path(
    post, path = "/api/v1/admin/columns", request_body = NewColumnRequest,
    responses((status = 201, body = Created, description = "created"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such department"),
              (status = 409, body = ApiError, description = "the path is another live column's")),
    security(("bearer" = []))
)]
pub async fn create_column(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewColumnRequest>,
) -> Result<(StatusCode, Json<Created>), ApiFailure> {
    let change = AdminChange::CreateColumn {
        department_id: req.department_id,
        fields: ColumnInput {
            name: req.name,
            path: req.path,
            feed: req.feed,
            duty: req.duty,
            level: req.level,
        },
    };
    created(run(&state, caller, change).await?)
}

/// Sets a column's name, path, feed method, duty rule and level.
#[utoipa::path(
    put, path = "/api/v1/admin/columns/{id}", request_body = ColumnInput,
    params(("id" = i64, Path, description = "the column")),
    responses((status = 204, description = "changed"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such column"),
              (status = 409, body = ApiError, description = "the path is another live column's")),
    security(("bearer" = []))
)]
pub async fn update_column(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(fields): ApiJson<ColumnInput>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::UpdateColumn { id, fields }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a column to another department with its history; both departments' desks learn it.
#[utoipa::path(
    post, path = "/api/v1/admin/columns/{id}/move", request_body = MoveColumnRequest,
    params(("id" = i64, Path, description = "the column")),
    responses((status = 204, description = "moved"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such column or department")),
    security(("bearer" = []))
)]
pub async fn move_column(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MoveColumnRequest>,
) -> Result<StatusCode, ApiFailure> {
    let change = AdminChange::MoveColumn {
        id,
        department_id: req.department_id,
    };
    run(&state, caller, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Retires a column: it leaves its department's board; its items stay.
#[utoipa::path(
    post, path = "/api/v1/admin/columns/{id}/retire",
    params(("id" = i64, Path, description = "the column")),
    responses((status = 204, description = "retired"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such column"),
              (status = 422, body = ApiError, description = "`validation`: the column is already retired")),
    security(("bearer" = []))
)]
pub async fn retire_column(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::RetireColumn { id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Brings a retired column back to its department's board.
#[utoipa::path(
    post, path = "/api/v1/admin/columns/{id}/restore",
    params(("id" = i64, Path, description = "the column")),
    responses((status = 204, description = "restored"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such column"),
              (status = 409, body = ApiError, description = "`conflict`: a live column holds its path"),
              (status = 422, body = ApiError, description = "`validation`: its department is retired")),
    security(("bearer" = []))
)]
pub async fn restore_column(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::RestoreColumn { id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates a seat with its first holder, who chooses a password with the one-time code answered
/// here (shown this once).
#[utoipa::path(
    post, path = "/api/v1/admin/seats", request_body = NewSeatRequest,
    responses((status = 201, body = SeatCode, description = "the seat's one-time code, this once"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such department"),
              (status = 409, body = ApiError, description = "the login is taken")),
    security(("bearer" = []))
)]
pub async fn create_seat(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<NewSeatRequest>,
) -> Result<(StatusCode, Json<SeatCode>), ApiFailure> {
    let change = AdminChange::CreateSeat {
        login: req.login,
        role: req.role,
        department_id: req.department_id,
        holder_name: req.holder_name,
        phone: req.phone,
    };
    Ok((
        StatusCode::CREATED,
        Json(code(run(&state, caller, change).await?)?),
    ))
}

/// Disables a seat: it can neither sign in nor send; its desks are told why. Never the last
/// administrator, nor one's own seat.
#[utoipa::path(
    post, path = "/api/v1/admin/seats/{id}/disable",
    params(("id" = i64, Path, description = "the seat")),
    responses((status = 204, description = "disabled"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such seat"),
              (status = 422, body = ApiError, description = "`validation`: the last enabled administrator, or one's own seat")),
    security(("bearer" = []))
)]
pub async fn disable_seat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::DisableSeat { id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enables a disabled seat again.
#[utoipa::path(
    post, path = "/api/v1/admin/seats/{id}/enable",
    params(("id" = i64, Path, description = "the seat")),
    responses((status = 204, description = "enabled"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such seat"),
              (status = 422, body = ApiError, description = "`validation`: its department is retired")),
    security(("bearer" = []))
)]
pub async fn enable_seat(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::EnableSeat { id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resets a seat's password: the old one stops working, every session ends, and the holder
/// chooses a new one with the one-time code answered here (the administrator never picks it).
#[utoipa::path(
    post, path = "/api/v1/admin/seats/{id}/password-reset",
    params(("id" = i64, Path, description = "the seat")),
    responses((status = 200, body = SeatCode, description = "the one-time code, this once"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such seat")),
    security(("bearer" = []))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<SeatCode> {
    Ok(Json(code(
        run(&state, caller, AdminChange::ResetPassword { id }).await?,
    )?))
}

/// Ends every session of a seat (its holder signs in again).
#[utoipa::path(
    post, path = "/api/v1/admin/seats/{id}/sign-out",
    params(("id" = i64, Path, description = "the seat")),
    responses((status = 204, description = "signed out everywhere"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such seat")),
    security(("bearer" = []))
)]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiFailure> {
    run(&state, caller, AdminChange::SignOutEverywhere { id }).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name; its ending says the format (`.xlsx` or `.csv`).
    pub file_name: String,
    /// Only show what would change (the default); `false` applies it.
    #[serde(default = "yes")]
    pub dry_run: bool,
    /// The `plan_digest` of the dry run being confirmed: the import is applied only if the plan
    /// is still that one.
    #[serde(default)]
    pub plan_digest: Option<String>,
}

fn yes() -> bool {
    true
}

/// Imports the organisation from a spreadsheet (the raw bytes of an .xlsx or a .csv, UTF-8 or
/// GB18030): departments, columns and their officer and responsible seats. A dry run (the
/// default) shows what would be created, changed, moved or retired; every bad row is refused
/// with its number and reason, and then nothing changes. Importing the same file again changes
/// nothing. New seats' one-time codes come back once.
#[utoipa::path(
    post, path = "/api/v1/admin/organisation/import",
    params(ImportQuery),
    request_body(content = super::openapi::Binary, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportReport, description = "the report: applied, a dry run, rows refused (`rows_refused`, nothing changed), or `stale` (the office changed since the dry run: the new plan, not applied)"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 422, body = ApiError, description = "the file is not a readable sheet (`validation`)")),
    security(("bearer" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    super::ApiQuery(q): super::ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<ImportReport> {
    caller.require_role(Role::Admin)?;
    let raw = crate::orgsheet::read_sheet(&body, &q.file_name)
        .map_err(|e| ApiFailure::validation(e.to_string()))?;
    let rows = match liaison_domain::orgsheet::rows(&raw) {
        Ok(rows) => rows,
        Err(refused) => return Ok(Json(ImportReport::refused(refused))),
    };
    let now = state.clock.now();
    let (dry_run, expect) = (q.dry_run, q.plan_digest.clone());
    let report = state
        .blocking(move |s| {
            Ok(crate::service::import::import(
                s,
                &rows,
                dry_run,
                expect.as_deref(),
                &caller.actor(),
                now,
            )?)
        })
        .await?;
    if report.applied {
        state.changes.send_modify(|n| *n += 1);
    }
    Ok(Json(report))
}
