//! Commissioned requests in the store: the requests as last fetched, and a new draft answering
//! one.

use chrono::{DateTime, Utc};
use liaison_domain::ItemState;
use rusqlite::{TransactionBehavior, params};

use super::{LocalStore, draft_in, ts};
use crate::DeskError;
use crate::view::DraftView;

impl LocalStore {
    /// A new draft answering a commissioned request: its topic as the title, in its column.
    pub fn create_answer(
        &self,
        id: &str,
        column_id: Option<i64>,
        commission_id: i64,
        title: &str,
        now: DateTime<Utc>,
    ) -> Result<DraftView, DeskError> {
        let conn = self.conn();
        let t = ts(now);
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
}
