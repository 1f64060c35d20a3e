//! Remarks on an item: an editor's or a responsible person's comment, a return's reason, an
//! officer's answer. The desk checks one before it goes out and the office when it arrives, by
//! this one rule, so the desk never sends what the office refuses.

/// Longest remark text, and longest quoted passage, in characters (after trimming).
pub const MAX_COMMENT_CHARS: usize = 2000;

/// A remark as it is stored: its text and the passage it quotes, trimmed; an empty quote is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remark {
    pub text: String,
    pub quote: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemarkProblem {
    #[error("the remark has no text")]
    Empty,
    #[error("the remark is longer than {MAX_COMMENT_CHARS} characters")]
    TooLong,
    #[error("the quoted passage is longer than {MAX_COMMENT_CHARS} characters")]
    QuoteTooLong,
}

/// The remark, trimmed, if its text is not empty and neither it nor its quote is longer than
/// [`MAX_COMMENT_CHARS`].
pub fn check(text: &str, quote: Option<&str>) -> Result<Remark, RemarkProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(RemarkProblem::Empty);
    }
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(RemarkProblem::TooLong);
    }
    let quote = quote.map(str::trim).filter(|q| !q.is_empty());
    if quote.is_some_and(|q| q.chars().count() > MAX_COMMENT_CHARS) {
        return Err(RemarkProblem::QuoteTooLong);
    }
    Ok(Remark {
        text: text.to_owned(),
        quote: quote.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_after_trimming() {
        let full = "审".repeat(MAX_COMMENT_CHARS);
        let padded = format!("  {full}\n");
        let r = check(&padded, Some(&padded)).unwrap();
        assert_eq!(r.text, full);
        assert_eq!(r.quote.as_deref(), Some(full.as_str()));
        let over = format!("{full}审");
        assert_eq!(check(&over, None), Err(RemarkProblem::TooLong));
        assert_eq!(check("好", Some(&over)), Err(RemarkProblem::QuoteTooLong));
        assert_eq!(check(" \n ", None), Err(RemarkProblem::Empty));
        assert_eq!(check("好", Some("   ")).unwrap().quote, None);
    }
}
