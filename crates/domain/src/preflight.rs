//! Pre-flight checks: what an item must satisfy before it is sent. The desk lists every problem
//! with its place in the text; blocking ones stop the send, warnings are shown. The office runs
//! the same checks and refuses what a desk would have blocked. The word lists are the office's.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::attachment::{self, AttachmentRef};
use crate::content::MAX_TITLE_CHARS;

/// The office's published lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct WordLists {
    /// Words that may not appear in an item (blocking).
    pub forbidden: Vec<String>,
    /// Common misspellings in official writing, with their correction (warning).
    pub misspellings: Vec<Misspelling>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Misspelling {
    pub wrong: String,
    pub right: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Severity {
    /// The item cannot be sent until it is fixed.
    Blocking,
    /// Shown; the officer decides.
    Warning,
}

/// Which rule found the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Rule {
    NoColumn,
    NoTitle,
    TitleTooLong,
    EmptyBody,
    ImageWithoutAlt,
    BadAttachment,
    MalformedLink,
    InsecureLink,
    ForbiddenWord,
    Misspelling,
}

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Field {
    Column,
    Title,
    Body,
    Attachments,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct Problem {
    pub rule: Rule,
    pub severity: Severity,
    pub field: Field,
    /// Character offset in the field's plain text (title or body text), when it has one.
    pub at: Option<u32>,
    /// The words around the place, or the link, image or file concerned.
    pub excerpt: String,
    /// The forbidden word, the misspelling, or the problem with a file.
    pub found: Option<String>,
    /// The correction of a misspelling.
    pub suggestion: Option<String>,
}

/// What is checked.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub column_id: Option<i64>,
    pub title: &'a str,
    pub body_html: &'a str,
    pub attachments: &'a [AttachmentRef],
}

/// Every problem of a draft, in the order of the text. The body's text and images are checked
/// as they will be stored (cleaned by [`crate::sanitize::body_html`]), so both sides judge the
/// same HTML; its links as the officer wrote them (cleaning drops a malformed address
/// silently), except script and data addresses, which cleaning removes as attacks.
pub fn check(draft: Draft<'_>, lists: &WordLists) -> Vec<Problem> {
    let written_links = parse_body(draft.body_html).links;
    let cleaned = crate::sanitize::body_html(draft.body_html);
    let draft = Draft {
        body_html: &cleaned,
        ..draft
    };
    let mut out = Vec::new();
    let problem = |rule, severity, field, at: Option<usize>, excerpt: String| Problem {
        rule,
        severity,
        field,
        at: at.map(|a| a as u32),
        excerpt,
        found: None,
        suggestion: None,
    };
    use Severity::{Blocking, Warning};
    if draft.column_id.is_none() {
        out.push(problem(
            Rule::NoColumn,
            Blocking,
            Field::Column,
            None,
            String::new(),
        ));
    }
    let title = draft.title.trim();
    if title.is_empty() {
        out.push(problem(
            Rule::NoTitle,
            Blocking,
            Field::Title,
            None,
            String::new(),
        ));
    } else if title.chars().count() > MAX_TITLE_CHARS {
        let excerpt: String = title.chars().skip(MAX_TITLE_CHARS).take(10).collect();
        out.push(problem(
            Rule::TitleTooLong,
            Blocking,
            Field::Title,
            Some(MAX_TITLE_CHARS),
            excerpt,
        ));
    }
    let body = parse_body(draft.body_html);
    if body.text.trim().is_empty() && body.images.is_empty() {
        out.push(problem(
            Rule::EmptyBody,
            Blocking,
            Field::Body,
            None,
            String::new(),
        ));
    }
    for img in &body.images {
        if img.alt.trim().is_empty() {
            let mut p = problem(
                Rule::ImageWithoutAlt,
                Blocking,
                Field::Body,
                Some(img.at),
                excerpt_at(&body.text, img.at),
            );
            p.found = Some(img.src.clone());
            out.push(p);
        }
    }
    let removed_as_attack = |href: &str| {
        let lower = href.trim_start().to_ascii_lowercase();
        ["javascript:", "vbscript:", "data:"]
            .iter()
            .any(|s| lower.starts_with(s))
    };
    for link in written_links
        .iter()
        .filter(|l| !l.href.trim().is_empty() && !removed_as_attack(&l.href))
    {
        let href = link.href.trim();
        let rule = match link_problem(href) {
            Some(rule) => rule,
            None => continue,
        };
        let severity = if rule == Rule::InsecureLink {
            Warning
        } else {
            Blocking
        };
        let mut p = problem(
            rule,
            severity,
            Field::Body,
            Some(link.at),
            link.text.clone(),
        );
        p.found = Some(href.to_owned());
        out.push(p);
    }
    if let Err(e) = attachment::check_attachments(draft.attachments) {
        let mut p = problem(
            Rule::BadAttachment,
            Blocking,
            Field::Attachments,
            None,
            String::new(),
        );
        p.found = Some(e.to_string());
        out.push(p);
    }
    for (field, text) in [(Field::Title, title), (Field::Body, body.text.as_str())] {
        for word in lists.forbidden.iter().filter(|w| !w.trim().is_empty()) {
            for at in char_positions(text, word) {
                let mut p = problem(
                    Rule::ForbiddenWord,
                    Blocking,
                    field,
                    Some(at),
                    excerpt_at(text, at),
                );
                p.found = Some(word.clone());
                out.push(p);
            }
        }
        for m in lists
            .misspellings
            .iter()
            .filter(|m| !m.wrong.trim().is_empty())
        {
            for at in char_positions(text, &m.wrong) {
                let mut p = problem(
                    Rule::Misspelling,
                    Warning,
                    field,
                    Some(at),
                    excerpt_at(text, at),
                );
                p.found = Some(m.wrong.clone());
                p.suggestion = Some(m.right.clone());
                out.push(p);
            }
        }
    }
    out.sort_by_key(|p| (field_order(p.field), p.at.unwrap_or(0)));
    out
}

/// Whether any problem stops the send.
pub fn blocks(problems: &[Problem]) -> bool {
    problems.iter().any(|p| p.severity == Severity::Blocking)
}

fn field_order(f: Field) -> u8 {
    match f {
        Field::Column => 0,
        Field::Title => 1,
        Field::Body => 2,
        Field::Attachments => 3,
    }
}

/// What is wrong with a link's address, if anything. Relative and `liaison-file:` addresses are
/// not links an item may carry; `mailto:` is fine; plain `http:` is a warning.
fn link_problem(href: &str) -> Option<Rule> {
    let lower = href.to_ascii_lowercase();
    if lower.starts_with("mailto:") && href.len() > 7 && href.contains('@') {
        return None;
    }
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Some(Rule::MalformedLink);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    let plausible = !host.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !href.chars().any(char::is_whitespace);
    if !plausible {
        Some(Rule::MalformedLink)
    } else if lower.starts_with("http://") {
        Some(Rule::InsecureLink)
    } else {
        None
    }
}

/// Character offsets of every occurrence of `needle` in `text`.
fn char_positions(text: &str, needle: &str) -> Vec<usize> {
    text.match_indices(needle)
        .map(|(byte, _)| text[..byte].chars().count())
        .collect()
}

/// Up to ten characters either side of a character offset.
fn excerpt_at(text: &str, at: usize) -> String {
    let start = at.saturating_sub(10);
    text.chars().skip(start).take(30).collect()
}

struct Image {
    src: String,
    alt: String,
    /// Character offset in the body's text where the image stands.
    at: usize,
}

struct Link {
    href: String,
    text: String,
    at: usize,
}

struct Body {
    text: String,
    images: Vec<Image>,
    links: Vec<Link>,
}

/// The plain text of a body: what a reader sees, blocks separated by line breaks, without tags,
/// scripts or styles. What the desk's search indexes.
pub fn plain_text(html: &str) -> String {
    parse_body(html).text
}

/// The body's plain text (blocks separated by line breaks), its images and links, each with its
/// place in the text.
fn parse_body(html: &str) -> Body {
    let mut body = Body {
        text: String::new(),
        images: Vec::new(),
        links: Vec::new(),
    };
    let Ok(dom) = tl::parse(html, tl::ParserOptions::default()) else {
        body.text = html.to_owned();
        return body;
    };
    let parser = dom.parser();
    let mut chars = 0usize;
    for handle in dom.children() {
        walk(*handle, parser, &mut body, &mut chars);
    }
    body
}

const BLOCKS: [&str; 12] = [
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "li",
    "tr",
    "td",
    "th",
    "blockquote",
    "div",
    "br",
];

fn walk(handle: tl::NodeHandle, parser: &tl::Parser<'_>, body: &mut Body, chars: &mut usize) {
    let Some(node) = handle.get(parser) else {
        return;
    };
    match node {
        tl::Node::Raw(raw) => {
            let text = decode_entities(&raw.as_utf8_str());
            *chars += text.chars().count();
            body.text.push_str(&text);
        }
        tl::Node::Tag(tag) => {
            let name = tag.name().as_utf8_str().to_ascii_lowercase();
            let attr = |key: &str| {
                tag.attributes()
                    .get(key)
                    .flatten()
                    .map(|v| decode_entities(&v.as_utf8_str()))
                    .unwrap_or_default()
            };
            match name.as_str() {
                "img" => body.images.push(Image {
                    src: attr("src"),
                    alt: attr("alt"),
                    at: *chars,
                }),
                "script" | "style" => return,
                _ => {}
            }
            let start = *chars;
            for child in tag.children().top().iter() {
                walk(*child, parser, body, chars);
            }
            if name == "a" {
                let text: String = body.text.chars().skip(start).collect();
                body.links.push(Link {
                    href: attr("href"),
                    text,
                    at: start,
                });
            }
            if BLOCKS.contains(&name.as_str()) {
                body.text.push('\n');
                *chars += 1;
            }
        }
        tl::Node::Comment(_) => {}
    }
}

/// The few entities an editor writes.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rule as R;
    use Severity::{Blocking as B, Warning as W};

    fn lists() -> WordLists {
        WordLists {
            forbidden: vec!["内部资料".into()],
            misspellings: vec![
                Misspelling {
                    wrong: "按装".into(),
                    right: "安装".into(),
                },
                Misspelling {
                    wrong: "既使".into(),
                    right: "即使".into(),
                },
            ],
        }
    }

    fn pdf() -> AttachmentRef {
        AttachmentRef {
            sha256: "a".repeat(64),
            name: "附件.pdf".into(),
            size: 10,
            mime: "application/pdf".into(),
        }
    }

    fn found(
        title: &str,
        body: &str,
        column: Option<i64>,
        files: &[AttachmentRef],
    ) -> Vec<(Rule, Severity, Option<u32>)> {
        check(
            Draft {
                column_id: column,
                title,
                body_html: body,
                attachments: files,
            },
            &lists(),
        )
        .into_iter()
        .map(|p| (p.rule, p.severity, p.at))
        .collect()
    }

    /// Title, body, column, files, and the problems expected (rule, severity, place).
    type Case<'a> = (
        &'a str,
        &'a str,
        Option<i64>,
        Vec<AttachmentRef>,
        Vec<(Rule, Severity, Option<u32>)>,
    );

    #[test]
    fn a_table_of_cases_blocking_and_warning() {
        let ok_body = "<p>正文内容。</p>";
        let long = "长".repeat(201);
        let exe = AttachmentRef {
            mime: "application/x-msdownload".into(),
            ..pdf()
        };
        let cases: Vec<Case> = vec![
            ("通知", ok_body, Some(1), vec![pdf()], vec![]),
            ("通知", ok_body, None, vec![], vec![(R::NoColumn, B, None)]),
            ("  ", ok_body, Some(1), vec![], vec![(R::NoTitle, B, None)]),
            (
                &long,
                ok_body,
                Some(1),
                vec![],
                vec![(R::TitleTooLong, B, Some(200))],
            ),
            (
                "通知",
                "<p> </p><p></p>",
                Some(1),
                vec![],
                vec![(R::EmptyBody, B, None)],
            ),
            (
                "通知",
                "<p>见图</p><img src=\"liaison-file:x\">",
                Some(1),
                vec![],
                vec![(R::ImageWithoutAlt, B, Some(3))],
            ),
            (
                "通知",
                "<p>见图</p><img src=\"liaison-file:x\" alt=\"校门\">",
                Some(1),
                vec![],
                vec![],
            ),
            (
                "通知",
                "<p>详见<a href=\"https://www.gov.cn/zhengce/\">政策</a></p>",
                Some(1),
                vec![],
                vec![],
            ),
            (
                "通知",
                "<p>详见<a href=\"http://www.gov.cn/\">政策</a></p>",
                Some(1),
                vec![],
                vec![(R::InsecureLink, W, Some(2))],
            ),
            (
                "通知",
                "<p>详见<a href=\"www.gov.cn\">政策</a></p>",
                Some(1),
                vec![],
                vec![(R::MalformedLink, B, Some(2))],
            ),
            (
                "通知",
                "<p>详见<a href=\"https://gov cn\">政策</a></p>",
                Some(1),
                vec![],
                vec![(R::MalformedLink, B, Some(2))],
            ),
            (
                "通知",
                "<p>联系<a href=\"mailto:jyj@example.gov.cn\">我们</a></p>",
                Some(1),
                vec![],
                vec![],
            ),
            // A script address is an attack, removed when stored, not an officer's mistake.
            (
                "通知",
                "<p>正文<a href=\"javascript:alert(1)\">点此</a></p>",
                Some(1),
                vec![],
                vec![],
            ),
            (
                "通知",
                "<p>本文为内部资料。</p>",
                Some(1),
                vec![],
                vec![(R::ForbiddenWord, B, Some(3))],
            ),
            (
                "内部资料汇编",
                ok_body,
                Some(1),
                vec![],
                vec![(R::ForbiddenWord, B, Some(0))],
            ),
            (
                "通知",
                "<p>请按装软件，既使下雨。</p>",
                Some(1),
                vec![],
                vec![(R::Misspelling, W, Some(1)), (R::Misspelling, W, Some(6))],
            ),
            (
                "通知",
                ok_body,
                Some(1),
                vec![exe],
                vec![(R::BadAttachment, B, None)],
            ),
        ];
        for (title, body, column, files, want) in cases {
            assert_eq!(
                found(title, body, column, &files),
                want,
                "{title:.10} {body}"
            );
        }
    }

    #[test]
    fn a_problem_says_where_it_is_and_what_to_write_instead() {
        let problems = check(
            Draft {
                column_id: Some(1),
                title: "关于软件的通知",
                body_html: "<h2>一、说明</h2><p>请各单位及时按装。</p>",
                attachments: &[],
            },
            &lists(),
        );
        assert_eq!(problems.len(), 1);
        let p = &problems[0];
        assert_eq!(
            (p.field, p.found.as_deref(), p.suggestion.as_deref()),
            (Field::Body, Some("按装"), Some("安装"))
        );
        assert!(p.excerpt.contains("请各单位及时按装"), "{}", p.excerpt);
        assert!(!blocks(&problems));
    }

    #[test]
    fn entities_and_nesting_do_not_hide_words() {
        let body = "<p>内部<strong>资料</strong>与&nbsp;内部资料</p>";
        let hits = found("通知", body, Some(1), &[]);
        assert_eq!(
            hits,
            vec![
                (R::ForbiddenWord, B, Some(0)),
                (R::ForbiddenWord, B, Some(6))
            ]
        );
    }
}
