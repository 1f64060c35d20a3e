//! The desk's local SQLite store: drafts, sent versions, the outbox, cached columns, sync state.
//!
//! Every method is one transaction. State changes go through the domain's item state machine.
//! Transactions that write begin IMMEDIATE: several processes may write the same file (the
//! window, the worker, `liaison-desk-cli`), and a deferred transaction that reads and then writes
//! would be refused at once ("database is locked") instead of waiting its turn.

mod notices;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use liaison_domain::text::{self, Lines};
use liaison_domain::wire::{
    ChangeKind, DraftBackup, ItemDetail, PutDraftRequest, SubmitItemRequest, SubmitItemResponse,
    TimelineEntry,
};
use liaison_domain::{
    AttachmentRef, Attestation, ColumnView, ItemEvent, ItemState, Role, SeatView, SignoffPolicy,
    attachment, preflight, signoff,
};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::DeskError;
use crate::duties::{NoticeFacts, NoticeKind};
use crate::files::StoredFile;
use crate::view::{
    DraftNotice, DraftSummary, DraftView, ImportOutcome, ImportRecord, ItemTimeline, SearchHit,
    SendProgress, SnippetPart, VersionTimeline,
};
use notices::create_notice;

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

/// One send waiting in the outbox.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub draft_id: String,
    pub idempotency_key: String,
    pub request: SubmitItemRequest,
    /// The send's files and how much of each the office has confirmed.
    pub files: Vec<PendingFile>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingFile {
    pub sha256: String,
    pub size: u64,
    pub confirmed: u64,
}

/// A draft whose latest edits the office does not hold yet.
#[derive(Debug, Clone)]
pub struct BackupDue {
    pub draft_id: String,
    pub rev: i64,
    pub request: PutDraftRequest,
}

/// What restoring one office backup did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restored {
    Nothing,
    /// A draft this desk did not hold.
    New,
    /// This desk's unchanged copy took the newer text.
    Updated,
    /// Both had changed: the office's version was kept as a separate draft.
    KeptBoth,
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
            last_error: r.get(11)?,
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

/// The columns of a draft's summary, in the order [`summary_from_row`] reads them.
const SUMMARY_COLUMNS: &str =
    "id, column_id, title, state, version, updated_at, receipt, last_error, notice";

/// A summary (with `upload_percent` left out) and the raw state.
fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<(DraftSummary, String)> {
    Ok((
        DraftSummary {
            id: r.get(0)?,
            column_id: r.get(1)?,
            title: r.get(2)?,
            state: ItemState::Draft, // replaced by the caller from the raw state
            version: r.get(4)?,
            updated_at: r.get(5)?,
            receipt: r.get(6)?,
            upload_percent: None,
            last_error: r.get(7)?,
            notice: r
                .get::<_, Option<String>>(8)?
                .as_deref()
                .and_then(DraftNotice::parse),
        },
        r.get(3)?,
    ))
}

/// The draft, if its content may change.
fn editable(conn: &Connection, id: &str) -> Result<DraftView, DeskError> {
    let draft = draft_in(conn, id)?;
    if !draft.state.is_editable() {
        return Err(not_editable(draft.state));
    }
    Ok(draft)
}

fn not_editable(state: ItemState) -> DeskError {
    DeskError::InvalidState(format!(
        "an item that is {} cannot be edited",
        state.as_str()
    ))
}

/// A local edit: the draft's backup at the office is now behind.
fn touch(tx: &Transaction<'_>, id: &str) -> Result<(), DeskError> {
    tx.execute(
        "UPDATE drafts SET rev = rev + 1, updated_at = ?1 WHERE id = ?2",
        params![now(), id],
    )?;
    Ok(())
}

/// Replaces a draft's files with `files` (which must be in the `files` table).
fn set_files(tx: &Transaction<'_>, id: &str, files: &[AttachmentRef]) -> Result<(), DeskError> {
    tx.execute("DELETE FROM draft_files WHERE draft_id = ?1", [id])?;
    for (position, f) in files.iter().enumerate() {
        tx.execute(
            "INSERT INTO files (sha256, size, mime, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
            params![f.sha256, f.size, f.mime, now()],
        )?;
        tx.execute(
            "INSERT INTO draft_files (draft_id, position, sha256, name) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
            params![id, position + 1, f.sha256, f.name],
        )?;
    }
    Ok(())
}

/// A new draft holding another workstation's version, beside this desk's own.
fn insert_copy(tx: &Transaction<'_>, copy_id: &str, from: &DraftBackup) -> Result<(), DeskError> {
    let t = now();
    tx.execute(
        "INSERT INTO drafts (id, column_id, title, body_html, state, created_at, updated_at, notice)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
        params![
            copy_id,
            from.column_id,
            from.title,
            from.body_html,
            ItemState::Draft.as_str(),
            t,
            DraftNotice::IsOtherCopy.as_str()
        ],
    )?;
    set_files(tx, copy_id, &from.attachments)
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

    /// A new draft answering a commissioned request: its topic as the title, in its column.
    pub fn create_answer(
        &self,
        id: &str,
        column_id: Option<i64>,
        commission_id: i64,
        title: &str,
    ) -> Result<DraftView, DeskError> {
        let conn = self.conn();
        let t = now();
        conn.execute(
            "INSERT INTO drafts (id, column_id, title, state, created_at, updated_at, commission_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
            params![id, column_id, title, ItemState::Draft.as_str(), t, commission_id],
        )?;
        draft_in(&conn, id)
    }

    /// Replaces the cached requests with those the office gave, in its order (newest first).
    pub fn replace_commissions(
        &self,
        list: &[liaison_domain::wire::CommissionView],
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM commissions", [])?;
        for c in list {
            let json = serde_json::to_string(c).map_err(|e| DeskError::Internal(e.to_string()))?;
            tx.execute(
                "INSERT INTO commissions (id, json) VALUES (?1, ?2)",
                params![c.id, json],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The requests as last fetched, newest first.
    pub fn commissions(&self) -> Result<Vec<liaison_domain::wire::CommissionView>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT json FROM commissions")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut list = Vec::new();
        for json in rows {
            // A row no version of the desk could read is left out, not an error.
            if let Ok(c) = serde_json::from_str::<liaison_domain::wire::CommissionView>(&json?) {
                list.push(c);
            }
        }
        list.sort_by(|a, b| b.posted_at.cmp(&a.posted_at).then(b.id.cmp(&a.id)));
        Ok(list)
    }

    pub fn draft(&self, id: &str) -> Result<DraftView, DeskError> {
        draft_in(&self.conn(), id)
    }

    pub fn drafts(&self) -> Result<Vec<DraftSummary>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM drafts ORDER BY updated_at DESC, id"
        ))?;
        let rows = stmt.query_map([], summary_from_row)?;
        let summaries: Vec<(DraftSummary, String)> = rows.collect::<Result<_, _>>()?;
        summaries
            .into_iter()
            .map(|(mut summary, state)| {
                summary.state = state_of(&state)?;
                if summary.state == ItemState::Queued {
                    summary.upload_percent =
                        progress_of(&conn, &summary.id)?.and_then(|p| p.percent());
                }
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
        // The hottest write of the desk (every pause in typing): two statements, both cached.
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let state: String = tx
            .prepare_cached("SELECT state FROM drafts WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .ok_or(DeskError::NotFound("draft"))?;
        let state = state_of(&state)?;
        if !state.is_editable() {
            return Err(not_editable(state));
        }
        let (mut saved, state) = tx
            .prepare_cached(&format!(
                "UPDATE drafts SET column_id = ?1, title = ?2, body_html = ?3, updated_at = ?4,
                                   rev = rev + 1, search_stale = 1,
                                   notice = CASE WHEN notice = 'restored' THEN NULL ELSE notice END
                 WHERE id = ?5 RETURNING {SUMMARY_COLUMNS}"
            ))?
            .query_row(
                params![column_id, title, body_html, now(), id],
                summary_from_row,
            )?;
        tx.commit()?;
        // An editable draft is not queued, so it has no upload under way.
        saved.state = state_of(&state)?;
        Ok(saved)
    }

    /// Adds a file already in the file store to a draft (once; adding the same bytes again is a
    /// no-op).
    pub fn attach(&self, id: &str, name: &str, file: &StoredFile) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let draft = editable(&tx, id)?;
        if draft.attachments.iter().any(|a| a.sha256 == file.sha256) {
            return Ok(draft);
        }
        let added = AttachmentRef {
            sha256: file.sha256.clone(),
            name: name.trim().to_owned(),
            size: file.size,
            mime: file.kind.mime().to_owned(),
        };
        let mut all = draft.attachments.clone();
        all.push(added.clone());
        attachment::check_attachments(&all)
            .map_err(|p| DeskError::FileNotAllowed(p.to_string()))?;
        tx.execute(
            "INSERT INTO files (sha256, size, mime, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
            params![added.sha256, added.size, added.mime, now()],
        )?;
        tx.execute(
            "INSERT INTO draft_files (draft_id, position, sha256, name)
             VALUES (?1, (SELECT coalesce(max(position), 0) + 1 FROM draft_files WHERE draft_id = ?1), ?2, ?3)",
            params![id, added.sha256, added.name],
        )?;
        touch(&tx, id)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    pub fn detach(&self, id: &str, sha256: &str) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        editable(&tx, id)?;
        tx.execute(
            "DELETE FROM draft_files WHERE draft_id = ?1 AND sha256 = ?2",
            params![id, sha256],
        )?;
        // The signed form went with it: the attestation no longer stands.
        tx.execute(
            "UPDATE drafts SET attestation_json = NULL
             WHERE id = ?1 AND json_extract(attestation_json, '$.form_sha256') = ?2",
            params![id, sha256],
        )?;
        touch(&tx, id)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    /// Records (or, with `None`, removes) the paper sign-off of a draft's current version. The
    /// form must be one of the draft's files; the date is checked when it is sent.
    pub fn set_attestation(
        &self,
        id: &str,
        attestation: Option<&Attestation>,
    ) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let draft = editable(&tx, id)?;
        let json = match attestation {
            Some(a) => {
                // Any date passes here: the day of sending is what counts.
                let far = chrono::NaiveDate::MAX;
                signoff::check_signoff(SignoffPolicy::Attested, Some(a), &draft.attachments, far)
                    .map_err(|p| DeskError::SignoffRequired(p.to_string()))?;
                let a = Attestation {
                    approver: a.approver.trim().to_owned(),
                    ..a.clone()
                };
                Some(serde_json::to_string(&a).map_err(|e| DeskError::Internal(e.to_string()))?)
            }
            None => None,
        };
        tx.execute(
            "UPDATE drafts SET attestation_json = ?1 WHERE id = ?2",
            params![json, id],
        )?;
        touch(&tx, id)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    /// Moves a draft to queued and writes its send into the outbox, in one transaction: either
    /// both happen or neither does. The department's sign-off `policy` must be met on the
    /// Beijing date `today` (DESIGN.md invariant 3).
    pub fn queue_send(
        &self,
        id: &str,
        idempotency_key: &str,
        policy: SignoffPolicy,
        today: chrono::NaiveDate,
        lists: &liaison_domain::preflight::WordLists,
    ) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (draft, next) = step(&tx, id, ItemEvent::Send)?;
        let column_id = draft
            .column_id
            .ok_or_else(|| DeskError::InvalidState("choose a column before sending".into()))?;
        // What a pasted text may carry unseen (control characters, a line break in the title)
        // is left out of what is sent, rather than stopping the send.
        let title = text::cleaned(draft.title.trim(), Lines::One).into_owned();
        let body_html = text::cleaned(&draft.body_html, Lines::Many).into_owned();
        liaison_domain::content::check_submission(&draft.id, draft.version, &title, &body_html)
            .map_err(|p| DeskError::InvalidState(p.to_string()))?;
        attachment::check_attachments(&draft.attachments)
            .and_then(|()| attachment::check_inline_files(&draft.body_html, &draft.attachments))
            .map_err(|p| DeskError::FileNotAllowed(p.to_string()))?;
        signoff::check_signoff(
            policy,
            draft.attestation.as_ref(),
            &draft.attachments,
            today,
        )
        .map_err(|p| DeskError::SignoffRequired(p.to_string()))?;
        let problems = liaison_domain::preflight::check(preflight_draft(&draft), lists);
        if liaison_domain::preflight::blocks(&problems) {
            return Err(DeskError::PreflightFailed(problems));
        }
        let request = SubmitItemRequest {
            draft_key: draft.id.clone(),
            version: draft.version,
            column_id,
            title,
            body_html,
            attachments: draft.attachments.clone(),
            // Only an attested department's send carries it.
            attestation: draft
                .attestation
                .clone()
                .filter(|_| policy == SignoffPolicy::Attested),
            commission_id: draft.commission_id,
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
        let outbox_id = tx.last_insert_rowid();
        for file in &draft.attachments {
            tx.execute(
                "INSERT INTO outbox_files (outbox_id, sha256, size) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                params![outbox_id, file.sha256, file.size],
            )?;
        }
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
        let rows: Vec<(i64, String, String, String)> = rows.collect::<Result<_, _>>()?;
        let mut files = conn.prepare(
            "SELECT sha256, size, confirmed FROM outbox_files WHERE outbox_id = ?1 ORDER BY rowid",
        )?;
        rows.into_iter()
            .map(|(id, draft_id, idempotency_key, payload)| {
                let request = serde_json::from_str(&payload)
                    .map_err(|e| DeskError::Storage(e.to_string()))?;
                let files = files
                    .query_map([id], |r| {
                        Ok(PendingFile {
                            sha256: r.get(0)?,
                            size: r.get(1)?,
                            confirmed: r.get(2)?,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(OutboxEntry {
                    id,
                    draft_id,
                    idempotency_key,
                    request,
                    files,
                })
            })
            .collect()
    }

    /// The office has confirmed `confirmed` bytes of a send's file.
    pub fn confirm_upload(
        &self,
        outbox_id: i64,
        sha256: &str,
        confirmed: u64,
    ) -> Result<(), DeskError> {
        self.relaxed(|conn| {
            conn.execute(
                "UPDATE outbox_files SET confirmed = ?1 WHERE outbox_id = ?2 AND sha256 = ?3",
                params![confirmed, outbox_id, sha256],
            )?;
            Ok(())
        })
    }

    /// The office does not hold the send's files after all: upload them again.
    pub fn reset_uploads(&self, outbox_id: i64) -> Result<(), DeskError> {
        self.conn().execute(
            "UPDATE outbox_files SET confirmed = 0 WHERE outbox_id = ?1",
            [outbox_id],
        )?;
        Ok(())
    }

    /// The office has the item: record the receipt and clear the outbox entry, together.
    pub fn mark_delivered(
        &self,
        entry: &OutboxEntry,
        answer: &SubmitItemResponse,
    ) -> Result<(), DeskError> {
        // Relaxed: if a power cut loses this, the entry is sent again under its key and the
        // office answers with the same receipt.
        self.relaxed(|conn| Self::record_delivery(conn, entry, answer))
    }

    fn record_delivery(
        conn: &mut Connection,
        entry: &OutboxEntry,
        answer: &SubmitItemResponse,
    ) -> Result<(), DeskError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let draft = draft_in(&tx, &entry.draft_id)?;
        if draft.state == ItemState::Queued {
            // Into the editors' inbox, or held for the department's sign-off.
            let event = if answer.state == ItemState::AwaitingSignoff {
                ItemEvent::Hold
            } else {
                ItemEvent::Deliver
            };
            let next = draft
                .state
                .apply(event)
                .map_err(|e| DeskError::Internal(e.to_string()))?;
            set_state(&tx, &entry.draft_id, next)?;
        }
        tx.execute(
            "UPDATE drafts SET office_item_id = ?1, receipt = ?2, delivered_at = ?3, last_error = NULL WHERE id = ?4",
            params![answer.id, answer.receipt, ts(answer.delivered_at), entry.draft_id],
        )?;
        tx.execute(
            "UPDATE revisions SET receipt = ?1, office_item_id = ?2 WHERE draft_id = ?3 AND version = ?4",
            params![answer.receipt, answer.id, entry.draft_id, entry.request.version],
        )?;
        tx.execute("DELETE FROM outbox WHERE id = ?1", [entry.id])?;
        tx.commit()?;
        Ok(())
    }

    /// A failed attempt: kept in the outbox, the reason shown on the draft.
    pub fn mark_attempt_failed(&self, entry: &OutboxEntry, reason: &str) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
    pub fn apply_change(
        &self,
        seq: i64,
        change: &ChangeKind,
        now: DateTime<Utc>,
    ) -> Result<bool, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
                by,
            } => {
                let applied = apply_review(
                    &tx,
                    *item_id,
                    draft_key,
                    *version,
                    receipt,
                    *state,
                    published_url,
                    review_comment,
                )?;
                // Decided: a request to sign it off is no longer news. One never shown goes (a
                // new desk reading the log from the start must not be asked about items signed
                // off long ago); one shown is marked read.
                let key = format!("signoff:{item_id}");
                tx.execute(
                    "DELETE FROM notices WHERE key = ?1 AND raised_at IS NULL",
                    [&key],
                )?;
                tx.execute(
                    "UPDATE notices SET read_at = coalesce(read_at, ?1) WHERE key = ?2",
                    params![ts(now), key],
                )?;
                if applied {
                    let title: Option<String> = tx
                        .query_row("SELECT title FROM drafts WHERE id = ?1", [draft_key], |r| {
                            r.get(0)
                        })
                        .optional()?;
                    let facts = NoticeFacts {
                        title,
                        review_state: Some(*state),
                        review_comment: review_comment.clone(),
                        by: by.clone(),
                        item_id: Some(*item_id),
                        ..NoticeFacts::default()
                    };
                    create_notice(
                        &tx,
                        &format!("reviewed:{seq}"),
                        NoticeKind::Reviewed,
                        None,
                        Some(draft_key),
                        &facts,
                        now,
                    )?;
                }
                applied
            }
            ChangeKind::SignoffRequested {
                item_id,
                draft_key,
                version,
                receipt,
                title,
                holder_name,
            } => {
                // The officer's own desk: the office has it, held for sign-off (a send whose
                // answer was lost learns it here).
                let moved = apply_review(
                    &tx,
                    *item_id,
                    draft_key,
                    *version,
                    receipt,
                    ItemState::AwaitingSignoff,
                    &None,
                    &None,
                )?;
                // The responsible person's desk: something to sign off.
                let responsible = seat_in(&tx)?.is_some_and(|s| s.role == Role::Responsible);
                let noticed = responsible && {
                    let facts = NoticeFacts {
                        title: Some(title.clone()),
                        by: Some(holder_name.clone()),
                        item_id: Some(*item_id),
                        ..NoticeFacts::default()
                    };
                    create_notice(
                        &tx,
                        &format!("signoff:{item_id}"),
                        NoticeKind::SignoffRequested,
                        None,
                        None,
                        &facts,
                        now,
                    )?
                };
                moved || noticed
            }
            ChangeKind::ItemCommented {
                item_id,
                draft_key,
                author,
                author_role,
                text,
                ..
            } => {
                // Told of what others write; one's own remarks are no news.
                let own_role = seat_in(&tx)?.map(|s| s.role);
                let held: Option<String> = tx
                    .query_row("SELECT title FROM drafts WHERE id = ?1", [draft_key], |r| {
                        r.get(0)
                    })
                    .optional()?;
                match held {
                    Some(title) if own_role != Some(*author_role) => {
                        let facts = NoticeFacts {
                            title: Some(title),
                            message: Some(text.clone()),
                            by: Some(author.clone()),
                            item_id: Some(*item_id),
                            ..NoticeFacts::default()
                        };
                        create_notice(
                            &tx,
                            &format!("commented:{seq}"),
                            NoticeKind::Commented,
                            None,
                            Some(draft_key),
                            &facts,
                            now,
                        )?
                    }
                    _ => false,
                }
            }
            ChangeKind::ColumnUrged {
                column_id,
                column_name,
                message,
                urged_by,
            } => {
                let facts = NoticeFacts {
                    column_name: Some(column_name.clone()),
                    message: Some(message.clone()),
                    urged_by: Some(urged_by.clone()),
                    ..NoticeFacts::default()
                };
                create_notice(
                    &tx,
                    &format!("urged:{seq}"),
                    NoticeKind::Urged,
                    Some(*column_id),
                    None,
                    &facts,
                    now,
                )?
            }
            ChangeKind::CommissionUpdated {
                commission_id,
                what,
                topic,
                due_at,
                ..
            } => {
                let facts = NoticeFacts {
                    title: Some(topic.clone()),
                    due_at: Some(*due_at),
                    commission: Some(*what),
                    ..NoticeFacts::default()
                };
                create_notice(
                    &tx,
                    &format!("commission:{commission_id}:{seq}"),
                    NoticeKind::Commissioned,
                    None,
                    None,
                    &facts,
                    now,
                )?
            }
            // The board is fetched again on the next round, which this change started.
            ChangeKind::OrganisationChanged { .. } => false,
        };
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('cursor', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [seq.to_string()],
        )?;
        tx.commit()?;
        Ok(applied)
    }

    /// Returned -> a new draft version; the sent version stays in `revisions` as it was. The
    /// new version needs its own sign-off.
    pub fn revise(&self, id: &str) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (_, next) = step(&tx, id, ItemEvent::Revise)?;
        tx.execute(
            "UPDATE drafts SET version = version + 1, rev = rev + 1, receipt = NULL, office_item_id = NULL, delivered_at = NULL,
                               published_url = NULL, last_error = NULL, attestation_json = NULL WHERE id = ?1",
            [id],
        )?;
        set_state(&tx, id, next)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    // --- imports --------------------------------------------------------------------------------

    /// The draft an earlier import of the same bytes made, if any.
    pub fn imported_before(&self, sha256: &str) -> Result<Option<String>, DeskError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT coalesce(draft_id, '') FROM imports WHERE sha256 = ?1 AND outcome = 'imported'",
                [sha256],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn log_import(&self, record: &ImportRecord, sha256: &str) -> Result<(), DeskError> {
        self.conn().execute(
            "INSERT INTO imports (sha256, name, at, outcome, draft_id, reason, moved_to)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                sha256,
                record.name,
                record.at,
                record.outcome.as_str(),
                record.draft_id,
                record.reason,
                record.moved_to
            ],
        )?;
        Ok(())
    }

    /// The newest imports first.
    pub fn import_log(&self, limit: u32) -> Result<Vec<ImportRecord>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT name, at, outcome, draft_id, reason, moved_to FROM imports ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            let outcome: String = r.get(2)?;
            Ok(ImportRecord {
                name: r.get(0)?,
                at: r.get(1)?,
                outcome: ImportOutcome::parse(&outcome).unwrap_or(ImportOutcome::Failed),
                draft_id: r.get(3)?,
                reason: r.get(4)?,
                moved_to: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    // --- handover -------------------------------------------------------------------------------

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
    /// item keeps its place; only the sent version is added. Whether anything was added.
    pub fn import_item(&self, item: &ItemDetail) -> Result<bool, DeskError> {
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

    // --- search ---------------------------------------------------------------------------------

    /// Brings the search index up to date: every draft saved since the last search is indexed
    /// again, oldest save first, in one transaction. Returns how many were indexed.
    ///
    /// The index can be rebuilt from the drafts at any time, so it is written with
    /// `synchronous=NORMAL`; the stale marks go back with it if the transaction is lost.
    pub fn index_for_search(&self) -> Result<usize, DeskError> {
        // The usual case, checked without touching the connection's settings or a transaction.
        let stale: bool = self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM drafts WHERE search_stale = 1)",
            [],
            |r| r.get(0),
        )?;
        if !stale {
            return Ok(0);
        }
        self.relaxed(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let stale: Vec<(String, String, String, Option<i64>)> = {
                let mut stmt = tx.prepare(
                    "SELECT id, title, body_html, search_rowid FROM drafts
                     WHERE search_stale = 1 ORDER BY updated_at, id",
                )?;
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<_, _>>()?
            };
            for (id, title, body_html, old) in &stale {
                if let Some(old) = old {
                    tx.execute("DELETE FROM draft_search WHERE rowid = ?1", [old])?;
                }
                tx.execute(
                    "INSERT INTO draft_search (draft_id, title, body) VALUES (?1, ?2, ?3)",
                    params![id, title, preflight::plain_text(body_html)],
                )?;
                tx.execute(
                    "UPDATE drafts SET search_stale = 0, search_rowid = ?1 WHERE id = ?2",
                    params![tx.last_insert_rowid(), id],
                )?;
            }
            tx.commit()?;
            Ok(stale.len())
        })
    }

    /// Drafts whose title or text holds `term`, most recently saved first, at most `limit`: the
    /// page comes from the index alone (the window has each draft's state and time in its list).
    /// Terms of three characters or more go through the trigram index; shorter ones are looked
    /// up character by character in the indexed text (slower, but a two-character word is common
    /// in Chinese).
    pub fn search(&self, term: &str, limit: u32) -> Result<Vec<SearchHit>, DeskError> {
        let term = term.trim();
        if term.is_empty() {
            return Ok(Vec::new());
        }
        self.index_for_search()?;
        let conn = self.conn();
        let long = term.chars().count() >= 3;
        let sql = if long {
            "SELECT draft_id, title, snippet(draft_search, -1, char(2), char(3), '…', 24)
             FROM draft_search WHERE draft_search MATCH ?1 ORDER BY rowid DESC LIMIT ?2"
        } else {
            // snippet() needs a MATCH: the passage is cut around the first occurrence instead.
            "SELECT draft_id, title, substr(body, max(1, instr(body, ?3) - 12), 40)
             FROM draft_search
             WHERE title LIKE ?1 ESCAPE '\\' OR body LIKE ?1 ESCAPE '\\'
             ORDER BY rowid DESC LIMIT ?2"
        };
        let pattern = if long {
            format!("\"{}\"", term.replace('"', "\"\""))
        } else {
            let escaped = term
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        };
        let mut stmt = conn.prepare_cached(sql)?;
        let row = |r: &Row<'_>| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        };
        let rows: Vec<_> = if long {
            stmt.query_map(params![pattern, limit], row)?
                .collect::<Result<_, _>>()?
        } else {
            stmt.query_map(params![pattern, limit, term], row)?
                .collect::<Result<_, _>>()?
        };
        let mut hits = Vec::new();
        for row in rows {
            let (id, title, snippet) = row;
            let snippet = if long {
                SnippetPart::split(&snippet)
            } else {
                SnippetPart::mark(&snippet, term)
            };
            hits.push(SearchHit { id, title, snippet });
        }
        Ok(hits)
    }

    /// Adds many drafts in one transaction, each saved `spacing` before the previous one: sample
    /// data for `liaison-desk-cli seed` and the benchmarks. Returns their ids.
    pub fn seed_drafts(
        &self,
        drafts: &[(Option<i64>, String, String)],
        newest: DateTime<Utc>,
        spacing: chrono::Duration,
    ) -> Result<Vec<String>, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ids = Vec::with_capacity(drafts.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO drafts (id, column_id, title, body_html, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )?;
            let count = drafts.len() as i32;
            for (n, (column_id, title, body_html)) in drafts.iter().enumerate() {
                let id = uuid::Uuid::new_v4().to_string();
                // The first is the oldest, so the list shows the last one first.
                let at = newest - spacing * (count - 1 - n as i32);
                insert.execute(params![
                    id,
                    column_id,
                    title,
                    body_html,
                    ItemState::Draft.as_str(),
                    ts(at)
                ])?;
                ids.push(id);
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    // --- timelines ------------------------------------------------------------------------------

    /// Whether this desk sent (and so keeps) this version of the item.
    pub fn holds_version(&self, draft_key: &str, version: u32) -> Result<bool, DeskError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM revisions WHERE draft_id = ?1 AND version = ?2",
                params![draft_key, version],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false))
    }

    /// The office's id of a sent version this desk holds, if it has one.
    pub fn office_item_of(&self, draft_key: &str, version: u32) -> Result<Option<i64>, DeskError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT office_item_id FROM revisions WHERE draft_id = ?1 AND version = ?2",
                params![draft_key, version],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// Keeps the office's timeline of a sent version (and its id there, if the send's own
    /// answer was lost).
    pub fn save_timeline(
        &self,
        draft_key: &str,
        version: u32,
        item_id: i64,
        entries: &[TimelineEntry],
    ) -> Result<(), DeskError> {
        let json =
            serde_json::to_string(entries).map_err(|e| DeskError::Internal(e.to_string()))?;
        self.conn().execute(
            "UPDATE revisions SET timeline_json = ?1, office_item_id = ?2 WHERE draft_id = ?3 AND version = ?4",
            params![json, item_id, draft_key, version],
        )?;
        Ok(())
    }

    /// The item's history as last fetched: every sent version with its timeline.
    pub fn timeline(&self, id: &str) -> Result<ItemTimeline, DeskError> {
        let conn = self.conn();
        let drafted_at: String = conn
            .query_row("SELECT created_at FROM drafts WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(DeskError::NotFound("draft"))?;
        let mut stmt = conn.prepare(
            "SELECT version, sent_at, receipt, timeline_json FROM revisions
             WHERE draft_id = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut versions = Vec::new();
        for row in rows {
            let (version, sent_at, receipt, json) = row?;
            let entries = match json {
                Some(j) => {
                    serde_json::from_str(&j).map_err(|e| DeskError::Storage(e.to_string()))?
                }
                None => Vec::new(),
            };
            versions.push(VersionTimeline {
                version,
                sent_at,
                receipt,
                entries,
            });
        }
        Ok(ItemTimeline {
            drafted_at,
            versions,
        })
    }

    // --- backups --------------------------------------------------------------------------------

    /// Drafts edited since the office last took a copy.
    pub fn backups_due(&self) -> Result<Vec<BackupDue>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, rev, office_rev, version, column_id, title, body_html FROM drafts
             WHERE state = ?1 AND rev > backed_up_rev ORDER BY updated_at",
        )?;
        let rows = stmt.query_map([ItemState::Draft.as_str()], |r| {
            Ok(BackupDue {
                draft_id: r.get(0)?,
                rev: r.get(1)?,
                request: PutDraftRequest {
                    base_rev: r.get(2)?,
                    version: r.get(3)?,
                    column_id: r.get(4)?,
                    title: r.get(5)?,
                    body_html: r.get(6)?,
                    attachments: Vec::new(),
                    origin: None,
                },
            })
        })?;
        let mut due: Vec<BackupDue> = rows.collect::<Result<_, _>>()?;
        for d in &mut due {
            d.request.attachments = files_of(&conn, &d.draft_id)?;
            // The office takes no control characters; a pasted one is left out of the copy.
            for text in [&mut d.request.title, &mut d.request.body_html] {
                if !text::is_clean(text, Lines::Many) {
                    *text = text::cleaned(text, Lines::Many).into_owned();
                }
            }
        }
        Ok(due)
    }

    /// The office holds local edit `rev` of the draft as its copy `office_rev`.
    pub fn mark_backed_up(&self, id: &str, rev: i64, office_rev: i64) -> Result<(), DeskError> {
        self.conn().execute(
            "UPDATE drafts SET backed_up_rev = max(backed_up_rev, ?1), office_rev = ?2 WHERE id = ?3",
            params![rev, office_rev, id],
        )?;
        Ok(())
    }

    /// The office holds our own copy of a draft as `office_rev` (an answer this desk missed).
    pub fn adopt_office_rev(&self, id: &str, office_rev: i64) -> Result<(), DeskError> {
        self.conn().execute(
            "UPDATE drafts SET office_rev = ?1 WHERE id = ?2 AND (office_rev IS NULL OR office_rev < ?1)",
            params![office_rev, id],
        )?;
        Ok(())
    }

    /// The office refused a backup: it holds `current`, a version made on another workstation.
    /// Both are kept: `current` as a new draft `copy_id`, and this desk's draft goes on over it.
    pub fn keep_both(
        &self,
        id: &str,
        current: &DraftBackup,
        copy_id: &str,
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_copy(&tx, copy_id, current)?;
        tx.execute(
            "UPDATE drafts SET office_rev = ?1, notice = ?2 WHERE id = ?3",
            params![current.rev, DraftNotice::OtherCopyKept.as_str(), id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Brings one backup from the office into this desk. Its files must be in the file store.
    pub fn restore(&self, backup: &DraftBackup, copy_id: &str) -> Result<Restored, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held: Option<(String, i64, i64, Option<i64>, u32)> = tx
            .query_row(
                "SELECT state, rev, backed_up_rev, office_rev, version FROM drafts WHERE id = ?1",
                [&backup.draft_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let outcome = match held {
            None => {
                let t = now();
                tx.execute(
                    "INSERT INTO drafts (id, column_id, title, body_html, version, state, created_at,
                                         updated_at, rev, backed_up_rev, office_rev, notice)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 1, 1, ?8, ?9)",
                    params![
                        backup.draft_key,
                        backup.column_id,
                        backup.title,
                        backup.body_html,
                        backup.version,
                        ItemState::Draft.as_str(),
                        t,
                        backup.rev,
                        DraftNotice::Restored.as_str()
                    ],
                )?;
                set_files(&tx, &backup.draft_key, &backup.attachments)?;
                Restored::New
            }
            Some((_, _, _, Some(office_rev), _)) if office_rev >= backup.rev => Restored::Nothing,
            Some((state, _, _, _, version))
                if state != ItemState::Draft.as_str() || version != backup.version =>
            {
                Restored::Nothing
            }
            Some((_, rev, backed_up_rev, _, _)) if rev <= backed_up_rev => {
                // Unchanged here since its last backup: take the other workstation's text.
                tx.execute(
                    "UPDATE drafts SET column_id = ?1, title = ?2, body_html = ?3, updated_at = ?4,
                                       search_stale = 1, rev = rev + 1, backed_up_rev = rev + 1, office_rev = ?5
                     WHERE id = ?6",
                    params![
                        backup.column_id,
                        backup.title,
                        backup.body_html,
                        now(),
                        backup.rev,
                        backup.draft_key
                    ],
                )?;
                set_files(&tx, &backup.draft_key, &backup.attachments)?;
                Restored::Updated
            }
            Some(_) => {
                insert_copy(&tx, copy_id, backup)?;
                tx.execute(
                    "UPDATE drafts SET office_rev = ?1, notice = ?2 WHERE id = ?3",
                    params![
                        backup.rev,
                        DraftNotice::OtherCopyKept.as_str(),
                        backup.draft_key
                    ],
                )?;
                Restored::KeptBoth
            }
        };
        tx.commit()?;
        Ok(outcome)
    }

    /// Whether the file store's bytes of `sha256` are known to this desk.
    pub fn has_file(&self, sha256: &str) -> Result<bool, DeskError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM files WHERE sha256 = ?1",
                [sha256],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
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
        // The office has it although our send did not hear back.
        tx.execute(
            "UPDATE drafts SET receipt = ?1, office_item_id = ?2 WHERE id = ?3",
            params![receipt, item_id, draft_key],
        )?;
        if current.event_to(state).is_none() {
            // Reviewed already: it was delivered first.
            current = current
                .apply(ItemEvent::Deliver)
                .map_err(|e| DeskError::Internal(e.to_string()))?;
        }
    }
    // The one move from where the desk is to where the office says the item is; none if the
    // desk is there already or the report is older than what the desk knows.
    let Some(next) = current.event_to(state).and_then(|e| current.apply(e).ok()) else {
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
            by: Some("钱晓东".into()),
        }
    }

    fn today() -> chrono::NaiveDate {
        "2026-11-27".parse().unwrap()
    }

    fn hit_text(hit: &SearchHit) -> (String, String) {
        let all: String = hit.snippet.iter().map(|p| p.text.as_str()).collect();
        let marked: String = hit
            .snippet
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        (all, marked)
    }

    #[test]
    fn search_finds_a_word_inside_a_sentence_newest_save_first_and_follows_edits() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        for (id, title, body) in [
            (
                "a",
                "防汛通知",
                "<p>各街道要做好<b>垃圾分类</b>宣传工作。</p>",
            ),
            ("b", "工作简报", "<p>本月推进垃圾分类进小区。</p>"),
            ("c", "招生公告", "<p>义务教育阶段招生入学。</p>"),
        ] {
            store.create_draft(id, None).unwrap();
            store.save_draft(id, None, title, body).unwrap();
        }
        let ids = |hits: Vec<SearchHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(ids(store.search("垃圾分类", 50).unwrap()), ["b", "a"]);

        // The match is marked in the passage; tags are not part of it.
        let hits = store.search("垃圾分类", 50).unwrap();
        let (all, marked) = hit_text(&hits[1]);
        assert_eq!(marked, "垃圾分类");
        assert!(all.contains("各街道要做好垃圾分类宣传工作"), "{all}");
        assert!(!all.contains('<'), "{all}");

        // Saving again moves a draft to the top; an edit that drops the word drops the hit.
        store
            .save_draft("a", None, "防汛通知", "<p>垃圾分类，再次强调。</p>")
            .unwrap();
        assert_eq!(ids(store.search("垃圾分类", 50).unwrap()), ["a", "b"]);
        store
            .save_draft("b", None, "工作简报", "<p>本月无新情况。</p>")
            .unwrap();
        assert_eq!(ids(store.search("垃圾分类", 50).unwrap()), ["a"]);
        // Titles count; the limit is kept.
        assert_eq!(ids(store.search("招生公告", 50).unwrap()), ["c"]);
        store.create_draft("d", None).unwrap();
        store
            .save_draft("d", None, "垃圾分类简报", "<p>无</p>")
            .unwrap();
        assert_eq!(ids(store.search("垃圾分类", 1).unwrap()), ["d"]);
    }

    #[test]
    fn short_terms_and_odd_characters_are_searched_literally() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("a", None).unwrap();
        store
            .save_draft(
                "a",
                None,
                "通知",
                "<p>完成率 100% 的单位_名单，见\"附件\"。</p>",
            )
            .unwrap();
        store.create_draft("b", None).unwrap();
        store
            .save_draft("b", None, "简报", "<p>完成率 10 的单位。</p>")
            .unwrap();
        let ids = |term: &str| {
            store
                .search(term, 50)
                .unwrap()
                .into_iter()
                .map(|h| h.id)
                .collect::<Vec<_>>()
        };
        // One and two characters go around the trigram index, and are still marked.
        assert_eq!(ids("通知"), ["a"]);
        let hits = store.search("单位", 50).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hit_text(&hits[0]).1, "单位");
        // LIKE's wildcards and the query syntax's quotes are plain characters.
        assert_eq!(ids("%"), ["a"]);
        assert_eq!(ids("_"), ["a"]);
        assert_eq!(ids("0% 的"), ["a"]);
        assert_eq!(ids("\"附件\""), ["a"]);
        assert_eq!(ids("   "), Vec::<String>::new());
        // Wiping the seat's work empties the index too.
        store.wipe().unwrap();
        assert_eq!(ids("通知"), Vec::<String>::new());
    }

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

    #[test]
    fn a_save_only_marks_the_draft_stale_and_the_next_search_indexes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("a", None).unwrap();
        assert_eq!(store.index_for_search().unwrap(), 1);
        assert_eq!(store.index_for_search().unwrap(), 0);
        store.save_draft("a", None, "通知", "<p>一</p>").unwrap();
        store.save_draft("a", None, "通知", "<p>二</p>").unwrap();
        assert_eq!(store.index_for_search().unwrap(), 1);
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM draft_search", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "the old row went when the draft was indexed again");
    }

    #[test]
    fn a_change_is_applied_once_and_moves_the_cursor_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1)).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>")
            .unwrap();
        store
            .queue_send(
                "d1",
                "key-1",
                SignoffPolicy::InApp,
                today(),
                &Default::default(),
            )
            .unwrap();

        // Applied although the desk never heard its own send back: delivered, then returned.
        assert!(store.apply_change(7, &returned("d1"), Utc::now()).unwrap());
        assert_eq!(store.cursor().unwrap(), 7);
        let draft = store.draft("d1").unwrap();
        assert_eq!(draft.state, ItemState::Returned);
        assert_eq!(draft.receipt.as_deref(), Some("LS-20261127-000001"));

        // The same change again, or an older one, is skipped and the cursor stays.
        assert!(!store.apply_change(7, &returned("d1"), Utc::now()).unwrap());
        assert!(!store.apply_change(3, &returned("d1"), Utc::now()).unwrap());
        assert_eq!(store.cursor().unwrap(), 7);

        // A change about an item this desk does not hold still moves the cursor.
        assert!(
            !store
                .apply_change(9, &returned("elsewhere"), Utc::now())
                .unwrap()
        );
        assert_eq!(store.cursor().unwrap(), 9);
    }

    #[test]
    fn an_attested_department_sends_only_with_a_complete_attestation_of_this_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1)).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>")
            .unwrap();
        let refused = store.queue_send(
            "d1",
            "k",
            SignoffPolicy::Attested,
            today(),
            &Default::default(),
        );
        assert!(
            matches!(refused, Err(DeskError::SignoffRequired(_))),
            "{refused:?}"
        );
        assert_eq!(store.draft("d1").unwrap().state, ItemState::Draft);
        assert!(store.outbox().unwrap().is_empty());

        // The form must be one of the draft's files.
        let form = AttachmentRef {
            sha256: "f".repeat(64),
            name: "签发单.pdf".into(),
            size: 9,
            mime: "application/pdf".into(),
        };
        let a = Attestation {
            approver: " 李建国 ".into(),
            approved_on: today(),
            form_sha256: form.sha256.clone(),
        };
        assert!(matches!(
            store.set_attestation("d1", Some(&a)),
            Err(DeskError::SignoffRequired(_))
        ));
        let stored = StoredFile {
            sha256: form.sha256.clone(),
            size: form.size,
            kind: liaison_domain::FileKind::Pdf,
        };
        store.attach("d1", &form.name, &stored).unwrap();
        let view = store.set_attestation("d1", Some(&a)).unwrap();
        assert_eq!(view.attestation.unwrap().approver, "李建国");
        // A form dated after the day of sending does not count.
        let yesterday = today().pred_opt().unwrap();
        assert!(matches!(
            store.queue_send(
                "d1",
                "k",
                SignoffPolicy::Attested,
                yesterday,
                &Default::default()
            ),
            Err(DeskError::SignoffRequired(_))
        ));
        store
            .queue_send(
                "d1",
                "k",
                SignoffPolicy::Attested,
                today(),
                &Default::default(),
            )
            .unwrap();
        let sent = &store.outbox().unwrap()[0].request;
        assert_eq!(sent.attestation.as_ref().unwrap().form_sha256, form.sha256);

        // Returned, the revision needs a sign-off of its own.
        assert!(store.apply_change(1, &returned("d1"), Utc::now()).unwrap());
        let revised = store.revise("d1").unwrap();
        assert_eq!((revised.version, revised.attestation), (2, None));
    }

    #[test]
    fn a_held_item_follows_its_sign_off_then_its_review() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1)).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>")
            .unwrap();
        store
            .queue_send(
                "d1",
                "k",
                SignoffPolicy::InApp,
                today(),
                &Default::default(),
            )
            .unwrap();
        let entry = store.outbox().unwrap().remove(0);
        let answer = SubmitItemResponse {
            id: 5,
            receipt: "LS-20261127-000005".into(),
            delivered_at: Utc::now(),
            state: ItemState::AwaitingSignoff,
        };
        store.mark_delivered(&entry, &answer).unwrap();
        assert_eq!(store.draft("d1").unwrap().state, ItemState::AwaitingSignoff);
        let approved = ChangeKind::ItemReviewed {
            item_id: 5,
            draft_key: "d1".into(),
            version: 1,
            receipt: answer.receipt.clone(),
            state: ItemState::Delivered,
            published_url: None,
            review_comment: None,
            by: Some("李建国".into()),
        };
        assert!(store.apply_change(2, &approved, Utc::now()).unwrap());
        assert_eq!(store.draft("d1").unwrap().state, ItemState::Delivered);
        // The same report again (a replay, a second desk) changes nothing.
        assert!(!store.apply_change(3, &approved, Utc::now()).unwrap());
        assert!(store.apply_change(4, &returned("d1"), Utc::now()).unwrap());
        assert_eq!(store.draft("d1").unwrap().state, ItemState::Returned);
        // The office's id of the version is kept for its timeline and thread.
        assert_eq!(store.office_item_of("d1", 1).unwrap(), Some(5));
    }

    #[test]
    fn a_responsible_desk_is_asked_only_about_items_still_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store
            .set_seat(&SeatView {
                id: 3,
                login: "jyj.responsible".into(),
                role: Role::Responsible,
                department: liaison_domain::DepartmentView {
                    id: 1,
                    name: "市教育局".into(),
                    signoff: SignoffPolicy::InApp,
                },
                holder_name: "李建国".into(),
            })
            .unwrap();
        let asked = |item_id: i64| ChangeKind::SignoffRequested {
            item_id,
            draft_key: format!("k{item_id}"),
            version: 1,
            receipt: format!("LS-{item_id}"),
            title: format!("稿件{item_id}"),
            holder_name: "王晓燕".into(),
        };
        let signed = ChangeKind::ItemReviewed {
            item_id: 9,
            draft_key: "k9".into(),
            version: 1,
            receipt: "LS-9".into(),
            state: ItemState::Delivered,
            published_url: None,
            review_comment: None,
            by: Some("李建国".into()),
        };
        // The log read from the start: item 9 was asked for and signed off long ago.
        assert!(store.apply_change(1, &asked(9), Utc::now()).unwrap());
        store.apply_change(2, &signed, Utc::now()).unwrap();
        assert!(store.apply_change(3, &asked(10), Utc::now()).unwrap());
        let notices = store.notices().unwrap();
        let titles: Vec<_> = notices
            .iter()
            .filter(|n| n.kind == NoticeKind::SignoffRequested)
            .map(|n| n.facts.title.clone().unwrap())
            .collect();
        assert_eq!(titles, ["稿件10"]);
    }

    fn backup(key: &str, rev: i64, title: &str) -> DraftBackup {
        DraftBackup {
            draft_key: key.into(),
            rev,
            version: 1,
            column_id: Some(1),
            title: title.into(),
            body_html: "<p>另一台电脑</p>".into(),
            attachments: vec![],
            updated_at: Utc::now(),
            origin: Some("other-desk".into()),
            seq: rev,
        }
    }

    #[test]
    fn restoring_backups_adds_updates_or_keeps_both_and_never_overwrites_local_edits() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();

        // A draft this desk never had arrives whole.
        assert_eq!(
            store.restore(&backup("new", 4, "新稿"), "c0").unwrap(),
            Restored::New
        );
        let new = store.draft("new").unwrap();
        assert_eq!(
            (new.title.as_str(), new.notice),
            ("新稿", Some(DraftNotice::Restored))
        );
        assert!(
            store.backups_due().unwrap().is_empty(),
            "it is what the office holds"
        );
        // The same backup again changes nothing.
        assert_eq!(
            store.restore(&backup("new", 4, "新稿"), "c1").unwrap(),
            Restored::Nothing
        );

        // Unchanged here: a newer office copy replaces it.
        assert_eq!(
            store
                .restore(&backup("new", 5, "新稿（改）"), "c2")
                .unwrap(),
            Restored::Updated
        );
        assert_eq!(store.draft("new").unwrap().title, "新稿（改）");

        // Edited here and there: both are kept, nothing is overwritten.
        store
            .save_draft("new", Some(1), "本机的改动", "<p>本机</p>")
            .unwrap();
        assert_eq!(
            store
                .restore(&backup("new", 6, "那台的改动"), "c3")
                .unwrap(),
            Restored::KeptBoth
        );
        let mine = store.draft("new").unwrap();
        assert_eq!(
            (mine.title.as_str(), mine.notice),
            ("本机的改动", Some(DraftNotice::OtherCopyKept))
        );
        let theirs = store.draft("c3").unwrap();
        assert_eq!(
            (theirs.title.as_str(), theirs.notice),
            ("那台的改动", Some(DraftNotice::IsOtherCopy))
        );
        // Our draft goes on over the office's copy 6; the kept copy is backed up as its own draft.
        let due = store.backups_due().unwrap();
        let mine_due = due.iter().find(|d| d.draft_id == "new").unwrap();
        assert_eq!(mine_due.request.base_rev, Some(6));
        assert!(
            due.iter()
                .any(|d| d.draft_id == "c3" && d.request.base_rev.is_none())
        );

        // A backup refused as stale keeps the office's version beside ours too.
        store.mark_backed_up("new", mine_due.rev, 7).unwrap();
        store.save_draft("new", Some(1), "再改", "").unwrap();
        store
            .keep_both("new", &backup("new", 9, "第三台"), "c4")
            .unwrap();
        assert_eq!(store.draft("c4").unwrap().title, "第三台");
        assert_eq!(store.draft("new").unwrap().title, "再改");
    }
}
