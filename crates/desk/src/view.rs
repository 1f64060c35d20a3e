//! What the desk shows: the types its front ends receive (exported to TypeScript).

use liaison_domain::{ItemState, SeatView};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionView {
    /// The office this desk talks to, remembered across sign-outs.
    pub office_url: Option<String>,
    /// The signed-in seat; `None` when signed out.
    pub seat: Option<SeatView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DraftSummary {
    pub id: String,
    pub column_id: Option<i64>,
    pub title: String,
    pub state: ItemState,
    pub version: u32,
    pub updated_at: String,
    pub receipt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DraftView {
    pub id: String,
    pub column_id: Option<i64>,
    pub title: String,
    pub body_html: String,
    pub state: ItemState,
    pub version: u32,
    pub updated_at: String,
    pub receipt: Option<String>,
    pub delivered_at: Option<String>,
    pub published_url: Option<String>,
    pub review_comment: Option<String>,
    /// Why the last attempt to send failed, while it is still queued.
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncReport {
    /// Items delivered in this round.
    pub sent: u32,
    /// Changes from the office applied in this round.
    pub pulled: u32,
    /// Whether the office answered.
    pub online: bool,
}
