//! Commissioned requests (约稿) on PostgreSQL: the [`CommissionsTx`] of one transaction and the
//! reads. Persistence only: the state machine, the deadlines and the standings are the
//! service's and the domain's. The same statements as the SQLite store's `commission.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use liaison_domain::commission::CommissionState;
use liaison_domain::{ColumnView, DepartmentView};

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{COLUMN_FIELDS, column_from_row, policy_of};
use super::transaction::PgTx;
use crate::store::{CommissionRecord, CommissionsTx, StoreError, StoredCommission, TargetRecord};

fn commission_state_of(s: &str) -> Result<CommissionState, StoreError> {
    match s {
        "open" => Ok(CommissionState::Open),
        "withdrawn" => Ok(CommissionState::Withdrawn),
        other => Err(StoreError::Backend(format!(
            "unknown commission state {other}"
        ))),
    }
}

/// The requests with these ids (all when `None`), newest first, each with its targets.
pub(super) async fn records(
    c: &impl GenericClient,
    department_id: Option<i64>,
    id: Option<i64>,
) -> Result<Vec<CommissionRecord>, StoreError> {
    let rows = c
        .query_prepared(
            "SELECT c.id, c.topic, c.requirements, c.column_id, col.name, c.due_at, c.state,
                    c.posted_at, c.posted_by_name
             FROM commissions c LEFT JOIN columns col ON col.id = c.column_id
             WHERE ($1::bigint IS NULL OR c.id = $1)
               AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM commission_targets t
                                                  WHERE t.commission_id = c.id
                                                    AND t.department_id = $2))
             ORDER BY c.posted_at DESC, c.id DESC",
            &[&id, &department_id],
        )
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(CommissionRecord {
                id: r.try_get(0)?,
                topic: r.try_get(1)?,
                requirements: r.try_get(2)?,
                column_id: r.try_get(3)?,
                column_name: r.try_get(4)?,
                due_at: r.try_get(5)?,
                state: commission_state_of(r.try_get::<_, &str>(6)?)?,
                posted_at: r.try_get(7)?,
                posted_by: r.try_get(8)?,
                targets: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let ids: Vec<i64> = out.iter().map(|r| r.id).collect();
    let mut targets = targets(c, &ids).await?;
    for record in &mut out {
        record.targets = targets.remove(&record.id).unwrap_or_default();
    }
    Ok(out)
}

/// Each request's departments in the order they were named, each with its first answer that
/// reached the office (an item still waiting for its department's sign-off is not one).
///
/// The order they were named is the order their rows were written (SQLite's `rowid`): the schema
/// keeps no position, and target rows are never updated nor deleted, so their physical place
/// (`ctid`) stands for it.
async fn targets(
    c: &impl GenericClient,
    commission_ids: &[i64],
) -> Result<HashMap<i64, Vec<TargetRecord>>, StoreError> {
    let mut out: HashMap<i64, Vec<TargetRecord>> = HashMap::new();
    if commission_ids.is_empty() {
        return Ok(out);
    }
    let rows = c
        .query_prepared(
            "SELECT t.commission_id, t.department_id, d.name, a.waiting_since, a.id, a.receipt
             FROM commission_targets t
             JOIN departments d ON d.id = t.department_id
             LEFT JOIN LATERAL (
                 SELECT i.waiting_since, i.id, i.receipt FROM items i
                 WHERE i.commission_id = t.commission_id AND i.department_id = t.department_id
                   AND i.waiting_since IS NOT NULL
                 ORDER BY i.waiting_since, i.id LIMIT 1
             ) a ON true
             WHERE t.commission_id = ANY($1)
             ORDER BY t.commission_id, t.ctid",
            &[&commission_ids],
        )
        .await?;
    for r in &rows {
        let answer = match (
            r.try_get::<_, Option<DateTime<Utc>>>(3)?,
            r.try_get::<_, Option<i64>>(4)?,
            r.try_get::<_, Option<String>>(5)?,
        ) {
            (Some(at), Some(item), Some(receipt)) => Some((at, item, receipt)),
            _ => None,
        };
        out.entry(r.try_get(0)?).or_default().push(TargetRecord {
            department_id: r.try_get(1)?,
            department_name: r.try_get(2)?,
            answer,
        });
    }
    Ok(out)
}

/// Commissioned requests, newest first: those naming the department, or every one.
pub(super) fn commissions(
    bridge: &PgBridge,
    department_id: Option<i64>,
) -> Result<Vec<CommissionRecord>, StoreError> {
    bridge.call(move |c| async move { records(&c, department_id, None).await })
}

pub(super) fn commission(
    bridge: &PgBridge,
    id: i64,
) -> Result<Option<CommissionRecord>, StoreError> {
    bridge.call(move |c| async move { Ok(records(&c, None, Some(id)).await?.into_iter().next()) })
}

impl CommissionsTx for PgTx<'_> {
    fn commission(&self, id: i64) -> Result<Option<CommissionRecord>, StoreError> {
        self.handle
            .run(move |c| async move { Ok(records(&*c, None, Some(id)).await?.into_iter().next()) })
    }

    fn live_departments(&self) -> Result<Vec<DepartmentView>, StoreError> {
        self.handle.run(|c| async move {
            c.query_prepared(
                "SELECT id, name, signoff FROM departments WHERE retired_at IS NULL ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(DepartmentView {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    signoff: policy_of(r.try_get::<_, &str>(2)?)?,
                })
            })
            .collect()
        })
    }

    fn live_column(&self, id: i64) -> Result<Option<ColumnView>, StoreError> {
        self.handle.run(move |c| async move {
            c.query_opt_prepared(
                &format!(
                    "SELECT {COLUMN_FIELDS} FROM columns WHERE id = $1 AND retired_at IS NULL"
                ),
                &[&id],
            )
            .await?
            .map(|r| column_from_row(&r))
            .transpose()
        })
    }

    fn insert_commission(&mut self, new: &StoredCommission<'_>) -> Result<i64, StoreError> {
        let (topic, requirements) = (new.request.topic.clone(), new.request.requirements.clone());
        let departments = new.request.departments.clone();
        let (column_id, due_at, posted_at) = (new.column_id, new.due_at, new.posted_at);
        let (posted_by, posted_by_name) = (new.posted_by.id, new.posted_by.holder_name.clone());
        self.handle.run(move |c| async move {
            let id: i64 = c
                .query_one_prepared(
                    "INSERT INTO commissions (topic, requirements, column_id, due_at, state,
                                              posted_at, posted_by, posted_by_name)
                     VALUES ($1, $2, $3, $4, 'open', $5, $6, $7) RETURNING id",
                    &[
                        &topic,
                        &requirements,
                        &column_id,
                        &due_at,
                        &posted_at,
                        &posted_by,
                        &posted_by_name,
                    ],
                )
                .await?
                .try_get(0)?;
            // One row after the other, in the order named: `targets` reads them back so.
            for department in &departments {
                c.execute_prepared(
                    "INSERT INTO commission_targets (commission_id, department_id) VALUES ($1, $2)",
                    &[&id, department],
                )
                .await?;
            }
            Ok(id)
        })
    }

    fn update_commission(
        &mut self,
        id: i64,
        state: CommissionState,
        due_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let withdrawn_at = (state == CommissionState::Withdrawn).then_some(at);
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "UPDATE commissions SET state = $1, due_at = $2,
                        withdrawn_at = coalesce(withdrawn_at, $3) WHERE id = $4",
                &[&state.as_str(), &due_at, &withdrawn_at, &id],
            )
            .await?;
            Ok(())
        })
    }
}
