//! Urging (催报): the editorial office asks a department to update a column, with a message its
//! desks turn into a notice. Each urge is kept; a department urged too often in one week is
//! flagged in the ranking. Weeks run Monday to Sunday, Beijing time.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::beijing_date;
use crate::text::{Lines, is_clean};

/// The longest message an urge carries, in characters.
pub const MAX_URGE_CHARS: usize = 500;

/// How many urges in one week flag a department, unless the office sets otherwise (local rules
/// commonly set two).
pub const DEFAULT_URGES_FLAGGING_A_WEEK: u32 = 2;

/// Why an urge's message is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrgeProblem {
    #[error("an urge says what is asked")]
    Empty,
    #[error("an urge is at most {MAX_URGE_CHARS} characters")]
    TooLong,
    #[error("an urge holds control characters")]
    NotText,
}

impl UrgeProblem {
    /// A stable code, for words in the user's language.
    pub fn code(self) -> &'static str {
        match self {
            UrgeProblem::Empty => "empty",
            UrgeProblem::TooLong => "too_long",
            UrgeProblem::NotText => "not_text",
        }
    }
}

/// The message as it is sent: trimmed, not empty, at most [`MAX_URGE_CHARS`].
pub fn message(text: &str) -> Result<String, UrgeProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(UrgeProblem::Empty);
    }
    if text.chars().count() > MAX_URGE_CHARS {
        return Err(UrgeProblem::TooLong);
    }
    if !is_clean(text, Lines::Many) {
        return Err(UrgeProblem::NotText);
    }
    Ok(text.to_owned())
}

/// One urge as it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Urge {
    pub column_id: i64,
    pub department_id: i64,
    pub at: DateTime<Utc>,
    pub message: String,
    /// The editor's name.
    pub urged_by: String,
}

/// The Monday of the Beijing week `at` falls in.
pub fn week_of(at: DateTime<Utc>) -> NaiveDate {
    let d = beijing_date(at);
    d - Days::new(u64::from(d.weekday().num_days_from_monday()))
}

/// The weeks (their Mondays, in order) in which the urges reached `per_week`.
pub fn flagged_weeks(urges: &[DateTime<Utc>], per_week: u32) -> Vec<NaiveDate> {
    let mut weeks: Vec<NaiveDate> = urges.iter().map(|t| week_of(*t)).collect();
    weeks.sort();
    let mut flagged = Vec::new();
    for w in weeks.chunk_by(|a, b| a == b) {
        if w.len() as u64 >= u64::from(per_week.max(1)) {
            flagged.push(w[0]);
        }
    }
    flagged
}

/// How many of the urges fall in the week of `now`.
pub fn this_week(urges: &[DateTime<Utc>], now: DateTime<Utc>) -> u32 {
    let week = week_of(now);
    urges
        .iter()
        .filter(|t| week_of(**t) == week && **t <= now)
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_message_is_trimmed_and_must_say_something_short() {
        assert_eq!(
            message("  请尽快更新招生考试栏目。 "),
            Ok("请尽快更新招生考试栏目。".into())
        );
        assert_eq!(message(" \u{3000} "), Err(UrgeProblem::Empty));
        assert_eq!(message(&"催".repeat(501)), Err(UrgeProblem::TooLong));
        assert_eq!(
            message(&"催".repeat(500)).map(|m| m.chars().count()),
            Ok(500)
        );
        assert_eq!(message("请\u{7}更新"), Err(UrgeProblem::NotText));
    }

    #[test]
    fn weeks_run_monday_to_sunday_in_beijing() {
        // Sunday 23:30 in Beijing is still that week; Monday 00:10 is the next.
        assert_eq!(
            week_of(at("2026-11-29T23:30:00+08:00")),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(
            week_of(at("2026-11-30T00:10:00+08:00")),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
    }

    #[test]
    fn two_urges_in_one_week_flag_it_and_two_in_different_weeks_do_not() {
        let sunday = at("2026-11-29T23:30:00+08:00");
        let monday = at("2026-11-30T00:10:00+08:00");
        let tuesday = at("2026-12-01T09:00:00+08:00");
        assert!(flagged_weeks(&[sunday, monday], 2).is_empty());
        assert_eq!(
            flagged_weeks(&[tuesday, sunday, monday], 2),
            vec![NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()]
        );
        assert_eq!(flagged_weeks(&[sunday], 1).len(), 1);
        assert_eq!(this_week(&[sunday, monday, tuesday], tuesday), 2);
    }
}
