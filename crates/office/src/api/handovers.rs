//! Handing a seat to a successor: the outgoing holder (or, when the holder is gone, the
//! administrator) starts it, the administrator approves or declines it, and the successor
//! redeems the one-time code with a new password. Also the seats' holder history and the audit
//! log.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use liaison_domain::handover::{Holder, check_password};
use liaison_domain::wire::{
    ApiError, ApproveHandoverRequest, AuditEntry, DeclineHandoverRequest, ErrorCode, HandoverCode,
    HandoverView, RedeemHandoverRequest, SignInResponse, StartHandoverRequest,
};
use liaison_domain::{Role, SeatView};
use serde::Deserialize;

use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, ApiResult, AppState, Caller, ClientAddress};
use crate::auth;
use crate::service;
use crate::store::{Actor, NewHandover, RedeemOutcome, SeatCodeOutcome};

/// Start a handover: the outgoing holder for their own seat, or the administrator for a seat
/// whose holder is gone (`seat_id`; a forced handover). The office's admins see it at once.
#[utoipa::path(
    post, path = "/api/v1/handovers", request_body = StartHandoverRequest,
    responses((status = 201, body = HandoverView, description = "requested"),
              (status = 403, body = ApiError, description = "a forced handover is the administrator's; an office seat hands over no seat"),
              (status = 404, body = ApiError, description = "no such seat"),
              (status = 409, body = ApiError, description = "the seat has a handover under way")),
    security(("bearer" = []))
)]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<StartHandoverRequest>,
) -> Result<(StatusCode, Json<HandoverView>), ApiFailure> {
    let successor = req
        .successor
        .checked()
        .map_err(|p| ApiFailure::validation(p.to_string()))?;
    let role = caller.0.role;
    let (seat_id, forced) = match req.seat_id {
        Some(_) if !role.may_force_handover() => {
            return Err(ApiFailure::forbidden(
                "only the administrator hands over a seat other than one's own",
            ));
        }
        Some(id) => (id, true),
        // Whether this seat may be handed over at all is the service's to say.
        None => (caller.0.id, false),
    };
    let new = NewHandover {
        seat_id,
        successor,
        forced,
        reason: req
            .reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
    };
    let now = state.clock.now();
    let view = state
        .blocking(move |s| {
            let by = Actor {
                seat: &caller.0,
                address: &address,
            };
            Ok(crate::service::handovers::start(s, &new, &by, now)?)
        })
        .await?;
    tracing::info!(seat = %view.seat_login, forced, "handover requested");
    Ok((StatusCode::CREATED, Json(view)))
}

/// Handovers: all of them for the office, the seat's own for a department's seat.
#[utoipa::path(
    get, path = "/api/v1/handovers", operation_id = "list_handovers",
    responses((status = 200, body = Vec<HandoverView>, description = "handovers, newest first")),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Vec<HandoverView>> {
    let seat = (!caller.0.role.is_office()).then_some(caller.0.id);
    Ok(Json(state.blocking(move |s| Ok(s.handovers(seat)?)).await?))
}

/// Approve a requested handover: the answer carries the one-time code, shown this once.
#[utoipa::path(
    post, path = "/api/v1/handovers/{id}/approve", operation_id = "approve_handover",
    params(("id" = i64, Path, description = "the handover")),
    request_body = ApproveHandoverRequest,
    responses((status = 200, body = HandoverCode, description = "approved: the one-time code, shown this once"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such handover"),
              (status = 409, body = ApiError, description = "the handover is not waiting for a decision")),
    security(("bearer" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<ApproveHandoverRequest>,
) -> ApiResult<HandoverCode> {
    let now = state.clock.now();
    let code = state
        .blocking(move |s| {
            Ok(service::handovers::approve(
                s,
                id,
                req.outgoing,
                &caller.actor(),
                now,
            )?)
        })
        .await?;
    tracing::info!(seat = %code.seat_login, "handover approved");
    Ok(Json(code))
}

/// Decline a requested handover: nothing changes for the seat.
#[utoipa::path(
    post, path = "/api/v1/handovers/{id}/decline", operation_id = "decline_handover",
    params(("id" = i64, Path, description = "the handover")),
    request_body = DeclineHandoverRequest,
    responses((status = 200, body = HandoverView, description = "declined"),
              (status = 403, body = ApiError, description = "the administrator only"),
              (status = 404, body = ApiError, description = "no such handover"),
              (status = 409, body = ApiError, description = "the handover is not waiting for a decision")),
    security(("bearer" = []))
)]
pub async fn decline(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<DeclineHandoverRequest>,
) -> ApiResult<HandoverView> {
    let now = state.clock.now();
    Ok(Json(
        state
            .blocking(move |s| {
                Ok(service::handovers::decline(
                    s,
                    id,
                    req.reason.as_deref(),
                    &caller.actor(),
                    now,
                )?)
            })
            .await?,
    ))
}

/// The outgoing holder's one look at the approved handover's code (404 once shown).
#[utoipa::path(
    get, path = "/api/v1/handovers/{id}/code",
    params(("id" = i64, Path, description = "the handover")),
    responses((status = 200, body = HandoverCode, description = "the one-time code, this once"),
              (status = 403, body = ApiError, description = "not the outgoing holder"),
              (status = 404, body = ApiError, description = "no such approved handover, or its code was shown")),
    security(("bearer" = []))
)]
pub async fn code(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddress(address): ClientAddress,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<HandoverCode> {
    let now = state.clock.now();
    let code = state
        .blocking(move |s| {
            let by = Actor {
                seat: &caller.0,
                address: &address,
            };
            Ok(crate::service::handovers::take_code(s, id, &by, now)?)
        })
        .await?
        .ok_or_else(|| ApiFailure::not_found("handover code (it is shown once)"))?;
    Ok(Json(code))
}

/// The holder of a one-time code chooses a password with it and is signed in: the successor of a
/// handover (every session of the outgoing holder ends at this moment), or the holder of a new
/// seat or of a seat whose password the administrator reset. Answers like a sign-in.
#[utoipa::path(
    post, path = "/api/v1/handovers/redeem", request_body = RedeemHandoverRequest,
    responses((status = 201, body = SignInResponse, description = "the seat is the successor's: a session, as a sign-in answers"),
              (status = 422, body = ApiError, description = "`weak_password`, `handover_code_invalid` or `handover_code_expired`"),
              (status = 429, body = ApiError, description = "`too_many_attempts`; `Retry-After` says when the next attempt is taken"))
)]
pub async fn redeem(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(req): ApiJson<RedeemHandoverRequest>,
) -> Result<(StatusCode, Json<SignInResponse>), ApiFailure> {
    let login = req.login.trim().to_owned();
    let now = state.clock.now();
    let blocked = {
        let (login, address) = (login.clone(), address.clone());
        state
            .with_sign_ins(move |t| t.blocked(&login, &address, now))
            .await?
    };
    if let Some(wait) = blocked {
        return Err(ApiFailure::too_many_attempts(wait));
    }
    check_password(&login, &req.new_password)
        .map_err(|p| ApiFailure::new(ErrorCode::WeakPassword, p.to_string()))?;
    let password = req.new_password;
    let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiFailure::internal(e.to_string()))?
        .map_err(|e| ApiFailure::internal(e.to_string()))?;
    let code_hash = auth::token_hash(&auth::normalized_code(&req.code));
    let token = auth::new_token();
    let token_hash = auth::token_hash(&token);
    let expires_at = now + state.session_ttl;
    let (attempt, at) = (login.clone(), address.clone());
    let outcome = state
        .blocking(move |s| {
            // A seat's own one-time code (a new seat, a reset password) first; else a handover's.
            let own = s.redeem_seat_code(
                &attempt,
                &code_hash,
                &password_hash,
                (&token_hash, expires_at),
                &at,
                now,
            )?;
            Ok(match own {
                SeatCodeOutcome::NoCode => match crate::service::handovers::redeem(
                    s,
                    &attempt,
                    &code_hash,
                    &password_hash,
                    (&token_hash, expires_at),
                    &at,
                    now,
                )? {
                    RedeemOutcome::Done(seat) => SeatCodeOutcome::Done(seat),
                    RedeemOutcome::Invalid => SeatCodeOutcome::Invalid,
                    RedeemOutcome::Expired => SeatCodeOutcome::Expired,
                },
                own => own,
            })
        })
        .await?;
    let seat: SeatView = match outcome {
        SeatCodeOutcome::Done(seat) => seat,
        SeatCodeOutcome::Disabled => return Err(ApiFailure::seat_disabled()),
        SeatCodeOutcome::Invalid | SeatCodeOutcome::Expired | SeatCodeOutcome::NoCode => {
            let (login, address) = (login.clone(), address.clone());
            state
                .with_sign_ins(move |t| t.failed(&login, &address, now))
                .await?;
            return Err(if matches!(outcome, SeatCodeOutcome::Expired) {
                ApiFailure::new(
                    ErrorCode::HandoverCodeExpired,
                    "the one-time code has expired; ask the office for a new one",
                )
            } else {
                ApiFailure::new(
                    ErrorCode::HandoverCodeInvalid,
                    "the seat and the one-time code do not match",
                )
            });
        }
    };
    state.changes.send_modify(|n| *n += 1);
    tracing::info!(seat = %seat.login, "seat handed over");
    Ok((
        StatusCode::CREATED,
        Json(SignInResponse {
            token,
            expires_at,
            seat,
        }),
    ))
}

/// Every seat with its holder now; the office only.
#[utoipa::path(
    get, path = "/api/v1/seats",
    responses((status = 200, body = Vec<SeatView>, description = "every seat"),
              (status = 403, body = ApiError, description = "the editorial office only")),
    security(("bearer" = []))
)]
pub async fn seats(State(state): State<AppState>, caller: Caller) -> ApiResult<Vec<SeatView>> {
    caller.require_office()?;
    Ok(Json(state.blocking(|s| Ok(s.seats()?)).await?))
}

/// Who held a seat when: its own holder or the office.
#[utoipa::path(
    get, path = "/api/v1/seats/{id}/holders",
    params(("id" = i64, Path, description = "the seat")),
    responses((status = 200, body = Vec<Holder>, description = "who held the seat when"),
              (status = 404, body = ApiError, description = "no such seat, or not the caller's")),
    security(("bearer" = []))
)]
pub async fn holders(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Vec<Holder>> {
    if !caller.0.role.is_office() && caller.0.id != id {
        return Err(ApiFailure::not_found("seat"));
    }
    Ok(Json(state.blocking(move |s| Ok(s.holders(id)?)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 1-1000, default 200.
    pub limit: Option<u32>,
}

/// The newest audit entries; the administrator only.
#[utoipa::path(
    get, path = "/api/v1/audit",
    params(AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>, description = "the newest entries, newest first"),
              (status = 403, body = ApiError, description = "the administrator only")),
    security(("bearer" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Vec<AuditEntry>> {
    caller.require_role(Role::Admin)?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    Ok(Json(
        state.blocking(move |s| Ok(s.audit_entries(limit)?)).await?,
    ))
}
