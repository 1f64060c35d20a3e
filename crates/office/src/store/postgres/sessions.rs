//! Sessions on PostgreSQL: whether the office has any seat yet, a seat's credentials for
//! sign-in, opening, finding and ending sessions, and why a session that no longer signs in
//! ended (a handover or a disabled seat). The same reads and writes as the SQLite store's.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use liaison_domain::SeatView;
use liaison_domain::handover::OutgoingData;

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{SEAT_SELECT, seat_from_row};
use crate::store::{SeatCredentials, SessionEnd, StoreError};

pub(super) fn is_empty(bridge: &PgBridge) -> Result<bool, StoreError> {
    bridge.call(|c| async move {
        let n: i64 = c
            .query_one_prepared("SELECT count(*) FROM seats", &[])
            .await?
            .try_get(0)?;
        Ok(n == 0)
    })
}

pub(super) fn seat_credentials(
    bridge: &PgBridge,
    login: &str,
) -> Result<Option<SeatCredentials>, StoreError> {
    let login = login.to_owned();
    bridge.call(move |c| async move {
        c.query_opt_prepared(&format!("{SEAT_SELECT} WHERE s.login = $1"), &[&login])
            .await?
            .map(|row| seat_from_row(&row))
            .transpose()
    })
}

pub(super) fn create_session(
    bridge: &PgBridge,
    seat_id: i64,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let token_hash = token_hash.to_owned();
    bridge.call(move |c| async move {
        // Two statements, as on SQLite: sweeping expired sessions races harmlessly with another
        // process doing the same, and a token is the random one just made.
        c.execute_prepared("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
            .await?;
        c.execute_prepared(
            "INSERT INTO sessions (token_hash, seat_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
            &[&token_hash, &seat_id, &now, &expires_at],
        )
        .await?;
        Ok(())
    })
}

pub(super) fn session_seat(
    bridge: &PgBridge,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SeatView>, StoreError> {
    let token_hash = token_hash.to_owned();
    bridge.call(move |c| async move {
        let found = c
            .query_opt_prepared(
                &format!(
                    "{SEAT_SELECT} JOIN sessions x ON x.seat_id = s.id
                     WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.disabled_at IS NULL"
                ),
                &[&token_hash, &now],
            )
            .await?
            .map(|row| seat_from_row(&row))
            .transpose()?;
        Ok(found.map(|credentials| credentials.seat))
    })
}

pub(super) fn delete_session(bridge: &PgBridge, token_hash: &str) -> Result<(), StoreError> {
    let token_hash = token_hash.to_owned();
    bridge.call(move |c| async move {
        c.execute_prepared("DELETE FROM sessions WHERE token_hash = $1", &[&token_hash])
            .await?;
        Ok(())
    })
}

/// A session a handover ended: what the outgoing workstation is to do with its data.
pub(super) async fn revoked(
    c: &impl GenericClient,
    token_hash: &str,
) -> Result<Option<OutgoingData>, StoreError> {
    let found = c
        .query_opt_prepared(
            "SELECT h.outgoing_data FROM revoked_sessions r JOIN handovers h ON h.id = r.handover_id
             WHERE r.token_hash = $1",
            &[&token_hash],
        )
        .await?;
    found
        .map(|row| {
            Ok(match row.try_get::<_, &str>(0)? {
                "wipe" => OutgoingData::Wipe,
                _ => OutgoingData::KeepReadOnly,
            })
        })
        .transpose()
}

pub(super) fn ended_session(
    bridge: &PgBridge,
    token_hash: &str,
) -> Result<Option<SessionEnd>, StoreError> {
    let token_hash = token_hash.to_owned();
    bridge.call(move |c| async move {
        if let Some(outgoing) = revoked(&c, &token_hash).await? {
            return Ok(Some(SessionEnd::HandedOver(outgoing)));
        }
        let disabled: Option<bool> = c
            .query_opt_prepared(
                "SELECT s.disabled_at IS NOT NULL FROM sessions x JOIN seats s ON s.id = x.seat_id
                 WHERE x.token_hash = $1",
                &[&token_hash],
            )
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        Ok((disabled == Some(true)).then_some(SessionEnd::SeatDisabled))
    })
}
