//! Handovers, holders, revoked sessions and the audit log in SQLite: the SQL behind the
//! [`Store`](super::Store) methods of the same names and the handovers' transaction
//! ([`HandoversTx`]); the steps and their rules are `service::handovers`.

use chrono::{DateTime, Utc};
use liaison_domain::SeatView;
use liaison_domain::handover::{HandoverState, Holder, OutgoingData, Successor};
use liaison_domain::wire::{AuditEntry, HandoverView};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::sqlite::{SEAT_SELECT, bad_value, parse_ts, seat_from_row, ts};
use super::transaction::SqliteTx;
use super::{ApprovedCode, HandoversTx, StoreError, StoredDecision, StoredHandover};
use crate::audit::{self, ChainBreak, Record};

/// Appends an entry to the audit log, chained to the last one.
pub fn append_audit(conn: &Connection, record: &Record) -> Result<(), StoreError> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, audit::GENESIS.to_owned()));
    let seq = prev_seq + 1;
    let hash = audit::chain_hash(&prev_hash, seq, record);
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, address, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            seq,
            audit_ts(record.at),
            record.actor,
            record.action,
            record.subject,
            record.detail,
            record.address,
            prev_hash,
            hash
        ],
    )?;
    Ok(())
}

/// Audit times keep microseconds, as the hash does.
fn audit_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<(i64, String, String, Record)> {
    Ok((
        r.get(0)?,
        r.get(7)?,
        r.get(8)?,
        Record {
            at: parse_ts(&r.get::<_, String>(1)?)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            subject: r.get(4)?,
            detail: r.get(5)?,
            address: r.get(6)?,
        },
    ))
}

const AUDIT_SELECT: &str =
    "SELECT seq, at, actor, action, subject, detail, address, prev_hash, hash FROM audit_log";

/// Walks the whole chain.
pub fn verify_audit(conn: &Connection) -> Result<Result<u64, ChainBreak>, StoreError> {
    let mut stmt = conn.prepare(&format!("{AUDIT_SELECT} ORDER BY seq"))?;
    let rows: Vec<_> = stmt.query_map([], audit_row)?.collect::<Result<_, _>>()?;
    Ok(audit::verify(
        rows.iter()
            .map(|(s, p, h, r)| (*s, p.as_str(), h.as_str(), r)),
    ))
}

/// The newest `limit` entries, newest first.
/// The newest entries the office's administrators may read: every one except those about an item
/// that has not left its department (before sign-off the office learns nothing of an item). The
/// chain itself (`verify_audit`) covers them all.
pub fn audit_entries(conn: &Connection, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "{AUDIT_SELECT} a WHERE NOT (a.subject LIKE 'item:%' AND EXISTS (
             SELECT 1 FROM items i WHERE i.receipt = substr(a.subject, 6) AND i.waiting_since IS NULL))
         ORDER BY seq DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], |r| {
        let (seq, _, hash, rec) = audit_row(r)?;
        Ok(AuditEntry {
            seq,
            at: rec.at,
            actor: rec.actor,
            action: rec.action,
            subject: rec.subject,
            detail: rec.detail,
            address: rec.address,
            hash,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn holders(conn: &Connection, seat_id: i64) -> Result<Vec<Holder>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT name, staff_no, phone, from_at, until_at FROM holders WHERE seat_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([seat_id], |r| {
        Ok(Holder {
            name: r.get(0)?,
            staff_no: r.get(1)?,
            phone: r.get(2)?,
            from: parse_ts(&r.get::<_, String>(3)?)?,
            until: r
                .get::<_, Option<String>>(4)?
                .map(|s| parse_ts(&s))
                .transpose()?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn seats(conn: &Connection) -> Result<Vec<SeatView>, StoreError> {
    let mut stmt = conn.prepare(&format!("{SEAT_SELECT} ORDER BY s.department_id, s.id"))?;
    let rows = stmt.query_map([], |r| seat_from_row(r).map(|c| c.seat))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const HANDOVER_SELECT: &str = "SELECT h.id, h.seat_id, s.login, coalesce(d.name, ''), h.state,
        h.forced, h.outgoing_holder, h.successor_name, h.successor_staff_no, h.successor_phone,
        rq.login, h.requested_at, h.reason, dc.login, h.decided_at, h.code_expires_at,
        h.completed_at, h.outgoing_data
     FROM handovers h
     JOIN seats s ON s.id = h.seat_id
     LEFT JOIN departments d ON d.id = s.department_id
     JOIN seats rq ON rq.id = h.requested_by
     LEFT JOIN seats dc ON dc.id = h.decided_by";

fn handover_row(r: &Row<'_>) -> rusqlite::Result<HandoverView> {
    let state: String = r.get(4)?;
    let outgoing: String = r.get(17)?;
    let opt = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        r.get::<_, Option<String>>(i)?
            .map(|s| parse_ts(&s))
            .transpose()
    };
    Ok(HandoverView {
        id: r.get(0)?,
        seat_id: r.get(1)?,
        seat_login: r.get(2)?,
        department: r.get(3)?,
        state: HandoverState::parse(&state).ok_or_else(|| bad_value("handover state", &state))?,
        forced: r.get(5)?,
        outgoing_holder: r.get(6)?,
        successor: Successor {
            name: r.get(7)?,
            staff_no: r.get(8)?,
            phone: r.get(9)?,
        },
        requested_by: r.get(10)?,
        requested_at: parse_ts(&r.get::<_, String>(11)?)?,
        reason: r.get(12)?,
        decided_by: r.get(13)?,
        decided_at: opt(14)?,
        code_expires_at: opt(15)?,
        completed_at: opt(16)?,
        outgoing: match outgoing.as_str() {
            "wipe" => OutgoingData::Wipe,
            _ => OutgoingData::KeepReadOnly,
        },
    })
}

fn outgoing_str(o: OutgoingData) -> &'static str {
    match o {
        OutgoingData::KeepReadOnly => "keep_read_only",
        OutgoingData::Wipe => "wipe",
    }
}

pub fn handover(conn: &Connection, id: i64) -> Result<Option<HandoverView>, StoreError> {
    Ok(conn
        .query_row(
            &format!("{HANDOVER_SELECT} WHERE h.id = ?1"),
            [id],
            handover_row,
        )
        .optional()?)
}

/// Every handover (of one seat), newest first.
pub fn handovers(conn: &Connection, seat_id: Option<i64>) -> Result<Vec<HandoverView>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "{HANDOVER_SELECT} WHERE ?1 IS NULL OR h.seat_id = ?1 ORDER BY h.id DESC"
    ))?;
    let rows = stmt.query_map([seat_id], handover_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn seat_by_id(conn: &Connection, id: i64) -> Result<Option<SeatView>, StoreError> {
    Ok(conn
        .query_row(&format!("{SEAT_SELECT} WHERE s.id = ?1"), [id], |r| {
            seat_from_row(r).map(|c| c.seat)
        })
        .optional()?)
}

impl HandoversTx for SqliteTx<'_> {
    fn handover(&self, id: i64) -> Result<Option<HandoverView>, StoreError> {
        handover(self.tx, id)
    }

    fn seat(&self, id: i64) -> Result<Option<SeatView>, StoreError> {
        seat_by_id(self.tx, id)
    }

    fn seat_by_login(&self, login: &str) -> Result<Option<SeatView>, StoreError> {
        Ok(self
            .tx
            .query_row(&format!("{SEAT_SELECT} WHERE s.login = ?1"), [login], |r| {
                seat_from_row(r).map(|c| c.seat)
            })
            .optional()?)
    }

    fn has_open_handover(&self, seat_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .query_row(
                "SELECT 1 FROM handovers WHERE seat_id = ?1 AND state IN ('requested', 'approved')",
                [seat_id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false))
    }

    fn insert_handover(&mut self, h: &StoredHandover<'_>) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO handovers (seat_id, state, forced, outgoing_holder, successor_name,
                                    successor_staff_no, successor_phone, requested_by, requested_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                h.seat_id,
                HandoverState::Requested.as_str(),
                h.forced,
                h.outgoing_holder,
                h.successor.name,
                h.successor.staff_no,
                h.successor.phone,
                h.requested_by,
                ts(h.requested_at),
                h.reason
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    fn record_decision(&mut self, id: i64, d: &StoredDecision<'_>) -> Result<(), StoreError> {
        match d.approved {
            Some((outgoing, code_hash, code_plain, expires_at)) => self.tx.execute(
                "UPDATE handovers SET state = ?8, decided_by = ?1, decided_at = ?2,
                        outgoing_data = ?3, code_hash = ?4, code_plain = ?5, code_expires_at = ?6
                 WHERE id = ?7",
                params![
                    d.by,
                    ts(d.at),
                    outgoing_str(outgoing),
                    code_hash,
                    code_plain,
                    ts(expires_at),
                    id,
                    d.state.as_str()
                ],
            )?,
            None => self.tx.execute(
                "UPDATE handovers SET state = ?5, decided_by = ?1, decided_at = ?2,
                        reason = coalesce(?3, reason)
                 WHERE id = ?4",
                params![d.by, ts(d.at), d.reason, id, d.state.as_str()],
            )?,
        };
        Ok(())
    }

    fn take_plain_code(&mut self, id: i64) -> Result<Option<String>, StoreError> {
        let plain: Option<String> = self
            .tx
            .query_row(
                "SELECT code_plain FROM handovers WHERE id = ?1 AND state = 'approved'",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        if plain.is_some() {
            self.tx
                .execute("UPDATE handovers SET code_plain = NULL WHERE id = ?1", [id])?;
        }
        Ok(plain)
    }

    fn approved_code(&self, seat_id: i64) -> Result<Option<ApprovedCode>, StoreError> {
        let found: Option<(i64, String, String)> = self
            .tx
            .query_row(
                "SELECT id, code_hash, code_expires_at FROM handovers
                 WHERE seat_id = ?1 AND state = 'approved'",
                [seat_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        found
            .map(|(handover_id, code_hash, expires_at)| {
                Ok(ApprovedCode {
                    handover_id,
                    code_hash,
                    expires_at: parse_ts(&expires_at)?,
                })
            })
            .transpose()
    }

    fn expire_handover(&mut self, id: i64, state: HandoverState) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE handovers SET state = ?2, code_plain = NULL WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        Ok(())
    }

    fn hand_seat_over(
        &mut self,
        seat_id: i64,
        handover_id: i64,
        successor: &Successor,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let tx = self.tx;
        tx.execute(
            "UPDATE holders SET until_at = ?1 WHERE seat_id = ?2 AND until_at IS NULL",
            params![ts(at), seat_id],
        )?;
        tx.execute(
            "INSERT INTO holders (seat_id, name, staff_no, phone, from_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                seat_id,
                successor.name,
                successor.staff_no,
                successor.phone,
                ts(at)
            ],
        )?;
        tx.execute(
            "UPDATE seats SET holder_name = ?1, password_hash = ?2 WHERE id = ?3",
            params![successor.name, password_hash, seat_id],
        )?;
        let revoked = tx.execute(
            "INSERT INTO revoked_sessions (token_hash, seat_id, handover_id, revoked_at)
             SELECT token_hash, seat_id, ?1, ?2 FROM sessions WHERE seat_id = ?3",
            params![handover_id, ts(at), seat_id],
        )?;
        tx.execute("DELETE FROM sessions WHERE seat_id = ?1", [seat_id])?;
        Ok(revoked)
    }

    fn open_session(
        &mut self,
        seat_id: i64,
        token_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO sessions (token_hash, seat_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, seat_id, ts(at), ts(expires_at)],
        )?;
        Ok(())
    }

    fn complete_handover(
        &mut self,
        id: i64,
        state: HandoverState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE handovers SET state = ?3, completed_at = ?1, code_hash = NULL, code_plain = NULL
             WHERE id = ?2",
            params![ts(at), id, state.as_str()],
        )?;
        Ok(())
    }
}

/// A session a handover ended: what the outgoing workstation is to do with its data.
pub fn revoked(conn: &Connection, token_hash: &str) -> Result<Option<OutgoingData>, StoreError> {
    let found: Option<String> = conn
        .query_row(
            "SELECT h.outgoing_data FROM revoked_sessions r JOIN handovers h ON h.id = r.handover_id
             WHERE r.token_hash = ?1",
            [token_hash],
            |r| r.get(0),
        )
        .optional()?;
    Ok(found.map(|o| match o.as_str() {
        "wipe" => OutgoingData::Wipe,
        _ => OutgoingData::KeepReadOnly,
    }))
}
