//! What a department did in a period that counts, gathered from its records: items accepted,
//! commissioned requests answered in time or missed, the days its columns stood overdue, and the
//! weeks it was urged often enough to be flagged. Nothing here reads activity.
//!
//! A period is counted up to its end or `now`, whichever comes first:
//! - an item counts in the period it was accepted in, first-level by the column it went to;
//! - a commissioned request counts in the period its deadline falls in: in time once its answer
//!   (sent before the deadline) is accepted, missed once the deadline has passed unanswered or
//!   was answered after it; a request withdrawn unanswered owes nothing;
//! - a column counts one overdue column-day for each whole Beijing day in the period at whose
//!   end it stood overdue by the duty function (so a holiday its rule skips is not counted
//!   against it, and a day it stood overdue through a holiday is);
//! - a flagged week counts in the period in which its urges reached the number that flags it.

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::{PeriodFacts, RankPeriod};
use crate::calendar::{WorkCalendar, beijing_midnight, end_of, last_day};
use crate::column::DutyRule;
use crate::commission::{CommissionState, Standing, standing};
use crate::duty::{DutyState, duty_status};
use crate::urge::week_of;

/// An item of the department the office accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub at: DateTime<Utc>,
    /// Whether the column it went to is first-level.
    pub first_level: bool,
}

/// A commissioned request naming the department, with its first answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub state: CommissionState,
    pub due_at: DateTime<Utc>,
    /// When the first answer reached the office, if one did while the request was open.
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether that answer has been accepted.
    pub answer_accepted: bool,
}

/// A column the department keeps, with its rule and the instants it was updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept<'a> {
    pub rule: DutyRule,
    /// When its duty began.
    pub since: DateTime<Utc>,
    pub updates: &'a [DateTime<Utc>],
}

/// Everything of one department the facts are gathered from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Records<'a> {
    pub accepted: &'a [Accepted],
    pub asked: &'a [Asked],
    pub columns: &'a [Kept<'a>],
    /// When the office urged the department (any column).
    pub urges: &'a [DateTime<Utc>],
}

/// How many whole Beijing days of `[from, until)` a column stood overdue at the end of.
pub fn overdue_days(
    column: &Kept<'_>,
    from: NaiveDate,
    until: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> u32 {
    let mut days = 0;
    let mut day = from;
    while end_of(day) <= until {
        let last_instant = end_of(day) - chrono::Duration::seconds(1);
        if column.since <= last_instant
            && duty_status(
                column.rule,
                column.updates,
                column.since,
                last_instant,
                calendar,
            )
            .state
                == DutyState::Overdue
        {
            days += 1;
        }
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    days
}

/// The instants at which a week was flagged: when its urges reached `per_week`.
fn flagged_at(urges: &[DateTime<Utc>], per_week: u32) -> Vec<DateTime<Utc>> {
    let mut sorted = urges.to_vec();
    sorted.sort();
    let reach = usize::try_from(per_week.max(1)).unwrap_or(usize::MAX);
    sorted
        .chunk_by(|a, b| week_of(*a) == week_of(*b))
        .filter_map(|week| week.get(reach - 1).copied())
        .collect()
}

/// The facts of one department in `period`, counted up to its end or `now`; a week is flagged
/// after `urges_flagging_a_week` urges (the scheme's).
pub fn facts(
    records: &Records<'_>,
    period: RankPeriod,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
    urges_flagging_a_week: u32,
) -> PeriodFacts {
    let (Some(first), Some(end_day)) = (period.first_day(), period.end_day()) else {
        return PeriodFacts::default();
    };
    let (start, end) = (beijing_midnight(first), beijing_midnight(end_day));
    let until = end.min(now);
    let counted = |t: DateTime<Utc>| start <= t && t < until;
    let mut f = PeriodFacts::default();
    for item in records.accepted.iter().filter(|i| counted(i.at)) {
        if item.first_level {
            f.accepted_first_level += 1;
        } else {
            f.accepted_items += 1;
        }
    }
    for asked in records
        .asked
        .iter()
        .filter(|a| first <= last_day(a.due_at) && last_day(a.due_at) < end_day)
    {
        match standing(asked.state, asked.due_at, asked.answered_at, now) {
            Standing::AnsweredInTime if asked.answer_accepted => f.commissions_in_time += 1,
            Standing::AnsweredLate | Standing::Late => f.commissions_missed += 1,
            _ => {}
        }
    }
    f.overdue_column_days = records
        .columns
        .iter()
        .map(|c| overdue_days(c, first, until, calendar))
        .sum();
    f.flagged_weeks = flagged_at(records.urges, urges_flagging_a_week)
        .into_iter()
        .filter(|t| counted(*t))
        .count() as u32;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::GapUnit;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn feb() -> RankPeriod {
        RankPeriod::Month {
            year: 2026,
            month: 2,
        }
    }

    fn five_working_days() -> DutyRule {
        DutyRule::MaxGap {
            amount: 5,
            unit: GapUnit::WorkingDays,
        }
    }

    #[test]
    fn the_spring_festival_and_its_working_saturday_move_a_working_day_deadline() {
        // Updated Friday 30 January 2026: due by the end of Friday 6 February, so overdue at the
        // end of the 7th, 8th and 9th. Updated again Tuesday 10 February. Five working days on:
        // 11, 12, 13, Saturday 14 (调休, a working day), then the holiday 15–23, so the deadline
        // is the end of Tuesday 24th.
        let updates = [
            at("2026-01-30T10:00:00+08:00"),
            at("2026-02-10T10:00:00+08:00"),
        ];
        let column = Kept {
            rule: five_working_days(),
            since: at("2025-12-01T00:00:00+08:00"),
            updates: &updates,
        };
        let records = Records {
            columns: std::slice::from_ref(&column),
            ..Records::default()
        };
        let cal = WorkCalendar::china_2025_2026();
        let after = at("2026-03-05T09:00:00+08:00");
        // Then overdue at the end of 25, 26, 27 and 28 February: 3 + 4.
        assert_eq!(
            facts(&records, feb(), after, &cal, 2).overdue_column_days,
            7
        );
        // With no holidays the second deadline would have been the 17th: 3 + 11.
        let plain = WorkCalendar::default();
        assert_eq!(
            facts(&records, feb(), after, &plain, 2).overdue_column_days,
            14
        );
        // Partway through the month only the whole days so far count (the 25th and 26th).
        let midway = at("2026-02-27T15:00:00+08:00");
        assert_eq!(
            facts(&records, feb(), midway, &cal, 2).overdue_column_days,
            5
        );
        // A column whose duty began on the 27th owes nothing before.
        let late_start = Kept {
            since: at("2026-02-27T09:00:00+08:00"),
            updates: &[],
            ..column
        };
        assert_eq!(
            overdue_days(&late_start, feb().first_day().unwrap(), after, &cal),
            0
        );
    }

    #[test]
    fn items_count_when_accepted_and_across_a_month_end_fall_in_the_month_they_were_accepted() {
        let accepted = [
            Accepted {
                at: at("2026-01-31T23:59:00+08:00"),
                first_level: true,
            },
            Accepted {
                at: at("2026-02-01T00:00:00+08:00"),
                first_level: true,
            },
            Accepted {
                at: at("2026-02-20T11:00:00+08:00"),
                first_level: false,
            },
        ];
        let records = Records {
            accepted: &accepted,
            ..Records::default()
        };
        let cal = WorkCalendar::china_2025_2026();
        let f = facts(&records, feb(), at("2026-03-02T08:00:00+08:00"), &cal, 2);
        assert_eq!((f.accepted_first_level, f.accepted_items), (1, 1));
        let jan = RankPeriod::Month {
            year: 2026,
            month: 1,
        };
        let f = facts(&records, jan, at("2026-03-02T08:00:00+08:00"), &cal, 2);
        assert_eq!((f.accepted_first_level, f.accepted_items), (1, 0));
        // The quarter holds both months.
        let q1 = RankPeriod::Quarter {
            year: 2026,
            quarter: 1,
        };
        let f = facts(&records, q1, at("2026-03-02T08:00:00+08:00"), &cal, 2);
        assert_eq!(f.accepted_first_level + f.accepted_items, 3);
    }

    #[test]
    fn a_commission_counts_in_the_period_of_its_deadline_in_time_only_once_accepted() {
        let due = at("2026-03-31T00:00:00+08:00") + chrono::Duration::days(1); // end of 31 March
        let asked = |answered: Option<&str>, accepted, state| Asked {
            state,
            due_at: due,
            answered_at: answered.map(at),
            answer_accepted: accepted,
        };
        let cal = WorkCalendar::china_2025_2026();
        let march = RankPeriod::Month {
            year: 2026,
            month: 3,
        };
        let q1 = RankPeriod::Quarter {
            year: 2026,
            quarter: 1,
        };
        let count = |a: Asked, period, now: &str| {
            let f = facts(
                &Records {
                    asked: &[a],
                    ..Records::default()
                },
                period,
                at(now),
                &cal,
                2,
            );
            (f.commissions_in_time, f.commissions_missed)
        };
        use CommissionState::*;
        let in_time = Some("2026-03-30T10:00:00+08:00");
        assert_eq!(
            count(
                asked(in_time, false, Open),
                march,
                "2026-03-30T12:00:00+08:00"
            ),
            (0, 0)
        );
        assert_eq!(
            count(
                asked(in_time, true, Open),
                march,
                "2026-03-30T12:00:00+08:00"
            ),
            (1, 0)
        );
        // Unanswered: owed until the end of the 31st, then missed, in March and in Q1.
        assert_eq!(
            count(asked(None, false, Open), march, "2026-03-31T23:00:00+08:00"),
            (0, 0)
        );
        assert_eq!(
            count(asked(None, false, Open), march, "2026-04-01T00:00:00+08:00"),
            (0, 1)
        );
        assert_eq!(
            count(asked(None, false, Open), q1, "2026-04-01T00:00:00+08:00"),
            (0, 1)
        );
        // Answered late is missed; withdrawn unanswered owes nothing.
        let late = Some("2026-04-02T10:00:00+08:00");
        assert_eq!(
            count(asked(late, true, Open), march, "2026-04-03T00:00:00+08:00"),
            (0, 1)
        );
        assert_eq!(
            count(
                asked(None, false, Withdrawn),
                march,
                "2026-04-03T00:00:00+08:00"
            ),
            (0, 0)
        );
    }

    #[test]
    fn a_week_urged_twice_is_flagged_in_the_period_its_second_urge_came_in() {
        // Monday 29 December 2025 to Sunday 4 January 2026: urged on the 31st and the 2nd, so
        // flagged on 2 January: the closed December is not changed by it.
        let urges = [
            at("2025-12-31T10:00:00+08:00"),
            at("2026-01-02T10:00:00+08:00"),
        ];
        let records = Records {
            urges: &urges,
            ..Records::default()
        };
        let cal = WorkCalendar::china_2025_2026();
        let now = at("2026-02-01T10:00:00+08:00");
        let dec = RankPeriod::Month {
            year: 2025,
            month: 12,
        };
        let jan = RankPeriod::Month {
            year: 2026,
            month: 1,
        };
        assert_eq!(facts(&records, dec, now, &cal, 2).flagged_weeks, 0);
        assert_eq!(facts(&records, jan, now, &cal, 2).flagged_weeks, 1);
        assert_eq!(facts(&records, jan, now, &cal, 3).flagged_weeks, 0);
        assert_eq!(facts(&records, dec, now, &cal, 1).flagged_weeks, 1);
    }
}
