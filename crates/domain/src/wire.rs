//! The desk<->office protocol under `/api/v1`: request and answer bodies, and the error body.
//!
//! JSON, snake_case. With the `openapi` feature each type also describes itself for the office's
//! generated OpenAPI document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    AttachmentRef, Attestation, ColumnView, DepartmentView, DutyStatus, ItemState, Role, SeatView,
};

/// Header carrying the client-generated idempotency key of a send.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// Header of an upload piece: the byte of the file where the piece starts.
pub const UPLOAD_OFFSET_HEADER: &str = "Upload-Offset";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInResponse {
    /// Opaque bearer token; the office keeps only its hash.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub seat: SeatView,
}

/// One version of an item, sent by an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitItemRequest {
    /// The desk's identifier of the draft; all versions of one item share it.
    pub draft_key: String,
    /// 1 for the first submission, one more for each revision.
    pub version: u32,
    pub column_id: i64,
    pub title: String,
    pub body_html: String,
    /// Files uploaded before the send (`/uploads`); linked to the item when it is stored.
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    /// The sign-off made on paper, for a department whose policy is `attested`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
    /// The commissioned request (约稿) this item answers. Linked while the request is open and
    /// names the department; otherwise the item is received as an ordinary one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_id: Option<i64>,
}

fn delivered() -> ItemState {
    ItemState::Delivered
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubmitItemResponse {
    pub id: i64,
    /// The office's receipt number (收件号), e.g. `LS-20261127-000042`.
    pub receipt: String,
    pub delivered_at: DateTime<Utc>,
    /// `delivered` (in the editors' inbox) or `awaiting_signoff` (held for the department's
    /// responsible person).
    #[serde(default = "delivered")]
    pub state: ItemState,
}

/// An item as listed in the editors' inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct InboxItem {
    pub id: i64,
    pub receipt: String,
    pub department: DepartmentView,
    pub column_id: i64,
    pub column_name: String,
    /// The person who held the sending seat when the item was sent.
    pub holder_name: String,
    pub seat_login: String,
    pub title: String,
    pub version: u32,
    pub state: ItemState,
    pub delivered_at: DateTime<Utc>,
    /// Since when the editors have had it (its sign-off, or its delivery if attested).
    pub waiting_since: DateTime<Utc>,
}

/// How many items of each state match an inbox's filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateCount {
    pub state: ItemState,
    pub count: u64,
}

/// What happened to one submitted version, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TimelineKind {
    /// The office received it and gave a receipt.
    Delivered,
    /// The officer attested a sign-off made on paper.
    Attested,
    /// Held for the department's responsible person.
    AwaitingSignoff,
    /// The responsible person signed it off; it went on to the editors.
    SignedOff,
    Accepted,
    /// Returned for revision, by the responsible person or an editor.
    Returned,
    Rejected,
    /// A remark in the item's thread, from either side.
    Comment,
}

impl TimelineKind {
    pub const ALL: [TimelineKind; 8] = [
        TimelineKind::Delivered,
        TimelineKind::Attested,
        TimelineKind::AwaitingSignoff,
        TimelineKind::SignedOff,
        TimelineKind::Accepted,
        TimelineKind::Returned,
        TimelineKind::Rejected,
        TimelineKind::Comment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TimelineKind::Delivered => "delivered",
            TimelineKind::Attested => "attested",
            TimelineKind::AwaitingSignoff => "awaiting_signoff",
            TimelineKind::SignedOff => "signed_off",
            TimelineKind::Accepted => "accepted",
            TimelineKind::Returned => "returned",
            TimelineKind::Rejected => "rejected",
            TimelineKind::Comment => "comment",
        }
    }

    pub fn parse(s: &str) -> Option<TimelineKind> {
        TimelineKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of an item's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub kind: TimelineKind,
    /// The person who did it (the holder of the seat at the time).
    pub actor: String,
    pub actor_role: Role,
    /// The receipt, the comment, the reason, the published address, or the attested approver.
    pub text: Option<String>,
    /// The passage of the body a comment is about.
    pub quote: Option<String>,
}

/// An item with its content and review outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct ItemDetail {
    pub id: i64,
    pub receipt: String,
    pub draft_key: String,
    pub version: u32,
    pub department_id: i64,
    pub column_id: i64,
    pub holder_name: String,
    pub title: String,
    pub body_html: String,
    pub state: ItemState,
    pub delivered_at: DateTime<Utc>,
    pub published_url: Option<String>,
    pub review_comment: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When it appeared on the portal, as the editor recorded it.
    pub published_at: Option<DateTime<Utc>>,
    pub attachments: Vec<AttachmentRef>,
    pub attestation: Option<Attestation>,
    /// The responsible person who signed it off in the app.
    pub signed_off_by: Option<String>,
    /// Since when the editors have had it; none while it awaits its department's sign-off, or
    /// if the department returned it.
    pub waiting_since: Option<DateTime<Utc>>,
    pub timeline: Vec<TimelineEntry>,
}

/// Starts (or looks up) the upload of one file, named by its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadRequest {
    pub sha256: String,
    pub size: u64,
    pub name: String,
}

/// How far the office has an upload: `offset` bytes are stored and confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UploadStatus {
    pub sha256: String,
    pub size: u64,
    pub offset: u64,
    /// All bytes arrived, the digest matched and the type is allowed.
    pub complete: bool,
    /// The type found in the bytes, once complete.
    pub mime: Option<String>,
}

/// A draft as backed up at the office, visible only to its seat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftBackup {
    pub draft_key: String,
    /// The office's count of this backup's versions; a backup must name the one it replaces.
    pub rev: i64,
    /// Position among all the seat's backups as written; `GET /drafts?since=` follows it.
    pub seq: i64,
    pub version: u32,
    pub column_id: Option<i64>,
    pub title: String,
    pub body_html: String,
    pub attachments: Vec<AttachmentRef>,
    pub updated_at: DateTime<Utc>,
    /// Which workstation made this copy (the desk's own identifier), so a desk that did not hear
    /// the answer to its own backup does not take it for another workstation's.
    pub origin: Option<String>,
}

/// Backs up a draft over the office's copy `base_rev` (none for the first backup). A backup made
/// from an older copy than the office holds is refused with 409 `stale_draft`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutDraftRequest {
    pub base_rev: Option<i64>,
    pub version: u32,
    pub column_id: Option<i64>,
    pub title: String,
    pub body_html: String,
    #[serde(default)]
    pub attachments: Vec<AttachmentRef>,
    /// The workstation making the backup (see [`DraftBackup::origin`]).
    #[serde(default)]
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PutDraftResponse {
    pub rev: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptRequest {
    /// Where the item was published on the portal.
    pub published_url: String,
    /// When it was published; the time of the request if not given.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectRequest {
    /// Why the item will not be published.
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReturnRequest {
    /// What the officer must change.
    pub comment: String,
    /// The passage of the body the comment is about, quoted.
    #[serde(default)]
    pub quote: Option<String>,
}

/// A remark in an item's thread: an editor's question, the officer's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentRequest {
    pub text: String,
    #[serde(default)]
    pub quote: Option<String>,
}

/// The administrator sets how a department signs off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignoffPolicyRequest {
    pub signoff: crate::SignoffPolicy,
}

/// Something that happened at the office that a desk must learn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// An item moved: the responsible person signed it off or returned it, or an editor
    /// accepted, returned or rejected it.
    ItemReviewed {
        item_id: i64,
        draft_key: String,
        version: u32,
        receipt: String,
        state: ItemState,
        published_url: Option<String>,
        review_comment: Option<String>,
        /// Who decided.
        #[serde(default)]
        by: Option<String>,
    },
    /// An item of the department waits for its responsible person's sign-off.
    SignoffRequested {
        item_id: i64,
        draft_key: String,
        version: u32,
        receipt: String,
        title: String,
        holder_name: String,
    },
    /// Someone wrote in an item's thread.
    ItemCommented {
        item_id: i64,
        draft_key: String,
        version: u32,
        author: String,
        author_role: Role,
        text: String,
        quote: Option<String>,
    },
    /// An editor urged the department to update a column (催报).
    ColumnUrged {
        column_id: i64,
        column_name: String,
        message: String,
        /// The editor's name.
        urged_by: String,
    },
    /// The office asked the department for content (约稿), or extended or withdrew the request.
    CommissionUpdated {
        commission_id: i64,
        what: CommissionNews,
        topic: String,
        due_at: DateTime<Utc>,
        state: crate::commission::CommissionState,
    },
    /// The administrator changed what the department has: the desk refreshes its board.
    OrganisationChanged {
        what: OrganisationEvent,
        /// The column's or the seat's id.
        subject_id: i64,
        /// The column's name, the seat's login, or the department's new name.
        name: String,
    },
}

/// What happened to a commissioned request (see [`ChangeKind::CommissionUpdated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CommissionNews {
    Posted,
    Extended,
    Withdrawn,
}

/// A commissioned request (约稿) as the office and the departments it names see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct CommissionView {
    pub id: i64,
    pub topic: String,
    pub requirements: String,
    /// The column the answers are for, if the request names one.
    pub column_id: Option<i64>,
    pub column_name: Option<String>,
    pub due_at: DateTime<Utc>,
    pub state: crate::commission::CommissionState,
    pub posted_at: DateTime<Utc>,
    /// The editor's name.
    pub posted_by: String,
    /// The departments asked, each with where it stands (a department's seat sees its own only).
    pub targets: Vec<CommissionTarget>,
}

/// One department asked by a request, and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct CommissionTarget {
    pub department_id: i64,
    pub department_name: String,
    pub standing: crate::commission::Standing,
    /// Its first linked answer: when it arrived, the item and its receipt.
    pub answered_at: Option<DateTime<Utc>>,
    pub item_id: Option<i64>,
    pub receipt: Option<String>,
}

/// A new commissioned request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCommissionRequest {
    pub topic: String,
    #[serde(default)]
    pub requirements: String,
    pub departments: Vec<i64>,
    #[serde(default)]
    pub column_id: Option<i64>,
    pub deadline: crate::commission::Deadline,
}

/// A later deadline for an open request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtendCommissionRequest {
    pub deadline: crate::commission::Deadline,
}

/// What the administrator changed for a department (see [`ChangeKind::OrganisationChanged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrganisationEvent {
    ColumnAdded,
    ColumnChanged,
    /// The column now belongs to this department, with its history.
    ColumnMovedIn,
    /// The column went to another department.
    ColumnMovedOut,
    ColumnRetired,
    ColumnRestored,
    DepartmentRenamed,
    SeatDisabled,
    SeatEnabled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    /// Position in the office's change log; strictly increasing.
    pub seq: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangesResponse {
    pub changes: Vec<Change>,
    /// The cursor to ask with next time (`since=`).
    pub next: i64,
}

/// One column of a department's duty board: what the rule is computed from, and the office's
/// result at the time of the answer (a desk recomputes with its own clock while offline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct BoardColumn {
    pub column: ColumnView,
    /// When the column's duty began.
    pub since: DateTime<Utc>,
    /// When updates were accepted (items accepted, or updates the office recorded for scraped and
    /// linked columns): the latest one and every one of the last 13 months.
    pub updates: Vec<DateTime<Utc>>,
    pub status: DutyStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UrgeRequest {
    /// What the department is asked to do, shown to its officer.
    pub message: String,
}

/// One department's standing in a period, for the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeliness {
    pub department: DepartmentView,
    pub columns: u32,
    pub overdue: u32,
    pub due_soon: u32,
    /// Days overdue summed over the overdue columns.
    pub overdue_days: u32,
    /// Updates accepted in the period.
    pub accepted_in_period: u32,
}

/// The outgoing holder asks to hand the seat over (or the administrator, for a seat whose holder
/// is gone, with `seat_id` and `forced`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StartHandoverRequest {
    pub successor: crate::handover::Successor,
    /// Administrator only: the seat whose holder is gone.
    #[serde(default)]
    pub seat_id: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApproveHandoverRequest {
    /// What the outgoing workstation does with its data when it learns of the handover.
    #[serde(default)]
    pub outgoing: crate::handover::OutgoingData,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclineHandoverRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

/// A handover as the office keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct HandoverView {
    pub id: i64,
    pub seat_id: i64,
    pub seat_login: String,
    pub department: String,
    pub state: crate::handover::HandoverState,
    /// Started by the administrator because the holder is gone.
    pub forced: bool,
    pub outgoing_holder: String,
    pub successor: crate::handover::Successor,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub code_expires_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub outgoing: crate::handover::OutgoingData,
}

/// The one-time code of an approved handover: shown to the administrator once (in the answer to
/// the approval) and to the outgoing holder once (`GET /handovers/{id}/code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct HandoverCode {
    pub handover_id: i64,
    pub seat_login: String,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// The successor takes the seat: its login, the code, and their own new password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RedeemHandoverRequest {
    pub login: String,
    pub code: String,
    pub new_password: String,
}

/// One entry of the office's append-only, hash-chained audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The seat login that acted (`-` for none, e.g. a failed sign-in of an unknown login).
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    /// The client address it came from.
    pub address: String,
    pub hash: String,
}

/// One entry of `demo-seats.json`, which `liaison-office serve --demo` writes into its data folder
/// and `make run` and the tests read to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSeat {
    pub login: String,
    pub password: String,
    pub role: crate::Role,
    pub department: String,
}

/// Stable error codes; clients branch on these, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    WrongCredentials,
    Unauthenticated,
    Forbidden,
    NotFound,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    InvalidTransition,
    Conflict,
    Validation,
    PayloadTooLarge,
    /// A send names a file the office does not hold (complete) for this seat: upload it again.
    AttachmentMissing,
    /// A file's bytes are not of a type an item may carry.
    UnsupportedFile,
    /// The uploaded bytes do not have the SHA-256 they were announced with.
    DigestMismatch,
    /// The office holds a newer backup of this draft than the one this backup was made from.
    StaleDraft,
    /// The department's sign-off policy is not met (no or an incomplete attestation).
    SignoffRequired,
    /// A blocking pre-flight problem (the message lists them).
    PreflightFailed,
    /// The seat was handed to a successor: this session is over for good; the workstation keeps
    /// its data read-only.
    SeatHandedOver,
    /// As `SeatHandedOver`, and the workstation removes its local data.
    SeatHandedOverWipe,
    /// The administrator disabled this seat: it can neither sign in nor send until enabled.
    SeatDisabled,
    /// Too many failed sign-ins for this seat or from this address; try again later.
    TooManyAttempts,
    /// The new password does not meet the minimum policy.
    WeakPassword,
    /// The one-time code (a handover's, a new seat's) is wrong, used or not for this seat.
    HandoverCodeInvalid,
    /// The one-time code was right but has expired: the office must issue a new one.
    HandoverCodeExpired,
    /// This version of the item was already sent from another workstation of the seat, under
    /// another key (409); the answer's `item_id` names the item the office holds.
    AlreadySent,
    /// Too many writes from this seat in a short time (429); `Retry-After` says when to go on.
    RateLimited,
    /// The seat holds more unfinished or unused uploads than its quota allows (413).
    QuotaExceeded,
    /// The office's disk is nearly full; it takes no new files for now (507). Nothing stored is
    /// harmed; try again later.
    StorageFull,
    /// The request's body is not of the content type the route takes (415).
    UnsupportedMediaType,
    /// The office's database does not answer for now (503); `Retry-After` says when to try
    /// again. Nothing already stored is harmed.
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// Every code the office answers with, for tables and tests.
    pub const ALL: [ErrorCode; 31] = [
        ErrorCode::BadRequest,
        ErrorCode::WrongCredentials,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::IdempotencyKeyMissing,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::InvalidTransition,
        ErrorCode::Conflict,
        ErrorCode::Validation,
        ErrorCode::PayloadTooLarge,
        ErrorCode::AttachmentMissing,
        ErrorCode::UnsupportedFile,
        ErrorCode::DigestMismatch,
        ErrorCode::StaleDraft,
        ErrorCode::SignoffRequired,
        ErrorCode::PreflightFailed,
        ErrorCode::SeatHandedOver,
        ErrorCode::SeatHandedOverWipe,
        ErrorCode::SeatDisabled,
        ErrorCode::TooManyAttempts,
        ErrorCode::WeakPassword,
        ErrorCode::HandoverCodeInvalid,
        ErrorCode::HandoverCodeExpired,
        ErrorCode::AlreadySent,
        ErrorCode::RateLimited,
        ErrorCode::QuotaExceeded,
        ErrorCode::StorageFull,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unavailable,
        ErrorCode::Internal,
    ];

    /// The one HTTP status each code is answered with, so a code and its status always agree.
    pub fn http_status(self) -> u16 {
        use ErrorCode as E;
        match self {
            E::BadRequest | E::IdempotencyKeyMissing => 400,
            E::WrongCredentials
            | E::Unauthenticated
            | E::SeatHandedOver
            | E::SeatHandedOverWipe => 401,
            E::Forbidden | E::SeatDisabled => 403,
            E::NotFound => 404,
            E::InvalidTransition
            | E::Conflict
            | E::AttachmentMissing
            | E::StaleDraft
            | E::AlreadySent => 409,
            E::PayloadTooLarge | E::QuotaExceeded => 413,
            E::UnsupportedFile | E::UnsupportedMediaType => 415,
            E::IdempotencyKeyReused
            | E::Validation
            | E::DigestMismatch
            | E::SignoffRequired
            | E::PreflightFailed
            | E::WeakPassword
            | E::HandoverCodeInvalid
            | E::HandoverCodeExpired => 422,
            E::TooManyAttempts | E::RateLimited => 429,
            E::Internal => 500,
            E::Unavailable => 503,
            E::StorageFull => 507,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    /// For people reading logs; clients show their own text for `code`.
    pub message: String,
    /// The item the refusal is about, where the caller needs it (`already_sent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_is_listed_once_with_a_client_or_server_status() {
        let names: std::collections::HashSet<String> = ErrorCode::ALL
            .iter()
            .map(|c| serde_json::to_string(c).unwrap())
            .collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            let status = code.http_status();
            assert!((400..600).contains(&status), "{code:?} -> {status}");
            // Only the office's own failures are 5xx.
            assert_eq!(
                status >= 500,
                matches!(
                    code,
                    ErrorCode::Internal | ErrorCode::Unavailable | ErrorCode::StorageFull
                ),
                "{code:?}"
            );
        }
    }

    #[test]
    fn timeline_kind_names_round_trip_and_match_serde() {
        for k in TimelineKind::ALL {
            assert_eq!(TimelineKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
    }

    #[test]
    fn change_is_flat_and_tagged() {
        let change = Change {
            seq: 7,
            at: DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
            kind: ChangeKind::ItemReviewed {
                item_id: 3,
                draft_key: "k".into(),
                version: 1,
                receipt: "LS-1".into(),
                state: ItemState::Returned,
                published_url: None,
                review_comment: Some("请补充发布机关".into()),
                by: Some("周编辑".into()),
            },
        };
        let v = serde_json::to_value(&change).unwrap();
        assert_eq!(v["kind"], "item_reviewed");
        assert_eq!(v["seq"], 7);
        assert_eq!(v["state"], "returned");
        let back: Change = serde_json::from_value(v).unwrap();
        assert_eq!(back, change);
    }

    #[test]
    fn error_codes_are_snake_case() {
        let v = serde_json::to_value(ErrorCode::IdempotencyKeyReused).unwrap();
        assert_eq!(v, "idempotency_key_reused");
    }
}
