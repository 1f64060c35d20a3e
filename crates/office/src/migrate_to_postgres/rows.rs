//! Copying the tables: each column's kind in the database, a SQLite value converted to it, the
//! batched inserts, and the identity sequences moved past the largest id.

use std::collections::BTreeSet;
use std::path::Path;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use deadpool_postgres::GenericClient;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::*;

/// What a column's values become in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int8,
    Int4,
    Int2,
    Bool,
    Float8,
    Text,
    Timestamptz,
    Date,
    Json,
    Bytea,
}

impl Kind {
    /// The kind for a PostgreSQL `information_schema` data type.
    fn of(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" => Kind::Int8,
            "integer" => Kind::Int4,
            "smallint" => Kind::Int2,
            "boolean" => Kind::Bool,
            "double precision" => Kind::Float8,
            "text" | "character varying" => Kind::Text,
            "timestamp with time zone" => Kind::Timestamptz,
            "date" => Kind::Date,
            "jsonb" | "json" => Kind::Json,
            "bytea" => Kind::Bytea,
            _ => return None,
        })
    }
}

/// One column: its SQLite name, its database name and what its values become.
#[derive(Debug)]
pub(super) struct ColumnPlan {
    source: String,
    target: String,
    kind: Kind,
}

/// How one table is copied.
#[derive(Debug)]
pub(super) struct TablePlan {
    pub(super) table: &'static str,
    pub(super) columns: Vec<ColumnPlan>,
    /// The database's identity columns.
    pub(super) identities: Vec<String>,
}

/// Checks that `office.db` holds exactly the tables of [`TABLES`] and maps every column of each
/// onto the database's (SQLite's `x_json` is the database's `x` when that is JSON), before any
/// row is copied.
pub(super) async fn plan_tables(
    snapshot: &Connection,
    tx: &impl GenericClient,
    db_path: &Path,
) -> Result<Vec<TablePlan>, MigrateError> {
    let unreadable = |e: rusqlite::Error| MigrateError::SourceUnreadable {
        path: db_path.to_path_buf(),
        reason: e.to_string(),
    };
    let present: BTreeSet<String> = snapshot
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .map_err(unreadable)?;
    if let Some(unknown) = present
        .iter()
        .find(|t| !TABLES.contains(&t.as_str()) && !KEPT_BY_TRIGGERS.contains(&t.as_str()))
    {
        return Err(MigrateError::TableNotHandled(unknown.clone()));
    }
    if let Some(missing) = TABLES.iter().find(|t| !present.contains(**t)) {
        return Err(MigrateError::SourceUnreadable {
            path: db_path.to_path_buf(),
            reason: format!("it has no table {missing}, which this program's schema has"),
        });
    }
    let mut plans = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let source: Vec<String> = snapshot
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
            .and_then(|mut s| {
                s.query_map([table], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<_>>()
            })
            .map_err(unreadable)?;
        let target: Vec<(String, String, bool)> = tx
            .query(
                "SELECT column_name::text, data_type::text, is_identity::text = 'YES'
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                &[table],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        let not_handled = |column: &str, reason: String| MigrateError::ColumnNotHandled {
            table: (*table).to_owned(),
            column: column.to_owned(),
            reason,
        };
        if target.is_empty() {
            return Err(not_handled(
                "*",
                "the database has no such table".to_owned(),
            ));
        }
        let mut columns = Vec::with_capacity(source.len());
        for name in &source {
            let found = target.iter().find(|(t, _, _)| t == name).or_else(|| {
                let stripped = name.strip_suffix("_json")?;
                target
                    .iter()
                    .find(|(t, ty, _)| t == stripped && Kind::of(ty) == Some(Kind::Json))
            });
            let Some((target_name, data_type, _)) = found else {
                return Err(not_handled(
                    name,
                    "the database's table has no such column".to_owned(),
                ));
            };
            let kind = Kind::of(data_type).ok_or_else(|| {
                not_handled(
                    name,
                    format!(
                        "its type in the database, {data_type}, is not one this program converts to"
                    ),
                )
            })?;
            columns.push(ColumnPlan {
                source: name.clone(),
                target: target_name.clone(),
                kind,
            });
        }
        if let Some((unmapped, _, _)) = target
            .iter()
            .find(|(t, _, _)| !columns.iter().any(|c| &c.target == t))
        {
            return Err(not_handled(
                unmapped,
                "the database has it, office.db does not".to_owned(),
            ));
        }
        let identities = target
            .iter()
            .filter(|(_, _, identity)| *identity)
            .map(|(t, _, _)| t.clone())
            .collect();
        plans.push(TablePlan {
            table,
            columns,
            identities,
        });
    }
    Ok(plans)
}

/// A value on its way to the database, of the column's type.
#[derive(Debug)]
pub(super) enum PgValue {
    Null,
    Int8(i64),
    Int4(i32),
    Int2(i16),
    Bool(bool),
    Float8(f64),
    Text(String),
    Timestamptz(DateTime<Utc>),
    Date(NaiveDate),
    Json(serde_json::Value),
    Bytea(Vec<u8>),
}

impl PgValue {
    /// Roughly how many bytes it takes to send.
    fn size(&self) -> usize {
        match self {
            PgValue::Text(s) => s.len(),
            PgValue::Bytea(b) => b.len(),
            // Approximate: JSON values are sent as text.
            PgValue::Json(_) => 64,
            _ => 8,
        }
    }
}

impl ToSql for PgValue {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            PgValue::Null => Ok(IsNull::Yes),
            PgValue::Int8(v) => v.to_sql_checked(ty, out),
            PgValue::Int4(v) => v.to_sql_checked(ty, out),
            PgValue::Int2(v) => v.to_sql_checked(ty, out),
            PgValue::Bool(v) => v.to_sql_checked(ty, out),
            PgValue::Float8(v) => v.to_sql_checked(ty, out),
            PgValue::Text(v) => v.to_sql_checked(ty, out),
            PgValue::Timestamptz(v) => v.to_sql_checked(ty, out),
            PgValue::Date(v) => v.to_sql_checked(ty, out),
            PgValue::Json(v) => v.to_sql_checked(ty, out),
            PgValue::Bytea(v) => v.to_sql_checked(ty, out),
        }
    }

    /// Each value checks its type when it is written (`to_sql_checked` above).
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Text that PostgreSQL can hold (no NUL character).
pub(super) fn text_of(bytes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "is not UTF-8 text".to_owned())?
        .to_owned();
    if text.contains('\0') {
        return Err("holds a NUL character, which PostgreSQL text cannot".to_owned());
    }
    Ok(text)
}

/// One SQLite value as the database's column of `kind` takes it, or why it cannot be.
pub(super) fn convert(kind: Kind, value: ValueRef<'_>) -> Result<PgValue, String> {
    let shown = |v: ValueRef<'_>| match v {
        ValueRef::Null => "NULL".to_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    };
    let wrong = |what: &str| format!("{} is not {what}", shown(value));
    Ok(match (kind, value) {
        (_, ValueRef::Null) => PgValue::Null,
        (Kind::Int8, ValueRef::Integer(i)) => PgValue::Int8(i),
        (Kind::Int4, ValueRef::Integer(i)) => {
            PgValue::Int4(i32::try_from(i).map_err(|_| wrong("a 32-bit integer"))?)
        }
        (Kind::Int2, ValueRef::Integer(i)) => {
            PgValue::Int2(i16::try_from(i).map_err(|_| wrong("a 16-bit integer"))?)
        }
        (Kind::Bool, ValueRef::Integer(i @ (0 | 1))) => PgValue::Bool(i == 1),
        (Kind::Float8, ValueRef::Real(f)) => PgValue::Float8(f),
        (Kind::Float8, ValueRef::Integer(i)) => PgValue::Float8(i as f64),
        (Kind::Text, ValueRef::Text(t)) => PgValue::Text(text_of(t)?),
        (Kind::Timestamptz, ValueRef::Text(t)) => {
            let text = text_of(t)?;
            let at = DateTime::parse_from_rfc3339(&text)
                .map_err(|_| wrong("an RFC 3339 time"))?
                .with_timezone(&Utc);
            // What the database keeps, and what every hash over a time formats.
            PgValue::Timestamptz(at.trunc_subsecs(6))
        }
        (Kind::Date, ValueRef::Text(t)) => {
            let text = text_of(t)?;
            PgValue::Date(
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|_| wrong("a date YYYY-MM-DD"))?,
            )
        }
        (Kind::Json, ValueRef::Text(t)) => {
            let text = text_of(t)?;
            if text.contains("\\u0000") {
                return Err("holds a NUL character, which PostgreSQL JSON cannot".to_owned());
            }
            PgValue::Json(serde_json::from_str(&text).map_err(|e| format!("is not JSON: {e}"))?)
        }
        (Kind::Bytea, ValueRef::Blob(b)) => PgValue::Bytea(b.to_vec()),
        (kind, _) => return Err(wrong(&format!("of the database's type ({kind:?})"))),
    })
}

/// The multi-row INSERT of `rows` rows into `plan`'s table.
pub(super) fn insert_sql(plan: &TablePlan, rows: usize) -> String {
    let n = plan.columns.len();
    let columns: Vec<String> = plan.columns.iter().map(|c| quoted(&c.target)).collect();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=n).map(|c| format!("${}", r * n + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES {}",
        quoted(plan.table),
        columns.join(", "),
        values.join(", ")
    )
}

/// Copies one table's rows (those `filter` keeps) in batches; returns how many.
pub(super) async fn copy_table(
    snapshot: &Connection,
    tx: &impl GenericClient,
    plan: &TablePlan,
    filter: &str,
    total: u64,
    progress: &mut dyn FnMut(Progress<'_>),
    db_path: &Path,
) -> Result<u64, MigrateError> {
    let unreadable = |e: rusqlite::Error| MigrateError::SourceUnreadable {
        path: db_path.to_path_buf(),
        reason: e.to_string(),
    };
    let n = plan.columns.len().max(1);
    let batch_rows = BATCH_ROWS.min(u16::MAX as usize / n).max(1);
    let full = tx.prepare(&insert_sql(plan, batch_rows)).await?;
    let select = format!(
        "SELECT rowid, {} FROM {}{filter} ORDER BY rowid",
        plan.columns
            .iter()
            .map(|c| quoted(&c.source))
            .collect::<Vec<_>>()
            .join(", "),
        quoted(plan.table)
    );
    let mut stmt = snapshot.prepare(&select).map_err(unreadable)?;
    let mut rows = stmt.query([]).map_err(unreadable)?;
    let (mut batch, mut in_batch, mut bytes, mut done) = (Vec::new(), 0usize, 0usize, 0u64);
    progress(Progress::Table {
        table: plan.table,
        done,
        total,
    });
    loop {
        let row = rows.next().map_err(unreadable)?;
        let last = row.is_none();
        if let Some(row) = row {
            let rowid: i64 = row.get(0).map_err(unreadable)?;
            for (i, column) in plan.columns.iter().enumerate() {
                let value = row.get_ref(i + 1).map_err(unreadable)?;
                let value = convert(column.kind, value).map_err(|reason| {
                    MigrateError::RowDoesNotConvert {
                        table: plan.table.to_owned(),
                        rowid,
                        column: column.source.clone(),
                        reason,
                    }
                })?;
                bytes += value.size();
                batch.push(value);
            }
            in_batch += 1;
        }
        if in_batch > 0 && (in_batch == batch_rows || bytes >= BATCH_BYTES || last) {
            let params: Vec<&(dyn ToSql + Sync)> =
                batch.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            if in_batch == batch_rows {
                tx.execute(&full, &params).await?;
            } else {
                tx.execute(insert_sql(plan, in_batch).as_str(), &params)
                    .await?;
            }
            done += in_batch as u64;
            progress(Progress::Table {
                table: plan.table,
                done,
                total,
            });
            batch.clear();
            in_batch = 0;
            bytes = 0;
        }
        if last {
            break;
        }
    }
    Ok(done)
}

/// Moves each identity's sequence past the largest id in its table and past SQLite's own
/// AUTOINCREMENT mark (ids handed out once and deleted since are never handed out again).
pub(super) async fn advance_sequences(
    snapshot: &Connection,
    tx: &impl GenericClient,
    plans: &[TablePlan],
    db_path: &Path,
) -> Result<Vec<(String, String, i64)>, MigrateError> {
    let unreadable = |e: rusqlite::Error| MigrateError::SourceUnreadable {
        path: db_path.to_path_buf(),
        reason: e.to_string(),
    };
    let has_sequences: bool = snapshot
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')",
            [],
            |r| r.get(0),
        )
        .map_err(unreadable)?;
    let mut advanced = Vec::new();
    for plan in plans {
        for column in &plan.identities {
            let handed_out: Option<i64> = if has_sequences {
                snapshot
                    .query_row(
                        "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                        [plan.table],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(unreadable)?
            } else {
                None
            };
            let largest: Option<i64> = tx
                .query_one(
                    &format!(
                        "SELECT max({})::bigint FROM {}",
                        quoted(column),
                        quoted(plan.table)
                    ),
                    &[],
                )
                .await?
                .get(0);
            let sequence: Option<String> = tx
                .query_one(
                    "SELECT pg_get_serial_sequence($1, $2)",
                    &[&quoted(plan.table), column],
                )
                .await?
                .get(0);
            let Some(sequence) = sequence else {
                return Err(MigrateError::ColumnNotHandled {
                    table: plan.table.to_owned(),
                    column: column.clone(),
                    reason: "the database names no sequence for this identity".to_owned(),
                });
            };
            let past = largest.max(handed_out).unwrap_or(0);
            if past >= 1 {
                tx.execute(
                    "SELECT setval($1::text::regclass, $2, true)",
                    &[&sequence, &past],
                )
                .await?;
            }
            tracing::debug!(table = plan.table, %column, next = past.max(0) + 1, "identity advanced");
            advanced.push((plan.table.to_owned(), column.clone(), past.max(0) + 1));
        }
    }
    Ok(advanced)
}
