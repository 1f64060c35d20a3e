//! The duty board and the notices in the desk's store: the board as last fetched, the calendar
//! and the notification hours, and the notices, each created once under its key. What the board
//! and the notices mean is `duties.rs`'s.

use chrono::{DateTime, Utc};
use liaison_domain::WorkCalendar;
use liaison_domain::calendar::beijing_date;
use liaison_domain::wire::BoardColumn;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::LocalStore;
use crate::DeskError;
use crate::duties::{
    BoardView, NoticeFacts, NoticeKind, NoticeView, NotifyHours, board_at, json, parse,
    raised_before, wanted_notices,
};

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
        let columns = rows
            .iter()
            .map(|s| parse::<BoardColumn>(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BoardView {
            columns: board_at(columns, &calendar, now),
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
        for wanted in wanted_notices(&board, &calendar, today) {
            if let Some(first) = &wanted.after_raised {
                let raised_at = tx
                    .query_row(
                        "SELECT raised_at FROM notices WHERE key = ?1",
                        [first],
                        |r| r.get::<_, Option<String>>(0),
                    )
                    .optional()?
                    .flatten();
                if !raised_before(raised_at.as_deref(), today) {
                    continue;
                }
            }
            let column = Some(wanted.column_id);
            create_notice(
                &tx,
                &wanted.key,
                wanted.kind,
                column,
                None,
                &wanted.facts,
                now,
            )?;
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
    use liaison_domain::duty_status;
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
