//! Handovers, holders and the audit log's reading on PostgreSQL: the SQL behind the
//! [`Store`](crate::store::Store) methods of the same names and the handovers' transaction
//! ([`HandoversTx`]), as the SQLite store's `handover.rs` (appending to and checking the audit
//! chain are `log.rs`'s). The steps and their rules are `service::handovers`.
//!
//! SQLite runs one writer at a time, so a handover transaction's reads held until it ended. Here
//! several processes may work on one handover at once, so the transaction's reads of a handover
//! lock its row (`FOR UPDATE`): a second decision, code taking or redemption of the same handover
//! waits for the first to commit and then sees what it did. A second open handover for one seat
//! is refused by the unique index `handovers_one_open`.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use liaison_domain::SeatView;
use liaison_domain::handover::{HandoverState, Holder, OutgoingData, Successor};
use liaison_domain::wire::{AuditEntry, HandoverView};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{SEAT_SELECT, bad_value, seat_from_row};
use super::transaction::PgTx;
use crate::store::{ApprovedCode, HandoversTx, StoreError, StoredDecision, StoredHandover};

/// What [`handover_from_row`] reads, in its order.
const HANDOVER_SELECT: &str = "SELECT h.id, h.seat_id, s.login, coalesce(d.name, ''), h.state,
        h.forced, h.outgoing_holder, h.successor_name, h.successor_staff_no, h.successor_phone,
        rq.login, h.requested_at, h.reason, dc.login, h.decided_at, h.code_expires_at,
        h.completed_at, h.outgoing_data
     FROM handovers h
     JOIN seats s ON s.id = h.seat_id
     LEFT JOIN departments d ON d.id = s.department_id
     JOIN seats rq ON rq.id = h.requested_by
     LEFT JOIN seats dc ON dc.id = h.decided_by";

/// The unique index that keeps a seat to one handover requested or approved.
const ONE_OPEN: &str = "handovers_one_open";

fn outgoing_of(s: &str) -> OutgoingData {
    match s {
        "wipe" => OutgoingData::Wipe,
        _ => OutgoingData::KeepReadOnly,
    }
}

fn outgoing_str(o: OutgoingData) -> &'static str {
    match o {
        OutgoingData::KeepReadOnly => "keep_read_only",
        OutgoingData::Wipe => "wipe",
    }
}

fn handover_from_row(r: &Row) -> Result<HandoverView, StoreError> {
    let state: &str = r.try_get(4)?;
    Ok(HandoverView {
        id: r.try_get(0)?,
        seat_id: r.try_get(1)?,
        seat_login: r.try_get(2)?,
        department: r.try_get(3)?,
        state: HandoverState::parse(state).ok_or_else(|| bad_value("handover state", state))?,
        forced: r.try_get(5)?,
        outgoing_holder: r.try_get(6)?,
        successor: Successor {
            name: r.try_get(7)?,
            staff_no: r.try_get(8)?,
            phone: r.try_get(9)?,
        },
        requested_by: r.try_get(10)?,
        requested_at: r.try_get(11)?,
        reason: r.try_get(12)?,
        decided_by: r.try_get(13)?,
        decided_at: r.try_get(14)?,
        code_expires_at: r.try_get(15)?,
        completed_at: r.try_get(16)?,
        outgoing: outgoing_of(r.try_get::<_, &str>(17)?),
    })
}

/// The handover `id`; `lock`: its row locked until the transaction ends.
async fn handover_in(
    c: &impl GenericClient,
    id: i64,
    lock: bool,
) -> Result<Option<HandoverView>, StoreError> {
    let lock = if lock { " FOR UPDATE OF h" } else { "" };
    c.query_opt_prepared(&format!("{HANDOVER_SELECT} WHERE h.id = $1{lock}"), &[&id])
        .await?
        .map(|r| handover_from_row(&r))
        .transpose()
}

async fn seat_by_id(c: &impl GenericClient, id: i64) -> Result<Option<SeatView>, StoreError> {
    c.query_opt_prepared(&format!("{SEAT_SELECT} WHERE s.id = $1"), &[&id])
        .await?
        .map(|r| seat_from_row(&r).map(|s| s.seat))
        .transpose()
}

async fn seat_by_login(
    c: &impl GenericClient,
    login: &str,
) -> Result<Option<SeatView>, StoreError> {
    c.query_opt_prepared(&format!("{SEAT_SELECT} WHERE s.login = $1"), &[&login])
        .await?
        .map(|r| seat_from_row(&r).map(|s| s.seat))
        .transpose()
}

/// The newest entries the office's administrators may read: every one except those about an item
/// that has not left its department (before sign-off the office learns nothing of an item), newest
/// first. The chain itself (`log::verify_audit`) covers them all.
pub(super) fn audit_entries(bridge: &PgBridge, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = i64::from(limit);
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                "SELECT a.seq, a.at, a.actor, a.action, a.subject, a.detail, a.address, a.hash
                 FROM audit_log a
                 WHERE NOT (a.subject LIKE 'item:%' AND EXISTS (
                     SELECT 1 FROM items i
                     WHERE i.receipt = substr(a.subject, 6) AND i.waiting_since IS NULL))
                 ORDER BY a.seq DESC LIMIT $1",
                &[&limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    subject: r.try_get(4)?,
                    detail: r.try_get(5)?,
                    address: r.try_get(6)?,
                    hash: r.try_get(7)?,
                })
            })
            .collect()
    })
}

/// The seat's holders, first first.
pub(super) fn holders(bridge: &PgBridge, seat_id: i64) -> Result<Vec<Holder>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                "SELECT name, staff_no, phone, from_at, until_at FROM holders
                 WHERE seat_id = $1 ORDER BY id",
                &[&seat_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Holder {
                    name: r.try_get(0)?,
                    staff_no: r.try_get(1)?,
                    phone: r.try_get(2)?,
                    from: r.try_get(3)?,
                    until: r.try_get(4)?,
                })
            })
            .collect()
    })
}

/// Every seat, by department (the office's own seats, which have none, first, as SQLite sorts a
/// NULL), then by id.
pub(super) fn seats(bridge: &PgBridge) -> Result<Vec<SeatView>, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared(
                &format!("{SEAT_SELECT} ORDER BY s.department_id NULLS FIRST, s.id"),
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| seat_from_row(r).map(|s| s.seat))
            .collect()
    })
}

pub(super) fn handover(bridge: &PgBridge, id: i64) -> Result<Option<HandoverView>, StoreError> {
    bridge.call(move |c| async move { handover_in(&c, id, false).await })
}

/// Every handover (of one seat), newest first.
pub(super) fn handovers(
    bridge: &PgBridge,
    seat_id: Option<i64>,
) -> Result<Vec<HandoverView>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                &format!(
                    "{HANDOVER_SELECT} WHERE $1::bigint IS NULL OR h.seat_id = $1
                     ORDER BY h.id DESC"
                ),
                &[&seat_id],
            )
            .await?;
        rows.iter().map(handover_from_row).collect()
    })
}

impl HandoversTx for PgTx<'_> {
    /// Locks the handover's row until the transaction ends: the service decides from what it
    /// reads here, and another process must not change the handover meanwhile.
    fn handover(&self, id: i64) -> Result<Option<HandoverView>, StoreError> {
        self.handle
            .run(move |c| async move { handover_in(&*c, id, true).await })
    }

    fn seat(&self, id: i64) -> Result<Option<SeatView>, StoreError> {
        self.handle
            .run(move |c| async move { seat_by_id(&*c, id).await })
    }

    fn seat_by_login(&self, login: &str) -> Result<Option<SeatView>, StoreError> {
        let login = login.to_owned();
        self.handle
            .run(move |c| async move { seat_by_login(&*c, &login).await })
    }

    fn has_open_handover(&self, seat_id: i64) -> Result<bool, StoreError> {
        self.handle.run(move |c| async move {
            Ok(c.query_opt_prepared(
                "SELECT 1 FROM handovers WHERE seat_id = $1 AND state IN ('requested', 'approved')
                 LIMIT 1",
                &[&seat_id],
            )
            .await?
            .is_some())
        })
    }

    /// [`has_open_handover`](HandoversTx::has_open_handover) answers for what has committed; two
    /// processes may both find no open handover and both insert one. The unique index
    /// `handovers_one_open` lets only one through: the other's insert fails with a unique
    /// violation, reported as the same `Conflict` the service gives when it finds a handover
    /// under way (`service::handovers::start`).
    fn insert_handover(&mut self, h: &StoredHandover<'_>) -> Result<i64, StoreError> {
        let (seat_id, forced, requested_by, requested_at) =
            (h.seat_id, h.forced, h.requested_by, h.requested_at);
        let outgoing_holder = h.outgoing_holder.to_owned();
        let successor = h.successor.clone();
        let reason = h.reason.map(str::to_owned);
        self.handle.run(move |c| async move {
            let inserted = c
                .query_one_prepared(
                    "INSERT INTO handovers (seat_id, state, forced, outgoing_holder, successor_name,
                                            successor_staff_no, successor_phone, requested_by,
                                            requested_at, reason)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     RETURNING id",
                    &[
                        &seat_id,
                        &HandoverState::Requested.as_str(),
                        &forced,
                        &outgoing_holder,
                        &successor.name,
                        &successor.staff_no,
                        &successor.phone,
                        &requested_by,
                        &requested_at,
                        &reason,
                    ],
                )
                .await;
            match inserted {
                Ok(row) => Ok(row.try_get(0)?),
                Err(e)
                    if e.code() == Some(&SqlState::UNIQUE_VIOLATION)
                        && e.as_db_error().and_then(|d| d.constraint()) == Some(ONE_OPEN) =>
                {
                    Err(StoreError::Conflict(
                        "this seat already has a handover under way".into(),
                    ))
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn record_decision(&mut self, id: i64, d: &StoredDecision<'_>) -> Result<(), StoreError> {
        let (state, by, at) = (d.state.as_str(), d.by, d.at);
        match d.approved {
            Some((outgoing, code_hash, code_plain, expires_at)) => {
                let outgoing = outgoing_str(outgoing);
                let code_hash = code_hash.to_owned();
                let code_plain = code_plain.map(str::to_owned);
                self.handle.run(move |c| async move {
                    c.execute_prepared(
                        "UPDATE handovers SET state = $8, decided_by = $1, decided_at = $2,
                                outgoing_data = $3, code_hash = $4, code_plain = $5,
                                code_expires_at = $6
                         WHERE id = $7",
                        &[
                            &by,
                            &at,
                            &outgoing,
                            &code_hash,
                            &code_plain,
                            &expires_at,
                            &id,
                            &state,
                        ],
                    )
                    .await?;
                    Ok(())
                })
            }
            None => {
                let reason = d.reason.map(str::to_owned);
                self.handle.run(move |c| async move {
                    c.execute_prepared(
                        "UPDATE handovers SET state = $5, decided_by = $1, decided_at = $2,
                                reason = coalesce($3, reason)
                         WHERE id = $4",
                        &[&by, &at, &reason, &id, &state],
                    )
                    .await?;
                    Ok(())
                })
            }
        }
    }

    /// The row is locked as it is read: a second reader at the same time waits, then finds the
    /// code gone, so the code is shown once.
    fn take_plain_code(&mut self, id: i64) -> Result<Option<String>, StoreError> {
        self.handle.run(move |c| async move {
            let plain: Option<String> = match c
                .query_opt_prepared(
                    "SELECT code_plain FROM handovers WHERE id = $1 AND state = 'approved'
                     FOR UPDATE",
                    &[&id],
                )
                .await?
            {
                Some(row) => row.try_get(0)?,
                None => None,
            };
            if plain.is_some() {
                c.execute_prepared(
                    "UPDATE handovers SET code_plain = NULL WHERE id = $1",
                    &[&id],
                )
                .await?;
            }
            Ok(plain)
        })
    }

    /// The row is locked as it is read: a second redemption at the same time waits, then finds
    /// the handover no longer approved.
    fn approved_code(&self, seat_id: i64) -> Result<Option<ApprovedCode>, StoreError> {
        self.handle.run(move |c| async move {
            c.query_opt_prepared(
                "SELECT id, code_hash, code_expires_at FROM handovers
                 WHERE seat_id = $1 AND state = 'approved'
                 FOR UPDATE",
                &[&seat_id],
            )
            .await?
            .map(|r| {
                Ok(ApprovedCode {
                    handover_id: r.try_get(0)?,
                    code_hash: r.try_get(1)?,
                    expires_at: r.try_get(2)?,
                })
            })
            .transpose()
        })
    }

    fn expire_handover(&mut self, id: i64, state: HandoverState) -> Result<(), StoreError> {
        let state = state.as_str();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "UPDATE handovers SET state = $2, code_plain = NULL WHERE id = $1",
                &[&id, &state],
            )
            .await?;
            Ok(())
        })
    }

    fn hand_seat_over(
        &mut self,
        seat_id: i64,
        handover_id: i64,
        successor: &Successor,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let successor = successor.clone();
        let password_hash = password_hash.to_owned();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "UPDATE holders SET until_at = $1 WHERE seat_id = $2 AND until_at IS NULL",
                &[&at, &seat_id],
            )
            .await?;
            c.execute_prepared(
                "INSERT INTO holders (seat_id, name, staff_no, phone, from_at)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &seat_id,
                    &successor.name,
                    &successor.staff_no,
                    &successor.phone,
                    &at,
                ],
            )
            .await?;
            c.execute_prepared(
                "UPDATE seats SET holder_name = $1, password_hash = $2 WHERE id = $3",
                &[&successor.name, &password_hash, &seat_id],
            )
            .await?;
            let revoked = c
                .execute_prepared(
                    "INSERT INTO revoked_sessions (token_hash, seat_id, handover_id, revoked_at)
                     SELECT token_hash, seat_id, $1::bigint, $2::timestamptz
                     FROM sessions WHERE seat_id = $3",
                    &[&handover_id, &at, &seat_id],
                )
                .await?;
            c.execute_prepared("DELETE FROM sessions WHERE seat_id = $1", &[&seat_id])
                .await?;
            usize::try_from(revoked)
                .map_err(|_| StoreError::Backend(format!("{revoked} sessions revoked")))
        })
    }

    fn open_session(
        &mut self,
        seat_id: i64,
        token_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let token_hash = token_hash.to_owned();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "INSERT INTO sessions (token_hash, seat_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[&token_hash, &seat_id, &at, &expires_at],
            )
            .await?;
            Ok(())
        })
    }

    fn complete_handover(
        &mut self,
        id: i64,
        state: HandoverState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let state = state.as_str();
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "UPDATE handovers SET state = $3, completed_at = $1, code_hash = NULL,
                        code_plain = NULL
                 WHERE id = $2",
                &[&at, &id, &state],
            )
            .await?;
            Ok(())
        })
    }
}
