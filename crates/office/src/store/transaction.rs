//! One SQLite transaction as the service sees it ([`Writes`], [`ItemsTx`]; the administration's
//! [`OrganisationTx`](super::OrganisationTx) is in `organisation.rs`): persistence only.

use liaison_domain::ColumnView;
use liaison_domain::wire::{Change, ItemDetail, TimelineEntry};
use rusqlite::{OptionalExtension, Transaction, params};

use super::handover::append_audit;
use super::sqlite::{
    COLUMN_FIELDS, UPLOAD_SELECT, add_event, column_from_row, item_in, parse_ts, ts,
    upload_from_row,
};
use super::{Audience, EarlierSend, ItemUpdate, ItemsTx, StoreError, StoredItem, Upload, Writes};
use crate::audit::Record;

pub struct SqliteTx<'a> {
    pub tx: &'a Transaction<'a>,
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(e.to_string()))
}

impl Writes for SqliteTx<'_> {
    fn append_audit(&mut self, record: &Record) -> Result<(), StoreError> {
        append_audit(self.tx, record)
    }

    fn append_change(
        &mut self,
        department_id: i64,
        change: &Change,
        audience: Audience,
    ) -> Result<i64, StoreError> {
        self.tx.execute(
            "INSERT INTO changes (department_id, at, payload_json, audience) VALUES (?1, ?2, ?3, ?4)",
            params![
                department_id,
                ts(change.at),
                json(&change.kind)?,
                audience.as_str()
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }
}

impl ItemsTx for SqliteTx<'_> {
    fn item(&self, id: i64) -> Result<Option<ItemDetail>, StoreError> {
        item_in(self.tx, id)
    }

    fn earlier_send(
        &self,
        seat_id: i64,
        idempotency_key: &str,
    ) -> Result<Option<EarlierSend>, StoreError> {
        let found: Option<(i64, String, String, String)> = self
            .tx
            .query_row(
                "SELECT id, receipt, delivered_at, payload_sha256 FROM items
                 WHERE seat_id = ?1 AND idempotency_key = ?2",
                params![seat_id, idempotency_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((id, receipt, delivered_at, payload_sha256)) = found else {
            return Ok(None);
        };
        let held: bool = self
            .tx
            .query_row(
                "SELECT 1 FROM item_events WHERE item_id = ?1 AND kind = 'awaiting_signoff'",
                [id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        Ok(Some(EarlierSend {
            id,
            receipt,
            delivered_at: parse_ts(&delivered_at)?,
            payload_sha256,
            held,
        }))
    }

    fn sent_item(
        &self,
        seat_id: i64,
        draft_key: &str,
        version: u32,
    ) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tx
            .query_row(
                "SELECT id FROM items WHERE seat_id = ?1 AND draft_key = ?2 AND version = ?3",
                params![seat_id, draft_key, version],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError> {
        Ok(self
            .tx
            .query_row(
                &format!("{UPLOAD_SELECT} WHERE seat_id = ?1 AND sha256 = ?2"),
                params![seat_id, sha256],
                upload_from_row,
            )
            .optional()?)
    }

    fn live_column(&self, id: i64) -> Result<Option<ColumnView>, StoreError> {
        Ok(self
            .tx
            .query_row(
                &format!(
                    "SELECT {COLUMN_FIELDS} FROM columns WHERE id = ?1 AND retired_at IS NULL"
                ),
                [id],
                column_from_row,
            )
            .optional()?)
    }

    fn open_commission_for(&self, id: i64, department_id: i64) -> Result<bool, StoreError> {
        Ok(self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM commissions c JOIN commission_targets t
                            ON t.commission_id = c.id
                            WHERE c.id = ?1 AND c.state = 'open' AND t.department_id = ?2)",
            params![id, department_id],
            |r| r.get(0),
        )?)
    }

    fn next_item_id(&self) -> Result<i64, StoreError> {
        Ok(self
            .tx
            .query_row("SELECT coalesce(max(id), 0) + 1 FROM items", [], |r| {
                r.get(0)
            })?)
    }

    fn insert_item(&mut self, item: &StoredItem<'_>) -> Result<(), StoreError> {
        let req = item.request;
        let attestation = item.attestation.map(json).transpose()?;
        self.tx.execute(
            "INSERT INTO items (id, receipt, seat_id, idempotency_key, payload_sha256, draft_key, version,
                                department_id, column_id, holder_name, title, body_html, state, delivered_at,
                                attestation_json, waiting_since, commission_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                item.id,
                item.receipt,
                item.seat.id,
                item.idempotency_key,
                item.payload_sha256,
                req.draft_key,
                req.version,
                item.seat.department.id,
                req.column_id,
                item.seat.holder_name,
                req.title,
                req.body_html,
                item.state.as_str(),
                ts(item.delivered_at),
                attestation,
                item.waiting_since.map(ts),
                item.commission_id,
            ],
        )?;
        for (position, file) in req.attachments.iter().enumerate() {
            self.tx.execute(
                "INSERT INTO item_files (item_id, position, sha256, name, size, mime)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    item.id,
                    position,
                    file.sha256,
                    file.name,
                    file.size,
                    file.mime
                ],
            )?;
        }
        Ok(())
    }

    fn update_item(&mut self, id: i64, update: &ItemUpdate<'_>) -> Result<(), StoreError> {
        let n = match *update {
            ItemUpdate::SignedOff { state, by_name, at } => self.tx.execute(
                "UPDATE items SET state = ?1, signed_off_by = ?2, waiting_since = ?3 WHERE id = ?4",
                params![state.as_str(), by_name, ts(at), id],
            )?,
            ItemUpdate::Accepted {
                state,
                published_url,
                published_at,
                at,
                by,
            } => self.tx.execute(
                "UPDATE items SET state = ?1, published_url = ?2, published_at = ?3,
                                  reviewed_at = ?4, reviewed_by = ?5
                 WHERE id = ?6",
                params![
                    state.as_str(),
                    published_url,
                    ts(published_at),
                    ts(at),
                    by,
                    id
                ],
            )?,
            ItemUpdate::Reviewed {
                state,
                comment,
                at,
                by,
            } => self.tx.execute(
                "UPDATE items SET state = ?1, review_comment = ?2, reviewed_at = ?3,
                                  reviewed_by = ?4
                 WHERE id = ?5",
                params![state.as_str(), comment, ts(at), by, id],
            )?,
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
        add_event(self.tx, item_id, entry, seat_id)
    }
}
