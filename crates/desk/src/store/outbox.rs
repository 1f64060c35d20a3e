//! The outbox: a draft queued for sending (checked, with its sent copy kept), the upload progress
//! of its files, and what became of each send (delivered, failed for now, refused).

use chrono::{DateTime, Utc};
use liaison_domain::send_gate::{self, GateRefusal};
use liaison_domain::text::{self, Lines};
use liaison_domain::wire::{ItemDetail, SubmitItemRequest, SubmitItemResponse};
use liaison_domain::{ItemEvent, ItemState, SignoffPolicy};
use rusqlite::{Connection, TransactionBehavior, params};

use super::backups::set_files;
use super::{LocalStore, draft_in, set_state, step, ts};
use crate::view::{DraftNotice, DraftView};
use crate::{DeskError, DeskErrorView};

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

/// A send's failure as the draft keeps it: the window's view of the error, as JSON.
fn stored_failure(failure: &DeskError) -> Result<String, DeskError> {
    serde_json::to_string(&DeskErrorView::from(failure))
        .map_err(|e| DeskError::Internal(e.to_string()))
}

impl LocalStore {
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
        now: DateTime<Utc>,
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
        // The gate the office applies again, in the same order (liaison_domain::send_gate).
        send_gate::check(&request, policy, today, lists).map_err(|r| match r {
            GateRefusal::Content(p) => DeskError::InvalidState(p.to_string()),
            GateRefusal::Files(p) => DeskError::FileNotAllowed(p.to_string()),
            GateRefusal::Preflight(problems) => DeskError::PreflightFailed(problems),
            GateRefusal::Signoff(p) => DeskError::SignoffRequired(p.to_string()),
        })?;
        let payload =
            serde_json::to_string(&request).map_err(|e| DeskError::Internal(e.to_string()))?;
        let t = ts(now);
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
        set_state(&tx, id, next, now)?;
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
        now: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        // Relaxed: if a power cut loses this, the entry is sent again under its key and the
        // office answers with the same receipt.
        self.relaxed(|conn| Self::record_delivery(conn, entry, answer, now))
    }

    fn record_delivery(
        conn: &mut Connection,
        entry: &OutboxEntry,
        answer: &SubmitItemResponse,
        now: DateTime<Utc>,
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
            set_state(&tx, &entry.draft_id, next, now)?;
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

    /// A failed attempt: kept in the outbox, the failure shown on the draft (as data: its code,
    /// the office's code and wait, the detail).
    pub fn mark_attempt_failed(
        &self,
        entry: &OutboxEntry,
        failure: &DeskError,
    ) -> Result<(), DeskError> {
        let stored = stored_failure(failure)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?1 WHERE id = ?2",
            params![failure.to_string(), entry.id],
        )?;
        tx.execute(
            "UPDATE drafts SET last_error = ?1 WHERE id = ?2",
            params![stored, entry.draft_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The office turned the send down for good: in one transaction the outbox entry and the
    /// sent copy go, and the version is a draft again, with the reason on it.
    pub fn mark_refused(
        &self,
        entry: &OutboxEntry,
        failure: &DeskError,
        now: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        let stored = stored_failure(failure)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let draft = draft_in(&tx, &entry.draft_id)?;
        tx.execute("DELETE FROM outbox WHERE id = ?1", [entry.id])?;
        if let Ok(next) = draft.state.apply(ItemEvent::Refuse) {
            tx.execute(
                "DELETE FROM revisions WHERE draft_id = ?1 AND version = ?2",
                params![entry.draft_id, entry.request.version],
            )?;
            set_state(&tx, &entry.draft_id, next, now)?;
        }
        tx.execute(
            "UPDATE drafts SET last_error = ?1 WHERE id = ?2",
            params![stored, entry.draft_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Another workstation of the seat sent this version first, and `item` is the office's
    /// copy: the draft takes it (text, files, sign-off, state, receipt, timeline), marked as
    /// sent from another computer, and the send leaves the outbox. Where this desk's send
    /// differed, its text stays as a new draft `copy_id`, so nothing typed here is lost.
    pub fn take_office_copy(
        &self,
        entry: &OutboxEntry,
        item: &ItemDetail,
        copy_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ours = &entry.request;
        // The office keeps the body as cleaned on arrival: compare ours cleaned the same way.
        let same = ours.title == item.title
            && ours.column_id == item.column_id
            && liaison_domain::sanitize::body_html(&ours.body_html) == item.body_html
            && ours
                .attachments
                .iter()
                .map(|f| &f.sha256)
                .eq(item.attachments.iter().map(|f| &f.sha256));
        if !same {
            tx.execute(
                "INSERT INTO drafts (id, column_id, title, body_html, state, created_at, updated_at,
                                     notice)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![
                    copy_id,
                    ours.column_id,
                    ours.title,
                    ours.body_html,
                    ItemState::Draft.as_str(),
                    ts(now),
                    DraftNotice::IsOtherCopy.as_str()
                ],
            )?;
            set_files(&tx, copy_id, &ours.attachments, now)?;
        }
        let attestation = item
            .attestation
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        tx.execute(
            "UPDATE drafts SET column_id = ?1, title = ?2, body_html = ?3, state = ?4,
                    office_item_id = ?5, receipt = ?6, delivered_at = ?7, published_url = ?8,
                    review_comment = ?9, attestation_json = ?10, last_error = NULL, notice = ?11,
                    search_stale = 1, updated_at = ?12
             WHERE id = ?13",
            params![
                item.column_id,
                item.title,
                item.body_html,
                item.state.as_str(),
                item.id,
                item.receipt,
                ts(item.delivered_at),
                item.published_url,
                item.review_comment,
                attestation,
                DraftNotice::SentElsewhere.as_str(),
                ts(now),
                entry.draft_id
            ],
        )?;
        set_files(&tx, &entry.draft_id, &item.attachments, now)?;
        let timeline = serde_json::to_string(&item.timeline)
            .map_err(|e| DeskError::Internal(e.to_string()))?;
        tx.execute(
            "UPDATE revisions SET column_id = ?1, title = ?2, body_html = ?3, receipt = ?4,
                    office_item_id = ?5, timeline_json = ?6
             WHERE draft_id = ?7 AND version = ?8",
            params![
                item.column_id,
                item.title,
                item.body_html,
                item.receipt,
                item.id,
                timeline,
                entry.draft_id,
                entry.request.version
            ],
        )?;
        tx.execute("DELETE FROM outbox WHERE id = ?1", [entry.id])?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::StoredFile;
    use crate::store::test_support::{returned, today};
    use liaison_domain::{AttachmentRef, Attestation};

    #[test]
    fn an_attested_department_sends_only_with_a_complete_attestation_of_this_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1), Utc::now()).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>", Utc::now())
            .unwrap();
        let refused = store.queue_send(
            "d1",
            "k",
            SignoffPolicy::Attested,
            today(),
            &Default::default(),
            Utc::now(),
        );
        assert!(
            matches!(refused, Err(DeskError::SignoffRequired(_))),
            "{refused:?}"
        );
        assert_eq!(store.draft("d1").unwrap().state, ItemState::Draft);
        assert!(store.outbox().unwrap().is_empty());

        // Unsigned and with a forbidden word: the text first, as the office refuses it
        // (liaison_domain::send_gate).
        let lists = liaison_domain::preflight::WordLists {
            forbidden: vec!["内部资料".into()],
            misspellings: Vec::new(),
        };
        store
            .save_draft("d1", Some(1), "标题", "<p>本文为内部资料。</p>", Utc::now())
            .unwrap();
        let refused = store.queue_send(
            "d1",
            "k",
            SignoffPolicy::Attested,
            today(),
            &lists,
            Utc::now(),
        );
        assert!(
            matches!(refused, Err(DeskError::PreflightFailed(_))),
            "{refused:?}"
        );
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>", Utc::now())
            .unwrap();

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
            store.set_attestation("d1", Some(&a), Utc::now()),
            Err(DeskError::SignoffRequired(_))
        ));
        let stored = StoredFile {
            sha256: form.sha256.clone(),
            size: form.size,
            kind: liaison_domain::FileKind::Pdf,
        };
        store.attach("d1", &form.name, &stored, Utc::now()).unwrap();
        let view = store.set_attestation("d1", Some(&a), Utc::now()).unwrap();
        assert_eq!(view.attestation.unwrap().approver, "李建国");
        // A form dated after the day of sending does not count.
        let yesterday = today().pred_opt().unwrap();
        assert!(matches!(
            store.queue_send(
                "d1",
                "k",
                SignoffPolicy::Attested,
                yesterday,
                &Default::default(),
                Utc::now()
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
                Utc::now(),
            )
            .unwrap();
        let sent = &store.outbox().unwrap()[0].request;
        assert_eq!(sent.attestation.as_ref().unwrap().form_sha256, form.sha256);

        // Returned, the revision needs a sign-off of its own.
        assert!(store.apply_change(1, &returned("d1"), Utc::now()).unwrap());
        let revised = store.revise("d1", Utc::now()).unwrap();
        assert_eq!((revised.version, revised.attestation), (2, None));
    }

    #[test]
    fn a_failure_is_kept_as_data_and_an_older_desks_text_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        store.create_draft("d1", Some(1), Utc::now()).unwrap();
        store
            .save_draft("d1", Some(1), "标题", "<p>正文</p>", Utc::now())
            .unwrap();
        store
            .queue_send(
                "d1",
                "k",
                SignoffPolicy::InApp,
                today(),
                &Default::default(),
                Utc::now(),
            )
            .unwrap();
        let entry = store.outbox().unwrap().remove(0);
        let full = DeskError::OfficeTransient {
            status: 507,
            code: "storage_full".into(),
            message: "the office's storage is nearly full".into(),
            retry_after: None,
        };
        store.mark_attempt_failed(&entry, &full).unwrap();
        let kept = store.draft("d1").unwrap().last_error.unwrap();
        assert_eq!(kept, DeskErrorView::from(&full));
        assert!(matches!(
            kept.data.as_deref(),
            Some(crate::DeskErrorData::Office { code, .. }) if code == "storage_full"
        ));
        // A desk before this one kept the text alone.
        store
            .conn()
            .execute(
                "UPDATE drafts SET last_error = 'the office refused: x' WHERE id = 'd1'",
                [],
            )
            .unwrap();
        let old = store.drafts().unwrap().remove(0).last_error.unwrap();
        assert_eq!(old.code, crate::DeskErrorCode::RejectedByOffice);
        assert_eq!(old.detail, "the office refused: x");
    }
}
