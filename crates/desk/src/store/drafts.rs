//! Drafts in the store: creating, autosaving and revising them, their files and paper sign-off,
//! and the sent versions they keep; sample drafts for the benchmarks.

use chrono::{DateTime, Utc};
use liaison_domain::{
    AttachmentRef, Attestation, ItemEvent, ItemState, SignoffPolicy, attachment, signoff,
};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::{LocalStore, draft_in, failure_of, progress_of, set_state, state_of, step, ts};
use crate::DeskError;
use crate::files::StoredFile;
use crate::view::{DraftNotice, DraftSummary, DraftView};

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
            last_error: failure_of(r.get(7)?),
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
fn touch(tx: &Transaction<'_>, id: &str, now: DateTime<Utc>) -> Result<(), DeskError> {
    tx.execute(
        "UPDATE drafts SET rev = rev + 1, updated_at = ?1 WHERE id = ?2",
        params![ts(now), id],
    )?;
    Ok(())
}

impl LocalStore {
    pub fn create_draft(
        &self,
        id: &str,
        column_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<DraftView, DeskError> {
        let conn = self.conn();
        let t = ts(now);
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
        now: DateTime<Utc>,
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
                params![column_id, title, body_html, ts(now), id],
                summary_from_row,
            )?;
        tx.commit()?;
        // An editable draft is not queued, so it has no upload under way.
        saved.state = state_of(&state)?;
        Ok(saved)
    }

    /// Adds a file already in the file store to a draft (once; adding the same bytes again is a
    /// no-op).
    pub fn attach(
        &self,
        id: &str,
        name: &str,
        file: &StoredFile,
        now: DateTime<Utc>,
    ) -> Result<DraftView, DeskError> {
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
            params![added.sha256, added.size, added.mime, ts(now)],
        )?;
        tx.execute(
            "INSERT INTO draft_files (draft_id, position, sha256, name)
             VALUES (?1, (SELECT coalesce(max(position), 0) + 1 FROM draft_files WHERE draft_id = ?1), ?2, ?3)",
            params![id, added.sha256, added.name],
        )?;
        touch(&tx, id, now)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    pub fn detach(
        &self,
        id: &str,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<DraftView, DeskError> {
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
        touch(&tx, id, now)?;
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
        now: DateTime<Utc>,
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
        touch(&tx, id, now)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
    }

    /// Returned -> a new draft version; the sent version stays in `revisions` as it was. The
    /// new version needs its own sign-off.
    pub fn revise(&self, id: &str, now: DateTime<Utc>) -> Result<DraftView, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (_, next) = step(&tx, id, ItemEvent::Revise)?;
        tx.execute(
            "UPDATE drafts SET version = version + 1, rev = rev + 1, receipt = NULL, office_item_id = NULL, delivered_at = NULL,
                               published_url = NULL, last_error = NULL, attestation_json = NULL WHERE id = ?1",
            [id],
        )?;
        set_state(&tx, id, next, now)?;
        let view = draft_in(&tx, id)?;
        tx.commit()?;
        Ok(view)
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
