//! Scores and ranking in SQLite: the published schemes, each closed month's facts as they were
//! taken, and what a department's facts are gathered from. Persistence only; what counts is in
//! the domain (`score::facts`) and when a month is taken is in the service.

use chrono::{DateTime, Utc};
use liaison_domain::commission::CommissionState;
use liaison_domain::score::facts::{Accepted, Asked};
use liaison_domain::score::{PeriodFacts, Scheme, SchemeVersion};
use rusqlite::{Connection, OptionalExtension, params};

use super::sqlite::{parse_ts, ts};
use super::transaction::{SqliteTx, json};
use super::{MonthFacts, ScoreRecords, ScoresTx, StoreError};

fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend(format!("{what}: {e}")))
}

/// Every published version, oldest first, with the name of who published it.
pub fn schemes(conn: &Connection) -> Result<Vec<(SchemeVersion, String)>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT version, published_at, scheme_json, published_by_name FROM score_schemes
         ORDER BY version",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (version, at, scheme, by) = row?;
        let version = SchemeVersion {
            version,
            published_at: parse_ts(&at)?,
            scheme: from_json::<Scheme>("scoring scheme", &scheme)?,
        };
        out.push((version, by));
    }
    Ok(out)
}

/// The facts kept for a closed month, or `None` if it has not been taken.
pub fn month_facts(
    conn: &Connection,
    year: i32,
    month: u32,
) -> Result<Option<Vec<MonthFacts>>, StoreError> {
    let taken: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM closed_months WHERE year = ?1 AND month = ?2",
            params![year, month],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_none() {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "SELECT department_id, department_name, facts_json FROM month_facts
         WHERE year = ?1 AND month = ?2 ORDER BY department_id",
    )?;
    let rows = stmt.query_map(params![year, month], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (department_id, department_name, facts) = row?;
        out.push(MonthFacts {
            department_id,
            department_name,
            facts: from_json::<PeriodFacts>("month facts", &facts)?,
        });
    }
    Ok(Some(out))
}

/// A department's accepted items in `[from, to)`, the commissioned requests naming it whose
/// deadline falls in `[from, to)` with their first answer, and its urges before `to` from a week
/// before `from` (a week flagged early in the range may have begun before it).
pub fn records(
    conn: &Connection,
    department_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ScoreRecords, StoreError> {
    let (from_s, to_s) = (ts(from), ts(to));
    let mut stmt = conn.prepare(
        "SELECT i.reviewed_at, c.level FROM items i JOIN columns c ON c.id = i.column_id
         WHERE i.department_id = ?1 AND i.state = 'accepted'
           AND i.reviewed_at >= ?2 AND i.reviewed_at < ?3",
    )?;
    let accepted = stmt
        .query_map(params![department_id, from_s, to_s], |r| {
            Ok(Accepted {
                at: parse_ts(&r.get::<_, String>(0)?)?,
                first_level: r.get::<_, String>(1)? == "first",
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // The deadline's last day decides the period, so a deadline at the range's end is in it.
    let mut stmt = conn.prepare(
        "SELECT c.state, c.due_at,
                (SELECT i.waiting_since || '|' || i.state FROM items i
                 WHERE i.commission_id = c.id AND i.department_id = t.department_id
                   AND i.waiting_since IS NOT NULL ORDER BY i.waiting_since, i.id LIMIT 1)
         FROM commissions c JOIN commission_targets t ON t.commission_id = c.id
         WHERE t.department_id = ?1 AND c.due_at > ?2 AND c.due_at <= ?3",
    )?;
    let rows = stmt.query_map(params![department_id, from_s, to_s], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut asked = Vec::new();
    for row in rows {
        let (state, due_at, answer) = row?;
        let state = match state.as_str() {
            "withdrawn" => CommissionState::Withdrawn,
            _ => CommissionState::Open,
        };
        let (answered_at, answer_accepted) = match answer.as_deref().and_then(|a| a.split_once('|'))
        {
            Some((at, item_state)) => (Some(parse_ts(at)?), item_state == "accepted"),
            None => (None, false),
        };
        asked.push(Asked {
            state,
            due_at: parse_ts(&due_at)?,
            answered_at,
            answer_accepted,
        });
    }
    let mut stmt = conn.prepare(
        "SELECT at FROM urges WHERE department_id = ?1 AND at >= ?2 AND at < ?3 ORDER BY at",
    )?;
    let urges = stmt
        .query_map(
            params![department_id, ts(from - chrono::Duration::days(7)), to_s],
            |r| parse_ts(&r.get::<_, String>(0)?),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ScoreRecords {
        accepted,
        asked,
        urges,
    })
}

impl ScoresTx for SqliteTx<'_> {
    fn schemes(&self) -> Result<Vec<SchemeVersion>, StoreError> {
        Ok(schemes(self.tx)?.into_iter().map(|(v, _)| v).collect())
    }

    fn insert_scheme(
        &mut self,
        scheme: &Scheme,
        at: DateTime<Utc>,
        by_seat: i64,
        by_name: &str,
    ) -> Result<u32, StoreError> {
        self.tx.execute(
            "INSERT INTO score_schemes (published_at, published_by, published_by_name, scheme_json)
             VALUES (?1, ?2, ?3, ?4)",
            params![ts(at), by_seat, by_name, json(scheme)?],
        )?;
        u32::try_from(self.tx.last_insert_rowid())
            .map_err(|_| StoreError::Backend("scheme version out of range".into()))
    }

    fn month_taken(&self, year: i32, month: u32) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .query_row(
                "SELECT 1 FROM closed_months WHERE year = ?1 AND month = ?2",
                params![year, month],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn insert_month(
        &mut self,
        year: i32,
        month: u32,
        taken_at: DateTime<Utc>,
        facts: &[MonthFacts],
    ) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO closed_months (year, month, taken_at) VALUES (?1, ?2, ?3)",
            params![year, month, ts(taken_at)],
        )?;
        for f in facts {
            self.tx.execute(
                "INSERT INTO month_facts (year, month, department_id, department_name, facts_json)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    year,
                    month,
                    f.department_id,
                    f.department_name,
                    json(&f.facts)?
                ],
            )?;
        }
        Ok(())
    }
}
