//! The desk's local SQLite store: drafts, sent versions, the outbox, cached columns, sync state.
//!
//! Every method is one transaction. State changes go through the domain's item state machine.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use liaison_domain::wire::{ChangeKind, SubmitItemRequest, SubmitItemResponse};
use liaison_domain::{ColumnView, ItemEvent, ItemState, SeatView};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::DeskError;
use crate::view::{DraftSummary, DraftView};

const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_init.sql")];

pub struct LocalStore {
    conn: Mutex<Connection>,
}

/// One send waiting in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub draft_id: String,
    pub idempotency_key: String,
    pub request: SubmitItemRequest,
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn state_of(s: &str) -> Result<ItemState, DeskError> {
    ItemState::parse(s).ok_or_else(|| DeskError::Storage(format!("unknown item state {s:?}")))
}

const DRAFT_SELECT: &str =
    "SELECT id, column_id, title, body_html, state, version, updated_at, receipt,
        delivered_at, published_url, review_comment, last_error FROM drafts";

fn draft_from_row(r: &Row<'_>) -> rusqlite::Result<(DraftView, String)> {
    Ok((
        DraftView {
            id: r.get(0)?,
            column_id: r.get(1)?,
            title: r.get(2)?,
            body_html: r.get(3)?,
            state: ItemState::Draft, // replaced by the caller from the raw state
            version: r.get(5)?,
            updated_at: r.get(6)?,
            receipt: r.get(7)?,
            delivered_at: r.get(8)?,
            published_url: r.get(9)?,
            review_comment: r.get(10)?,
            last_error: r.get(11)?,
        },
        r.get(4)?,
    ))
}

fn draft_in(conn: &Connection, id: &str) -> Result<DraftView, DeskError> {
    let (mut view, state) = conn
        .query_row(
            &format!("{DRAFT_SELECT} WHERE id = ?1"),
            [id],
            draft_from_row,
        )
        .optional()?
        .ok_or(DeskError::NotFound("draft"))?;
    view.state = state_of(&state)?;
    Ok(view)
}

/// The draft and the state `event` moves it to; an illegal move is the user's `InvalidState`.
fn step(
    conn: &Connection,
    id: &str,
    event: ItemEvent,
) -> Result<(DraftView, ItemState), DeskError> {
    let draft = draft_in(conn, id)?;
    let next = draft
        .state
        .apply(event)
        .map_err(|e| DeskError::InvalidState(e.to_string()))?;
    Ok((draft, next))
}

fn set_state(tx: &Transaction<'_>, id: &str, state: ItemState) -> Result<(), DeskError> {
    tx.execute(
        "UPDATE drafts SET state = ?1, updated_at = ?2 WHERE id = ?3",
        params![state.as_str(), now(), id],
    )?;
    Ok(())
}

impl LocalStore {
    pub fn open(path: &Path) -> Result<Self, DeskError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| DeskError::Storage(format!("{}: {e}", dir.display())))?;
        }
        let mut conn = liaison_sqlite::open(path)?;
        liaison_sqlite::migrate(&mut conn, MIGRATIONS)?;
        Ok(LocalStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // SQLite rolls back whatever a panicking holder left open, so the connection stays sound.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    // --- meta -----------------------------------------------------------------------------------

    pub fn meta(&self, key: &str) -> Result<Option<String>, DeskError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), DeskError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn delete_meta(&self, key: &str) -> Result<(), DeskError> {
        self.conn()
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    pub fn seat(&self) -> Result<Option<SeatView>, DeskError> {
        match self.meta("seat")? {
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| DeskError::Storage(e.to_string())),
            None => Ok(None),
        }
    }

    pub fn set_seat(&self, seat: &SeatView) -> Result<(), DeskError> {
        let json = serde_json::to_string(seat).map_err(|e| DeskError::Internal(e.to_string()))?;
        self.set_meta("seat", &json)
    }

    pub fn cursor(&self) -> Result<i64, DeskError> {
        Ok(self
            .meta("cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    // --- columns --------------------------------------------------------------------------------

    pub fn replace_columns(&self, columns: &[ColumnView]) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM columns", [])?;
        for c in columns {
            let json = serde_json::to_string(c).map_err(|e| DeskError::Internal(e.to_string()))?;
            tx.execute(
                "INSERT INTO columns (id, json) VALUES (?1, ?2)",
                params![c.id, json],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn columns(&self) -> Result<Vec<ColumnView>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT json FROM columns ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|json| serde_json::from_str(&json?).map_err(|e| DeskError::Storage(e.to_string())))
            .collect()
    }

    // --- drafts ---------------------------------------------------------------------------------

    pub fn create_draft(&self, id: &str, column_id: Option<i64>) -> Result<DraftView, DeskError> {
        let conn = self.conn();
        let t = now();
        conn.execute(
            "INSERT INTO drafts (id, column_id, state, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![id, column_id, ItemState::Draft.as_str(), t],
        )?;
        draft_in(&conn, id)
    }

    pub fn draft(&self, id: &str) -> Result<DraftView, DeskError> {
        draft_in(&self.conn(), id)
    }

    pub fn drafts(&self) -> Result<Vec<DraftSummary>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, column_id, title, state, version, updated_at, receipt FROM drafts
             ORDER BY updated_at DESC, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                DraftSummary {
                    id: r.get(0)?,
                    column_id: r.get(1)?,
                    title: r.get(2)?,
                    state: ItemState::Draft,
                    version: r.get(4)?,
                    updated_at: r.get(5)?,
                    receipt: r.get(6)?,
                },
                r.get::<_, String>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (mut summary, state) = row?;
            summary.state = state_of(&state)?;
            Ok(summary)
        })
        .collect()
    }

    /// Autosave. Only a draft's content may change (submitted versions are immutable).
    pub fn save_draft(
        &self,
        id: &str,
        column_id: Option<i64>,
        title: &str,
        body_html: &str,
    ) -> Result<DraftSummary, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let current = draft_in(&tx, id)?;
        if !current.state.is_editable() {
            return Err(DeskError::InvalidState(format!(
                "an item that is {} cannot be edited",
                current.state.as_str()
            )));
        }
        tx.execute(
            "UPDATE drafts SET column_id = ?1, title = ?2, body_html = ?3, updated_at = ?4 WHERE id = ?5",
            params![column_id, title, body_html, now(), id],
        )?;
        let saved = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(DraftSummary {
            id: saved.id,
            column_id: saved.column_id,
            title: saved.title,
            state: saved.state,
            version: saved.version,
            updated_at: saved.updated_at,
            receipt: saved.receipt,
        })
    }

    /// Moves a draft to queued and writes its send into the outbox, in one transaction: either
    /// both happen or neither does.
    pub fn queue_send(&self, id: &str, idempotency_key: &str) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (draft, next) = step(&tx, id, ItemEvent::Send)?;
        let column_id = draft
            .column_id
            .ok_or_else(|| DeskError::InvalidState("choose a column before sending".into()))?;
        liaison_domain::content::check_submission(
            &draft.id,
            draft.version,
            &draft.title,
            &draft.body_html,
        )
        .map_err(|p| DeskError::InvalidState(p.to_string()))?;
        let request = SubmitItemRequest {
            draft_key: draft.id.clone(),
            version: draft.version,
            column_id,
            title: draft.title.trim().to_owned(),
            body_html: draft.body_html.clone(),
        };
        let payload =
            serde_json::to_string(&request).map_err(|e| DeskError::Internal(e.to_string()))?;
        let t = now();
        tx.execute(
            "INSERT INTO revisions (draft_id, version, column_id, title, body_html, sent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                draft.version,
                column_id,
                request.title,
                request.body_html,
                t
            ],
        )?;
        tx.execute(
            "INSERT INTO outbox (draft_id, version, idempotency_key, payload_json, queued_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, draft.version, idempotency_key, payload, t],
        )?;
        tx.execute("UPDATE drafts SET last_error = NULL WHERE id = ?1", [id])?;
        set_state(&tx, id, next)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    pub fn outbox(&self) -> Result<Vec<OutboxEntry>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, draft_id, idempotency_key, payload_json FROM outbox ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (id, draft_id, idempotency_key, payload) = row?;
            let request =
                serde_json::from_str(&payload).map_err(|e| DeskError::Storage(e.to_string()))?;
            Ok(OutboxEntry {
                id,
                draft_id,
                idempotency_key,
                request,
            })
        })
        .collect()
    }

    /// The office has the item: record the receipt and clear the outbox entry, together.
    pub fn mark_delivered(
        &self,
        entry: &OutboxEntry,
        answer: &SubmitItemResponse,
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let draft = draft_in(&tx, &entry.draft_id)?;
        if draft.state == ItemState::Queued {
            let next = draft
                .state
                .apply(ItemEvent::Deliver)
                .map_err(|e| DeskError::Internal(e.to_string()))?;
            set_state(&tx, &entry.draft_id, next)?;
        }
        tx.execute(
            "UPDATE drafts SET office_item_id = ?1, receipt = ?2, delivered_at = ?3, last_error = NULL WHERE id = ?4",
            params![answer.id, answer.receipt, ts(answer.delivered_at), entry.draft_id],
        )?;
        tx.execute(
            "UPDATE revisions SET receipt = ?1 WHERE draft_id = ?2 AND version = ?3",
            params![answer.receipt, entry.draft_id, entry.request.version],
        )?;
        tx.execute("DELETE FROM outbox WHERE id = ?1", [entry.id])?;
        tx.commit()?;
        Ok(())
    }

    /// A failed attempt: kept in the outbox, the reason shown on the draft.
    pub fn mark_attempt_failed(&self, entry: &OutboxEntry, reason: &str) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?1 WHERE id = ?2",
            params![reason, entry.id],
        )?;
        tx.execute(
            "UPDATE drafts SET last_error = ?1 WHERE id = ?2",
            params![reason, entry.draft_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The office turned the send down for good: in one transaction the outbox entry and the
    /// sent copy go, and the version is a draft again, with the reason on it.
    pub fn mark_refused(&self, entry: &OutboxEntry, reason: &str) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let draft = draft_in(&tx, &entry.draft_id)?;
        tx.execute("DELETE FROM outbox WHERE id = ?1", [entry.id])?;
        if let Ok(next) = draft.state.apply(ItemEvent::Refuse) {
            tx.execute(
                "DELETE FROM revisions WHERE draft_id = ?1 AND version = ?2",
                params![entry.draft_id, entry.request.version],
            )?;
            set_state(&tx, &entry.draft_id, next)?;
        }
        tx.execute(
            "UPDATE drafts SET last_error = ?1 WHERE id = ?2",
            params![reason, entry.draft_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Applies one change from the office and moves the cursor past it, together, so a change is
    /// applied exactly once even if the answer that carried it is seen again.
    pub fn apply_change(&self, seq: i64, change: &ChangeKind) -> Result<bool, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let cursor: i64 = tx
            .query_row("SELECT value FROM meta WHERE key = 'cursor'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        if seq <= cursor {
            return Ok(false);
        }
        let applied = match change {
            ChangeKind::ItemReviewed {
                item_id,
                draft_key,
                version,
                receipt,
                state,
                published_url,
                review_comment,
            } => apply_review(
                &tx,
                *item_id,
                draft_key,
                *version,
                receipt,
                *state,
                published_url,
                review_comment,
            )?,
        };
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('cursor', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [seq.to_string()],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    /// Returned -> a new draft version; the sent version stays in `revisions` as it was.
    pub fn revise(&self, id: &str) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let (_, next) = step(&tx, id, ItemEvent::Revise)?;
        tx.execute(
            "UPDATE drafts SET version = version + 1, receipt = NULL, office_item_id = NULL, delivered_at = NULL,
                               published_url = NULL, last_error = NULL WHERE id = ?1",
            [id],
        )?;
        set_state(&tx, id, next)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    /// Title and body of a version as it was sent.
    pub fn sent_version(&self, id: &str, version: u32) -> Result<(String, String), DeskError> {
        self.conn()
            .query_row(
                "SELECT title, body_html FROM revisions WHERE draft_id = ?1 AND version = ?2",
                params![id, version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(DeskError::NotFound("sent version"))
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_review(
    tx: &Transaction<'_>,
    item_id: i64,
    draft_key: &str,
    version: u32,
    receipt: &str,
    state: ItemState,
    published_url: &Option<String>,
    review_comment: &Option<String>,
) -> Result<bool, DeskError> {
    let Some((current, current_version)) = tx
        .query_row(
            "SELECT state, version FROM drafts WHERE id = ?1",
            [draft_key],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)),
        )
        .optional()?
    else {
        // Items sent from another workstation of the seat, or before this desk existed.
        tracing::debug!(draft_key, "review for an item this desk does not hold");
        return Ok(false);
    };
    if current_version != version {
        return Ok(false); // a review of an older version; the draft has moved on
    }
    let mut current = state_of(&current)?;
    if current == ItemState::Queued {
        // The office has it although our send did not hear back: it was delivered.
        current = current
            .apply(ItemEvent::Deliver)
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        tx.execute(
            "UPDATE drafts SET receipt = ?1, office_item_id = ?2 WHERE id = ?3",
            params![receipt, item_id, draft_key],
        )?;
    }
    let event = match state {
        ItemState::Accepted => ItemEvent::Accept,
        ItemState::Returned => ItemEvent::Return,
        ItemState::Rejected => ItemEvent::Reject,
        other => {
            tracing::warn!(state = other.as_str(), "unexpected review state");
            return Ok(false);
        }
    };
    let Ok(next) = current.apply(event) else {
        return Ok(false);
    };
    tx.execute(
        "UPDATE drafts SET published_url = ?1, review_comment = ?2 WHERE id = ?3",
        params![published_url, review_comment, draft_key],
    )?;
    set_state(tx, draft_key, next)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn returned(draft_key: &str) -> ChangeKind {
        ChangeKind::ItemReviewed {
            item_id: 1,
            draft_key: draft_key.to_owned(),
            version: 1,
            receipt: "LS-20261127-000001".into(),
            state: ItemState::Returned,
            published_url: None,
            review_comment: Some("请补充".into()),
        }
    }

    #[test]
    fn a_change_is_applied_once_and_moves_the_cursor_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1)).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>")
            .unwrap();
        store.queue_send("d1", "key-1").unwrap();

        // Applied although the desk never heard its own send back: delivered, then returned.
        assert!(store.apply_change(7, &returned("d1")).unwrap());
        assert_eq!(store.cursor().unwrap(), 7);
        let draft = store.draft("d1").unwrap();
        assert_eq!(draft.state, ItemState::Returned);
        assert_eq!(draft.receipt.as_deref(), Some("LS-20261127-000001"));

        // The same change again, or an older one, is skipped and the cursor stays.
        assert!(!store.apply_change(7, &returned("d1")).unwrap());
        assert!(!store.apply_change(3, &returned("d1")).unwrap());
        assert_eq!(store.cursor().unwrap(), 7);

        // A change about an item this desk does not hold still moves the cursor.
        assert!(!store.apply_change(9, &returned("elsewhere")).unwrap());
        assert_eq!(store.cursor().unwrap(), 9);
    }
}
