//! Item bodies are HTML from outside: before the office stores one (and when a desk imports a
//! file's HTML) it is cleaned to the
//! structure an item may have (the desk editor's headings, paragraphs, lists, emphasis, links and
//! images), with no script, no event handlers, no frames and no `javascript:` addresses.
//!
//! Nothing in a body may make a reader's browser or desk fetch anything: an image shows only one
//! of its item's own files (`liaison-file:<sha256>`) or a `data:image/...` URL, never a remote
//! address (a tracking pixel would tell its owner who read the item, when and where). Every other
//! element or attribute that fetches (`srcset`, `<source>`, `<video>`, `<audio>`, `<picture>`,
//! `poster`, `background`, `<object>`, `<embed>`, `<link>`, SVG `<image>`, styles with `url()`)
//! is not allowed at all, and the text of `<style>` and `<script>` goes with them. Links stay:
//! following one is the reader's choice.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use crate::attachment::{INLINE_FILE_SCHEME, is_sha256_hex};
use ammonia::{Builder, UrlRelative};

/// The `src` an image may have: one of its item's files, or an image as a `data:` URL.
fn image_source(value: &str) -> Option<Cow<'_, str>> {
    let value = value.trim();
    let own_file = value
        .strip_prefix(INLINE_FILE_SCHEME)
        .is_some_and(is_sha256_hex);
    let data_image = value
        .get(..DATA_IMAGE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(DATA_IMAGE));
    (own_file || data_image).then_some(Cow::Borrowed(value))
}

const DATA_IMAGE: &str = "data:image/";

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
    // `data:` never for links; an image only from its item's files or a `data:image/` URL.
    .attribute_filter(|element, attribute, value| match (element, attribute) {
        ("a", "href") if value.trim_start().to_ascii_lowercase().starts_with("data:") => None,
        ("img", "src") => image_source(value),
        _ => Some(Cow::Borrowed(value)),
    })
    // What `<script>` and `<style>` hold is dropped with them, not kept as text.
    .clean_content_tags(HashSet::from(["script", "style"]));
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

    /// `input` cleaned is exactly `expected`, and cleaning again changes nothing.
    #[track_caller]
    fn check(input: &str, expected: &str) {
        let clean = body_html(input);
        assert_eq!(clean, expected, "cleaning {input}");
        assert_eq!(body_html(&clean), clean, "cleaning {input} twice");
    }

    #[test]
    fn nothing_in_a_body_fetches_from_elsewhere() {
        let sha = "0123456789abcdef".repeat(4);
        let own = format!(r#"<img src="liaison-file:{sha}" alt="图">"#);
        let table: &[(&str, &str)] = &[
            // Images: only the item's own files and data: images.
            (
                r#"<img src="https://t.example/p.gif" alt="x" title="t">"#,
                r#"<img title="t" alt="x">"#,
            ),
            (r#"<img src="http://t.example/p.gif">"#, "<img>"),
            (r#"<img src=" HTTPS://T.EXAMPLE/p.gif ">"#, "<img>"),
            (r#"<img src="//t.example/p.gif">"#, "<img>"),
            (r#"<img src="ftp://t.example/p.gif">"#, "<img>"),
            (r#"<img src="liaison-file:../../sign-out">"#, "<img>"),
            (
                &format!(r#"<img src="liaison-file:{sha}?https://t.example/">"#),
                "<img>",
            ),
            (
                &format!(r#"<img src="liaison-file:{}">"#, sha.to_uppercase()),
                "<img>",
            ),
            (r#"<img src="data:text/html,<b>x</b>">"#, "<img>"),
            (&own, &own),
            (
                r#"<img src="DATA:image/png;base64,iVBORw0KGgo=">"#,
                r#"<img src="DATA:image/png;base64,iVBORw0KGgo=">"#,
            ),
            (
                &format!(r#"<img srcset="https://t.example/a.png 2x" src="liaison-file:{sha}">"#),
                &format!(r#"<img src="liaison-file:{sha}">"#),
            ),
            (
                r#"<img lowsrc="https://t.example/l.png" dynsrc="https://t.example/d.avi" longdesc="https://t.example/x">"#,
                "<img>",
            ),
            // Media and embedded documents.
            (
                r#"<picture><source srcset="https://t.example/a.webp"><img src="https://t.example/a.png" alt="a"></picture>"#,
                r#"<img alt="a">"#,
            ),
            (
                r#"<video src="https://t.example/v.mp4" poster="https://t.example/p.png"><source src="https://t.example/v.webm"><track src="https://t.example/t.vtt"></video>"#,
                "",
            ),
            (
                r#"<audio src="https://t.example/a.mp3" autoplay></audio><bgsound src="https://t.example/b.mid">"#,
                "",
            ),
            (
                r#"<object data="https://t.example/o.swf"><param name="movie" value="https://t.example/o.swf"><embed src="https://t.example/e.swf"></object>"#,
                "",
            ),
            (
                r#"<iframe src="https://t.example/"></iframe><frameset><frame src="https://t.example/"></frameset>"#,
                "",
            ),
            (
                r#"<input type="image" src="https://t.example/i.png"><form action="https://t.example/"><button formaction="https://t.example/">按</button></form>"#,
                "按",
            ),
            // SVG and MathML.
            (
                r#"<svg><image href="https://t.example/i.png"/><image xlink:href="https://t.example/j.png"/><use href="https://t.example/u.svg#a"/><feImage href="https://t.example/f.png"/></svg>"#,
                "",
            ),
            (
                r#"<math><mglyph src="https://t.example/m.png"/></math>"#,
                "",
            ),
            // Backgrounds and styles.
            (
                r#"<table background="https://t.example/bg.png"><tr><td background="https://t.example/c.png">格</td></tr></table>"#,
                "<table><tbody><tr><td>格</td></tr></tbody></table>",
            ),
            (
                r#"<body background="https://t.example/b.png"><p>段</p></body>"#,
                "<p>段</p>",
            ),
            (
                r#"<p style="background:url(https://t.example/p.png)">段</p><span style="background-image:url('//t.example/q.png')">字</span>"#,
                "<p>段</p>字",
            ),
            (
                r#"<style>@import url(https://t.example/s.css); p { background: url(https://t.example/p.png) }</style><p>段</p>"#,
                "<p>段</p>",
            ),
            (
                r#"<link rel="stylesheet" href="https://t.example/s.css"><link rel="prefetch" href="https://t.example/x"><link rel="icon" href="https://t.example/i.ico">"#,
                "",
            ),
            (
                r#"<meta http-equiv="refresh" content="0;url=https://t.example/"><base href="https://t.example/"><p>段</p>"#,
                "<p>段</p>",
            ),
            // Links stay (following one is the reader's choice), without pings.
            (
                r#"<a href="https://www.gov.cn/" ping="https://t.example/ping">链接</a>"#,
                r#"<a href="https://www.gov.cn/" rel="noopener noreferrer nofollow">链接</a>"#,
            ),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(input, expected)| body_html(input) != *expected)
            .map(|(input, expected)| {
                format!(
                    "{input}\n  gives    {}\n  expected {expected}",
                    body_html(input)
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        for (input, expected) in table {
            check(input, expected);
        }
    }
}
