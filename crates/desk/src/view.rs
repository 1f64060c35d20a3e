//! What the desk shows: the types its front ends receive (exported to TypeScript).

use liaison_domain::wire::TimelineEntry;
use liaison_domain::{AttachmentRef, Attestation, ItemState, SeatView};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionView {
    /// The office this desk talks to, remembered across sign-outs.
    pub office_url: Option<String>,
    /// The signed-in seat; `None` when signed out.
    pub seat: Option<SeatView>,
    /// When this desk learned that its seat went to a successor: it no longer sends, and its
    /// data is read-only (or was removed, as the office asked).
    pub handed_over: Option<HandedOver>,
}

/// What the window's first screen shows, read in one call when the page starts: the session
/// and, while a seat is signed in, its main view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FirstScreen {
    pub session: SessionView,
    /// `None` while no seat is signed in.
    pub main: Option<MainScreen>,
}

/// The main view's first frame: the draft list, everything above it in the sidebar and the
/// notices (whose unread count widens the header), so nothing moves under the user's pointer
/// as the rest arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MainScreen {
    pub columns: Vec<liaison_domain::ColumnView>,
    pub board: crate::duties::BoardView,
    pub commissions: Vec<liaison_domain::wire::CommissionView>,
    pub standing: Vec<liaison_domain::score::standing::PeriodStanding>,
    pub drafts: Vec<DraftSummary>,
    pub notices: Vec<crate::duties::NoticeView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HandedOver {
    pub at: String,
    /// The seat's login.
    pub login: String,
    /// The local data was removed.
    pub wiped: bool,
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
    /// While queued with files still uploading: how much of them the office has, in percent.
    pub upload_percent: Option<u8>,
    /// Why the last attempt to send failed (or the office refused it).
    pub last_error: Option<crate::DeskErrorView>,
    pub notice: Option<DraftNotice>,
}

/// Something the officer must be told about a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DraftNotice {
    /// Another workstation of the seat changed this draft too; its version was kept beside this
    /// one as a separate draft.
    OtherCopyKept,
    /// This is another workstation's version of a draft, kept beside this desk's.
    IsOtherCopy,
    /// Brought back from the office's backup of the seat's drafts.
    Restored,
    /// This version was sent from another workstation of the seat first; the desk shows the
    /// office's copy.
    SentElsewhere,
}

impl DraftNotice {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftNotice::OtherCopyKept => "other_copy_kept",
            DraftNotice::IsOtherCopy => "is_other_copy",
            DraftNotice::Restored => "restored",
            DraftNotice::SentElsewhere => "sent_elsewhere",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            DraftNotice::OtherCopyKept,
            DraftNotice::IsOtherCopy,
            DraftNotice::Restored,
            DraftNotice::SentElsewhere,
        ]
        .into_iter()
        .find(|n| n.as_str() == s)
    }
}

/// How far a queued send is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SendProgress {
    /// Bytes of the send's files the office has confirmed.
    #[ts(type = "number")]
    pub uploaded_bytes: u64,
    #[ts(type = "number")]
    pub total_bytes: u64,
    pub attempts: u32,
}

impl SendProgress {
    pub fn percent(&self) -> Option<u8> {
        (self.total_bytes > 0 && self.uploaded_bytes < self.total_bytes)
            .then(|| (self.uploaded_bytes * 100 / self.total_bytes) as u8)
    }
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
    /// Why the last attempt to send failed (while it is still queued) or why the office refused
    /// it (a draft again), as the window reads errors: by code and data.
    pub last_error: Option<crate::DeskErrorView>,
    /// Files and inline images, in the order they were added.
    pub attachments: Vec<AttachmentRef>,
    /// While queued: the send's progress.
    pub sending: Option<SendProgress>,
    pub notice: Option<DraftNotice>,
    /// The paper sign-off of this version (departments whose policy is `attested`).
    pub attestation: Option<Attestation>,
    pub created_at: String,
    /// The commissioned request (约稿) this draft answers.
    pub commission_id: Option<i64>,
}

/// What happened to one sent version at the office, as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VersionTimeline {
    pub version: u32,
    pub sent_at: String,
    pub receipt: Option<String>,
    pub entries: Vec<TimelineEntry>,
}

/// An item's whole history on this desk: when it was drafted and each version sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ItemTimeline {
    pub drafted_at: String,
    /// Oldest first.
    pub versions: Vec<VersionTimeline>,
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

/// What the watch folder did with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ImportOutcome {
    /// A new draft was made from it.
    Imported,
    /// The same bytes were imported before; no second draft.
    Duplicate,
    /// It could not be read; the reason is beside it in 导入失败/.
    Failed,
}

impl ImportOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportOutcome::Imported => "imported",
            ImportOutcome::Duplicate => "duplicate",
            ImportOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ImportOutcome::Imported,
            ImportOutcome::Duplicate,
            ImportOutcome::Failed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One entry of the import log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportRecord {
    /// The file's path inside the import folder.
    pub name: String,
    pub at: String,
    pub outcome: ImportOutcome,
    pub draft_id: Option<String>,
    /// Why it failed (Chinese, as written beside it).
    pub reason: Option<String>,
    /// Where the file is now, inside the import folder.
    pub moved_to: Option<String>,
}

/// A draft found by a search, with the passage around the first match. Its state and time are
/// the draft list's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SearchHit {
    pub id: String,
    /// The title as last indexed (which is the saved one: a search indexes what is stale first).
    pub title: String,
    /// The passage, cut into plain and matching parts (shown as text, never as HTML).
    pub snippet: Vec<SnippetPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// Marks SQLite's `snippet()` puts around a match (control characters never found in a draft's
/// plain text).
const HIT_START: char = '\u{2}';
const HIT_END: char = '\u{3}';

impl SnippetPart {
    /// Cuts a passage marked by `snippet(…, char(2), char(3), …)` into parts.
    pub fn split(marked: &str) -> Vec<SnippetPart> {
        let mut parts: Vec<SnippetPart> = Vec::new();
        let mut hit = false;
        let mut text = String::new();
        for c in marked.chars() {
            if c == HIT_START || c == HIT_END {
                if !text.is_empty() {
                    parts.push(SnippetPart {
                        text: std::mem::take(&mut text),
                        hit,
                    });
                }
                hit = c == HIT_START;
            } else {
                text.push(c);
            }
        }
        if !text.is_empty() {
            parts.push(SnippetPart { text, hit });
        }
        parts
    }

    /// Cuts a plain passage into parts, marking each occurrence of `term`.
    pub fn mark(plain: &str, term: &str) -> Vec<SnippetPart> {
        if term.is_empty() {
            return vec![SnippetPart {
                text: plain.to_owned(),
                hit: false,
            }];
        }
        let marked = plain.replace(term, &format!("{HIT_START}{term}{HIT_END}"));
        SnippetPart::split(&marked)
    }
}
