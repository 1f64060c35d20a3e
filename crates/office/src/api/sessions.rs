//! Signing in and out.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use liaison_domain::SeatView;
use liaison_domain::wire::{ApiError, ErrorCode, SignInRequest, SignInResponse};

use super::{ApiFailure, ApiJson, ApiResult, AppState, Caller, ClientAddress};
use crate::auth;
use crate::service::{
    self,
    sessions::{Attempt, SignIn},
};

/// Sign in with a seat's login and password.
#[utoipa::path(
    post, path = "/api/v1/sessions", request_body = SignInRequest,
    responses((status = 201, body = SignInResponse, description = "signed in: the session's token"),
              (status = 401, body = ApiError, description = "`wrong_credentials`"),
              (status = 403, body = ApiError, description = "`seat_disabled`: the administrator disabled the seat"),
              (status = 429, body = ApiError, description = "`too_many_attempts`: too many failed sign-ins for the seat or the address; `Retry-After` says when the next is taken"))
)]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<(StatusCode, Json<SignInResponse>), ApiFailure> {
    let opened = open_session(&state, req.login, req.password, &address).await?;
    let (token, expires_at, seat) = opened
        .ok_or_else(|| ApiFailure::new(ErrorCode::WrongCredentials, "wrong login or password"))?;
    tracing::info!(seat = %seat.login, "signed in");
    Ok((
        StatusCode::CREATED,
        Json(SignInResponse {
            token,
            expires_at,
            seat,
        }),
    ))
}

/// Checks a login and password and opens a session (see [`service::sessions::sign_in`]): its
/// token, when it expires, and the seat; `None` for a wrong login or password.
pub async fn open_session(
    state: &AppState,
    login: String,
    password: String,
    address: &str,
) -> Result<Option<(String, chrono::DateTime<chrono::Utc>, SeatView)>, ApiFailure> {
    let (throttle, ttl, now) = (state.sign_ins.clone(), state.session_ttl, state.clock.now());
    let address = address.to_owned();
    let outcome = state
        .blocking(move |s| {
            let attempt = Attempt {
                login: &login,
                password: &password,
                address: &address,
            };
            Ok(service::sessions::sign_in(s, &throttle, attempt, ttl, now)?)
        })
        .await?;
    match outcome {
        SignIn::Opened {
            token,
            expires_at,
            seat,
        } => Ok(Some((token, expires_at, seat))),
        SignIn::WrongCredentials => Ok(None),
        SignIn::Throttled { wait } => Err(ApiFailure::too_many_attempts(wait)),
        SignIn::SeatDisabled => Err(ApiFailure::seat_disabled()),
    }
}

/// The signed-in seat.
#[utoipa::path(
    get, path = "/api/v1/sessions/current",
    responses((status = 200, body = SeatView, description = "the signed-in seat")),
    security(("bearer" = []))
)]
pub async fn who_am_i(caller: Caller) -> ApiResult<SeatView> {
    Ok(Json(caller.0))
}

/// Sign out: the session's token stops working at once.
#[utoipa::path(
    delete, path = "/api/v1/sessions/current",
    responses((status = 204, description = "signed out")),
    security(("bearer" = []))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
) -> Result<StatusCode, ApiFailure> {
    let hash = super::bearer(&headers)
        .map(auth::token_hash)
        .ok_or_else(ApiFailure::unauthenticated)?;
    state
        .blocking(move |s| Ok(s.delete_session(&hash)?))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
