//! The duty board and notices on the desk.
//!
//! The board is the office's `GET /board` as last fetched, recomputed with the desk's own clock
//! (so it stays true offline). Notices are rows keyed by what they are about (a column's due date,
//! a day, a change's position in the office's log), so each is created once however often the desk
//! looks or restarts. A notice is raised as a desktop notification once, inside working hours.

use chrono::{DateTime, NaiveTime, Utc};
use liaison_domain::calendar::{beijing_date, last_day};
use liaison_domain::wire::BoardColumn;
use liaison_domain::{DutyState, WorkCalendar, by_urgency, duty_status};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::DeskError;
use crate::store::LocalStore;

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
    fn as_str(self) -> &'static str {
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

    fn parse(s: &str) -> Option<Self> {
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

fn json<T: Serialize>(v: &T) -> Result<String, DeskError> {
    serde_json::to_string(v).map_err(|e| DeskError::Internal(e.to_string()))
}

fn parse<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, DeskError> {
    serde_json::from_str(s).map_err(|e| DeskError::Storage(e.to_string()))
}

/// Creates a notice unless one with this key exists; whether it was new.
pub(crate) fn create_notice(
    conn: &Connection,
    key: &str,
    kind: NoticeKind,
    column_id: Option<i64>,
    draft_id: Option<&str>,
    facts: &NoticeFacts,
    now: DateTime<Utc>,
) -> Result<bool, DeskError> {
    let n = conn.execute(
        "INSERT INTO notices (key, kind, column_id, draft_id, facts_json, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key) DO NOTHING",
        params![
            key,
            kind.as_str(),
            column_id,
            draft_id,
            json(facts)?,
            now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ],
    )?;
    Ok(n == 1)
}

fn notice_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(NoticeView, String, String)> {
    Ok((
        NoticeView {
            id: r.get(0)?,
            kind: NoticeKind::Urged, // replaced by the caller
            column_id: r.get(2)?,
            draft_id: r.get(3)?,
            facts: NoticeFacts::default(),
            created_at: r.get(5)?,
            read: r.get::<_, Option<String>>(6)?.is_some(),
        },
        r.get(1)?,
        r.get(4)?,
    ))
}

fn notices_where(conn: &Connection, filter: &str) -> Result<Vec<NoticeView>, DeskError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, kind, column_id, draft_id, facts_json, created_at, read_at FROM notices
         {filter} ORDER BY id DESC LIMIT 500"
    ))?;
    let rows = stmt.query_map([], notice_from_row)?;
    let rows: Vec<_> = rows.collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(mut view, kind, facts)| {
            view.kind = NoticeKind::parse(&kind)
                .ok_or_else(|| DeskError::Storage(format!("unknown notice kind {kind:?}")))?;
            view.facts = parse(&facts)?;
            Ok(view)
        })
        .collect()
}

impl LocalStore {
    /// The board as fetched, and the columns it names (the desk's column list comes from it).
    pub fn replace_board(
        &self,
        board: &[BoardColumn],
        calendar: &WorkCalendar,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), DeskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM board", [])?;
        tx.execute("DELETE FROM columns", [])?;
        for c in board {
            tx.execute(
                "INSERT INTO board (column_id, json) VALUES (?1, ?2)",
                params![c.column.id, json(c)?],
            )?;
            tx.execute(
                "INSERT INTO columns (id, json) VALUES (?1, ?2)",
                params![c.column.id, json(&c.column)?],
            )?;
        }
        for (key, value) in [
            ("calendar", json(calendar)?),
            (
                "board_fetched_at",
                fetched_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn calendar(&self) -> Result<WorkCalendar, DeskError> {
        match self.meta("calendar")? {
            Some(s) => parse(&s),
            None => Ok(WorkCalendar::default()),
        }
    }

    /// The cached board with every status computed at `now`, most urgent first.
    pub fn board(&self, now: DateTime<Utc>) -> Result<BoardView, DeskError> {
        let calendar = self.calendar()?;
        let rows: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare("SELECT json FROM board")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let mut columns = rows
            .iter()
            .map(|s| parse::<BoardColumn>(s))
            .collect::<Result<Vec<_>, _>>()?;
        for c in &mut columns {
            c.status = duty_status(c.column.duty, &c.updates, c.since, now, &calendar);
        }
        columns.sort_by(|a, b| by_urgency(&a.status, &b.status));
        Ok(BoardView {
            columns,
            fetched_at: self.meta("board_fetched_at")?,
            computed_at: now,
        })
    }

    pub fn notify_hours(&self) -> Result<NotifyHours, DeskError> {
        match self.meta("notify_hours")? {
            Some(s) => parse(&s),
            None => Ok(NotifyHours::default()),
        }
    }

    pub fn set_notify_hours(&self, hours: &NotifyHours) -> Result<(), DeskError> {
        hours.validate()?;
        self.set_meta("notify_hours", &json(hours)?)
    }

    /// Creates the notices the board calls for at `now`, and returns those to raise now (each
    /// once, inside working hours), marking them raised.
    pub fn check_duties(&self, now: DateTime<Utc>) -> Result<Vec<NoticeView>, DeskError> {
        let board = self.board(now)?;
        let calendar = self.calendar()?;
        let hours = self.notify_hours()?;
        let today = beijing_date(now);
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
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
            let col = Some(c.column.id);
            match s.state {
                DutyState::Ok => {}
                DutyState::DueSoon => {
                    let key = format!("due_soon:{}:{due_day}", c.column.id);
                    create_notice(&tx, &key, NoticeKind::DueSoon, col, None, &facts, now)?;
                }
                DutyState::Overdue => {
                    let key = format!("overdue:{}:{due_day}", c.column.id);
                    create_notice(&tx, &key, NoticeKind::Overdue, col, None, &facts, now)?;
                    // The daily reminder starts the working day after the first notice was raised.
                    let raised_before_today = tx
                        .query_row(
                            "SELECT raised_at FROM notices WHERE key = ?1",
                            [&key],
                            |r| r.get::<_, Option<String>>(0),
                        )
                        .optional()?
                        .flatten()
                        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                        .is_some_and(|t| beijing_date(t.with_timezone(&Utc)) < today);
                    if raised_before_today && calendar.is_working_day(today) {
                        let key = format!("still_overdue:{}:{today}", c.column.id);
                        create_notice(&tx, &key, NoticeKind::StillOverdue, col, None, &facts, now)?;
                    }
                }
            }
        }
        let raise = if hours.allow(now, &calendar) {
            let due = notices_where(&tx, "WHERE raised_at IS NULL")?;
            tx.execute(
                "UPDATE notices SET raised_at = ?1 WHERE raised_at IS NULL",
                [now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)],
            )?;
            due
        } else {
            Vec::new()
        };
        tx.commit()?;
        Ok(raise)
    }

    /// Every notice, newest first.
    pub fn notices(&self) -> Result<Vec<NoticeView>, DeskError> {
        notices_where(&self.conn(), "")
    }

    /// Marks one notice read, or all (`None`).
    pub fn mark_read(&self, id: Option<i64>, now: DateTime<Utc>) -> Result<(), DeskError> {
        let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.conn().execute(
            "UPDATE notices SET read_at = ?1 WHERE read_at IS NULL AND (?2 IS NULL OR id = ?2)",
            params![at, id],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liaison_domain::{ColumnView, DutyRule, FeedMethod};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// One news column (every working day), last updated on Friday 2026-11-27 10:00 Beijing.
    fn store_with_news_column(dir: &std::path::Path) -> LocalStore {
        let store = LocalStore::open(&dir.join("desk.db")).unwrap();
        let column = ColumnView {
            id: 7,
            department_id: 1,
            name: "教育动态".into(),
            path: "政务公开/教育动态".into(),
            feed: FeedMethod::Submission,
            duty: DutyRule::NEWS,
            level: liaison_domain::ColumnLevel::First,
        };
        let since = at("2026-01-01T00:00:00+08:00");
        let updates = vec![at("2026-11-27T10:00:00+08:00")];
        let calendar = WorkCalendar::china_2025_2026();
        let status = duty_status(column.duty, &updates, since, since, &calendar);
        let board = [BoardColumn {
            column,
            since,
            updates,
            status,
        }];
        store
            .replace_board(&board, &calendar, at("2026-11-27T12:00:00+08:00"))
            .unwrap();
        store
    }

    fn kinds(raised: &[NoticeView]) -> Vec<NoticeKind> {
        raised.iter().map(|n| n.kind).collect()
    }

    #[test]
    fn each_notice_is_raised_once_inside_working_hours_even_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with_news_column(dir.path());
        // Saturday: not due yet (due by the end of Monday), and no working hours anyway.
        assert!(
            store
                .check_duties(at("2026-11-28T10:00:00+08:00"))
                .unwrap()
                .is_empty()
        );
        assert!(store.notices().unwrap().is_empty());

        // Monday 09:00: due soon, raised once.
        let monday = at("2026-11-30T09:00:00+08:00");
        assert_eq!(
            kinds(&store.check_duties(monday).unwrap()),
            [NoticeKind::DueSoon]
        );
        assert!(
            store
                .check_duties(monday + chrono::Duration::minutes(5))
                .unwrap()
                .is_empty()
        );

        // Tuesday 20:00: overdue, but after working hours: kept, not raised.
        let tuesday_evening = at("2026-12-01T20:00:00+08:00");
        assert!(store.check_duties(tuesday_evening).unwrap().is_empty());
        let kept = store.notices().unwrap();
        assert_eq!(kinds(&kept), [NoticeKind::Overdue, NoticeKind::DueSoon]);
        assert_eq!(kept[0].facts.overdue_days, Some(1));

        // The desk restarts overnight; in the morning the overdue notice is raised, once.
        drop(store);
        let store = LocalStore::open(&dir.path().join("desk.db")).unwrap();
        let wednesday = at("2026-12-02T08:31:00+08:00");
        let raised = store.check_duties(wednesday).unwrap();
        assert_eq!(kinds(&raised), [NoticeKind::Overdue]);
        assert!(
            store
                .check_duties(wednesday + chrono::Duration::hours(1))
                .unwrap()
                .is_empty()
        );

        // Thursday: the daily reminder while it stays overdue, once a day.
        let thursday = at("2026-12-03T09:00:00+08:00");
        assert_eq!(
            kinds(&store.check_duties(thursday).unwrap()),
            [NoticeKind::StillOverdue]
        );
        assert!(
            store
                .check_duties(thursday + chrono::Duration::hours(2))
                .unwrap()
                .is_empty()
        );

        // Hours are configurable: every day, all day.
        store
            .set_notify_hours(&NotifyHours {
                start: "00:00".into(),
                end: "24:00".into(),
                working_days_only: false,
            })
            .unwrap();
        assert!(
            store
                .set_notify_hours(&NotifyHours {
                    start: "18:00".into(),
                    end: "08:00".into(),
                    working_days_only: true,
                })
                .is_err()
        );
        store.mark_read(None, thursday).unwrap();
        assert!(store.notices().unwrap().iter().all(|n| n.read));
    }
}
