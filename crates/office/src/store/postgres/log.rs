//! The office's two append-only logs on PostgreSQL, where several processes append at once.
//!
//! **The change log.** Desks read it by cursor (`seq > since`). A sequence hands out numbers in
//! the order transactions ask, not the order they commit, so a reader could see seq 11 committed
//! while 10 is still to come, move its cursor past 10 and never see it. [`append_change`]
//! therefore takes a transaction-scoped advisory lock before it draws its number: the next
//! appender waits until this transaction ends, so numbers become visible in order and a cursor
//! never skips one. The lock is held until the transaction ends: append a change last.
//! Each append also notifies `liaison_changes` with its number, delivered at commit to every
//! office process listening ([`listen_for_changes`]), so a desk long-polling one process wakes
//! when another commits.
//!
//! **The audit chain.** Each entry's hash covers the one before, so appends are serialised the
//! same way, and [`verify_audit`] checks the chain as `admin verify-audit` does on SQLite.

use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use futures_util::StreamExt;
use liaison_domain::wire::Change;
use tokio_postgres::{AsyncMessage, NoTls};

use super::PgError;
use super::prepared::Prepared;
use crate::audit::{self, ChainBreak, Record};
use crate::store::Audience;

/// The advisory lock the change log's appenders take turns on ("LIAISONC").
const CHANGE_LOCK: i64 = 0x4C49_4149_534F_4E43;
/// The advisory lock the audit chain's appenders take turns on ("LIAISONA").
const AUDIT_LOCK: i64 = 0x4C49_4149_534F_4E41;
/// The channel a committed change is announced on; its payload is the change's `seq`.
pub const CHANGES_CHANNEL: &str = "liaison_changes";

/// Appends a change for a department's desks (and the office's, for `Audience::All`) inside the
/// transaction `tx` holds open; its `seq` is visible to readers only after every smaller one.
pub async fn append_change(
    tx: &impl GenericClient,
    department_id: i64,
    change: &Change,
    audience: Audience,
) -> Result<i64, PgError> {
    tx.execute_prepared("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_LOCK])
        .await?;
    let payload = serde_json::to_value(&change.kind).map_err(|e| PgError::Pool(e.to_string()))?;
    let seq: i64 = tx
        .query_one_prepared(
            "INSERT INTO changes (department_id, at, payload, audience)
             VALUES ($1, $2, $3, $4) RETURNING seq",
            &[&department_id, &change.at, &payload, &audience.as_str()],
        )
        .await?
        .get(0);
    tx.execute_prepared(
        "SELECT pg_notify($1, $2)",
        &[&CHANGES_CHANNEL, &seq.to_string()],
    )
    .await?;
    Ok(seq)
}

/// The change numbers after `since`, oldest first, at most `limit` (the cursor's view of the log).
pub async fn change_seqs_since(
    client: &impl GenericClient,
    since: i64,
    limit: i64,
) -> Result<Vec<i64>, PgError> {
    Ok(client
        .query_prepared(
            "SELECT seq FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&since, &limit],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Appends an audit entry inside the transaction `tx` holds open, chained to the one before it.
pub async fn append_audit(tx: &impl GenericClient, record: &Record) -> Result<(), PgError> {
    tx.execute_prepared("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
        .await?;
    let last = tx
        .query_opt_prepared(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            &[],
        )
        .await?;
    let (prev_seq, prev_hash): (i64, String) = match last {
        Some(row) => (row.get(0), row.get(1)),
        None => (0, audit::GENESIS.to_owned()),
    };
    let seq = prev_seq + 1;
    let hash = audit::chain_hash(&prev_hash, seq, record);
    tx.execute_prepared(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, address, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &seq,
            &record.at,
            &record.actor,
            &record.action,
            &record.subject,
            &record.detail,
            &record.address,
            &prev_hash,
            &hash,
        ],
    )
    .await?;
    Ok(())
}

/// Checks the whole audit chain: the number of entries, or where it breaks.
pub async fn verify_audit(client: &impl GenericClient) -> Result<Result<u64, ChainBreak>, PgError> {
    let rows = client
        .query_prepared(
            "SELECT seq, prev_hash, hash, at, actor, action, subject, detail, address
             FROM audit_log ORDER BY seq",
            &[],
        )
        .await?;
    let entries: Vec<(i64, String, String, Record)> = rows
        .iter()
        .map(|r| {
            let at: DateTime<Utc> = r.get(3);
            (
                r.get(0),
                r.get(1),
                r.get(2),
                Record {
                    at,
                    actor: r.get(4),
                    action: r.get(5),
                    subject: r.get(6),
                    detail: r.get(7),
                    address: r.get(8),
                },
            )
        })
        .collect();
    Ok(audit::verify(entries.iter().map(
        |(seq, prev, hash, record)| (*seq, prev.as_str(), hash.as_str(), record),
    )))
}

/// Listens for committed changes on its own connection to `url` and calls `on_change` with each
/// one's `seq`, for as long as the returned task runs. A lost connection is made again (with a
/// pause that grows to 5 s), and `on_change(None)` is called then: changes may have committed
/// meanwhile, so whoever waits should look.
pub fn listen_for_changes(
    url: String,
    on_change: impl Fn(Option<i64>) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut pause = Duration::from_millis(200);
        loop {
            match listen_once(&url, &on_change).await {
                Ok(()) => pause = Duration::from_millis(200),
                Err(e) => {
                    tracing::warn!(error = %e, "listening for changes failed; trying again in {pause:?}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
            }
            on_change(None);
        }
    })
}

/// One connection's worth of listening; returns when the connection ends.
async fn listen_once(url: &str, on_change: &impl Fn(Option<i64>)) -> Result<(), PgError> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| PgError::BadAddress(e.to_string()))?;
    let (client, mut connection) = config.connect(NoTls).await?;
    let (sender, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            match message {
                Ok(m) => {
                    if sender.send(m).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the change listener's connection ended");
                    break;
                }
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await?;
    // Listening from now on: whatever committed before is for the caller to read.
    on_change(None);
    while let Some(message) = messages.recv().await {
        if let AsyncMessage::Notification(n) = message
            && n.channel() == CHANGES_CHANNEL
        {
            on_change(n.payload().parse().ok());
        }
    }
    driver.abort();
    Ok(())
}
