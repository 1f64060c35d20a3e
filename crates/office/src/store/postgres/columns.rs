//! Departments and columns on PostgreSQL, and what the duties are computed from: the work
//! calendar, each column's recorded updates and urges, and the pre-flight word lists. The same
//! reads as the SQLite store's, in PostgreSQL's types.

use chrono::{DateTime, NaiveDate, Utc};
use liaison_domain::preflight::{Misspelling, WordLists};
use liaison_domain::urge::Urge;
use liaison_domain::{ColumnView, DepartmentView, WorkCalendar};

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{COLUMN_FIELDS, column_from_row, policy_of};
use crate::store::{DutyInput, StoreError};

pub(super) fn departments(bridge: &PgBridge) -> Result<Vec<DepartmentView>, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared(
                "SELECT id, name, signoff FROM departments WHERE retired_at IS NULL ORDER BY id",
                &[],
            )
            .await?;
        rows.iter()
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

pub(super) fn all_columns(bridge: &PgBridge) -> Result<Vec<ColumnView>, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared(
                &format!("SELECT {COLUMN_FIELDS} FROM columns ORDER BY department_id, id"),
                &[],
            )
            .await?;
        rows.iter().map(column_from_row).collect()
    })
}

pub(super) fn columns_of_department(
    bridge: &PgBridge,
    department_id: i64,
) -> Result<Vec<ColumnView>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                &format!(
                    "SELECT {COLUMN_FIELDS} FROM columns
                     WHERE department_id = $1 AND retired_at IS NULL ORDER BY id"
                ),
                &[&department_id],
            )
            .await?;
        rows.iter().map(column_from_row).collect()
    })
}

pub(super) fn column(bridge: &PgBridge, id: i64) -> Result<Option<ColumnView>, StoreError> {
    bridge.call(move |c| async move {
        c.query_opt_prepared(
            &format!("SELECT {COLUMN_FIELDS} FROM columns WHERE id = $1 AND retired_at IS NULL"),
            &[&id],
        )
        .await?
        .map(|row| column_from_row(&row))
        .transpose()
    })
}

pub(super) fn recorded_addresses(
    bridge: &PgBridge,
) -> Result<Vec<(i64, DateTime<Utc>, String)>, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared(
                "SELECT u.column_id, u.at, u.url FROM column_updates u
                 WHERE u.url IS NOT NULL AND u.id = (
                     SELECT v.id FROM column_updates v WHERE v.column_id = u.column_id
                       AND v.url IS NOT NULL ORDER BY v.at DESC, v.id DESC LIMIT 1)",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    })
}

/// Read from the `urges` table, as on SQLite. SQLite's migration 0011 copied the urges of older
/// offices out of the change log into that table; a PostgreSQL office starts with the table (an
/// office moved from SQLite brings its rows), and every urge since is written both there and to
/// the change log, so reading the change log too would count each one twice.
pub(super) fn urges(
    bridge: &PgBridge,
    department_id: Option<i64>,
    from: DateTime<Utc>,
) -> Result<Vec<Urge>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                "SELECT column_id, department_id, at, message, urged_by FROM urges
                 WHERE ($1::bigint IS NULL OR department_id = $1) AND at >= $2 ORDER BY at, id",
                &[&department_id, &from],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Urge {
                    column_id: r.try_get(0)?,
                    department_id: r.try_get(1)?,
                    at: r.try_get(2)?,
                    message: r.try_get(3)?,
                    urged_by: r.try_get(4)?,
                })
            })
            .collect()
    })
}

pub(super) fn calendar(bridge: &PgBridge) -> Result<WorkCalendar, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared("SELECT day, kind FROM calendar_days ORDER BY day", &[])
            .await?;
        let mut calendar = WorkCalendar::default();
        for r in &rows {
            let day: NaiveDate = r.try_get(0)?;
            match r.try_get::<_, &str>(1)? {
                "holiday" => calendar.holidays.insert(day),
                _ => calendar.working_weekends.insert(day),
            };
        }
        Ok(calendar)
    })
}

/// One column's update instants (accepted items and recorded updates) from `$2` on, and the
/// latest one before it, for the column `columns.id` of the enclosing query: the same ones the
/// SQLite store keeps by walking the updates newest first and stopping after the first older one.
const UPDATES_OF_COLUMN: &str = "
    SELECT x.at FROM (
        SELECT i.reviewed_at AS at FROM items i
        WHERE i.column_id = columns.id AND i.state = 'accepted' AND i.reviewed_at IS NOT NULL
        UNION ALL
        SELECT cu.at FROM column_updates cu WHERE cu.column_id = columns.id) x
    WHERE x.at >= $2
    UNION ALL
    (SELECT y.at FROM (
        SELECT i.reviewed_at AS at FROM items i
        WHERE i.column_id = columns.id AND i.state = 'accepted' AND i.reviewed_at IS NOT NULL
        UNION ALL
        SELECT cu.at FROM column_updates cu WHERE cu.column_id = columns.id) y
     WHERE y.at < $2 ORDER BY y.at DESC LIMIT 1)";

/// One statement, so the columns and their updates are read from one snapshot (SQLite read them
/// under its one connection's lock).
pub(super) fn duty_inputs(
    bridge: &PgBridge,
    department_id: i64,
    from: DateTime<Utc>,
) -> Result<Vec<DutyInput>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                &format!(
                    "SELECT {COLUMN_FIELDS}, duty_since, u.at FROM columns
                     LEFT JOIN LATERAL ({UPDATES_OF_COLUMN}) u ON true
                     WHERE department_id = $1 AND retired_at IS NULL
                     ORDER BY id, u.at"
                ),
                &[&department_id, &from],
            )
            .await?;
        let mut inputs: Vec<DutyInput> = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            if inputs.last().is_none_or(|input| input.column.id != id) {
                inputs.push(DutyInput {
                    column: column_from_row(r)?,
                    since: r.try_get(7)?,
                    updates: Vec::new(),
                });
            }
            let at: Option<DateTime<Utc>> = r.try_get(8)?;
            if let (Some(input), Some(at)) = (inputs.last_mut(), at) {
                input.updates.push(at);
            }
        }
        Ok(inputs)
    })
}

pub(super) fn word_lists(bridge: &PgBridge) -> Result<WordLists, StoreError> {
    bridge.call(|c| async move {
        let rows = c
            .query_prepared(
                "SELECT kind, word, correction FROM word_lists ORDER BY id",
                &[],
            )
            .await?;
        let mut lists = WordLists::default();
        for r in &rows {
            let kind: &str = r.try_get(0)?;
            let word: String = r.try_get(1)?;
            if kind == "forbidden" {
                lists.forbidden.push(word);
            } else {
                let correction: Option<String> = r.try_get(2)?;
                lists.misspellings.push(Misspelling {
                    wrong: word,
                    right: correction.unwrap_or_default(),
                });
            }
        }
        Ok(lists)
    })
}
