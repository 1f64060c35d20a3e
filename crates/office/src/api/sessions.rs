//! Signing in and out.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use liaison_domain::SeatView;
use liaison_domain::wire::{ApiError, ErrorCode, SignInRequest, SignInResponse};

use super::{ApiFailure, ApiJson, ApiResult, AppState, Caller, ClientAddress};
use crate::audit::Record;
use crate::auth;

/// Sign in with a seat's login and password.
#[utoipa::path(
    post, path = "/api/v1/sessions", request_body = SignInRequest,
    responses((status = 201, body = SignInResponse, description = "signed in: the session's token"),
              (status = 401, body = ApiError, description = "`wrong_credentials`"),
              (status = 403, body = ApiError, description = "`seat_disabled`: the administrator disabled the seat"),
              (status = 429, body = ApiError, description = "`too_many_attempts`: too many failed sign-ins for the seat or the address"))
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

/// Checks a login and password and opens a session: its token, when it expires, and the seat.
/// `None` for a wrong login or password, which take the same effort to refuse. Too many recent
/// failures for the seat or the address are refused (429) before the password is looked at.
/// Every attempt is in the audit log.
pub async fn open_session(
    state: &AppState,
    login: String,
    password: String,
    address: &str,
) -> Result<Option<(String, chrono::DateTime<chrono::Utc>, SeatView)>, ApiFailure> {
    let now = state.clock.now();
    let audit = |action: &'static str| {
        let record = Record::new(now, &login, action, format!("seat:{login}"), "", address);
        state.blocking(move |s| Ok(s.append_audit(&record)?))
    };
    if let Some(wait) = state.sign_ins.blocked(&login, address, now) {
        audit("session.throttled").await?;
        return Err(ApiFailure::new(
            ErrorCode::TooManyAttempts,
            format!(
                "too many failed sign-ins; try again in {} minute(s)",
                wait.num_minutes() + 1
            ),
        ));
    }
    let expires_at = now + state.session_ttl;
    let token = auth::new_token();
    let token_hash = auth::token_hash(&token);
    let attempt = login.clone();
    let seat = state
        .blocking(move |s| {
            let Some(creds) = s.seat_credentials(&attempt)? else {
                // Spend the time a real check would, so a wrong login looks like a wrong password.
                auth::verify_password(&password, dummy_hash());
                return Ok(None);
            };
            if !auth::verify_password(&password, &creds.password_hash) {
                return Ok(None);
            }
            if creds.disabled {
                return Ok(Some(Err(())));
            }
            s.create_session(creds.seat.id, &token_hash, now, expires_at)?;
            Ok(Some(Ok(creds.seat)))
        })
        .await?;
    match seat {
        // The right password for a seat the administrator disabled: said plainly, since only
        // its holder could have typed it.
        Some(Err(())) => {
            state.sign_ins.succeeded(&login);
            audit("session.refused_disabled").await?;
            Err(ApiFailure::seat_disabled())
        }
        Some(Ok(seat)) => {
            state.sign_ins.succeeded(&login);
            audit("session.signed_in").await?;
            Ok(Some((token, expires_at, seat)))
        }
        None => {
            state.sign_ins.failed(&login, address, now);
            audit("session.sign_in_failed").await?;
            Ok(None)
        }
    }
}

/// An argon2id hash of a random password nobody knows, for constant-effort failures.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| auth::hash_password(&auth::new_token()).unwrap_or_default())
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
