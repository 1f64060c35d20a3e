//! What can go wrong on the desk, in terms a front end can act on.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::tls::CertificateRefusal;

/// A stable code per kind of failure; the UI shows its own sentence for each (zh-CN, en).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DeskErrorCode {
    KeyringUnavailable,
    OfficeUnreachable,
    /// The office asked this seat to slow down (too many changes in a short time); the desk
    /// tries again by itself after the wait it was given.
    OfficeBusy,
    WrongPassword,
    SessionExpired,
    NotSignedIn,
    NotFound,
    InvalidState,
    RejectedByOffice,
    FileNotAllowed,
    /// The department's sign-off is missing or incomplete (attested departments).
    SignoffRequired,
    /// The seat was handed to a successor: this desk no longer sends, and is read-only.
    SeatHandedOver,
    /// The editorial office disabled the seat: nothing is sent until it is enabled again; what
    /// waits to be sent stays on this computer.
    SeatDisabled,
    /// A blocking pre-flight problem; the window lists them (`preflight`).
    PreflightFailed,
    /// A handover cannot start while something would be lost (see the detail).
    HandoverBlocked,
    Storage,
    Internal,
    /// Plain `http://` to an address that is not this computer: only `https://` goes there.
    PlainHttpRefused,
    /// What was typed as the office's address is not an http(s) address.
    BadOfficeAddress,
    /// Another seat's items still wait to be sent from this desk: it cannot take a new seat
    /// until they have gone (`data` names that seat).
    OtherSeatUnsent,
    /// No CA file is set and the system does not trust the office's certificate: the officer
    /// compares its fingerprint with the office's and may trust it (`certificate` in the view).
    CertificateUnknown,
    /// The office is trusted with a pinned certificate and showed another one.
    CertificateChanged,
    /// A CA file is set, and the office's certificate is not signed by it (nor by the system's).
    CertificateNotTrusted,
    /// The CA file in the settings cannot be read or holds no certificate.
    CaFileInvalid,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// No Secret Service (or the platform keyring) could be reached.
    #[error("the system keyring is unavailable: {0}")]
    KeyringUnavailable(String),
    #[error("the office could not be reached: {0}")]
    OfficeUnreachable(String),
    /// The office asked the desk to slow down (429 with `Retry-After`): try again, but not
    /// before `retry_after`.
    #[error("the office asks to wait {} s: {detail}", .retry_after.as_secs())]
    OfficeBusy {
        retry_after: std::time::Duration,
        detail: String,
    },
    /// The office answered with its own error code, one that passes with time (its database
    /// away, its disk nearly full, a seat writing too fast): try again, not before `retry_after`
    /// when it named one.
    #[error("the office could not take it now: HTTP {status}: {code}: {message}")]
    OfficeTransient {
        status: u16,
        code: String,
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    #[error("wrong login or password")]
    WrongPassword,
    #[error("the session has expired; sign in again")]
    SessionExpired,
    #[error("not signed in")]
    NotSignedIn,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    InvalidState(String),
    /// The office refused a request in a way retrying cannot fix.
    #[error("the office refused: {code}: {message}")]
    RejectedByOffice {
        status: u16,
        code: String,
        message: String,
        /// When the office takes the next attempt (its `Retry-After`), for a refusal that passes
        /// with time, such as too many failed sign-ins. The worker does not retry these.
        wait: Option<std::time::Duration>,
    },
    /// The office holds this version already, sent from another workstation of the seat
    /// (`item_id`); the desk takes the office's copy instead of sending.
    #[error(
        "the office holds this version already, sent from another workstation (item {item_id})"
    )]
    SentElsewhere { item_id: i64 },
    /// A file cannot be attached: its type, its size or its name.
    #[error("{0}")]
    FileNotAllowed(String),
    /// The department's sign-off policy is not met: the attestation is missing or incomplete.
    #[error("{0}")]
    SignoffRequired(String),
    /// The draft has blocking pre-flight problems.
    #[error("the item cannot be sent yet: {}", blocking_rules(.0))]
    PreflightFailed(Vec<liaison_domain::preflight::Problem>),
    /// The office ended this seat's sessions because it went to a successor.
    #[error("this seat was handed over to a successor; this workstation no longer sends")]
    SeatHandedOver { wipe: bool },
    /// The office's administrator disabled the seat.
    #[error("the editorial office disabled this seat: {0}")]
    SeatDisabled(String),
    /// Not everything is at the office yet: these items would be lost (their titles as written;
    /// an empty one is an untitled draft).
    #[error("not yet at the office: {0:?}")]
    HandoverBlocked(Vec<String>),
    /// The successor named for a handover is not plausible.
    #[error("{0}")]
    InvalidSuccessor(liaison_domain::handover::SuccessorProblem),
    /// The office does not hold (all of) a send's files, or holds a different part of one than
    /// the desk thought: upload again from where the office is.
    #[error("the office needs the files again: {0}")]
    FilesOutOfStep(String),
    #[error("local storage failed: {0}")]
    Storage(String),
    /// Plain HTTP to an address off this computer, refused before any connection.
    #[error("plain http:// is only for this computer; use https:// for {0}")]
    PlainHttpRefused(String),
    #[error("not an office address (http:// or https://): {0}")]
    BadOfficeAddress(String),
    /// Items of the seat `login` at `office_url` still wait to be sent on this desk.
    #[error(
        "items of {login} at {office_url} still wait to be sent on this desk; sign in as that \
         seat and let them go first"
    )]
    OtherSeatUnsent { office_url: String, login: String },
    /// The office's certificate was refused (unknown, changed, or not by a trusted CA).
    #[error(transparent)]
    Certificate(#[from] crate::tls::CertificateRefusal),
    #[error("the CA file cannot be used: {0}")]
    CaFileInvalid(String),
    #[error("{0}")]
    Internal(String),
}

impl DeskError {
    pub fn code(&self) -> DeskErrorCode {
        match self {
            DeskError::KeyringUnavailable(_) => DeskErrorCode::KeyringUnavailable,
            DeskError::OfficeUnreachable(_) => DeskErrorCode::OfficeUnreachable,
            DeskError::OfficeBusy { .. } => DeskErrorCode::OfficeBusy,
            DeskError::OfficeTransient { retry_after, .. } => match retry_after {
                Some(_) => DeskErrorCode::OfficeBusy,
                None => DeskErrorCode::OfficeUnreachable,
            },
            DeskError::WrongPassword => DeskErrorCode::WrongPassword,
            DeskError::SessionExpired => DeskErrorCode::SessionExpired,
            DeskError::NotSignedIn => DeskErrorCode::NotSignedIn,
            DeskError::NotFound(_) => DeskErrorCode::NotFound,
            DeskError::InvalidState(_) | DeskError::InvalidSuccessor(_) => {
                DeskErrorCode::InvalidState
            }
            DeskError::RejectedByOffice { .. } | DeskError::SentElsewhere { .. } => {
                DeskErrorCode::RejectedByOffice
            }
            DeskError::FileNotAllowed(_) => DeskErrorCode::FileNotAllowed,
            DeskError::SignoffRequired(_) => DeskErrorCode::SignoffRequired,
            DeskError::SeatHandedOver { .. } => DeskErrorCode::SeatHandedOver,
            DeskError::SeatDisabled(_) => DeskErrorCode::SeatDisabled,
            DeskError::PreflightFailed(_) => DeskErrorCode::PreflightFailed,
            DeskError::HandoverBlocked(_) => DeskErrorCode::HandoverBlocked,
            DeskError::FilesOutOfStep(_) => DeskErrorCode::OfficeUnreachable,
            DeskError::Storage(_) => DeskErrorCode::Storage,
            DeskError::Internal(_) => DeskErrorCode::Internal,
            DeskError::PlainHttpRefused(_) => DeskErrorCode::PlainHttpRefused,
            DeskError::BadOfficeAddress(_) => DeskErrorCode::BadOfficeAddress,
            DeskError::OtherSeatUnsent { .. } => DeskErrorCode::OtherSeatUnsent,
            DeskError::Certificate(r) => match r {
                CertificateRefusal::Unknown { .. } => DeskErrorCode::CertificateUnknown,
                CertificateRefusal::Changed { .. } => DeskErrorCode::CertificateChanged,
                CertificateRefusal::NotByTrustedCa { .. } => DeskErrorCode::CertificateNotTrusted,
            },
            DeskError::CaFileInvalid(_) => DeskErrorCode::CaFileInvalid,
        }
    }

    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            DeskError::OfficeUnreachable(_)
                | DeskError::OfficeBusy { .. }
                | DeskError::OfficeTransient { .. }
                | DeskError::FilesOutOfStep(_)
                // Kept and tried again: the administrator may enable the seat.
                | DeskError::SeatDisabled(_)
        )
    }

    /// How long the office asked the desk to wait before trying again, if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            DeskError::OfficeBusy { retry_after, .. } => Some(*retry_after),
            DeskError::OfficeTransient { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

fn blocking_rules(problems: &[liaison_domain::preflight::Problem]) -> String {
    problems
        .iter()
        .filter(|p| p.severity == liaison_domain::preflight::Severity::Blocking)
        .map(|p| {
            format!(
                "{:?}{}",
                p.rule,
                p.found
                    .as_deref()
                    .map(|f| format!(" ({f})"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<rusqlite::Error> for DeskError {
    fn from(e: rusqlite::Error) -> Self {
        DeskError::Storage(e.to_string())
    }
}

impl From<liaison_sqlite::OpenError> for DeskError {
    fn from(e: liaison_sqlite::OpenError) -> Self {
        DeskError::Storage(e.to_string())
    }
}

/// The error as it crosses into a front end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, rename = "DeskError")]
pub struct DeskErrorView {
    pub code: DeskErrorCode,
    /// The technical detail, shown small under the translated sentence.
    pub detail: String,
    /// The fingerprints of a refused office certificate, for the officer to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub certificate: Option<CertificateView>,
    /// What the window needs to say exactly what went wrong, as values: it never reads them
    /// out of `detail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    // Boxed: most errors carry none, and the view stays small on every `Err` path.
    pub data: Option<Box<DeskErrorData>>,
}

/// The values an error carries for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum DeskErrorData {
    /// The office refused: its HTTP status, its error code (as the API names it) and, when it
    /// said so, the seconds until it takes another attempt.
    Office {
        status: u16,
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        retry_after_secs: Option<u64>,
    },
    /// What is not yet at the office, oldest first, by title as written (an empty title is an
    /// untitled draft).
    Pending { titles: Vec<String> },
    /// The blocking pre-flight problems of a send.
    Preflight {
        problems: Vec<liaison_domain::preflight::Problem>,
    },
    /// What is wrong with the successor named for a handover.
    Successor {
        problem: liaison_domain::handover::SuccessorProblem,
    },
    /// Another seat, whose items still wait to be sent from this desk.
    OtherSeat { office_url: String, login: String },
}

impl DeskErrorData {
    fn of(e: &DeskError) -> Option<DeskErrorData> {
        match e {
            DeskError::RejectedByOffice {
                status,
                code,
                wait: retry_after,
                ..
            }
            | DeskError::OfficeTransient {
                status,
                code,
                retry_after,
                ..
            } => Some(DeskErrorData::Office {
                status: *status,
                code: code.clone(),
                retry_after_secs: retry_after.map(|w| w.as_secs()),
            }),
            DeskError::HandoverBlocked(titles) => Some(DeskErrorData::Pending {
                titles: titles.clone(),
            }),
            DeskError::PreflightFailed(problems) => Some(DeskErrorData::Preflight {
                problems: problems.clone(),
            }),
            DeskError::InvalidSuccessor(problem) => {
                Some(DeskErrorData::Successor { problem: *problem })
            }
            DeskError::OtherSeatUnsent { office_url, login } => Some(DeskErrorData::OtherSeat {
                office_url: office_url.clone(),
                login: login.clone(),
            }),
            _ => None,
        }
    }
}

/// A refused office certificate: the SHA-256 fingerprint it has, and the one the desk trusts
/// for that office when it is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CertificateView {
    pub presented: String,
    pub pinned: Option<String>,
}

impl From<&DeskError> for DeskErrorView {
    fn from(e: &DeskError) -> Self {
        DeskErrorView {
            code: e.code(),
            detail: e.to_string(),
            certificate: match e {
                DeskError::Certificate(CertificateRefusal::Changed { pinned, presented }) => {
                    Some(CertificateView {
                        presented: presented.clone(),
                        pinned: Some(pinned.clone()),
                    })
                }
                DeskError::Certificate(
                    CertificateRefusal::Unknown { presented }
                    | CertificateRefusal::NotByTrustedCa { presented, .. },
                ) => Some(CertificateView {
                    presented: presented.clone(),
                    pinned: None,
                }),
                _ => None,
            },
            data: DeskErrorData::of(e).map(Box::new),
        }
    }
}
