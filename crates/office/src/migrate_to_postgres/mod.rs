//! Moving an office from its data folder (SQLite `office.db` and `files/`) into an empty
//! PostgreSQL database, so that it is served from there (`serve --database`) and its desks carry
//! on where they were: the same ids and receipts, the change log with its `seq` values (the
//! desks' cursors), draft backups with their `rev` and `seq`, sessions, and every file, uploads
//! under way included at their offsets.
//!
//! What it does, in order:
//! 1. Opens `office.db` as the backup does (never creating it; the office may be serving) and
//!    refuses a folder that holds no office, or one whose schema is not this program's.
//! 2. Connects to the database, applies the normal schema migrations, and opens ONE transaction
//!    that locks the office's tables and refuses a database that holds anything yet.
//! 3. Reads `office.db` in one read transaction (one consistent moment; WAL lets the office go on
//!    writing meanwhile) and checks its own audit chain first.
//! 4. Streams every complete file that an item, an upload or a draft backup names into
//!    `blob_chunks` and every upload under way into `upload_pieces`, in chunks of at most
//!    [`CHUNK_BYTES`], hashing complete files against their names.
//! 5. Copies every table of [`TABLES`] row by row in batches, keeping every value: ids, `seq`s,
//!    RFC 3339 times as `timestamptz`, dates as `date`, JSON text as `jsonb`, 0/1 as booleans. A
//!    table of `office.db` not in [`TABLES`], or a column without a place in the database, fails
//!    the migration before anything is copied, so a table added later cannot be forgotten.
//! 6. Moves every identity sequence past the largest id (and past SQLite's AUTOINCREMENT
//!    high-water mark), so new rows never collide.
//! 7. Verifies, still inside the transaction: every table's count equals `office.db`'s, the
//!    files' counts and bytes, and the audit chain verifies on PostgreSQL. Only then it commits;
//!    any failure rolls everything back (the schema alone stays, as `serve` would create it).
//!
//! The audit chain survives the move because its hash covers `at` as RFC 3339 text with
//! microseconds in UTC (`audit::chain_hash`): `office.db` holds exactly that text, and
//! `timestamptz` keeps microseconds, so the instant read back formats to the same text. Times are
//! truncated to whole microseconds before they are sent (what the format keeps anyway), and the
//! chain is verified on PostgreSQL before the commit, so a time that would not survive the
//! round-trip fails the migration instead of breaking the chain.
//!
//! Whatever the SQLite office accepts after the read transaction began is not moved: stop the
//! office (or its desks) before the final run, and point them at the new office after it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use rusqlite::{Connection, OpenFlags};

use crate::audit::{self, ChainBreak, Record};
use crate::store::SCHEMA_VERSION;
use crate::store::postgres::{PgError, connect, log, migrate};

mod files;
mod rows;

use files::*;
use rows::*;

/// Every table of the office's SQLite schema, in the order they are copied (a table after the
/// ones its foreign keys name). A table of `office.db` missing here fails the migration.
pub const TABLES: &[&str] = &[
    "departments",
    "seats",
    "sessions",
    "columns",
    "changes",
    "uploads",
    "commissions",
    "commission_targets",
    "items",
    "item_files",
    "draft_backups",
    "column_updates",
    "calendar_days",
    "item_events",
    "holders",
    "handovers",
    "revoked_sessions",
    "audit_log",
    "word_lists",
    "seat_codes",
    "urges",
    "score_schemes",
    "closed_months",
    "month_facts",
];

/// Tables of `office.db` that are not copied: the database keeps its own, as SQLite does, by
/// triggers that count the items as they are copied in.
pub const KEPT_BY_TRIGGERS: &[&str] = &["inbox_totals", "inbox_days"];

/// The database's tables for files, written besides [`TABLES`] (and checked empty with them).
const FILE_TABLES: &[&str] = &["blob_chunks", "upload_pieces"];

/// Rows sent in one INSERT (fewer for wide tables: at most 65 535 parameters a statement).
const BATCH_ROWS: usize = 500;
/// A batch is sent once its values reach about this many bytes, however few rows it has.
const BATCH_BYTES: usize = 8 << 20;

/// Why an office could not be moved. Nothing was committed to the database in any case.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "{} is not an office's data folder (it holds no office database office.db)",
        .0.display()
    )]
    NotAnOffice(PathBuf),
    #[error("reading the office in {}: {reason}", path.display())]
    SourceUnreadable { path: PathBuf, reason: String },
    #[error(
        "office.db has schema version {found}, this program moves version {knows}: {}",
        if found < knows {
            "serve it once with this program (it brings its schema up to date at start), \
             then migrate"
        } else {
            "migrate it with the newer program that wrote it"
        }
    )]
    SourceSchema { found: u32, knows: u32 },
    #[error("office.db's own audit log does not verify ({0}): nothing was moved")]
    SourceAuditBroken(ChainBreak),
    #[error(
        "the database already holds an office (its table {table} has {rows} rows): an office is \
         moved only into an empty database; nothing was changed"
    )]
    DatabaseNotEmpty { table: String, rows: i64 },
    #[error(
        "office.db has a table {0} this program does not know how to move: nothing was moved \
         (a newer office wrote it, or the migration lacks it)"
    )]
    TableNotHandled(String),
    #[error("the table {table}'s column {column} cannot be moved: {reason}; nothing was moved")]
    ColumnNotHandled {
        table: String,
        column: String,
        reason: String,
    },
    #[error(
        "the row {rowid} of {table} does not convert: its {column} {reason}; nothing was moved"
    )]
    RowDoesNotConvert {
        table: String,
        rowid: i64,
        column: String,
        reason: String,
    },
    #[error(
        "the database names the file {sha256}, but {} is missing: the data folder is damaged",
        path.display()
    )]
    MissingFile { sha256: String, path: PathBuf },
    #[error(
        "the stored file {} does not have the SHA-256 its name says: the data folder is damaged",
        .0.display()
    )]
    DamagedFile(PathBuf),
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "after the move, {table} holds {postgres} rows in the database but {sqlite} in office.db: \
         nothing was committed"
    )]
    CountMismatch {
        table: String,
        sqlite: u64,
        postgres: u64,
    },
    #[error(
        "after the move, the audit chain does not verify in the database ({0}): nothing was \
         committed"
    )]
    AuditBroken(ChainBreak),
    #[error("the database: {0}")]
    Database(#[from] PgError),
}

impl From<tokio_postgres::Error> for MigrateError {
    fn from(e: tokio_postgres::Error) -> Self {
        MigrateError::Database(PgError::Database(e))
    }
}

impl From<deadpool_postgres::PoolError> for MigrateError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        MigrateError::Database(e.into())
    }
}

/// How far the move is, for a caller that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Bytes of files written so far, of all to write (complete files and uploads under way).
    Files { done: u64, total: u64 },
    /// Rows of `table` written so far, of all it holds.
    Table {
        table: &'a str,
        done: u64,
        total: u64,
    },
}

/// What was moved (and verified in the database before it was committed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    /// Rows of each table, in [`TABLES`] order.
    pub tables: Vec<(String, u64)>,
    /// Complete files and their bytes.
    pub blobs: u64,
    pub blob_bytes: u64,
    /// Uploads under way and their bytes so far.
    pub partial_uploads: u64,
    pub partial_bytes: u64,
    /// Entries of the audit chain, verified in the database.
    pub audit_entries: u64,
    /// Complete uploads nothing used that the office's sweep deleted while the move ran: left
    /// out, as the sweep would have.
    pub swept_uploads: u64,
    /// Each identity's next value in the database: `(table, column, next)`.
    pub sequences: Vec<(String, String, i64)>,
}

/// Moves the office in `data` into the empty PostgreSQL database at `url` (waiting up to `wait`
/// for it to answer), calling `progress` as rows and bytes are written. Blocking: it runs on a
/// small runtime of its own, so call it from a thread that may block (`spawn_blocking` in async
/// code), never from inside an async task.
pub fn migrate_to_postgres(
    data: &Path,
    url: &str,
    wait: Duration,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Moved, MigrateError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| MigrateError::Io {
            what: "starting the migration's runtime for",
            path: data.to_path_buf(),
            source,
        })?;
    runtime.block_on(run(data, url, wait, progress))
}

async fn run(
    data: &Path,
    url: &str,
    wait: Duration,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Moved, MigrateError> {
    let db_path = data.join("office.db");
    let unreadable = |e: rusqlite::Error| MigrateError::SourceUnreadable {
        path: db_path.clone(),
        reason: e.to_string(),
    };
    // 1. The source, before the database is touched at all.
    let conn = open_source(data)?;

    // 2. The database: its schema, then one transaction holding its tables, which are empty.
    let pool = connect(url, Some(wait)).await?;
    migrate(&pool).await?;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let all: Vec<&str> = TABLES.iter().chain(FILE_TABLES).copied().collect();
    tx.batch_execute(&format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        all.iter().map(|t| quoted(t)).collect::<Vec<_>>().join(", ")
    ))
    .await?;
    // Seats first: what "holds an office" means to the operator.
    for table in std::iter::once(&"seats").chain(&all) {
        let rows: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", quoted(table)), &[])
            .await?
            .get(0);
        if rows > 0 {
            return Err(MigrateError::DatabaseNotEmpty {
                table: (*table).to_owned(),
                rows,
            });
        }
    }

    // 3. The source at one moment, and every table in it handled and mapped.
    let snapshot = conn.unchecked_transaction().map_err(unreadable)?;
    let plans = plan_tables(&snapshot, &tx, &db_path).await?;
    let source_audit = source_audit(&snapshot).map_err(unreadable)?;
    let audit_entries = match source_audit {
        Ok(n) => n,
        Err(broken) => return Err(MigrateError::SourceAuditBroken(broken)),
    };
    tracing::info!(
        tables = plans.len(),
        audit_entries,
        "office.db read at one moment; its audit chain verifies"
    );

    // 4. The files.
    let files = plan_files(&snapshot, data).map_err(|e| match e {
        FilesError::Db(e) => unreadable(e),
        FilesError::Migrate(e) => e,
    })?;
    let copied = copy_files(&tx, &files, progress).await?;

    // 5. The rows, each table in one go; the uploads the sweep removed meanwhile left out.
    let mut moved = Moved {
        blobs: copied.blobs,
        blob_bytes: copied.blob_bytes,
        partial_uploads: copied.partials,
        partial_bytes: copied.partial_bytes,
        audit_entries,
        swept_uploads: copied.swept.len() as u64,
        ..Moved::default()
    };
    let mut expected = Vec::with_capacity(plans.len());
    for plan in &plans {
        let filter = if plan.table == "uploads" && !copied.swept.is_empty() {
            // Validated as 64 hex digits: safe as literals.
            let list: Vec<String> = copied.swept.iter().map(|s| format!("'{s}'")).collect();
            format!(
                " WHERE NOT (mime IS NOT NULL AND sha256 IN ({}))",
                list.join(", ")
            )
        } else {
            String::new()
        };
        let total: i64 = snapshot
            .query_row(
                &format!("SELECT count(*) FROM {}{filter}", quoted(plan.table)),
                [],
                |r| r.get(0),
            )
            .map_err(unreadable)?;
        let total = u64::try_from(total).unwrap_or(0);
        let rows = copy_table(&snapshot, &tx, plan, &filter, total, progress, &db_path).await?;
        tracing::debug!(table = plan.table, rows, "table moved");
        moved.tables.push((plan.table.to_owned(), rows));
        expected.push((plan.table, total));
    }

    // 6. Every identity past the largest id it handed out.
    moved.sequences = advance_sequences(&snapshot, &tx, &plans, &db_path).await?;

    // 7. Verified before it counts.
    for (table, sqlite) in expected {
        let postgres: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {}", quoted(table)), &[])
            .await?
            .get(0);
        let postgres = u64::try_from(postgres).unwrap_or(0);
        if postgres != sqlite {
            return Err(MigrateError::CountMismatch {
                table: table.to_owned(),
                sqlite,
                postgres,
            });
        }
    }
    let row = tx
        .query_one(
            "SELECT count(DISTINCT sha256), coalesce(sum(length(bytes)), 0)::bigint
             FROM blob_chunks",
            &[],
        )
        .await?;
    check_files("blob_chunks", (copied.blobs, copied.blob_bytes), &row)?;
    let row = tx
        .query_one(
            "SELECT count(DISTINCT (seat_id, sha256)), coalesce(sum(length(bytes)), 0)::bigint
             FROM upload_pieces",
            &[],
        )
        .await?;
    check_files(
        "upload_pieces",
        (copied.partials, copied.partial_bytes),
        &row,
    )?;
    match log::verify_audit(&tx).await? {
        Ok(n) if n == audit_entries => {}
        Ok(n) => {
            return Err(MigrateError::CountMismatch {
                table: "audit_log (verified entries)".into(),
                sqlite: audit_entries,
                postgres: n,
            });
        }
        Err(broken) => return Err(MigrateError::AuditBroken(broken)),
    }
    tx.commit().await?;
    // The read transaction only read: ending it changes nothing.
    drop(snapshot);
    tracing::info!("the office is in the database");
    Ok(moved)
}

/// Checks the files' `(count, bytes)` in the database against what was written.
fn check_files(
    table: &str,
    written: (u64, u64),
    row: &tokio_postgres::Row,
) -> Result<(), MigrateError> {
    let count = u64::try_from(row.get::<_, i64>(0)).unwrap_or(0);
    let bytes = u64::try_from(row.get::<_, i64>(1)).unwrap_or(0);
    if count != written.0 {
        return Err(MigrateError::CountMismatch {
            table: format!("{table} (files)"),
            sqlite: written.0,
            postgres: count,
        });
    }
    if bytes != written.1 {
        return Err(MigrateError::CountMismatch {
            table: format!("{table} (bytes)"),
            sqlite: written.1,
            postgres: bytes,
        });
    }
    Ok(())
}

/// An identifier, quoted for SQL (both SQLite and PostgreSQL).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Opens `data`'s database without creating it, as the backup does (the office may be serving),
/// if it is an office's of this program's schema.
fn open_source(data: &Path) -> Result<Connection, MigrateError> {
    let path = data.join("office.db");
    let not_office = || MigrateError::NotAnOffice(data.to_path_buf());
    if !path.is_file() {
        return Err(not_office());
    }
    let unreadable = |e: rusqlite::Error| {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) {
            not_office()
        } else {
            MigrateError::SourceUnreadable {
                path: path.clone(),
                reason: e.to_string(),
            }
        }
    };
    let conn = Connection::open_with_flags(
        &path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(unreadable)?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(unreadable)?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'
             AND name IN ('seats', 'items', 'item_files', 'uploads', 'audit_log')",
            [],
            |r| r.get(0),
        )
        .map_err(unreadable)?;
    if tables != 5 {
        return Err(not_office());
    }
    let found: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(unreadable)?;
    if found != SCHEMA_VERSION {
        return Err(MigrateError::SourceSchema {
            found,
            knows: SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

/// Checks the source's audit chain: the number of entries, or where it breaks.
fn source_audit(conn: &Connection) -> rusqlite::Result<Result<u64, ChainBreak>> {
    let mut stmt = conn.prepare(
        "SELECT seq, prev_hash, hash, at, actor, action, subject, detail, address
         FROM audit_log ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([], |r| {
            let at: String = r.get(3)?;
            let at = DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?;
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                Record {
                    at,
                    actor: r.get(4)?,
                    action: r.get(5)?,
                    subject: r.get(6)?,
                    detail: r.get(7)?,
                    address: r.get(8)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(audit::verify(rows.iter().map(
        |(seq, prev, hash, record)| (*seq, prev.as_str(), hash.as_str(), record),
    )))
}
