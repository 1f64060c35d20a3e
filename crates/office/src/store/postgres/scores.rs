//! Scores and ranking on PostgreSQL: the same persistence as the SQLite store's `scores.rs`
//! (published schemes, each closed month's facts as taken), over the bridge, with the writes
//! every transaction may make (audit entry, change) through the shared logs.

use chrono::{DateTime, Utc};
use liaison_domain::score::{PeriodFacts, Scheme, SchemeVersion};

use super::bridge::{PgBridge, TxHandle};
use super::log;
use crate::audit::Record;
use crate::store::{Audience, MonthFacts, ScoresTx, StoreError, Writes};
use liaison_domain::wire::Change;

fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    v: serde_json::Value,
) -> Result<T, StoreError> {
    serde_json::from_value(v).map_err(|e| StoreError::Backend(format!("{what}: {e}")))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(v).map_err(|e| StoreError::Backend(e.to_string()))
}

/// One transaction on PostgreSQL, as the service's narrow transaction traits see it.
pub struct PgTx<'h> {
    pub handle: &'h TxHandle,
}

impl Writes for PgTx<'_> {
    fn append_audit(&mut self, record: &Record) -> Result<(), StoreError> {
        let record = record.clone();
        self.handle
            .run(move |c| async move { Ok(log::append_audit(&*c, &record).await?) })
    }

    fn append_change(
        &mut self,
        department_id: i64,
        change: &Change,
        audience: Audience,
    ) -> Result<i64, StoreError> {
        let change = change.clone();
        self.handle.run(move |c| async move {
            Ok(log::append_change(&*c, department_id, &change, audience).await?)
        })
    }
}

/// Every published version, oldest first, with the name of who published it.
pub fn schemes(bridge: &PgBridge) -> Result<Vec<(SchemeVersion, String)>, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query(
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
            .query_opt(
                "SELECT 1 FROM closed_months WHERE year = $1 AND month = $2",
                &[&year, &month],
            )
            .await?;
        if taken.is_none() {
            return Ok(None);
        }
        let rows = c
            .query(
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

impl ScoresTx for PgTx<'_> {
    fn schemes(&self) -> Result<Vec<SchemeVersion>, StoreError> {
        self.handle.run(|c| async move {
            let rows = c
                .query(
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
                .query_one(
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
            Ok(c.query_opt(
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
            c.execute(
                "INSERT INTO closed_months (year, month, taken_at) VALUES ($1, $2, $3)",
                &[&year, &month, &taken_at],
            )
            .await?;
            for (department_id, name, facts) in &rows {
                c.execute(
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

/// Runs `f` as one transaction over scoring, committed only if it returns `Ok` (the store's
/// `scoring`).
pub fn scoring(
    bridge: &PgBridge,
    f: &mut dyn FnMut(&mut dyn ScoresTx) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    bridge.transaction(|handle| f(&mut PgTx { handle }))
}
