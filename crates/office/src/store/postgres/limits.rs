//! The limits several office processes share, in the database: the sign-in throttle (the same
//! rule as `throttle::SignInThrottle`: failures per seat and per address in a window) and each
//! seat's write limits (the same GCRA as `limits::WriteLimiter`: `burst` writes at once, then one
//! every `every`), so that a seat cannot double its allowance by landing on two processes. Each
//! check is one statement, atomic however many processes ask at once.

use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::GenericClient;

use super::PgError;
use super::prepared::Prepared;
use crate::limits::{Rate, WriteKind};
use crate::throttle::{PER_ADDRESS, PER_SEAT, window};

fn seat_subject(login: &str) -> String {
    format!("seat:{login}")
}

fn address_subject(address: &str) -> String {
    format!("address:{address}")
}

/// `Some(wait)` when the seat or the address must wait before trying to sign in again.
pub async fn sign_in_blocked(
    client: &impl GenericClient,
    login: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Option<Duration>, PgError> {
    let since = now - window();
    let mut wait = None;
    for (subject, limit) in [
        (seat_subject(login), PER_SEAT),
        (address_subject(address), PER_ADDRESS),
    ] {
        let row = client
            .query_one_prepared(
                "SELECT count(*), min(at) FROM sign_in_failures WHERE subject = $1 AND at > $2",
                &[&subject, &since],
            )
            .await?;
        let (count, first): (i64, Option<DateTime<Utc>>) = (row.get(0), row.get(1));
        if count as usize >= limit
            && let Some(first) = first
        {
            wait = wait.max(Some(first + window() - now));
        }
    }
    Ok(wait)
}

/// Counts a failed sign-in against the seat and the address.
pub async fn sign_in_failed(
    client: &impl GenericClient,
    login: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), PgError> {
    client
        .execute_prepared(
            "INSERT INTO sign_in_failures (subject, at) VALUES ($1, $3), ($2, $3)",
            &[&seat_subject(login), &address_subject(address), &now],
        )
        .await?;
    Ok(())
}

/// A successful sign-in clears the seat's failures (not the address's).
pub async fn sign_in_succeeded(client: &impl GenericClient, login: &str) -> Result<(), PgError> {
    client
        .execute_prepared(
            "DELETE FROM sign_in_failures WHERE subject = $1",
            &[&seat_subject(login)],
        )
        .await?;
    Ok(())
}

fn micros(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Counts one write of `kind` by the seat under `rate`, or says how long until it would be
/// allowed. The theoretical arrival time moves on only when the write is allowed.
pub async fn check_write(
    client: &impl GenericClient,
    seat_id: i64,
    kind: WriteKind,
    rate: Rate,
    now: DateTime<Utc>,
) -> Result<Result<(), std::time::Duration>, PgError> {
    let every = micros(rate.every.max(std::time::Duration::from_micros(1)));
    let tolerance = every.saturating_mul(i64::from(rate.burst.max(1)) - 1);
    let allowed = client
        .query_opt_prepared(
            "INSERT INTO write_allowance AS w (seat_id, kind, tat)
                 VALUES ($1, $2, $3::timestamptz + $4::bigint * interval '1 microsecond')
             ON CONFLICT (seat_id, kind) DO UPDATE
                 SET tat = greatest(w.tat, $3::timestamptz) + $4::bigint * interval '1 microsecond'
                 WHERE greatest(w.tat, $3::timestamptz) - $3::timestamptz
                       <= $5::bigint * interval '1 microsecond'
             RETURNING tat",
            &[&seat_id, &kind.as_str(), &now, &every, &tolerance],
        )
        .await?;
    if allowed.is_some() {
        return Ok(Ok(()));
    }
    let tat: DateTime<Utc> = client
        .query_one_prepared(
            "SELECT tat FROM write_allowance WHERE seat_id = $1 AND kind = $2",
            &[&seat_id, &kind.as_str()],
        )
        .await?
        .get(0);
    let wait = tat.max(now) - Duration::microseconds(tolerance) - now;
    Ok(Err(wait.to_std().unwrap_or_default()))
}

/// Forgets what no longer limits anyone: failures older than the window, and allowances back to
/// full. Returns how many rows went.
pub async fn forget_expired(
    client: &impl GenericClient,
    now: DateTime<Utc>,
) -> Result<u64, PgError> {
    let failures = client
        .execute_prepared(
            "DELETE FROM sign_in_failures WHERE at <= $1",
            &[&(now - window())],
        )
        .await?;
    let allowances = client
        .execute_prepared("DELETE FROM write_allowance WHERE tat <= $1", &[&now])
        .await?;
    Ok(failures + allowances)
}
