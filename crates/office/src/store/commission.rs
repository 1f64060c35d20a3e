//! Commissioned requests (约稿) in SQLite: the [`CommissionsTx`] of one transaction and the
//! reads. Persistence only: the state machine, the deadlines and the standings are the
//! service's and the domain's.

use chrono::{DateTime, Utc};
use liaison_domain::commission::CommissionState;
use liaison_domain::{ColumnView, DepartmentView};
use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite::{COLUMN_FIELDS, column_from_row, parse_ts, ts};
use super::transaction::SqliteTx;
use super::{CommissionRecord, CommissionsTx, StoreError, StoredCommission, TargetRecord};

fn state_of(s: &str) -> Result<CommissionState, StoreError> {
    match s {
        "open" => Ok(CommissionState::Open),
        "withdrawn" => Ok(CommissionState::Withdrawn),
        other => Err(StoreError::Backend(format!(
            "unknown commission state {other}"
        ))),
    }
}

/// The requests with these ids (all when `None`), newest first, each with its targets.
pub fn records(
    conn: &Connection,
    department_id: Option<i64>,
    id: Option<i64>,
) -> Result<Vec<CommissionRecord>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.topic, c.requirements, c.column_id, col.name, c.due_at, c.state,
                c.posted_at, c.posted_by_name
         FROM commissions c LEFT JOIN columns col ON col.id = c.column_id
         WHERE (?1 IS NULL OR c.id = ?1)
           AND (?2 IS NULL OR EXISTS (SELECT 1 FROM commission_targets t
                                      WHERE t.commission_id = c.id AND t.department_id = ?2))
         ORDER BY c.posted_at DESC, c.id DESC",
    )?;
    let rows = stmt.query_map(params![id, department_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, Option<String>>(4)?,
            parse_ts(&r.get::<_, String>(5)?)?,
            r.get::<_, String>(6)?,
            parse_ts(&r.get::<_, String>(7)?)?,
            r.get::<_, String>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, topic, requirements, column_id, column_name, due_at, state, posted_at, posted_by) =
            row?;
        out.push(CommissionRecord {
            id,
            topic,
            requirements,
            column_id,
            column_name,
            due_at,
            state: state_of(&state)?,
            posted_at,
            posted_by,
            targets: targets(conn, id)?,
        });
    }
    Ok(out)
}

/// A request's departments in the order they were named, each with its first answer that
/// reached the office (an item still waiting for its department's sign-off is not one).
fn targets(conn: &Connection, commission_id: i64) -> Result<Vec<TargetRecord>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT t.department_id, d.name,
                (SELECT i.waiting_since FROM items i
                 WHERE i.commission_id = t.commission_id AND i.department_id = t.department_id
                   AND i.waiting_since IS NOT NULL ORDER BY i.waiting_since, i.id LIMIT 1),
                (SELECT i.id FROM items i
                 WHERE i.commission_id = t.commission_id AND i.department_id = t.department_id
                   AND i.waiting_since IS NOT NULL ORDER BY i.waiting_since, i.id LIMIT 1),
                (SELECT i.receipt FROM items i
                 WHERE i.commission_id = t.commission_id AND i.department_id = t.department_id
                   AND i.waiting_since IS NOT NULL ORDER BY i.waiting_since, i.id LIMIT 1)
         FROM commission_targets t JOIN departments d ON d.id = t.department_id
         WHERE t.commission_id = ?1 ORDER BY t.rowid",
    )?;
    let rows = stmt.query_map([commission_id], |r| {
        let at: Option<String> = r.get(2)?;
        let answer = match (
            at,
            r.get::<_, Option<i64>>(3)?,
            r.get::<_, Option<String>>(4)?,
        ) {
            (Some(at), Some(item), Some(receipt)) => Some((parse_ts(&at)?, item, receipt)),
            _ => None,
        };
        Ok(TargetRecord {
            department_id: r.get(0)?,
            department_name: r.get(1)?,
            answer,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl CommissionsTx for SqliteTx<'_> {
    fn commission(&self, id: i64) -> Result<Option<CommissionRecord>, StoreError> {
        Ok(records(self.tx, None, Some(id))?.into_iter().next())
    }

    fn live_departments(&self) -> Result<Vec<DepartmentView>, StoreError> {
        let mut stmt = self.tx.prepare(
            "SELECT id, name, signoff FROM departments WHERE retired_at IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DepartmentView {
                id: r.get(0)?,
                name: r.get(1)?,
                signoff: super::sqlite::parse_policy(&r.get::<_, String>(2)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn live_column(&self, id: i64) -> Result<Option<ColumnView>, StoreError> {
        Ok(self
            .tx
            .query_row(
                &format!(
                    "SELECT {COLUMN_FIELDS} FROM columns WHERE id = ?1 AND retired_at IS NULL"
                ),
                [id],
                column_from_row,
            )
            .optional()?)
    }

    fn insert_commission(&mut self, c: &StoredCommission<'_>) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO commissions (topic, requirements, column_id, due_at, state, posted_at,
                                      posted_by, posted_by_name)
             VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, ?7)",
            params![
                c.request.topic,
                c.request.requirements,
                c.column_id,
                ts(c.due_at),
                ts(c.posted_at),
                c.posted_by.id,
                c.posted_by.holder_name
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        for department in &c.request.departments {
            self.tx.execute(
                "INSERT INTO commission_targets (commission_id, department_id) VALUES (?1, ?2)",
                params![id, department],
            )?;
        }
        Ok(id)
    }

    fn update_commission(
        &mut self,
        id: i64,
        state: CommissionState,
        due_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let withdrawn_at = (state == CommissionState::Withdrawn).then(|| ts(at));
        self.tx.execute(
            "UPDATE commissions SET state = ?1, due_at = ?2,
                    withdrawn_at = coalesce(withdrawn_at, ?3) WHERE id = ?4",
            params![state.as_str(), ts(due_at), withdrawn_at, id],
        )?;
        Ok(())
    }
}
