//! Department sign-off (DESIGN.md invariant 3): what must be true before an item may leave its
//! department. Each department follows one policy, set by the office's administrator.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::AttachmentRef;

/// How a department signs off what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SignoffPolicy {
    /// The responsible person's seat approves or returns each item in their own desk; the office
    /// holds the item for them and the editors see it only after approval.
    #[default]
    InApp,
    /// The officer records who approved the item on paper and when, and attaches the signed
    /// approval form (审核签发单); the office shows the attestation to the editors.
    Attested,
}

impl SignoffPolicy {
    pub const ALL: [SignoffPolicy; 2] = [SignoffPolicy::InApp, SignoffPolicy::Attested];

    pub fn as_str(self) -> &'static str {
        match self {
            SignoffPolicy::InApp => "in_app",
            SignoffPolicy::Attested => "attested",
        }
    }

    pub fn parse(s: &str) -> Option<SignoffPolicy> {
        SignoffPolicy::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Longest approver name, in characters.
pub const MAX_APPROVER_CHARS: usize = 50;

/// An officer's record of a sign-off made outside the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Attestation {
    /// The responsible person who signed the approval form.
    pub approver: String,
    /// The date on the form (a Beijing date).
    pub approved_on: NaiveDate,
    /// The scanned or photographed form: one of the item's attachments, by its SHA-256.
    pub form_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignoffProblem {
    #[error(
        "this department attests its sign-off: name the approver, the date and the signed form"
    )]
    AttestationMissing,
    #[error("the approver's name is empty")]
    NoApprover,
    #[error("the approver's name is longer than {MAX_APPROVER_CHARS} characters")]
    ApproverTooLong,
    #[error("the approval date {0} is later than today")]
    DateInFuture(NaiveDate),
    #[error("the signed approval form is not among the item's attachments")]
    FormNotAttached,
}

/// Whether a send satisfies its department's sign-off policy, on the Beijing date `today`.
/// Under `InApp` the approval happens at the office afterwards, so there is nothing to check
/// here (an attestation sent anyway is ignored).
pub fn check_signoff(
    policy: SignoffPolicy,
    attestation: Option<&Attestation>,
    attachments: &[AttachmentRef],
    today: NaiveDate,
) -> Result<(), SignoffProblem> {
    if policy == SignoffPolicy::InApp {
        return Ok(());
    }
    let a = attestation.ok_or(SignoffProblem::AttestationMissing)?;
    let approver = a.approver.trim();
    if approver.is_empty() || !crate::text::is_clean(approver, crate::text::Lines::One) {
        return Err(SignoffProblem::NoApprover);
    }
    if approver.chars().count() > MAX_APPROVER_CHARS {
        return Err(SignoffProblem::ApproverTooLong);
    }
    if a.approved_on > today {
        return Err(SignoffProblem::DateInFuture(a.approved_on));
    }
    if !attachments.iter().any(|f| f.sha256 == a.form_sha256) {
        return Err(SignoffProblem::FormNotAttached);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use SignoffProblem as P;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn form() -> AttachmentRef {
        AttachmentRef {
            sha256: "f".repeat(64),
            name: "签发单.pdf".into(),
            size: 10,
            mime: "application/pdf".into(),
        }
    }

    fn attest(approver: &str, on: &str, sha: &str) -> Attestation {
        Attestation {
            approver: approver.into(),
            approved_on: day(on),
            form_sha256: sha.into(),
        }
    }

    /// The attestation, the item's files, the expected outcome.
    type Case = (Option<Attestation>, Vec<AttachmentRef>, Result<(), P>);

    #[test]
    fn attested_sends_need_a_named_dated_attached_approval() {
        let today = day("2026-11-27");
        let f = "f".repeat(64);
        let cases: Vec<Case> = vec![
            (None, vec![form()], Err(P::AttestationMissing)),
            (
                Some(attest("  ", "2026-11-27", &f)),
                vec![form()],
                Err(P::NoApprover),
            ),
            (
                Some(attest(&"李".repeat(51), "2026-11-27", &f)),
                vec![form()],
                Err(P::ApproverTooLong),
            ),
            (
                Some(attest("李建国", "2026-11-28", &f)),
                vec![form()],
                Err(P::DateInFuture(day("2026-11-28"))),
            ),
            (
                Some(attest("李建国", "2026-11-27", &f)),
                vec![],
                Err(P::FormNotAttached),
            ),
            (
                Some(attest("李建国", "2026-11-27", &"0".repeat(64))),
                vec![form()],
                Err(P::FormNotAttached),
            ),
            (
                Some(attest("李建国", "2026-11-20", &f)),
                vec![form()],
                Ok(()),
            ),
            (
                Some(attest(&"李".repeat(50), "2026-11-27", &f)),
                vec![form()],
                Ok(()),
            ),
        ];
        for (attestation, files, want) in cases {
            let got = check_signoff(SignoffPolicy::Attested, attestation.as_ref(), &files, today);
            assert_eq!(got, want, "{attestation:?} with {} files", files.len());
        }
    }

    #[test]
    fn in_app_departments_are_signed_off_at_the_office_not_here() {
        let today = day("2026-11-27");
        assert_eq!(
            check_signoff(SignoffPolicy::InApp, None, &[], today),
            Ok(())
        );
    }

    #[test]
    fn policy_names_round_trip_and_match_serde() {
        for p in SignoffPolicy::ALL {
            assert_eq!(SignoffPolicy::parse(p.as_str()), Some(p));
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
    }
}
