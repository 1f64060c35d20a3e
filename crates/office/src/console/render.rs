//! Templates, the console's words in each language, and what pages show of times and bodies.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::Environment;
use serde::Serialize;

use liaison_domain::attachment::INLINE_FILE_SCHEME;
use liaison_domain::calendar::BEIJING;

/// Every page's template, by name.
const SOURCES: [(&str, &str); 20] = [
    (
        "ranking.html",
        include_str!("../../console/templates/ranking.html"),
    ),
    (
        "ranking_department.html",
        include_str!("../../console/templates/ranking_department.html"),
    ),
    (
        "ranking_scheme.html",
        include_str!("../../console/templates/ranking_scheme.html"),
    ),
    (
        "base.html",
        include_str!("../../console/templates/base.html"),
    ),
    (
        "sign_in.html",
        include_str!("../../console/templates/sign_in.html"),
    ),
    (
        "inbox.html",
        include_str!("../../console/templates/inbox.html"),
    ),
    (
        "item.html",
        include_str!("../../console/templates/item.html"),
    ),
    (
        "departments.html",
        include_str!("../../console/templates/departments.html"),
    ),
    (
        "seats.html",
        include_str!("../../console/templates/seats.html"),
    ),
    (
        "handover_code.html",
        include_str!("../../console/templates/handover_code.html"),
    ),
    (
        "error.html",
        include_str!("../../console/templates/error.html"),
    ),
    (
        "organisation.html",
        include_str!("../../console/templates/organisation.html"),
    ),
    (
        "seat_rows.html",
        include_str!("../../console/templates/seat_rows.html"),
    ),
    (
        "seat_codes.html",
        include_str!("../../console/templates/seat_codes.html"),
    ),
    (
        "calendar.html",
        include_str!("../../console/templates/calendar.html"),
    ),
    (
        "word_lists.html",
        include_str!("../../console/templates/word_lists.html"),
    ),
    (
        "import.html",
        include_str!("../../console/templates/import.html"),
    ),
    (
        "watch.html",
        include_str!("../../console/templates/watch.html"),
    ),
    (
        "commissions.html",
        include_str!("../../console/templates/commissions.html"),
    ),
    (
        "commission.html",
        include_str!("../../console/templates/commission.html"),
    ),
];

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Names end in .html, so every value is HTML-escaped unless a page marks it safe.
    for (name, source) in SOURCES {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary and a test compiles every one.
            tracing::error!(template = name, error = %e, "console template does not compile");
        }
    }
    env
});

static ZH_CN: LazyLock<serde_json::Value> =
    LazyLock::new(|| words(include_str!("../../console/i18n/zh-CN.json")));
static EN: LazyLock<serde_json::Value> =
    LazyLock::new(|| words(include_str!("../../console/i18n/en.json")));

fn words(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap_or_else(|e| {
        tracing::error!(error = %e, "console words do not parse");
        serde_json::Value::Null
    })
}

/// The console's language: Chinese unless the browser asks for English first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub fn of(headers: &HeaderMap) -> Lang {
        let first = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    pub fn words(self) -> &'static serde_json::Value {
        match self {
            Lang::ZhCn => &ZH_CN,
            Lang::En => &EN,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// One word by its dotted key, e.g. `state.delivered`; the key itself if it is missing.
    pub fn word(self, key: &str) -> String {
        key.split('.')
            .try_fold(self.words(), |v, k| v.get(k))
            .and_then(|v| v.as_str())
            .map_or_else(|| key.to_owned(), str::to_owned)
    }
}

/// Renders a page with `status`; `page` is serialised into the template's context as `page`,
/// next to the words `t` and the language `lang`.
pub fn page(status: StatusCode, lang: Lang, template: &str, page: impl Serialize) -> Response {
    let ctx = minijinja::context! {
        t => minijinja::Value::from_serialize(lang.words()),
        lang => lang.tag(),
        page => minijinja::Value::from_serialize(&page),
    };
    let rendered = TEMPLATES.get_template(template).and_then(|t| t.render(ctx));
    let mut response = match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "console page failed to render");
            // Plain words: the error page is a template too.
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.word("error.internal"),
            )
                .into_response()
        }
    };
    super::page_headers(response.headers_mut());
    response
}

#[derive(Serialize)]
struct ErrorPage {
    text: String,
    error_id: Option<String>,
}

/// A page saying why something could not be done, in the console's own form and headers.
pub fn error_page(status: StatusCode, lang: Lang, text: String) -> Response {
    page(
        status,
        lang,
        "error.html",
        ErrorPage {
            text,
            error_id: None,
        },
    )
}

/// The page for a failure of the office itself: the words for it and an id the log also holds,
/// never the cause.
pub fn server_error_page(lang: Lang, cause: &str) -> Response {
    let id = crate::web::error_id();
    tracing::error!(error_id = %id, cause, "console request failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        lang,
        "error.html",
        ErrorPage {
            text: lang.word("error.internal"),
            error_id: Some(id),
        },
    )
}

pub async fn stylesheet() -> Response {
    let mut response = include_str!("../../console/console.css").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

/// A time as Beijing wall-clock time, to the minute.
pub fn beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&BEIJING)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// How long something has waited, in the largest two units that matter.
pub fn waited(lang: Lang, since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - since).num_minutes().max(0);
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |k: &str| lang.word(&format!("time.{k}"));
    if d > 0 {
        format!("{d}{} {h}{}", unit("days"), unit("hours"))
    } else if h > 0 {
        format!("{h}{} {m}{}", unit("hours"), unit("minutes"))
    } else {
        format!("{m}{}", unit("minutes"))
    }
}

/// An item's body for the console: cleaned again (it was cleaned when stored; showing is the
/// second line of defence), with its inline images pointing at the item's files.
pub fn body_for_console(item_id: i64, body_html: &str) -> String {
    let clean = liaison_domain::sanitize::body_html(body_html);
    let marker = format!("src=\"{INLINE_FILE_SCHEME}");
    let mut out = String::with_capacity(clean.len());
    let mut rest = clean.as_str();
    while let Some(at) = rest.find(&marker) {
        out.push_str(&rest[..at]);
        let after = &rest[at + marker.len()..];
        let digest: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
        if digest.len() == 64 && after[64..].starts_with('"') {
            out.push_str(&format!("src=\"/items/{item_id}/files/{digest}"));
            rest = &after[64..];
        } else {
            // A malformed reference shows as a broken image and points nowhere.
            out.push_str("src=\"");
            rest = &after[after.find('"').unwrap_or(after.len())..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    keys(&format!("{prefix}{k}."), v, out);
                }
            }
            _ => out.push(prefix.trim_end_matches('.').to_owned()),
        }
    }

    #[test]
    fn both_languages_have_the_same_words() {
        let (mut zh, mut en) = (Vec::new(), Vec::new());
        keys("", Lang::ZhCn.words(), &mut zh);
        keys("", Lang::En.words(), &mut en);
        assert!(zh.len() > 40, "{} words", zh.len());
        zh.sort();
        en.sort();
        assert_eq!(zh, en);
    }

    #[test]
    fn every_template_compiles() {
        for (name, source) in SOURCES {
            let mut env = Environment::new();
            for (other, source) in SOURCES.iter().filter(|(n, _)| *n != name) {
                let _ = env.add_template(other, source);
            }
            if let Err(e) = env.add_template(name, source) {
                panic!("{name}: {e:#}");
            }
            assert!(TEMPLATES.get_template(name).is_ok(), "{name} is served");
        }
    }

    #[test]
    fn inline_images_point_at_the_item_and_nothing_else_survives() {
        let sha = "a".repeat(64);
        let body = format!(
            "<p>x</p><img src=\"liaison-file:{sha}\" alt=\"图\"><img src=\"liaison-file:../../sign-out\" alt=\"\">\
             <img src=x onerror=alert(1)><script>alert(2)</script><a href=\"javascript:alert(3)\">链接</a>"
        );
        let shown = body_for_console(7, &body);
        assert!(
            shown.contains(&format!("src=\"/items/7/files/{sha}\"")),
            "{shown}"
        );
        assert!(!shown.contains("sign-out"), "{shown}");
        for bad in ["onerror", "<script", "javascript:"] {
            assert!(!shown.contains(bad), "{bad} in {shown}");
        }
    }

    #[test]
    fn waiting_times_read_in_days_hours_or_minutes() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-27T00:00:00Z")
            .unwrap()
            .to_utc();
        let zh = Lang::ZhCn;
        assert_eq!(waited(zh, t0, t0 + chrono::Duration::minutes(12)), "12分钟");
        assert_eq!(
            waited(zh, t0, t0 + chrono::Duration::minutes(125)),
            "2小时 5分钟"
        );
        assert_eq!(
            waited(zh, t0, t0 + chrono::Duration::hours(50)),
            "2天 2小时"
        );
        assert_eq!(
            waited(Lang::En, t0, t0 + chrono::Duration::hours(50)),
            "2 d 2 h"
        );
    }
}
