//! The import log in the store: which bytes were imported before, and what became of each file.

use rusqlite::{OptionalExtension, params};

use super::LocalStore;
use crate::DeskError;
use crate::view::{ImportOutcome, ImportRecord};

impl LocalStore {
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
}
