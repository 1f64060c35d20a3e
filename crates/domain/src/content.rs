//! What a submission must satisfy before it may leave the desk, and what the office checks again.

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Largest body, inline images included, in bytes of HTML.
pub const MAX_BODY_BYTES: usize = 30 * 1024 * 1024;

use crate::text::{self, Lines};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionProblem {
    #[error("the title is empty")]
    EmptyTitle,
    #[error("the title is longer than {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("the body is larger than {} MB", MAX_BODY_BYTES / 1024 / 1024)]
    BodyTooLarge,
    #[error("versions start at 1")]
    NoVersion,
    #[error("the draft key must be 1-128 characters on one line")]
    BadDraftKey,
    #[error("the title holds control characters or line breaks")]
    TitleNotOneLine,
    #[error("the body holds control characters")]
    BodyControlCharacters,
}

/// The first problem of a submission, if any.
pub fn check_submission(
    draft_key: &str,
    version: u32,
    title: &str,
    body_html: &str,
) -> Result<(), SubmissionProblem> {
    let title = title.trim();
    if title.is_empty() {
        return Err(SubmissionProblem::EmptyTitle);
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(SubmissionProblem::TitleTooLong);
    }
    if !text::is_clean(title, Lines::One) {
        return Err(SubmissionProblem::TitleNotOneLine);
    }
    if body_html.len() > MAX_BODY_BYTES {
        return Err(SubmissionProblem::BodyTooLarge);
    }
    if !text::is_clean(body_html, Lines::Many) {
        return Err(SubmissionProblem::BodyControlCharacters);
    }
    if version == 0 {
        return Err(SubmissionProblem::NoVersion);
    }
    if draft_key.trim().is_empty()
        || draft_key.len() > 128
        || !text::is_clean(draft_key, Lines::One)
    {
        return Err(SubmissionProblem::BadDraftKey);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubmissionProblem as P;

    fn check(title: &str, body_len: usize, version: u32, key: &str) -> Result<(), P> {
        check_submission(key, version, title, &"x".repeat(body_len))
    }

    /// title, body length, version, draft key, expected outcome
    type Case<'a> = (&'a str, usize, u32, &'a str, Result<(), P>);

    #[test]
    fn submissions_are_checked_in_order() {
        let long = "长".repeat(MAX_TITLE_CHARS + 1);
        let just = "长".repeat(MAX_TITLE_CHARS);
        let cases: &[Case<'_>] = &[
            ("关于开展安全检查的通知", 10, 1, "k", Ok(())),
            ("  ", 10, 1, "k", Err(P::EmptyTitle)),
            (&long, 10, 1, "k", Err(P::TitleTooLong)),
            (&just, 10, 1, "k", Ok(())),
            ("标题", MAX_BODY_BYTES + 1, 1, "k", Err(P::BodyTooLarge)),
            ("标题", 10, 0, "k", Err(P::NoVersion)),
            ("标题", 10, 1, "", Err(P::BadDraftKey)),
            ("标题", 10, 1, "k\u{0}", Err(P::BadDraftKey)),
            ("标题\n第二行", 10, 1, "k", Err(P::TitleNotOneLine)),
            ("标题\u{0}", 10, 1, "k", Err(P::TitleNotOneLine)),
        ];
        for (title, body, version, key, want) in cases {
            assert_eq!(&check(title, *body, *version, key), want, "{title:.10}");
        }
        // A body has lines, but no other control character.
        assert_eq!(
            check_submission("k", 1, "标题", "<p>一</p>\n<p>\t二</p>"),
            Ok(())
        );
        assert_eq!(
            check_submission("k", 1, "标题", "<p>\u{1b}</p>"),
            Err(P::BodyControlCharacters)
        );
    }
}
