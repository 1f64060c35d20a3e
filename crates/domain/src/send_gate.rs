//! The gate a send passes: on the desk before it is queued, and at the office again before the
//! item is kept. One function, so both judge a send by the same rules in the same order and
//! refuse it for the same first reason.
//!
//! The order is the officer's order of work: what makes a send malformed (its text, its files)
//! first, then what the text says (the pre-flight checks), and the sign-off last, because a
//! sign-off is of the final text: fixing a pre-flight problem after signing would change what
//! was signed.

use chrono::NaiveDate;

use crate::attachment::{self, AttachmentProblem};
use crate::content::{self, SubmissionProblem};
use crate::preflight::{self, Problem, WordLists};
use crate::signoff::{self, SignoffPolicy, SignoffProblem};
use crate::wire::SubmitItemRequest;

/// Why a send may not pass, the first reason in the gate's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateRefusal {
    /// The title, the body or the draft's key and version.
    Content(SubmissionProblem),
    /// The files: their types and sizes, or an inline image the send does not carry.
    Files(AttachmentProblem),
    /// Blocking pre-flight problems; every problem found is listed, warnings included.
    Preflight(Vec<Problem>),
    /// The department's sign-off policy is not met.
    Signoff(SignoffProblem),
}

/// Checks `send` as it would leave the desk, for a department with `policy`, on the Beijing
/// date `today`, against the office's word `lists`. Passing, it returns the pre-flight's
/// warnings (nothing blocking).
pub fn check(
    send: &SubmitItemRequest,
    policy: SignoffPolicy,
    today: NaiveDate,
    lists: &WordLists,
) -> Result<Vec<Problem>, GateRefusal> {
    content::check_submission(&send.draft_key, send.version, &send.title, &send.body_html)
        .map_err(GateRefusal::Content)?;
    attachment::check_attachments(&send.attachments)
        .and_then(|()| attachment::check_inline_files(&send.body_html, &send.attachments))
        .map_err(GateRefusal::Files)?;
    let problems = preflight::check(
        preflight::Draft {
            column_id: Some(send.column_id),
            title: &send.title,
            body_html: &send.body_html,
            attachments: &send.attachments,
        },
        lists,
    );
    if preflight::blocks(&problems) {
        return Err(GateRefusal::Preflight(problems));
    }
    signoff::check_signoff(policy, send.attestation.as_ref(), &send.attachments, today)
        .map_err(GateRefusal::Signoff)?;
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttachmentRef;

    fn send(title: &str, body: &str) -> SubmitItemRequest {
        SubmitItemRequest {
            draft_key: "d1".into(),
            version: 1,
            column_id: 3,
            title: title.into(),
            body_html: body.into(),
            attachments: Vec::new(),
            attestation: None,
            commission_id: None,
        }
    }

    fn lists() -> WordLists {
        WordLists {
            forbidden: vec!["绝密".into()],
            misspellings: Vec::new(),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn reason(r: Result<Vec<Problem>, GateRefusal>) -> &'static str {
        match r {
            Ok(_) => "passes",
            Err(GateRefusal::Content(_)) => "content",
            Err(GateRefusal::Files(_)) => "files",
            Err(GateRefusal::Preflight(_)) => "preflight",
            Err(GateRefusal::Signoff(_)) => "signoff",
        }
    }

    #[test]
    fn a_send_is_refused_for_its_first_reason_in_the_gates_order() {
        let attested = SignoffPolicy::Attested;
        let in_app = SignoffPolicy::InApp;
        let fine = send("关于寒假安全工作的通知", "<p>各学校要做好安全教育。</p>");
        assert_eq!(reason(check(&fine, in_app, today(), &lists())), "passes");
        // No paper sign-off for an attested department: the last gate.
        assert_eq!(reason(check(&fine, attested, today(), &lists())), "signoff");
        // A forbidden word comes before the sign-off.
        let secret = send("关于寒假安全工作的通知", "<p>绝密文件</p>");
        assert_eq!(
            reason(check(&secret, attested, today(), &lists())),
            "preflight"
        );
        // A file of a type no one may send comes before the text's words.
        let mut with_exe = secret.clone();
        with_exe.attachments.push(AttachmentRef {
            sha256: "a".repeat(64),
            name: "setup.exe".into(),
            size: 10,
            mime: "application/x-msdownload".into(),
        });
        assert_eq!(
            reason(check(&with_exe, attested, today(), &lists())),
            "files"
        );
        // An empty title before everything else.
        let mut untitled = with_exe.clone();
        untitled.title = "  ".into();
        assert_eq!(
            reason(check(&untitled, attested, today(), &lists())),
            "content"
        );
    }

    #[test]
    fn passing_returns_the_warnings() {
        let mut lists = lists();
        lists.misspellings.push(crate::preflight::Misspelling {
            wrong: "按装".into(),
            right: "安装".into(),
        });
        let warned = send("关于按装监控的通知", "<p>正文</p>");
        let warnings = check(&warned, SignoffPolicy::InApp, today(), &lists).unwrap();
        assert!(!warnings.is_empty());
        assert!(!preflight::blocks(&warnings));
    }
}
