//! What changed between a returned version and its revision, as lines of text the officer reads
//! (the body's HTML turned into its paragraphs, headings and list items).

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
}

/// The readable text of a body: one line per block (paragraph, heading, list item, image alt).
pub fn body_text(html: &str) -> String {
    // Block ends become line ends; then every tag goes (ammonia with no tags keeps text only).
    let mut marked = html.to_owned();
    for end in [
        "</p>",
        "</h2>",
        "</h3>",
        "</h4>",
        "</li>",
        "</blockquote>",
        "<br>",
        "<br/>",
        "<br />",
    ] {
        marked = marked.replace(end, &format!("{end}\n"));
    }
    let text = ammonia::Builder::empty().clean(&marked).to_string();
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Line by line, what the revision (`after`) changed in the returned version (`before`), titles
/// first.
pub fn revision_diff(
    before_title: &str,
    before_html: &str,
    after_title: &str,
    after_html: &str,
) -> Vec<DiffLine> {
    let before = format!("{}\n{}\n", before_title.trim(), body_text(before_html));
    let after = format!("{}\n{}\n", after_title.trim(), body_text(after_html));
    TextDiff::from_lines(&before, &after)
        .iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                ChangeTag::Equal => DiffKind::Same,
                ChangeTag::Insert => DiffKind::Added,
                ChangeTag::Delete => DiffKind::Removed,
            },
            text: c.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_names_the_changed_passage() {
        let before = "<h2>一、总体要求</h2><p>确保道路畅通。</p><ul><li>加强巡逻</li></ul>";
        let after = "<h2>一、总体要求</h2><p>确保道路畅通。</p><p>管制路段：人民路（解放路至中山路）。</p><ul><li>加强巡逻 &amp; 疏导</li></ul>";
        let diff = revision_diff("通告", before, "通告（修订）", after);
        let of = |kind| {
            diff.iter()
                .filter(|l| l.kind == kind)
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(of(DiffKind::Removed), ["通告", "加强巡逻"]);
        assert_eq!(
            of(DiffKind::Added),
            [
                "通告（修订）",
                "管制路段：人民路（解放路至中山路）。",
                "加强巡逻 & 疏导"
            ]
        );
        assert!(of(DiffKind::Same).contains(&"一、总体要求"));
    }

    #[test]
    fn markup_and_scripts_are_not_text() {
        assert_eq!(
            body_text("<p>a<script>x()</script><img src=x onerror=y()></p><p>b<br>c</p>"),
            "a\nb\nc"
        );
    }
}
