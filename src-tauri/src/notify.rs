//! Desktop notifications for the desk's notices, in the window's language. The sentences are the
//! window's own (`ui/src/i18n/*.json`, under `notify`), so each exists once.

use chrono::Datelike;
use liaison_desk::duties::{NoticeKind, NoticeView};
use liaison_domain::ItemState;
use liaison_domain::wire::CommissionNews;
use serde_json::Value;

const ZH_CN: &str = include_str!("../../ui/src/i18n/zh-CN.json");
const EN: &str = include_str!("../../ui/src/i18n/en.json");

/// The message at `path` (dot-separated) with `{name}` replaced from `params`.
fn say(messages: &Value, path: &str, params: &[(&str, String)]) -> String {
    let template = path
        .split('.')
        .try_fold(messages, |v, key| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or(path);
    params.iter().fold(template.to_owned(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}

fn messages(language: &str) -> Value {
    let source = if language == "en" { EN } else { ZH_CN };
    serde_json::from_str(source).unwrap_or(Value::Null)
}

/// One message of the window's, in `language`.
pub fn say_in(language: &str, path: &str) -> String {
    say(&messages(language), path, &[])
}

/// Title and body of a notice's notification in `language` ("zh-CN" or "en").
pub fn text(notice: &NoticeView, language: &str) -> (String, String) {
    let messages = messages(language);
    let f = &notice.facts;
    let days = f.overdue_days.map(|n| {
        let key = if f.working_days == Some(true) {
            "notify.days_working"
        } else {
            "notify.days_calendar"
        };
        say(&messages, key, &[("n", n.to_string())])
    });
    let due = f.due_at.map(|t| {
        // The last day to update on: the day before the due instant, in Beijing.
        let day = liaison_domain::calendar::last_day(t);
        if language == "en" {
            day.format("%Y-%m-%d").to_string()
        } else {
            format!("{}月{}日", day.month(), day.day())
        }
    });
    let params: Vec<(&str, String)> = [
        ("column", f.column_name.clone()),
        ("days", days),
        ("due", due),
        ("message", f.message.clone()),
        ("by", f.urged_by.clone().or_else(|| f.by.clone())),
        ("title", f.title.clone()),
        ("comment", f.review_comment.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.unwrap_or_default()))
    .collect();
    let key = match notice.kind {
        NoticeKind::DueSoon => "due_soon",
        NoticeKind::Overdue => "overdue",
        NoticeKind::StillOverdue => "still_overdue",
        NoticeKind::Urged => "urged",
        NoticeKind::Reviewed => match f.review_state {
            Some(ItemState::Accepted) => "reviewed_accepted",
            Some(ItemState::Rejected) => "reviewed_rejected",
            Some(ItemState::Delivered) => "signed_off",
            _ => "reviewed_returned",
        },
        NoticeKind::SignoffRequested => "signoff_requested",
        NoticeKind::Commented => "commented",
        NoticeKind::Commissioned => match f.commission {
            Some(CommissionNews::Extended) => "commission_extended",
            Some(CommissionNews::Withdrawn) => "commission_withdrawn",
            _ => "commission_posted",
        },
    };
    (
        say(&messages, &format!("notify.{key}.title"), &params),
        say(&messages, &format!("notify.{key}.body"), &params),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use liaison_desk::duties::NoticeFacts;

    fn overdue(days: u32, working: bool) -> NoticeView {
        NoticeView {
            id: 1,
            kind: NoticeKind::Overdue,
            column_id: Some(3),
            draft_id: None,
            facts: NoticeFacts {
                column_name: Some("教育动态".into()),
                overdue_days: Some(days),
                working_days: Some(working),
                ..NoticeFacts::default()
            },
            created_at: String::new(),
            read: false,
        }
    }

    #[test]
    fn notifications_read_in_the_windows_language() {
        let (title, body) = text(&overdue(2, true), "zh-CN");
        assert_eq!(title, "栏目已超期");
        assert_eq!(body, "「教育动态」已超期2个工作日，请尽快报送");
        let (title, body) = text(&overdue(9, false), "en");
        assert_eq!(title, "Column overdue");
        assert!(body.contains("9 day(s)"), "{body}");
    }
}
