//! Publishing the pre-flight word lists ([`WordLists`]): what a published list holds, and the
//! text form the console edits them in (a forbidden word per line; a misspelling per line as
//! `wrong → right`, with `=>`, `->`, `=` or a tab between).

use crate::preflight::{Misspelling, WordLists};
use crate::text::{Lines, is_clean};

/// The longest word of a list, in characters.
pub const MAX_WORD_CHARS: usize = 50;
/// The most entries a list may hold.
pub const MAX_ENTRIES: usize = 5000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordListProblem {
    #[error("a word of a list is one line of at most {MAX_WORD_CHARS} characters: {0}")]
    BadWord(String),
    #[error("a misspelling is written as wrong → right: {0}")]
    BadPair(String),
    #[error("a list holds at most {MAX_ENTRIES} entries")]
    TooMany,
}

impl WordListProblem {
    pub fn code(&self) -> &'static str {
        match self {
            WordListProblem::BadWord(_) => "bad_word",
            WordListProblem::BadPair(_) => "bad_pair",
            WordListProblem::TooMany => "too_many",
        }
    }

    pub fn subject(&self) -> String {
        match self {
            WordListProblem::BadWord(s) | WordListProblem::BadPair(s) => s.clone(),
            WordListProblem::TooMany => MAX_ENTRIES.to_string(),
        }
    }
}

fn word(w: &str) -> Result<Option<String>, WordListProblem> {
    let w = w.trim();
    if w.is_empty() {
        return Ok(None);
    }
    if !is_clean(w, Lines::One) || w.chars().count() > MAX_WORD_CHARS {
        return Err(WordListProblem::BadWord(
            w.chars().take(MAX_WORD_CHARS).collect(),
        ));
    }
    Ok(Some(w.to_owned()))
}

impl WordLists {
    /// The lists as they are published: words trimmed, empty ones and repeats dropped, each one
    /// line and not too long.
    pub fn published(self) -> Result<WordLists, WordListProblem> {
        if self.forbidden.len() > MAX_ENTRIES || self.misspellings.len() > MAX_ENTRIES {
            return Err(WordListProblem::TooMany);
        }
        let mut forbidden: Vec<String> = Vec::new();
        for w in &self.forbidden {
            if let Some(w) = word(w)?
                && !forbidden.contains(&w)
            {
                forbidden.push(w);
            }
        }
        let mut misspellings: Vec<Misspelling> = Vec::new();
        for m in &self.misspellings {
            let (Some(wrong), right) = (word(&m.wrong)?, word(&m.right)?) else {
                continue;
            };
            let right = right.ok_or_else(|| WordListProblem::BadPair(wrong.clone()))?;
            if !misspellings.iter().any(|x| x.wrong == wrong) {
                misspellings.push(Misspelling { wrong, right });
            }
        }
        Ok(WordLists {
            forbidden,
            misspellings,
        })
    }

    /// The lists from their text form.
    pub fn from_text(forbidden: &str, misspellings: &str) -> Result<WordLists, WordListProblem> {
        let pairs = misspellings
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|line| {
                ["=>", "->", "→", "＝", "=", "\t"]
                    .iter()
                    .find_map(|sep| line.split_once(sep))
                    .map(|(wrong, right)| Misspelling {
                        wrong: wrong.trim().to_owned(),
                        right: right.trim().to_owned(),
                    })
                    .ok_or_else(|| WordListProblem::BadPair(line.trim().to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        WordLists {
            forbidden: forbidden.lines().map(str::to_owned).collect(),
            misspellings: pairs,
        }
        .published()
    }

    /// The text form: (forbidden words, misspellings), a line each.
    pub fn to_text(&self) -> (String, String) {
        (
            self.forbidden.join("\n"),
            self.misspellings
                .iter()
                .map(|m| format!("{} → {}", m.wrong, m.right))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_round_trips_and_drops_blanks_and_repeats() {
        let lists = WordLists::from_text(
            "绝密\n\n 机密 \n绝密",
            "按装 → 安装\n既使=>即使\n\n做为\t作为",
        )
        .unwrap();
        assert_eq!(lists.forbidden, ["绝密", "机密"]);
        assert_eq!(lists.misspellings.len(), 3);
        let (f, m) = lists.to_text();
        assert_eq!(WordLists::from_text(&f, &m).unwrap(), lists);
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(
            WordLists::from_text("", "按装"),
            Err(WordListProblem::BadPair("按装".into()))
        );
        assert_eq!(
            WordLists::from_text("", "按装 → "),
            Err(WordListProblem::BadPair("按装".into()))
        );
        assert!(matches!(
            WordLists::from_text(&"长".repeat(51), ""),
            Err(WordListProblem::BadWord(_))
        ));
        let lists = WordLists {
            forbidden: vec!["绝\u{7}密".into()],
            misspellings: Vec::new(),
        };
        assert!(matches!(
            lists.published(),
            Err(WordListProblem::BadWord(_))
        ));
    }
}
