//! A department's own standing in the ranking (评比), for its desks: its place and where its
//! points came from in the month before, this month, this quarter and this year. Other
//! departments' scores are the office's.

use axum::Json;
use axum::extract::State;
use liaison_domain::score::standing::PeriodStanding;
use liaison_domain::wire::ApiError;

use super::{ApiResult, AppState, Caller};
use crate::service::scores as service;

/// The caller's department's standing: the month before, this month, this quarter, this year.
#[utoipa::path(
    get, path = "/api/v1/standing", operation_id = "get_standing",
    responses((status = 200, body = Vec<PeriodStanding>, description = "the department's standing in each period"),
              (status = 403, body = ApiError, description = "a department's seats only")),
    security(("bearer" = []))
)]
pub async fn standing(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Vec<PeriodStanding>> {
    caller.department_seat()?;
    let now = state.clock.now();
    let department_id = caller.0.department.id;
    Ok(Json(
        state
            .blocking(move |s| Ok(service::standing(s, department_id, now)?))
            .await?,
    ))
}
