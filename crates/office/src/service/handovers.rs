//! Handing a seat over: the outgoing holder (or the administrator, for a holder who is gone)
//! starts it, the administrator approves or declines it, the outgoing holder sees the code once,
//! and the successor redeems it with a password of their own. Each step moves through the domain's
//! `HandoverState::apply` and writes its audit entry in the same [`HandoversTx`] transaction.

use chrono::{DateTime, Utc};
use liaison_domain::Role;
use liaison_domain::handover::{HANDOVER_CODE_HOURS, HandoverEvent, OutgoingData};
use liaison_domain::wire::{HandoverCode, HandoverView};

use crate::audit::Record;
use crate::auth;
use crate::store::{
    Actor, HandoverDecision, HandoversTx, NewHandover, RedeemOutcome, Store, StoreError,
    StoredDecision, StoredHandover,
};

/// Runs `f` in one handover transaction and hands back what it made.
fn in_handovers<T>(
    store: &dyn Store,
    mut f: impl FnMut(&mut dyn HandoversTx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let mut out = None;
    store.handing_over(&mut |tx| {
        out = Some(f(tx)?);
        Ok(())
    })?;
    out.ok_or_else(|| StoreError::Backend("the transaction made nothing".into()))
}

fn outgoing_name(o: OutgoingData) -> &'static str {
    match o {
        OutgoingData::KeepReadOnly => "keep_read_only",
        OutgoingData::Wipe => "wipe",
    }
}

fn audit_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Starts a handover of a department's seat; a seat has at most one under way.
pub fn start(
    store: &dyn Store,
    new: &NewHandover,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<HandoverView, StoreError> {
    let reason = checked_reason(new.reason.as_deref())?;
    in_handovers(store, |tx| {
        let seat = tx.seat(new.seat_id)?.ok_or(StoreError::NotFound)?;
        if !seat.role.may_hand_over_own_seat() {
            return Err(StoreError::Forbidden(
                "the editorial office's seats are handed over by the administrator directly",
            ));
        }
        if tx.has_open_handover(seat.id)? {
            return Err(StoreError::Conflict(
                "this seat already has a handover under way".into(),
            ));
        }
        let id = tx.insert_handover(&StoredHandover {
            seat_id: seat.id,
            forced: new.forced,
            outgoing_holder: &seat.holder_name,
            successor: &new.successor,
            requested_by: by.seat.id,
            requested_at: now,
            reason: reason.as_deref(),
        })?;
        let action = if new.forced {
            "handover.forced"
        } else {
            "handover.requested"
        };
        let detail = format!(
            "handover {id}: {} -> {} ({}, {}){}",
            seat.holder_name,
            new.successor.name,
            new.successor.staff_no,
            new.successor.phone,
            reason
                .as_deref()
                .map(|r| format!("; reason: {r}"))
                .unwrap_or_default()
        );
        tx.append_audit(&Record::new(
            now,
            &by.seat.login,
            action,
            format!("seat:{}", seat.login),
            detail,
            by.address,
        ))?;
        tx.handover(id)?.ok_or(StoreError::NotFound)
    })
}

/// The administrator approves a requested handover: a new one-time code for the successor,
/// valid for [`HANDOVER_CODE_HOURS`], shown to the outgoing holder once (to the administrator
/// only, for a forced handover), and what becomes of the outgoing holder's data.
pub fn approve(
    store: &dyn Store,
    id: i64,
    outgoing: OutgoingData,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<HandoverCode, StoreError> {
    only_the_administrator(by)?;
    let code = auth::handover_code();
    let expires_at = now + chrono::Duration::hours(HANDOVER_CODE_HOURS);
    let decision = HandoverDecision::Approve {
        outgoing,
        code_hash: auth::token_hash(&auth::normalized_code(&code)),
        code_plain: code.clone(),
        expires_at,
    };
    let view = decide(store, id, &decision, by, now)?;
    Ok(HandoverCode {
        handover_id: id,
        seat_login: view.seat_login,
        code,
        expires_at,
    })
}

/// The administrator declines a requested handover, with a reason if one is given: nothing
/// changes for the seat.
pub fn decline(
    store: &dyn Store,
    id: i64,
    reason: Option<&str>,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<HandoverView, StoreError> {
    only_the_administrator(by)?;
    let decision = HandoverDecision::Decline {
        reason: checked_reason(reason)?,
    };
    decide(store, id, &decision, by, now)
}

/// A handover's or a decline's reason, checked by the domain's rule.
fn checked_reason(reason: Option<&str>) -> Result<Option<String>, StoreError> {
    liaison_domain::handover::checked_reason(reason)
        .map_err(|problem| StoreError::Invalid(problem.to_string()))
}

fn only_the_administrator(by: &Actor<'_>) -> Result<(), StoreError> {
    if by.seat.role == Role::Admin {
        Ok(())
    } else {
        Err(StoreError::Forbidden(
            "only the administrator decides a handover",
        ))
    }
}

/// The decision itself, once [`approve`] or [`decline`] has made it.
fn decide(
    store: &dyn Store,
    id: i64,
    decision: &HandoverDecision,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<HandoverView, StoreError> {
    in_handovers(store, |tx| {
        let h = tx.handover(id)?.ok_or(StoreError::NotFound)?;
        let event = match decision {
            HandoverDecision::Approve { .. } => HandoverEvent::Approve,
            HandoverDecision::Decline { .. } => HandoverEvent::Decline,
        };
        let to = h.state.apply(event).map_err(|_| {
            StoreError::Conflict(format!(
                "the handover is {}, not waiting for a decision",
                h.state.as_str()
            ))
        })?;
        let (approved, reason) = match decision {
            HandoverDecision::Approve {
                outgoing,
                code_hash,
                code_plain,
                expires_at,
            } => (
                Some((
                    *outgoing,
                    code_hash.as_str(),
                    // A forced handover's outgoing holder is gone: the code is the
                    // administrator's only.
                    (!h.forced).then_some(code_plain.as_str()),
                    *expires_at,
                )),
                None,
            ),
            HandoverDecision::Decline { reason } => (None, reason.as_deref()),
        };
        tx.record_decision(
            id,
            &StoredDecision {
                state: to,
                by: by.seat.id,
                at: now,
                approved,
                reason,
            },
        )?;
        let (action, detail) = match (approved, reason) {
            (Some((outgoing, _, _, expires_at)), _) => (
                "handover.approved",
                format!(
                    "handover {id}; code valid until {}; outgoing data: {}",
                    audit_ts(expires_at),
                    outgoing_name(outgoing)
                ),
            ),
            (None, reason) => (
                "handover.declined",
                format!(
                    "handover {id}{}",
                    reason.map(|r| format!("; {r}")).unwrap_or_default()
                ),
            ),
        };
        tx.append_audit(&Record::new(
            now,
            &by.seat.login,
            action,
            format!("seat:{}", h.seat_login),
            detail,
            by.address,
        ))?;
        tx.handover(id)?.ok_or(StoreError::NotFound)
    })
}

/// The code of an approved handover, to its outgoing holder, once (`None` once shown).
pub fn take_code(
    store: &dyn Store,
    id: i64,
    by: &Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Option<HandoverCode>, StoreError> {
    in_handovers(store, |tx| {
        let h = tx.handover(id)?.ok_or(StoreError::NotFound)?;
        if h.seat_id != by.seat.id {
            return Err(StoreError::NotFound);
        }
        let Some(expires_at) = h.code_expires_at else {
            return Ok(None);
        };
        let Some(code) = tx.take_plain_code(id)? else {
            return Ok(None);
        };
        tx.append_audit(&Record::new(
            now,
            &by.seat.login,
            "handover.code_shown",
            format!("seat:{}", h.seat_login),
            format!("handover {id}: code shown to the outgoing holder"),
            by.address,
        ))?;
        Ok(Some(HandoverCode {
            handover_id: id,
            seat_login: h.seat_login,
            code,
            expires_at,
        }))
    })
}

/// The successor takes the seat with the code: the holder changes, the password is theirs, every
/// session of the seat ends (remembered as revoked, so old desks learn why) and theirs begins.
/// A refusal is an audit entry too.
#[allow(clippy::too_many_arguments)]
pub fn redeem(
    store: &dyn Store,
    login: &str,
    code_hash: &str,
    password_hash: &str,
    session: (&str, DateTime<Utc>),
    address: &str,
    now: DateTime<Utc>,
) -> Result<RedeemOutcome, StoreError> {
    in_handovers(store, |tx| {
        let refuse = |tx: &mut dyn HandoversTx, why: &str| {
            tx.append_audit(&Record::new(
                now,
                "-",
                "handover.code_refused",
                format!("seat:{login}"),
                why,
                address,
            ))
        };
        let Some(seat) = tx.seat_by_login(login)? else {
            refuse(tx, "no such seat")?;
            return Ok(RedeemOutcome::Invalid);
        };
        let Some(approved) = tx.approved_code(seat.id)? else {
            refuse(tx, "no approved handover")?;
            return Ok(RedeemOutcome::Invalid);
        };
        if approved.code_hash != code_hash {
            refuse(tx, "wrong code")?;
            return Ok(RedeemOutcome::Invalid);
        }
        let id = approved.handover_id;
        let h = tx.handover(id)?.ok_or(StoreError::NotFound)?;
        if approved.expires_at <= now {
            let expired = h
                .state
                .apply(HandoverEvent::Expire)
                .map_err(|e| StoreError::Conflict(e.to_string()))?;
            tx.expire_handover(id, expired)?;
            refuse(tx, "expired code")?;
            return Ok(RedeemOutcome::Expired);
        }
        let completed = h
            .state
            .apply(HandoverEvent::Redeem)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let revoked = tx.hand_seat_over(seat.id, id, &h.successor, password_hash, now)?;
        tx.open_session(seat.id, session.0, now, session.1)?;
        tx.complete_handover(id, completed, now)?;
        tx.append_audit(&Record::new(
            now,
            &seat.login,
            "handover.completed",
            format!("seat:{}", seat.login),
            format!(
                "handover {id}: {} -> {} ({}); {revoked} session(s) of the outgoing holder revoked",
                h.outgoing_holder, h.successor.name, h.successor.staff_no
            ),
            address,
        ))?;
        let seat = tx.seat(seat.id)?.ok_or(StoreError::NotFound)?;
        Ok(RedeemOutcome::Done(seat))
    })
}
