//! The store's reads of items, the inbox, uploads, draft backups and the change log on
//! PostgreSQL, outside any of the service's transactions: the same selections as the SQLite
//! store's, and the two writes that finish or forget an upload.

use chrono::{DateTime, Utc};
use liaison_domain::wire::{Change, ChangeKind, DraftBackup, InboxItem, ItemDetail, StateCount};
use liaison_domain::{AttachmentRef, ItemState};
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::ToSql;

use super::bridge::PgBridge;
use super::prepared::Prepared;
use super::rows::{
    BACKUP_SELECT, ITEM_SELECT, backup_from_row, files_of, from_json, inbox_item_from_row,
    item_from_row, item_in, state_of, u64_of, with_files,
};
use crate::store::inbox::{self, Dialect, INBOX_SELECT, InboxValue, PagePlan};
use crate::store::{InboxFilter, StoreError, Upload};

/// A statement's parameter, owned so the statement can be built before it is sent.
type Param = Box<dyn ToSql + Sync + Send>;

/// The parameters as the driver takes them.
fn param_refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect()
}

/// The item `id` whole (files and timeline), if there is one. Its row, files and timeline are
/// read in one read-only snapshot, so they agree as SQLite's single connection made them.
pub(super) fn item(bridge: &PgBridge, id: i64) -> Result<Option<ItemDetail>, StoreError> {
    bridge.call(move |mut c| async move {
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let item = item_in(&tx, id).await?;
        tx.commit().await?;
        Ok(item)
    })
}

/// A department's items (those one seat sent, with `seat_id`), newest first, each whole; read in
/// one snapshot as [`item`] is.
pub(super) fn items_of_department(
    bridge: &PgBridge,
    department_id: i64,
    seat_id: Option<i64>,
) -> Result<Vec<ItemDetail>, StoreError> {
    bridge.call(move |mut c| async move {
        let tx = c
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let rows = tx
            .query_prepared(
                &format!(
                    "{ITEM_SELECT} WHERE department_id = $1
                     AND ($2::bigint IS NULL OR seat_id = $2) ORDER BY id DESC"
                ),
                &[&department_id, &seat_id],
            )
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(with_files(&tx, item_from_row(row)?).await?);
        }
        tx.commit().await?;
        Ok(items)
    })
}

/// An inbox placeholder's value as the driver binds it.
fn inbox_param(v: &InboxValue) -> Param {
    match v {
        InboxValue::Id(n) | InboxValue::Number(n) => Box::new(*n),
        InboxValue::At(t) => Box::new(*t),
        InboxValue::Day(d) => Box::new(*d),
        InboxValue::Text(t) => Box::new((*t).to_owned()),
    }
}

async fn inbox_counts_on(
    c: &impl Prepared,
    filter: &InboxFilter,
) -> Result<Vec<StateCount>, StoreError> {
    let counts = inbox::counts_sql(filter, Dialect::Postgres);
    let values: Vec<Param> = counts.values.iter().map(inbox_param).collect();
    let rows = c.query_prepared(&counts.sql, &param_refs(&values)).await?;
    let counts = rows
        .iter()
        .map(|r| {
            Ok(StateCount {
                state: state_of(r.try_get::<_, &str>(0)?)?,
                count: u64_of("item count", r.try_get(1)?)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(inbox::in_state_order(counts))
}

/// One page of the editors' inbox, longest waiting first.
pub(super) fn inbox(bridge: &PgBridge, filter: &InboxFilter) -> Result<Vec<InboxItem>, StoreError> {
    let filter = filter.clone();
    bridge.call(move |c| async move {
        let matching = if PagePlan::asks_counts(&filter) {
            Some(inbox::matching(
                &filter,
                &inbox_counts_on(&c, &filter).await?,
            ))
        } else {
            None
        };
        let page = inbox::page_sql(&filter, PagePlan::of(&filter, matching), Dialect::Postgres);
        let values: Vec<Param> = page.values.iter().map(inbox_param).collect();
        let rows = c.query_prepared(&page.sql, &param_refs(&values)).await?;
        rows.iter().map(inbox_item_from_row).collect()
    })
}

/// How many items of each state match the filter (its state, limit and offset ignored), in the
/// states' order.
pub(super) fn inbox_counts(
    bridge: &PgBridge,
    filter: &InboxFilter,
) -> Result<Vec<StateCount>, StoreError> {
    let filter = filter.clone();
    bridge.call(move |c| async move { inbox_counts_on(&c, &filter).await })
}

/// A department's items waiting for its responsible person, longest waiting first.
pub(super) fn signoff_queue(
    bridge: &PgBridge,
    department_id: i64,
) -> Result<Vec<InboxItem>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                &format!(
                    "{INBOX_SELECT} WHERE i.department_id = $1 AND i.state = $2
                     ORDER BY i.delivered_at ASC, i.id ASC"
                ),
                &[&department_id, &ItemState::AwaitingSignoff.as_str()],
            )
            .await?;
        rows.iter().map(inbox_item_from_row).collect()
    })
}

pub(super) fn upload(
    bridge: &PgBridge,
    seat_id: i64,
    sha256: &str,
) -> Result<Option<Upload>, StoreError> {
    let sha256 = sha256.to_owned();
    bridge.call(move |c| async move { super::uploads::upload_in(&c, seat_id, &sha256).await })
}

/// Records the upload's type and that its bytes are complete; `NotFound` if the seat has no such
/// upload.
pub(super) fn complete_upload(
    bridge: &PgBridge,
    seat_id: i64,
    sha256: &str,
    mime: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (sha256, mime) = (sha256.to_owned(), mime.to_owned());
    bridge.call(move |c| async move {
        let n = c
            .execute_prepared(
                "UPDATE uploads SET mime = $1, completed_at = $2 WHERE seat_id = $3 AND sha256 = $4",
                &[&mime, &now, &seat_id, &sha256],
            )
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    })
}

/// Forgets an upload whose bytes turned out wrong, so it can start again (nothing if there is
/// none).
pub(super) fn discard_upload(
    bridge: &PgBridge,
    seat_id: i64,
    sha256: &str,
) -> Result<(), StoreError> {
    let sha256 = sha256.to_owned();
    bridge.call(move |c| async move {
        c.execute_prepared(
            "DELETE FROM uploads WHERE seat_id = $1 AND sha256 = $2",
            &[&seat_id, &sha256],
        )
        .await?;
        Ok(())
    })
}

/// A file of an item, if the item carries one with this digest (the first such, by position).
pub(super) fn item_file(
    bridge: &PgBridge,
    item_id: i64,
    sha256: &str,
) -> Result<Option<AttachmentRef>, StoreError> {
    let sha256 = sha256.to_owned();
    bridge.call(move |c| async move {
        Ok(files_of(&c, item_id)
            .await?
            .into_iter()
            .find(|f| f.sha256 == sha256))
    })
}

pub(super) fn draft_backup(
    bridge: &PgBridge,
    seat_id: i64,
    draft_key: &str,
) -> Result<Option<DraftBackup>, StoreError> {
    let draft_key = draft_key.to_owned();
    bridge.call(move |c| async move { super::uploads::backup_in(&c, seat_id, &draft_key).await })
}

/// The seat's backups written after `since` (in `seq` order) of drafts whose version has not
/// been sent.
pub(super) fn draft_backups(
    bridge: &PgBridge,
    seat_id: i64,
    since: i64,
) -> Result<Vec<DraftBackup>, StoreError> {
    bridge.call(move |c| async move {
        let rows = c
            .query_prepared(
                &format!(
                    "{BACKUP_SELECT} b WHERE b.seat_id = $1 AND b.seq > $2 AND NOT EXISTS (
                         SELECT 1 FROM items i
                         WHERE i.seat_id = b.seat_id AND i.draft_key = b.draft_key
                           AND i.version >= b.version)
                     ORDER BY b.seq"
                ),
                &[&seat_id, &since],
            )
            .await?;
        rows.iter().map(backup_from_row).collect()
    })
}

/// Changes after `since`, oldest first, at most `limit`: for one department every change of it
/// (whatever its audience), for the office (`None`) every change any office seat may read. This
/// is SQLite's `department_id = ?2 OR (?2 IS NULL AND audience = 'all')` written as one condition
/// for each case, so each reads its own index (`changes_department`, `changes_audience`). The
/// change log's appenders make numbers visible in order (see `log.rs`), so a cursor moved past
/// what this returns never skips a change.
pub(super) fn changes_since(
    bridge: &PgBridge,
    department_id: Option<i64>,
    since: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    let limit = i64::from(limit);
    bridge.call(move |c| async move {
        let rows = match department_id {
            Some(department_id) => {
                c.query_prepared(
                    "SELECT seq, at, payload FROM changes
                     WHERE seq > $1 AND department_id = $2 ORDER BY seq LIMIT $3",
                    &[&since, &department_id, &limit],
                )
                .await?
            }
            None => {
                c.query_prepared(
                    "SELECT seq, at, payload FROM changes
                     WHERE seq > $1 AND audience = 'all' ORDER BY seq LIMIT $2",
                    &[&since, &limit],
                )
                .await?
            }
        };
        rows.iter()
            .map(|r| {
                Ok(Change {
                    seq: r.try_get(0)?,
                    at: r.try_get(1)?,
                    kind: from_json::<ChangeKind>("change", r.try_get(2)?)?,
                })
            })
            .collect()
    })
}
