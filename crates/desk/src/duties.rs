//! The duty board and notices on the desk: what they mean (their SQL is the store's,
//! `store/notices.rs`).
//!
//! The board is the office's `GET /board` as last fetched, recomputed with the desk's own clock
//! (so it stays true offline). Notices are rows keyed by what they are about (a column's due date,
//! a day, a change's position in the office's log), so each is created once however often the desk
//! looks or restarts. A notice is raised as a desktop notification once, inside working hours.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use liaison_domain::calendar::{beijing_date, last_day};
use liaison_domain::wire::BoardColumn;
use liaison_domain::{DutyState, WorkCalendar, by_urgency, duty_status};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::DeskError;

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NoticeKind {
    DueSoon,
    Overdue,
    /// The daily reminder while a column stays overdue.
    StillOverdue,
    /// The office urged an update (催报).
    Urged,
    /// A review result arrived (or the department's sign-off).
    Reviewed,
    /// An item of the department waits for this seat's sign-off (responsible person).
    SignoffRequested,
    /// Someone else wrote in an item's thread.
    Commented,
    /// The office asked the department for content (约稿), or extended or withdrew the request.
    Commissioned,
}

impl NoticeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NoticeKind::DueSoon => "due_soon",
            NoticeKind::Overdue => "overdue",
            NoticeKind::StillOverdue => "still_overdue",
            NoticeKind::Urged => "urged",
            NoticeKind::Reviewed => "reviewed",
            NoticeKind::SignoffRequested => "signoff_requested",
            NoticeKind::Commented => "commented",
            NoticeKind::Commissioned => "commissioned",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        [
            NoticeKind::DueSoon,
            NoticeKind::Overdue,
            NoticeKind::StillOverdue,
            NoticeKind::Urged,
            NoticeKind::Reviewed,
            NoticeKind::SignoffRequested,
            NoticeKind::Commented,
            NoticeKind::Commissioned,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The facts a notice's sentence is made of (the window and the notification translate them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoticeFacts {
    pub column_name: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue_days: Option<u32>,
    pub working_days: Option<bool>,
    pub message: Option<String>,
    pub urged_by: Option<String>,
    pub title: Option<String>,
    pub review_state: Option<liaison_domain::ItemState>,
    pub review_comment: Option<String>,
    /// Who decided, signed off or wrote.
    #[serde(default)]
    pub by: Option<String>,
    /// The office's id of the item (a sign-off request opens it).
    #[serde(default)]
    pub item_id: Option<i64>,
    /// What happened to a commissioned request (its topic is the `title`, its deadline `due_at`).
    #[serde(default)]
    pub commission: Option<liaison_domain::wire::CommissionNews>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NoticeView {
    pub id: i64,
    pub kind: NoticeKind,
    /// The column it is about (opening it starts a new item there).
    pub column_id: Option<i64>,
    /// The draft it is about (opening it shows the draft).
    pub draft_id: Option<String>,
    pub facts: NoticeFacts,
    pub created_at: String,
    pub read: bool,
}

/// When desktop notifications may be raised (Beijing time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NotifyHours {
    /// "08:30"
    pub start: String,
    /// "17:30"
    pub end: String,
    /// Only on the calendar's working days.
    pub working_days_only: bool,
}

impl Default for NotifyHours {
    fn default() -> Self {
        NotifyHours {
            start: "08:30".into(),
            end: "17:30".into(),
            working_days_only: true,
        }
    }
}

impl NotifyHours {
    pub fn validate(&self) -> Result<(NaiveTime, NaiveTime), DeskError> {
        let parse = |s: &str| {
            if s == "24:00" {
                Ok(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN))
            } else {
                NaiveTime::parse_from_str(s, "%H:%M")
                    .map_err(|_| DeskError::InvalidState(format!("{s:?} is not a time like 08:30")))
            }
        };
        let (start, end) = (parse(&self.start)?, parse(&self.end)?);
        if start >= end {
            return Err(DeskError::InvalidState(
                "working hours must end after they start".into(),
            ));
        }
        Ok((start, end))
    }

    /// Whether a notification may be raised at `now`.
    pub fn allow(&self, now: DateTime<Utc>, calendar: &WorkCalendar) -> bool {
        let Ok((start, end)) = self.validate() else {
            return true; // a broken setting must not silence the desk
        };
        let local = now.with_timezone(&liaison_domain::calendar::BEIJING);
        let time = local.time();
        (!self.working_days_only || calendar.is_working_day(local.date_naive()))
            && time >= start
            && time <= end
    }
}

/// The board as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BoardView {
    /// Most urgent first, with the status computed at `computed_at`.
    pub columns: Vec<BoardColumn>,
    /// When the office's data was last fetched (None: never).
    pub fetched_at: Option<String>,
    pub computed_at: DateTime<Utc>,
}

pub(crate) fn json<T: Serialize>(v: &T) -> Result<String, DeskError> {
    serde_json::to_string(v).map_err(|e| DeskError::Internal(e.to_string()))
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, DeskError> {
    serde_json::from_str(s).map_err(|e| DeskError::Storage(e.to_string()))
}

/// The board's columns with every status computed at `now`, most urgent first.
pub(crate) fn board_at(
    mut columns: Vec<BoardColumn>,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> Vec<BoardColumn> {
    for c in &mut columns {
        c.status = duty_status(c.column.duty, &c.updates, c.since, now, calendar);
    }
    columns.sort_by(|a, b| by_urgency(&a.status, &b.status));
    columns
}

/// A notice the board calls for: created once under its `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WantedNotice {
    pub key: String,
    pub kind: NoticeKind,
    pub column_id: i64,
    pub facts: NoticeFacts,
    /// Only if the notice with this key was raised before `today` (the daily reminder starts the
    /// working day after the first overdue notice was raised).
    pub after_raised: Option<String>,
}

/// The notices the board calls for on `today`, in the board's order.
pub(crate) fn wanted_notices(
    board: &BoardView,
    calendar: &WorkCalendar,
    today: NaiveDate,
) -> Vec<WantedNotice> {
    let mut wanted = Vec::new();
    for c in &board.columns {
        let s = &c.status;
        let due_day = last_day(s.due_at);
        let facts = NoticeFacts {
            column_name: Some(c.column.name.clone()),
            due_at: Some(s.due_at),
            overdue_days: (s.state == DutyState::Overdue).then_some(s.overdue_days),
            working_days: Some(s.day_kind == liaison_domain::DayKind::Working),
            ..NoticeFacts::default()
        };
        let notice = |key: String, kind, after_raised| WantedNotice {
            key,
            kind,
            column_id: c.column.id,
            facts: facts.clone(),
            after_raised,
        };
        match s.state {
            DutyState::Ok => {}
            DutyState::DueSoon => wanted.push(notice(
                format!("due_soon:{}:{due_day}", c.column.id),
                NoticeKind::DueSoon,
                None,
            )),
            DutyState::Overdue => {
                let first = format!("overdue:{}:{due_day}", c.column.id);
                wanted.push(notice(first.clone(), NoticeKind::Overdue, None));
                if calendar.is_working_day(today) {
                    wanted.push(notice(
                        format!("still_overdue:{}:{today}", c.column.id),
                        NoticeKind::StillOverdue,
                        Some(first),
                    ));
                }
            }
        }
    }
    wanted
}

/// Whether a notice raised at `raised_at` (RFC 3339; `None`: not raised) was raised before the
/// Beijing day `today`.
pub(crate) fn raised_before(raised_at: Option<&str>, today: NaiveDate) -> bool {
    raised_at
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| beijing_date(t.with_timezone(&Utc)) < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_raised_yesterday_in_beijing_was_raised_before_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        // 23:59 Beijing on 30 November, and 00:01 on 1 December.
        assert!(raised_before(Some("2026-11-30T15:59:00Z"), today));
        assert!(!raised_before(Some("2026-11-30T16:01:00Z"), today));
        assert!(!raised_before(None, today));
        assert!(!raised_before(Some("not a time"), today));
    }
}
