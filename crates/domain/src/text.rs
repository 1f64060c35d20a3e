//! Text as people write it: what characters a field may hold.
//!
//! Control characters (NUL, escape, the C1 range …) are never part of what an officer or an
//! editor writes; they come from broken tools or from someone probing. A field that holds lines
//! (a body, a comment, a reason) may hold newlines and tabs; a field of one line (a title, a name,
//! a login, an address) holds none.

use std::borrow::Cow;

/// What a text field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// One line: no control character at all.
    One,
    /// Lines: newline, carriage return and tab are allowed, no other control character.
    Many,
}

fn allowed(c: char, lines: Lines) -> bool {
    !c.is_control() || (lines == Lines::Many && matches!(c, '\n' | '\r' | '\t'))
}

/// The longest web address kept, in bytes.
pub const MAX_ADDRESS_BYTES: usize = 2000;

/// A web address as a person gives it, trimmed: `http://` or `https://`, on one line, with no
/// space, at most [`MAX_ADDRESS_BYTES`]; `None` for anything else.
pub fn web_address(text: &str) -> Option<&str> {
    let url = text.trim();
    let scheme = url.starts_with("https://") || url.starts_with("http://");
    (scheme
        && url.len() <= MAX_ADDRESS_BYTES
        && is_clean(url, Lines::One)
        && !url.chars().any(char::is_whitespace))
    .then_some(url)
}

/// Whether `text` holds only what a field of `lines` may.
pub fn is_clean(text: &str, lines: Lines) -> bool {
    text.chars().all(|c| allowed(c, lines))
}

/// `text` without what a field of `lines` may not hold (a line's breaks become spaces).
pub fn cleaned(text: &str, lines: Lines) -> Cow<'_, str> {
    if is_clean(text, lines) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter_map(|c| match c {
                _ if allowed(c, lines) => Some(c),
                '\n' | '\r' | '\t' => Some(' '),
                _ => None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_lines_only_where_text_has_lines() {
        for (text, one, many) in [
            ("关于做好冬季安全生产工作的通知", true, true),
            ("第一段\n第二段\r\n\t第三段", false, true),
            ("标题\u{0}", false, false),
            ("标题\u{1b}[31m", false, false),
            ("标题\u{7f}", false, false),
            ("标题\u{85}", false, false),
            ("emoji 👍 and full-width　space", true, true),
        ] {
            assert_eq!(is_clean(text, Lines::One), one, "{text:?}");
            assert_eq!(is_clean(text, Lines::Many), many, "{text:?}");
        }
    }

    #[test]
    fn cleaning_keeps_what_may_stay() {
        assert_eq!(cleaned("标题\u{0}一\n二", Lines::One), "标题一 二");
        assert_eq!(cleaned("甲\u{b}乙\n丙", Lines::Many), "甲乙\n丙");
        assert!(matches!(cleaned("干净", Lines::One), Cow::Borrowed(_)));
    }
}
