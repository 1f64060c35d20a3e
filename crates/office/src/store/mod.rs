//! The office's storage, behind one narrow interface.
//!
//! Handlers see only [`Store`]. The SQLite implementation serves a city from one process; a
//! PostgreSQL implementation slots in behind the same trait. Every method is one transaction, and
//! the rules that must hold inside it (the item state machine, idempotency) are applied there.
//! Methods are blocking; handlers call them through `spawn_blocking`.

mod commission;
mod handover;
pub mod inbox;
mod organisation;
pub mod postgres;
mod scores;
mod sqlite;
mod transaction;
mod uploads;

use chrono::{DateTime, Utc};
use liaison_domain::wire::{
    Change, DraftBackup, InboxItem, ItemDetail, PutDraftRequest, StateCount, SubmitItemRequest,
    SubmitItemResponse, TimelineEntry,
};
use liaison_domain::{AttachmentRef, WorkCalendar};
use liaison_domain::{ColumnView, DutyRule, FeedMethod, IllegalTransition, Role, SeatView};
use liaison_domain::{DepartmentView, ItemState, SignoffPolicy};

#[cfg(test)]
pub(crate) use sqlite::MIGRATIONS;
pub use sqlite::{SCHEMA_VERSION, SqliteStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    IllegalTransition(#[from] IllegalTransition),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The seat may not do this to this item (in its present state).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// What was asked breaks a rule of the domain (the message says which).
    #[error("invalid: {0}")]
    Invalid(String),
    /// An administrative change breaks a rule of the organisation.
    #[error(transparent)]
    Organisation(#[from] liaison_domain::organisation::OrgProblem),
    /// An urge's message breaks the rule of urges.
    #[error(transparent)]
    Urge(#[from] liaison_domain::urge::UrgeProblem),
    /// A commissioned request (or a new deadline for one) breaks a rule of requests.
    #[error(transparent)]
    Commission(#[from] liaison_domain::commission::CommissionProblem),
    /// A scoring scheme breaks a rule of schemes.
    #[error(transparent)]
    Scheme(#[from] liaison_domain::score::SchemeProblem),
    #[error("storage failure: {0}")]
    Backend(String),
    /// The database does not answer for now (a PostgreSQL office whose database is down or
    /// unreachable): try again shortly; nothing stored is harmed.
    #[error("the database does not answer: {0}")]
    Unavailable(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(e.to_string())
    }
}

/// A seat with what only sign-in may see.
#[derive(Debug, Clone)]
pub struct SeatCredentials {
    pub seat: SeatView,
    pub password_hash: String,
    /// The administrator disabled the seat: no sign-in, no session.
    pub disabled: bool,
}

/// A send as it reaches the store: who sent it, under which key, and what.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub seat: &'a SeatView,
    /// The client address (audit log).
    pub address: &'a str,
    pub idempotency_key: &'a str,
    pub payload_sha256: &'a str,
    pub request: &'a SubmitItemRequest,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Stored now.
    Created(SubmitItemResponse),
    /// The key was seen before with the same payload: the first answer, nothing stored.
    Replayed(SubmitItemResponse),
    /// The key was seen before with another payload.
    KeyReused,
    /// A named file is not among the seat's complete uploads (its sha256).
    FileMissing(String),
    /// The seat sent this version before under another key (from another workstation): the
    /// item the office holds, by id. Nothing is stored.
    SentElsewhere(i64),
}

/// A seat's upload of one file as the store knows it; the bytes are in the office's file store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub sha256: String,
    pub size: u64,
    pub name: String,
    /// Set when the bytes were complete, matched the digest and were of an allowed type.
    pub mime: Option<String>,
}

/// How much a seat may hold in uploads (see [`crate::limits::Limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadQuota {
    /// Announced and not yet complete.
    pub pending_bytes: u64,
    /// Complete, and used by no item and no draft backup of the seat.
    pub unused_bytes: u64,
}

/// What a seat holds in uploads, measured as [`UploadQuota`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadUsage {
    pub pending_bytes: u64,
    pub unused_bytes: u64,
}

/// Which upload quota a new upload would go over, with the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuotaProblem {
    #[error(
        "upload quota: this seat has {held} bytes of unfinished uploads; {asked} more would go \
         over its limit of {limit} bytes (finish them, or they are removed after a day unused)"
    )]
    Pending { held: u64, asked: u64, limit: u64 },
    #[error(
        "upload quota: this seat holds {held} bytes of complete uploads that no item or draft \
         backup uses; {asked} more would go over its limit of {limit} bytes (they are removed \
         after a day unused)"
    )]
    Unused { held: u64, asked: u64, limit: u64 },
}

/// The outcome of announcing an upload within the seat's quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BeginUpload {
    /// Recorded now, or already recorded (resumed): the upload as the office holds it.
    Held(Upload),
    OverQuota(QuotaProblem),
}

/// An upload the sweep forgot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweptUpload {
    pub seat_id: i64,
    pub sha256: String,
    /// Its bytes were complete (in the blobs); else they are a partial file.
    pub complete: bool,
    /// No upload of any seat and no item names the blob any more: its bytes may go.
    pub blob_unreferenced: bool,
}

/// An upload idle long enough for the sweep, that no item and no draft backup of its seat uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdleUpload {
    pub seat_id: i64,
    pub sha256: String,
    /// Its bytes were complete (in the blobs); else they are a partial file.
    pub complete: bool,
}

/// One transaction over a seat's uploads: the service checks the quota and runs the sweep,
/// the store only persists. An upload is *used* when an item its seat sent carries the file or
/// a draft backup of its seat names it.
pub trait UploadsTx {
    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError>;
    /// What the seat holds: unfinished uploads, and complete ones it does not use.
    fn usage(&self, seat_id: i64) -> Result<UploadUsage, StoreError>;
    /// Records the start of an upload (its activity begins now).
    fn insert_upload(
        &mut self,
        seat_id: i64,
        upload: &Upload,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Notes activity on an upload (announced again, a piece arrived).
    fn touch_upload(
        &mut self,
        seat_id: i64,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The uploads last active before `idle_before` that their seat does not use.
    fn idle_unused_uploads(
        &self,
        idle_before: DateTime<Utc>,
    ) -> Result<Vec<IdleUpload>, StoreError>;
    fn forget_upload(&mut self, seat_id: i64, sha256: &str) -> Result<(), StoreError>;
    /// Whether an upload of any seat or a file of any item names the blob.
    fn blob_named(&self, sha256: &str) -> Result<bool, StoreError>;
}

/// One transaction over a seat's draft backups: the service decides the revision (and refuses
/// a stale copy), the store only persists.
pub trait DraftsTx {
    fn draft_backup(
        &self,
        seat_id: i64,
        draft_key: &str,
    ) -> Result<Option<DraftBackup>, StoreError>;
    /// Stores the backup as revision `rev`, replacing the one held, and gives it the next `seq`.
    fn write_draft_backup(
        &mut self,
        seat_id: i64,
        draft_key: &str,
        rev: i64,
        backup: &PutDraftRequest,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// The outcome of a draft backup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftPut {
    Stored {
        rev: i64,
    },
    /// The office holds a newer copy than the one the backup was made from: this one.
    Stale(Box<DraftBackup>),
}

/// What a column's duty is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyInput {
    pub column: ColumnView,
    pub since: DateTime<Utc>,
    pub updates: Vec<DateTime<Utc>>,
}

/// A decision on an item: the department's sign-off (approve, or return while it awaits
/// sign-off) or the editors' review (accept, return, reject a delivered item).
#[derive(Debug, Clone)]
pub enum Review {
    Approve,
    Accept {
        published_url: String,
        published_at: DateTime<Utc>,
    },
    Return {
        comment: String,
        quote: Option<String>,
    },
    Reject {
        reason: String,
    },
}

/// Which items an inbox lists. Items awaiting their department's sign-off are never listed.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub state: Option<ItemState>,
    pub department_id: Option<i64>,
    pub column_id: Option<i64>,
    /// Delivered on or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Delivered before this instant.
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
    pub offset: u32,
}

/// Who acts, and from which address (for the audit log).
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub seat: &'a SeatView,
    pub address: &'a str,
}

/// A handover to start: the outgoing holder's own, or one the administrator forces.
#[derive(Debug, Clone)]
pub struct NewHandover {
    pub seat_id: i64,
    pub successor: liaison_domain::handover::Successor,
    pub forced: bool,
    pub reason: Option<String>,
}

/// The administrator's decision on a requested handover.
#[derive(Debug, Clone)]
pub enum HandoverDecision {
    Approve {
        outgoing: liaison_domain::handover::OutgoingData,
        code_hash: String,
        /// Kept until the outgoing holder has seen it (never for a forced handover).
        code_plain: String,
        expires_at: DateTime<Utc>,
    },
    Decline {
        reason: Option<String>,
    },
}

/// What redeeming a handover code did.
#[derive(Debug, Clone)]
pub enum RedeemOutcome {
    /// The successor holds the seat now.
    Done(SeatView),
    /// Wrong code, no approved handover, or no such seat.
    Invalid,
    /// The code was right but is no longer valid.
    Expired,
}

/// A remark in an item's thread.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub text: String,
    pub quote: Option<String>,
}

/// A column's fields as the administrator sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnFields {
    pub department_id: i64,
    pub name: String,
    pub path: String,
    pub feed: FeedMethod,
    pub duty: DutyRule,
    pub level: liaison_domain::ColumnLevel,
}

/// A seat to create, with its first holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeat {
    pub login: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub holder_name: String,
    pub phone: Option<String>,
    /// The first password's hash, or `None` for a seat whose holder chooses it with a one-time
    /// code (until then no password signs in).
    pub password_hash: Option<String>,
}

/// How a session ended other than by expiring or signing out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// A handover gave the seat to a successor; what the workstation does with its data.
    HandedOver(liaison_domain::handover::OutgoingData),
    /// The administrator disabled the seat.
    SeatDisabled,
}

/// What every transaction of the service may append: an audit entry, and a change in a
/// department's log for its desks (its `seq` is the store's to give).
pub trait Writes {
    fn append_audit(&mut self, record: &crate::audit::Record) -> Result<(), StoreError>;
    /// The change's place in the log (its `seq`).
    fn append_change(
        &mut self,
        department_id: i64,
        change: &Change,
        audience: Audience,
    ) -> Result<i64, StoreError>;
}

/// A send the seat made before under the same idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierSend {
    pub id: i64,
    pub receipt: String,
    pub delivered_at: DateTime<Utc>,
    pub payload_sha256: String,
    /// It was held for its department's sign-off when it arrived.
    pub held: bool,
}

/// An item as it is first stored.
#[derive(Debug, Clone)]
pub struct StoredItem<'a> {
    pub id: i64,
    pub receipt: &'a str,
    pub seat: &'a SeatView,
    pub idempotency_key: &'a str,
    pub payload_sha256: &'a str,
    pub request: &'a SubmitItemRequest,
    pub state: ItemState,
    pub delivered_at: DateTime<Utc>,
    /// Kept only for a department that attests on paper.
    pub attestation: Option<&'a liaison_domain::Attestation>,
    /// When it reached the editorial office (`None` while it awaits sign-off).
    pub waiting_since: Option<DateTime<Utc>>,
    /// The open request it answers, for a department the request names.
    pub commission_id: Option<i64>,
}

/// A commissioned request as the store keeps it; each target's standing is the service's to
/// work out at an instant (`service::commissions::view`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionRecord {
    pub id: i64,
    pub topic: String,
    pub requirements: String,
    pub column_id: Option<i64>,
    pub column_name: Option<String>,
    pub due_at: DateTime<Utc>,
    pub state: liaison_domain::commission::CommissionState,
    pub posted_at: DateTime<Utc>,
    pub posted_by: String,
    pub targets: Vec<TargetRecord>,
}

/// A department a request names, and its first answer that reached the office:
/// (when it arrived, the item, its receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    pub department_id: i64,
    pub department_name: String,
    pub answer: Option<(DateTime<Utc>, i64, String)>,
}

/// A new request as it is first stored.
#[derive(Debug, Clone)]
pub struct StoredCommission<'a> {
    pub request: &'a liaison_domain::commission::Request,
    pub column_id: Option<i64>,
    pub due_at: DateTime<Utc>,
    pub posted_at: DateTime<Utc>,
    pub posted_by: &'a SeatView,
}

/// One transaction over commissioned requests: the service applies the request's state machine
/// and rules, and writes through these.
pub trait CommissionsTx: Writes {
    fn commission(&self, id: i64) -> Result<Option<CommissionRecord>, StoreError>;
    /// Departments that are not retired.
    fn live_departments(&self) -> Result<Vec<DepartmentView>, StoreError>;
    /// A column that is not retired.
    fn live_column(&self, id: i64) -> Result<Option<ColumnView>, StoreError>;
    fn insert_commission(&mut self, c: &StoredCommission<'_>) -> Result<i64, StoreError>;
    /// Its state and deadline now (`withdrawn_at` set when it is withdrawn).
    fn update_commission(
        &mut self,
        id: i64,
        state: liaison_domain::commission::CommissionState,
        due_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// What a decision changes of a stored item.
#[derive(Debug, Clone)]
pub enum ItemUpdate<'a> {
    SignedOff {
        state: ItemState,
        by_name: &'a str,
        at: DateTime<Utc>,
    },
    Accepted {
        state: ItemState,
        published_url: &'a str,
        published_at: DateTime<Utc>,
        at: DateTime<Utc>,
        by: i64,
    },
    /// Returned or rejected, with the reason.
    Reviewed {
        state: ItemState,
        comment: &'a str,
        at: DateTime<Utc>,
        by: i64,
    },
}

/// One transaction over items: the service reads, applies the item state machine and the rules
/// of who may decide, and writes through these.
pub trait ItemsTx: Writes {
    /// The item with its files and timeline.
    fn item(&self, id: i64) -> Result<Option<ItemDetail>, StoreError>;
    fn earlier_send(
        &self,
        seat_id: i64,
        idempotency_key: &str,
    ) -> Result<Option<EarlierSend>, StoreError>;
    /// Whether the seat already sent this version of the draft (under any key).
    /// The item the seat's version of a draft was stored as, if it was.
    fn sent_item(
        &self,
        seat_id: i64,
        draft_key: &str,
        version: u32,
    ) -> Result<Option<i64>, StoreError>;
    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError>;
    /// A column that is not retired.
    fn live_column(&self, id: i64) -> Result<Option<ColumnView>, StoreError>;
    /// Whether the request is open and names the department.
    fn open_commission_for(&self, id: i64, department_id: i64) -> Result<bool, StoreError>;
    /// The id the next stored item gets.
    fn next_item_id(&self) -> Result<i64, StoreError>;
    /// Stores the item and its files.
    fn insert_item(&mut self, item: &StoredItem<'_>) -> Result<(), StoreError>;
    fn update_item(&mut self, id: i64, update: &ItemUpdate<'_>) -> Result<(), StoreError>;
    /// Appends to the item's timeline, written by `seat_id`.
    fn append_event(
        &mut self,
        item_id: i64,
        entry: &TimelineEntry,
        seat_id: i64,
    ) -> Result<(), StoreError>;
}

/// A handover as it is first stored.
#[derive(Debug, Clone)]
pub struct StoredHandover<'a> {
    pub seat_id: i64,
    pub forced: bool,
    pub outgoing_holder: &'a str,
    pub successor: &'a liaison_domain::handover::Successor,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub reason: Option<&'a str>,
}

/// The administrator's decision as it is stored.
#[derive(Debug, Clone)]
pub struct StoredDecision<'a> {
    pub state: liaison_domain::handover::HandoverState,
    pub by: i64,
    pub at: DateTime<Utc>,
    /// Approved: the outgoing data's fate, the code's hash, the plain code for the outgoing
    /// holder (none for a forced handover) and when the code expires.
    pub approved: Option<(
        liaison_domain::handover::OutgoingData,
        &'a str,
        Option<&'a str>,
        DateTime<Utc>,
    )>,
    /// Declined: the reason, if one was given.
    pub reason: Option<&'a str>,
}

/// An approved handover's code as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovedCode {
    pub handover_id: i64,
    pub code_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// One transaction over handovers: the service applies the handover state machine and its
/// rules, and writes through these.
pub trait HandoversTx: Writes {
    fn handover(&self, id: i64) -> Result<Option<liaison_domain::wire::HandoverView>, StoreError>;
    fn seat(&self, id: i64) -> Result<Option<SeatView>, StoreError>;
    fn seat_by_login(&self, login: &str) -> Result<Option<SeatView>, StoreError>;
    /// Whether the seat has a handover requested or approved.
    fn has_open_handover(&self, seat_id: i64) -> Result<bool, StoreError>;
    fn insert_handover(&mut self, handover: &StoredHandover<'_>) -> Result<i64, StoreError>;
    fn record_decision(&mut self, id: i64, decision: &StoredDecision<'_>)
    -> Result<(), StoreError>;
    /// The approved handover's plain code, removed as it is read (`None` if already shown).
    fn take_plain_code(&mut self, id: i64) -> Result<Option<String>, StoreError>;
    fn approved_code(&self, seat_id: i64) -> Result<Option<ApprovedCode>, StoreError>;
    /// An approved handover whose code was tried too late.
    fn expire_handover(
        &mut self,
        id: i64,
        state: liaison_domain::handover::HandoverState,
    ) -> Result<(), StoreError>;
    /// The successor holds the seat from `at`: the holder history, the seat's holder and
    /// password, every session of the seat ended (remembered as revoked by this handover).
    /// How many sessions ended.
    fn hand_seat_over(
        &mut self,
        seat_id: i64,
        handover_id: i64,
        successor: &liaison_domain::handover::Successor,
        password_hash: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError>;
    fn open_session(
        &mut self,
        seat_id: i64,
        token_hash: &str,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    fn complete_handover(
        &mut self,
        id: i64,
        state: liaison_domain::handover::HandoverState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// One transaction of the administration: the service reads the organisation, applies the
/// domain's rules, and writes through these, all committed together or not at all. Persistence
/// only: every rule is the caller's.
pub trait OrganisationTx: Writes {
    /// Every department, column and seat, retired and disabled ones included.
    fn organisation(&self) -> Result<liaison_domain::organisation::Organisation, StoreError>;
    fn insert_department(&mut self, name: &str) -> Result<i64, StoreError>;
    fn rename_department(&mut self, id: i64, name: &str) -> Result<(), StoreError>;
    fn retire_department(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// A new column whose duty begins at `since`.
    fn insert_column(
        &mut self,
        column: &ColumnFields,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// Sets every field, the department too (a move keeps the column's id, so its history).
    fn update_column(&mut self, id: i64, column: &ColumnFields) -> Result<(), StoreError>;
    /// Retires the column (`Some`) or brings it back (`None`).
    fn set_column_retired(&mut self, id: i64, at: Option<DateTime<Utc>>) -> Result<(), StoreError>;
    fn insert_seat(&mut self, seat: &NewSeat, now: DateTime<Utc>) -> Result<i64, StoreError>;
    /// Disables the seat (`Some`) or enables it again (`None`).
    fn set_seat_disabled(&mut self, id: i64, at: Option<DateTime<Utc>>) -> Result<(), StoreError>;
    /// Gives the seat a one-time code (replacing any earlier one) and takes its password away.
    fn set_seat_code(
        &mut self,
        seat_id: i64,
        code_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Ends every session of the seat; how many there were.
    fn end_sessions(&mut self, seat_id: i64) -> Result<usize, StoreError>;
    /// How the department signs off (`NotFound` for no such department).
    fn set_signoff_policy(
        &mut self,
        department_id: i64,
        policy: SignoffPolicy,
    ) -> Result<(), StoreError>;
    /// Replaces one year of the calendar with that year's days of `calendar`.
    fn replace_calendar_year(
        &mut self,
        year: i32,
        calendar: &WorkCalendar,
    ) -> Result<(), StoreError>;
    fn replace_word_lists(
        &mut self,
        lists: &liaison_domain::preflight::WordLists,
    ) -> Result<(), StoreError>;
    /// An update of a scraped or linked column the office saw, by `seat_id`, at `url`.
    fn insert_column_update(
        &mut self,
        column_id: i64,
        at: DateTime<Utc>,
        seat_id: i64,
        url: Option<&str>,
    ) -> Result<(), StoreError>;
    /// An urge, sent by `seat_id`.
    fn insert_urge(
        &mut self,
        urge: &liaison_domain::urge::Urge,
        seat_id: i64,
    ) -> Result<(), StoreError>;
}

/// What redeeming a seat's one-time code did.
#[derive(Debug, Clone)]
pub enum SeatCodeOutcome {
    /// The holder chose a password and is signed in.
    Done(SeatView),
    /// The seat holds no one-time code (a handover's code may be meant).
    NoCode,
    Invalid,
    Expired,
    Disabled,
}

/// A department's facts for a closed month, as they were taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthFacts {
    pub department_id: i64,
    /// The name it had when the month was taken.
    pub department_name: String,
    pub facts: liaison_domain::score::PeriodFacts,
}

/// What a department's facts are gathered from, besides its columns (`Store::duty_inputs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScoreRecords {
    pub accepted: Vec<liaison_domain::score::facts::Accepted>,
    pub asked: Vec<liaison_domain::score::facts::Asked>,
    pub urges: Vec<DateTime<Utc>>,
}

/// One transaction over scoring: publishing a scheme, taking a closed month.
pub trait ScoresTx: Writes {
    fn schemes(&self) -> Result<Vec<liaison_domain::score::SchemeVersion>, StoreError>;
    /// Keeps a new version and returns its number.
    fn insert_scheme(
        &mut self,
        scheme: &liaison_domain::score::Scheme,
        at: DateTime<Utc>,
        by_seat: i64,
        by_name: &str,
    ) -> Result<u32, StoreError>;
    fn month_taken(&self, year: i32, month: u32) -> Result<bool, StoreError>;
    fn insert_month(
        &mut self,
        year: i32,
        month: u32,
        taken_at: DateTime<Utc>,
        facts: &[MonthFacts],
    ) -> Result<(), StoreError>;
}

pub trait Store: Send + Sync + 'static {
    /// Runs `f` as one transaction of the administration, committed only if it returns `Ok`.
    fn organise(
        &self,
        f: &mut dyn FnMut(&mut dyn OrganisationTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `f` as one transaction over handovers, committed only if it returns `Ok`.
    fn handing_over(
        &self,
        f: &mut dyn FnMut(&mut dyn HandoversTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `f` as one transaction over uploads, committed only if it returns `Ok`.
    fn uploads(
        &self,
        f: &mut dyn FnMut(&mut dyn UploadsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `f` as one transaction over draft backups, committed only if it returns `Ok`.
    fn drafts(
        &self,
        f: &mut dyn FnMut(&mut dyn DraftsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `f` as one transaction over commissioned requests, committed only if it returns `Ok`.
    fn commissioning(
        &self,
        f: &mut dyn FnMut(&mut dyn CommissionsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Runs `f` as one transaction over scoring, committed only if it returns `Ok`.
    fn scoring(
        &self,
        f: &mut dyn FnMut(&mut dyn ScoresTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Every published scoring scheme, oldest first, with who published it.
    fn score_schemes(
        &self,
    ) -> Result<Vec<(liaison_domain::score::SchemeVersion, String)>, StoreError>;
    /// The facts kept for a closed month, or `None` if it has not been taken.
    fn month_facts(&self, year: i32, month: u32) -> Result<Option<Vec<MonthFacts>>, StoreError>;
    /// A department's accepted items, commissioned requests due and urges in `[from, to)`.
    fn score_records(
        &self,
        department_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ScoreRecords, StoreError>;
    /// Commissioned requests, newest first: those naming the department, or every one.
    fn commissions(&self, department_id: Option<i64>) -> Result<Vec<CommissionRecord>, StoreError>;
    fn commission(&self, id: i64) -> Result<Option<CommissionRecord>, StoreError>;
    /// Runs `f` as one transaction over items, committed only if it returns `Ok`.
    fn items(
        &self,
        f: &mut dyn FnMut(&mut dyn ItemsTx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// The holder of a seat with a one-time code chooses a password: checked, set and signed in
    /// (the session `(token hash, expiry)`) in one transaction, with an audit entry.
    #[allow(clippy::too_many_arguments)]
    fn redeem_seat_code(
        &self,
        login: &str,
        code_hash: &str,
        password_hash: &str,
        session: (&str, DateTime<Utc>),
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<SeatCodeOutcome, StoreError>;

    // Organisation (its administration is `organise`).
    fn departments(&self) -> Result<Vec<DepartmentView>, StoreError>;
    /// Every column of every department, for the office's filters.
    fn all_columns(&self) -> Result<Vec<ColumnView>, StoreError>;
    fn is_empty(&self) -> Result<bool, StoreError>;

    // Sessions.
    fn seat_credentials(&self, login: &str) -> Result<Option<SeatCredentials>, StoreError>;
    fn create_session(
        &self,
        seat_id: i64,
        token_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The seat behind a live session, or `None` if the token is unknown or expired.
    fn session_seat(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SeatView>, StoreError>;
    fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    // Columns.
    fn columns_of_department(&self, department_id: i64) -> Result<Vec<ColumnView>, StoreError>;
    fn column(&self, id: i64) -> Result<Option<ColumnView>, StoreError>;

    // Items.
    fn item(&self, id: i64) -> Result<Option<ItemDetail>, StoreError>;
    /// A department's items (those one seat sent, with `seat_id`), newest first.
    fn items_of_department(
        &self,
        department_id: i64,
        seat_id: Option<i64>,
    ) -> Result<Vec<ItemDetail>, StoreError>;
    fn inbox(&self, filter: &InboxFilter) -> Result<Vec<InboxItem>, StoreError>;
    /// How many items of each state match the filter (its state, limit and offset ignored).
    fn inbox_counts(&self, filter: &InboxFilter) -> Result<Vec<StateCount>, StoreError>;
    /// A department's items waiting for its responsible person, longest waiting first.
    fn signoff_queue(&self, department_id: i64) -> Result<Vec<InboxItem>, StoreError>;
    // Files.
    fn upload(&self, seat_id: i64, sha256: &str) -> Result<Option<Upload>, StoreError>;
    fn complete_upload(
        &self,
        seat_id: i64,
        sha256: &str,
        mime: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Forgets an upload whose bytes turned out wrong, so it can start again.
    fn discard_upload(&self, seat_id: i64, sha256: &str) -> Result<(), StoreError>;
    /// A file of an item, if the item carries one with this digest.
    fn item_file(&self, item_id: i64, sha256: &str) -> Result<Option<AttachmentRef>, StoreError>;

    // Draft backups, each visible only to its seat.
    fn draft_backup(
        &self,
        seat_id: i64,
        draft_key: &str,
    ) -> Result<Option<DraftBackup>, StoreError>;
    /// The seat's backups written after `since` (in `seq` order) of drafts whose version has not
    /// been sent.
    fn draft_backups(&self, seat_id: i64, since: i64) -> Result<Vec<DraftBackup>, StoreError>;

    // Duties.
    fn calendar(&self) -> Result<WorkCalendar, StoreError>;
    /// Each column's latest recorded update that names an address: (column, when, address).
    fn recorded_addresses(&self) -> Result<Vec<(i64, DateTime<Utc>, String)>, StoreError>;
    /// The urges sent from `from` on, oldest first: one department's, or every one.
    fn urges(
        &self,
        department_id: Option<i64>,
        from: DateTime<Utc>,
    ) -> Result<Vec<liaison_domain::urge::Urge>, StoreError>;
    /// A department's columns, when each duty began, and the update instants from `from` on
    /// (plus the latest one before it).
    fn duty_inputs(
        &self,
        department_id: i64,
        from: DateTime<Utc>,
    ) -> Result<Vec<DutyInput>, StoreError>;

    // Pre-flight word lists.
    fn word_lists(&self) -> Result<liaison_domain::preflight::WordLists, StoreError>;

    // Handovers, holders and the audit log.
    fn seats(&self) -> Result<Vec<SeatView>, StoreError>;
    fn holders(&self, seat_id: i64) -> Result<Vec<liaison_domain::handover::Holder>, StoreError>;
    fn handover(&self, id: i64) -> Result<Option<liaison_domain::wire::HandoverView>, StoreError>;
    /// Every handover (of one seat), newest first.
    fn handovers(
        &self,
        seat_id: Option<i64>,
    ) -> Result<Vec<liaison_domain::wire::HandoverView>, StoreError>;
    /// Why a session that no longer signs in ended, if a handover or the administrator ended it.
    fn ended_session(&self, token_hash: &str) -> Result<Option<SessionEnd>, StoreError>;
    fn append_audit(&self, record: &crate::audit::Record) -> Result<(), StoreError>;
    fn verify_audit(&self) -> Result<Result<u64, crate::audit::ChainBreak>, StoreError>;
    fn audit_entries(
        &self,
        limit: u32,
    ) -> Result<Vec<liaison_domain::wire::AuditEntry>, StoreError>;

    // Change log.
    /// Changes after `since`, for one department or (None) for all.
    fn changes_since(
        &self,
        department_id: Option<i64>,
        since: i64,
        limit: u32,
    ) -> Result<Vec<Change>, StoreError>;
}

/// Who sees an item: its own department always; the editorial office once it has left the
/// department (never while it awaits the department's sign-off, nor after the department
/// returned it).
pub fn may_see(item: &ItemDetail, seat: &SeatView) -> bool {
    if seat.role.is_office() {
        item.waiting_since.is_some()
    } else {
        seat.department.id == item.department_id
    }
}

/// Who may read an entry of the change log: only the department's seats while it is about an
/// item that has not left the department, the editorial office too otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Department,
    All,
}

impl Audience {
    /// The audience of a change to an item that has (or has not) left its department.
    pub fn of_item(left_department: bool) -> Audience {
        if left_department {
            Audience::All
        } else {
            Audience::Department
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Department => "department",
            Audience::All => "all",
        }
    }
}

/// An item as `seat` may see it, or `None` when it may not see it at all. The editorial office
/// sees neither an item that has not left its department nor the remarks the department wrote
/// on it before it left (before its sign-off): those stay in the department.
pub fn view_for(mut item: ItemDetail, seat: &SeatView) -> Option<ItemDetail> {
    if !may_see(&item, seat) {
        return None;
    }
    if seat.role.is_office() {
        item.timeline = liaison_domain::item::office_timeline(std::mem::take(&mut item.timeline));
    }
    Some(item)
}

/// The digest an idempotency key is bound to: SHA-256 of the request's canonical JSON.
pub fn payload_digest(request: &SubmitItemRequest) -> String {
    use sha2::{Digest, Sha256};
    // Serialising a plain struct of strings and numbers cannot fail.
    let bytes = serde_json::to_vec(request).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}
