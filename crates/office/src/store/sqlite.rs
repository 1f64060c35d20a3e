//! [`Store`] on one SQLite file (WAL). One connection behind a mutex: a city's load is a few
//! writes a second, and every method is one short transaction.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use liaison_domain::wire::{
    Change, DraftBackup, InboxItem, ItemDetail, StateCount, TimelineEntry, TimelineKind,
};
use liaison_domain::{
    AttachmentRef, ColumnLevel, ColumnView, DepartmentView, FeedMethod, ItemState, Role, SeatView,
    SignoffPolicy, WorkCalendar,
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::handover;
use super::inbox::{self, Dialect, INBOX_SELECT, InboxValue, PagePlan};
use super::{DutyInput, InboxFilter, SeatCredentials, SessionEnd, Store, StoreError, Upload};

pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_files_and_draft_backups.sql"),
    include_str!("../../migrations/0003_duties.sql"),
    include_str!("../../migrations/0004_signoff_and_review.sql"),
    include_str!("../../migrations/0005_handover_and_audit.sql"),
    include_str!("../../migrations/0006_word_lists.sql"),
    include_str!("../../migrations/0007_inbox_indexes.sql"),
    include_str!("../../migrations/0008_seat_keys_and_change_audience.sql"),
    include_str!("../../migrations/0009_upload_quota.sql"),
    include_str!("../../migrations/0010_organisation_admin.sql"),
    include_str!("../../migrations/0011_column_watch.sql"),
    include_str!("../../migrations/0012_commissions.sql"),
    include_str!("../../migrations/0013_scores.sql"),
    include_str!("../../migrations/0014_inbox_counts.sql"),
];

/// The schema version this binary writes (`PRAGMA user_version` after migrating).
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens or creates `office.db` at `path`, migrating it to this binary's schema.
    pub fn open(path: &Path) -> Result<Self, liaison_sqlite::OpenError> {
        let mut conn = liaison_sqlite::open(path)?;
        liaison_sqlite::migrate(&mut conn, MIGRATIONS)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `f` in one transaction, committed only if it succeeds.
    fn in_transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` with `synchronous=OFF`: for loading sample data in bulk (`admin seed`), where a
    /// power cut mid-way only means seeding again. Never for what a desk or an editor sends.
    pub fn bulk_load<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        self.conn().pragma_update(None, "synchronous", "OFF")?;
        let result = f();
        self.conn().pragma_update(None, "synchronous", "FULL")?;
        Ok(result)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half transaction behind (SQLite rolls
        // back), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub(super) fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

pub(super) fn bad_value(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {what} {value:?}").into(),
    )
}

fn parse_state(s: &str) -> rusqlite::Result<ItemState> {
    ItemState::parse(s).ok_or_else(|| bad_value("item state", s))
}

pub(super) const SEAT_SELECT: &str =
    "SELECT s.id, s.login, s.role, s.holder_name, d.id, d.name, s.password_hash, d.signoff,
            s.disabled_at IS NOT NULL
     FROM seats s LEFT JOIN departments d ON d.id = s.department_id";

pub(super) fn parse_policy(s: &str) -> rusqlite::Result<SignoffPolicy> {
    SignoffPolicy::parse(s).ok_or_else(|| bad_value("sign-off policy", s))
}

pub(super) fn seat_from_row(row: &Row<'_>) -> rusqlite::Result<SeatCredentials> {
    let role: String = row.get(2)?;
    let role = Role::parse(&role).ok_or_else(|| bad_value("role", &role))?;
    let department = match row.get::<_, Option<i64>>(4)? {
        Some(id) => DepartmentView {
            id,
            name: row.get(5)?,
            signoff: parse_policy(&row.get::<_, String>(7)?)?,
        },
        // The editorial office's own seats.
        None => DepartmentView {
            id: 0,
            name: "门户网站编辑部".into(),
            signoff: SignoffPolicy::default(),
        },
    };
    Ok(SeatCredentials {
        seat: SeatView {
            id: row.get(0)?,
            login: row.get(1)?,
            role,
            department,
            holder_name: row.get(3)?,
        },
        password_hash: row.get(6)?,
        disabled: row.get(8)?,
    })
}

/// What [`column_from_row`] reads, in its order.
pub(super) const COLUMN_FIELDS: &str = "id, department_id, name, path, feed, duty_json, level";

pub(super) fn column_from_row(row: &Row<'_>) -> rusqlite::Result<ColumnView> {
    let feed: String = row.get(4)?;
    let duty: String = row.get(5)?;
    let level: String = row.get(6)?;
    Ok(ColumnView {
        id: row.get(0)?,
        department_id: row.get(1)?,
        name: row.get(2)?,
        path: row.get(3)?,
        feed: FeedMethod::parse(&feed).ok_or_else(|| bad_value("feed method", &feed))?,
        duty: serde_json::from_str(&duty).map_err(|_| bad_value("duty rule", &duty))?,
        level: ColumnLevel::parse(&level).ok_or_else(|| bad_value("column level", &level))?,
    })
}

const ITEM_SELECT: &str =
    "SELECT id, receipt, draft_key, version, department_id, column_id, holder_name,
            title, body_html, state, delivered_at, published_url, review_comment, reviewed_at,
            published_at, attestation_json, signed_off_by, waiting_since
     FROM items";

fn opt_ts(s: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    s.map(|s| parse_ts(&s)).transpose()
}

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<ItemDetail> {
    Ok(ItemDetail {
        id: row.get(0)?,
        receipt: row.get(1)?,
        draft_key: row.get(2)?,
        version: row.get(3)?,
        department_id: row.get(4)?,
        column_id: row.get(5)?,
        holder_name: row.get(6)?,
        title: row.get(7)?,
        body_html: row.get(8)?,
        state: parse_state(&row.get::<_, String>(9)?)?,
        delivered_at: parse_ts(&row.get::<_, String>(10)?)?,
        published_url: row.get(11)?,
        review_comment: row.get(12)?,
        reviewed_at: opt_ts(row.get(13)?)?,
        published_at: opt_ts(row.get(14)?)?,
        attachments: Vec::new(), // filled by `with_files`
        attestation: row
            .get::<_, Option<String>>(15)?
            .map(|j| serde_json::from_str(&j).map_err(|_| bad_value("attestation", &j)))
            .transpose()?,
        signed_off_by: row.get(16)?,
        waiting_since: opt_ts(row.get(17)?)?,
        timeline: Vec::new(), // filled by `with_files`
    })
}

fn timeline_of(conn: &Connection, item_id: i64) -> Result<Vec<TimelineEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, actor, actor_role, text, quote FROM item_events
         WHERE item_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([item_id], |r| {
        let kind: String = r.get(1)?;
        let role: String = r.get(3)?;
        Ok(TimelineEntry {
            at: parse_ts(&r.get::<_, String>(0)?)?,
            kind: TimelineKind::parse(&kind).ok_or_else(|| bad_value("timeline kind", &kind))?,
            actor: r.get(2)?,
            actor_role: Role::parse(&role).ok_or_else(|| bad_value("role", &role))?,
            text: r.get(4)?,
            quote: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Appends one entry to an item's timeline.
pub(super) fn add_event(
    conn: &Connection,
    item_id: i64,
    entry: &TimelineEntry,
    seat_id: i64,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO item_events (item_id, at, kind, seat_id, actor, actor_role, text, quote)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            item_id,
            ts(entry.at),
            entry.kind.as_str(),
            seat_id,
            entry.actor,
            entry.actor_role.as_str(),
            entry.text,
            entry.quote
        ],
    )?;
    Ok(())
}

fn files_of(conn: &Connection, item_id: i64) -> Result<Vec<AttachmentRef>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT sha256, name, size, mime FROM item_files WHERE item_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([item_id], |r| {
        Ok(AttachmentRef {
            sha256: r.get(0)?,
            name: r.get(1)?,
            size: r.get(2)?,
            mime: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn with_files(conn: &Connection, mut item: ItemDetail) -> Result<ItemDetail, StoreError> {
    item.attachments = files_of(conn, item.id)?;
    item.timeline = timeline_of(conn, item.id)?;
    Ok(item)
}

pub(super) fn item_in(conn: &Connection, id: i64) -> Result<Option<ItemDetail>, StoreError> {
    conn.query_row(&format!("{ITEM_SELECT} WHERE id = ?1"), [id], item_from_row)
        .optional()?
        .map(|item| with_files(conn, item))
        .transpose()
}

pub(super) const UPLOAD_SELECT: &str = "SELECT sha256, size, name, mime FROM uploads";

pub(super) fn upload_from_row(r: &Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload {
        sha256: r.get(0)?,
        size: r.get(1)?,
        name: r.get(2)?,
        mime: r.get(3)?,
    })
}

pub(super) const BACKUP_SELECT: &str =
    "SELECT draft_key, rev, version, column_id, title, body_html,
        attachments_json, updated_at, origin, seq FROM draft_backups";

pub(super) fn backup_from_row(r: &Row<'_>) -> rusqlite::Result<DraftBackup> {
    let files: String = r.get(6)?;
    Ok(DraftBackup {
        draft_key: r.get(0)?,
        rev: r.get(1)?,
        version: r.get(2)?,
        column_id: r.get(3)?,
        title: r.get(4)?,
        body_html: r.get(5)?,
        attachments: serde_json::from_str(&files).map_err(|_| bad_value("file list", &files))?,
        updated_at: parse_ts(&r.get::<_, String>(7)?)?,
        origin: r.get(8)?,
        seq: r.get(9)?,
    })
}

/// An inbox placeholder's value as SQLite stores it.
fn inbox_value(v: &InboxValue) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        InboxValue::Id(n) | InboxValue::Number(n) => Value::Integer(*n),
        InboxValue::At(t) => Value::Text(ts(*t)),
        InboxValue::Day(d) => Value::Text(d.format("%Y-%m-%d").to_string()),
        InboxValue::Text(t) => Value::Text((*t).to_owned()),
    }
}

fn inbox_counts_in(conn: &Connection, filter: &InboxFilter) -> Result<Vec<StateCount>, StoreError> {
    let counts = inbox::counts_sql(filter, Dialect::Sqlite);
    let mut stmt = conn.prepare_cached(&counts.sql)?;
    let rows = stmt.query_map(
        rusqlite::params_from_iter(counts.values.iter().map(inbox_value)),
        |r| {
            Ok(StateCount {
                state: parse_state(&r.get::<_, String>(0)?)?,
                count: r.get(1)?,
            })
        },
    )?;
    Ok(inbox::in_state_order(rows.collect::<Result<_, _>>()?))
}

fn inbox_item_from_row(r: &Row<'_>) -> rusqlite::Result<InboxItem> {
    Ok(InboxItem {
        id: r.get(0)?,
        receipt: r.get(1)?,
        department: DepartmentView {
            id: r.get(2)?,
            name: r.get(3)?,
            signoff: parse_policy(&r.get::<_, String>(4)?)?,
        },
        column_id: r.get(5)?,
        column_name: r.get(6)?,
        holder_name: r.get(7)?,
        seat_login: r.get(8)?,
        title: r.get(9)?,
        version: r.get(10)?,
        state: parse_state(&r.get::<_, String>(11)?)?,
        delivered_at: parse_ts(&r.get::<_, String>(12)?)?,
        waiting_since: parse_ts(&r.get::<_, String>(13)?)?,
    })
}

impl Store for SqliteStore {
    fn departments(&self) -> Result<Vec<DepartmentView>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, signoff FROM departments WHERE retired_at IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DepartmentView {
                id: r.get(0)?,
                name: r.get(1)?,
                signoff: parse_policy(&r.get::<_, String>(2)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn all_columns(&self) -> Result<Vec<ColumnView>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMN_FIELDS} FROM columns ORDER BY department_id, id"
        ))?;
        let rows = stmt.query_map([], column_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM seats", [], |r| r.get(0))?;
        Ok(n == 0)
    }

    fn seat_credentials(&self, login: &str) -> Result<Option<SeatCredentials>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{SEAT_SELECT} WHERE s.login = ?1"),
                [login],
                seat_from_row,
            )
            .optional()?)
    }

    fn create_session(
        &self,
        seat_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [ts(now)])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, seat_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, seat_id, ts(now), ts(expires_at)],
        )?;
        Ok(())
    }

    fn session_seat(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SeatView>, StoreError> {
        let found = self
            .conn()
            .query_row(
                &format!(
                    "{SEAT_SELECT} JOIN sessions x ON x.seat_id = s.id
                     WHERE x.token_hash = ?1 AND x.expires_at > ?2 AND s.disabled_at IS NULL"
                ),
                params![token_hash, ts(now)],
                seat_from_row,
            )
            .optional()?;
        Ok(found.map(|c| c.seat))
    }

    fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    fn columns_of_department(&self, department_id: i64) -> Result<Vec<ColumnView>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMN_FIELDS} FROM columns
                 WHERE department_id = ?1 AND retired_at IS NULL ORDER BY id"
        ))?;
        let rows = stmt.query_map([department_id], column_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn column(&self, id: i64) -> Result<Option<ColumnView>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {COLUMN_FIELDS} FROM columns WHERE id = ?1 AND retired_at IS NULL"
                ),
                [id],
                column_from_row,
            )
            .optional()?)
    }

    fn item(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        item_in(&self.conn(), id)
    }

    fn items_of_department(
        &self,
        department_id: i64,
        seat_id: Option<i64>,
    ) -> Result<Vec<ItemDetail>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{ITEM_SELECT} WHERE department_id = ?1 AND (?2 IS NULL OR seat_id = ?2) ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map(params![department_id, seat_id], item_from_row)?;
        let items: Vec<ItemDetail> = rows.collect::<Result<_, _>>()?;
        items
            .into_iter()
            .map(|item| with_files(&conn, item))
            .collect()
    }

    fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxItem>, StoreError> {
        let conn = self.conn();
        let matching = if PagePlan::asks_counts(filter) {
            Some(inbox::matching(filter, &inbox_counts_in(&conn, filter)?))
        } else {
            None
        };
        let page = inbox::page_sql(filter, PagePlan::of(filter, matching), Dialect::Sqlite);
        let mut stmt = conn.prepare_cached(&page.sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(page.values.iter().map(inbox_value)),
            inbox_item_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn inbox_counts(&self, filter: &InboxFilter) -> Result<Vec<StateCount>, StoreError> {
        inbox_counts_in(&self.conn(), filter)
    }

    fn signoff_queue(&self, department_id: i64) -> Result<Vec<InboxItem>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{INBOX_SELECT} WHERE i.department_id = ?1 AND i.state = ?2
             ORDER BY i.delivered_at ASC, i.id ASC"
        ))?;
        let rows = stmt.query_map(
            params![department_id, ItemState::AwaitingSignoff.as_str()],
            inbox_item_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{UPLOAD_SELECT} WHERE seat_id = ?1 AND sha256 = ?2"),
                params![seat_id, sha256],
                upload_from_row,
            )
            .optional()?)
    }

    fn complete_upload(
        &self,
        seat_id: i64,
        sha256: &str,
        mime: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let n = self.conn().execute(
            "UPDATE uploads SET mime = ?1, completed_at = ?2 WHERE seat_id = ?3 AND sha256 = ?4",
            params![mime, ts(now), seat_id, sha256],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    fn discard_upload(&self, seat_id: i64, sha256: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "DELETE FROM uploads WHERE seat_id = ?1 AND sha256 = ?2",
            params![seat_id, sha256],
        )?;
        Ok(())
    }

    fn item_file(&self, item_id: i64, sha256: &str) -> Result<Option<AttachmentRef>, StoreError> {
        Ok(files_of(&self.conn(), item_id)?
            .into_iter()
            .find(|f| f.sha256 == sha256))
    }

    fn draft_backup(
        &self,
        seat_id: i64,
        draft_key: &str,
    ) -> Result<Option<DraftBackup>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("{BACKUP_SELECT} WHERE seat_id = ?1 AND draft_key = ?2"),
                params![seat_id, draft_key],
                backup_from_row,
            )
            .optional()?)
    }

    fn draft_backups(&self, seat_id: i64, since: i64) -> Result<Vec<DraftBackup>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "{BACKUP_SELECT} b WHERE seat_id = ?1 AND seq > ?2 AND NOT EXISTS (
                 SELECT 1 FROM items i WHERE i.seat_id = b.seat_id AND i.draft_key = b.draft_key
                                         AND i.version >= b.version)
             ORDER BY seq"
        ))?;
        let rows = stmt.query_map(params![seat_id, since], backup_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn recorded_addresses(&self) -> Result<Vec<(i64, DateTime<Utc>, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT u.column_id, u.at, u.url FROM column_updates u
             WHERE u.url IS NOT NULL AND u.id = (
                 SELECT v.id FROM column_updates v WHERE v.column_id = u.column_id
                   AND v.url IS NOT NULL ORDER BY v.at DESC, v.id DESC LIMIT 1)",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get(0)?, parse_ts(&r.get::<_, String>(1)?)?, r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn urges(
        &self,
        department_id: Option<i64>,
        from: DateTime<Utc>,
    ) -> Result<Vec<liaison_domain::urge::Urge>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT column_id, department_id, at, message, urged_by FROM urges
             WHERE (?1 IS NULL OR department_id = ?1) AND at >= ?2 ORDER BY at, id",
        )?;
        let rows = stmt.query_map(params![department_id, ts(from)], |r| {
            Ok(liaison_domain::urge::Urge {
                column_id: r.get(0)?,
                department_id: r.get(1)?,
                at: parse_ts(&r.get::<_, String>(2)?)?,
                message: r.get(3)?,
                urged_by: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn calendar(&self) -> Result<WorkCalendar, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT day, kind FROM calendar_days ORDER BY day")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut calendar = WorkCalendar::default();
        for row in rows {
            let (day, kind) = row?;
            let date = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|_| bad_value("calendar day", &day))?;
            match kind.as_str() {
                "holiday" => calendar.holidays.insert(date),
                _ => calendar.working_weekends.insert(date),
            };
        }
        Ok(calendar)
    }

    fn duty_inputs(
        &self,
        department_id: i64,
        from: DateTime<Utc>,
    ) -> Result<Vec<DutyInput>, StoreError> {
        let conn = self.conn();
        let mut columns = conn.prepare(&format!(
            "SELECT {COLUMN_FIELDS}, duty_since FROM columns
                 WHERE department_id = ?1 AND retired_at IS NULL ORDER BY id"
        ))?;
        let rows = columns.query_map([department_id], |r| {
            Ok((column_from_row(r)?, parse_ts(&r.get::<_, String>(7)?)?))
        })?;
        let columns: Vec<(ColumnView, DateTime<Utc>)> = rows.collect::<Result<_, _>>()?;
        // Accepted items and recorded updates, newest first: every one from `from` on, and the
        // latest one before it.
        let mut updates = conn.prepare(
            "SELECT at FROM (
                 SELECT reviewed_at AS at FROM items
                 WHERE column_id = ?1 AND state = 'accepted' AND reviewed_at IS NOT NULL
                 UNION ALL
                 SELECT at FROM column_updates WHERE column_id = ?1)
             ORDER BY at DESC",
        )?;
        let from = ts(from);
        let mut inputs = Vec::with_capacity(columns.len());
        for (column, since) in columns {
            let mut kept = Vec::new();
            let mut rows = updates.query([column.id])?;
            while let Some(row) = rows.next()? {
                let at: String = row.get(0)?;
                let older = at < from;
                kept.push(parse_ts(&at)?);
                if older {
                    break;
                }
            }
            kept.reverse();
            inputs.push(DutyInput {
                column,
                since,
                updates: kept,
            });
        }
        Ok(inputs)
    }

    fn word_lists(&self) -> Result<liaison_domain::preflight::WordLists, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT kind, word, correction FROM word_lists ORDER BY id")?;
        let mut lists = liaison_domain::preflight::WordLists::default();
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        for row in rows {
            match row? {
                (kind, word, _) if kind == "forbidden" => lists.forbidden.push(word),
                (_, wrong, right) => {
                    lists
                        .misspellings
                        .push(liaison_domain::preflight::Misspelling {
                            wrong,
                            right: right.unwrap_or_default(),
                        })
                }
            }
        }
        Ok(lists)
    }

    fn seats(&self) -> Result<Vec<SeatView>, StoreError> {
        handover::seats(&self.conn())
    }

    fn holders(&self, seat_id: i64) -> Result<Vec<liaison_domain::handover::Holder>, StoreError> {
        handover::holders(&self.conn(), seat_id)
    }

    fn handover(&self, id: i64) -> Result<Option<liaison_domain::wire::HandoverView>, StoreError> {
        handover::handover(&self.conn(), id)
    }

    fn handovers(
        &self,
        seat_id: Option<i64>,
    ) -> Result<Vec<liaison_domain::wire::HandoverView>, StoreError> {
        handover::handovers(&self.conn(), seat_id)
    }

    fn ended_session(&self, token_hash: &str) -> Result<Option<SessionEnd>, StoreError> {
        let conn = self.conn();
        if let Some(outgoing) = handover::revoked(&conn, token_hash)? {
            return Ok(Some(SessionEnd::HandedOver(outgoing)));
        }
        let disabled: Option<bool> = conn
            .query_row(
                "SELECT s.disabled_at IS NOT NULL FROM sessions x JOIN seats s ON s.id = x.seat_id
                 WHERE x.token_hash = ?1",
                [token_hash],
                |r| r.get(0),
            )
            .optional()?;
        Ok((disabled == Some(true)).then_some(SessionEnd::SeatDisabled))
    }

    fn handing_over(
        &self,
        f: &mut dyn FnMut(&mut dyn super::HandoversTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn items(
        &self,
        f: &mut dyn FnMut(&mut dyn super::ItemsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn commissioning(
        &self,
        f: &mut dyn FnMut(&mut dyn super::CommissionsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn scoring(
        &self,
        f: &mut dyn FnMut(&mut dyn super::ScoresTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn score_schemes(
        &self,
    ) -> Result<Vec<(liaison_domain::score::SchemeVersion, String)>, StoreError> {
        super::scores::schemes(&self.conn())
    }

    fn month_facts(
        &self,
        year: i32,
        month: u32,
    ) -> Result<Option<Vec<super::MonthFacts>>, StoreError> {
        super::scores::month_facts(&self.conn(), year, month)
    }

    fn score_records(
        &self,
        department_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<super::ScoreRecords, StoreError> {
        super::scores::records(&self.conn(), department_id, from, to)
    }

    fn commissions(
        &self,
        department_id: Option<i64>,
    ) -> Result<Vec<super::CommissionRecord>, StoreError> {
        super::commission::records(&self.conn(), department_id, None)
    }

    fn commission(&self, id: i64) -> Result<Option<super::CommissionRecord>, StoreError> {
        Ok(super::commission::records(&self.conn(), None, Some(id))?
            .into_iter()
            .next())
    }

    fn uploads(
        &self,
        f: &mut dyn FnMut(&mut dyn super::UploadsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn drafts(
        &self,
        f: &mut dyn FnMut(&mut dyn super::DraftsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn organise(
        &self,
        f: &mut dyn FnMut(&mut dyn super::OrganisationTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.in_transaction(|tx| f(&mut super::transaction::SqliteTx { tx }))
    }

    fn redeem_seat_code(
        &self,
        login: &str,
        code_hash: &str,
        password_hash: &str,
        session: (&str, DateTime<Utc>),
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<super::SeatCodeOutcome, StoreError> {
        self.in_transaction(|tx| {
            super::organisation::redeem_seat_code(
                tx,
                login,
                code_hash,
                password_hash,
                session,
                address,
                now,
            )
        })
    }

    fn append_audit(&self, record: &crate::audit::Record) -> Result<(), StoreError> {
        self.in_transaction(|tx| handover::append_audit(tx, record))
    }

    fn verify_audit(&self) -> Result<Result<u64, crate::audit::ChainBreak>, StoreError> {
        handover::verify_audit(&self.conn())
    }

    fn audit_entries(
        &self,
        limit: u32,
    ) -> Result<Vec<liaison_domain::wire::AuditEntry>, StoreError> {
        handover::audit_entries(&self.conn(), limit)
    }

    fn changes_since(
        &self,
        department_id: Option<i64>,
        since: i64,
        limit: u32,
    ) -> Result<Vec<Change>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, at, payload_json FROM changes
             WHERE seq > ?1 AND (department_id = ?2 OR (?2 IS NULL AND audience = 'all'))
             ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![since, department_id, limit], |r| {
            let payload: String = r.get(2)?;
            Ok(Change {
                seq: r.get(0)?,
                at: parse_ts(&r.get::<_, String>(1)?)?,
                kind: serde_json::from_str(&payload).map_err(|_| bad_value("change", &payload))?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// Urges sent before the urges table existed are taken from the change log.
    #[test]
    fn earlier_urges_come_from_the_change_log() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = liaison_sqlite::open(&dir.path().join("office.db")).unwrap();
        liaison_sqlite::migrate(&mut conn, &MIGRATIONS[..10]).unwrap();
        conn.execute_batch(
            r#"INSERT INTO departments (id, name) VALUES (1, '市教育局');
               INSERT INTO columns (id, department_id, name, path, feed, duty_json)
                 VALUES (4, 1, '招生考试', '公共服务/招生考试', 'submission', '{}');
               INSERT INTO changes (department_id, at, payload_json) VALUES
                 (1, '2026-11-20T02:00:00.000000Z', '{"kind":"column_urged","column_id":4,"column_name":"招生考试","message":"请更新","urged_by":"钱晓东"}'),
                 (1, '2026-11-21T02:00:00.000000Z', '{"kind":"column_added"}');"#,
        )
        .unwrap();
        drop(conn);
        let store = SqliteStore::open(&dir.path().join("office.db")).unwrap();
        let urges = store.urges(Some(1), DateTime::<Utc>::MIN_UTC).unwrap();
        assert_eq!(urges.len(), 1, "{urges:?}");
        assert_eq!(
            (
                urges[0].column_id,
                urges[0].message.as_str(),
                urges[0].urged_by.as_str()
            ),
            (4, "请更新", "钱晓东")
        );
        assert_eq!(urges[0].at.to_rfc3339(), "2026-11-20T02:00:00+00:00");
    }

    /// An office that already holds items when it learns to keep the inbox's counts counts them
    /// once, as it upgrades.
    #[test]
    fn the_inbox_counts_of_earlier_items_are_taken_when_the_office_upgrades() {
        use crate::store::inbox::counts_are_kept;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("office.db");
        let now: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let store = SqliteStore::open(&path).unwrap();
        crate::demo::seed(&store, now).unwrap();
        crate::seed::send_items(&store, now, 300, 200, 5, |_| {}).unwrap();
        drop(store);
        // Back to the schema before the counts were kept, items and all.
        let conn = liaison_sqlite::open(&path).unwrap();
        conn.execute_batch(&format!(
            "DROP TRIGGER items_counted; DROP TRIGGER items_uncounted;
             DROP TRIGGER items_recounted_in; DROP TRIGGER items_recounted_out;
             DROP TABLE inbox_totals; DROP TABLE inbox_days;
             PRAGMA user_version = {};",
            MIGRATIONS.len() - 1
        ))
        .unwrap();
        drop(conn);

        let store = SqliteStore::open(&path).unwrap();
        let june = InboxFilter {
            from: Some("2026-05-31T16:00:00Z".parse().unwrap()),
            until: Some("2026-06-30T16:00:00Z".parse().unwrap()),
            ..InboxFilter::default()
        };
        // A microsecond before each midnight (the items are sent on whole seconds): counted from
        // the items, not the kept days.
        let june_counted = InboxFilter {
            from: june.from.map(|t| t - chrono::Duration::microseconds(1)),
            until: june.until.map(|t| t - chrono::Duration::microseconds(1)),
            ..InboxFilter::default()
        };
        let ever_counted = InboxFilter {
            from: Some(DateTime::<Utc>::MIN_UTC + chrono::Duration::seconds(1)),
            ..InboxFilter::default()
        };
        assert!(counts_are_kept(&june) && !counts_are_kept(&june_counted));
        assert!(!counts_are_kept(&ever_counted));
        let kept = store.inbox_counts(&InboxFilter::default()).unwrap();
        assert_eq!(kept, store.inbox_counts(&ever_counted).unwrap());
        assert!(kept.iter().map(|c| c.count).sum::<u64>() > 250, "{kept:?}");
        let kept_june = store.inbox_counts(&june).unwrap();
        assert!(!kept_june.is_empty());
        assert_eq!(kept_june, store.inbox_counts(&june_counted).unwrap());
    }
}
