//! The store's side of a handover: what would still be lost, the seat's sent items taken in from
//! the office, and wiping the seat's work from this workstation.

use chrono::{DateTime, Utc};
use liaison_domain::wire::ItemDetail;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::backups::set_files;
use super::{LocalStore, ts};
use crate::DeskError;

impl LocalStore {
    /// What a handover would lose now: items still in the outbox, and drafts edited since the
    /// office last took a copy (their titles).
    pub fn pending_for_handover(&self) -> Result<Vec<String>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT d.title FROM drafts d WHERE d.id IN (SELECT draft_id FROM outbox)
                 OR (d.state = 'draft' AND d.rev > d.backed_up_rev)
             ORDER BY d.updated_at",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        // As written: the window names an untitled draft in its own language.
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds a version sent from this seat (by an earlier holder, or from another workstation)
    /// that this desk does not hold, so its history is here. A draft this desk has of the same
    /// item keeps its place; only the sent version is added. A draft made from the item names its
    /// files, whose bytes the caller has fetched. Whether anything was added.
    pub fn import_item(&self, item: &ItemDetail, now: DateTime<Utc>) -> Result<bool, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held: Option<u32> = tx
            .query_row(
                "SELECT version FROM drafts WHERE id = ?1",
                [&item.draft_key],
                |r| r.get(0),
            )
            .optional()?;
        let delivered = ts(item.delivered_at);
        let timeline = serde_json::to_string(&item.timeline)
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        if held.is_none() {
            tx.execute(
                "INSERT INTO drafts (id, column_id, title, body_html, version, state, created_at,
                                     updated_at, office_item_id, receipt, delivered_at,
                                     published_url, review_comment, rev, backed_up_rev)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?7, ?10, ?11, 1, 1)",
                params![
                    item.draft_key,
                    item.column_id,
                    item.title,
                    item.body_html,
                    item.version,
                    item.state.as_str(),
                    delivered,
                    item.id,
                    item.receipt,
                    item.published_url,
                    item.review_comment
                ],
            )?;
            set_files(&tx, &item.draft_key, &item.attachments, now)?;
        } else if held.is_some_and(|v| v < item.version) {
            // A later version sent elsewhere: the item moves on to it here too.
            tx.execute(
                "UPDATE drafts SET version = ?1, state = ?2, title = ?3, body_html = ?4,
                        search_stale = 1, office_item_id = ?5, receipt = ?6, delivered_at = ?7, published_url = ?8,
                        review_comment = ?9
                 WHERE id = ?10 AND state <> 'draft'",
                params![
                    item.version,
                    item.state.as_str(),
                    item.title,
                    item.body_html,
                    item.id,
                    item.receipt,
                    delivered,
                    item.published_url,
                    item.review_comment,
                    item.draft_key
                ],
            )?;
            set_files(&tx, &item.draft_key, &item.attachments, now)?;
        }
        let added = tx.execute(
            "INSERT INTO revisions (draft_id, version, column_id, title, body_html, sent_at, receipt,
                                    office_item_id, timeline_json)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
             WHERE NOT EXISTS (SELECT 1 FROM revisions WHERE draft_id = ?1 AND version = ?2)",
            params![
                item.draft_key,
                item.version,
                item.column_id,
                item.title,
                item.body_html,
                delivered,
                item.receipt,
                item.id,
                timeline
            ],
        )?;
        tx.commit()?;
        Ok(added == 1)
    }

    /// Removes the seat's work from this workstation (a handover whose office asked for it).
    /// What stays: the office's address, why the desk stopped, and the workstation's trust in
    /// offices (the CA file, pinned certificates: `tls_*`), which is not the seat's.
    pub fn wipe(&self) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "DELETE FROM outbox_files; DELETE FROM outbox; DELETE FROM draft_files;
             DELETE FROM revisions; DELETE FROM drafts; DELETE FROM draft_search; DELETE FROM files; DELETE FROM notices;
             DELETE FROM board; DELETE FROM columns;
             DELETE FROM meta WHERE key NOT IN ('office_url', 'handed_over') AND substr(key, 1, 4) <> 'tls_';",
        )?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wipe_keeps_the_workstations_trust_in_offices() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.set_meta("tls_ca_file", "/etc/city-ca.pem").unwrap();
        store.set_meta("tls_pin https://a", "AB").unwrap();
        store.set_meta("tlsx", "seat's").unwrap();
        store.set_meta("cursor", "7").unwrap();
        store.wipe().unwrap();
        assert_eq!(
            store.meta_with_prefix("tls_pin ").unwrap(),
            [("tls_pin https://a".to_owned(), "AB".to_owned())]
        );
        assert!(store.meta("tls_ca_file").unwrap().is_some());
        assert_eq!(store.meta("tlsx").unwrap(), None);
        assert_eq!(store.meta("cursor").unwrap(), None);
    }
}
