//! The desk's local SQLite store: drafts, sent versions, the outbox, cached columns, sync state.
//!
//! Every method is one transaction. State changes go through the domain's item state machine.
//! Transactions that write begin IMMEDIATE: several processes may write the same file (the
//! window, the worker, `liaison-desk-cli`), and a deferred transaction that reads and then writes
//! would be refused at once ("database is locked") instead of waiting its turn. A write that
//! stamps a time takes it as `now` from its caller (the desk's clock), never from the system.
//!
//! This file holds the store itself: opening and migrating it, `meta` (the seat, the cursors) and
//! the row helpers the rest share. Each concern is an `impl LocalStore` in `store/`.

mod backups;
mod blobs;
mod changes;
mod commissions;
mod drafts;
mod handover;
mod history;
mod imports;
mod notices;
mod outbox;
mod search;
#[cfg(test)]
mod test_support;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use liaison_domain::{AttachmentRef, ColumnView, ItemEvent, ItemState, SeatView};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::DeskError;
use crate::view::{DraftNotice, DraftView, SendProgress};

pub use backups::Restored;
pub use outbox::OutboxEntry;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_files_and_backups.sql"),
    include_str!("../migrations/0003_duties.sql"),
    include_str!("../migrations/0004_signoff_and_timeline.sql"),
    include_str!("../migrations/0005_imports.sql"),
    include_str!("../migrations/0006_search.sql"),
    include_str!("../migrations/0007_commissions.sql"),
];

pub struct LocalStore {
    conn: Mutex<Connection>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A draft's stored send failure. Desks before failures were kept as data stored the text
/// alone: it reads as the office's refusal, with that text as its detail.
fn failure_of(stored: Option<String>) -> Option<crate::DeskErrorView> {
    let stored = stored?;
    if let Ok(view) = serde_json::from_str(&stored) {
        return Some(view);
    }
    Some(crate::DeskErrorView {
        code: crate::DeskErrorCode::RejectedByOffice,
        detail: stored,
        certificate: None,
        data: None,
    })
}

fn state_of(s: &str) -> Result<ItemState, DeskError> {
    ItemState::parse(s).ok_or_else(|| DeskError::Storage(format!("unknown item state {s:?}")))
}

const DRAFT_SELECT: &str =
    "SELECT id, column_id, title, body_html, state, version, updated_at, receipt,
        delivered_at, published_url, review_comment, last_error, notice, attestation_json,
        created_at, commission_id FROM drafts";

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
            last_error: failure_of(r.get(11)?),
            attachments: Vec::new(), // filled by draft_in
            sending: None,
            notice: r
                .get::<_, Option<String>>(12)?
                .as_deref()
                .and_then(DraftNotice::parse),
            // Unreadable JSON (written by no version of the desk) shows as no attestation.
            attestation: r
                .get::<_, Option<String>>(13)?
                .and_then(|j| serde_json::from_str(&j).ok()),
            created_at: r.get(14)?,
            commission_id: r.get(15)?,
        },
        r.get(4)?,
    ))
}

fn files_of(conn: &Connection, draft_id: &str) -> Result<Vec<AttachmentRef>, DeskError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.sha256, d.name, f.size, f.mime FROM draft_files d JOIN files f USING (sha256)
         WHERE d.draft_id = ?1 ORDER BY d.position",
    )?;
    let rows = stmt.query_map([draft_id], |r| {
        Ok(AttachmentRef {
            sha256: r.get(0)?,
            name: r.get(1)?,
            size: r.get(2)?,
            mime: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The progress of the draft's queued send, if one is queued.
fn progress_of(conn: &Connection, draft_id: &str) -> Result<Option<SendProgress>, DeskError> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(sum(f.confirmed), 0), coalesce(sum(f.size), 0), o.attempts
             FROM outbox o LEFT JOIN outbox_files f ON f.outbox_id = o.id
             WHERE o.draft_id = ?1 GROUP BY o.id ORDER BY o.id LIMIT 1",
        )?
        .query_row([draft_id], |r| {
            Ok(SendProgress {
                uploaded_bytes: r.get(0)?,
                total_bytes: r.get(1)?,
                attempts: r.get(2)?,
            })
        })
        .optional()?)
}

fn draft_in(conn: &Connection, id: &str) -> Result<DraftView, DeskError> {
    let (mut view, state) = conn
        .prepare_cached(&format!("{DRAFT_SELECT} WHERE id = ?1"))?
        .query_row([id], draft_from_row)
        .optional()?
        .ok_or(DeskError::NotFound("draft"))?;
    view.state = state_of(&state)?;
    view.attachments = files_of(conn, id)?;
    view.sending = progress_of(conn, id)?;
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

/// A draft as the pre-flight checks read it.
pub fn preflight_draft(draft: &DraftView) -> liaison_domain::preflight::Draft<'_> {
    liaison_domain::preflight::Draft {
        column_id: draft.column_id,
        title: &draft.title,
        body_html: &draft.body_html,
        attachments: &draft.attachments,
    }
}

/// The signed-in seat, read inside a transaction.
fn seat_in(conn: &Connection) -> Result<Option<SeatView>, DeskError> {
    let json: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'seat'", [], |r| {
            r.get(0)
        })
        .optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| DeskError::Storage(e.to_string())))
        .transpose()
}

fn set_state(
    tx: &Transaction<'_>,
    id: &str,
    state: ItemState,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    tx.execute(
        "UPDATE drafts SET state = ?1, updated_at = ?2 WHERE id = ?3",
        params![state.as_str(), ts(now), id],
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

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // SQLite rolls back whatever a panicking holder left open, so the connection stays sound.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with `synchronous=NORMAL`: its writes survive a crash of the process but maybe
    /// not a power cut. Only for bookkeeping the office can tell us again (upload progress, a
    /// receipt a replayed send gets back), never for what the officer typed.
    fn relaxed<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, DeskError>,
    ) -> Result<T, DeskError> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let result = f(&mut conn);
        conn.pragma_update(None, "synchronous", "FULL")?;
        result
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

    /// Every (key, value) whose key starts with `prefix`, by key.
    pub fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
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

    /// The `seq` of the last office draft backup this desk has taken in.
    pub fn backup_cursor(&self) -> Result<i64, DeskError> {
        Ok(self
            .meta("backup_cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    // --- columns --------------------------------------------------------------------------------

    pub fn columns(&self) -> Result<Vec<ColumnView>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT json FROM columns ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|json| serde_json::from_str(&json?).map_err(|e| DeskError::Storage(e.to_string())))
            .collect()
    }
}
