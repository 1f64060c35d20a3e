//! Item bodies are HTML from outside: before the office stores one (and when a desk imports a
//! file's HTML) it is cleaned to the
//! structure an item may have (the desk editor's headings, paragraphs, lists, emphasis, links and
//! images), with no script, no event handlers, no frames and no `javascript:` addresses.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use crate::attachment::INLINE_FILE_SCHEME;
use ammonia::{Builder, UrlRelative};

static CLEANER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::empty();
    b.tags(HashSet::from([
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "blockquote",
        "hr",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    ]))
    .tag_attributes(
        [
            ("a", HashSet::from(["href", "title"])),
            ("img", HashSet::from(["src", "alt", "title"])),
        ]
        .into_iter()
        .collect(),
    )
    .url_schemes(HashSet::from([
        "http",
        "https",
        "mailto",
        INLINE_FILE_SCHEME.trim_end_matches(':'),
        "data",
    ]))
    .url_relative(UrlRelative::Deny)
    .link_rel(Some("noopener noreferrer nofollow"))
    // `data:` only for images that are images (older drafts embed them); never for links.
    .attribute_filter(|element, attribute, value| match (element, attribute) {
        ("a", "href") if value.trim_start().to_ascii_lowercase().starts_with("data:") => None,
        ("img", "src")
            if value.trim_start().to_ascii_lowercase().starts_with("data:")
                && !value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("data:image/") =>
        {
            None
        }
        _ => Some(Cow::Borrowed(value)),
    });
    b
});

/// The body as it may be stored and shown.
pub fn body_html(html: &str) -> String {
    CLEANER.clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_frames_and_script_addresses_go_structure_stays() {
        let sha = "a".repeat(64);
        let dirty = format!(
            r#"<h2>一、总体要求</h2><p onclick="x()">正文<script>alert(1)</script></p>
            <img src=x onerror="alert(1)"><img src="liaison-file:{sha}" alt="图">
            <img src="data:image/png;base64,iVBORw0KGgo="><img src="data:text/html,<b>">
            <a href="javascript:alert(1)">坏链接</a><a href="https://www.gov.cn/">好链接</a>
            <a href="data:text/html,x">数据链接</a><iframe src="https://evil.example/"></iframe>
            <ul><li style="color:red">要点</li></ul>"#
        );
        let clean = body_html(&dirty);
        for gone in [
            "<script",
            "onerror",
            "onclick",
            "javascript:",
            "<iframe",
            "style=",
            "data:text",
        ] {
            assert!(!clean.contains(gone), "{gone} survived: {clean}");
        }
        for kept in [
            "<h2>一、总体要求</h2>",
            &format!(r#"src="liaison-file:{sha}""#),
            r#"src="data:image/png;base64,iVBORw0KGgo=""#,
            r#"href="https://www.gov.cn/""#,
            "<li>要点</li>",
            "好链接",
            "坏链接",
        ] {
            assert!(clean.contains(kept), "{kept} lost: {clean}");
        }
        // Clean HTML stays as it is.
        assert_eq!(body_html(&clean), clean);
    }
}
