//! Each sent version's history at the office as last fetched: its timeline, and its id there.

use liaison_domain::wire::TimelineEntry;
use rusqlite::{OptionalExtension, params};

use super::LocalStore;
use crate::DeskError;
use crate::view::{ItemTimeline, VersionTimeline};

impl LocalStore {
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
}
