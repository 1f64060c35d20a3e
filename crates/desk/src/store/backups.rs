//! Draft backups at the office: which drafts are due, what the office holds, and bringing its
//! copies in without overwriting local edits (both versions are kept where both changed).

use chrono::{DateTime, Utc};
use liaison_domain::text::{self, Lines};
use liaison_domain::wire::{DraftBackup, PutDraftRequest};
use liaison_domain::{AttachmentRef, ItemState};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{LocalStore, files_of, ts};
use crate::DeskError;
use crate::view::DraftNotice;

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

/// Replaces a draft's files with `files` (whose bytes must be in the file store).
pub(super) fn set_files(
    tx: &Transaction<'_>,
    id: &str,
    files: &[AttachmentRef],
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    tx.execute("DELETE FROM draft_files WHERE draft_id = ?1", [id])?;
    for (position, f) in files.iter().enumerate() {
        tx.execute(
            "INSERT INTO files (sha256, size, mime, added_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
            params![f.sha256, f.size, f.mime, ts(now)],
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
fn insert_copy(
    tx: &Transaction<'_>,
    copy_id: &str,
    from: &DraftBackup,
    now: DateTime<Utc>,
) -> Result<(), DeskError> {
    let t = ts(now);
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
    set_files(tx, copy_id, &from.attachments, now)
}

impl LocalStore {
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
        now: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_copy(&tx, copy_id, current, now)?;
        tx.execute(
            "UPDATE drafts SET office_rev = ?1, notice = ?2 WHERE id = ?3",
            params![current.rev, DraftNotice::OtherCopyKept.as_str(), id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Brings one backup from the office into this desk. Its files must be in the file store.
    pub fn restore(
        &self,
        backup: &DraftBackup,
        copy_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Restored, DeskError> {
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
                let t = ts(now);
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
                set_files(&tx, &backup.draft_key, &backup.attachments, now)?;
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
                        ts(now),
                        backup.rev,
                        backup.draft_key
                    ],
                )?;
                set_files(&tx, &backup.draft_key, &backup.attachments, now)?;
                Restored::Updated
            }
            Some(_) => {
                insert_copy(&tx, copy_id, backup, now)?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
            store
                .restore(&backup("new", 4, "新稿"), "c0", Utc::now())
                .unwrap(),
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
            store
                .restore(&backup("new", 4, "新稿"), "c1", Utc::now())
                .unwrap(),
            Restored::Nothing
        );

        // Unchanged here: a newer office copy replaces it.
        assert_eq!(
            store
                .restore(&backup("new", 5, "新稿（改）"), "c2", Utc::now())
                .unwrap(),
            Restored::Updated
        );
        assert_eq!(store.draft("new").unwrap().title, "新稿（改）");

        // Edited here and there: both are kept, nothing is overwritten.
        store
            .save_draft("new", Some(1), "本机的改动", "<p>本机</p>", Utc::now())
            .unwrap();
        assert_eq!(
            store
                .restore(&backup("new", 6, "那台的改动"), "c3", Utc::now())
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
        store
            .save_draft("new", Some(1), "再改", "", Utc::now())
            .unwrap();
        store
            .keep_both("new", &backup("new", 9, "第三台"), "c4", Utc::now())
            .unwrap();
        assert_eq!(store.draft("c4").unwrap().title, "第三台");
        assert_eq!(store.draft("new").unwrap().title, "再改");
    }
}
