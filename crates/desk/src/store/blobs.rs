//! Which files of the desk's file store nothing names any more: no draft (among its files or in
//! its text), no sent version's text, no queued send.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::TransactionBehavior;

use super::{LocalStore, ts};
use crate::DeskError;

impl LocalStore {
    /// Forgets the files nothing names that were added before `before`, and returns them, so
    /// that their bytes can be removed. A file added since is left alone: it may be on its way
    /// into a draft.
    pub fn forget_unused_files(&self, before: DateTime<Utc>) -> Result<Vec<String>, DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let unused: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT f.sha256 FROM files f
                 WHERE f.added_at < ?1
                   AND NOT EXISTS (SELECT 1 FROM draft_files d WHERE d.sha256 = f.sha256)
                   AND NOT EXISTS (SELECT 1 FROM outbox_files o WHERE o.sha256 = f.sha256)
                   AND NOT EXISTS (SELECT 1 FROM drafts d WHERE instr(d.body_html, f.sha256) > 0)
                   AND NOT EXISTS (SELECT 1 FROM revisions r
                                   WHERE instr(r.body_html, f.sha256) > 0)",
            )?;
            stmt.query_map([ts(before)], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for sha256 in &unused {
            tx.execute("DELETE FROM files WHERE sha256 = ?1", [sha256])?;
        }
        tx.commit()?;
        Ok(unused)
    }

    /// Every file the store knows of.
    pub fn known_files(&self) -> Result<HashSet<String>, DeskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT sha256 FROM files")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::files::StoredFile;
    use liaison_domain::FileKind;

    fn file(byte: char) -> StoredFile {
        StoredFile {
            sha256: byte.to_string().repeat(64),
            size: 9,
            kind: FileKind::Pdf,
        }
    }

    #[test]
    fn only_files_nothing_names_and_added_before_the_bound_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        let then = Utc::now() - Duration::days(3);
        store.create_draft("d1", Some(1), then).unwrap();
        // a: detached again; b: still attached; c: named in the text only; d: attached fresh and
        // detached (too recent to forget).
        for f in ['a', 'b', 'c'] {
            store.attach("d1", "附件.pdf", &file(f), then).unwrap();
        }
        store
            .save_draft(
                "d1",
                Some(1),
                "标题",
                &format!(
                    "<p><img src=\"liaison-file:{}\" alt=\"图\"></p>",
                    "c".repeat(64)
                ),
                then,
            )
            .unwrap();
        store.detach("d1", &"a".repeat(64), then).unwrap();
        store.detach("d1", &"c".repeat(64), then).unwrap();
        store
            .attach("d1", "新附件.pdf", &file('d'), Utc::now())
            .unwrap();
        store.detach("d1", &"d".repeat(64), Utc::now()).unwrap();

        let bound = Utc::now() - Duration::days(1);
        assert_eq!(
            store.forget_unused_files(bound).unwrap(),
            vec!["a".repeat(64)]
        );
        let known = store.known_files().unwrap();
        for kept in ['b', 'c', 'd'] {
            assert!(known.contains(&kept.to_string().repeat(64)), "{kept}");
        }
        assert!(!known.contains(&"a".repeat(64)));
        assert!(store.forget_unused_files(bound).unwrap().is_empty());
    }
}
