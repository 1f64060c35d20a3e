//! When a column is due, and how late it is: one function both the office and the desk call,
//! with the time passed in.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::calendar::{WorkCalendar, beijing_date, beijing_midnight, end_of};
use crate::column::{DutyRule, GapUnit, Period};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DutyState {
    Ok,
    /// Inside the rule's lead time before the due instant.
    DueSoon,
    Overdue,
}

impl DutyState {
    /// Most urgent first.
    pub fn urgency(self) -> u8 {
        match self {
            DutyState::Overdue => 0,
            DutyState::DueSoon => 1,
            DutyState::Ok => 2,
        }
    }
}

/// Whether days late are counted in working days or calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DayKind {
    Working,
    Calendar,
}

/// A column's standing against its rule at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[ts(export)]
pub struct DutyStatus {
    /// The latest accepted update up to now, if any.
    pub last_update: Option<DateTime<Utc>>,
    /// By when the next accepted update must be in.
    pub due_at: DateTime<Utc>,
    pub state: DutyState,
    /// Days late (0 unless overdue), counted in `day_kind` days.
    pub overdue_days: u32,
    pub day_kind: DayKind,
    /// For a count rule: accepted updates in the current period.
    pub period_count: Option<u32>,
}

impl DutyRule {
    /// How long before its due instant a column counts as due soon.
    pub fn lead(&self) -> chrono::Duration {
        let days = match *self {
            DutyRule::MaxGap { unit, amount } => match unit {
                GapUnit::WorkingDays | GapUnit::Days => 1,
                GapUnit::Weeks => 2,
                GapUnit::Months if amount >= 6 => 14,
                GapUnit::Months => 7,
                GapUnit::Years => 30,
            },
            DutyRule::MinCount { period, .. } => match period {
                Period::Week => 2,
                Period::Month => 7,
                Period::Quarter => 14,
                Period::Year => 30,
            },
        };
        chrono::Duration::days(days)
    }
}

/// Board order: overdue before due soon before fine; the longest overdue first; then the
/// earliest due.
pub fn by_urgency(a: &DutyStatus, b: &DutyStatus) -> std::cmp::Ordering {
    a.state
        .urgency()
        .cmp(&b.state.urgency())
        .then(b.overdue_days.cmp(&a.overdue_days))
        .then(a.due_at.cmp(&b.due_at))
}

/// How far back a board needs updates: the longest period a rule counts over, and one more.
pub const UPDATES_LOOKBACK_DAYS: i64 = 400;

/// The first day of the period containing `d`.
fn period_start(period: Period, d: NaiveDate) -> NaiveDate {
    let first_of_month = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d);
    match period {
        Period::Week => d - Days::new(u64::from(d.weekday().num_days_from_monday())),
        Period::Month => first_of_month(d.month()),
        Period::Quarter => first_of_month((d.month0() / 3) * 3 + 1),
        Period::Year => first_of_month(1),
    }
}

fn next_period_start(period: Period, start: NaiveDate) -> NaiveDate {
    match period {
        Period::Week => start + Days::new(7),
        Period::Month => start + Months::new(1),
        Period::Quarter => start + Months::new(3),
        Period::Year => start + Months::new(12),
    }
}

fn previous_period_start(period: Period, start: NaiveDate) -> NaiveDate {
    match period {
        Period::Week => start - Days::new(7),
        Period::Month => start - Months::new(1),
        Period::Quarter => start - Months::new(3),
        Period::Year => start - Months::new(12),
    }
}

/// The standing of a column with `rule` whose duty began at `since`, given the instants its
/// updates were accepted (any order; those after `now` are ignored).
pub fn duty_status(
    rule: DutyRule,
    updates: &[DateTime<Utc>],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> DutyStatus {
    let known: Vec<DateTime<Utc>> = updates.iter().copied().filter(|t| *t <= now).collect();
    let last_update = known.iter().copied().max();
    match rule {
        DutyRule::MaxGap { amount, unit } => {
            // Counted from the last accepted update, or from when the duty began.
            let base = beijing_date(last_update.unwrap_or(since).max(since));
            let due_date = match unit {
                GapUnit::WorkingDays => calendar.add_working_days(base, amount),
                GapUnit::Days => base + Days::new(u64::from(amount)),
                GapUnit::Weeks => base + Days::new(7 * u64::from(amount)),
                GapUnit::Months => base + Months::new(amount),
                GapUnit::Years => base + Months::new(12 * amount),
            };
            let due_at = end_of(due_date);
            let day_kind = if unit == GapUnit::WorkingDays {
                DayKind::Working
            } else {
                DayKind::Calendar
            };
            let today = beijing_date(now);
            let (state, overdue_days) = if now >= due_at {
                let late = match day_kind {
                    DayKind::Working => calendar.working_days_between(due_date, today),
                    DayKind::Calendar => (today - due_date).num_days().max(0) as u32,
                };
                (DutyState::Overdue, late.max(1))
            } else if now >= due_at - rule.lead() {
                (DutyState::DueSoon, 0)
            } else {
                (DutyState::Ok, 0)
            };
            DutyStatus {
                last_update,
                due_at,
                state,
                overdue_days,
                day_kind,
                period_count: None,
            }
        }
        DutyRule::MinCount { count, period } => {
            let today = beijing_date(now);
            let start = period_start(period, today);
            let end = next_period_start(period, start);
            let previous = previous_period_start(period, start);
            let in_range = |from: NaiveDate, to: NaiveDate| {
                known
                    .iter()
                    .filter(|t| {
                        let d = beijing_date(**t);
                        d >= from && d < to
                    })
                    .count() as u32
            };
            let current = in_range(start, end);
            let before = in_range(previous, start);
            // The previous period counts only if the duty had begun before it ended.
            let previous_owed = since < beijing_midnight(start);
            // Short in the period that ended and not yet made up in this one: overdue from the
            // end of the short period, and that end is the deadline it missed.
            let short = current < count && previous_owed && before < count;
            let due_at = if current >= count {
                beijing_midnight(next_period_start(period, end))
            } else if short {
                beijing_midnight(start)
            } else {
                beijing_midnight(end)
            };
            let (state, overdue_days) = if current >= count {
                (DutyState::Ok, 0)
            } else if short {
                let late = (today - start).num_days().max(0) as u32 + 1;
                (DutyState::Overdue, late)
            } else if now >= due_at - rule.lead() {
                (DutyState::DueSoon, 0)
            } else {
                (DutyState::Ok, 0)
            };
            DutyStatus {
                last_update,
                due_at,
                state,
                overdue_days,
                day_kind: DayKind::Calendar,
                period_count: Some(current),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::china_2025_2026()
    }

    #[test]
    fn news_is_due_the_next_working_day() {
        let since = at("2025-01-01T00:00:00+08:00");
        // Accepted on Friday 2026-11-27 at 10:00 Beijing: due by the end of Monday 11-30.
        let friday = at("2026-11-27T10:00:00+08:00");
        let on_saturday = duty_status(
            DutyRule::NEWS,
            &[friday],
            since,
            at("2026-11-28T12:00:00+08:00"),
            &cal(),
        );
        assert_eq!(on_saturday.due_at, at("2026-12-01T00:00:00+08:00"));
        assert_eq!(on_saturday.state, DutyState::Ok);
        let monday = duty_status(
            DutyRule::NEWS,
            &[friday],
            since,
            at("2026-11-30T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!(monday.state, DutyState::DueSoon);
        let wednesday = duty_status(
            DutyRule::NEWS,
            &[friday],
            since,
            at("2026-12-02T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!(
            (wednesday.state, wednesday.overdue_days, wednesday.day_kind),
            (DutyState::Overdue, 2, DayKind::Working)
        );
        // Over 国庆 2026 nothing is due: accepted Wednesday 09-30, due by the end of 10-08.
        let before_holiday = at("2026-09-30T16:00:00+08:00");
        let s = duty_status(
            DutyRule::NEWS,
            &[before_holiday],
            since,
            at("2026-10-05T10:00:00+08:00"),
            &cal(),
        );
        assert_eq!(
            (s.state, s.due_at),
            (DutyState::Ok, at("2026-10-09T00:00:00+08:00"))
        );
    }

    #[test]
    fn notices_are_due_six_months_on_and_soon_two_weeks_before() {
        let since = at("2025-01-01T00:00:00+08:00");
        let last = at("2026-05-20T15:00:00+08:00");
        let s = duty_status(
            DutyRule::NOTICES,
            &[last],
            since,
            at("2026-11-10T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!(
            (s.due_at, s.state),
            (at("2026-11-21T00:00:00+08:00"), DutyState::DueSoon)
        );
        let s = duty_status(
            DutyRule::NOTICES,
            &[last],
            since,
            at("2026-11-27T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!(
            (s.state, s.overdue_days, s.day_kind),
            (DutyState::Overdue, 7, DayKind::Calendar)
        );
        // Never updated: counted from when the duty began.
        let s = duty_status(
            DutyRule::NOTICES,
            &[],
            at("2026-11-01T00:00:00+08:00"),
            at("2026-11-27T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!(s.state, DutyState::Ok);
        assert_eq!(s.last_update, None);
    }

    #[test]
    fn counts_per_month() {
        let rule = DutyRule::MinCount {
            count: 4,
            period: Period::Month,
        };
        let since = at("2025-01-01T00:00:00+08:00");
        let october: Vec<_> = (1..=4)
            .map(|d| at(&format!("2026-10-{:02}T10:00:00+08:00", d + 10)))
            .collect();
        let mut november = october.clone();
        november.push(at("2026-11-03T10:00:00+08:00"));
        // October was met; November has 1 of 4 with 4 days left: due soon.
        let s = duty_status(
            rule,
            &november,
            since,
            at("2026-11-27T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!((s.state, s.period_count), (DutyState::DueSoon, Some(1)));
        assert_eq!(s.due_at, at("2026-12-01T00:00:00+08:00"));
        // In December, November's shortfall makes the column overdue until December has 4.
        let s = duty_status(
            rule,
            &november,
            since,
            at("2026-12-03T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!((s.state, s.overdue_days), (DutyState::Overdue, 3));
        let mut met = november.clone();
        met.extend((1..=3).map(|d| at(&format!("2026-12-0{d}T08:00:00+08:00"))));
        met.push(at("2026-12-03T08:30:00+08:00"));
        let s = duty_status(rule, &met, since, at("2026-12-03T09:00:00+08:00"), &cal());
        assert_eq!(
            (s.state, s.due_at),
            (DutyState::Ok, at("2027-02-01T00:00:00+08:00"))
        );
    }

    fn rules() -> impl Strategy<Value = DutyRule> {
        prop_oneof![
            (
                1u32..=5,
                prop_oneof![
                    Just(GapUnit::WorkingDays),
                    Just(GapUnit::Days),
                    Just(GapUnit::Weeks),
                    Just(GapUnit::Months),
                    Just(GapUnit::Years)
                ]
            )
                .prop_map(|(amount, unit)| DutyRule::MaxGap { amount, unit }),
            (
                1u32..=6,
                prop_oneof![
                    Just(Period::Week),
                    Just(Period::Month),
                    Just(Period::Quarter),
                    Just(Period::Year)
                ]
            )
                .prop_map(|(count, period)| DutyRule::MinCount { count, period }),
        ]
    }

    /// An instant in 2025-2026 (the calendar's years), to the minute.
    fn instants() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..(2 * 365 * 24 * 60))
            .prop_map(|m| at("2025-01-01T00:00:00+08:00") + chrono::Duration::minutes(m))
    }

    #[test]
    fn a_count_short_last_month_is_due_at_that_months_end_not_this_ones() {
        // Four a month; November ended with three. On 1 December it is a day late, and the
        // deadline it missed is the end of 30 November, not the end of December.
        let rule = DutyRule::MinCount {
            count: 4,
            period: Period::Month,
        };
        let since = at("2025-01-01T00:00:00+08:00");
        let november = [
            at("2026-11-03T10:00:00+08:00"),
            at("2026-11-12T10:00:00+08:00"),
            at("2026-11-24T10:00:00+08:00"),
        ];
        let now = at("2026-12-01T09:00:00+08:00");
        let s = duty_status(rule, &november, since, now, &cal());
        assert_eq!(s.state, DutyState::Overdue);
        assert_eq!(s.overdue_days, 1);
        assert_eq!(s.due_at, at("2026-12-01T00:00:00+08:00"));
        assert_eq!(
            crate::calendar::last_day(s.due_at),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        // Still short in December after one more: still due at November's end, two days late.
        let more = [november.as_slice(), &[at("2026-12-01T15:00:00+08:00")]].concat();
        let s = duty_status(rule, &more, since, at("2026-12-02T09:00:00+08:00"), &cal());
        assert_eq!((s.state, s.overdue_days), (DutyState::Overdue, 2));
        assert_eq!(s.due_at, at("2026-12-01T00:00:00+08:00"));
        // Four in December make it good again, due at the end of January.
        let made_up = [
            more.as_slice(),
            &[
                at("2026-12-02T10:00:00+08:00"),
                at("2026-12-03T10:00:00+08:00"),
                at("2026-12-04T10:00:00+08:00"),
            ],
        ]
        .concat();
        let s = duty_status(
            rule,
            &made_up,
            since,
            at("2026-12-05T09:00:00+08:00"),
            &cal(),
        );
        assert_eq!(s.state, DutyState::Ok);
        assert_eq!(s.due_at, at("2027-02-01T00:00:00+08:00"));
    }

    proptest! {
        #[test]
        fn due_never_lies_before_the_last_update(rule in rules(), updates in prop::collection::vec(instants(), 0..8), now in instants()) {
            let since = at("2025-01-01T00:00:00+08:00");
            let s = duty_status(rule, &updates, since, now, &cal());
            // A count rule overdue for a short period is due at that period's end, whatever
            // came in since; otherwise the due instant follows the last update.
            let short_period = matches!(rule, DutyRule::MinCount { .. }) && s.state == DutyState::Overdue;
            if let Some(last) = s.last_update.filter(|_| !short_period) {
                prop_assert!(s.due_at > last, "{s:?}");
            }
            prop_assert!(s.due_at > since);
        }

        #[test]
        fn an_overdue_columns_due_instant_is_in_the_past(rule in rules(), updates in prop::collection::vec(instants(), 0..8), now in instants()) {
            let since = at("2025-01-01T00:00:00+08:00");
            let s = duty_status(rule, &updates, since, now, &cal());
            prop_assert_eq!(s.state == DutyState::Overdue, s.due_at <= now, "{:?}", s);
            if s.state == DutyState::Overdue {
                prop_assert!(s.overdue_days >= 1, "{:?}", s);
            }
        }

        #[test]
        fn an_accepted_update_never_moves_the_due_date_back(rule in rules(), updates in prop::collection::vec(instants(), 0..8), extra in instants(), now in instants()) {
            let since = at("2025-01-01T00:00:00+08:00");
            prop_assume!(extra <= now);
            let before = duty_status(rule, &updates, since, now, &cal());
            let mut more = updates.clone();
            more.push(extra);
            let after = duty_status(rule, &more, since, now, &cal());
            prop_assert!(after.due_at >= before.due_at, "{before:?} -> {after:?}");
            prop_assert!(after.state.urgency() >= before.state.urgency(), "{before:?} -> {after:?}");
            // An update on a later day than every other one moves a gap rule's due date strictly on;
            // for a gap in working days, only if a working day lies between them (an update on
            // Saturday after Friday's is still due by Monday).
            let later = |l: DateTime<Utc>| {
                let (from, to) = (crate::calendar::beijing_date(l), crate::calendar::beijing_date(extra));
                match rule {
                    DutyRule::MaxGap { unit: GapUnit::WorkingDays, .. } => cal().working_days_between(from, to) > 0,
                    _ => to > from,
                }
            };
            if matches!(rule, DutyRule::MaxGap { .. }) && before.last_update.is_some_and(later) {
                prop_assert!(after.due_at > before.due_at, "{before:?} -> {after:?}");
            }
        }

        #[test]
        fn a_new_holiday_never_brings_a_working_day_deadline_forward(amount in 1u32..=5, last in instants(), now in instants(), holiday in 0u64..730) {
            let rule = DutyRule::MaxGap { amount, unit: GapUnit::WorkingDays };
            let since = at("2025-01-01T00:00:00+08:00");
            let before = duty_status(rule, &[last], since, now, &cal());
            let mut more = cal();
            more.holidays.insert(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Days::new(holiday));
            let after = duty_status(rule, &[last], since, now, &more);
            prop_assert!(after.due_at >= before.due_at);
        }

        #[test]
        fn the_office_and_the_desk_agree_through_the_wire(rule in rules(), updates in prop::collection::vec(instants(), 0..8), now in instants()) {
            // The office computes from its rows; the desk from the JSON it was sent.
            let since = at("2025-01-01T00:00:00+08:00");
            let office = duty_status(rule, &updates, since, now, &cal());
            let wire = serde_json::to_string(&(rule, &updates, since, cal())).unwrap();
            let (rule2, updates2, since2, cal2): (DutyRule, Vec<DateTime<Utc>>, DateTime<Utc>, WorkCalendar) =
                serde_json::from_str(&wire).unwrap();
            let desk = duty_status(rule2, &updates2, since2, now, &cal2);
            prop_assert_eq!(office, desk);
        }
    }
}
