//! Column duties: the working calendar, a department's duty board, urges (催报), updates the
//! office records for scraped and linked columns, and the timeliness summary.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use liaison_domain::calendar::beijing_midnight;
use liaison_domain::wire::{ApiError, BoardColumn, Change, Timeliness, UrgeRequest};
use liaison_domain::{DutyState, Role, WorkCalendar};
use serde::Deserialize;

use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, ApiResult, AppState, Caller, bad_request};
use crate::service;
use crate::store::Store;

/// The working-day calendar the office publishes.
#[utoipa::path(
    get, path = "/api/v1/calendar",
    responses((status = 200, body = WorkCalendar, description = "the calendar")),
    security(("bearer" = []))
)]
pub async fn calendar(State(state): State<AppState>, _caller: Caller) -> ApiResult<WorkCalendar> {
    Ok(Json(state.blocking(|s| Ok(s.calendar()?)).await?))
}

/// Publish one year of the calendar (admin): its holidays and the weekend days worked.
#[utoipa::path(
    put, path = "/api/v1/calendar/{year}",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "the year published")),
    request_body = WorkCalendar,
    responses((status = 200, body = WorkCalendar, description = "the whole calendar now"),
              (status = 403, body = ApiError, description = "the administrator only")),
    security(("bearer" = []))
)]
pub async fn set_calendar_year(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(year): ApiPath<i32>,
    ApiJson(days): ApiJson<WorkCalendar>,
) -> ApiResult<WorkCalendar> {
    caller.require_role(Role::Admin)?;
    let now = state.clock.now();
    Ok(Json(
        state
            .blocking(move |s| {
                crate::service::duties::publish_calendar_year(
                    s,
                    year,
                    &days,
                    &caller.actor(),
                    now,
                )?;
                Ok(s.calendar()?)
            })
            .await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The department (office seats only; a department's seats see their own).
    pub department_id: Option<i64>,
}

/// A department's board (see [`service::watch::board`]).
fn board_of(
    store: &dyn Store,
    department_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<BoardColumn>, ApiFailure> {
    Ok(service::watch::board(store, department_id, now)?)
}

/// The duty board.
#[utoipa::path(
    get, path = "/api/v1/board",
    params(BoardQuery),
    responses((status = 200, body = Vec<BoardColumn>, description = "the columns, most urgent first"),
              (status = 403, body = ApiError, description = "another department's board")),
    security(("bearer" = []))
)]
pub async fn board(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ApiResult<Vec<BoardColumn>> {
    let department_id = match (caller.0.role.is_office(), q.department_id) {
        (false, _) => caller.0.department.id,
        (true, Some(id)) => id,
        (true, None) => return Err(bad_request("office seats name a department_id")),
    };
    caller.require_department(department_id)?;
    let now = state.clock.now();
    Ok(Json(
        state
            .blocking(move |s| board_of(s, department_id, now))
            .await?,
    ))
}

/// Urge the department to update a column; its desks hear of it through the change cursor.
#[utoipa::path(
    post, path = "/api/v1/columns/{id}/urge",
    params(("id" = i64, Path, description = "the column")),
    request_body = UrgeRequest,
    responses((status = 201, body = Change, description = "the urge as the department's desks receive it"),
              (status = 403, body = ApiError, description = "the editorial office only"),
              (status = 404, body = ApiError, description = "no such column")),
    security(("bearer" = []))
)]
pub async fn urge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UrgeRequest>,
) -> Result<(StatusCode, Json<Change>), ApiFailure> {
    caller.require_office()?;
    let message = req.message;
    let now = state.clock.now();
    let change = state
        .blocking(move |s| {
            let column = s
                .column(id)?
                .ok_or_else(|| ApiFailure::not_found("column"))?;
            Ok(crate::service::duties::urge(
                s,
                &column,
                &message,
                &caller.actor(),
                now,
            )?)
        })
        .await?;
    state.changes.send_modify(|n| *n += 1);
    Ok((StatusCode::CREATED, Json(change)))
}

/// Record that a scraped or linked column was updated (now); answers the column's new standing.
/// A column fed by items is refused (422): only accepted items keep it current.
#[utoipa::path(
    post, path = "/api/v1/columns/{id}/updates",
    params(("id" = i64, Path, description = "the column")),
    responses((status = 201, body = BoardColumn, description = "the column's new standing"),
              (status = 403, body = ApiError, description = "the editorial office only"),
              (status = 404, body = ApiError, description = "no such column"),
              (status = 422, body = ApiError, description = "the column is fed by items")),
    security(("bearer" = []))
)]
pub async fn record_update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<BoardColumn>), ApiFailure> {
    caller.require_office()?;
    let now = state.clock.now();
    let updated = state
        .blocking(move |s| {
            let column = s
                .column(id)?
                .ok_or_else(|| ApiFailure::not_found("column"))?;
            crate::service::duties::record_column_update(s, &column, None, &caller.actor(), now)?;
            board_of(s, column.department_id, now)?
                .into_iter()
                .find(|c| c.column.id == id)
                .ok_or_else(|| ApiFailure::not_found("column"))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(updated)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TimelinessQuery {
    /// The month, `YYYY-MM` (default: the current one, Beijing time).
    #[param(pattern = r"^[0-9]{4}-[0-9]{2}$", example = "2026-11")]
    pub month: Option<String>,
}

/// The first day of a month written `YYYY-MM` (four digits, no sign), if it is one.
fn parse_month(m: &str) -> Option<NaiveDate> {
    let (year, month) = m.split_once('-')?;
    if year.len() != 4
        || month.len() != 2
        || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

/// Every department's standing now and its accepted updates in a month.
#[utoipa::path(
    get, path = "/api/v1/timeliness",
    params(TimelinessQuery),
    responses((status = 200, body = Vec<Timeliness>, description = "every department's standing"),
              (status = 403, body = ApiError, description = "the editorial office only")),
    security(("bearer" = []))
)]
pub async fn timeliness(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<TimelinessQuery>,
) -> ApiResult<Vec<Timeliness>> {
    caller.require_office()?;
    let now = state.clock.now();
    let first = match q.month.as_deref() {
        Some(m) => parse_month(m).ok_or_else(|| bad_request("month is YYYY-MM"))?,
        None => {
            let today = liaison_domain::calendar::beijing_date(now);
            today.with_day(1).unwrap_or(today)
        }
    };
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .ok_or_else(|| bad_request("month is YYYY-MM"))?;
    let (from, to) = (beijing_midnight(first), beijing_midnight(next));
    Ok(Json(
        state
            .blocking(move |s| {
                let mut summary = Vec::new();
                for department in s.departments()? {
                    let board = board_of(s, department.id, now)?;
                    let count = |st: DutyState| {
                        board.iter().filter(|c| c.status.state == st).count() as u32
                    };
                    summary.push(Timeliness {
                        columns: board.len() as u32,
                        overdue: count(DutyState::Overdue),
                        due_soon: count(DutyState::DueSoon),
                        overdue_days: board.iter().map(|c| c.status.overdue_days).sum(),
                        accepted_in_period: board
                            .iter()
                            .flat_map(|c| &c.updates)
                            .filter(|t| **t >= from && **t < to)
                            .count() as u32,
                        department,
                    });
                }
                Ok(summary)
            })
            .await?,
    ))
}

/// The office's word lists for the pre-flight checks; every signed-in seat.
#[utoipa::path(
    get, path = "/api/v1/wordlists",
    responses((status = 200, body = liaison_domain::preflight::WordLists, description = "the word lists")),
    security(("bearer" = []))
)]
pub async fn word_lists(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<liaison_domain::preflight::WordLists> {
    Ok(Json(state.blocking(|s| Ok(s.word_lists()?)).await?))
}

/// Publishes both word lists; the administrator only.
#[utoipa::path(
    put, path = "/api/v1/wordlists", request_body = liaison_domain::preflight::WordLists,
    responses((status = 200, body = liaison_domain::preflight::WordLists, description = "the lists as published"),
              (status = 403, body = ApiError, description = "the administrator only")),
    security(("bearer" = []))
)]
pub async fn set_word_lists(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(lists): ApiJson<liaison_domain::preflight::WordLists>,
) -> ApiResult<liaison_domain::preflight::WordLists> {
    caller.require_role(Role::Admin)?;
    let now = state.clock.now();
    Ok(Json(
        state
            .blocking(move |s| {
                Ok(crate::service::duties::publish_word_lists(
                    s,
                    lists,
                    &caller.actor(),
                    now,
                )?)
            })
            .await?,
    ))
}
