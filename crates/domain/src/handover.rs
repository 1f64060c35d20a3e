//! Handing a seat (岗位账号) to a successor: who held it when, the states a handover goes
//! through, and what a new password must be.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A person who held a seat for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Holder {
    pub name: String,
    /// Staff number (工号).
    pub staff_no: String,
    pub phone: String,
    pub from: DateTime<Utc>,
    /// `None` while the person holds the seat.
    pub until: Option<DateTime<Utc>>,
}

/// The person who is to take a seat over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Successor {
    pub name: String,
    pub staff_no: String,
    pub phone: String,
}

/// Longest successor name, in characters.
pub const MAX_SUCCESSOR_NAME_CHARS: usize = 50;
/// Longest staff number (letters, digits and hyphens).
pub const MAX_STAFF_NO_CHARS: usize = 32;
/// How many digits a phone number has.
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 5..=20;

/// What is wrong with a successor, by field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SuccessorProblem {
    #[error("the successor's name is empty or longer than {MAX_SUCCESSOR_NAME_CHARS} characters")]
    Name,
    #[error("the staff number must be 1-{MAX_STAFF_NO_CHARS} letters, digits or hyphens")]
    StaffNo,
    #[error(
        "the phone number must be {}-{} digits, spaces, hyphens or a leading +",
        PHONE_DIGITS.start(),
        PHONE_DIGITS.end()
    )]
    Phone,
}

impl Successor {
    /// The successor, trimmed, if every field is plausible.
    pub fn checked(&self) -> Result<Successor, SuccessorProblem> {
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_SUCCESSOR_NAME_CHARS
            || !crate::text::is_clean(name, crate::text::Lines::One)
        {
            return Err(SuccessorProblem::Name);
        }
        let staff_no = self.staff_no.trim();
        if staff_no.is_empty()
            || staff_no.len() > MAX_STAFF_NO_CHARS
            || !staff_no
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(SuccessorProblem::StaffNo);
        }
        let phone = self.phone.trim();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
        if !PHONE_DIGITS.contains(&digits) || !allowed {
            return Err(SuccessorProblem::Phone);
        }
        Ok(Successor {
            name: name.to_owned(),
            staff_no: staff_no.to_owned(),
            phone: phone.to_owned(),
        })
    }
}

/// Where a handover is.
///
/// ```text
/// requested --approve--> approved --redeem--> completed
///     '------decline---> declined    '--(code expires)--> expired
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HandoverState {
    Requested,
    Approved,
    Declined,
    Completed,
    Expired,
}

impl HandoverState {
    pub const ALL: [HandoverState; 5] = [
        HandoverState::Requested,
        HandoverState::Approved,
        HandoverState::Declined,
        HandoverState::Completed,
        HandoverState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HandoverState::Requested => "requested",
            HandoverState::Approved => "approved",
            HandoverState::Declined => "declined",
            HandoverState::Completed => "completed",
            HandoverState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<HandoverState> {
        HandoverState::ALL.into_iter().find(|h| h.as_str() == s)
    }

    /// Still to be decided or redeemed: a seat has at most one open handover.
    pub fn is_open(self) -> bool {
        matches!(self, HandoverState::Requested | HandoverState::Approved)
    }

    /// The one handover state machine: `requested` is approved or declined by the
    /// administrator; an approved handover is completed when the successor redeems its code, or
    /// expires when the code is tried too late. Anything else is refused.
    pub fn apply(self, event: HandoverEvent) -> Result<HandoverState, IllegalHandoverStep> {
        use HandoverEvent as E;
        use HandoverState as S;
        match (self, event) {
            (S::Requested, E::Approve) => Ok(S::Approved),
            (S::Requested, E::Decline) => Ok(S::Declined),
            (S::Approved, E::Redeem) => Ok(S::Completed),
            (S::Approved, E::Expire) => Ok(S::Expired),
            (from, event) => Err(IllegalHandoverStep { from, event }),
        }
    }
}

/// What happens to a handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandoverEvent {
    Approve,
    Decline,
    /// The successor redeemed the code in time.
    Redeem,
    /// The code was tried after it expired.
    Expire,
}

impl HandoverEvent {
    pub const ALL: [HandoverEvent; 4] = [
        HandoverEvent::Approve,
        HandoverEvent::Decline,
        HandoverEvent::Redeem,
        HandoverEvent::Expire,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a handover that is {} cannot be {event:?}d", from.as_str())]
pub struct IllegalHandoverStep {
    pub from: HandoverState,
    pub event: HandoverEvent,
}

/// What becomes of the outgoing workstation's local data once it learns of the handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OutgoingData {
    /// Kept, read-only: the old holder can still read what they wrote.
    #[default]
    KeepReadOnly,
    /// Removed from the workstation (drafts, files, cached board).
    Wipe,
}

/// Longest reason given for a handover or for declining one, in characters.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonProblem {
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    TooLong,
    #[error("the reason holds control characters")]
    NotClean,
}

/// A reason as it is kept: trimmed, none if empty, at most [`MAX_REASON_CHARS`] characters of
/// text that may have lines but no other control characters.
pub fn checked_reason(reason: Option<&str>) -> Result<Option<String>, ReasonProblem> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ReasonProblem::TooLong);
    }
    if !crate::text::is_clean(reason, crate::text::Lines::Many) {
        return Err(ReasonProblem::NotClean);
    }
    Ok(Some(reason.to_owned()))
}

/// How long a handover code works after approval.
pub const HANDOVER_CODE_HOURS: i64 = 72;
/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("a password needs letters and at least one digit or symbol")]
    TooSimple,
    #[error("a password must not contain the login")]
    ContainsLogin,
}

/// The office's minimum password policy.
pub fn check_password(login: &str, password: &str) -> Result<(), PasswordProblem> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    let letters = password.chars().any(char::is_alphabetic);
    let others = password.chars().any(|c| !c.is_alphabetic());
    if !(letters && others) {
        return Err(PasswordProblem::TooSimple);
    }
    if !login.is_empty() && password.to_lowercase().contains(&login.to_lowercase()) {
        return Err(PasswordProblem::ContainsLogin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reason_is_trimmed_bounded_and_may_have_lines_but_no_other_control_characters() {
        let longest = "因".repeat(MAX_REASON_CHARS);
        assert_eq!(
            checked_reason(Some(&format!(" {longest}\n"))),
            Ok(Some(longest.clone()))
        );
        assert_eq!(
            checked_reason(Some(&format!("{longest}因"))),
            Err(ReasonProblem::TooLong)
        );
        assert_eq!(
            checked_reason(Some("调离\n另有安排")),
            Ok(Some("调离\n另有安排".into()))
        );
        assert_eq!(
            checked_reason(Some("调\u{7}离")),
            Err(ReasonProblem::NotClean)
        );
        assert_eq!(checked_reason(Some("   ")), Ok(None));
        assert_eq!(checked_reason(None), Ok(None));
    }

    use super::*;

    #[test]
    fn a_handover_moves_only_requested_to_decided_and_approved_to_done() {
        use HandoverEvent as E;
        use HandoverState as S;
        let allowed = [
            (S::Requested, E::Approve, S::Approved),
            (S::Requested, E::Decline, S::Declined),
            (S::Approved, E::Redeem, S::Completed),
            (S::Approved, E::Expire, S::Expired),
        ];
        for from in S::ALL {
            for event in E::ALL {
                let want = allowed
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.apply(event).ok(), want, "{from:?} {event:?}");
                if let Ok(to) = from.apply(event) {
                    assert!(from.is_open(), "only an open handover moves");
                    assert!(to != S::Requested);
                }
            }
        }
        for closed in [S::Declined, S::Completed, S::Expired] {
            assert!(
                E::ALL.iter().all(|e| closed.apply(*e).is_err()),
                "{closed:?} is final"
            );
        }
    }

    #[test]
    fn passwords_follow_the_minimum_policy() {
        let cases = [
            ("short1", Err(PasswordProblem::TooShort)),
            ("onlyletterslong", Err(PasswordProblem::TooSimple)),
            ("1234567890123", Err(PasswordProblem::TooSimple)),
            ("jyj.officer-2026", Err(PasswordProblem::ContainsLogin)),
            ("JYJ.OFFICER99x", Err(PasswordProblem::ContainsLogin)),
            ("春节值班2026年安排", Ok(())),
            ("winter-duty-7", Ok(())),
        ];
        for (password, want) in cases {
            assert_eq!(check_password("jyj.officer", password), want, "{password}");
        }
    }

    #[test]
    fn a_successor_needs_a_name_a_staff_number_and_a_phone() {
        let ok = Successor {
            name: " 周敏 ".into(),
            staff_no: "JY-0427".into(),
            phone: "+86 138-0000-1234".into(),
        };
        assert_eq!(ok.checked().unwrap().name, "周敏");
        let bad = |f: fn(&mut Successor)| {
            let mut s = ok.clone();
            f(&mut s);
            s.checked()
        };
        assert_eq!(bad(|s| s.name = " ".into()), Err(SuccessorProblem::Name));
        assert_eq!(
            bad(|s| s.staff_no = "工号1".into()),
            Err(SuccessorProblem::StaffNo)
        );
        assert_eq!(bad(|s| s.phone = "12".into()), Err(SuccessorProblem::Phone));
        assert_eq!(
            bad(|s| s.phone = "138+0000".into()),
            Err(SuccessorProblem::Phone)
        );
    }

    #[test]
    fn only_requested_and_approved_handovers_are_open_and_names_round_trip() {
        for h in HandoverState::ALL {
            assert_eq!(HandoverState::parse(h.as_str()), Some(h));
            assert_eq!(
                serde_json::to_string(&h).unwrap(),
                format!("\"{}\"", h.as_str())
            );
        }
        let open: Vec<_> = HandoverState::ALL
            .into_iter()
            .filter(|h| h.is_open())
            .collect();
        assert_eq!(open, [HandoverState::Requested, HandoverState::Approved]);
    }
}
