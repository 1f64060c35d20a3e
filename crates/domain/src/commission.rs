//! Commissioned items (约稿): the editorial office asks departments for content on a topic by a
//! deadline; each target department answers with an item linked to the request, which then goes
//! through sign-off and review like any item. The request's own state machine is here, with the
//! rules of what a request may say and how each target stands at an instant.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{WorkCalendar, beijing_date, end_of};
use crate::text::{Lines, is_clean};

/// The longest topic, in characters.
pub const MAX_TOPIC_CHARS: usize = 100;
/// The longest requirements, in characters.
pub const MAX_REQUIREMENTS_CHARS: usize = 4000;
/// The most working days a deadline may be set ahead.
pub const MAX_WORKING_DAYS: u32 = 60;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CommissionState {
    /// Taking answers (a late one is still taken, and counted late).
    Open,
    /// The office took it back: nothing more is asked, and an answer sent after is received as
    /// an ordinary item.
    Withdrawn,
}

/// Something the office does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommissionEvent {
    /// A later deadline.
    Extend,
    Withdraw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a commission that is {from:?} cannot take the event {event:?}")]
pub struct IllegalCommissionTransition {
    pub from: CommissionState,
    pub event: CommissionEvent,
}

impl CommissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            CommissionState::Open => "open",
            CommissionState::Withdrawn => "withdrawn",
        }
    }

    /// The state after `event`, or why it cannot happen: only an open request is extended or
    /// withdrawn.
    pub fn apply(
        self,
        event: CommissionEvent,
    ) -> Result<CommissionState, IllegalCommissionTransition> {
        match (self, event) {
            (CommissionState::Open, CommissionEvent::Extend) => Ok(CommissionState::Open),
            (CommissionState::Open, CommissionEvent::Withdraw) => Ok(CommissionState::Withdrawn),
            (from, event) => Err(IllegalCommissionTransition { from, event }),
        }
    }
}

/// By when the answers are due, as the editor gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Deadline {
    /// So many working days after the day it is posted, by the office's calendar.
    WorkingDays(u32),
    /// By the end of this day (Beijing).
    Date(NaiveDate),
}

/// Why a request (or a change of its deadline) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommissionProblem {
    #[error("a commission needs a topic")]
    NoTopic,
    #[error("the topic is at most {MAX_TOPIC_CHARS} characters on one line")]
    TopicTooLong,
    #[error("the requirements are at most {MAX_REQUIREMENTS_CHARS} characters")]
    RequirementsTooLong,
    #[error("a text holds control characters")]
    NotText,
    #[error("a commission names at least one department")]
    NoTarget,
    #[error("a department is named twice")]
    TargetTwice,
    #[error("the deadline {0} is before today")]
    DeadlineInPast(NaiveDate),
    #[error("a deadline in working days is 1 to {MAX_WORKING_DAYS}")]
    WorkingDaysOutOfRange,
    #[error("an extended deadline must be later than the one it replaces")]
    NotLater,
}

impl CommissionProblem {
    /// A stable code, for words in the user's language.
    pub fn code(&self) -> &'static str {
        match self {
            CommissionProblem::NoTopic => "no_topic",
            CommissionProblem::TopicTooLong => "topic_too_long",
            CommissionProblem::RequirementsTooLong => "requirements_too_long",
            CommissionProblem::NotText => "not_text",
            CommissionProblem::NoTarget => "no_target",
            CommissionProblem::TargetTwice => "target_twice",
            CommissionProblem::DeadlineInPast(_) => "deadline_in_past",
            CommissionProblem::WorkingDaysOutOfRange => "working_days_out_of_range",
            CommissionProblem::NotLater => "not_later",
        }
    }
}

/// What the editor asks, checked: the topic on one line, the requirements, the departments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub topic: String,
    pub requirements: String,
    pub departments: Vec<i64>,
}

/// The request as it will be kept, or the first thing wrong with it.
pub fn request(
    topic: &str,
    requirements: &str,
    departments: &[i64],
) -> Result<Request, CommissionProblem> {
    let topic = topic.trim();
    if topic.is_empty() {
        return Err(CommissionProblem::NoTopic);
    }
    if topic.chars().count() > MAX_TOPIC_CHARS || !is_clean(topic, Lines::One) {
        return Err(CommissionProblem::TopicTooLong);
    }
    let requirements = requirements.trim();
    if requirements.chars().count() > MAX_REQUIREMENTS_CHARS {
        return Err(CommissionProblem::RequirementsTooLong);
    }
    if !is_clean(requirements, Lines::Many) {
        return Err(CommissionProblem::NotText);
    }
    if departments.is_empty() {
        return Err(CommissionProblem::NoTarget);
    }
    let mut seen = departments.to_vec();
    seen.sort_unstable();
    if seen.windows(2).any(|w| w[0] == w[1]) {
        return Err(CommissionProblem::TargetTwice);
    }
    Ok(Request {
        topic: topic.to_owned(),
        requirements: requirements.to_owned(),
        departments: departments.to_vec(),
    })
}

impl Deadline {
    /// The instant answers are due by (the end of the last day), for a request made at `now`,
    /// or why the deadline is refused: a date before today, or working days out of range.
    pub fn due_at(
        self,
        now: DateTime<Utc>,
        calendar: &WorkCalendar,
    ) -> Result<DateTime<Utc>, CommissionProblem> {
        let today = beijing_date(now);
        let last = match self {
            Deadline::WorkingDays(n) if (1..=MAX_WORKING_DAYS).contains(&n) => {
                calendar.add_working_days(today, n)
            }
            Deadline::WorkingDays(_) => return Err(CommissionProblem::WorkingDaysOutOfRange),
            Deadline::Date(d) if d < today => return Err(CommissionProblem::DeadlineInPast(d)),
            Deadline::Date(d) => d,
        };
        Ok(end_of(last))
    }
}

/// A new deadline for an open request due at `due_at`: later than it, and not before today.
pub fn extended(
    due_at: DateTime<Utc>,
    to: Deadline,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> Result<DateTime<Utc>, CommissionProblem> {
    let new = to.due_at(now, calendar)?;
    if new <= due_at {
        return Err(CommissionProblem::NotLater);
    }
    Ok(new)
}

/// How one target department stands on a request at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Standing {
    /// Answered by the deadline.
    AnsweredInTime,
    /// Answered after it.
    AnsweredLate,
    /// Not answered, and the deadline is still ahead.
    Waiting,
    /// Not answered, and the deadline has passed.
    Late,
    /// Not answered, and the office withdrew the request: nothing is owed.
    Released,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::AnsweredInTime => "answered_in_time",
            Standing::AnsweredLate => "answered_late",
            Standing::Waiting => "waiting",
            Standing::Late => "late",
            Standing::Released => "released",
        }
    }
}

/// Where a target stands at `now`, given when its first answer arrived (if it did). An answer
/// counts only if it arrived while the request was open; after a withdrawal it is an ordinary
/// item, which the caller does not link.
pub fn standing(
    state: CommissionState,
    due_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Standing {
    match answered_at.filter(|t| *t <= now) {
        Some(t) if t < due_at => Standing::AnsweredInTime,
        Some(_) => Standing::AnsweredLate,
        None if state == CommissionState::Withdrawn => Standing::Released,
        None if now < due_at => Standing::Waiting,
        None => Standing::Late,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::china_2025_2026()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn only_an_open_request_is_extended_or_withdrawn() {
        use CommissionEvent::*;
        use CommissionState::*;
        assert_eq!(Open.apply(Extend), Ok(Open));
        assert_eq!(Open.apply(Withdraw), Ok(Withdrawn));
        for event in [Extend, Withdraw] {
            assert_eq!(
                Withdrawn.apply(event),
                Err(IllegalCommissionTransition {
                    from: Withdrawn,
                    event
                })
            );
        }
    }

    #[test]
    fn a_request_says_what_it_is_for_and_to_whom_once_each() {
        let ok = request(
            " 冬季安全生产专题 ",
            "  一篇不少于800字的综述。\n附图片。 ",
            &[3, 1],
        )
        .unwrap();
        assert_eq!(ok.topic, "冬季安全生产专题");
        assert_eq!(ok.requirements, "一篇不少于800字的综述。\n附图片。");
        assert_eq!(request("  ", "", &[1]), Err(CommissionProblem::NoTopic));
        assert_eq!(
            request(&"题".repeat(101), "", &[1]),
            Err(CommissionProblem::TopicTooLong)
        );
        assert_eq!(
            request("两\n行", "", &[1]),
            Err(CommissionProblem::TopicTooLong)
        );
        assert_eq!(
            request("专题", &"要".repeat(4001), &[1]),
            Err(CommissionProblem::RequirementsTooLong)
        );
        assert_eq!(request("专题", "", &[]), Err(CommissionProblem::NoTarget));
        assert_eq!(
            request("专题", "", &[2, 1, 2]),
            Err(CommissionProblem::TargetTwice)
        );
    }

    #[test]
    fn working_days_skip_the_spring_festival_and_count_its_weekend_worked() {
        // Posted on Friday 2026-02-13. The Spring Festival holiday runs 02-15 to 02-23 and
        // Saturday 02-14 and 02-28 are worked (调休): three working days are 02-14, 02-24, 02-25.
        let posted = at("2026-02-13T10:00:00+08:00");
        let due = Deadline::WorkingDays(3).due_at(posted, &cal()).unwrap();
        assert_eq!(
            crate::calendar::last_day(due),
            cal().add_working_days(day(2026, 2, 13), 3)
        );
        assert!(crate::calendar::last_day(due) > day(2026, 2, 23), "{due}");
        // Across a month end and a quarter end: 5 working days from Monday 2026-03-30:
        let due = Deadline::WorkingDays(5)
            .due_at(at("2026-03-30T09:00:00+08:00"), &cal())
            .unwrap();
        assert_eq!(
            crate::calendar::last_day(due),
            cal().add_working_days(day(2026, 3, 30), 5)
        );
        assert!(crate::calendar::last_day(due) >= day(2026, 4, 3));
    }

    #[test]
    fn a_deadline_before_today_or_out_of_range_is_refused() {
        let now = at("2026-11-30T10:00:00+08:00");
        assert_eq!(
            Deadline::Date(day(2026, 11, 29)).due_at(now, &cal()),
            Err(CommissionProblem::DeadlineInPast(day(2026, 11, 29)))
        );
        // Today is allowed: by the end of it.
        assert_eq!(
            Deadline::Date(day(2026, 11, 30)).due_at(now, &cal()),
            Ok(at("2026-12-01T00:00:00+08:00"))
        );
        assert_eq!(
            Deadline::WorkingDays(0).due_at(now, &cal()),
            Err(CommissionProblem::WorkingDaysOutOfRange)
        );
        assert_eq!(
            Deadline::WorkingDays(61).due_at(now, &cal()),
            Err(CommissionProblem::WorkingDaysOutOfRange)
        );
    }

    #[test]
    fn an_extension_is_later_than_the_deadline_it_replaces() {
        let now = at("2026-11-30T10:00:00+08:00");
        let due = Deadline::Date(day(2026, 12, 4))
            .due_at(now, &cal())
            .unwrap();
        assert_eq!(
            extended(due, Deadline::Date(day(2026, 12, 4)), now, &cal()),
            Err(CommissionProblem::NotLater)
        );
        assert_eq!(
            extended(due, Deadline::Date(day(2026, 12, 3)), now, &cal()),
            Err(CommissionProblem::NotLater)
        );
        assert_eq!(
            extended(due, Deadline::Date(day(2026, 12, 11)), now, &cal()),
            Ok(at("2026-12-12T00:00:00+08:00"))
        );
    }

    #[test]
    fn each_target_stands_by_its_first_answer_against_the_deadline_with_a_moving_clock() {
        use Standing::*;
        let due = at("2026-12-01T00:00:00+08:00");
        let open = CommissionState::Open;
        let before = at("2026-11-30T23:59:00+08:00");
        let after = at("2026-12-01T00:01:00+08:00");
        assert_eq!(standing(open, due, None, before), Waiting);
        assert_eq!(standing(open, due, None, after), Late);
        assert_eq!(standing(open, due, Some(before), after), AnsweredInTime);
        assert_eq!(standing(open, due, Some(after), after), AnsweredLate);
        // An answer not yet arrived at `now` does not count yet.
        assert_eq!(standing(open, due, Some(after), before), Waiting);
        // Withdrawn: nothing owed, but an answer that came while it was open still counts.
        let gone = CommissionState::Withdrawn;
        assert_eq!(standing(gone, due, None, after), Released);
        assert_eq!(standing(gone, due, Some(before), after), AnsweredInTime);
    }
}
