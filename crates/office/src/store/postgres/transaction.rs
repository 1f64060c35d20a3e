//! One PostgreSQL transaction as the service sees it: [`PgTx`] implements each of the store's
//! transaction traits over the bridge's [`TxHandle`] (the administration's in `organisation.rs`,
//! handovers' in `handover.rs`, and so on, as on SQLite). This file holds the writes every
//! transaction may make, through the shared logs, and the items' transaction.
//!
//! Several office processes may write at once. SQLite's one connection serialised a send's
//! check-then-write (is this key, this version, already stored? then store it); here a send
//! locks its seat's row first ([`lock_seat`]), so two sends of one seat take turns, and an
//! item's id is drawn from the `items` identity sequence, never computed from `max(id)`.

use deadpool_postgres::GenericClient;
use liaison_domain::ColumnView;
use liaison_domain::wire::{Change, ItemDetail, TimelineEntry};

use super::bridge::TxHandle;
use super::log;
use super::prepared::Prepared;
use super::rows::{COLUMN_FIELDS, add_event, column_from_row, i32_of, i64_of, item_in, to_json};
use super::uploads::upload_in;
use crate::audit::Record;
use crate::store::{
    Audience, EarlierSend, ItemUpdate, ItemsTx, StoreError, StoredItem, Upload, Writes,
};

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

/// Locks the seat's row until the transaction ends, so that one seat's check-then-write
/// transactions (a send, a draft backup) take turns across processes. `FOR NO KEY UPDATE`
/// excludes another such lock without blocking rows that merely reference the seat (their
/// foreign-key checks take a key-share lock). The bridge's transactions run at PostgreSQL's
/// default READ COMMITTED, so each statement after the lock sees what the previous holder
/// committed. A seat that does not exist locks nothing (the writes that follow fail on it).
pub(super) async fn lock_seat(c: &impl GenericClient, seat_id: i64) -> Result<(), StoreError> {
    c.query_opt_prepared(
        "SELECT 1 FROM seats WHERE id = $1 FOR NO KEY UPDATE",
        &[&seat_id],
    )
    .await?;
    Ok(())
}

impl ItemsTx for PgTx<'_> {
    fn item(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        self.handle
            .run(move |c| async move { item_in(&*c, id).await })
    }

    /// Asked first by every send: it locks the seat (see [`lock_seat`]) so that a second send
    /// under the same key, from another process, waits and then finds this one (a replay, as
    /// on SQLite) rather than failing on the unique key; the same holds for a version sent twice.
    fn earlier_send(
        &self,
        seat_id: i64,
        idempotency_key: &str,
    ) -> Result<Option<EarlierSend>, StoreError> {
        let key = idempotency_key.to_owned();
        self.handle.run(move |c| async move {
            lock_seat(&*c, seat_id).await?;
            let Some(row) = c
                .query_opt_prepared(
                    "SELECT id, receipt, delivered_at, payload_sha256 FROM items
                     WHERE seat_id = $1 AND idempotency_key = $2",
                    &[&seat_id, &key],
                )
                .await?
            else {
                return Ok(None);
            };
            let id: i64 = row.try_get(0)?;
            let held: bool = c
                .query_one_prepared(
                    "SELECT EXISTS (SELECT 1 FROM item_events
                                    WHERE item_id = $1 AND kind = 'awaiting_signoff')",
                    &[&id],
                )
                .await?
                .try_get(0)?;
            Ok(Some(EarlierSend {
                id,
                receipt: row.try_get(1)?,
                delivered_at: row.try_get(2)?,
                payload_sha256: row.try_get(3)?,
                held,
            }))
        })
    }

    fn sent_item(
        &self,
        seat_id: i64,
        draft_key: &str,
        version: u32,
    ) -> Result<Option<i64>, StoreError> {
        // A version beyond the column's range was never stored (storing it is refused).
        let Ok(version) = i32::try_from(version) else {
            return Ok(None);
        };
        let draft_key = draft_key.to_owned();
        self.handle.run(move |c| async move {
            Ok(c.query_opt_prepared(
                "SELECT id FROM items WHERE seat_id = $1 AND draft_key = $2 AND version = $3",
                &[&seat_id, &draft_key, &version],
            )
            .await?
            .map(|row| row.try_get(0))
            .transpose()?)
        })
    }

    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError> {
        let sha256 = sha256.to_owned();
        self.handle
            .run(move |c| async move { upload_in(&*c, seat_id, &sha256).await })
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

    fn open_commission_for(&self, id: i64, department_id: i64) -> Result<bool, StoreError> {
        self.handle.run(move |c| async move {
            Ok(c.query_one_prepared(
                "SELECT EXISTS (SELECT 1 FROM commissions c JOIN commission_targets t
                                ON t.commission_id = c.id
                                WHERE c.id = $1 AND c.state = 'open' AND t.department_id = $2)",
                &[&id, &department_id],
            )
            .await?
            .try_get(0)?)
        })
    }

    /// Drawn from the `items` identity sequence, so two processes sending at once never get the
    /// same id (and so the same receipt, which the service derives from it); [`insert_item`]
    /// stores the item under it explicitly. A send rolled back leaves a gap in the ids, which
    /// SQLite's `max(id) + 1` would have filled.
    ///
    /// [`insert_item`]: ItemsTx::insert_item
    fn next_item_id(&self) -> Result<i64, StoreError> {
        self.handle.run(move |c| async move {
            Ok(
                c.query_one_prepared("SELECT nextval(pg_get_serial_sequence('items', 'id'))", &[])
                    .await?
                    .try_get(0)?,
            )
        })
    }

    fn insert_item(&mut self, item: &StoredItem<'_>) -> Result<(), StoreError> {
        let req = item.request;
        let id = item.id;
        let receipt = item.receipt.to_owned();
        let seat_id = item.seat.id;
        let department_id = item.seat.department.id;
        let holder_name = item.seat.holder_name.clone();
        let idempotency_key = item.idempotency_key.to_owned();
        let payload_sha256 = item.payload_sha256.to_owned();
        let draft_key = req.draft_key.clone();
        let version = i32_of("item version", req.version)?;
        let column_id = req.column_id;
        let title = req.title.clone();
        let body_html = req.body_html.clone();
        let state = item.state.as_str();
        let delivered_at = item.delivered_at;
        let attestation = item.attestation.map(to_json).transpose()?;
        let waiting_since = item.waiting_since;
        let commission_id = item.commission_id;
        let files = req
            .attachments
            .iter()
            .enumerate()
            .map(|(position, file)| {
                let position = i32::try_from(position)
                    .map_err(|_| StoreError::Invalid("too many files".into()))?;
                Ok((
                    position,
                    file.sha256.clone(),
                    file.name.clone(),
                    i64_of("file size", file.size)?,
                    file.mime.clone(),
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.handle.run(move |c| async move {
            c.execute_prepared(
                "INSERT INTO items (id, receipt, seat_id, idempotency_key, payload_sha256, draft_key,
                                    version, department_id, column_id, holder_name, title, body_html,
                                    state, delivered_at, attestation, waiting_since, commission_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                &[
                    &id,
                    &receipt,
                    &seat_id,
                    &idempotency_key,
                    &payload_sha256,
                    &draft_key,
                    &version,
                    &department_id,
                    &column_id,
                    &holder_name,
                    &title,
                    &body_html,
                    &state,
                    &delivered_at,
                    &attestation,
                    &waiting_since,
                    &commission_id,
                ],
            )
            .await?;
            for (position, sha256, name, size, mime) in &files {
                c.execute_prepared(
                    "INSERT INTO item_files (item_id, position, sha256, name, size, mime)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&id, position, sha256, name, size, mime],
                )
                .await?;
            }
            Ok(())
        })
    }

    fn update_item(&mut self, id: i64, update: &ItemUpdate<'_>) -> Result<(), StoreError> {
        let n = match *update {
            ItemUpdate::SignedOff { state, by_name, at } => {
                let (state, by_name) = (state.as_str(), by_name.to_owned());
                self.handle.run(move |c| async move {
                    Ok(c.execute_prepared(
                        "UPDATE items SET state = $1, signed_off_by = $2, waiting_since = $3
                         WHERE id = $4",
                        &[&state, &by_name, &at, &id],
                    )
                    .await?)
                })?
            }
            ItemUpdate::Accepted {
                state,
                published_url,
                published_at,
                at,
                by,
            } => {
                let (state, published_url) = (state.as_str(), published_url.to_owned());
                self.handle.run(move |c| async move {
                    Ok(c.execute_prepared(
                        "UPDATE items SET state = $1, published_url = $2, published_at = $3,
                                          reviewed_at = $4, reviewed_by = $5
                         WHERE id = $6",
                        &[&state, &published_url, &published_at, &at, &by, &id],
                    )
                    .await?)
                })?
            }
            ItemUpdate::Reviewed {
                state,
                comment,
                at,
                by,
            } => {
                let (state, comment) = (state.as_str(), comment.to_owned());
                self.handle.run(move |c| async move {
                    Ok(c.execute_prepared(
                        "UPDATE items SET state = $1, review_comment = $2, reviewed_at = $3,
                                          reviewed_by = $4
                         WHERE id = $5",
                        &[&state, &comment, &at, &by, &id],
                    )
                    .await?)
                })?
            }
        };
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    fn append_event(
        &mut self,
        item_id: i64,
        entry: &TimelineEntry,
        seat_id: i64,
    ) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.handle
            .run(move |c| async move { add_event(&*c, item_id, &entry, seat_id).await })
    }
}
