//! Scores and ranking on PostgreSQL: the same persistence as the SQLite store's `scores.rs`
//! (published schemes, each closed month's facts as taken), over the bridge, with the writes
//! every transaction may make (audit entry, change) through the shared logs.

use chrono::{DateTime, Utc};
use liaison_domain::commission::CommissionState;
use liaison_domain::score::facts::{Accepted, Asked};
use liaison_domain::score::{PeriodFacts, Scheme, SchemeVersion};

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{from_json, to_json};
use super::transaction::PgTx;
use crate::store::{MonthFacts, ScoreRecords, ScoresTx, StoreError};

/// Every published version, oldest first, with the name of who published it.
pub fn schemes(bridge: &PgBridge) -> Result<Vec<(SchemeVersion, String)>, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared(
                "SELECT version, published_at, scheme, published_by_name FROM score_schemes
                 ORDER BY version",
                &[],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                let version: i32 = r.get(0);
                Ok((
                    SchemeVersion {
                        version: u32::try_from(version).unwrap_or(0),
                        published_at: r.get(1),
                        scheme: from_json::<Scheme>("scoring scheme", r.get(2))?,
                    },
                    r.get(3),
                ))
            })
            .collect()
    })
}

/// The facts kept for a closed month, or `None` if it has not been taken.
pub fn month_facts(
    bridge: &PgBridge,
    year: i32,
    month: u32,
) -> Result<Option<Vec<MonthFacts>>, StoreError> {
    let month = i32::try_from(month).unwrap_or(0);
    bridge.call(move |c| async move {
        let taken = c
            .query_opt_prepared(
                "SELECT 1 FROM closed_months WHERE year = $1 AND month = $2",
                &[&year, &month],
            )
            .await?;
        if taken.is_none() {
            return Ok(None);
        }
        let rows = c
            .query_prepared(
                "SELECT department_id, department_name, facts FROM month_facts
                 WHERE year = $1 AND month = $2 ORDER BY department_id",
                &[&year, &month],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(MonthFacts {
                    department_id: r.get(0),
                    department_name: r.get(1),
                    facts: from_json::<PeriodFacts>("month facts", r.get(2))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .map(Some)
    })
}

/// A department's accepted items in `[from, to)`, the commissioned requests naming it whose
/// deadline falls in `(from, to]` with their first answer, and its urges before `to` from a week
/// before `from` (a week flagged early in the range may have begun before it). One snapshot, so
/// the three agree.
pub fn score_records(
    bridge: &PgBridge,
    department_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ScoreRecords, StoreError> {
    bridge.call(move |mut c| async move {
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let accepted = tx
            .query_prepared(
                "SELECT i.reviewed_at, c.level FROM items i JOIN columns c ON c.id = i.column_id
                 WHERE i.department_id = $1 AND i.state = 'accepted'
                   AND i.reviewed_at >= $2 AND i.reviewed_at < $3
                 ORDER BY i.reviewed_at, i.id",
                &[&department_id, &from, &to],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Accepted {
                    at: r.try_get(0)?,
                    first_level: r.try_get::<_, &str>(1)? == "first",
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // The deadline's last day decides the period, so a deadline at the range's end is in it.
        let asked = tx
            .query_prepared(
                "SELECT c.state, c.due_at, a.waiting_since, a.state
                 FROM commissions c JOIN commission_targets t ON t.commission_id = c.id
                 LEFT JOIN LATERAL (
                     SELECT i.waiting_since, i.state FROM items i
                     WHERE i.commission_id = c.id AND i.department_id = t.department_id
                       AND i.waiting_since IS NOT NULL
                     ORDER BY i.waiting_since, i.id LIMIT 1
                 ) a ON true
                 WHERE t.department_id = $1 AND c.due_at > $2 AND c.due_at <= $3
                 ORDER BY c.due_at, c.id",
                &[&department_id, &from, &to],
            )
            .await?
            .iter()
            .map(|r| {
                let state = match r.try_get::<_, &str>(0)? {
                    "withdrawn" => CommissionState::Withdrawn,
                    _ => CommissionState::Open,
                };
                let answered_at: Option<DateTime<Utc>> = r.try_get(2)?;
                let answer_state: Option<&str> = r.try_get(3)?;
                Ok(Asked {
                    state,
                    due_at: r.try_get(1)?,
                    answer_accepted: answered_at.is_some() && answer_state == Some("accepted"),
                    answered_at,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let urges = tx
            .query_prepared(
                "SELECT at FROM urges WHERE department_id = $1 AND at >= $2 AND at < $3
                 ORDER BY at",
                &[&department_id, &(from - chrono::Duration::days(7)), &to],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<Vec<DateTime<Utc>>, _>>()?;
        tx.commit().await?;
        Ok(ScoreRecords {
            accepted,
            asked,
            urges,
        })
    })
}

impl ScoresTx for PgTx<'_> {
    fn schemes(&self) -> Result<Vec<SchemeVersion>, StoreError> {
        self.handle.run(|c| async move {
            let rows = c
                .query_prepared(
                    "SELECT version, published_at, scheme FROM score_schemes ORDER BY version",
                    &[],
                )
                .await?;
            rows.into_iter()
                .map(|r| {
                    let version: i32 = r.get(0);
                    Ok(SchemeVersion {
                        version: u32::try_from(version).unwrap_or(0),
                        published_at: r.get(1),
                        scheme: from_json::<Scheme>("scoring scheme", r.get(2))?,
                    })
                })
                .collect()
        })
    }

    fn insert_scheme(
        &mut self,
        scheme: &Scheme,
        at: DateTime<Utc>,
        by_seat: i64,
        by_name: &str,
    ) -> Result<u32, StoreError> {
        let (scheme, by_name) = (to_json(scheme)?, by_name.to_owned());
        self.handle.run(move |c| async move {
            let version: i32 = c
                .query_one_prepared(
                    "INSERT INTO score_schemes (published_at, published_by, published_by_name, scheme)
                     VALUES ($1, $2, $3, $4) RETURNING version",
                    &[&at, &by_seat, &by_name, &scheme],
                )
                .await?
                .get(0);
            u32::try_from(version)
                .map_err(|_| StoreError::Backend("scheme version out of range".into()))
        })
    }

    fn month_taken(&self, year: i32, month: u32) -> Result<bool, StoreError> {
        let month = i32::try_from(month).unwrap_or(0);
        self.handle.run(move |c| async move {
            Ok(c.query_opt_prepared(
                "SELECT 1 FROM closed_months WHERE year = $1 AND month = $2",
                &[&year, &month],
            )
            .await?
            .is_some())
        })
    }

    fn insert_month(
        &mut self,
        year: i32,
        month: u32,
        taken_at: DateTime<Utc>,
        facts: &[MonthFacts],
    ) -> Result<(), StoreError> {
        let month = i32::try_from(month).unwrap_or(0);
        let rows: Vec<(i64, String, serde_json::Value)> = facts
            .iter()
            .map(|f| {
                Ok((
                    f.department_id,
                    f.department_name.clone(),
                    to_json(&f.facts)?,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "INSERT INTO closed_months (year, month, taken_at) VALUES ($1, $2, $3)",
                &[&year, &month, &taken_at],
            )
            .await?;
            for (department_id, name, facts) in &rows {
                c.execute_prepared(
                    "INSERT INTO month_facts (year, month, department_id, department_name, facts)
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&year, &month, department_id, name, facts],
                )
                .await?;
            }
            Ok(())
        })
    }
}
