//! Reading the office's rows on PostgreSQL into the domain's values, shared by the store's calls
//! and its transactions: the same selections as the SQLite store's, in PostgreSQL's types
//! (`timestamptz`, `jsonb`, `integer` versions and `bigint` sizes checked into the domain's
//! unsigned types).

use deadpool_postgres::GenericClient;
use liaison_domain::wire::{DraftBackup, InboxItem, ItemDetail, TimelineEntry, TimelineKind};
use liaison_domain::{
    AttachmentRef, ColumnLevel, ColumnView, DepartmentView, FeedMethod, ItemState, Role, SeatView,
    SignoffPolicy,
};
use tokio_postgres::Row;

use super::prepared::Prepared;
use crate::store::{SeatCredentials, StoreError, Upload};

/// A value in the database that this binary cannot read.
pub fn bad_value(what: &str, value: &str) -> StoreError {
    StoreError::Backend(format!("unknown {what} {value:?} in the database"))
}

pub fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Backend(format!("{what}: {e}")))
}

pub fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Backend(e.to_string()))
}

/// An `integer` column (a version) as the domain's `u32`.
pub fn u32_of(what: &str, v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| bad_value(what, &v.to_string()))
}

/// A `bigint` column (a size) as the domain's `u64`.
pub fn u64_of(what: &str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| bad_value(what, &v.to_string()))
}

/// The domain's `u32` (a version) for an `integer` column.
pub fn i32_of(what: &str, v: u32) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is out of range")))
}

/// The domain's `u64` (a size) for a `bigint` column.
pub fn i64_of(what: &str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Invalid(format!("{what} {v} is out of range")))
}

pub fn state_of(s: &str) -> Result<ItemState, StoreError> {
    ItemState::parse(s).ok_or_else(|| bad_value("item state", s))
}

pub fn policy_of(s: &str) -> Result<SignoffPolicy, StoreError> {
    SignoffPolicy::parse(s).ok_or_else(|| bad_value("sign-off policy", s))
}

pub fn role_of(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).ok_or_else(|| bad_value("role", s))
}

/// What [`seat_from_row`] reads, in its order.
pub const SEAT_SELECT: &str =
    "SELECT s.id, s.login, s.role, s.holder_name, d.id, d.name, s.password_hash, d.signoff,
            s.disabled_at IS NOT NULL
     FROM seats s LEFT JOIN departments d ON d.id = s.department_id";

pub fn seat_from_row(row: &Row) -> Result<SeatCredentials, StoreError> {
    let role = role_of(row.try_get::<_, &str>(2)?)?;
    let department = match row.try_get::<_, Option<i64>>(4)? {
        Some(id) => DepartmentView {
            id,
            name: row.try_get(5)?,
            signoff: policy_of(row.try_get::<_, &str>(7)?)?,
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
            id: row.try_get(0)?,
            login: row.try_get(1)?,
            role,
            department,
            holder_name: row.try_get(3)?,
        },
        password_hash: row.try_get(6)?,
        disabled: row.try_get(8)?,
    })
}

/// What [`column_from_row`] reads, in its order.
pub const COLUMN_FIELDS: &str = "id, department_id, name, path, feed, duty, level";

pub fn column_from_row(row: &Row) -> Result<ColumnView, StoreError> {
    let feed: &str = row.try_get(4)?;
    let level: &str = row.try_get(6)?;
    Ok(ColumnView {
        id: row.try_get(0)?,
        department_id: row.try_get(1)?,
        name: row.try_get(2)?,
        path: row.try_get(3)?,
        feed: FeedMethod::parse(feed).ok_or_else(|| bad_value("feed method", feed))?,
        duty: from_json("duty rule", row.try_get(5)?)?,
        level: ColumnLevel::parse(level).ok_or_else(|| bad_value("column level", level))?,
    })
}

/// What [`item_from_row`] reads, in its order.
pub const ITEM_SELECT: &str =
    "SELECT id, receipt, draft_key, version, department_id, column_id, holder_name,
            title, body_html, state, delivered_at, published_url, review_comment, reviewed_at,
            published_at, attestation, signed_off_by, waiting_since
     FROM items";

/// An item without its files and timeline (see [`item_in`]).
pub fn item_from_row(row: &Row) -> Result<ItemDetail, StoreError> {
    Ok(ItemDetail {
        id: row.try_get(0)?,
        receipt: row.try_get(1)?,
        draft_key: row.try_get(2)?,
        version: u32_of("item version", row.try_get(3)?)?,
        department_id: row.try_get(4)?,
        column_id: row.try_get(5)?,
        holder_name: row.try_get(6)?,
        title: row.try_get(7)?,
        body_html: row.try_get(8)?,
        state: state_of(row.try_get::<_, &str>(9)?)?,
        delivered_at: row.try_get(10)?,
        published_url: row.try_get(11)?,
        review_comment: row.try_get(12)?,
        reviewed_at: row.try_get(13)?,
        published_at: row.try_get(14)?,
        attachments: Vec::new(),
        attestation: row
            .try_get::<_, Option<serde_json::Value>>(15)?
            .map(|j| from_json("attestation", j))
            .transpose()?,
        signed_off_by: row.try_get(16)?,
        waiting_since: row.try_get(17)?,
        timeline: Vec::new(),
    })
}

pub async fn timeline_of(
    c: &impl GenericClient,
    item_id: i64,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let rows = c
        .query_prepared(
            "SELECT at, kind, actor, actor_role, text, quote FROM item_events
             WHERE item_id = $1 ORDER BY id",
            &[&item_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let kind: &str = r.try_get(1)?;
            Ok(TimelineEntry {
                at: r.try_get(0)?,
                kind: TimelineKind::parse(kind).ok_or_else(|| bad_value("timeline kind", kind))?,
                actor: r.try_get(2)?,
                actor_role: role_of(r.try_get::<_, &str>(3)?)?,
                text: r.try_get(4)?,
                quote: r.try_get(5)?,
            })
        })
        .collect()
}

/// Appends one entry to an item's timeline.
pub async fn add_event(
    c: &impl GenericClient,
    item_id: i64,
    entry: &TimelineEntry,
    seat_id: i64,
) -> Result<(), StoreError> {
    c.execute_prepared(
        "INSERT INTO item_events (item_id, at, kind, seat_id, actor, actor_role, text, quote)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &item_id,
            &entry.at,
            &entry.kind.as_str(),
            &seat_id,
            &entry.actor,
            &entry.actor_role.as_str(),
            &entry.text,
            &entry.quote,
        ],
    )
    .await?;
    Ok(())
}

pub async fn files_of(
    c: &impl GenericClient,
    item_id: i64,
) -> Result<Vec<AttachmentRef>, StoreError> {
    let rows = c
        .query_prepared(
            "SELECT sha256, name, size, mime FROM item_files WHERE item_id = $1 ORDER BY position",
            &[&item_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(AttachmentRef {
                sha256: r.try_get(0)?,
                name: r.try_get(1)?,
                size: u64_of("file size", r.try_get(2)?)?,
                mime: r.try_get(3)?,
            })
        })
        .collect()
}

/// The item with its files and timeline.
pub async fn with_files(
    c: &impl GenericClient,
    mut item: ItemDetail,
) -> Result<ItemDetail, StoreError> {
    item.attachments = files_of(c, item.id).await?;
    item.timeline = timeline_of(c, item.id).await?;
    Ok(item)
}

/// The item `id` whole (files and timeline), if there is one.
pub async fn item_in(c: &impl GenericClient, id: i64) -> Result<Option<ItemDetail>, StoreError> {
    let Some(row) = c
        .query_opt_prepared(&format!("{ITEM_SELECT} WHERE id = $1"), &[&id])
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(with_files(c, item_from_row(&row)?).await?))
}

/// What [`upload_from_row`] reads, in its order.
pub const UPLOAD_SELECT: &str = "SELECT sha256, size, name, mime FROM uploads";

pub fn upload_from_row(r: &Row) -> Result<Upload, StoreError> {
    Ok(Upload {
        sha256: r.try_get(0)?,
        size: u64_of("upload size", r.try_get(1)?)?,
        name: r.try_get(2)?,
        mime: r.try_get(3)?,
    })
}

/// What [`backup_from_row`] reads, in its order.
pub const BACKUP_SELECT: &str = "SELECT draft_key, rev, version, column_id, title, body_html,
        attachments, updated_at, origin, seq FROM draft_backups";

pub fn backup_from_row(r: &Row) -> Result<DraftBackup, StoreError> {
    Ok(DraftBackup {
        draft_key: r.try_get(0)?,
        rev: r.try_get(1)?,
        version: u32_of("draft version", r.try_get(2)?)?,
        column_id: r.try_get(3)?,
        title: r.try_get(4)?,
        body_html: r.try_get(5)?,
        attachments: from_json("file list", r.try_get(6)?)?,
        updated_at: r.try_get(7)?,
        origin: r.try_get(8)?,
        seq: r.try_get(9)?,
    })
}

/// Reads a row of [`crate::store::inbox::INBOX_SELECT`].
pub fn inbox_item_from_row(r: &Row) -> Result<InboxItem, StoreError> {
    Ok(InboxItem {
        id: r.try_get(0)?,
        receipt: r.try_get(1)?,
        department: DepartmentView {
            id: r.try_get(2)?,
            name: r.try_get(3)?,
            signoff: policy_of(r.try_get::<_, &str>(4)?)?,
        },
        column_id: r.try_get(5)?,
        column_name: r.try_get(6)?,
        holder_name: r.try_get(7)?,
        seat_login: r.try_get(8)?,
        title: r.try_get(9)?,
        version: u32_of("item version", r.try_get(10)?)?,
        state: state_of(r.try_get::<_, &str>(11)?)?,
        delivered_at: r.try_get(12)?,
        waiting_since: r.try_get(13)?,
    })
}
