//! What the console says when the service refuses: the console's own words for each kind of
//! refusal, in the page's language, with the status of the page. A failure of the office
//! itself shows its error id only, and its cause goes to the log.

use axum::http::StatusCode;
use axum::response::Response;
use liaison_domain::organisation::OrgProblem;

use super::render::{self, Lang};
use crate::store::StoreError;

/// The status of the page that says why.
pub fn status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::NotFound => StatusCode::NOT_FOUND,
        StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        StoreError::IllegalTransition(_) | StoreError::Conflict(_) => StatusCode::CONFLICT,
        StoreError::Organisation(
            OrgProblem::LoginTaken(_)
            | OrgProblem::DepartmentNameTaken(_)
            | OrgProblem::PathTaken(_),
        ) => StatusCode::CONFLICT,
        StoreError::Invalid(_)
        | StoreError::Organisation(_)
        | StoreError::Commission(_)
        | StoreError::Urge(_)
        | StoreError::Scheme(_) => StatusCode::UNPROCESSABLE_ENTITY,
        StoreError::Backend(_) => StatusCode::INTERNAL_SERVER_ERROR,
        StoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The words for a refusal (the generic words for a failure of the office itself).
pub fn words(lang: Lang, e: &StoreError) -> String {
    match e {
        StoreError::NotFound => lang.word("error.not_found"),
        StoreError::Forbidden(_) => lang.word("error.forbidden"),
        StoreError::IllegalTransition(_) => lang.word("error.invalid_transition"),
        StoreError::Conflict(_) => lang.word("error.conflict"),
        StoreError::Invalid(_) => lang.word("error.validation"),
        StoreError::Organisation(p) => lang
            .word(&format!("organisation.problem.{}", p.code()))
            .replace("{what}", &subject_words(lang, p)),
        StoreError::Commission(p) => lang.word(&format!("commissions.problem.{}", p.code())),
        StoreError::Urge(p) => lang.word(&format!("watch.urge.problem.{}", p.code())),
        StoreError::Scheme(p) => {
            use liaison_domain::score::{MAX_POINTS, MAX_URGES_FLAGGING_A_WEEK, SchemeProblem};
            let max = match p {
                SchemeProblem::FlagOutOfRange => MAX_URGES_FLAGGING_A_WEEK.to_string(),
                _ => MAX_POINTS.to_string(),
            };
            lang.word(&format!("ranking.scheme.problem.{}", p.code()))
                .replace("{max}", &max)
        }
        StoreError::Backend(_) => lang.word("error.internal"),
        StoreError::Unavailable(_) => lang.word("error.unavailable"),
    }
}

/// A rule's subject in the page's language: a field's name, or the value as typed.
fn subject_words(lang: Lang, p: &OrgProblem) -> String {
    match p {
        OrgProblem::Empty { field }
        | OrgProblem::TooLong { field, .. }
        | OrgProblem::NotOneLine { field } => {
            lang.word(&format!("organisation.field.{}", field.replace(' ', "_")))
        }
        _ => p.subject(),
    }
}

/// The page for a refusal; a failure of the office itself is logged with the id the page shows.
pub fn page(lang: Lang, e: &StoreError) -> Response {
    match e {
        StoreError::Backend(cause) => render::server_error_page(lang, cause),
        StoreError::Unavailable(cause) => {
            tracing::warn!(%cause, "the database does not answer");
            let mut page = render::error_page(status(e), lang, words(lang, e));
            page.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(crate::api::UNAVAILABLE_RETRY_AFTER_SECS),
            );
            page
        }
        _ => render::error_page(status(e), lang, words(lang, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every refusal has words of its own in both languages, never the key itself.
    #[test]
    fn every_refusal_is_worded_in_both_languages() {
        let refusals = [
            StoreError::NotFound,
            StoreError::Forbidden("x"),
            StoreError::IllegalTransition(liaison_domain::IllegalTransition {
                from: liaison_domain::ItemState::Accepted,
                event: liaison_domain::ItemEvent::Accept,
            }),
            StoreError::Conflict("x".into()),
            StoreError::Invalid("x".into()),
            StoreError::Organisation(OrgProblem::Empty {
                field: "department name",
            }),
            StoreError::Organisation(OrgProblem::LoginTaken("li".into())),
            StoreError::Commission(
                liaison_domain::commission::CommissionProblem::WorkingDaysOutOfRange,
            ),
            StoreError::Urge(liaison_domain::urge::UrgeProblem::TooLong),
            StoreError::Scheme(liaison_domain::score::SchemeProblem::NoRules),
            StoreError::Scheme(liaison_domain::score::SchemeProblem::OutOfRange(
                liaison_domain::score::ScoreRule::FlaggedWeek,
            )),
            StoreError::Scheme(liaison_domain::score::SchemeProblem::FlagOutOfRange),
            StoreError::Backend("x".into()),
        ];
        for lang in [Lang::ZhCn, Lang::En] {
            for e in &refusals {
                let w = words(lang, e);
                assert!(
                    !w.is_empty() && !w.starts_with("error.") && !w.starts_with("organisation."),
                    "{e:?}: {w}"
                );
                assert!(
                    !w.contains("{what}") && !w.contains("{max}") && !w.contains(".problem."),
                    "{e:?}: {w}"
                );
            }
        }
        assert_eq!(
            words(Lang::ZhCn, &StoreError::NotFound),
            "没有找到这篇稿件。"
        );
        assert_eq!(status(&refusals[6]), StatusCode::CONFLICT);
        assert_eq!(status(&refusals[5]), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
